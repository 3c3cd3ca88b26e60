//! Test helpers: a simulator per test and a real headless Chromium that always gets closed, and
//! that dies with the test process however it ends.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use std::process::Stdio;

use chromiumoxide::cdp::js_protocol::runtime::{AddBindingParams, EventBindingCalled};
use chromiumoxide::handler::HandlerConfig;
use chromiumoxide::{Browser, Page};
use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader};
use tokio::process::{Child, ChildStdin};
use tokio::task::JoinHandle;

/// Long enough for a loaded 2-core machine, short enough to fail a stuck test.
pub const DEADLINE: Duration = Duration::from_secs(30);

const USER_AGENT: &str =
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/136.0.0.0 Safari/537.36";

/// Records what the page's models do, through a CDP binding that survives navigations.
/// Written against the documented surface only, like any driver.
const OBSERVER: &str = r#"(() => {
  const emit = (ev) => { try { window.simTestEvent(JSON.stringify(Object.assign({ url: location.href }, ev))); } catch (e) {} };
  emit({ ev: 'load' });
  const attach = () => {
    if (!window.Debug || !window.Debug.VERSION) return setTimeout(attach, 20);
    let Socket, Conn, Cmd;
    try {
      Socket = window.require('WAWebSocketModel').Socket;
      Conn = window.require('WAWebConnModel').Conn;
      Cmd = window.require('WAWebCmd').Cmd;
    } catch (e) { emit({ ev: 'require-failed', error: String(e) }); return; }
    emit({ ev: 'ready', state: Socket.state, ref: Conn.ref });
    Socket.on('change:state', (_s, state) => emit({ ev: 'state', state, ref: Conn.ref }));
    Socket.on('change:hasSynced', (_s, value) => emit({ ev: 'hasSynced', value }));
    Conn.on('change:ref', (_c, ref) => emit({ ev: 'ref', ref }));
    ['logout', 'logout_from_bridge', 'offline_progress_update_from_bridge'].forEach((name) => Cmd.on(name, () => emit({ ev: name })));
    // The message modules exist only once the account is CONNECTED (the second phase).
    let watching = false;
    const watchMessages = () => {
      if (watching || Socket.state !== 'CONNECTED') return;
      watching = true;
      let Msg;
      try { Msg = window.require('WAWebCollections').Msg; } catch (e) { emit({ ev: 'require-failed', error: String(e) }); return; }
      for (const m of Msg.getModelsArray()) emitAdd(m);
      Msg.on('add', emitAdd);
      Msg.on('change:ack', (m, ack) => emit({ ev: 'ack', id: m.id._serialized, ack }));
      Msg.on('change:type', (m, type) => emit({ ev: 'type', id: m.id._serialized, type, body: m.body }));
    };
    Socket.on('change:state', watchMessages);
    watchMessages();
  };
  const emitAdd = (m) => emit({ ev: 'msg-add', id: m.id._serialized, isNewMsg: m.isNewMsg, type: m.type, body: m.body,
      fromMe: m.id.fromMe, from: String(m.from), author: m.author ? String(m.author) : null, notifyName: m.notifyName });
  attach();
})();"#;

/// The real Chromium binary, or the Debian wrapper.
pub fn chromium() -> PathBuf {
    [
        "/usr/lib/chromium/chromium",
        "/usr/bin/chromium",
        "/usr/bin/chromium-browser",
    ]
    .iter()
    .map(PathBuf::from)
    .find(|p| p.exists())
    .expect("Chromium is not installed (apt-get install chromium)")
}

/// Runs the browser's command line (`$@`) in the background and holds it on a lifeline: this
/// shell's stdin is a pipe whose only writer is the test process, so it reaches EOF when the test
/// closes it or dies (SIGKILL included), and then the whole process group (this shell, the
/// browser and every helper of it) is killed. It is the gateway's guard (`wa-gateway __guard`) in
/// shell: the simulator's tests cannot reach the gateway's binary, and `/bin/sh` is everywhere.
const GUARD_SH: &str = r#""$@" </dev/null &
echo "guard: browser pid $!" >&2
while read -r _; do :; done
kill -KILL 0"#;

