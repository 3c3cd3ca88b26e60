//! Keeping the browser alive: crash -> reload, death -> relaunch with backoff, a page that does
//! not boot, and late reports from a browser already replaced.

use std::time::Duration;

use tokio::time::Instant;

use super::fake::Call;
use super::{qr, ready, Harness};
use crate::session::actor::Mode;
use crate::session::Phase;
use crate::whatsapp::{PageEvent, SignalKind};

fn boot_timeout() -> PageEvent {
    PageEvent::BootTimeout {
        message: "no Debug.VERSION".into(),
    }
}

/// Kills the browser and returns how long the relaunch took (virtual time).
async fn relaunch_delay(h: &Harness) -> Duration {
    let t0 = Instant::now();
    h.kill_and_relaunch().await;
    t0.elapsed()
}

fn about(actual: Duration, expected_ms: u64) -> bool {
    let expected = Duration::from_millis(expected_ms);
    actual >= expected && actual < expected + Duration::from_millis(5)
}

#[tokio::test(start_paused = true)]
async fn a_renderer_crash_reloads_the_page_and_keeps_the_state() {
    let h = Harness::linked().await;
    h.fake.crash().await;
    h.fake
        .until("a reload", |s| s.count(&Call::Reload) == 1)
        .await;
    assert_eq!(h.handle.live().phase, Phase::Ready);
    assert_eq!(h.fake.seen(|s| s.started), 1);
}

#[tokio::test(start_paused = true)]
async fn a_dead_browser_is_relaunched_after_a_backoff_that_doubles() {
    let h = Harness::linked().await;
    h.fake.kill().await;
    h.phase_is("restarting", |p| *p == Phase::Restarting).await;
    assert_eq!(h.handle.live().pid, None);
    h.fake.until("the relaunch", |s| s.started == 2).await;
    h.phase_is("syncing again", |p| *p == Phase::Syncing).await;
    assert_eq!(h.handle.live().pid, Some(1002));
    for expected_ms in [1000, 2000, 4000, 8000] {
        let delay = relaunch_delay(&h).await;
        assert!(about(delay, expected_ms), "{delay:?}, not {expected_ms} ms");
    }
    assert_eq!(h.fake.seen(|s| s.open), 1);
}

#[tokio::test(start_paused = true)]
async fn ready_again_resets_the_backoff() {
    let h = Harness::linked().await;
    assert!(about(relaunch_delay(&h).await, 500));
    assert!(about(relaunch_delay(&h).await, 1000));
    h.fake.page(ready()).await;
    h.phase_is("ready", |p| *p == Phase::Ready).await;
    assert!(about(relaunch_delay(&h).await, 500));
}

#[tokio::test(start_paused = true)]
async fn a_browser_that_fails_to_start_counts_as_one_that_died() {
    let h = Harness::linked().await;
    h.fake.refuse_launches(2);
    let t0 = Instant::now();
    h.fake.kill().await;
    h.fake
        .until("a relaunch that works", |s| s.started == 2)
        .await;
    assert!(about(t0.elapsed(), 500 + 1000 + 2000), "{:?}", t0.elapsed());
    h.phase_is("syncing", |p| *p == Phase::Syncing).await;
}

#[tokio::test(start_paused = true)]
async fn a_linked_connection_whose_browser_keeps_dying_goes_dormant() {
    let h = Harness::linked().await;
    for _ in 0..5 {
        h.kill_and_relaunch().await;
    }
    h.fake.kill().await;
    h.phase_is("dormant", |p| *p == Phase::Dormant).await;
    assert_eq!(h.fake.seen(|s| (s.started, s.open)), (6, 0));
    assert_eq!(h.handle.live().pid, None);
    assert_eq!(h.record().await.reason, None);
}

#[tokio::test(start_paused = true)]
async fn a_pending_connection_whose_browser_keeps_dying_ends() {
    let mut h = Harness::start(Mode::New).await;
    for _ in 0..5 {
        h.kill_and_relaunch().await;
    }
    h.fake.kill().await;
    h.ended_with("BROWSER_FAILED").await;
}

#[tokio::test(start_paused = true)]
async fn a_relaunched_pending_connection_shows_new_codes_and_keeps_counting_them() {
    let mut h = Harness::start(Mode::New).await;
    h.fake.page(qr("2@a")).await;
    h.fake.page(qr("2@b")).await;
    h.kill_and_relaunch().await;
    h.phase_is("starting", |p| *p == Phase::Starting).await;
    h.fake.page(qr("2@c")).await;
    h.phase_is("the new code", |p| *p != Phase::Starting).await;
    h.fake.page(qr("2@d")).await;
    h.ended_with("QR_TIMEOUT").await;
}

#[tokio::test(start_paused = true)]
async fn a_page_that_does_not_boot_is_reloaded_three_times_then_the_connection_ends() {
    let mut h = Harness::start(Mode::New).await;
    for n in 1..=3 {
        h.fake.page(boot_timeout()).await;
        h.fake
            .until("a reload", |s| s.count(&Call::Reload) == n)
            .await;
    }
    h.fake.page(boot_timeout()).await;
    h.ended_with("WA_WEB_UNAVAILABLE: WhatsApp Web did not start at https://web.whatsapp.com/")
        .await;
}

#[tokio::test(start_paused = true)]
async fn ready_resets_the_boot_reloads() {
    let h = Harness::start(Mode::Restore).await;
    for _ in 0..3 {
        h.fake.page(boot_timeout()).await;
    }
    h.fake.page(ready()).await;
    h.phase_is("ready", |p| *p == Phase::Ready).await;
    h.fake.page(boot_timeout()).await;
    h.fake
        .until("a fourth reload", |s| s.count(&Call::Reload) == 4)
        .await;
    // A page that did not boot is not ready: sends wait for it.
    h.phase_is("syncing", |p| *p == Phase::Syncing).await;
}

#[tokio::test(start_paused = true)]
async fn signals_from_a_replaced_browser_are_ignored() {
    let mut h = Harness::linked().await;
    h.kill_and_relaunch().await;
    h.fake.page(ready()).await;
    h.phase_is("ready", |p| *p == Phase::Ready).await;
    h.fake.stale(SignalKind::BrowserGone).await;
    let logout = PageEvent::Logout {
        source: "logout".into(),
    };
    h.fake.stale(SignalKind::Page(Box::new(logout))).await;
    h.fake.page(PageEvent::Loading { percent: 1.0 }).await;
    h.event("loading").await;
    assert_eq!(h.handle.live().phase, Phase::Ready);
    assert_eq!(h.fake.seen(|s| s.started), 2);
}
