//! The dashboard in a real headless Chromium, for tests/dashboard.rs: the gateway's own guarded
//! browser launcher on a profile under the test's folder (so `TestApp`'s drop ends it too), a
//! record of every console error, uncaught exception and Content-Security-Policy violation, page
//! helpers (click, type, wait), screenshots kept under `<target>/dashboard-screenshots/`, and
//! axe-core from `tests/axe` for the accessibility checks.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chromiumoxide::cdp::browser_protocol::emulation::SetDeviceMetricsOverrideParams;
use chromiumoxide::cdp::browser_protocol::log::{EventEntryAdded, LogEntryLevel};
use chromiumoxide::cdp::js_protocol::runtime::{
    AddBindingParams, ConsoleApiCalledType, EventBindingCalled, EventConsoleApiCalled,
    EventExceptionThrown,
};
use chromiumoxide::Page;
use futures::StreamExt;
use serde::de::DeserializeOwned;
use serde_json::Value;
use tokio::task::JoinHandle;
use wa_gateway::whatsapp::{BrowserProcess, LaunchSpec};

use super::{eventually, TestApp, LINK_TIMEOUT};

/// Reports `securitypolicyviolation` events through a binding (they also reach the console, but
/// this names the directive even if the browser's console wording changes).
const CSP_WATCH: &str = "document.addEventListener('securitypolicyviolation', (e) => \
    window.dashboardTestViolation(JSON.stringify({directive: e.violatedDirective, blocked: e.blockedURI, \
    source: e.sourceFile, line: e.lineNumber})));";

const AXE: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/axe/node_modules/axe-core/axe.min.js"
);

pub struct Dashboard {
    browser: Option<BrowserProcess>,
    pub page: Page,
    base: String,
    problems: Arc<Mutex<Vec<String>>>,
    listeners: Vec<JoinHandle<()>>,
}

impl Dashboard {
    /// A browser for `app`'s dashboard, not yet on any page, at a desktop size.
    pub async fn launch(app: &TestApp) -> Self {
        let config = wa_gateway::Config::from_map(&Default::default()).expect("defaults");
        let spec = LaunchSpec {
            chrome_path: config.chrome_path,
            profile_dir: app.dir.path().join("dashboard-browser"),
            url: "about:blank".into(),
            flags: config.chrome_flags,
        };
        let (gone, _) = tokio::sync::mpsc::channel(1);
        let browser = BrowserProcess::launch(&spec, gone)
            .await
            .expect("the test browser starts");
        let page = browser
            .browser
            .new_page("about:blank")
            .await
            .expect("a tab");
        let mut dashboard = Self {
            browser: Some(browser),
            page,
            base: app.api.base.clone(),
            problems: Arc::default(),
            listeners: Vec::new(),
        };
        dashboard.listen().await;
        dashboard.resize(1280, 900, false).await;
        dashboard
    }

    /// Records console errors, exceptions, error log entries and CSP violations.
    async fn listen(&mut self) {
        let page = self.page.clone();
        self.record::<EventConsoleApiCalled>(&page, |e| {
            let error = matches!(
                e.r#type,
                ConsoleApiCalledType::Error | ConsoleApiCalledType::Assert
            );
            let args: Vec<String> = e.args.iter().map(|a| format!("{:?}", a.value)).collect();
            error.then(|| format!("console.error: {}", args.join(" ")))
        })
        .await;
        self.record::<EventExceptionThrown>(&page, |e| {
            let d = &e.exception_details;
            let what = d.exception.as_ref().and_then(|x| x.description.clone());
            Some(format!("exception: {} {what:?}", d.text))
        })
        .await;
        self.record::<EventEntryAdded>(&page, |e| {
            let entry = &e.entry;
            (entry.level == LogEntryLevel::Error)
                .then(|| format!("log error: {} {:?}", entry.text, entry.url))
        })
        .await;
        self.record::<EventBindingCalled>(&page, |e| {
            (e.name == "dashboardTestViolation").then(|| format!("CSP violation: {}", e.payload))
        })
        .await;
        page.execute(AddBindingParams::new("dashboardTestViolation"))
            .await
            .unwrap();
        page.evaluate_on_new_document(CSP_WATCH).await.unwrap();
    }

    /// Keeps what `problem` makes of each event of kind `E` as a problem.
    async fn record<E>(&mut self, page: &Page, problem: fn(&E) -> Option<String>)
    where
        E: chromiumoxide::cdp::IntoEventKind + Unpin + std::fmt::Debug + Send + Sync + 'static,
    {
        let mut events = page.event_listener::<E>().await.expect("an event listener");
        let problems = self.problems.clone();
        self.listeners.push(tokio::spawn(async move {
            while let Some(event) = events.next().await {
                if let Some(p) = problem(&event) {
                    problems.lock().unwrap().push(p);
                }
            }
        }));
    }

