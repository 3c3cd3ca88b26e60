//! The servers' shared state: the world, the connected pages and the counters.
//! Every method is synchronous and never holds a lock across an await; delayed work
//! (acks, sync, ciphertext) runs in spawned tasks that call back in.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Instant;

use serde_json::Value;
use tokio::sync::{broadcast, mpsc};

use crate::config::{AckBehaviour, SimConfig};
use crate::error::SimError;
use crate::state::{Store, World};
use crate::types::{Counters, SentMessage};

/// Outgoing frames per page are bounded: a page that stops reading loses frames, not memory.
pub const PAGE_QUEUE: usize = 1024;

/// Shared by the HTTP handlers, the page sockets and the `Simulator` handle.
pub struct Core {
    pub config: SimConfig,
    world: Mutex<World>,
    store: Store,
    pages: Mutex<HashMap<u64, Page>>,
    counters: Mutex<Counters>,
    next_page: AtomicU64,
    /// Every message a linked page sends, as it is recorded (for latency measurements).
    pub sent_feed: broadcast::Sender<SentMessage>,
    /// The media servers (upload and CDN).
    pub media: crate::media::Cdn,
    /// Plain files served at `/__sim/files/{name}` (media URLs for tests).
    pub files: crate::media::files::Files,
}

/// One connected page (one WebSocket).
pub struct Page {
    pub tx: mpsc::Sender<Value>,
    pub link: Link,
}

/// What a page is to the servers.
pub enum Link {
    /// Connected, said nothing useful yet.
    Fresh,
    /// Showing QR codes.
    Pairing(Pairing),
    /// Scanned; will reload with credentials.
    Paired,
    /// Holding a linked device's credentials.
    Linked {
        number: String,
        device_id: u32,
        /// `CONNECTED`, or a state forced on it (`CONFLICT`, `TIMEOUT`, ...).
        state: String,
    },
}

/// The QR side of a page that waits for a scan.
#[derive(Default)]
pub struct Pairing {
    /// Public keys the QR carries: noise, identity, adv secret, platform.
    pub keys: [String; 4],
    /// Every ref handed to this page.
    pub issued: Vec<String>,
    /// The QR string on screen now.
    pub current: Option<String>,
    /// The ref shown before, and when it was replaced.
    pub previous: Option<(String, Instant)>,
    /// Link-by-phone-number: the 8-character code and the number it was asked for.
    pub code: Option<(String, String)>,
}

impl Core {
    pub fn new(config: SimConfig) -> Result<Arc<Self>, SimError> {
        let store = Store::new(config.state_dir.as_deref())?;
        let world = store.load()?;
        Ok(Arc::new(Core {
            config,
            world: Mutex::new(world),
            store,
            pages: Mutex::new(HashMap::new()),
            counters: Mutex::new(Counters::default()),
            next_page: AtomicU64::new(1),
            sent_feed: broadcast::channel(4096).0,
            media: crate::media::Cdn::default(),
            files: Default::default(),
        }))
    }

    /// Locks the world for reading or changing; call `save` after changing it.
    pub fn world(&self) -> MutexGuard<'_, World> {
        self.world.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn pages(&self) -> MutexGuard<'_, HashMap<u64, Page>> {
        self.pages.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Persists the world (a no-op without a state folder).
    pub fn save(&self, world: &World) {
        self.store.save(world);
    }

    /// Changes the world and persists it.
    pub fn mutate<T>(&self, f: impl FnOnce(&mut World) -> T) -> T {
        let mut world = self.world();
        let out = f(&mut world);
        self.save(&world);
        out
    }

    pub fn count(&self, f: impl FnOnce(&mut Counters)) {
        f(&mut self.counters.lock().unwrap_or_else(|e| e.into_inner()));
    }

    pub fn counters(&self) -> Counters {
        self.counters
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    pub fn acks(&self) -> AckBehaviour {
        self.world().acks.unwrap_or(self.config.acks)
    }

    /// Registers a new page socket.
    pub fn open_page(&self, tx: mpsc::Sender<Value>) -> u64 {
        let id = self.next_page.fetch_add(1, Ordering::Relaxed);
        self.pages().insert(
            id,
            Page {
                tx,
                link: Link::Fresh,
            },
        );
        self.count(|c| c.socket_connections += 1);
        id
    }

    pub fn close_page(&self, id: u64) {
        let page = self.pages().remove(&id);
        if let Some(Link::Linked {
            number, device_id, ..
        }) = page.map(|p| p.link)
        {
            self.went_offline(&number, device_id);
        }
    }

    /// Sends a frame to one page; a full queue drops the frame (logged).
    pub fn send_to(&self, page: u64, frame: Value) {
        let tx = self.pages().get(&page).map(|p| p.tx.clone());
        if let Some(tx) = tx {
            push(&tx, frame);
        }
    }

    /// Pages linked as `number`, with their device id and state.
    pub fn linked_pages(&self, number: &str) -> Vec<(u64, u32, String, mpsc::Sender<Value>)> {
        self.pages()
            .iter()
            .filter_map(|(id, p)| match &p.link {
                Link::Linked {
                    number: n,
                    device_id,
                    state,
                } if n == number => Some((*id, *device_id, state.clone(), p.tx.clone())),
                _ => None,
            })
            .collect()
    }

    /// Sends a frame to every page linked as `number` (whatever its state).
    pub fn broadcast(&self, number: &str, frame: &Value) {
        for (_, _, _, tx) in self.linked_pages(number) {
            push(&tx, frame.clone());
        }
    }

    pub fn set_link(&self, page: u64, link: Link) {
        if let Some(p) = self.pages().get_mut(&page) {
            p.link = link;
        }
    }
}

/// Queues a frame without waiting.
pub fn push(tx: &mpsc::Sender<Value>, frame: Value) {
    if let Err(e) = tx.try_send(frame) {
        tracing::warn!(error = %e, "page queue full or closed; frame dropped");
    }
}

/// Random upper-case hex of `len` characters.
pub fn random_hex(len: usize) -> String {
    (0..len)
        .map(|_| char::from_digit(rand::random_range(0..16u32), 16).unwrap_or('0'))
        .collect::<String>()
        .to_uppercase()
}

/// Unix seconds now.
pub fn now_secs() -> i64 {
    chrono::Utc::now().timestamp()
}