const CHROMIUM_ARGS: &[&str] = &[
    "--remote-debugging-port=0",
    "--headless=new",
    "--no-sandbox",
    "--disable-setuid-sandbox",
    "--disable-extensions",
    "--window-size=1280,800",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--password-store=basic",
    "--disable-blink-features=AutomationControlled",
    "--disable-background-timer-throttling",
    "--disable-renderer-backgrounding",
    "--disable-backgrounding-occluded-windows",
    "--disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup,PreloadTopChromeWebUI",
];

/// A headless Chromium under [`GUARD_SH`], with one page and an event log fed by the observer.
pub struct TestBrowser {
    browser: Browser,
    handler: JoinHandle<()>,
    listener: JoinHandle<()>,
    pub page: Page,
    events: Arc<Mutex<Vec<Value>>>,
    guard: Child,
    /// Dropping it (or the test dying) ends the browser.
    lifeline: Option<ChildStdin>,
    pid: u32,
    profile: PathBuf,
}

impl TestBrowser {
    /// Launches Chromium on `profile` (its `--user-data-dir`).
    pub async fn launch(profile: &Path) -> TestBrowser {
        let (guard, lifeline, pid, url) = start_guarded(profile).await;
        let config = HandlerConfig {
            viewport: None,
            ..HandlerConfig::default()
        };
        let (browser, mut handler) = Browser::connect_with_config(url, config)
            .await
            .expect("connect to Chromium");
        let handler = tokio::spawn(async move {
            while let Some(event) = handler.next().await {
                if let Err(chromiumoxide::error::CdpError::Ws(_)) = event {
                    break;
                }
            }
        });
        // A panic from here on drops the lifeline, and the guard kills the browser.
        let page = browser.new_page("about:blank").await.expect("new page");
        let events = Arc::new(Mutex::new(Vec::new()));
        let mut stream = page
            .event_listener::<EventBindingCalled>()
            .await
            .expect("binding listener");
        let sink = events.clone();
        let listener = tokio::spawn(async move {
            while let Some(call) = stream.next().await {
                if let Ok(v) = serde_json::from_str::<Value>(&call.payload) {
                    sink.lock().unwrap().push(v);
                }
            }
        });
        page.execute(AddBindingParams::new("simTestEvent"))
            .await
            .expect("add binding");
        page.evaluate_on_new_document(OBSERVER)
            .await
            .expect("observer script");
        TestBrowser {
            browser,
            handler,
            listener,
            page,
            events,
            guard,
            lifeline,
            pid,
            profile: profile.to_path_buf(),
        }
    }

