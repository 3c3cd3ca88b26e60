//! What a session writes to the store, kept until the store has it: record changes, events and
//! message tracking produced while the store is down are retried in order, never dropped silently.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::time::Instant;
use uuid::Uuid;

use crate::events::{Envelope, Event, EventBus};
use crate::store::{ConnectionPatch, MessageChange, MessageRecord, Store, StoreError, StoreResult};

const RETRY_EVERY: Duration = Duration::from_secs(1);
/// A chat flood during a long outage must not exhaust memory; past this the oldest writes go
/// (logged) so the newest state survives.
const MAX_BACKLOG: usize = 50_000;

/// One pending write, applied in the order the session produced them.
enum Write {
    Event {
        event: Box<Envelope>,
        tried: bool,
    },
    Message(Box<MessageRecord>),
    Ack {
        message_id: String,
        ack: i64,
        at: DateTime<Utc>,
    },
    Change {
        message_id: String,
        change: MessageChange,
    },
}

pub struct Ledger {
    id: String,
    store: Arc<dyn Store>,
    bus: Arc<EventBus>,
    unsaved: Option<ConnectionPatch>,
    backlog: VecDeque<Write>,
    retry_at: Option<Instant>,
}

impl Ledger {
    pub fn new(id: String, store: Arc<dyn Store>, bus: Arc<EventBus>) -> Self {
        Self {
            id,
            store,
            bus,
            unsaved: None,
            backlog: VecDeque::new(),
            retry_at: None,
        }
    }

    /// Applies `patch` to the connection record now, or as soon as the store answers.
    pub async fn patch(&mut self, patch: ConnectionPatch) {
        let merged = match self.unsaved.take() {
            Some(earlier) => merge(earlier, patch),
            None => patch,
        };
        if let Err(e) = self.store.update_connection(&self.id, merged.clone()).await {
            tracing::warn!(error = %e, "connection record not saved yet; will retry");
            self.unsaved = Some(merged);
            self.schedule_retry();
        }
    }

    /// Records and publishes an event, after every write still waiting.
    pub async fn emit(&mut self, event: Event) {
        let event = self.bus.envelope(&self.id, event);
        self.push(Write::Event {
            event: Box::new(event),
            tried: false,
        })
        .await;
    }

    /// Starts tracking a message (one already tracked is left as it is).
    pub async fn record_message(&mut self, message: MessageRecord) {
        self.push(Write::Message(Box::new(message))).await;
    }

    pub async fn record_ack(&mut self, message_id: &str, ack: i64) {
        let write = Write::Ack {
            message_id: message_id.to_owned(),
            ack,
            at: crate::store::now(),
        };
        self.push(write).await;
    }

    /// Applies an edit or a delete to a tracked message (an untracked one is left alone).
    pub async fn record_change(&mut self, message_id: &str, change: MessageChange) {
        let write = Write::Change {
            message_id: message_id.to_owned(),
            change,
        };
        self.push(write).await;
    }

    pub fn retry_at(&self) -> Option<Instant> {
        self.retry_at
    }

    /// Called when `retry_at` is due.
    pub async fn retry(&mut self) {
        self.retry_at = None;
        if let Some(patch) = self.unsaved.take() {
            self.patch(patch).await;
        }
        self.flush().await;
    }

    async fn push(&mut self, write: Write) {
        if self.backlog.len() >= MAX_BACKLOG {
            self.backlog.pop_front();
            tracing::error!("store backlog full; the oldest pending write was dropped");
        }
        self.backlog.push_back(write);
        self.flush().await;
    }

    async fn flush(&mut self) {
        while let Some(write) = self.backlog.front_mut() {
            if let Err(e) = apply(&self.id, &self.store, &self.bus, write).await {
                tracing::warn!(error = %e, waiting = self.backlog.len(), "store write pending; will retry");
                self.schedule_retry();
                return;
            }
            self.backlog.pop_front();
        }
    }

    fn schedule_retry(&mut self) {
        self.retry_at
            .get_or_insert_with(|| Instant::now() + RETRY_EVERY);
    }
}

async fn apply(
    connection_id: &str,
    store: &Arc<dyn Store>,
    bus: &EventBus,
    write: &mut Write,
) -> StoreResult<()> {
    match write {
        Write::Event { event, tried } => {
            if *tried {
                // The webhook fan-out reads the log in id order: an event written late gets a
                // fresh id so it is not behind the fan-out's cursor. Its timestamp stays.
                event.id = Uuid::now_v7().to_string();
            }
            *tried = true;
            bus.publish(event).await
        }
        Write::Message(message) => match store.insert_message(message).await {
            Ok(()) | Err(StoreError::Conflict(_)) => Ok(()),
            Err(e) => Err(e),
        },
        Write::Ack {
            message_id,
            ack,
            at,
        } => {
            let updated = store
                .apply_ack(connection_id, message_id, *ack, *at)
                .await?;
            if updated.is_none() {
                tracing::debug!(message_id = %message_id, "ack for a message that is not tracked");
            }
            Ok(())
        }
        Write::Change { message_id, change } => {
            let updated = store
                .change_message(connection_id, message_id, change)
                .await?;
            if updated.is_none() {
                tracing::debug!(message_id = %message_id, "change of a message that is not tracked");
            }
            Ok(())
        }
    }
}

/// `later` wins field by field.
fn merge(earlier: ConnectionPatch, later: ConnectionPatch) -> ConnectionPatch {
    ConnectionPatch {
        status: later.status.or(earlier.status),
        whatsapp_number: later.whatsapp_number.or(earlier.whatsapp_number),
        profile_info: later.profile_info.or(earlier.profile_info),
        last_active: later.last_active.or(earlier.last_active),
        archived: later.archived.or(earlier.archived),
    }
}
