//! One connection's actor: it owns the browser, follows WhatsApp Web's state and answers commands
//! from its mailbox. Nothing else touches the browser.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

mod lifecycle;
mod loading;
mod page;
mod page_events;
mod people_events;
mod phone;
mod sending;
mod state;
#[cfg(test)]
mod tests;

pub(super) use self::loading::UNAVAILABLE;
use self::page::PendingPage;
use self::sending::PendingSend;
use self::state::{Browser, Link, State, Tries};
use super::handle::{Command, Live, SessionHandle};
use super::ledger::Ledger;
use super::profile;
use crate::config::Config;
use crate::domain::PhoneNumber;
use crate::events::event::DisconnectedData;
use crate::events::{Event, EventBus};
use crate::store::{ConnectionPatch, ConnectionStatus, StatusChange, Store};
use crate::whatsapp::{Launcher, Signal};

const MAILBOX: usize = 64;
const SIGNALS: usize = 1024;
/// Quick relaunches after a browser death before the session waits for a send to try again.
const MAX_RELAUNCHES: u32 = 5;
const BOOT_RELOADS: u32 = 3;
/// How long a logout may take to reach WhatsApp before the browser is closed anyway.
const LOGOUT_GRACE: Duration = Duration::from_secs(5);
const BACKUP_RETRY: Duration = Duration::from_secs(30);

/// Whether the connection starts from scratch (linking by QR or by phone number) or from a
/// profile that was linked before.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Mode {
    New,
    /// New, linked with pairing codes typed on this number's phone instead of a QR.
    ByPhone(PhoneNumber),
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
    /// Starts browsers: Chromium in production, a scripted fake in unit tests.
    pub launcher: Arc<dyn Launcher>,
}

pub struct Session {
    id: String,
    deps: Deps,
    commands: mpsc::Receiver<Command>,
    signals_tx: mpsc::Sender<Signal>,
    signals: mpsc::Receiver<Signal>,
    /// Changed only through [`Session::set`], which publishes its projection on `live`.
    state: State,
    /// Set when the connection links by phone number: the page is asked for pairing codes.
    phone: Option<PhoneNumber>,
    live: watch::Sender<Live>,
    generation: u64,
    waiting: VecDeque<PendingSend>,
    /// Page requests waiting for the connection to be ready.
    pages: Vec<PendingPage>,
    ledger: Ledger,
    /// The earliest moment the next message may be sent (pacing).
    next_send_at: Instant,
    /// When a new connection's first QR code is due (`QR_WAIT_TIMEOUT_SECS`); gone once shown.
    qr_wait_ends: Option<Instant>,
}

