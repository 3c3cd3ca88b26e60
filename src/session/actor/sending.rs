//! Sending: queued per connection, paced while the connection is ready, kept (with a deadline)
//! while a linked connection's browser is restarting.

use std::collections::VecDeque;

use chrono::Utc;
use tokio::sync::oneshot;
use tokio::time::Instant;

use super::state::State;
use super::{Flow, Session};
use crate::domain::ChatId;
use crate::session::handle::{SendError, Sent};
use crate::session::tracking;
use crate::store::ConnectionPatch;
use crate::whatsapp::OutgoingMessage;

/// The codes with which a message part is refused (`opError` in `page/prelude.js`); any other
/// code is the driver's own failure.
const PART_CODES: &[&str] = &[
    "NOT_FOUND",
    "INVALID_REQUEST",
    "FORBIDDEN",
    "CONFLICT",
    "INCOMPATIBLE",
    "MEDIA_TOO_LARGE",
    "MEDIA_UNSUPPORTED",
];

/// One try at sending through the current browser.
pub(super) enum Attempt {
    Done(Result<Sent, SendError>),
    BrowserLost,
}

pub(super) struct PendingSend {
    to: ChatId,
    message: OutgoingMessage,
    reply: oneshot::Sender<Result<Sent, SendError>>,
    deadline: Instant,
}

impl Session {
    pub(super) async fn on_send(
        &mut self,
        to: ChatId,
        message: OutgoingMessage,
        reply: oneshot::Sender<Result<Sent, SendError>>,
    ) -> Flow {
        // An ended session stops at once, so it never gets here: the handle answers for it.
        if !self.state.is_linked() {
            let _ = reply.send(Err(SendError::NotReady(
                "WhatsApp is not linked yet: scan the QR code first".into(),
            )));
            return Flow::Continue;
        }
        if self.waiting.len() >= self.deps.config.security.send_queue_max {
            let _ = reply.send(Err(SendError::QueueFull));
            return Flow::Continue;
        }
        self.revive();
        self.queue_send(to, message, reply);
        self.pump_sends().await
    }

    /// Sends queued messages while the connection is ready, one per pacing slot: WhatsApp bans
    /// numbers that blast, so a burst leaves at a human pace.
    pub(super) async fn pump_sends(&mut self) -> Flow {
        while matches!(self.state, State::Ready { .. }) && Instant::now() >= self.next_send_at {
            let Some(p) = self.waiting.pop_front() else {
                break;
            };
            match self.send_now(&p.to, &p.message).await {
                Attempt::Done(result) => {
                    let _ = p.reply.send(result);
                    self.next_send_at = Instant::now() + self.pacing_interval();
                }
                Attempt::BrowserLost => {
                    // Killed a moment ago and not yet noticed: restart it and send afterwards.
                    tracing::warn!("browser found dead during a send");
                    self.waiting.push_front(p);
                    return self.lose_browser().await;
                }
            }
        }
        Flow::Continue
    }

    /// `SEND_MIN_INTERVAL_MS` plus up to 30 % more, so sends do not tick like a machine.
    fn pacing_interval(&self) -> std::time::Duration {
        let base = self.deps.config.security.send_min_interval;
        base.mul_f64(1.0 + rand::random::<f64>() * 0.3)
    }

    pub(super) fn queue_send(
        &mut self,
        to: ChatId,
        message: OutgoingMessage,
        reply: oneshot::Sender<Result<Sent, SendError>>,
    ) {
        let deadline = Instant::now() + self.deps.config.send_ready_timeout;
        self.waiting.push_back(PendingSend {
            to,
            message,
            reply,
            deadline,
        });
    }

    pub(super) async fn send_now(&mut self, to: &ChatId, message: &OutgoingMessage) -> Attempt {
        let State::Ready { browser, me, .. } = &self.state else {
            return Attempt::BrowserLost;
        };
        let me = me.clone();
        let reply = match browser.send(to.as_str(), message).await {
            Ok(reply) => reply,
            Err(e) if e.is_browser_lost() => return Attempt::BrowserLost,
            Err(e) => {
                tracing::warn!(error = %e, "send failed in the driver");
                let failed = SendError::Failed("the browser did not complete the send".into());
                return Attempt::Done(Err(failed));
            }
        };
        let timestamp = reply.t.unwrap_or_else(|| Utc::now().timestamp());
        if let Some(id) = &reply.id {
            // Tracked before anything else is reported: its acks may already be queued.
            let ack = if reply.ok { reply.ack.unwrap_or(0) } else { -1 };
            let record = tracking::sent(
                &self.id,
                id,
                me.as_deref(),
                to,
                &message.text,
                timestamp,
                ack,
            )
            .with_kind(reply.kind.as_deref())
            .with_media(reply.media.clone());
            self.ledger.record_message(record).await;
        }
        if !reply.ok {
            let code = reply.code.unwrap_or_default();
            tracing::warn!(code, detail = ?reply.detail, "WhatsApp refused a send");
            return Attempt::Done(Err(match code.as_str() {
                "NOT_ON_WHATSAPP" => SendError::NotOnWhatsapp,
                "SEND_FAILED" => SendError::Refused(reply.detail.unwrap_or_default()),
                c if PART_CODES.contains(&c) => SendError::Rejected {
                    code,
                    message: reply.detail.unwrap_or_default(),
                },
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
            timestamp,
        }))
    }

    pub(super) fn fail_waiting(&mut self, why: &str) {
        for p in self.waiting.drain(..) {
            let _ = p.reply.send(Err(SendError::NotReady(why.into())));
        }
    }

    /// When the send queue needs attention: the next pacing slot while ready, else the first
    /// send that would wait too long for the connection to be ready.
    pub(super) fn send_deadline(&self) -> Option<Instant> {
        if self.waiting.is_empty() {
            None
        } else if let State::Ready { .. } = self.state {
            Some(self.next_send_at)
        } else {
            self.waiting.iter().map(|p| p.deadline).min()
        }
    }

    /// Answers the sends that waited too long for the connection to be ready.
    pub(super) fn expire_waiting(&mut self, now: Instant) {
        if let State::Ready { .. } = self.state {
            return;
        }
        let why = match &self.state {
            State::Unreachable { cause, .. } => {
                format!("WhatsApp Web cannot be loaded ({cause}); retry later")
            }
            _ => "WhatsApp did not become ready in time; retry later".into(),
        };
        self.expire_pages(now, &why);
        let (expired, kept): (VecDeque<_>, VecDeque<_>) =
            self.waiting.drain(..).partition(|p| p.deadline <= now);
        self.waiting = kept;
        for p in expired {
            let _ = p.reply.send(Err(SendError::NotReady(why.clone())));
        }
    }
}
