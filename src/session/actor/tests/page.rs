//! Page requests: the page's caller at once while ready, after the restart or revival of a
//! linked connection, and never for a connection that is not linked or does not get ready.

use std::time::Duration;

use serde_json::json;
use tokio::time::Instant;

use super::fake::Call;
use super::{ready, Harness};
use crate::session::actor::Mode;
use crate::session::handle::{PageReply, SendError};
use crate::session::Phase;

fn not_ready(reply: PageReply) -> String {
    match reply {
        Err(SendError::NotReady(why)) => why,
        Err(e) => panic!("expected NotReady, got {e:?}"),
        Ok(_) => panic!("expected NotReady, got the page"),
    }
}

/// Runs one operation through what `page` gave, and returns the pid of the browser that ran it.
async fn run_op(reply: PageReply) -> u64 {
    let caller = reply.expect("the page");
    let limit = Duration::from_secs(5);
    let value = caller.call("probe", json!({"n": 1}), limit).await;
    let value = value.expect("the operation runs");
    assert_eq!(value["op"], "probe");
    assert_eq!(value["args"], json!({"n": 1}));
    value["pid"].as_u64().expect("a pid")
}

#[tokio::test(start_paused = true)]
async fn a_ready_connection_hands_out_its_page_at_once() {
    let h = Harness::linked().await;
    let t0 = Instant::now();
    let pid = run_op(h.handle.page().await).await;
    assert_eq!(t0.elapsed(), Duration::ZERO);
    let ran = h.fake.seen(|s| s.calls.last().cloned());
    assert_eq!(
        ran,
        Some(Call::Page {
            op: "probe".into(),
            pid: pid as u32
        })
    );
}

#[tokio::test(start_paused = true)]
async fn a_page_request_while_restarting_gets_the_new_browser() {
    let h = Harness::linked().await;
    let first = h.handle.live().pid.expect("a pid");
    h.fake.kill().await;
    h.phase_is("restarting", |p| *p == Phase::Restarting).await;
    let handle = h.handle.clone();
    let waiting = tokio::spawn(async move { handle.page().await });
    h.fake.until("the relaunch", |s| s.started == 2).await;
    assert!(!waiting.is_finished());
    h.fake.page(ready()).await;
    let pid = run_op(waiting.await.expect("joined")).await;
    assert_ne!(pid, u64::from(first));
}

#[tokio::test(start_paused = true)]
async fn a_page_request_revives_a_dormant_connection() {
    let h = Harness::linked().await;
    for _ in 0..5 {
        h.kill_and_relaunch().await;
    }
    h.fake.kill().await;
    h.phase_is("dormant", |p| *p == Phase::Dormant).await;
    let handle = h.handle.clone();
    let waiting = tokio::spawn(async move { handle.page().await });
    h.fake.until("a revived browser", |s| s.started == 7).await;
    h.fake.page(ready()).await;
    run_op(waiting.await.expect("joined")).await;
}

#[tokio::test(start_paused = true)]
async fn a_connection_that_is_not_linked_has_no_page() {
    let h = Harness::start(Mode::New).await;
    let why = not_ready(h.handle.page().await);
    assert!(why.contains("not linked"), "{why}");
}

#[tokio::test(start_paused = true)]
async fn a_page_request_that_waits_too_long_for_ready_fails() {
    let h = Harness::start(Mode::Restore).await;
    let t0 = Instant::now();
    let why = not_ready(h.handle.page().await);
    assert!(why.contains("did not become ready in time"), "{why}");
    assert_eq!(t0.elapsed(), Duration::from_secs(60));
}
