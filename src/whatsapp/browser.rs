//! Launching and closing one connection's Chromium: explicit flags (see CHROMIUM_NOTES.md), its own
//! profile folder, the CDP handler polled in its own task, and a clean close that reaps the process.

use std::path::{Path, PathBuf};
use std::time::Duration;

use chromiumoxide::browser::{Browser, BrowserConfig};
use chromiumoxide::error::CdpError;
use chromiumoxide::Handler;
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::driver::LaunchSpec;
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
    (
        "disable-features",
        "WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup,PreloadTopChromeWebUI,Translate,MediaRouter,SpareRendererForSitePerProcess",
    ),
];

/// A running Chromium and the task that drives its CDP connection.
pub struct BrowserProcess {
    pub browser: Browser,
    handler: JoinHandle<()>,
    pid: Option<u32>,
}

impl BrowserProcess {
    /// Starts Chromium on `profile_dir`. `gone` receives one message when the CDP connection dies
    /// (browser crashed, was killed, or closed).
    pub async fn launch(spec: &LaunchSpec, gone: mpsc::Sender<()>) -> Result<Self, CdpError> {
        remove_stale_locks(&spec.profile_dir);
        let builder = BrowserConfig::builder()
            .chrome_executable(&spec.chrome_path)
            .user_data_dir(&spec.profile_dir)
            .disable_default_args()
            .new_headless_mode()
            .no_sandbox()
            .viewport(None)
            .launch_timeout(LAUNCH_TIMEOUT);
        let builder = match spec.flags {
            ChromeFlags::Tuned => builder
                .args(FLAGS.iter().copied())
                .args(VALUE_FLAGS.iter().copied()),
            ChromeFlags::Plain => builder.args(PLAIN_FLAGS.iter().copied()),
        };
        let config = builder.build().map_err(CdpError::msg)?;
        let (mut browser, handler) = Browser::launch(config).await?;
        let pid = browser.get_mut_child().and_then(|c| c.as_mut_inner().id());
        let handler = tokio::spawn(pump(handler, gone));
        Ok(Self {
            browser,
            handler,
            pid,
        })
    }

    pub fn pid(&self) -> Option<u32> {
        self.pid
    }

    /// Asks Chromium to close, waits for the process, kills it if it lingers, joins the handler.
    pub async fn close(mut self) {
        let closed = tokio::time::timeout(CLOSE_TIMEOUT, self.browser.close()).await;
        let exited = match closed {
            Ok(Ok(_)) => tokio::time::timeout(CLOSE_TIMEOUT, self.browser.wait())
                .await
                .is_ok(),
            _ => false,
        };
        if !exited {
            tracing::debug!(pid = ?self.pid, "browser did not close in time; killing it");
            let _ = self.browser.kill().await;
        }
        self.handler.abort();
        let _ = self.handler.await;
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

/// A `SingletonLock` left by a killed browser (or naming another host after a restore) makes
/// Chromium refuse the profile; only this connection's session ever uses the folder.
fn remove_stale_locks(profile_dir: &Path) {
    for name in [
        "SingletonLock",
        "SingletonCookie",
        "SingletonSocket",
        "DevToolsActivePort",
    ] {
        let path: PathBuf = profile_dir.join(name);
        if path.symlink_metadata().is_ok() {
            let _ = std::fs::remove_file(&path);
        }
    }
}
