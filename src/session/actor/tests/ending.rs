//! How a connection ends: logged out (by the phone or the API), a fatal socket state, a page the
//! driver cannot drive; and how a gateway shutdown leaves it.

use std::time::Duration;

use tokio::time::Instant;

use super::fake::Call;
use super::{answer, ready, state, Harness};
use crate::session::actor::Mode;
use crate::session::handle::SendError;
use crate::session::Phase;
use crate::store::ConnectionStatus;
use crate::whatsapp::PageEvent;

fn logout_event() -> PageEvent {
    PageEvent::Logout {
        source: "logout_from_bridge".into(),
    }
}

/// Puts something in the connection's profile folder, as Chromium would.
fn write_profile(h: &Harness) -> std::path::PathBuf {
    let dir = crate::session::profile::dir(&h.deps, &h.id);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("Local State"), b"{}").unwrap();
    dir
}

#[tokio::test(start_paused = true)]
async fn a_logout_by_the_phone_ends_the_connection_and_drops_its_login() {
    let mut h = Harness::linked().await;
    let profile = write_profile(&h);
    h.deps.store.save_archive(&h.id, b"login").await.unwrap();
    h.fake.page(logout_event()).await;
    h.ended_with("LOGGED_OUT").await;
    assert_eq!(h.event("disconnected").await["reason"], "LOGGED_OUT");
    assert!(!profile.exists());
    assert_eq!(h.deps.store.load_archive(&h.id).await.unwrap(), None);
}

#[tokio::test(start_paused = true)]
async fn disconnect_logs_out_and_ends_once_the_page_confirms() {
    let mut h = Harness::linked().await;
    h.fake.on_logout(vec![logout_event()]);
    let t0 = Instant::now();
    h.handle.disconnect().await;
    assert_eq!(t0.elapsed(), Duration::ZERO);
    assert_eq!(h.fake.seen(|s| s.count(&Call::Logout)), 1);
    h.ended_with("API_DISCONNECT").await;
}

#[tokio::test(start_paused = true)]
async fn disconnect_takes_unpaired_as_confirmation() {
    let mut h = Harness::linked().await;
    h.fake.on_logout(vec![state("UNPAIRED")]);
    let t0 = Instant::now();
    h.handle.disconnect().await;
    assert_eq!(t0.elapsed(), Duration::ZERO);
    h.ended_with("API_DISCONNECT").await;
}

#[tokio::test(start_paused = true)]
async fn disconnect_closes_anyway_when_the_page_never_confirms() {
    let mut h = Harness::linked().await;
    let t0 = Instant::now();
    h.handle.disconnect().await;
    assert_eq!(t0.elapsed(), Duration::from_secs(5));
    h.ended_with("API_DISCONNECT").await;
}

#[tokio::test(start_paused = true)]
async fn a_fatal_socket_state_ends_a_linked_connection_with_its_name() {
    for fatal in [
        "CONFLICT",
        "TOS_BLOCK",
        "SMB_TOS_BLOCK",
        "PROXYBLOCK",
        "DEPRECATED_VERSION",
    ] {
        let mut h = Harness::linked().await;
        h.fake.page(state(fatal)).await;
        h.ended_with(fatal).await;
    }
}

#[tokio::test(start_paused = true)]
async fn a_restored_login_that_is_unpaired_before_ready_has_expired() {
    let mut h = Harness::start(Mode::Restore).await;
    h.fake.page(state("UNPAIRED")).await;
    h.ended_with("SESSION_EXPIRED").await;
}

#[tokio::test(start_paused = true)]
async fn unpaired_after_ready_ends_with_unpaired() {
    let mut h = Harness::linked().await;
    h.fake.page(state("UNPAIRED")).await;
    h.ended_with("UNPAIRED").await;
}

#[tokio::test(start_paused = true)]
async fn unpaired_idle_on_a_linked_connection_has_expired() {
    let mut h = Harness::linked().await;
    h.fake.page(state("UNPAIRED_IDLE")).await;
    h.ended_with("SESSION_EXPIRED").await;
}

#[tokio::test(start_paused = true)]
async fn socket_states_before_the_scan_do_not_end_a_pending_connection() {
    let mut h = Harness::start(Mode::New).await;
    for name in ["CONFLICT", "UNPAIRED", "TIMEOUT"] {
        h.fake.page(state(name)).await;
        assert_eq!(h.event("change_state").await["state"], name);
    }
    assert_eq!(h.handle.live().phase, Phase::Starting);
}

#[tokio::test(start_paused = true)]
async fn a_missing_required_module_ends_the_connection_naming_it() {
    let mut h = Harness::start(Mode::Restore).await;
    let optional = PageEvent::ModuleMissing {
        module: "WAWebOptional".into(),
    };
    h.fake.page(optional).await;
    let required = PageEvent::Incompatible {
        module: "WAWebSendMsg".into(),
    };
    h.fake.page(required).await;
    h.ended_with("WA_WEB_INCOMPATIBLE: WAWebSendMsg").await;
}

#[tokio::test(start_paused = true)]
async fn a_shutdown_archives_a_synced_login_and_keeps_the_record_for_the_next_start() {
    let mut h = Harness::linked().await;
    write_profile(&h);
    h.handle.shutdown().await;
    (&mut h.task).await.unwrap();
    assert_eq!(h.fake.seen(|s| s.open), 0);
    assert!(h.deps.store.load_archive(&h.id).await.unwrap().is_some());
    assert_eq!(h.record().await.status, ConnectionStatus::Connected);
}

#[tokio::test(start_paused = true)]
async fn a_shutdown_before_ready_keeps_the_stored_login_and_answers_waiting_sends() {
    let h = Harness::start(Mode::Restore).await;
    write_profile(&h);
    let waiting = h.send("queued").await;
    h.handle.shutdown().await;
    let result = answer(waiting).await;
    assert!(
        matches!(&result, Err(SendError::NotReady(why)) if why.contains("shutting down")),
        "{result:?}"
    );
    assert_eq!(h.deps.store.load_archive(&h.id).await.unwrap(), None);
    assert_eq!(h.fake.seen(|s| s.open), 0);
}

#[tokio::test(start_paused = true)]
async fn a_socket_timeout_after_ready_ends_a_restored_connection() {
    let mut h = Harness::start(Mode::Restore).await;
    h.fake.page(state("CONNECTED")).await;
    h.fake.page(ready()).await;
    h.phase_is("ready", |p| *p == Phase::Ready).await;
    h.fake.page(state("TIMEOUT")).await;
    h.ended_with("TIMEOUT").await;
}