    /// The window size (CSS pixels); `mobile` emulates a phone.
    pub async fn resize(&self, width: i64, height: i64, mobile: bool) {
        let params = SetDeviceMetricsOverrideParams::new(width, height, 1.0, mobile);
        self.page.execute(params).await.expect("resize");
    }

    pub fn url(&self, hash: &str) -> String {
        format!("{}/dashboard/{hash}", self.base)
    }

    /// Loads the dashboard at `hash` (`#/connections`): a full page load.
    pub async fn open(&self, hash: &str) {
        let url = self.url(hash);
        tokio::time::timeout(LINK_TIMEOUT, self.page.goto(url))
            .await
            .expect("the dashboard loads in time")
            .expect("the dashboard loads");
    }

    /// Loads the page again (a full load, as the browser's reload button does).
    pub async fn reload(&self) {
        tokio::time::timeout(LINK_TIMEOUT, self.page.reload())
            .await
            .expect("the dashboard reloads in time")
            .expect("the dashboard reloads");
    }

    /// Goes to another page of the dashboard without reloading it.
    pub async fn go(&self, hash: &str) {
        self.eval::<Value>(&format!("location.hash = {}", serde_json::json!(hash)))
            .await;
    }

    /// Signs in through the form with `key`, and waits for the navigation to appear.
    pub async fn sign_in(&self, key: &str) {
        self.wait_for("the sign-in form", "document.querySelector('#api-key')")
            .await;
        self.type_into("#api-key", key).await;
        self.click("#signin-submit").await;
        self.wait_for(
            "the navigation after sign-in",
            "!document.querySelector('#nav').hidden",
        )
        .await;
    }

    /// Evaluates `js` (promises awaited); panics on a page error.
    pub async fn eval<T: DeserializeOwned>(&self, js: &str) -> T {
        self.try_eval(js)
            .await
            .unwrap_or_else(|e| panic!("{js}: {e}"))
    }

    pub async fn try_eval<T: DeserializeOwned>(&self, js: &str) -> Result<T, String> {
        let result = tokio::time::timeout(Duration::from_secs(20), self.page.evaluate(js))
            .await
            .map_err(|_| "evaluate timed out".to_owned())?
            .map_err(|e| e.to_string())?;
        let value = result.value().cloned().unwrap_or(Value::Null);
        serde_json::from_value(value).map_err(|e| e.to_string())
    }

