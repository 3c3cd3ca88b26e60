//! What a session writes to the store, kept until the store has it: a status change or an event
//! produced while the store is down is retried in order, never dropped silently.

use std::collections::VecDeque;
use std::sync::Arc;
use std::time::Duration;

use tokio::time::Instant;

use crate::events::EventBus;
use crate::store::{ConnectionPatch, Store, StoredEvent};

const RETRY_EVERY: Duration = Duration::from_secs(1);
/// A chat flood during a long outage must not exhaust memory; past this the oldest events go
/// (logged) so the newest state survives.
const MAX_BACKLOG: usize = 50_000;

pub struct Ledger {
    id: String,
    store: Arc<dyn Store>,
    bus: Arc<EventBus>,
    unsaved: Option<ConnectionPatch>,
    backlog: VecDeque<Arc<StoredEvent>>,
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

    /// Records and publishes an event, after any still waiting, in order.
    pub async fn emit(&mut self, event: &str, data: serde_json::Value) {
        let envelope = Arc::new(self.bus.envelope(&self.id, event, data));
        if self.backlog.len() >= MAX_BACKLOG {
            let lost = self.backlog.pop_front();
            tracing::error!(event = ?lost.map(|e| e.event.clone()), "event backlog full; oldest dropped");
        }
        self.backlog.push_back(envelope);
        self.flush_events().await;
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
        self.flush_events().await;
    }

    async fn flush_events(&mut self) {
        while let Some(event) = self.backlog.front() {
            if let Err(e) = self.bus.publish(event.clone()).await {
                tracing::warn!(error = %e, waiting = self.backlog.len(), "event not recorded yet; will retry");
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
