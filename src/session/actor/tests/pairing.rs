//! Linking: QR codes, their rotation and timeout, the scan, and a restored login.

use super::fake::Call;
use super::{qr, ready, state, Harness, OWN_NUMBER};
use crate::session::actor::Mode;
use crate::session::Phase;
use crate::store::ConnectionStatus;

fn awaiting(code: &str) -> impl Fn(&Phase) -> bool + '_ {
    move |p| matches!(p, Phase::AwaitingScan { qr } if qr == code)
}

#[tokio::test(start_paused = true)]
async fn a_new_connection_starts_and_shows_each_qr_code_the_page_rotates_to() {
    let mut h = Harness::start(Mode::New).await;
    assert_eq!(h.handle.live().phase, Phase::Starting);
    assert_eq!(h.handle.live().pid, Some(1001));
    h.fake.page(qr("2@first")).await;
    h.phase_is("the first code", awaiting("2@first")).await;
    let event = h.event("qr").await;
    assert_eq!(event["qr"], "2@first");
    assert!(event["qrDataUrl"]
        .as_str()
        .is_some_and(|u| u.starts_with("data:image/png;base64,")));
    h.fake.page(qr("2@second")).await;
    h.phase_is("the rotated code", awaiting("2@second")).await;
    assert_eq!(h.deps.metrics.qr_codes_shown.get(), 2);
}

#[tokio::test(start_paused = true)]
async fn a_pending_connection_ends_with_qr_timeout_after_its_retries() {
    let mut h = Harness::start(Mode::New).await;
    for n in 1..=3 {
        h.fake.page(qr(&format!("2@code{n}"))).await;
    }
    h.phase_is("the third code", awaiting("2@code3")).await;
    h.fake.page(qr("2@one-too-many")).await;
    h.ended_with("QR_TIMEOUT").await;
    assert_eq!(h.deps.metrics.qr_codes_shown.get(), 3);
}

#[tokio::test(start_paused = true)]
async fn a_scan_syncs_then_ready_connects_the_number() {
    let mut h = Harness::start(Mode::New).await;
    h.fake.page(qr("2@code")).await;
    h.fake.page(state("PAIRING")).await;
    h.phase_is("syncing", |p| *p == Phase::Syncing).await;
    h.fake.page(ready()).await;
    h.phase_is("ready", |p| *p == Phase::Ready).await;
    let event = h.event("ready").await;
    assert_eq!(event["number"], OWN_NUMBER);
    let record = h.record().await;
    assert_eq!(record.status, ConnectionStatus::Connected);
    assert_eq!(record.whatsapp_number.as_deref(), Some(OWN_NUMBER));
    assert_eq!(h.deps.metrics.scans.get(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_failed_pairing_shows_a_new_code_and_still_counts_it() {
    let mut h = Harness::start(Mode::New).await;
    h.fake.page(qr("2@a")).await;
    h.fake.page(state("PAIRING")).await;
    h.phase_is("syncing", |p| *p == Phase::Syncing).await;
    h.fake.page(qr("2@b")).await;
    h.phase_is("the next code", awaiting("2@b")).await;
    h.fake.page(qr("2@c")).await;
    h.fake.page(qr("2@d")).await;
    h.ended_with("QR_TIMEOUT").await;
}

#[tokio::test(start_paused = true)]
async fn a_restored_login_syncs_and_becomes_ready_without_a_scan() {
    let h = Harness::start(Mode::Restore).await;
    assert_eq!(h.handle.live().phase, Phase::Syncing);
    h.fake.page(state("CONNECTED")).await;
    h.fake.page(ready()).await;
    h.phase_is("ready", |p| *p == Phase::Ready).await;
    assert_eq!(h.deps.metrics.scans.get(), 0);
    assert_eq!(h.record().await.status, ConnectionStatus::Connected);
}

#[tokio::test(start_paused = true)]
async fn a_restored_login_shown_a_qr_code_has_expired() {
    let mut h = Harness::start(Mode::Restore).await;
    h.fake.page(qr("2@scan-me-again")).await;
    h.ended_with("SESSION_EXPIRED").await;
    assert_eq!(h.deps.metrics.qr_codes_shown.get(), 0);
}

#[tokio::test(start_paused = true)]
async fn a_linked_connection_shown_a_qr_code_has_expired() {
    let mut h = Harness::linked().await;
    h.fake.page(qr("2@again")).await;
    h.ended_with("SESSION_EXPIRED").await;
}

#[tokio::test(start_paused = true)]
async fn loading_and_authenticated_are_reported_and_change_nothing() {
    let mut h = Harness::start(Mode::New).await;
    h.fake
        .page(crate::whatsapp::PageEvent::Loading { percent: 40.0 })
        .await;
    assert_eq!(h.event("loading").await["percent"], 40.0);
    h.fake
        .page(crate::whatsapp::PageEvent::Authenticated {})
        .await;
    h.event("authenticated").await;
    assert_eq!(h.handle.live().phase, Phase::Starting);
    assert_eq!(h.fake.seen(|s| s.count(&Call::Close)), 0);
}
