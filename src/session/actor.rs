//! One connection's actor: it owns the browser, follows WhatsApp Web's state and answers commands
//! from its mailbox. Nothing else touches the browser.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use serde_json::json;
use tokio::sync::{mpsc, oneshot, watch};
use tokio::time::Instant;

use super::{payload, profile};
use crate::config::Config;
use crate::domain::ChatId;
use crate::events::EventBus;
use crate::qr;
use crate::store::{ConnectionPatch, ConnectionStatus, Profile, StatusChange, Store};
use crate::whatsapp::{is_fatal_state, Driver, LaunchSpec, PageEvent, Signal, SignalKind};

const MAILBOX: usize = 64;
const SIGNALS: usize = 1024;
/// Quick relaunches after a browser death before the session waits for a send to try again.
const MAX_RELAUNCHES: u32 = 5;
const BOOT_RELOADS: u32 = 3;
/// How long a logout may take to reach WhatsApp before the browser is closed anyway.
const LOGOUT_GRACE: Duration = Duration::from_secs(5);
const BACKUP_RETRY: Duration = Duration::from_secs(30);

/// What the session is doing, published on a watch channel for the manager and the API.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Starting,
    AwaitingScan {
        qr: String,
    },
    /// Linked (or restoring); WhatsApp Web is connecting and syncing.
    Syncing,
    Ready,
    /// The browser died; a relaunch is scheduled.
    Restarting,
    /// Linked, but the browser could not be kept alive; the next send tries again.
    Dormant,
    Ended {
        reason: String,
    },
}

#[derive(Debug, Clone)]
pub struct Live {
    pub phase: Phase,
    pub pid: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub message_id: String,
    pub timestamp: i64,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    #[error("{0}")]
    NotReady(String),
    #[error("the recipient is not on WhatsApp")]
    NotOnWhatsapp,
    #[error("WhatsApp did not accept the message: {0}")]
    Refused(String),
    #[error("sending failed: {0}")]
    Failed(String),
}

pub enum Command {
    Send {
        to: ChatId,
        body: String,
        reply: oneshot::Sender<Result<Sent, SendError>>,
    },
    /// Log out of WhatsApp, close the browser, end with `API_DISCONNECT`.
    Disconnect { reply: oneshot::Sender<()> },
    /// Close the browser and stop; the connection stays as it is in the store (gateway shutdown).
    Shutdown { reply: oneshot::Sender<()> },
}

/// Whether the connection starts from scratch or from a profile that was linked before.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    New,
    Restore,
}

/// What a session needs from the app.
#[derive(Clone)]
pub struct Deps {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub bus: Arc<EventBus>,
}

/// The cheap, cloneable way in to a session.
#[derive(Clone)]
pub struct SessionHandle {
    tx: mpsc::Sender<Command>,
    live: watch::Receiver<Live>,
}

impl SessionHandle {
    pub fn live(&self) -> Live {
        self.live.borrow().clone()
    }

    pub fn is_ended(&self) -> bool {
        matches!(self.live.borrow().phase, Phase::Ended { .. })
    }

    /// Waits until `pred` holds for the phase, or `limit` passes; returns the last phase seen.
    pub async fn wait_for(&self, limit: Duration, pred: impl Fn(&Phase) -> bool) -> Phase {
        let mut rx = self.live.clone();
        let waited = tokio::time::timeout(limit, rx.wait_for(|l| pred(&l.phase)))
            .await
            .ok()
            .and_then(Result::ok)
            .map(|live| live.phase.clone());
        waited.unwrap_or_else(|| self.live.borrow().phase.clone())
    }

    pub async fn send(&self, to: ChatId, body: String) -> Result<Sent, SendError> {
        let (reply, rx) = oneshot::channel();
        let ended = || SendError::NotReady("the connection has ended".into());
        self.tx
            .send(Command::Send { to, body, reply })
            .await
            .map_err(|_| ended())?;
        rx.await.map_err(|_| ended())?
    }

    pub async fn disconnect(&self) {
        self.request(|reply| Command::Disconnect { reply }).await
    }

    pub async fn shutdown(&self) {
        self.request(|reply| Command::Shutdown { reply }).await
    }

    async fn request(&self, make: impl FnOnce(oneshot::Sender<()>) -> Command) {
        let (reply, rx) = oneshot::channel();
        if self.tx.send(make(reply)).await.is_ok() {
            let _ = rx.await;
        }
    }
}

/// One try at sending through the current browser.
enum Attempt {
    Done(Result<Sent, SendError>),
    BrowserLost,
}

