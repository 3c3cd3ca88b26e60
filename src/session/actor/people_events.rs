//! Chat, contact and call events from the page; incoming calls are rejected (and answered with
//! a text) when `REJECT_CALLS` says so.

use std::time::Duration;

use chrono::{DateTime, Utc};
use serde_json::json;
use tokio::sync::oneshot;

use super::state::State;
use super::{Flow, Session};
use crate::domain::ChatId;
use crate::events::event::{
    CallData, ChatArchivedData, ChatRemovedData, ContactChangedData, Event,
};
use crate::whatsapp::{OutgoingMessage, PageEvent};

/// A reject is one stanza; a page that takes longer is not answering.
const REJECT_TIMEOUT: Duration = Duration::from_secs(10);

fn rfc3339(t: Option<i64>) -> Option<String> {
    t.and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
        .map(|t| t.to_rfc3339())
}

/// The digits of a phone-number id (`…@c.us`); `@lid` ids carry no number.
fn number_of(id: Option<&str>) -> Option<String> {
    id.and_then(|id| id.strip_suffix("@c.us"))
        .map(|n| n.split(':').next().unwrap_or(n).to_owned())
}

impl Session {
    /// Handles the page events of chats, contacts and calls.
    pub(super) async fn on_people_event(&mut self, event: PageEvent) -> Flow {
        let event = match event {
            PageEvent::ChatArchived { chat_id, archived } => {
                Event::ChatArchived(ChatArchivedData { chat_id, archived })
            }
            PageEvent::ChatRemoved { chat_id } => Event::ChatRemoved(ChatRemovedData { chat_id }),
            PageEvent::ContactChanged {
                old_id,
                new_id,
                chat_id,
                is_contact,
                t,
            } => Event::ContactChanged(ContactChangedData {
                old_number: number_of(old_id.as_deref()),
                new_number: number_of(new_id.as_deref()),
                old_id,
                new_id,
                chat_id,
                is_contact,
                timestamp: rfc3339(t),
            }),
            PageEvent::Call {
                id,
                from,
                is_video,
                is_group,
                offer_time,
            } => {
                let call = CallData {
                    call_id: id,
                    from_phone: number_of(from.as_deref()),
                    from,
                    is_video,
                    is_group,
                    timestamp: rfc3339(offer_time),
                    rejected: false,
                    replied: false,
                };
                return self.on_call(call).await;
            }
            _ => return Flow::Continue,
        };
        self.emit(event).await;
        Flow::Continue
    }

    /// Rejects the call when configured, reports it, then queues the auto-reply.
    async fn on_call(&mut self, mut call: CallData) -> Flow {
        if self.deps.config.calls.reject {
            call.rejected = self.reject_call(&call).await;
        }
        let reply = self.deps.config.calls.reply.clone();
        let to = call.from.as_deref().and_then(|f| ChatId::parse(f).ok());
        let reply = reply.zip(to).filter(|_| call.rejected);
        call.replied = reply.is_some();
        self.emit(Event::Call(call)).await;
        let Some((text, to)) = reply else {
            return Flow::Continue;
        };
        // Nobody waits for this send's result: its message events tell what became of it.
        let (reply_tx, _) = oneshot::channel();
        self.queue_send(to, OutgoingMessage::text(text), reply_tx);
        self.pump_sends().await
    }

    async fn reject_call(&self, call: &CallData) -> bool {
        let State::Ready { browser, .. } = &self.state else {
            return false;
        };
        let args = json!({"id": call.call_id, "from": call.from});
        match browser
            .caller()
            .call("calls.reject", args, REJECT_TIMEOUT)
            .await
        {
            Ok(_) => true,
            Err(e) => {
                tracing::warn!(error = %e, "rejecting a call failed");
                false
            }
        }
    }
}
