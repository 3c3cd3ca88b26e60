//! Falling asleep and waking, through the manager: a sleep closes the session as a gateway
//! shutdown does (the login archived once more); a wake is the manager's one revive path (the
//! login unpacked, no QR), as at boot.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::OwnedMutexGuard;
use tokio::time::Instant;

use super::{instant_of, plan, wall_clock, Hibernation};
use crate::events::event::{AsleepData, AwakeData};
use crate::events::Event;
use crate::session::actor::Deps;
use crate::session::handle::{Phase, SessionHandle};
use crate::session::manager::{SessionManager, Unrevivable};
use crate::store::SleepRecord;

/// How long a wake may take before it is given up (the session goes on trying by itself).
const WAKE_LIMIT: Duration = Duration::from_secs(120);

/// A sleep decided on: the number's gate is held and its slot marked as moving.
pub(super) struct Claim {
    _gate: OwnedMutexGuard<()>,
    next_wake: Instant,
}

impl Hibernation {
    /// Decides that `id` sleeps, if it may now: awake, not moving, nothing in flight, and no
    /// request holding its gate. Synchronous, so that two callers never pick the same number.
    pub(super) fn claim_sleep(&self, id: &str) -> Option<Claim> {
        let gate = self.gate(id).try_lock_owned().ok()?;
        let now = Instant::now();
        let mut slots = self.slots();
        let taken: Vec<Instant> = slots.values().filter_map(|s| s.next_wake).collect();
        let slot = slots.get_mut(id).filter(|s| s.can_sleep())?;
        let next_wake = plan::next_wake(now, self.settings.longest_sleep(), &taken);
        slot.moving = true;
        // Shown from now on; `due` ignores it while the number is awake or moving.
        slot.next_wake = Some(next_wake);
        Some(Claim {
            _gate: gate,
            next_wake,
        })
    }

    /// Marks `id` as waking (it counts as awake for the budget from now on). `false` if it is
    /// already awake or moving.
    pub(super) fn claim_wake(&self, id: &str, scheduled: bool) -> bool {
        let mut slots = self.slots();
        match slots.get_mut(id) {
            Some(slot) if !slot.awake && !slot.moving => {
                slot.awake = true;
                slot.moving = true;
                slot.scheduled = scheduled;
                true
            }
            _ => false,
        }
    }

    /// A wake came to an end (ready, or given up): the slot may be chosen again.
    pub(super) fn settled(&self, id: &str) {
        if let Some(slot) = self.slots().get_mut(id) {
            slot.moving = false;
        }
    }

    /// A wake that failed: the number sleeps on and is tried again after `retry`.
    pub(super) fn still_asleep(&self, id: &str, retry: Duration) {
        if let Some(slot) = self.slots().get_mut(id) {
            slot.awake = false;
            slot.moving = false;
            slot.next_wake = Some(Instant::now() + retry);
        }
    }

    /// Picks the numbers to put to sleep so that the awake ones fit in `MAX_AWAKE` (a waking
    /// number counts as awake from its claim on), least recently active first; never `keep`.
    pub(super) fn over_budget(&self, keep: Option<&str>) -> Vec<(String, Claim)> {
        let Some(max) = self.settings.max_awake else {
            return Vec::new();
        };
        let mut picked = Vec::new();
        loop {
            let (count, evictee) = {
                let slots = self.slots();
                (plan::awake_count(&slots), plan::evictee(&slots, keep))
            };
            if count.saturating_sub(picked.len()) <= max {
                return picked;
            }
            let Some(id) = evictee else { return picked };
            match self.claim_sleep(&id) {
                Some(claim) => picked.push((id, claim)),
                None => return picked,
            }
        }
    }
}

impl SessionManager {
    /// Puts a claimed number to sleep: closes its session (archiving the login), records the
    /// sleep, tells the world. A session that is not ready is left running.
    pub(super) async fn fall_asleep(&self, id: &str, claim: Claim, reason: &'static str) {
        let h = &self.hibernation;
        if !self.close_for_sleep(id).await {
            if let Some(slot) = h.slots().get_mut(id) {
                slot.moving = false;
                slot.next_wake = None;
            }
            return;
        }
        // Recorded before it shows: whoever sees it asleep finds it asleep after a crash too.
        let asleep_at = crate::store::now();
        h.set_last_awake(id, asleep_at);
        let next_wake = wall_clock(claim.next_wake);
        tracing::info!(connection_id = %id, reason, %next_wake, "number asleep");
        let record = SleepRecord {
            connection_id: id.to_owned(),
            asleep: true,
            last_awake: Some(asleep_at),
            next_wake: Some(next_wake),
        };
        persist(&self.deps, &record).await;
        if let Some(slot) = h.slots().get_mut(id) {
            slot.awake = false;
            slot.moving = false;
            slot.scheduled = false;
            slot.next_wake = Some(claim.next_wake);
        }
        self.deps.metrics.hibernation.slept(reason);
        let data = AsleepData {
            reason: reason.to_owned(),
            next_wake,
        };
        publish(&self.deps, id, Event::Asleep(data)).await;
        drop(claim);
    }