struct PendingSend {
    to: ChatId,
    body: String,
    reply: oneshot::Sender<Result<Sent, SendError>>,
    deadline: Instant,
}

pub struct Session {
    id: String,
    deps: Deps,
    mode: Mode,
    commands: mpsc::Receiver<Command>,
    signals_tx: mpsc::Sender<Signal>,
    signals: mpsc::Receiver<Signal>,
    live: watch::Sender<Live>,
    driver: Option<Driver>,
    generation: u64,
    /// Set once WhatsApp Web reported ready in this session, or from the start when restoring.
    linked: bool,
    qr_count: u32,
    boot_reloads: u32,
    relaunches: u32,
    relaunch_at: Option<Instant>,
    /// When the login is next archived; set once the connection is ready.
    backup_at: Option<Instant>,
    /// WhatsApp Web reached `ready` in this session's current browser at least once.
    synced: bool,
    waiting: VecDeque<PendingSend>,
}

/// Whether the actor loop goes on after handling something.
enum Flow {
    Continue,
    Stop,
}

impl Session {
    /// Starts the actor; the returned handle is how everything else talks to it.
    pub fn spawn(
        deps: Deps,
        id: String,
        mode: Mode,
    ) -> (SessionHandle, tokio::task::JoinHandle<()>) {
        let (tx, commands) = mpsc::channel(MAILBOX);
        let (signals_tx, signals) = mpsc::channel(SIGNALS);
        let (live, live_rx) = watch::channel(Live {
            phase: Phase::Starting,
            pid: None,
        });
        let session = Session {
            id,
            deps,
            mode,
            commands,
            signals_tx,
            signals,
            live,
            driver: None,
            generation: 0,
            linked: mode == Mode::Restore,
            qr_count: 0,
            boot_reloads: 0,
            relaunches: 0,
            relaunch_at: None,
            backup_at: None,
            synced: false,
            waiting: VecDeque::new(),
        };
        let task = tokio::spawn(session.run());
        (SessionHandle { tx, live: live_rx }, task)
    }

    #[tracing::instrument(name = "session", skip_all, fields(connection_id = %self.id))]
    async fn run(mut self) {
        if let Err(e) = self.launch().await {
            tracing::warn!(error = %e, "browser failed to start");
            self.after_browser_loss().await;
        }
        loop {
            let deadline = self.next_deadline();
            let flow = tokio::select! {
                cmd = self.commands.recv() => match cmd {
                    Some(cmd) => self.on_command(cmd).await,
                    None => { self.close_browser().await; Flow::Stop }
                },
                Some(signal) = self.signals.recv() => self.on_signal(signal).await,
                _ = sleep_until(deadline), if deadline.is_some() => {
                    self.on_deadline().await
                }
            };
            if let Flow::Stop = flow {
                break;
            }
        }
        tracing::debug!("session task stopped");
    }

    async fn launch(&mut self) -> Result<(), crate::whatsapp::DriverError> {
        self.generation += 1;
        self.set_phase(if self.linked {
            Phase::Syncing
        } else {
            Phase::Starting
        });
        let spec = LaunchSpec {
            chrome_path: self.deps.config.chrome_path.clone(),
            profile_dir: profile::dir(&self.deps, &self.id),
            url: self.deps.config.wa_web_url.clone(),
        };
        let driver = Driver::start(&spec, self.generation, self.signals_tx.clone()).await?;
        tracing::info!(pid = ?driver.pid(), generation = self.generation, "browser started");
        self.live.send_modify(|l| l.pid = driver.pid());
        self.driver = Some(driver);
        Ok(())
    }

    fn set_phase(&self, phase: Phase) {
        self.live.send_modify(|l| l.phase = phase);
    }

    fn phase(&self) -> Phase {
        self.live.borrow().phase.clone()
    }

    fn next_deadline(&self) -> Option<Instant> {
        let first_send = self.waiting.iter().map(|p| p.deadline).min();
        [first_send, self.relaunch_at, self.backup_at]
            .into_iter()
            .flatten()
            .min()
    }

    async fn on_deadline(&mut self) -> Flow {
        let now = Instant::now();
        let (expired, kept): (VecDeque<_>, VecDeque<_>) =
            self.waiting.drain(..).partition(|p| p.deadline <= now);
        self.waiting = kept;
        for p in expired {
            let _ = p.reply.send(Err(SendError::NotReady(
                "WhatsApp did not become ready in time; retry later".into(),
            )));
        }
        if self.backup_at.is_some_and(|at| at <= now) {
            self.backup().await;
        }
        if self.relaunch_at.is_some_and(|at| at <= now) {
            self.relaunch_at = None;
            if let Err(e) = self.launch().await {
                tracing::warn!(error = %e, "browser relaunch failed");
                self.after_browser_loss().await;
            }
        }
        Flow::Continue
    }

