//! What the driver reports, and how the session's state follows it.

use chrono::Utc;
use tokio::time::Instant;

use super::loading::{backoff, unavailable};
use super::state::{Link, State, Tries};
use super::{Flow, Session, BOOT_RELOADS};
use crate::events::event::{AuthenticatedData, ChangeStateData, Event, LoadingData};
use crate::events::event::{MessageData, QrData, ReadyData};
use crate::qr;
use crate::session::{action_payload, payload, tracking};
use crate::store::{ConnectionPatch, ConnectionStatus, Profile, StatusChange};
use crate::whatsapp::{is_fatal_state, PageEvent, Signal, SignalKind, WaMessage};

impl Session {
    pub(super) async fn on_signal(&mut self, signal: Signal) -> Flow {
        if signal.generation != self.generation {
            return Flow::Continue;
        }
        match signal.kind {
            SignalKind::Page(event) => self.on_page_event(*event).await,
            SignalKind::Crashed if self.page_loaded() => {
                tracing::warn!("renderer crashed; reloading the page");
                self.reload("reload after crash failed").await;
                Flow::Continue
            }
            // A page still loading, or that did not load, is loaded anew anyway.
            SignalKind::Crashed => Flow::Continue,
            SignalKind::Loaded => {
                self.on_loaded();
                Flow::Continue
            }
            SignalKind::LoadFailed(error) => self.on_load_failed(error).await,
            SignalKind::BrowserGone => {
                tracing::warn!("browser process is gone");
                self.lose_browser().await
            }
        }
    }

    /// WhatsApp Web's document is there (a reload makes sense, a boot can time out).
    fn page_loaded(&self) -> bool {
        let loading = matches!(
            self.state,
            State::Opening { .. } | State::Unreachable { .. }
        );
        self.state.browser().is_some() && !loading
    }

    async fn reload(&self, failed: &str) {
        if let Some(browser) = self.state.browser() {
            if let Err(e) = browser.reload().await {
                tracing::warn!(error = %e, "{failed}");
            }
        }
    }

    pub(super) async fn on_page_event(&mut self, event: PageEvent) -> Flow {
        match event {
            note @ (PageEvent::Boot { .. }
            | PageEvent::ModuleMissing { .. }
            | PageEvent::Error { .. }) => {
                log_note(note);
                Flow::Continue
            }
            PageEvent::BootTimeout { .. } => self.on_boot_timeout().await,
            PageEvent::Incompatible { module } => self.on_incompatible(module).await,
            PageEvent::Qr { qr } => self.on_qr(qr).await,
            PageEvent::PairingCode { code } => self.on_pairing_code(code).await,
            PageEvent::ChangeState { state } => self.on_state(state).await,
            PageEvent::Loading { percent } => {
                self.emit(Event::Loading(LoadingData { percent })).await;
                Flow::Continue
            }
            PageEvent::Authenticated {} => {
                self.emit(Event::Authenticated(AuthenticatedData {})).await;
                Flow::Continue
            }
            PageEvent::Ready {
                number,
                pushname,
                platform,
                ..
            } => self.on_ready(number, pushname, platform).await,
            PageEvent::Logout { source } => {
                tracing::info!(source, "WhatsApp logged this device out");
                self.end("LOGGED_OUT", true).await
            }
            PageEvent::Message { message } => {
                self.deps.metrics.messages_received.inc();
                self.on_message(Event::Message, &message).await;
                Flow::Continue
            }
            PageEvent::MessageCreate { message } => {
                self.on_message(Event::MessageCreate, &message).await;
                Flow::Continue
            }
            PageEvent::GroupNotification(notice) => {
                self.emit(Event::from(notice)).await;
                Flow::Continue
            }
            other @ (PageEvent::ChatArchived { .. }
            | PageEvent::ChatRemoved { .. }
            | PageEvent::ContactChanged { .. }
            | PageEvent::Call { .. }) => self.on_people_event(other).await,
            action @ (PageEvent::Reaction(_)
            | PageEvent::PollVote(_)
            | PageEvent::MessageEdit(_)
            | PageEvent::MessageRevoke(_)) => {
                if let Some((id, change)) = tracking::change(&action) {
                    self.ledger.record_change(&id, change).await;
                }
                if let Some(event) = action_payload::event(action) {
                    self.emit(event).await;
                }
                Flow::Continue
            }
            PageEvent::MediaUploaded { id, chat_id } => {
                let data = crate::events::event::MediaUploadedData {
                    message_id: id,
                    chat_id,
                };
                self.emit(Event::MediaUploaded(data)).await;
                Flow::Continue
            }
            PageEvent::MessageAck { id, ack, chat_id } => {
                self.ledger.record_ack(&id, ack).await;
                let data = payload::ack(&id, chat_id.as_deref(), ack);
                self.emit(Event::MessageAck(data)).await;
                Flow::Continue
            }
        }
    }

