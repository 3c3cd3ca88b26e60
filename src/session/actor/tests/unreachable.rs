//! A WhatsApp Web that does not load: loaded again in the same browser with backoff, a new
//! connection given up at its QR deadline as `WA_WEB_UNAVAILABLE` with the cause, a linked one
//! kept (status, login) and brought back once the page is.

use std::time::Duration;

use tokio::time::Instant;

use super::fake::{Call, FakeLauncher, Load};
use super::{answer, qr, ready, Harness};
use crate::session::actor::Mode;
use crate::session::Phase;
use crate::store::ConnectionStatus;
use crate::whatsapp::PageEvent;

const DNS: &str = "net::ERR_NAME_NOT_RESOLVED";
const URL: &str = "https://web.whatsapp.com/";

fn cause(error: &str) -> String {
    format!("{error} at {URL}")
}

fn unavailable(error: &str) -> String {
    format!("WA_WEB_UNAVAILABLE: {}", cause(error))
}

fn opens(h: &Harness) -> usize {
    h.fake.seen(|s| s.count(&Call::Open))
}

/// Waits for the `n`th page load and returns when it came, counted from `t0`.
async fn nth_open(h: &Harness, n: usize, t0: Instant) -> Duration {
    h.fake
        .until("a page load", |s| s.count(&Call::Open) == n)
        .await;
    t0.elapsed()
}

fn failing(loads: usize, error: &'static str) -> impl FnOnce(&FakeLauncher) {
    move |fake| fake.next_loads(loads, Load::Fails(error.into()))
}

fn qr_wait(secs: u64) -> impl FnOnce(&mut crate::config::Config) {
    move |c| c.qr_wait_timeout = Duration::from_secs(secs)
}

#[tokio::test(start_paused = true)]
async fn a_page_that_does_not_load_is_loaded_again_in_the_same_browser_with_backoff() {
    let t0 = Instant::now();
    let h = Harness::scripted(Mode::New, |_| {}, failing(3, DNS)).await;
    let expected = Phase::Unreachable { cause: cause(DNS) };
    h.phase_is("unreachable", |p| *p == expected).await;
    for (n, at) in [(2, 1), (3, 3), (4, 7)] {
        assert_eq!(nth_open(&h, n, t0).await, Duration::from_secs(at));
    }
    h.phase_is("loading", |p| *p == Phase::Starting).await;
    h.fake.page(qr("2@first")).await;
    h.phase_is("a QR code", |p| matches!(p, Phase::AwaitingScan { .. }))
        .await;
    assert_eq!(h.fake.seen(|s| (s.started, s.open)), (1, 1), "no relaunch");
    assert_eq!(h.handle.live().pid, Some(1001));
}

#[tokio::test(start_paused = true)]
async fn a_new_connection_gives_up_when_its_next_load_would_miss_the_qr_deadline() {
    let t0 = Instant::now();
    let refused = "net::ERR_CONNECTION_REFUSED";
    let mut h = Harness::scripted(Mode::New, qr_wait(8), failing(100, refused)).await;
    h.ended_with(&unavailable(refused)).await;
    // Loads at 0, 1, 3 and 7 s; the next would be at 15 s, past the 8 s the caller waits.
    assert_eq!(t0.elapsed(), Duration::from_secs(7));
    assert_eq!((opens(&h), h.fake.seen(|s| s.started)), (4, 1));
    let data = h.event("disconnected").await;
    assert_eq!(data["reason"], unavailable(refused));
}

#[tokio::test(start_paused = true)]
async fn a_load_still_unanswered_at_the_qr_deadline_ends_the_new_connection() {
    let t0 = Instant::now();
    let hang = |fake: &FakeLauncher| fake.next_loads(1, Load::Hangs);
    let mut h = Harness::scripted(Mode::New, qr_wait(8), hang).await;
    h.ended_with(&unavailable("no answer within 8 s")).await;
    assert_eq!(t0.elapsed(), Duration::from_secs(8));
}

#[tokio::test(start_paused = true)]
async fn a_retry_unanswered_at_the_qr_deadline_ends_with_the_last_failure() {
    let t0 = Instant::now();
    let script = |fake: &FakeLauncher| {
        fake.next_loads(1, Load::Fails(DNS.into()));
        fake.next_loads(1, Load::Hangs);
    };
    let mut h = Harness::scripted(Mode::New, qr_wait(8), script).await;
    h.ended_with(&unavailable(DNS)).await;
    assert_eq!((t0.elapsed(), opens(&h)), (Duration::from_secs(8), 2));
}

#[tokio::test(start_paused = true)]
async fn giving_up_on_a_page_that_never_loaded_says_why_without_a_logout() {
    let mut h = Harness::scripted(Mode::New, |_| {}, failing(100, "HTTP 503")).await;
    h.phase_is("unreachable", |p| matches!(p, Phase::Unreachable { .. }))
        .await;
    h.handle.give_up().await;
    h.ended_with(&unavailable("HTTP 503")).await;
    assert_eq!(h.fake.seen(|s| s.count(&Call::Logout)), 0);
}