    async fn on_command(&mut self, cmd: Command) -> Flow {
        match cmd {
            Command::Send { to, body, reply } => {
                self.on_send(to, body, reply).await;
                Flow::Continue
            }
            Command::Disconnect { reply } => {
                self.logout().await;
                self.end("API_DISCONNECT", true).await;
                let _ = reply.send(());
                Flow::Stop
            }
            Command::Shutdown { reply } => {
                // A cleanly closed browser has flushed everything: the best moment to archive.
                self.close_browser().await;
                if self.synced {
                    self.backup().await;
                }
                self.fail_waiting("the gateway is shutting down");
                let _ = reply.send(());
                Flow::Stop
            }
        }
    }

    async fn on_send(
        &mut self,
        to: ChatId,
        body: String,
        reply: oneshot::Sender<Result<Sent, SendError>>,
    ) {
        match self.phase() {
            Phase::Ready => match self.send_now(&to, &body).await {
                Attempt::BrowserLost => {
                    // Killed a moment ago and not yet noticed: restart it and send afterwards.
                    tracing::warn!("browser found dead during a send");
                    self.close_browser().await;
                    self.after_browser_loss().await;
                    self.queue_send(to, body, reply);
                }
                Attempt::Done(result) => {
                    let _ = reply.send(result);
                }
            },
            Phase::Syncing | Phase::Restarting | Phase::Starting | Phase::Dormant
                if self.linked =>
            {
                if self.phase() == Phase::Dormant {
                    // "Keeps connections alive on message send": a send revives the browser.
                    self.relaunches = 0;
                    self.relaunch_at = Some(Instant::now());
                    self.set_phase(Phase::Restarting);
                }
                self.queue_send(to, body, reply);
            }
            Phase::Ended { reason } => {
                let _ = reply.send(Err(SendError::NotReady(format!(
                    "the connection is disconnected ({reason})"
                ))));
            }
            _ => {
                let _ = reply.send(Err(SendError::NotReady(
                    "WhatsApp is not linked yet: scan the QR code first".into(),
                )));
            }
        }
    }

    fn queue_send(
        &mut self,
        to: ChatId,
        body: String,
        reply: oneshot::Sender<Result<Sent, SendError>>,
    ) {
        let deadline = Instant::now() + self.deps.config.send_ready_timeout;
        self.waiting.push_back(PendingSend {
            to,
            body,
            reply,
            deadline,
        });
    }

    async fn send_now(&mut self, to: &ChatId, body: &str) -> Attempt {
        let Some(driver) = self.driver.as_ref() else {
            return Attempt::BrowserLost;
        };
        let reply = match driver.send_text(to.as_str(), body).await {
            Ok(reply) => reply,
            Err(e) if e.is_browser_lost() => return Attempt::BrowserLost,
            Err(e) => {
                tracing::warn!(error = %e, "send failed in the driver");
                let failed = SendError::Failed("the browser did not complete the send".into());
                return Attempt::Done(Err(failed));
            }
        };
        if !reply.ok {
            let code = reply.code.unwrap_or_default();
            tracing::warn!(code, detail = ?reply.detail, "WhatsApp refused a send");
            return Attempt::Done(Err(match code.as_str() {
                "NOT_ON_WHATSAPP" => SendError::NotOnWhatsapp,
                "SEND_FAILED" => SendError::Refused(reply.detail.unwrap_or_default()),
                _ => SendError::Failed("WhatsApp Web could not send the message".into()),
            }));
        }
        let Some(message_id) = reply.id else {
            let failed = SendError::Failed("WhatsApp Web returned no message id".into());
            return Attempt::Done(Err(failed));
        };
        self.patch(ConnectionPatch {
            last_active: Some(Utc::now()),
            ..Default::default()
        })
        .await;
        Attempt::Done(Ok(Sent {
            message_id,
            timestamp: reply.t.unwrap_or_else(|| Utc::now().timestamp()),
        }))
    }

    async fn flush_waiting(&mut self) {
        while let Some(p) = self.waiting.pop_front() {
            match self.send_now(&p.to, &p.body).await {
                Attempt::Done(result) => {
                    let _ = p.reply.send(result);
                }
                Attempt::BrowserLost => {
                    // The next BrowserGone signal schedules a relaunch; keep the rest queued.
                    self.waiting.push_front(p);
                    return;
                }
            }
        }
    }

    fn fail_waiting(&mut self, why: &str) {
        for p in self.waiting.drain(..) {
            let _ = p.reply.send(Err(SendError::NotReady(why.into())));
        }
    }

