//! Test helpers: a simulator per test and a real headless Chromium that always gets closed.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chromiumoxide::cdp::js_protocol::runtime::{AddBindingParams, EventBindingCalled};
use chromiumoxide::{Browser, BrowserConfig, Page};
use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::Value;
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
    let Socket, Conn, Cmd, Msg;
    try {
      Socket = window.require('WAWebSocketModel').Socket;
      Conn = window.require('WAWebConnModel').Conn;
      Cmd = window.require('WAWebCmd').Cmd;
      Msg = window.require('WAWebCollections').Msg;
    } catch (e) { emit({ ev: 'require-failed', error: String(e) }); return; }
    emit({ ev: 'ready', state: Socket.state, ref: Conn.ref });
    Socket.on('change:state', (_s, state) => emit({ ev: 'state', state, ref: Conn.ref }));
    Socket.on('change:hasSynced', (_s, value) => emit({ ev: 'hasSynced', value }));
    Conn.on('change:ref', (_c, ref) => emit({ ev: 'ref', ref }));
    ['logout', 'logout_from_bridge', 'offline_progress_update_from_bridge'].forEach((name) => Cmd.on(name, () => emit({ ev: name })));
    Msg.on('add', (m) => emit({ ev: 'msg-add', id: m.id._serialized, isNewMsg: m.isNewMsg, type: m.type, body: m.body,
      fromMe: m.id.fromMe, from: String(m.from), author: m.author ? String(m.author) : null, notifyName: m.notifyName }));
    Msg.on('change:ack', (m, ack) => emit({ ev: 'ack', id: m.id._serialized, ack }));
    Msg.on('change:type', (m, type) => emit({ ev: 'type', id: m.id._serialized, type, body: m.body }));
  };
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

/// A headless Chromium with one page and an event log fed by the observer.
pub struct TestBrowser {
    browser: Browser,
    handler: JoinHandle<()>,
    listener: JoinHandle<()>,
    pub page: Page,
    events: Arc<Mutex<Vec<Value>>>,
}

impl TestBrowser {
    /// Launches Chromium on `profile` (its `--user-data-dir`).
    pub async fn launch(profile: &Path) -> TestBrowser {
        let config = BrowserConfig::builder()
            .chrome_executable(chromium())
            .disable_default_args()
            // Headless comes from the explicit `headless=new` below, not from the builder.
            .with_head()
            .no_sandbox()
            .user_data_dir(profile)
            .window_size(1280, 800)
            .viewport(None)
            .args([
                "headless=new",
                "disable-gpu",
                "disable-quic",
                "no-first-run",
                "disable-background-networking",
                "disable-component-update",
                "disable-sync",
                "disable-dev-shm-usage",
                "password-store=basic",
                "disable-blink-features=AutomationControlled",
                "disable-background-timer-throttling",
                "disable-renderer-backgrounding",
                "disable-backgrounding-occluded-windows",
                "disable-features=WebUIOmniboxPopup,WebUIOmniboxAimPopup,WebUIOmniboxFullPopup,PreloadTopChromeWebUI",
            ])
            .arg(format!("user-agent={USER_AGENT}"))
            .build()
            .expect("browser config");
        let (mut browser, mut handler) = Browser::launch(config).await.expect("launch Chromium");
        let handler = tokio::spawn(async move {
            while let Some(event) = handler.next().await {
                if let Err(chromiumoxide::error::CdpError::Ws(_)) = event {
                    break;
                }
            }
        });
        let page = match browser.new_page("about:blank").await {
            Ok(page) => page,
            Err(e) => {
                let _ = browser.kill().await;
                panic!("new page: {e}");
            }
        };
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
        }
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

    /// Closes Chromium and waits for it; kills it if it does not exit.
    pub async fn close(mut self) {
        let _ = tokio::time::timeout(Duration::from_secs(5), self.browser.close()).await;
        let exited = tokio::time::timeout(Duration::from_secs(5), self.browser.wait()).await;
        if !matches!(exited, Ok(Ok(_))) {
            let _ = self.browser.kill().await;
        }
        self.listener.abort();
        let _ = tokio::time::timeout(Duration::from_secs(5), &mut self.handler).await;
        self.handler.abort();
    }
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
    let qr = shown_qr(browser).await;
    let result = sim.scan(&qr, number, "Tester").await.expect("scan");
    wait_state(browser, "CONNECTED").await;
    wait_synced(browser).await;
    result
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