#[tokio::test(start_paused = true)]
async fn giving_up_on_a_loaded_page_disconnects_as_before() {
    let mut h = Harness::start(Mode::New).await;
    h.handle.give_up().await;
    h.ended_with("API_DISCONNECT").await;
    assert_eq!(h.fake.seen(|s| s.count(&Call::Logout)), 1);
}

#[tokio::test(start_paused = true)]
async fn a_browser_that_never_starts_is_still_browser_failed() {
    let refuse = |fake: &FakeLauncher| fake.refuse_launches(100);
    let mut h = Harness::scripted(Mode::New, |_| {}, refuse).await;
    h.ended_with("BROWSER_FAILED").await;
    assert_eq!(opens(&h), 0);
}

#[tokio::test(start_paused = true)]
async fn a_restored_connection_whose_page_does_not_load_stays_connected_and_keeps_trying() {
    let t0 = Instant::now();
    let mut h = Harness::scripted(Mode::Restore, |_| {}, failing(8, DNS)).await;
    h.deps.store.save_archive(&h.id, b"login").await.unwrap();
    let mut last = Duration::ZERO;
    for (n, gap) in [
        (2, 1),
        (3, 2),
        (4, 4),
        (5, 8),
        (6, 16),
        (7, 30),
        (8, 30),
        (9, 30),
    ] {
        let at = nth_open(&h, n, t0).await;
        assert_eq!(at - last, Duration::from_secs(gap), "load {n}");
        last = at;
    }
    let record = h.record().await;
    assert_eq!(
        (record.status, record.reason),
        (ConnectionStatus::Connected, None)
    );
    let archive = h.deps.store.load_archive(&h.id).await.unwrap();
    assert_eq!(archive.as_deref(), Some(&b"login"[..]), "the login is kept");
    // Back online: the ninth load went through.
    h.phase_is("syncing", |p| *p == Phase::Syncing).await;
    h.fake.page(ready()).await;
    h.phase_is("ready", |p| *p == Phase::Ready).await;
    assert_eq!(h.fake.seen(|s| s.started), 1, "never relaunched");
    assert_eq!(h.event("ready").await["number"], "15550001111");
}

#[tokio::test(start_paused = true)]
async fn a_send_to_a_connection_whose_page_is_unreachable_loads_it_again_at_once() {
    let h = Harness::scripted(Mode::Restore, |_| {}, failing(5, DNS)).await;
    // After five failures the next load is 30 s away.
    h.fake
        .until("five loads", |s| s.count(&Call::Open) == 5)
        .await;
    h.phase_is("unreachable", |p| matches!(p, Phase::Unreachable { .. }))
        .await;
    let t0 = Instant::now();
    let pending = h.send("hello").await;
    assert_eq!(nth_open(&h, 6, t0).await, Duration::ZERO);
    h.fake.page(ready()).await;
    assert!(answer(pending).await.is_ok());
}

#[tokio::test(start_paused = true)]
async fn a_send_that_waits_in_vain_is_told_the_page_cannot_be_loaded() {
    let h = Harness::scripted(Mode::Restore, |_| {}, failing(1000, DNS)).await;
    let refused = answer(h.send("hello").await).await.unwrap_err();
    assert!(refused.to_string().contains(DNS), "{refused}");
}

#[tokio::test(start_paused = true)]
async fn a_linked_page_that_does_not_boot_keeps_its_login_and_is_loaded_again() {
    let h = Harness::start(Mode::Restore).await;
    h.deps.store.save_archive(&h.id, b"login").await.unwrap();
    let boot_timeout = || PageEvent::BootTimeout {
        message: "boot timeout".into(),
    };
    for _ in 0..4 {
        h.fake.page(boot_timeout()).await;
    }
    h.phase_is("unreachable", |p| matches!(p, Phase::Unreachable { .. }))
        .await;
    h.fake
        .until("a new load", |s| s.count(&Call::Open) == 2)
        .await;
    h.phase_is("syncing", |p| *p == Phase::Syncing).await;
    assert_eq!(h.record().await.status, ConnectionStatus::Connected);
    assert!(h.deps.store.load_archive(&h.id).await.unwrap().is_some());
    assert_eq!(h.fake.seen(|s| (s.started, s.count(&Call::Reload))), (1, 3));
}

#[tokio::test(start_paused = true)]
async fn a_crash_of_a_page_that_did_not_load_is_left_to_the_next_load() {
    let h = Harness::scripted(Mode::Restore, |_| {}, failing(1, DNS)).await;
    h.phase_is("unreachable", |p| matches!(p, Phase::Unreachable { .. }))
        .await;
    h.fake.crash().await;
    h.fake
        .until("the next load", |s| s.count(&Call::Open) == 2)
        .await;
    assert_eq!(h.fake.seen(|s| s.count(&Call::Reload)), 0);
}
