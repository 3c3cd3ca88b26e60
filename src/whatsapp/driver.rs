//! The Chromium driver: one page running WhatsApp Web with the driver script (`page/*.js`)
//! injected. It turns binding calls into typed [`PageEvent`]s and runs commands (send, logout,
//! feature operations) with a timeout on every call.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use chromiumoxide::cdp::browser_protocol::emulation::SetUserAgentOverrideParams;
use chromiumoxide::cdp::browser_protocol::page::AddScriptToEvaluateOnNewDocumentParams;
use chromiumoxide::cdp::browser_protocol::target::{CloseTargetParams, EventTargetCrashed};
use chromiumoxide::cdp::js_protocol::runtime::{AddBindingParams, EventBindingCalled};
use chromiumoxide::Page;
use futures::StreamExt;
use serde::Deserialize;
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::browser::BrowserProcess;
use super::caller::{self, ChromiumCaller};
use super::events::PageEvent;
use super::load::{self, Outcome};
use super::port::{Driver, Launcher, PageCaller};
use super::OutgoingMessage;
use crate::config::ChromeFlags;

/// The driver script: the files of `page/`, joined into one function body (see `page/prelude.js`).
const DRIVER_JS: &str = concat!(
    "(() => {\n",
    include_str!("page/prelude.js"),
    include_str!("page/linking.js"),
    include_str!("page/messages.js"),
    include_str!("page/sending.js"),
    include_str!("page/groups.js"),
    include_str!("page/chats.js"),
    include_str!("page/contacts.js"),
    include_str!("page/rich.js"),
    include_str!("page/actions.js"),
    include_str!("page/media.js"),
    include_str!("page/offline.js"),
    include_str!("page/boot.js"),
    "})();\n",
);
const BINDING: &str = "__waGatewayEmit";
/// Every CDP call gets its own deadline: a crashed page would otherwise hang a call for 30 s.
const CALL_TIMEOUT: Duration = Duration::from_secs(15);
const NAVIGATE_TIMEOUT: Duration = Duration::from_secs(60);
/// A send awaits WhatsApp's server ack inside the page for up to 20 s (see page/sending.js).
const SEND_TIMEOUT: Duration = Duration::from_secs(30);
/// A send with media also preps, encrypts and uploads the file in the page (64 MiB takes seconds
/// on the simulator; a slow uplink to WhatsApp's servers takes longer).
const MEDIA_SEND_TIMEOUT: Duration = Duration::from_secs(180);

/// What the driver reports to its session, tagged with the browser generation that produced it so
/// that a late signal from a replaced browser is recognised and ignored.
#[derive(Debug)]
pub struct Signal {
    pub generation: u64,
    pub kind: SignalKind,
}

#[derive(Debug)]
pub enum SignalKind {
    Page(Box<PageEvent>),
    /// The renderer crashed; the browser lives and the page can be reloaded.
    Crashed,
    /// The browser process is gone.
    BrowserGone,
    /// WhatsApp Web's document answered and loaded (after [`Driver::open`]).
    Loaded,
    /// WhatsApp Web's document did not load, in a browser that is fine: a network error
    /// (`net::ERR_NAME_NOT_RESOLVED`), an HTTP error status (`HTTP 503`) or no answer in time.
    LoadFailed(String),
}

