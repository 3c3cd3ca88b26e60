//! Hibernation: idle linked numbers sleep (login archived, browser closed, still `connected`)
//! and wake on demand (a send, a live-page request) or on schedule (to take the messages
//! WhatsApp held for them), so that one box serves many more numbers than it has browsers.
//!
//! [`Hibernation`] is the registry (what is known of each number); [`plan`] holds the rules;
//! `transitions.rs` puts numbers to sleep and wakes them through the manager's one revive path;
//! `scheduler.rs` is the supervised task that applies the rules.

mod plan;
pub mod scheduler;
mod transitions;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, Utc};
use tokio::sync::mpsc;
use tokio::time::Instant;

pub use self::plan::Slot;
use crate::config::HibernationSettings;

/// What `GET /wa/connections` shows of a number's sleep.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SleepView {
    pub awake: bool,
    pub last_awake: Option<DateTime<Utc>>,
    pub next_wake: Option<DateTime<Utc>>,
}

/// The registry of linked numbers as hibernation sees them.
pub struct Hibernation {
    pub settings: HibernationSettings,
    slots: Mutex<HashMap<String, Slot>>,
    /// When each number was last online (kept apart: it is shown and stored, not planned with).
    last_awake: Mutex<HashMap<String, DateTime<Utc>>>,
    /// Held while a number falls asleep, and briefly by a request before it looks for the
    /// number's session: a request never gets a session that is closing.
    gates: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
    /// Numbers chosen to make room on a request's path; the scheduler puts them to sleep.
    evictions: mpsc::UnboundedSender<(String, transitions::Claim)>,
    evicted: tokio::sync::Mutex<mpsc::UnboundedReceiver<(String, transitions::Claim)>>,
}

/// Counts a send or page request in flight on a number until dropped.
pub struct Busy {
    hibernation: Arc<Hibernation>,
    id: String,
}

impl Drop for Busy {
    fn drop(&mut self) {
        let now = Instant::now();
        if let Some(slot) = self.hibernation.slots().get_mut(&self.id) {
            slot.in_flight = slot.in_flight.saturating_sub(1);
            slot.last_activity = now;
        }
    }
}

impl Hibernation {
    pub fn new(settings: HibernationSettings) -> Self {
        let (evictions, evicted) = mpsc::unbounded_channel();
        Self {
            evictions,
            evicted: tokio::sync::Mutex::new(evicted),
            settings,
            slots: Mutex::new(HashMap::new()),
            last_awake: Mutex::new(HashMap::new()),
            gates: Mutex::new(HashMap::new()),
        }
    }

    pub fn enabled(&self) -> bool {
        self.settings.enabled()
    }

    fn slots(&self) -> MutexGuard<'_, HashMap<String, Slot>> {
        self.slots.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn gate(&self, id: &str) -> Arc<tokio::sync::Mutex<()>> {
        let mut gates = self.gates.lock().unwrap_or_else(|e| e.into_inner());
        gates.entry(id.to_owned()).or_default().clone()
    }

    /// A request's way to a number's session: waits while the number falls asleep, and keeps
    /// it from falling asleep until the guard drops.
    pub async fn enter(&self, id: &str) -> tokio::sync::OwnedMutexGuard<()> {
        self.gate(id).lock_owned().await
    }

    /// A send or page request begins on `id`: it counts as activity and keeps the number awake
    /// until the guard drops.
    pub fn busy(self: &Arc<Self>, id: &str) -> Busy {
        let now = Instant::now();
        if let Some(slot) = self.slots().get_mut(id) {
            slot.in_flight += 1;
            slot.last_activity = now;
        }
        Busy {
            hibernation: self.clone(),
            id: id.to_owned(),
        }
    }

    /// Activity on `id` (an inbound message): its idle time starts again.
    pub fn touch(&self, id: &str) {
        let now = Instant::now();
        if let Some(slot) = self.slots().get_mut(id) {
            slot.last_activity = now;
        }
    }

    /// `id` is online (ready): known as awake from now on.
    pub fn online(&self, id: &str) {
        let now = Instant::now();
        self.slots()
            .entry(id.to_owned())
            .and_modify(|s| {
                s.awake = true;
                s.next_wake = None;
                s.last_activity = now;
            })
            .or_insert_with(|| Slot::awake(now));
        self.set_last_awake(id, crate::store::now());
    }

    /// `id` ended (disconnected, archived): forgotten.
    pub fn forget(&self, id: &str) {
        self.slots().remove(id);
        self.last_awake
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(id);
    }

    fn set_last_awake(&self, id: &str, at: DateTime<Utc>) {
        let mut last = self.last_awake.lock().unwrap_or_else(|e| e.into_inner());
        last.insert(id.to_owned(), at);
    }

    fn last_awake(&self, id: &str) -> Option<DateTime<Utc>> {
        let last = self.last_awake.lock().unwrap_or_else(|e| e.into_inner());
        last.get(id).copied()
    }

    /// Hands a number chosen to make room to the scheduler.
    fn evict(&self, id: String, claim: transitions::Claim) {
        // Without a scheduler (it stopped) the claim drops: the number stays awake.
        let _ = self.evictions.send((id, claim));
    }

    /// How many are awake and asleep.
    pub fn counts(&self) -> (usize, usize) {
        let slots = self.slots();
        let awake = plan::awake_count(&slots);
        (awake, slots.len() - awake)
    }

    /// The sleep state of `id` as the API shows it; `running`: a browser runs for it.
    pub fn view(&self, id: &str, running: bool) -> SleepView {
        let (awake, next_wake) = match self.slots().get(id) {
            // Awake until its sleep is recorded; waking counts as awake.
            Some(slot) => (running || slot.awake, slot.next_wake),
            None => (running, None),
        };
        SleepView {
            awake,
            last_awake: self.last_awake(id),
            next_wake: next_wake.filter(|_| !awake).map(wall_clock),
        }
    }
}

/// A moment of the scheduler's clock as a date.
fn wall_clock(at: Instant) -> DateTime<Utc> {
    let now = Instant::now();
    let wall = crate::store::now();
    if at >= now {
        wall + chrono::Duration::from_std(at - now).unwrap_or_default()
    } else {
        wall - chrono::Duration::from_std(now - at).unwrap_or_default()
    }
}

/// A date as a moment of the scheduler's clock (a past date is now).
fn instant_of(at: DateTime<Utc>) -> Instant {
    let left = (at - crate::store::now()).to_std().unwrap_or_default();
    Instant::now() + left
}
