//! The event path's first two steps: persist (the outbox) then fan out on a broadcast bus.
//! Webhooks and live streams subscribe to the bus and read the outbox to catch up.

pub mod dispatcher;
pub mod event;
pub mod fanout;
mod inline_media;
pub mod rich_data;
pub mod schema;
mod signature;
pub mod stream;

use std::sync::Arc;

use chrono::Utc;
use tokio::sync::broadcast;
use uuid::Uuid;

pub use self::event::{Envelope, Event, EVENT_NAMES};
use crate::store::{Store, StoreError, StoreResult, StoredEvent};
use crate::supervisor::{Spec, Supervisor};

/// A subscriber that falls this far behind is told it lagged and must catch up from the outbox.
const BUS_CAPACITY: usize = 1024;

pub struct EventBus {
    store: Arc<dyn Store>,
    tx: broadcast::Sender<Arc<StoredEvent>>,
}

impl EventBus {
    pub fn new(store: Arc<dyn Store>) -> Self {
        let (tx, _) = broadcast::channel(BUS_CAPACITY);
        Self { store, tx }
    }

    /// A new envelope with a time-ordered unique id; nothing is written yet.
    pub fn envelope(&self, connection_id: &str, event: Event) -> Envelope {
        Envelope {
            id: Uuid::now_v7().to_string(),
            connection_id: connection_id.to_owned(),
            timestamp: Utc::now(),
            event,
        }
    }

    /// Writes the event to the store, then publishes it. An event the store refused is not
    /// published: a consumer must never see what a restart would forget. Appending an id the
    /// store already has (a retry whose first write did land) counts as written.
    pub async fn publish(&self, envelope: &Envelope) -> StoreResult<()> {
        let event = Arc::new(envelope.to_stored());
        match self.store.append_event(&event).await {
            Ok(()) | Err(StoreError::Conflict(_)) => {}
            Err(e) => return Err(e),
        }
        tracing::debug!(connection_id = %event.connection_id, event = %event.event, id = %event.id, "event");
        // No subscribers is not an error: the outbox holds the event.
        let _ = self.tx.send(event);
        Ok(())
    }

    pub fn subscribe(&self) -> broadcast::Receiver<Arc<StoredEvent>> {
        self.tx.subscribe()
    }
}

/// Starts webhook delivery under `tasks`: the fan-out (events -> deliveries) and the dispatcher
/// (deliveries -> HTTP), which `wake` prods. Both are required for readiness.
pub fn start_webhooks(
    tasks: &mut Supervisor,
    bus: Arc<EventBus>,
    store: Arc<dyn Store>,
    settings: Arc<crate::config::WebhookSettings>,
    wake: Arc<tokio::sync::Notify>,
    metrics: Arc<crate::metrics::Metrics>,
) {
    let fanout = Spec {
        name: FANOUT_TASK,
        required: true,
    };
    let (fanout_store, fanout_settings, fanout_wake) =
        (store.clone(), settings.clone(), wake.clone());
    tasks.spawn(fanout, move |stop| {
        // A restart starts afresh: a new subscription, and the stored cursor says where to resume.
        let fanout = fanout::Fanout::new(
            fanout_store.clone(),
            fanout_settings.clone(),
            fanout_wake.clone(),
        );
        let events = bus.subscribe();
        async move {
            fanout.run(events, stop).await;
            Ok(())
        }
    });
    // One dispatcher across restarts: its busy lanes and attempts in flight survive a restart.
    let dispatcher = dispatcher::Dispatcher::new(store, settings, wake, metrics);
    let spec = Spec {
        name: DISPATCHER_TASK,
        required: true,
    };
    tasks.spawn(spec, move |stop| {
        let dispatcher = dispatcher.clone();
        async move {
            dispatcher.run(stop).await;
            Ok(())
        }
    });
}

/// The supervised tasks' names, as `/metrics` and `/ready` show them.
const FANOUT_TASK: &str = "webhook_fanout";
const DISPATCHER_TASK: &str = "webhook_dispatcher";