    /// Polls `js` until it gives something other than null, false or undefined. On timeout the
    /// page is saved as `timeout-<what>.png` before the test fails, for CI to keep.
    pub async fn wait_for(&self, what: &str, js: &str) -> Value {
        let deadline = tokio::time::Instant::now() + LINK_TIMEOUT;
        loop {
            match self.try_eval::<Value>(js).await {
                Ok(Value::Null | Value::Bool(false)) | Err(_) => {}
                Ok(v) => return v,
            }
            if tokio::time::Instant::now() >= deadline {
                let name: String = what
                    .chars()
                    .map(|c| if c.is_ascii_alphanumeric() { c } else { '-' })
                    .collect();
                let shot = self.screenshot(&format!("timeout-{name}")).await;
                panic!(
                    "timed out after {LINK_TIMEOUT:?} waiting until {what} (page saved as {}); \
                     problems so far: {:#?}",
                    shot.display(),
                    self.problems()
                );
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// The text of the first element matching `selector`, once there is one.
    pub async fn text(&self, selector: &str) -> String {
        let js = format!(
            "(() => {{ const e = document.querySelector({}); return e ? e.textContent : null; }})()",
            serde_json::json!(selector)
        );
        self.wait_for(&format!("{selector} exists"), &js)
            .await
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }

    /// A real mouse click in the middle of the element, once it is there. Pages redraw from live
    /// events, so an element found just before a redraw is looked up again.
    pub async fn click(&self, selector: &str) {
        eventually(&format!("{selector} is clicked"), LINK_TIMEOUT, || async {
            let element = self.page.find_element(selector).await.ok()?;
            element.click().await.ok().map(|_| ())
        })
        .await;
    }

    /// Clicks into the field and types `text` key by key.
    pub async fn type_into(&self, selector: &str, text: &str) {
        self.click(selector).await;
        let element = self.page.find_element(selector).await.unwrap();
        element
            .type_str(text)
            .await
            .unwrap_or_else(|e| panic!("type into {selector}: {e}"));
    }

    /// Presses and releases a key (`Tab`, `Enter`) on whatever has the focus, as a keyboard does.
    pub async fn press(&self, key: &str) {
        use chromiumoxide::cdp::browser_protocol::input::{
            DispatchKeyEventParams, DispatchKeyEventType,
        };
        let (code, text) = match key {
            "Tab" => (9, None),
            "Enter" => (13, Some("\r")),
            other => panic!("no key code for {other}"),
        };
        for kind in [DispatchKeyEventType::KeyDown, DispatchKeyEventType::KeyUp] {
            let mut p = DispatchKeyEventParams::builder()
                .r#type(kind.clone())
                .key(key)
                .code(key)
                .windows_virtual_key_code(code)
                .native_virtual_key_code(code);
            if let (DispatchKeyEventType::KeyDown, Some(t)) = (&kind, text) {
                p = p.text(t);
            }
            self.page
                .execute(p.build().unwrap())
                .await
                .expect("key event");
        }
    }

    /// Picks `value` in a `<select>` as a user would (and tells the page it changed).
    pub async fn select(&self, selector: &str, value: &str) {
        let js = format!(
            "(() => {{ const s = document.querySelector({}); s.value = {}; s.dispatchEvent(new Event('change', {{bubbles: true}})); return s.value; }})()",
            serde_json::json!(selector),
            serde_json::json!(value)
        );
        let chosen: String = self.eval(&js).await;
        assert_eq!(chosen, value, "{selector} has the option {value}");
    }

    /// Chooses `path` in a file input, as the file picker would.
    pub async fn set_file(&self, selector: &str, path: &std::path::Path) {
        use chromiumoxide::cdp::browser_protocol::dom::SetFileInputFilesParams;
        let element = self
            .page
            .find_element(selector)
            .await
            .expect("the file input");
        let params = SetFileInputFilesParams::builder()
            .files(vec![path.display().to_string()])
            .backend_node_id(element.backend_node_id)
            .build()
            .unwrap();
        self.page.execute(params).await.expect("choose the file");
    }

    /// Saves a PNG of the page under `<target>/dashboard-screenshots/`; returns its path.
    pub async fn screenshot(&self, name: &str) -> PathBuf {
        use chromiumoxide::cdp::browser_protocol::page::CaptureScreenshotFormat;
        use chromiumoxide::page::ScreenshotParams;
        let params = ScreenshotParams::builder()
            .format(CaptureScreenshotFormat::Png)
            .build();
        let png = tokio::time::timeout(Duration::from_secs(20), self.page.screenshot(params))
            .await
            .expect("screenshot in time")
            .expect("screenshot");
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("{name}.png"));
        std::fs::write(&path, png).unwrap();
        path
    }

    /// Runs axe-core on the page as it is; panics on any serious or critical violation.
    pub async fn assert_accessible(&self, what: &str) {
        let loaded: bool = self.eval("typeof window.axe === 'object'").await;
        if !loaded {
            let source = std::fs::read_to_string(AXE)
                .unwrap_or_else(|e| panic!("{AXE}: {e} (run `.ci/install-deps.sh test`)"));
            self.eval::<Value>(&format!("{source};true")).await;
        }
        let js = "axe.run(document, { resultTypes: ['violations'] }).then((r) => r.violations \
            .filter((v) => v.impact === 'serious' || v.impact === 'critical') \
            .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => n.target.join(' ')) })))";
        let serious: Vec<Value> = self.eval(js).await;
        assert!(
            serious.is_empty(),
            "axe finds serious violations on {what}: {}",
            serde_json::to_string_pretty(&serious).unwrap()
        );
    }

    /// Everything that went wrong in the page so far.
    pub fn problems(&self) -> Vec<String> {
        self.problems.lock().unwrap().clone()
    }

    /// Saves the final screenshot, asserts that the page logged no error and broke no CSP rule,
    /// and closes the browser.
    pub async fn finish(mut self, name: &str) {
        let shot = self.screenshot(name).await;
        eprintln!("screenshot: {}", shot.display());
        let problems = self.problems();
        self.close().await;
        assert!(
            problems.is_empty(),
            "the dashboard logged errors: {problems:#?}"
        );
    }

    pub async fn close(&mut self) {
        for l in self.listeners.drain(..) {
            l.abort();
        }
        if let Some(browser) = self.browser.take() {
            browser.close().await;
        }
    }
}

/// `<target>/dashboard-screenshots`: CI keeps it.
pub fn screenshot_dir() -> PathBuf {
    let tmp = PathBuf::from(env!("CARGO_TARGET_TMPDIR"));
    tmp.parent().unwrap_or(&tmp).join("dashboard-screenshots")
}

/// Every file under `assets/dashboard/` but the page itself, as `pages/link.js`: each must be
/// served (a file left out of the binary's list would fail here).
pub fn asset_names() -> Vec<String> {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("assets/dashboard");
    let mut names = Vec::new();
    let mut dirs = vec![root.clone()];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                dirs.push(path);
            } else if !path.ends_with("index.html") {
                let name = path.strip_prefix(&root).unwrap().display().to_string();
                names.push(name);
            }
        }
    }
    names.sort();
    names
}
