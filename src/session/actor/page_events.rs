//! What the driver reports, and how the session's state follows it.

use chrono::Utc;
use tokio::time::{Duration, Instant};

use super::{Flow, Session, BOOT_RELOADS, MAX_RELAUNCHES};
use crate::events::event::{AuthenticatedData, ChangeStateData, Event, LoadingData};
use crate::events::event::{MessageData, QrData, ReadyData};
use crate::qr;
use crate::session::Phase;
use crate::session::{payload, tracking};
use crate::store::{ConnectionPatch, ConnectionStatus, Profile, StatusChange};
use crate::whatsapp::{is_fatal_state, PageEvent, Signal, SignalKind, WaMessage};

impl Session {
    pub(super) async fn on_signal(&mut self, signal: Signal) -> Flow {
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

    /// Relaunches with backoff (a pending connection then shows a new QR code). A linked one whose
    /// browser keeps dying waits for the next send to try again; a pending one ends.
    pub(super) async fn after_browser_loss(&mut self) {
        if self.relaunches >= MAX_RELAUNCHES {
            if !self.linked {
                self.end("BROWSER_FAILED", true).await;
                return;
            }
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

    pub(super) async fn on_page_event(&mut self, event: PageEvent) -> Flow {
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
            } => {
                self.on_ready(number, pushname, platform).await;
                Flow::Continue
            }
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
            PageEvent::MessageAck { id, ack, chat_id } => {
                self.ledger.record_ack(&id, ack).await;
                let data = payload::ack(&id, chat_id.as_deref(), ack);
                self.emit(Event::MessageAck(data)).await;
                Flow::Continue
            }
            PageEvent::Error { r#where, message } => {
                tracing::warn!(r#where, message, "driver reported an error");
                Flow::Continue
            }
        }
    }

    pub(super) async fn on_boot_timeout(&mut self) -> Flow {
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

    pub(super) async fn on_qr(&mut self, qr: String) -> Flow {
        if self.linked {
            // A linked profile asked for a new scan: WhatsApp no longer knows this device.
            return self.end("SESSION_EXPIRED", true).await;
        }
        self.qr_count += 1;
        if self.qr_count > self.deps.config.qr_max_retries {
            return self.end("QR_TIMEOUT", true).await;
        }
        self.deps.metrics.qr_codes_shown.inc();
        self.set_phase(Phase::AwaitingScan { qr: qr.clone() });
        let qr_data_url = qr::data_url(&qr).ok();
        self.emit(Event::Qr(QrData { qr, qr_data_url })).await;
        Flow::Continue
    }

    pub(super) async fn on_state(&mut self, state: String) -> Flow {
        let data = ChangeStateData {
            state: state.clone(),
        };
        self.emit(Event::ChangeState(data)).await;
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

    pub(super) async fn on_ready(
        &mut self,
        number: Option<String>,
        pushname: Option<String>,
        platform: Option<String>,
    ) {
        if !self.linked {
            self.deps.metrics.scans.inc();
        }
        self.linked = true;
        self.synced = true;
        self.me = number.clone();
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
        self.emit(Event::Ready(ReadyData { number, profile })).await;
        self.pump_sends().await;
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