    async fn on_signal(&mut self, signal: Signal) -> Flow {
        if signal.generation != self.generation {
            return Flow::Continue;
        }
        match signal.kind {
            SignalKind::Page(event) => self.on_page_event(*event).await,
            SignalKind::Crashed => {
                tracing::warn!("renderer crashed; reloading the page");
                if let Some(driver) = &self.driver {
                    if let Err(e) = driver.reload().await {
                        tracing::warn!(error = %e, "reload after crash failed");
                    }
                }
                Flow::Continue
            }
            SignalKind::BrowserGone => {
                tracing::warn!("browser process is gone");
                self.close_browser().await;
                self.after_browser_loss().await;
                Flow::Continue
            }
        }
    }

    /// Relaunch with backoff while the connection is worth keeping; a pending one that lost its
    /// browser starts over with a new QR only if the client asks again.
    async fn after_browser_loss(&mut self) {
        if !self.linked {
            self.end("BROWSER_FAILED", true).await;
            return;
        }
        if self.relaunches >= MAX_RELAUNCHES {
            tracing::error!("browser keeps dying; waiting for the next send to try again");
            self.set_phase(Phase::Dormant);
            self.fail_waiting("the browser could not be restarted");
            return;
        }
        let backoff = Duration::from_millis(500 * 2u64.pow(self.relaunches));
        self.relaunches += 1;
        self.relaunch_at = Some(Instant::now() + backoff);
        self.set_phase(Phase::Restarting);
    }

