//! Live event streams (SSE and WebSocket share this): optionally replay from the outbox after a
//! client's last seen id, then follow the bus. A subscriber that falls behind the bus catches up
//! from the store instead of growing a buffer, so a slow client costs no memory.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;

use tokio::sync::{broadcast, mpsc};

use super::EventBus;
use crate::store::{Store, StoreResult, StoredEvent};

/// Events a stream wants.
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub connection_id: Option<String>,
    /// Empty means every event.
    pub events: Vec<String>,
    /// Only connections of this tenant; `None` for all (admins).
    pub tenant: Option<String>,
}

impl Filter {
    fn matches(&self, e: &StoredEvent) -> bool {
        self.connection_id
            .as_ref()
            .is_none_or(|c| *c == e.connection_id)
            && super::fanout::wanted(&self.events, &e.event)
    }
}

/// Held back for a slow client before it is caught up from the store.
const BUFFER: usize = 256;
const CATCH_UP_PAGE: usize = 500;
/// Ids remembered to drop duplicates between a replay and the live bus.
const SEEN: usize = 4096;

/// Starts a stream; it ends when the receiver is dropped.
pub fn subscribe(
    bus: &EventBus,
    store: Arc<dyn Store>,
    filter: Filter,
    last_event_id: Option<String>,
) -> mpsc::Receiver<Arc<StoredEvent>> {
    let (tx, rx) = mpsc::channel(BUFFER);
    let live = bus.subscribe();
    tokio::spawn(async move {
        let mut feed = Feed {
            store,
            filter,
            tx,
            last: last_event_id,
            seen: Seen::default(),
            owners: HashMap::new(),
        };
        if let Err(e) = feed.follow(live).await {
            tracing::warn!(error = %e, "event stream ended");
        }
    });
    rx
}

struct Feed {
    store: Arc<dyn Store>,
    filter: Filter,
    tx: mpsc::Sender<Arc<StoredEvent>>,
    /// The newest id this stream has passed on (or was told the client has).
    last: Option<String>,
    seen: Seen,
    /// Tenant of each connection seen (a connection never changes tenant).
    owners: HashMap<String, Option<String>>,
}

impl Feed {
    async fn follow(&mut self, mut live: broadcast::Receiver<Arc<StoredEvent>>) -> StoreResult<()> {
        if self.last.is_some() && !self.catch_up().await? {
            return Ok(());
        }
        loop {
            match live.recv().await {
                Ok(event) => {
                    if !self.forward(event).await {
                        return Ok(());
                    }
                }
                Err(broadcast::error::RecvError::Lagged(missed)) => {
                    tracing::debug!(missed, "stream lagged; catching up from the store");
                    if !self.catch_up().await? {
                        return Ok(());
                    }
                }
                Err(broadcast::error::RecvError::Closed) => return Ok(()),
            }
        }
    }

    /// Replays stored events after `last`; `false` once the client is gone.
    async fn catch_up(&mut self) -> StoreResult<bool> {
        loop {
            let connection = self.filter.connection_id.as_deref();
            let page = self
                .store
                .list_events(connection, self.last.as_deref(), CATCH_UP_PAGE)
                .await?;
            let full = page.len() == CATCH_UP_PAGE;
            for event in page {
                if !self.forward(Arc::new(event)).await {
                    return Ok(false);
                }
            }
            if !full {
                return Ok(true);
            }
        }
    }

    /// Sends `event` if wanted and new; `false` once the client is gone.
    async fn forward(&mut self, event: Arc<StoredEvent>) -> bool {
        if !self.seen.insert(&event.id) {
            return true;
        }
        if self.last.as_deref().is_none_or(|l| event.id.as_str() > l) {
            self.last = Some(event.id.clone());
        }
        if !self.filter.matches(&event) || !self.visible(&event.connection_id).await {
            return true;
        }
        self.tx.send(event).await.is_ok()
    }

    async fn visible(&mut self, connection_id: &str) -> bool {
        let Some(tenant) = self.filter.tenant.clone() else {
            return true;
        };
        if !self.owners.contains_key(connection_id) {
            let owner = match self.store.get_connection(connection_id).await {
                Ok(c) => c.map(|c| c.tenant),
                // Unknown for now: hide it, and ask again next time.
                Err(_) => return false,
            };
            self.owners.insert(connection_id.to_owned(), owner);
        }
        self.owners[connection_id].as_deref() == Some(tenant.as_str())
    }
}

/// A bounded memory of recent ids.
#[derive(Default)]
struct Seen {
    set: HashSet<String>,
    order: VecDeque<String>,
}

impl Seen {
    /// `false` if `id` was seen already.
    fn insert(&mut self, id: &str) -> bool {
        if !self.set.insert(id.to_owned()) {
            return false;
        }
        self.order.push_back(id.to_owned());
        if self.order.len() > SEEN {
            if let Some(old) = self.order.pop_front() {
                self.set.remove(&old);
            }
        }
        true
    }
}