    async fn on_incompatible(&mut self, module: String) -> Flow {
        tracing::error!(module, "WhatsApp Web lacks a module the driver needs");
        self.end(&format!("WA_WEB_INCOMPATIBLE: {module}"), true)
            .await
    }

    /// Reloads a page whose WhatsApp Web did not boot, a few times since it was last ready;
    /// then a new connection ends, a linked one keeps its login and loads the page again later.
    pub(super) async fn on_boot_timeout(&mut self) -> Flow {
        if !self.page_loaded() {
            return Flow::Continue;
        }
        let tries = self.state.tries();
        if tries.boot_reloads >= BOOT_RELOADS {
            let cause = format!("WhatsApp Web did not start at {}", self.shown_url());
            if self.state.is_linked() {
                self.unreachable(cause, backoff(tries.loads));
                return Flow::Continue;
            }
            return self.end(&unavailable(&cause), true).await;
        }
        tracing::warn!("WhatsApp Web did not finish loading; reloading");
        self.reload("reload failed").await;
        let tries = Tries {
            boot_reloads: tries.boot_reloads + 1,
            ..tries
        };
        let state = self.take_state().reloading(tries);
        self.set(state);
        Flow::Continue
    }

    pub(super) async fn on_qr(&mut self, qr: String) -> Flow {
        let qr_shown = match self.state.link() {
            Some(Link::Pending { qr_shown }) => qr_shown + 1,
            // A linked profile asked for a new scan: WhatsApp no longer knows this device.
            Some(_) => return self.end("SESSION_EXPIRED", true).await,
            None => return Flow::Continue,
        };
        if self.state.browser().is_none() {
            return Flow::Continue;
        }
        if self.phone.is_some() {
            // The linking screen is up: this connection links with a pairing code instead.
            return self.link_by_phone().await;
        }
        if qr_shown > self.deps.config.qr_max_retries {
            return self.end("QR_TIMEOUT", true).await;
        }
        self.deps.metrics.qr_codes_shown.inc();
        self.qr_wait_ends = None;
        let qr_data_url = qr::data_url(&qr).ok();
        self.remake(|browser, _, tries| State::AwaitingScan {
            browser,
            qr: qr.clone(),
            qr_shown,
            tries,
        });
        self.emit(Event::Qr(QrData { qr, qr_data_url })).await;
        Flow::Continue
    }

    pub(super) async fn on_state(&mut self, state: String) -> Flow {
        let data = ChangeStateData {
            state: state.clone(),
        };
        self.emit(Event::ChangeState(data)).await;
        let linked = self.state.is_linked();
        let ready_seen = matches!(self.state, State::Ready { .. });
        if linked && is_fatal_state(&state) && (ready_seen || state != "UNPAIRED") {
            return self.end(&state, true).await;
        }
        if linked && state.starts_with("UNPAIRED") {
            return self.end("SESSION_EXPIRED", true).await;
        }
        if matches!(state.as_str(), "PAIRING" | "CONNECTED") {
            self.pairing();
        }
        Flow::Continue
    }

    /// A new connection's page is past its QR (or pairing) code.
    fn pairing(&mut self) {
        if let State::Loading { .. } | State::AwaitingScan { .. } | State::AwaitingCode { .. } =
            self.state
        {
            self.remake(|browser, link, tries| State::Syncing {
                browser,
                link,
                tries,
            });
        }
    }

    pub(super) async fn on_ready(
        &mut self,
        number: Option<String>,
        pushname: Option<String>,
        platform: Option<String>,
    ) -> Flow {
        let Some(link) = self.state.browser().and(self.state.link()) else {
            // A late report from a browser already given up.
            return Flow::Continue;
        };
        if let Link::Pending { .. } = link {
            self.deps.metrics.scans.inc();
        }
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
        tracing::info!(restored = link == Link::Restored, "connection ready");
        let backup_at = Instant::now() + self.deps.config.session_settle;
        self.remake(|browser, _, _| State::Ready {
            browser,
            me: number.clone(),
            backup_at,
        });
        self.emit(Event::Ready(ReadyData { number, profile })).await;
        self.answer_pages();
        self.pump_sends().await
    }

    /// Tracks the message, then reports it: a client reacting to the event finds it tracked.
    pub(super) async fn on_message(
        &mut self,
        event: fn(MessageData) -> Event,
        message: &WaMessage,
    ) {
        if let Some(record) = tracking::seen(&self.id, message) {
            self.ledger.record_message(record).await;
        }
        self.emit(event(payload::message(message))).await;
    }
}

/// What the page reports only for the log.
fn log_note(event: PageEvent) {
    match event {
        PageEvent::Boot { version } => tracing::info!(version, "WhatsApp Web loaded"),
        PageEvent::ModuleMissing { module } => {
            tracing::warn!(module, "optional WhatsApp Web module missing")
        }
        PageEvent::Error { r#where, message } => {
            tracing::warn!(r#where, message, "driver reported an error")
        }
        _ => {}
    }
}
