//! One connection's actor: it owns the browser, follows WhatsApp Web's state and answers commands
//! from its mailbox. Nothing else touches the browser.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

mod page_events;
mod sending;

use self::sending::PendingSend;
use super::handle::{Command, Live, Phase, SessionHandle};
use super::ledger::Ledger;
use super::profile;
use crate::config::Config;
use crate::events::event::DisconnectedData;
use crate::events::{Event, EventBus};
use crate::store::{ConnectionPatch, ConnectionStatus, StatusChange, Store};
use crate::whatsapp::{Driver, LaunchSpec, PageEvent, Signal, SignalKind};

const MAILBOX: usize = 64;
const SIGNALS: usize = 1024;
/// Quick relaunches after a browser death before the session waits for a send to try again.
const MAX_RELAUNCHES: u32 = 5;
const BOOT_RELOADS: u32 = 3;
/// How long a logout may take to reach WhatsApp before the browser is closed anyway.
const LOGOUT_GRACE: Duration = Duration::from_secs(5);
const BACKUP_RETRY: Duration = Duration::from_secs(30);

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
    /// Seals login archives at rest when `SESSION_ENCRYPTION_KEY` is set.
    pub archive_key: Option<crate::crypto::ArchiveKey>,
    pub store: Arc<dyn Store>,
    pub bus: Arc<EventBus>,
    pub metrics: Arc<crate::metrics::Metrics>,
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
    ledger: Ledger,
    /// Own phone number, once WhatsApp Web told it.
    me: Option<String>,
    /// The earliest moment the next message may be sent (pacing).
    next_send_at: Instant,
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
            ledger: Ledger::new(id.clone(), deps.store.clone(), deps.bus.clone()),
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
            me: None,
            next_send_at: Instant::now(),
        };
        let task = tokio::spawn(session.run());
        (SessionHandle::new(tx, live_rx), task)
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
            flags: self.deps.config.chrome_flags,
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
        let first_send = self.send_deadline();
        [
            first_send,
            self.relaunch_at,
            self.backup_at,
            self.ledger.retry_at(),
        ]
        .into_iter()
        .flatten()
        .min()
    }

    async fn on_deadline(&mut self) -> Flow {
        let now = Instant::now();
        self.expire_waiting(now);
        self.pump_sends().await;
        if self.ledger.retry_at().is_some_and(|at| at <= now) {
            self.ledger.retry().await;
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
        let data = DisconnectedData {
            reason: reason.to_owned(),
        };
        self.emit(Event::Disconnected(data)).await;
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

    async fn patch(&mut self, patch: ConnectionPatch) {
        self.ledger.patch(patch).await;
    }

    async fn emit(&mut self, event: Event) {
        self.ledger.emit(event).await;
    }
}

async fn sleep_until(deadline: Option<Instant>) {
    match deadline {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}
