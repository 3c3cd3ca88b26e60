//! Launching and closing one connection's Chromium: explicit flags (see CHROMIUM_NOTES.md), its own
//! profile folder that nothing else runs on, the CDP handler polled in its own task, and a clean
//! close that reaps the process.
//!
//! Chromium runs under a [guard](super::guard), so it dies with the gateway however the gateway
//! dies. We start it ourselves (chromiumoxide's `Browser::launch` would make the guard its child,
//! SIGKILL the guard on drop and orphan the browser) and connect to the DevTools address that
//! Chromium prints on stderr, as `Browser::launch` does.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chromiumoxide::browser::Browser;
use chromiumoxide::error::{BrowserStderr, CdpError};
use chromiumoxide::handler::HandlerConfig;
use chromiumoxide::Handler;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::driver::LaunchSpec;
use super::guarded::{Guarded, Stderr};
use super::sweep;
use crate::config::ChromeFlags;

const LAUNCH_TIMEOUT: Duration = Duration::from_secs(30);
const CLOSE_TIMEOUT: Duration = Duration::from_secs(5);

/// The `plain` set: only what this machine needs (no GPU, no sandbox, no network chatter).
const PLAIN_FLAGS: &[&str] = &[
    "no-sandbox",
    "disable-gpu",
    "disable-quic",
    "no-first-run",
    "disable-background-networking",
    "disable-component-update",
    "disable-sync",
];

/// Measured on Chromium 156: these keep the browser quiet on a closed network, stop it throttling a
/// background page, and remove the omnibox renderers (one process less, twice as fast to start),
/// the spare renderer kept warm for a next navigation and the separate GPU process
/// (docs/PERFORMANCE.md has the figures).
const FLAGS: &[&str] = &[
    "no-sandbox",
    "disable-gpu",
    "disable-quic",
    "no-first-run",
    "no-default-browser-check",
    "disable-background-networking",
    "disable-component-update",
    "disable-sync",
    "disable-dev-shm-usage",
    "disable-extensions",
    "disable-breakpad",
    "disable-background-timer-throttling",
    "disable-renderer-backgrounding",
    "disable-backgrounding-occluded-windows",
    "mute-audio",
    "hide-scrollbars",
    // The software compositor runs in the browser process: one process (~10 MB PSS) less.
    "in-process-gpu",
];
const VALUE_FLAGS: &[(&str, &str)] = &[
    ("password-store", "basic"),
    ("disable-blink-features", "AutomationControlled"),
    // V8 keeps less slack in the heap (smaller growth steps, earlier collection): against a page
    // as heavy as the real one (wa-sim --page-weight 150) the browser holds ~49 MiB less PSS, on
    // the bare page nothing changes (docs/PERFORMANCE.md "Page weight"). Not a cap: the heap may
    // still grow as far as the page needs.
    ("js-flags", "--optimize-for-size"),
    (
        "disable-features",
        "WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup,PreloadTopChromeWebUI,Translate,MediaRouter,SpareRendererForSitePerProcess",
    ),
];

/// What every launch passes, whatever the flag set: DevTools on a free port (its address comes on
/// stderr), the profile, new headless mode, and no sandbox (containers do not allow one).
fn base_args(profile: &Path) -> Vec<String> {
    let mut args: Vec<String> = [
        "remote-debugging-port=0",
        "headless=new",
        "no-sandbox",
        "disable-setuid-sandbox",
        "hide-scrollbars",
        "mute-audio",
        "disable-extensions",
    ]
    .iter()
    .map(|a| format!("--{a}"))
    .collect();
    args.push(format!("--user-data-dir={}", profile.display()));
    args
}

/// The full command line after the program: the base arguments, then the chosen set.
fn chromium_args(flags: ChromeFlags, profile: &Path) -> Vec<String> {
    let set: Vec<String> = match flags {
        ChromeFlags::Tuned => FLAGS
            .iter()
            .map(|f| format!("--{f}"))
            .chain(VALUE_FLAGS.iter().map(|(k, v)| format!("--{k}={v}")))
            .collect(),
        ChromeFlags::Plain => PLAIN_FLAGS.iter().map(|f| format!("--{f}")).collect(),
    };
    let mut args = base_args(profile);
    for arg in set {
        if !args.contains(&arg) {
            args.push(arg);
        }
    }
    args
}

/// A running Chromium and the task that drives its CDP connection.
pub struct BrowserProcess {
    pub browser: Browser,
    handler: JoinHandle<()>,
    process: Guarded,
}

impl BrowserProcess {
    /// Starts Chromium on `profile_dir`. `gone` receives one message when the CDP connection dies
    /// (browser crashed, was killed, or closed).
    pub async fn launch(spec: &LaunchSpec, gone: mpsc::Sender<()>) -> Result<Self, CdpError> {
        let profile = claim_profile(&spec.profile_dir).await?;
        let args = chromium_args(spec.flags, &profile);
        let (mut process, stderr) =
            Guarded::spawn(&spec.chrome_path, &args, LAUNCH_TIMEOUT).await?;
        let connected = tokio::time::timeout(LAUNCH_TIMEOUT, connect(&mut process, stderr)).await;
        let (browser, handler) = match connected {
            Ok(Ok(pair)) => pair,
            Ok(Err(e)) => return Err(abandon(process, e).await),
            Err(_) => {
                let e = CdpError::LaunchTimeout(BrowserStderr::new(Vec::new()));
                return Err(abandon(process, e).await);
            }
        };
        let handler = tokio::spawn(pump(handler, gone));
        Ok(Self {
            browser,
            handler,
            process,
        })
    }