#[derive(Debug, thiserror::Error)]
pub enum DriverError {
    #[error("browser: {0}")]
    Browser(#[from] chromiumoxide::error::CdpError),
    #[error("timed out: {0}")]
    Timeout(&'static str),
    #[error("the page is not ready for commands")]
    NotReady,
    #[error("unexpected reply from the page: {0}")]
    BadReply(String),
    /// A feature operation that WhatsApp Web (or the driver on its behalf) refused, with a code
    /// such as `NOT_FOUND` or `FORBIDDEN` (see `page/prelude.js`).
    #[error("{code}: {message}")]
    Refused { code: String, message: String },
}

impl DriverError {
    /// The CDP connection is closed: the browser died (perhaps a moment ago, not yet noticed).
    pub fn is_browser_lost(&self) -> bool {
        use chromiumoxide::error::CdpError;
        matches!(
            self,
            Self::Browser(CdpError::Ws(_) | CdpError::ChannelSendError(_) | CdpError::NoResponse)
        )
    }
}

/// Where and how to start a connection's browser.
#[derive(Debug, Clone)]
pub struct LaunchSpec {
    pub chrome_path: PathBuf,
    pub profile_dir: PathBuf,
    pub url: String,
    pub flags: ChromeFlags,
}

/// The result of a send as the page reports it.
#[derive(Debug, Clone, Deserialize)]
pub struct SendReply {
    pub ok: bool,
    pub id: Option<String>,
    pub t: Option<i64>,
    pub ack: Option<i64>,
    pub code: Option<String>,
    pub detail: Option<String>,
    /// WhatsApp's type of the sent message (`chat`, `location`, `vcard`, `poll_creation`, …).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// What the sent media is (mimetype, size, sha256, …), as on a reported message.
    #[serde(default)]
    pub media: Option<crate::media::MessageMedia>,
}

/// What `linkByPhone` answers: the first code, or why there is none.
#[derive(Debug, Deserialize)]
struct PairingReply {
    code: Option<String>,
    error: Option<String>,
}

/// Starts a real Chromium per connection.
#[derive(Debug, Default, Clone, Copy)]
pub struct ChromiumLauncher;

#[async_trait]
impl Launcher for ChromiumLauncher {
    async fn start(
        &self,
        spec: &LaunchSpec,
        generation: u64,
        signals: mpsc::Sender<Signal>,
    ) -> Result<Box<dyn Driver>, DriverError> {
        Ok(ChromiumDriver::start(spec, generation, signals).await?)
    }
}

/// A Chromium process with the WhatsApp Web page and the tasks forwarding its events.
pub struct ChromiumDriver {
    /// Shared only with the page load, which closes the spare tabs; back to one owner at close.
    process: Arc<BrowserProcess>,
    page: Page,
    spec: LaunchSpec,
    generation: u64,
    signals: mpsc::Sender<Signal>,
    tasks: Vec<JoinHandle<()>>,
    /// The page load in flight (see [`Driver::open`]).
    loading: Mutex<Option<JoinHandle<()>>>,
}

/// A launched browser with its blank page, not yet wired to a session: what a warm spare holds
/// (see [`super::spare`]). Wiring it (the binding, the script) takes milliseconds; launching it
/// most of a second.
pub struct WarmBrowser {
    process: BrowserProcess,
    page: Page,
    gone_rx: mpsc::Receiver<()>,
    spec: LaunchSpec,
}

impl WarmBrowser {
    /// Starts Chromium on `spec`'s profile with one blank page.
    pub async fn launch(spec: &LaunchSpec) -> Result<Self, DriverError> {
        let (gone_tx, gone_rx) = mpsc::channel(1);
        let process = BrowserProcess::launch(spec, gone_tx).await?;
        match open_page(&process).await {
            Ok(page) => Ok(Self {
                process,
                page,
                gone_rx,
                spec: spec.clone(),
            }),
            Err(e) => {
                process.close().await;
                Err(e)
            }
        }
    }

    pub fn spec(&self) -> &LaunchSpec {
        &self.spec
    }

    /// False once the browser died (crashed or killed) while it waited.
    pub fn is_alive(&self) -> bool {
        !self.gone_rx.is_closed() && self.gone_rx.is_empty()
    }

    /// Closes headless Chromium's own new-tab page (a renderer a spare would keep for nothing).
    pub async fn close_other_tabs(&self) {
        close_other_tabs(&self.process, &self.page).await;
    }

    pub async fn close(self) {
        self.process.close().await;
    }
}

impl ChromiumDriver {
    /// Launches the browser and wires the binding and the script; [`Driver::open`] loads the page.
    pub(crate) async fn start(
        spec: &LaunchSpec,
        generation: u64,
        signals: mpsc::Sender<Signal>,
    ) -> Result<Box<Self>, DriverError> {
        let warm = WarmBrowser::launch(spec).await?;
        Self::from_warm(warm, generation, signals).await
    }

    /// Wires a launched browser to a session: its signals carry `generation`.
    pub(crate) async fn from_warm(
        warm: WarmBrowser,
        generation: u64,
        signals: mpsc::Sender<Signal>,
    ) -> Result<Box<Self>, DriverError> {
        let WarmBrowser {
            process,
            page,
            gone_rx,
            spec,
        } = warm;
        let mut driver = Box::new(Self {
            page,
            process: Arc::new(process),
            spec,
            generation,
            signals,
            tasks: Vec::new(),
            loading: Mutex::new(None),
        });
        if let Err(e) = driver.wire(gone_rx).await {
            driver.close().await;
            return Err(e);
        }
        Ok(driver)
    }

    async fn wire(&mut self, gone_rx: mpsc::Receiver<()>) -> Result<(), DriverError> {
        // Order matters: listen first, then add the binding, then the script; `open` navigates.
        self.listen(gone_rx).await?;
        timed(
            self.page.execute(AddBindingParams::new(BINDING)),
            "addBinding",
        )
        .await?;
        let ua = desktop_user_agent(&self.process).await?;
        timed(
            self.page.execute(SetUserAgentOverrideParams::new(ua)),
            "setUserAgent",
        )
        .await?;
        timed(
            self.page
                .execute(AddScriptToEvaluateOnNewDocumentParams::new(DRIVER_JS)),
            "addScript",
        )
        .await?;
        Ok(())
    }

    /// Forwards the page's binding calls, renderer crashes and the browser's death as signals.
    async fn listen(&mut self, gone_rx: mpsc::Receiver<()>) -> Result<(), DriverError> {
        let (generation, signals) = (self.generation, self.signals.clone());
        let bindings = self.page.event_listener::<EventBindingCalled>().await?;
        let crashes = self
            .process
            .browser
            .event_listener::<EventTargetCrashed>()
            .await?;
        self.tasks.push(tokio::spawn(forward_bindings(
            bindings,
            generation,
            signals.clone(),
        )));
        self.tasks.push(tokio::spawn(forward_crashes(
            crashes,
            generation,
            signals.clone(),
        )));
        self.tasks
            .push(tokio::spawn(forward_gone(gone_rx, generation, signals)));
        Ok(())
    }

    async fn eval<T: serde::de::DeserializeOwned>(
        &self,
        expr: &str,
        limit: Duration,
        what: &'static str,
    ) -> Result<T, DriverError> {
        caller::evaluate(&self.page, expr, limit, what).await
    }
}

#[async_trait]
impl Driver for ChromiumDriver {
    fn pid(&self) -> Option<u32> {
        self.process.pid()
    }

    fn caller(&self) -> Arc<dyn PageCaller> {
        Arc::new(ChromiumCaller {
            page: self.page.clone(),
        })
    }

    async fn send(&self, to: &str, message: &OutgoingMessage) -> Result<SendReply, DriverError> {
        let message_has_media = message.parts.contains_key("media");
        // JSON is a JavaScript expression: the message needs no other encoding.
        let message = serde_json::to_string(message).expect("messages serialize");
        let expr = format!(
            "window.__waGateway ? window.__waGateway.send({}, {message}) : null",
            js_string(to),
        );
        let limit = if message_has_media {
            MEDIA_SEND_TIMEOUT
        } else {
            SEND_TIMEOUT
        };
        let value: Option<SendReply> = self.eval(&expr, limit, "send").await?;
        value.ok_or(DriverError::NotReady)
    }

    async fn request_pairing_code(&self, phone: &str) -> Result<String, DriverError> {
        let expr = format!(
            "window.__waGateway ? window.__waGateway.linkByPhone({}) : null",
            js_string(phone)
        );
        let reply: Option<PairingReply> = self.eval(&expr, CALL_TIMEOUT, "pairing code").await?;
        match reply.ok_or(DriverError::NotReady)? {
            PairingReply {
                code: Some(code), ..
            } => Ok(code),
            PairingReply { error, .. } => Err(DriverError::BadReply(error.unwrap_or_default())),
        }
    }

    async fn logout(&self) -> Result<(), DriverError> {
        let expr = "window.__waGateway ? window.__waGateway.logout() : null";
        let done: Option<bool> = self.eval(expr, CALL_TIMEOUT, "logout").await?;
        done.map(|_| ()).ok_or(DriverError::NotReady)
    }

    /// The binding and the script survive a reload.
    async fn reload(&self) -> Result<(), DriverError> {
        tokio::time::timeout(NAVIGATE_TIMEOUT, self.page.reload())
            .await
            .map_err(|_| DriverError::Timeout("reload"))??;
        Ok(())
    }

    fn open(&self) {
        let page = self.page.clone();
        let url = self.spec.url.clone();
        let (generation, signals) = (self.generation, self.signals.clone());
        // Headless Chromium opens a new-tab page about 0.5 s after launch, perhaps after a quick
        // failed load: closed after every load (a retry is rare; a spare renderer costs memory).
        let tabs = (self.spec.flags == ChromeFlags::Tuned).then(|| self.process.clone());
        let task = tokio::spawn(async move {
            let kind = match load::load(&page, &url).await {
                Outcome::Loaded => SignalKind::Loaded,
                Outcome::Failed(why) => SignalKind::LoadFailed(why),
                // Said at once rather than left to the handler's own report, so that nothing
                // waits on a load that will never end.
                Outcome::BrowserLost => SignalKind::BrowserGone,
            };
            if let Some(process) = tabs.filter(|_| !matches!(kind, SignalKind::BrowserGone)) {
                close_other_tabs(&process, &page).await;
            }
            let _ = signals.send(Signal { generation, kind }).await;
        });
        let previous = self.loading.lock().unwrap().replace(task);
        if let Some(previous) = previous {
            previous.abort();
        }
    }

    async fn close(self: Box<Self>) {
        for task in &self.tasks {
            task.abort();
        }
        let loading = self.loading.lock().unwrap().take();
        if let Some(task) = loading {
            task.abort();
            // Returns once the task is dropped, and with it its share of the process.
            let _ = task.await;
        }
        match Arc::try_unwrap(self.process) {
            Ok(process) => process.close().await,
            // Cannot happen: the load task, the only other holder, was dropped above.
            Err(_) => tracing::error!("the browser could not be closed: still shared"),
        }
    }
}

async fn open_page(process: &BrowserProcess) -> Result<Page, DriverError> {
    timed(process.browser.new_page("about:blank"), "newPage").await
}

/// The default user agent says `HeadlessChrome`, which WhatsApp Web refuses; keep the real version.
async fn desktop_user_agent(process: &BrowserProcess) -> Result<String, DriverError> {
    let version = timed(process.browser.version(), "version").await?;
    Ok(version.user_agent.replace("HeadlessChrome", "Chrome"))
}

/// Headless Chromium opens a new-tab page of its own shortly after launch: one renderer we never use.
async fn close_other_tabs(process: &BrowserProcess, ours: &Page) {
    let Ok(Ok(targets)) = tokio::time::timeout(
        CALL_TIMEOUT,
        process
            .browser
            .execute(chromiumoxide::cdp::browser_protocol::target::GetTargetsParams::default()),
    )
    .await
    else {
        return;
    };
    for t in &targets.result.target_infos {
        if t.r#type == "page" && &t.target_id != ours.target_id() {
            let _ = timed(
                process
                    .browser
                    .execute(CloseTargetParams::new(t.target_id.clone())),
                "closeTarget",
            )
            .await;
        }
    }
}

async fn timed<T>(
    fut: impl std::future::Future<Output = Result<T, chromiumoxide::error::CdpError>>,
    what: &'static str,
) -> Result<T, DriverError> {
    tokio::time::timeout(CALL_TIMEOUT, fut)
        .await
        .map_err(|_| DriverError::Timeout(what))?
        .map_err(DriverError::from)
}

async fn forward_bindings(
    mut stream: chromiumoxide::listeners::EventStream<EventBindingCalled>,
    generation: u64,
    signals: mpsc::Sender<Signal>,
) {
    while let Some(ev) = stream.next().await {
        if ev.name != BINDING {
            continue;
        }
        match serde_json::from_str::<PageEvent>(&ev.payload) {
            Ok(event) => {
                let signal = Signal {
                    generation,
                    kind: SignalKind::Page(Box::new(event)),
                };
                if signals.send(signal).await.is_err() {
                    return;
                }
            }
            Err(e) => tracing::warn!(error = %e, "unreadable event from the page"),
        }
    }
}

async fn forward_crashes(
    mut stream: chromiumoxide::listeners::EventStream<EventTargetCrashed>,
    generation: u64,
    signals: mpsc::Sender<Signal>,
) {
    while stream.next().await.is_some() {
        let signal = Signal {
            generation,
            kind: SignalKind::Crashed,
        };
        if signals.send(signal).await.is_err() {
            return;
        }
    }
}

async fn forward_gone(
    mut gone: mpsc::Receiver<()>,
    generation: u64,
    signals: mpsc::Sender<Signal>,
) {
    if gone.recv().await.is_some() {
        let _ = signals
            .send(Signal {
                generation,
                kind: SignalKind::BrowserGone,
            })
            .await;
    }
}

/// A JSON string literal is a valid JavaScript string literal.
fn js_string(s: &str) -> String {
    serde_json::Value::String(s.to_owned()).to_string()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    /// The page files share one scope: a name declared twice at the top of the joined script is
    /// a SyntaxError that stops the whole driver, so every top-level name must be unique.
    #[test]
    fn the_page_files_declare_each_top_level_name_once() {
        let mut seen: HashMap<&str, usize> = HashMap::new();
        for line in super::DRIVER_JS.lines() {
            let Some(rest) = line.strip_prefix("  ") else {
                continue;
            };
            let rest = rest.trim_start_matches("async ");
            let name = ["const ", "let ", "function "]
                .iter()
                .find_map(|kw| rest.strip_prefix(kw))
                .and_then(|r| r.split(|c: char| !c.is_alphanumeric() && c != '_').next());
            if let Some(name) = name.filter(|n| !n.is_empty()) {
                *seen.entry(name).or_default() += 1;
            }
        }
        let twice: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
        assert!(twice.is_empty(), "declared more than once: {twice:?}");
    }
}
