//! The rules of hibernation, pure: who sleeps, who wakes, who makes room, when the next wake
//! comes. The registry ([`super::Slots`]) holds the facts; these functions decide on a snapshot.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::Instant;

/// What hibernation knows of one linked number.
#[derive(Debug, Clone)]
pub struct Slot {
    /// A browser runs for it (or is starting).
    pub awake: bool,
    /// The last send, live-page request or inbound message.
    pub last_activity: Instant,
    /// Sends and page requests running now: a number with one never sleeps.
    pub in_flight: u32,
    /// Falling asleep or waking right now: not to be chosen again meanwhile.
    pub moving: bool,
    /// Awake only for a scheduled wake (it sleeps again once its messages are in).
    pub scheduled: bool,
    /// When a sleeping number is due to wake.
    pub next_wake: Option<Instant>,
}

impl Slot {
    pub fn awake(now: Instant) -> Self {
        Self {
            awake: true,
            last_activity: now,
            in_flight: 0,
            moving: false,
            scheduled: false,
            next_wake: None,
        }
    }

    pub fn asleep(now: Instant, next_wake: Instant) -> Self {
        Self {
            awake: false,
            next_wake: Some(next_wake),
            ..Self::awake(now)
        }
    }

    /// Awake, not in a transition, nothing in flight: may be put to sleep.
    pub fn can_sleep(&self) -> bool {
        self.awake && !self.moving && self.in_flight == 0
    }
}

/// Awake numbers idle for `after` (a scheduled wake is ended by its own task, not by this).
pub fn idle(slots: &HashMap<String, Slot>, now: Instant, after: Duration) -> Vec<String> {
    let mut ids: Vec<_> = slots
        .iter()
        .filter(|(_, s)| s.can_sleep() && !s.scheduled)
        .filter(|(_, s)| now.saturating_duration_since(s.last_activity) >= after)
        .map(|(id, _)| id.clone())
        .collect();
    ids.sort();
    ids
}

/// Sleeping numbers whose wake is due, the most overdue first (so that a backlog of wakes
/// serves first those nearest to `MAX_OFFLINE`).
pub fn due(slots: &HashMap<String, Slot>, now: Instant) -> Vec<String> {
    let mut due: Vec<_> = slots
        .iter()
        .filter(|(_, s)| !s.awake && !s.moving)
        .filter_map(|(id, s)| Some((s.next_wake.filter(|at| *at <= now)?, id)))
        .collect();
    due.sort();
    due.into_iter().map(|(_, id)| id.clone()).collect()
}

/// How many numbers are awake (or waking).
pub fn awake_count(slots: &HashMap<String, Slot>) -> usize {
    slots.values().filter(|s| s.awake).count()
}

/// The awake number to put to sleep to make room: the least recently active one that may sleep
/// (never one with a send in flight), other than `keep`.
pub fn evictee(slots: &HashMap<String, Slot>, keep: Option<&str>) -> Option<String> {
    slots
        .iter()
        .filter(|(id, s)| s.can_sleep() && Some(id.as_str()) != keep)
        .min_by_key(|(id, s)| (s.last_activity, (*id).clone()))
        .map(|(id, _)| id.clone())
}

/// Buckets a wake window is cut into to spread wakes evenly.
const BUCKETS: u32 = 32;

/// When a number falling asleep now wakes next: in the second half of `longest` (so that it
/// sleeps at least half of it), in the bucket holding the fewest wakes already planned (`taken`),
/// the latest of those on a tie. Spread this way, N sleeping numbers wake about N / `longest`
/// times a second instead of all at once.
pub fn next_wake(now: Instant, longest: Duration, taken: &[Instant]) -> Instant {
    let start = now + longest / 2;
    let width = (longest / 2) / BUCKETS;
    if width.is_zero() {
        return now + longest;
    }
    let mut counts = [0usize; BUCKETS as usize];
    for at in taken {
        if *at >= start {
            let index = (at.duration_since(start).as_nanos() / width.as_nanos()) as usize;
            if let Some(count) = counts.get_mut(index) {
                *count += 1;
            }
        }
    }
    let (best, _) = counts
        .iter()
        .enumerate()
        .rev()
        .min_by_key(|(_, count)| **count)
        .expect("there are buckets");
    // The middle of the bucket, never beyond `longest`.
    (start + width * best as u32 + width / 2).min(now + longest)
}

/// The next wake of a number found asleep at boot: its stored one, brought within `longest` of
/// now (a stored time can be far off if the settings changed). An overdue one is due now; the
/// scheduler wakes those `WAKE_CONCURRENCY` at a time, most overdue first.
pub fn wake_after_boot(now: Instant, stored_in: Option<Duration>, longest: Duration) -> Instant {
    match stored_in {
        Some(left) => now + left.min(longest),
        None => now,
    }
}

#[cfg(test)]
mod tests;