    /// The Chromium browser process (its guard is its parent; renderers are its descendants).
    pub fn pid(&self) -> Option<u32> {
        Some(self.process.pid())
    }

    /// Asks Chromium to close, waits for the process, kills it if it lingers, joins the handler.
    pub async fn close(mut self) {
        let closed = tokio::time::timeout(CLOSE_TIMEOUT, self.browser.close()).await;
        let exited = match closed {
            Ok(Ok(_)) => self.process.wait(CLOSE_TIMEOUT).await,
            _ => false,
        };
        if !exited {
            tracing::debug!(
                pid = self.process.pid(),
                "browser did not close in time; killing it"
            );
            self.process.end(CLOSE_TIMEOUT).await;
        }
        self.handler.abort();
        let _ = self.handler.await;
    }
}

/// The profile folder, absolute (the sweep matches command lines by it), with nothing else
/// running on it and no stale lock left.
async fn claim_profile(dir: &Path) -> Result<PathBuf, CdpError> {
    tokio::fs::create_dir_all(dir).await?;
    let profile = tokio::fs::canonicalize(dir).await?;
    sweep::clear_profile(&profile)
        .await
        .map_err(|e| CdpError::msg(format!("profile {}: {e}", profile.display())))?;
    Ok(profile)
}

/// Reads stderr up to the DevTools address, as `Browser::launch` does, and connects to it; the
/// rest of stderr is drained in the background (logged at trace level).
async fn connect(
    process: &mut Guarded,
    mut stderr: Stderr,
) -> Result<(Browser, Handler), CdpError> {
    let mut seen = Vec::new();
    let url = loop {
        let Some(line) = stderr.next_line().await? else {
            let status = process_status(process).await;
            return Err(CdpError::LaunchExit(status, BrowserStderr::new(seen)));
        };
        if let Some(url) = devtools_url(&line) {
            break url;
        }
        seen.extend_from_slice(line.as_bytes());
        seen.push(b'\n');
    };
    tokio::spawn(drain(stderr, process.pid()));
    let config = HandlerConfig {
        viewport: None,
        ..HandlerConfig::default()
    };
    Browser::connect_with_config(url, config).await
}

/// `DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID`.
fn devtools_url(line: &str) -> Option<String> {
    let (_, url) = line.rsplit_once("listening on ")?;
    let url = url.trim();
    (url.starts_with("ws") && url.contains("devtools/browser")).then(|| url.to_owned())
}

/// How Chromium ended, once stderr closed before the DevTools address came.
async fn process_status(process: &mut Guarded) -> std::process::ExitStatus {
    use std::os::unix::process::ExitStatusExt;
    match process.exit_status(CLOSE_TIMEOUT).await {
        Some(status) => status,
        None => {
            process.end(CLOSE_TIMEOUT).await;
            std::process::ExitStatus::from_raw(1 << 8)
        }
    }
}

/// A launch that failed half way: the browser ended before the error is returned.
async fn abandon(mut process: Guarded, error: CdpError) -> CdpError {
    process.end(CLOSE_TIMEOUT).await;
    error
}

async fn drain(mut stderr: Stderr, pid: u32) {
    while let Ok(Some(line)) = stderr.next_line().await {
        tracing::trace!(pid, "chromium: {line}");
    }
}

/// Chromium's handler must be polled for the browser's whole life. Per-command errors are normal;
/// a websocket error means the browser is gone, and polling further would hang.
async fn pump(mut handler: Handler, gone: mpsc::Sender<()>) {
    while let Some(item) = handler.next().await {
        if let Err(CdpError::Ws(err)) = item {
            tracing::debug!(error = %err, "CDP connection closed");
            break;
        }
    }
    let _ = gone.try_send(());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_devtools_address_is_read_from_chromiums_line() {
        let line = "DevTools listening on ws://127.0.0.1:40001/devtools/browser/ab-cd\n";
        assert_eq!(
            devtools_url(line).as_deref(),
            Some("ws://127.0.0.1:40001/devtools/browser/ab-cd")
        );
        assert_eq!(
            devtools_url("[1:2:ERROR:bus.cc] listening on nothing"),
            None
        );
    }

    #[test]
    fn the_command_line_names_the_profile_once_and_no_flag_twice() {
        let args = chromium_args(ChromeFlags::Tuned, Path::new("/s/conn"));
        assert_eq!(
            args.iter()
                .filter(|a| a.starts_with("--user-data-dir="))
                .count(),
            1
        );
        assert!(args.contains(&"--user-data-dir=/s/conn".to_owned()));
        let mut unique = args.clone();
        unique.sort();
        unique.dedup();
        assert_eq!(unique.len(), args.len(), "{args:?}");
        assert!(args.contains(&"--password-store=basic".to_owned()));
        let plain = chromium_args(ChromeFlags::Plain, Path::new("/s/conn"));
        assert!(!plain.iter().any(|a| a.starts_with("--disable-features")));
    }
}
