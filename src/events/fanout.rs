//! Turns every recorded event into webhook deliveries. It reads the event log from a stored cursor,
//! so a crash between recording an event and fanning it out loses nothing: the next start resumes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, Notify};
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::config::WebhookSettings;
use crate::store::{
    Delivery, DeliveryStatus, Store, StoreError, StoreResult, StoredEvent, WebhookTarget,
};

const CURSOR: &str = "webhook-fanout";
const PAGE: usize = 500;
/// Events of different connections can reach the store slightly out of id order; each pass
/// re-reads this far behind the cursor so a late one is still fanned out.
const LOOKBACK: Duration = Duration::from_secs(5);
const IDLE_PASS: Duration = Duration::from_secs(1);

pub struct Fanout {
    store: Arc<dyn Store>,
    settings: Arc<WebhookSettings>,
    dispatcher: Arc<Notify>,
    /// Events already fanned out within the lookback window, so re-reads cost no writes.
    recent: HashMap<String, Instant>,
}

impl Fanout {
    pub fn new(
        store: Arc<dyn Store>,
        settings: Arc<WebhookSettings>,
        dispatcher: Arc<Notify>,
    ) -> Self {
        Self {
            store,
            settings,
            dispatcher,
            recent: HashMap::new(),
        }
    }

    /// Runs until the bus closes or `stop`: a pass after every burst of events, one every
    /// second, and a last one when stopped so every event recorded so far has its deliveries.
    pub async fn run(
        mut self,
        mut events: broadcast::Receiver<Arc<StoredEvent>>,
        stop: CancellationToken,
    ) {
        loop {
            if let Err(e) = self.pass().await {
                tracing::warn!(error = %e, "webhook fan-out pass failed; will retry");
            }
            tokio::select! {
                received = events.recv() => {
                    if let Err(broadcast::error::RecvError::Closed) = received {
                        return;
                    }
                    // Everything queued is covered by the next pass.
                    while events.try_recv().is_ok() {}
                }
                _ = tokio::time::sleep(IDLE_PASS) => {}
                _ = stop.cancelled() => return self.last_pass().await,
            }
        }
    }

    async fn last_pass(mut self) {
        match self.pass().await {
            Ok(()) => tracing::debug!("webhook fan-out finished its last pass"),
            Err(e) => tracing::warn!(
                error = %e,
                "webhook fan-out stopped before its last pass; the next start fans out what is left"
            ),
        }
    }

    async fn pass(&mut self) -> StoreResult<()> {
        let cursor = self.store.get_cursor(CURSOR).await?;
        let mut after = cursor.as_deref().map(lookback_bound);
        let mut created = false;
        loop {
            let events = self.store.list_events(None, after.as_deref(), PAGE).await?;
            for event in &events {
                created |= self.fan_out(event).await?;
            }
            let Some(last) = events.last() else { break };
            if cursor.as_deref().is_none_or(|c| last.id.as_str() > c) {
                self.store.set_cursor(CURSOR, &last.id).await?;
            }
            after = Some(last.id.clone());
            if events.len() < PAGE {
                break;
            }
        }
        self.forget_old();
        if created {
            self.dispatcher.notify_one();
        }
        Ok(())
    }

    /// Creates the event's deliveries; `true` if any is new.
    async fn fan_out(&mut self, event: &StoredEvent) -> StoreResult<bool> {
        if self.recent.contains_key(&event.id) {
            return Ok(false);
        }
        let mut targets = Vec::new();
        if let Some(url) = &self.settings.url {
            if wanted(&self.settings.events, &event.event) {
                targets.push((WebhookTarget::Global, url.clone()));
            }
        }
        if let Some(hook) = self.store.get_webhook(&event.connection_id).await? {
            if wanted(&hook.events, &event.event) {
                targets.push((WebhookTarget::Connection, hook.url));
            }
        }
        let mut created = false;
        for (target, url) in targets {
            match self
                .store
                .insert_delivery(&new_delivery(event, target, url))
                .await
            {
                Ok(()) => created = true,
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
        }
        self.recent.insert(event.id.clone(), Instant::now());
        Ok(created)
    }

    fn forget_old(&mut self) {
        let horizon = LOOKBACK * 2;
        self.recent.retain(|_, at| at.elapsed() < horizon);
    }
}

/// An event filter: empty means every event.
pub fn wanted(filter: &[String], event: &str) -> bool {
    filter.is_empty() || filter.iter().any(|f| f == event)
}

fn new_delivery(event: &StoredEvent, target: WebhookTarget, url: String) -> Delivery {
    let now = crate::store::now();
    Delivery {
        id: Uuid::now_v7().to_string(),
        event_id: event.id.clone(),
        event: event.event.clone(),
        connection_id: event.connection_id.clone(),
        target,
        url,
        status: DeliveryStatus::Pending,
        attempts: 0,
        next_attempt_at: now,
        last_error: None,
        last_status_code: None,
        created_at: now,
        updated_at: now,
        delivered_at: None,
    }
}

/// The smallest UUIDv7 string of `LOOKBACK` before `id`'s timestamp (ids compare as strings).
fn lookback_bound(id: &str) -> String {
    let Ok(uuid) = Uuid::parse_str(id) else {
        return id.to_owned();
    };
    let Some((secs, nanos)) = uuid.get_timestamp().map(|t| t.to_unix()) else {
        return id.to_owned();
    };
    let millis = secs * 1000 + u64::from(nanos / 1_000_000);
    let from = millis.saturating_sub(LOOKBACK.as_millis() as u64);
    let hex = format!("{from:012x}");
    format!("{}-{}-7000-8000-000000000000", &hex[..8], &hex[8..12])
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;

    #[test]
    fn the_lookback_bound_sorts_before_ids_of_the_last_seconds() {
        let id = Uuid::now_v7().to_string();
        let bound = lookback_bound(&id);
        assert!(bound < id, "{bound} < {id}");
        let older = Uuid::new_v7(uuid::Timestamp::from_unix(
            uuid::NoContext,
            Utc::now().timestamp() as u64 - 60,
            0,
        ))
        .to_string();
        assert!(older < bound, "{older} < {bound}");
    }

    #[test]
    fn an_empty_filter_wants_everything() {
        assert!(wanted(&[], "qr"));
        assert!(wanted(&["message".into()], "message"));
        assert!(!wanted(&["message".into()], "qr"));
    }
}
