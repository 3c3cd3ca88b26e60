//! Linking by phone number: pairing codes instead of QR codes, their rotation and timeout.

use super::fake::Call;
use super::{qr, ready, state, Harness};
use crate::domain::PhoneNumber;
use crate::session::actor::Mode;
use crate::session::Phase;
use crate::store::ConnectionStatus;
use crate::whatsapp::{DriverError, PageEvent};

const PHONE: &str = "923001234567";

async fn by_phone() -> Harness {
    let phone = PhoneNumber::parse(PHONE).unwrap();
    Harness::start(Mode::ByPhone(phone)).await
}

fn showing(code: &str) -> impl Fn(&Phase) -> bool + '_ {
    move |p| matches!(p, Phase::AwaitingCode { code: c } if c == code)
}

fn refreshed(code: &str) -> PageEvent {
    PageEvent::PairingCode { code: code.into() }
}

#[tokio::test(start_paused = true)]
async fn a_phone_connection_asks_for_a_code_on_the_linking_screen_and_reports_it() {
    let mut h = by_phone().await;
    h.fake.reply_to_pairing_code(Ok("abcd2345".into()));
    assert_eq!(h.handle.live().phase, Phase::Starting);
    h.fake.page(qr("2@linking-screen")).await;
    h.phase_is("the first code", showing("ABCD-2345")).await;
    let asked = Call::PairingCode {
        phone: PHONE.into(),
    };
    assert_eq!(h.fake.seen(|s| s.count(&asked)), 1);
    let event = h.event("pairing_code").await;
    assert_eq!(event["pairingCode"], "ABCD-2345");
    assert_eq!(event["phone"], PHONE);
    // The QR behind the code is never offered: it would link whoever scans it.
    assert_eq!(h.deps.metrics.qr_codes_shown.get(), 0);
    h.fake.page(state("PAIRING")).await;
    h.phase_is("syncing", |p| *p == Phase::Syncing).await;
    h.fake.page(ready()).await;
    h.phase_is("ready", |p| *p == Phase::Ready).await;
    assert_eq!(h.record().await.status, ConnectionStatus::Connected);
    assert_eq!(h.deps.metrics.scans.get(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_refreshed_code_is_reported_and_replaces_the_old_one() {
    let mut h = by_phone().await;
    h.fake.page(qr("2@linking-screen")).await;
    h.phase_is("the first code", showing("FAKE-CODE")).await;
    assert_eq!(h.event("pairing_code").await["pairingCode"], "FAKE-CODE");
    h.fake.page(refreshed("WXYZ6789")).await;
    h.phase_is("the refreshed code", showing("WXYZ-6789")).await;
    assert_eq!(h.event("pairing_code").await["pairingCode"], "WXYZ-6789");
    let asked = code_requests(&h);
    assert_eq!(asked, 1, "the page refreshes codes by itself");
}

#[tokio::test(start_paused = true)]
async fn a_phone_connection_never_linked_ends_with_qr_timeout_like_a_qr_one() {
    let mut h = by_phone().await;
    h.fake.page(qr("2@linking-screen")).await;
    h.phase_is("the first code", showing("FAKE-CODE")).await;
    h.fake.page(refreshed("BBBB2222")).await;
    h.fake.page(refreshed("CCCC3333")).await;
    h.phase_is("the third code", showing("CCCC-3333")).await;
    h.fake.page(refreshed("DDDD4444")).await;
    h.ended_with("QR_TIMEOUT").await;
    let event = h.event("disconnected").await;
    assert_eq!(event["reason"], "QR_TIMEOUT");
}

#[tokio::test(start_paused = true)]
async fn a_page_that_gives_no_code_ends_the_connection_with_a_reason() {
    let mut h = by_phone().await;
    let refused = DriverError::BadReply("startAltLinkingFlow: refused".into());
    h.fake.reply_to_pairing_code(Err(refused));
    h.fake.page(qr("2@linking-screen")).await;
    h.ended_with("PAIRING_CODE_FAILED").await;
}

#[tokio::test(start_paused = true)]
async fn a_qr_connection_never_asks_for_a_code_and_ignores_one() {
    let h = Harness::start(Mode::New).await;
    h.fake.page(refreshed("ABCD2345")).await;
    h.fake.page(qr("2@first")).await;
    h.phase_is("the QR", |p| matches!(p, Phase::AwaitingScan { .. }))
        .await;
    let asked = code_requests(&h);
    assert_eq!(asked, 0);
}

/// How many times the session asked the page for a pairing code.
fn code_requests(h: &Harness) -> usize {
    h.fake.seen(|s| {
        let asks = s.calls.iter();
        asks.filter(|c| matches!(c, Call::PairingCode { .. }))
            .count()
    })
}
