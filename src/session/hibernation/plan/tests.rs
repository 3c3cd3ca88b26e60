//! Hibernation's rules on snapshots, in virtual time.

use std::collections::HashMap;
use std::time::Duration;

use tokio::time::{advance, Instant};

use super::*;

const MIN: Duration = Duration::from_secs(60);

fn slots(list: &[(&str, Slot)]) -> HashMap<String, Slot> {
    list.iter()
        .map(|(id, s)| ((*id).to_owned(), s.clone()))
        .collect()
}

#[tokio::test(start_paused = true)]
async fn a_number_sleeps_after_its_idle_time_unless_a_send_is_in_flight() {
    let start = Instant::now();
    let mut busy = Slot::awake(start);
    busy.in_flight = 1;
    let all = slots(&[("idle", Slot::awake(start)), ("busy", busy)]);
    assert!(idle(&all, Instant::now(), 15 * MIN).is_empty(), "not yet");
    advance(15 * MIN).await;
    assert_eq!(idle(&all, Instant::now(), 15 * MIN), ["idle"]);
}

#[tokio::test(start_paused = true)]
async fn a_scheduled_wake_and_a_number_moving_are_left_to_their_own_task() {
    let start = Instant::now();
    let mut scheduled = Slot::awake(start);
    scheduled.scheduled = true;
    let mut moving = Slot::awake(start);
    moving.moving = true;
    let all = slots(&[("scheduled", scheduled), ("moving", moving)]);
    advance(60 * MIN).await;
    assert!(idle(&all, Instant::now(), MIN).is_empty());
    assert_eq!(evictee(&all, None).as_deref(), Some("scheduled"));
}

#[tokio::test(start_paused = true)]
async fn the_least_recently_active_awake_number_makes_room_never_one_sending() {
    let old = Instant::now();
    advance(MIN).await;
    let mid = Instant::now();
    advance(MIN).await;
    let mut oldest_but_sending = Slot::awake(old - MIN);
    oldest_but_sending.in_flight = 2;
    let all = slots(&[
        ("sending", oldest_but_sending),
        ("old", Slot::awake(old)),
        ("mid", Slot::awake(mid)),
        ("new", Slot::awake(Instant::now())),
        ("asleep", Slot::asleep(old - MIN, Instant::now())),
    ]);
    assert_eq!(evictee(&all, None).as_deref(), Some("old"));
    assert_eq!(evictee(&all, Some("old")).as_deref(), Some("mid"));
    assert_eq!(awake_count(&all), 4);
}

#[tokio::test(start_paused = true)]
async fn due_wakes_come_most_overdue_first() {
    let now = Instant::now();
    let all = slots(&[
        ("later", Slot::asleep(now, now + MIN)),
        ("late", Slot::asleep(now, now + 2 * MIN)),
        ("latest", Slot::asleep(now, now + 10 * MIN)),
        ("awake", Slot::awake(now)),
    ]);
    assert!(due(&all, now).is_empty());
    advance(3 * MIN).await;
    assert_eq!(due(&all, Instant::now()), ["later", "late"]);
}

#[tokio::test(start_paused = true)]
async fn wakes_are_spread_evenly_over_the_second_half_of_the_interval() {
    let interval = 30 * MIN;
    let now = Instant::now();
    let mut taken = Vec::new();
    for _ in 0..64 {
        let at = next_wake(now, interval, &taken);
        assert!(at >= now + interval / 2 && at <= now + interval, "{at:?}");
        taken.push(at);
    }
    // 64 wakes in 32 buckets: exactly two in each, none piled up.
    let mut per_bucket = HashMap::new();
    for at in &taken {
        let bucket = (at.duration_since(now + interval / 2).as_secs_f64()
            / (interval / 2 / 32).as_secs_f64()) as u32;
        *per_bucket.entry(bucket).or_insert(0) += 1;
    }
    assert_eq!(per_bucket.len(), 32);
    assert!(per_bucket.values().all(|n| *n == 2), "{per_bucket:?}");
}

#[tokio::test(start_paused = true)]
async fn no_wake_is_planned_later_than_the_longest_sleep() {
    let now = Instant::now();
    assert!(next_wake(now, Duration::from_nanos(10), &[]) <= now + Duration::from_nanos(10));
    assert_eq!(
        wake_after_boot(now, Some(100 * MIN), 30 * MIN),
        now + 30 * MIN
    );
    assert_eq!(wake_after_boot(now, Some(5 * MIN), 30 * MIN), now + 5 * MIN);
    assert_eq!(wake_after_boot(now, None, 30 * MIN), now);
}