    /// Wakes a sleeping number for a request (the caller holds its gate): room is made within
    /// `MAX_AWAKE`, the session revived; `awake` follows once it is ready.
    pub(in crate::session) async fn wake_on_demand(
        &self,
        id: &str,
    ) -> Result<SessionHandle, Unrevivable> {
        let h = self.hibernation.clone();
        let asleep = h.claim_wake(id, false);
        let started = Instant::now();
        self.make_room(id);
        let handle = self.revive(id).await;
        match &handle {
            Ok(handle) if asleep => {
                let (deps, handle, id) = (self.deps.clone(), handle.clone(), id.to_owned());
                tokio::spawn(async move {
                    let phase = handle.wait_for(WAKE_LIMIT, ready_or_over).await;
                    woke(&deps, &h, &id, "demand", started, &phase).await;
                });
            }
            Ok(_) => {}
            Err(_) => h.forget(id),
        }
        handle
    }

    /// Has numbers put to sleep, by the scheduler in the background, so that the awake ones
    /// fit in `MAX_AWAKE`.
    pub(super) fn make_room(&self, keep: &str) {
        for (id, claim) in self.hibernation.over_budget(Some(keep)) {
            self.hibernation.evict(id, claim);
        }
    }

    /// A scheduled wake: revive, wait for the offline messages (ready comes after WhatsApp's
    /// offline delivery reached 100 %), let the inbound ones be relayed, sleep again unless a
    /// request came meanwhile.
    pub(super) async fn scheduled_wake(&self, id: &str) {
        let h = self.hibernation.clone();
        let started = Instant::now();
        let handle = match self.revive(id).await {
            Ok(handle) => handle,
            Err(Unrevivable::Expired) => return h.forget(id),
            Err(Unrevivable::Sealed) => return h.still_asleep(id, h.settings.longest_sleep()),
        };
        let phase = handle.wait_for(WAKE_LIMIT, ready_or_over).await;
        woke(&self.deps, &h, id, "schedule", started, &phase).await;
        if phase != Phase::Ready {
            return;
        }
        self.quiet(id).await;
        let still_scheduled = h.slots().get(id).is_some_and(|s| s.scheduled);
        if still_scheduled {
            if let Some(claim) = h.claim_sleep(id) {
                self.fall_asleep(id, claim, "scheduled").await;
            }
        }
    }

    /// Waits until no inbound message came for a moment (bounded): the offline messages are in.
    async fn quiet(&self, id: &str) {
        const QUIET: Duration = Duration::from_secs(2);
        let limit = Instant::now() + Duration::from_secs(60);
        loop {
            let last = self.hibernation.slots().get(id).map(|s| s.last_activity);
            let Some(last) = last else { return };
            let calm_at = last + QUIET;
            if calm_at <= Instant::now() || Instant::now() >= limit {
                return;
            }
            tokio::time::sleep_until(calm_at.min(limit)).await;
        }
    }

    /// At boot: the connected numbers that sleep stay asleep (their wakes planned from the
    /// store); the others are returned to be restored.
    pub(in crate::session) async fn keep_sleeping(&self, connected: Vec<String>) -> Vec<String> {
        let h = &self.hibernation;
        if !h.enabled() {
            return connected;
        }
        let records = match self.deps.store.list_sleep().await {
            Ok(records) => records,
            Err(e) => {
                tracing::error!(error = %e, "could not read sleep states; restoring every number");
                return connected;
            }
        };
        let longest = h.settings.longest_sleep();
        let now = Instant::now();
        let mut awake = Vec::new();
        for id in connected {
            let Some(r) = records.iter().find(|r| r.connection_id == id && r.asleep) else {
                awake.push(id);
                continue;
            };
            let stored_in = r
                .next_wake
                .map(|at| instant_of(at).saturating_duration_since(now));
            let next = plan::wake_after_boot(now, stored_in, longest);
            h.slots().insert(id.clone(), plan::Slot::asleep(now, next));
            if let Some(at) = r.last_awake {
                h.set_last_awake(&id, at);
            }
        }
        let (_, asleep) = h.counts();
        tracing::info!(asleep, "sleeping numbers stay asleep");
        awake
    }
}

fn ready_or_over(p: &Phase) -> bool {
    use Phase::{Dormant, Ended, Ready, Unreachable};
    matches!(p, Ready | Ended { .. } | Dormant | Unreachable { .. })
}

/// A wake came to `phase`: counted, told and recorded when ready; the slot settles.
async fn woke(
    deps: &Deps,
    h: &Arc<Hibernation>,
    id: &str,
    reason: &'static str,
    started: Instant,
    phase: &Phase,
) {
    h.settled(id);
    match phase {
        Phase::Ready => {}
        Phase::Ended { .. } => return h.forget(id),
        _ => {
            tracing::warn!(connection_id = %id, ?phase, "a wake did not get ready");
            return;
        }
    }
    let took = started.elapsed();
    h.online(id);
    deps.metrics.hibernation.woke(reason, took);
    tracing::info!(connection_id = %id, reason, ?took, "number awake");
    let record = SleepRecord {
        connection_id: id.to_owned(),
        asleep: false,
        last_awake: h.last_awake(id),
        next_wake: None,
    };
    persist(deps, &record).await;
    let data = AwakeData {
        reason: reason.to_owned(),
        latency_ms: took.as_millis() as u64,
    };
    publish(deps, id, Event::Awake(data)).await;
}

async fn persist(deps: &Deps, record: &SleepRecord) {
    if let Err(e) = deps.store.put_sleep(record).await {
        tracing::warn!(connection_id = %record.connection_id, error = %e, "could not record the sleep state");
    }
}

async fn publish(deps: &Deps, id: &str, event: Event) {
    let envelope = deps.bus.envelope(id, event);
    if let Err(e) = deps.bus.publish(&envelope).await {
        tracing::warn!(connection_id = %id, error = %e, "could not record a hibernation event");
    }
}