    async fn on_page_event(&mut self, event: PageEvent) -> Flow {
        match event {
            PageEvent::Boot { version } => {
                tracing::info!(version, "WhatsApp Web loaded");
                Flow::Continue
            }
            PageEvent::BootTimeout { .. } => self.on_boot_timeout().await,
            PageEvent::Incompatible { module } => {
                tracing::error!(module, "WhatsApp Web lacks a module the driver needs");
                self.end(&format!("WA_WEB_INCOMPATIBLE: {module}"), true)
                    .await
            }
            PageEvent::ModuleMissing { module } => {
                tracing::warn!(module, "optional WhatsApp Web module missing");
                Flow::Continue
            }
            PageEvent::Qr { qr } => self.on_qr(qr).await,
            PageEvent::ChangeState { state } => self.on_state(state).await,
            PageEvent::Loading { percent } => {
                self.emit("loading", json!({ "percent": percent })).await;
                Flow::Continue
            }
            PageEvent::Authenticated {} => {
                self.emit("authenticated", json!({})).await;
                Flow::Continue
            }
            PageEvent::Ready {
                number,
                pushname,
                platform,
                ..
            } => {
                self.on_ready(number, pushname, platform).await;
                Flow::Continue
            }
            PageEvent::Logout { source } => {
                tracing::info!(source, "WhatsApp logged this device out");
                self.end("LOGGED_OUT", true).await
            }
            PageEvent::Message { message } => {
                self.emit("message", payload::message(&message)).await;
                Flow::Continue
            }
            PageEvent::MessageCreate { message } => {
                self.emit("message_create", payload::message(&message))
                    .await;
                Flow::Continue
            }
            PageEvent::MessageAck { id, ack, chat_id } => {
                self.emit("message_ack", payload::ack(&id, chat_id.as_deref(), ack))
                    .await;
                Flow::Continue
            }
            PageEvent::Error { r#where, message } => {
                tracing::warn!(r#where, message, "driver reported an error");
                Flow::Continue
            }
        }
    }

    async fn on_boot_timeout(&mut self) -> Flow {
        self.boot_reloads += 1;
        if self.boot_reloads > BOOT_RELOADS {
            return self.end("WA_WEB_UNAVAILABLE", true).await;
        }
        tracing::warn!("WhatsApp Web did not finish loading; reloading");
        if let Some(driver) = &self.driver {
            if let Err(e) = driver.reload().await {
                tracing::warn!(error = %e, "reload failed");
            }
        }
        Flow::Continue
    }

    async fn on_qr(&mut self, qr: String) -> Flow {
        if self.linked {
            // A linked profile asked for a new scan: WhatsApp no longer knows this device.
            return self.end("SESSION_EXPIRED", true).await;
        }
        self.qr_count += 1;
        if self.qr_count > self.deps.config.qr_max_retries {
            return self.end("QR_TIMEOUT", true).await;
        }
        let data_url = qr::data_url(&qr).ok();
        self.set_phase(Phase::AwaitingScan { qr: qr.clone() });
        self.emit("qr", json!({ "qr": qr, "qrDataUrl": data_url }))
            .await;
        Flow::Continue
    }

    async fn on_state(&mut self, state: String) -> Flow {
        self.emit("change_state", json!({ "state": state })).await;
        let ready_seen = self.phase() == Phase::Ready;
        if self.linked && is_fatal_state(&state) && (ready_seen || state != "UNPAIRED") {
            return self.end(&state, true).await;
        }
        if self.linked && state.starts_with("UNPAIRED") {
            return self.end("SESSION_EXPIRED", true).await;
        }
        if matches!(state.as_str(), "PAIRING" | "CONNECTED") && self.phase() != Phase::Ready {
            self.set_phase(Phase::Syncing);
        }
        Flow::Continue
    }

    async fn on_ready(
        &mut self,
        number: Option<String>,
        pushname: Option<String>,
        platform: Option<String>,
    ) {
        self.linked = true;
        self.synced = true;
        self.backup_at = Some(Instant::now() + self.deps.config.session_settle);
        self.relaunches = 0;
        self.boot_reloads = 0;
        let profile = Profile {
            push_name: pushname,
            platform,
        };
        self.patch(ConnectionPatch {
            status: Some(StatusChange {
                status: ConnectionStatus::Connected,
                reason: None,
            }),
            whatsapp_number: number.clone(),
            profile_info: Some(profile.clone()),
            last_active: Some(Utc::now()),
            ..Default::default()
        })
        .await;
        tracing::info!(mode = ?self.mode, "connection ready");
        self.set_phase(Phase::Ready);
        self.emit("ready", json!({ "number": number, "profile": profile }))
            .await;
        self.flush_waiting().await;
    }

    /// Asks WhatsApp to forget this device and waits (briefly) until the page confirms it.
    async fn logout(&mut self) {
        let Some(driver) = &self.driver else { return };
        if let Err(e) = driver.logout().await {
            tracing::warn!(error = %e, "logout call failed; closing anyway");
            return;
        }
        let deadline = Instant::now() + LOGOUT_GRACE;
        while let Ok(Some(signal)) = tokio::time::timeout_at(deadline, self.signals.recv()).await {
            let confirmed = match &signal.kind {
                SignalKind::BrowserGone => true,
                SignalKind::Page(event) => match event.as_ref() {
                    PageEvent::Logout { .. } => true,
                    PageEvent::ChangeState { state } => state.starts_with("UNPAIRED"),
                    _ => false,
                },
                SignalKind::Crashed => false,
            };
            if confirmed {
                return;
            }
        }
        tracing::warn!("logout not confirmed by the page in time");
    }

    /// Ends the connection for good: browser closed, status `disconnected` with `reason`.
    async fn end(&mut self, reason: &str, drop_profile: bool) -> Flow {
        tracing::info!(reason, "connection ended");
        self.close_browser().await;
        self.fail_waiting("the connection has ended");
        self.relaunch_at = None;
        self.backup_at = None;
        self.patch(ConnectionPatch {
            status: Some(StatusChange {
                status: ConnectionStatus::Disconnected,
                reason: Some(reason.to_owned()),
            }),
            ..Default::default()
        })
        .await;
        self.set_phase(Phase::Ended {
            reason: reason.to_owned(),
        });
        self.emit("disconnected", json!({ "reason": reason })).await;
        if drop_profile {
            profile::remove(&self.deps, &self.id).await;
        }
        if let Err(e) = self.deps.store.delete_archive(&self.id).await {
            tracing::warn!(error = %e, "could not delete the login archive");
        }
        Flow::Stop
    }

    /// Archives the login; a failure is retried sooner than the regular interval.
    async fn backup(&mut self) {
        let retry = match profile::save(&self.deps, &self.id).await {
            Ok(info) => {
                tracing::info!(bytes = info.size, "login archived");
                self.deps.config.session_backup_interval
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not archive the login");
                BACKUP_RETRY.min(self.deps.config.session_backup_interval)
            }
        };
        self.backup_at = (self.phase() == Phase::Ready).then(|| Instant::now() + retry);
    }

    async fn close_browser(&mut self) {
        if let Some(driver) = self.driver.take() {
            driver.close().await;
            self.live.send_modify(|l| l.pid = None);
        }
    }

    async fn patch(&self, patch: ConnectionPatch) {
        if let Err(e) = self.deps.store.update_connection(&self.id, patch).await {
            tracing::error!(error = %e, "could not update the connection record");
        }
    }

    async fn emit(&self, event: &str, data: serde_json::Value) {
        if let Err(e) = self.deps.bus.emit(&self.id, event, data).await {
            tracing::error!(error = %e, event, "could not record an event");
        }
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