    /// The Chromium browser process (its guard shell is its parent).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    pub async fn open(&self, url: &str) {
        tokio::time::timeout(DEADLINE, self.page.goto(url))
            .await
            .expect("goto timed out")
            .expect("goto");
    }

    /// Another tab in the same browser (the same profile).
    pub async fn new_tab(&self, url: &str) -> Page {
        tokio::time::timeout(DEADLINE, self.browser.new_page(url))
            .await
            .expect("new tab timed out")
            .expect("new tab")
    }

    /// A PNG of what `page` shows, saved under the test target folder; returns its path.
    pub async fn screenshot(page: &Page, name: &str) -> PathBuf {
        use chromiumoxide::cdp::browser_protocol::page::CaptureScreenshotFormat;
        use chromiumoxide::page::ScreenshotParams;
        let params = ScreenshotParams::builder()
            .format(CaptureScreenshotFormat::Png)
            .build();
        let png = tokio::time::timeout(DEADLINE, page.screenshot(params))
            .await
            .expect("screenshot timed out")
            .expect("screenshot");
        let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("wa-sim-screenshots");
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Evaluates `js` (promises awaited); page errors come back as `Err`.
    pub async fn eval<T: DeserializeOwned>(&self, js: &str) -> Result<T, String> {
        let result = tokio::time::timeout(Duration::from_secs(10), self.page.evaluate(js))
            .await
            .map_err(|_| "evaluate timed out".to_string())?
            .map_err(|e| e.to_string())?;
        // `undefined` has no value: read it as null.
        let value = result.value().cloned().unwrap_or(Value::Null);
        serde_json::from_value(value).map_err(|e| e.to_string())
    }

    /// Polls `js` until it returns something other than null/false; panics after the deadline.
    pub async fn wait_for(&self, what: &str, js: &str) -> Value {
        let started = Instant::now();
        let mut last = String::new();
        loop {
            match self.eval::<Value>(js).await {
                Ok(Value::Null) | Ok(Value::Bool(false)) => {}
                Ok(v) => return v,
                Err(e) => last = e,
            }
            assert!(
                started.elapsed() < DEADLINE,
                "timed out waiting for {what} (last error: {last})"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Everything the observer recorded so far.
    pub fn events(&self) -> Vec<Value> {
        self.events.lock().unwrap().clone()
    }

    /// Waits until an event matches; returns it.
    pub async fn wait_event(&self, what: &str, matches: impl Fn(&Value) -> bool) -> Value {
        let started = Instant::now();
        loop {
            if let Some(e) = self.events().into_iter().find(|e| matches(e)) {
                return e;
            }
            assert!(
                started.elapsed() < DEADLINE,
                "timed out waiting for event: {what}\nevents: {:#?}",
                self.events()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    pub fn clear_events(&self) {
        self.events.lock().unwrap().clear();
    }

    /// Closes Chromium and waits for it (it writes its profile on the way out); then the guard
    /// kills whatever is left and exits.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.browser.close()).await;
        let started = Instant::now();
        while is_running(self.pid) && started.elapsed() < Duration::from_secs(5) {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.lifeline = None;
        let _ = tokio::time::timeout(Duration::from_secs(5), self.guard.wait()).await;
        // The guard's SIGKILL reaches the browser's helpers at once, but they leave /proc a
        // moment later: closed means gone.
        let started = Instant::now();
        while !profile_users(&self.profile).is_empty() && started.elapsed() < DEADLINE {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        self.listener.abort();
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut self.handler).await;
        self.handler.abort();
    }
}

/// Starts Chromium under the guard; returns the guard, its lifeline, the browser's pid and the
/// DevTools address Chromium prints on stderr.
async fn start_guarded(profile: &Path) -> (Child, Option<ChildStdin>, u32, String) {
    let mut guard = tokio::process::Command::new("/bin/sh")
        .args(["-c", GUARD_SH, "wa-sim-test-guard"])
        .arg(chromium())
        .args(CHROMIUM_ARGS)
        .arg(format!("--user-data-dir={}", profile.display()))
        .arg(format!("--user-agent={USER_AGENT}"))
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("launch Chromium");
    let lifeline = guard.stdin.take();
    let mut lines = BufReader::new(guard.stderr.take().unwrap()).lines();
    let read = tokio::time::timeout(DEADLINE, async {
        let (mut pid, mut url) = (None, None);
        while let Some(line) = lines.next_line().await.ok().flatten() {
            if let Some(p) = line.strip_prefix("guard: browser pid ") {
                pid = p.trim().parse::<u32>().ok();
            } else if let Some((_, u)) = line.rsplit_once("listening on ") {
                url = Some(u.trim().to_owned());
            }
            if let (Some(pid), Some(url)) = (pid, &url) {
                return Some((pid, url.clone()));
            }
        }
        None
    });
    let (pid, url) = read
        .await
        .ok()
        .flatten()
        .expect("Chromium prints its DevTools address");
    // Chromium writes to stderr for its whole life: keep reading so it never blocks.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (guard, lifeline, pid, url)
}

/// Alive and not yet a zombie (its guard reaps it only later).
pub fn is_running(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| {
            s.rsplit_once(')')
                .map(|(_, rest)| rest.trim_start().starts_with('Z'))
        })
        .is_some_and(|zombie| !zombie)
}

/// The QR string the page shows, read from the old-style markup.
pub async fn shown_qr(browser: &TestBrowser) -> String {
    let js = "(() => { const d = document.querySelector('div[data-ref]'); return d && d.dataset.ref ? d.dataset.ref : null; })()";
    browser
        .wait_for("a QR in div[data-ref]", js)
        .await
        .as_str()
        .unwrap()
        .to_string()
}

/// Waits for `Socket.state` to equal `state`.
pub async fn wait_state(browser: &TestBrowser, state: &str) {
    let js = format!(
        "(() => {{ try {{ return window.require('WAWebSocketModel').Socket.state === '{state}'; }} catch (e) {{ return false; }} }})()"
    );
    browser
        .wait_for(&format!("Socket.state {state}"), &js)
        .await;
}

/// Waits for `Socket.hasSynced === true`.
pub async fn wait_synced(browser: &TestBrowser) {
    let js = "(() => { try { return window.require('WAWebSocketModel').Socket.hasSynced === true; } catch (e) { return false; } })()";
    browser.wait_for("Socket.hasSynced", js).await;
}

/// Opens the simulator, scans the QR as `number` and waits until the page is linked and synced.
pub async fn link(
    browser: &TestBrowser,
    sim: &wa_sim::Simulator,
    number: &str,
) -> wa_sim::ScanResult {
    browser.open(&sim.base_url()).await;
    let result = scan_shown(browser, sim, number).await;
    wait_state(browser, "CONNECTED").await;
    wait_synced(browser).await;
    result
}

/// Scans the QR the page shows. On a loaded machine the fast test timing can rotate the code
/// between reading and scanning; a phone then simply scans the new one, and so does this.
pub async fn scan_shown(
    browser: &TestBrowser,
    sim: &wa_sim::Simulator,
    number: &str,
) -> wa_sim::ScanResult {
    let mut qr = shown_qr(browser).await;
    for _ in 0..5 {
        match sim.scan(&qr, number, "Tester").await {
            Err(wa_sim::SimError::StaleQr) => qr = next_qr(browser, &qr).await,
            other => return other.expect("scan"),
        }
    }
    panic!("every QR read from the page had rotated before it was scanned")
}

/// Waits for the page to show a QR other than `seen`.
async fn next_qr(browser: &TestBrowser, seen: &str) -> String {
    let seen_ref = seen.split(',').next().unwrap_or_default();
    let js = format!(
        "(() => {{ const d = document.querySelector('div[data-ref]'); const r = d && d.dataset.ref; return r && r.split(',')[0] !== {seen_ref:?} ? r : null; }})()"
    );
    browser
        .wait_for("a new QR in div[data-ref]", &js)
        .await
        .as_str()
        .unwrap()
        .to_string()
}

/// Waits, with a deadline, until no live process names `dir`; returns those still left.
pub async fn processes_gone(dir: &Path) -> Vec<u32> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    loop {
        let left = processes_using(dir);
        if left.is_empty() || std::time::Instant::now() > deadline {
            return left;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

/// Copies a folder tree.
pub fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Live processes whose command line names `dir` (a browser and its helpers run on a profile
/// under it).
pub fn processes_using(dir: &Path) -> Vec<u32> {
    let needle = format!("{}/", dir.display());
    processes_where(|cmdline| cmdline.contains(&needle))
}

/// Live processes started with `profile` as their `--user-data-dir`. The zygote rewrites its
/// command line into one space-separated string, so an argument ends at a NUL, a space or the end.
fn profile_users(profile: &Path) -> Vec<u32> {
    let arg = format!("--user-data-dir={}", profile.display());
    processes_where(|cmdline| {
        cmdline.match_indices(&arg).any(|(at, _)| {
            matches!(
                cmdline[at + arg.len()..].chars().next(),
                None | Some(' ' | '\0')
            )
        })
    })
}

fn processes_where(matches: impl Fn(&str) -> bool) -> Vec<u32> {
    std::fs::read_dir("/proc")
        .into_iter()
        .flatten()
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|c| matches(&String::from_utf8_lossy(&c)))
        })
        .filter(|pid| is_running(*pid))
        .collect()
}