/// Whether the actor loop goes on after handling something.
#[must_use]
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
        let (link, phone) = match mode {
            Mode::New => (Link::Pending { qr_shown: 0 }, None),
            Mode::ByPhone(phone) => (Link::Pending { qr_shown: 0 }, Some(phone)),
            Mode::Restore => (Link::Restored, None),
        };
        let state = State::Launching {
            link,
            tries: Tries::default(),
        };
        // A new connection, by QR or by phone, has until then to show its first code.
        let qr_wait_ends = matches!(link, Link::Pending { .. })
            .then(|| Instant::now() + deps.config.qr_wait_timeout);
        let (live, live_rx) = watch::channel(Live {
            phase: state.phase(),
            pid: None,
        });
        let session = Session {
            ledger: Ledger::new(id.clone(), deps.store.clone(), deps.bus.clone()),
            id,
            deps,
            commands,
            signals_tx,
            signals,
            state,
            phone,
            live,
            generation: 0,
            waiting: VecDeque::new(),
            pages: Vec::new(),
            next_send_at: Instant::now(),
            qr_wait_ends,
        };
        let task = tokio::spawn(session.run());
        (SessionHandle::new(tx, live_rx), task)
    }

    #[tracing::instrument(name = "session", skip_all, fields(connection_id = %self.id))]
    async fn run(mut self) {
        let mut flow = self.launch().await;
        while let Flow::Continue = flow {
            let deadline = self.next_deadline();
            flow = tokio::select! {
                cmd = self.commands.recv() => match cmd {
                    Some(cmd) => self.on_command(cmd).await,
                    None => self.stop(false).await,
                },
                Some(signal) = self.signals.recv() => self.on_signal(signal).await,
                _ = sleep_until(deadline), if deadline.is_some() => {
                    self.on_deadline().await
                }
            };
        }
        tracing::debug!("session task stopped");
    }

    /// Moves to `state` and publishes what the manager and the API see of it.
    fn set(&mut self, state: State) {
        self.state = state;
        self.live.send_replace(Live {
            phase: self.state.phase(),
            pid: self.state.browser().and_then(|b| b.pid()),
        });
    }

    /// Takes the state out to move its browser; the caller [`Self::set`]s the next one. Nothing
    /// reads the placeholder: the actor is one task and publishes only through `set`.
    fn take_state(&mut self) -> State {
        let placeholder = State::Ended {
            reason: String::new(),
        };
        std::mem::replace(&mut self.state, placeholder)
    }

    /// Turns a state that has a browser into `next(browser, link, tries)`; changes nothing when
    /// no browser runs (a late report about one already given up).
    fn remake(&mut self, next: impl FnOnce(Browser, Link, Tries) -> State) {
        match self.take_state().detach() {
            Ok((browser, link, tries)) => self.set(next(browser, link, tries)),
            Err(state) => self.state = state,
        }
    }

    fn next_deadline(&self) -> Option<Instant> {
        [
            self.send_deadline(),
            self.page_deadline(),
            self.state.deadline(),
            self.ledger.retry_at(),
            self.qr_wait_ends,
        ]
        .into_iter()
        .flatten()
        .min()
    }

    async fn on_deadline(&mut self) -> Flow {
        let now = Instant::now();
        self.expire_waiting(now);
        if let Flow::Stop = self.pump_sends().await {
            return Flow::Stop;
        }
        if self.ledger.retry_at().is_some_and(|at| at <= now) {
            self.ledger.retry().await;
        }
        if self.qr_wait_ends.is_some_and(|at| at <= now) {
            if let Some(flow) = self.qr_wait_over().await {
                return flow;
            }
        }
        match self.state {
            State::Ready { backup_at, .. } if backup_at <= now => {
                let next = self.backup().await;
                if let State::Ready { backup_at, .. } = &mut self.state {
                    *backup_at = Instant::now() + next;
                }
                Flow::Continue
            }
            State::Restarting { link, tries, at } if at <= now => {
                self.set(State::Launching { link, tries });
                self.launch().await
            }
            State::Unreachable { at, .. } if at <= now => {
                self.reopen();
                Flow::Continue
            }
            _ => Flow::Continue,
        }
    }

    async fn on_command(&mut self, cmd: Command) -> Flow {
        match cmd {
            Command::Send { to, message, reply } => self.on_send(to, message, reply).await,
            Command::Disconnect { reply } => {
                self.logout().await;
                let flow = self.end("API_DISCONNECT", true).await;
                let _ = reply.send(());
                flow
            }
            Command::GiveUp { reply } => {
                // A page that never loaded says why; one that did is disconnected as before.
                let flow = match self.qr_wait_over().await {
                    Some(flow) => flow,
                    None => {
                        self.logout().await;
                        self.end("API_DISCONNECT", true).await
                    }
                };
                let _ = reply.send(());
                flow
            }
            Command::Shutdown { reply } => {
                let flow = self.stop(true).await;
                let _ = reply.send(());
                flow
            }
            Command::Page { reply } => {
                self.on_page(reply);
                Flow::Continue
            }
        }
    }

    /// Ends the connection for good: browser closed, status `disconnected` with `reason`.
    async fn end(&mut self, reason: &str, drop_profile: bool) -> Flow {
        tracing::info!(reason, "connection ended");
        self.close_browser().await;
        self.fail_waiting("the connection has ended");
        self.patch(ConnectionPatch {
            status: Some(StatusChange {
                status: ConnectionStatus::Disconnected,
                reason: Some(reason.to_owned()),
            }),
            ..Default::default()
        })
        .await;
        self.set(State::Ended {
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

    /// Archives the login; returns when to do it next (a failure is retried sooner).
    async fn backup(&mut self) -> Duration {
        match profile::save(&self.deps, &self.id).await {
            Ok(info) => {
                tracing::info!(bytes = info.size, "login archived");
                self.deps.config.session_backup_interval
            }
            Err(e) => {
                tracing::warn!(error = %e, "could not archive the login");
                BACKUP_RETRY.min(self.deps.config.session_backup_interval)
            }
        }
    }

    /// Closes the browser, if one runs; the caller [`Self::set`]s the state that follows.
    async fn close_browser(&mut self) {
        if let Ok((browser, ..)) = self.take_state().detach() {
            browser.close().await;
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
