//! Sending: at once while ready and paced, queued while a linked connection restarts, refused
//! when it cannot be sent, and retried on a browser found dead.

use std::time::Duration;

use chromiumoxide::error::CdpError;
use tokio::time::Instant;

use super::fake::{accepted, refused, Call};
use super::{answer, ready, Harness};
use crate::domain::ChatId;
use crate::session::actor::Mode;
use crate::session::handle::{SendError, Sent};
use crate::session::Phase;
use crate::whatsapp::{DriverError, OutgoingMessage};

fn not_ready(result: Result<Sent, SendError>) -> String {
    match result {
        Err(SendError::NotReady(why)) => why,
        other => panic!("expected NotReady, got {other:?}"),
    }
}

#[tokio::test(start_paused = true)]
async fn a_ready_connection_sends_at_once_and_tracks_the_message() {
    let h = Harness::linked().await;
    let sent = answer(h.send("hello").await).await.expect("sent");
    assert_eq!(sent.message_id, "fake-1");
    assert_eq!(sent.timestamp, 1_700_000_000);
    let call = h.fake.seen(|s| s.calls.last().cloned());
    let expected = Call::Send {
        to: "15550002222@c.us".into(),
        body: "hello".into(),
    };
    assert_eq!(call, Some(expected));
    let tracked = h.deps.store.get_message("fake-1", Some(&h.id)).await;
    assert!(tracked.expect("the store answers").is_some());
}

#[tokio::test(start_paused = true)]
async fn a_burst_leaves_at_a_human_pace() {
    let h = Harness::linked().await;
    let t0 = Instant::now();
    let first = h.send("one").await;
    let second = h.send("two").await;
    answer(first).await.expect("first sent");
    assert_eq!(t0.elapsed(), Duration::ZERO);
    answer(second).await.expect("second sent");
    let gap = t0.elapsed();
    let slot = Duration::from_secs(1);
    assert!(
        gap >= slot && gap <= slot.mul_f64(1.3) + Duration::from_millis(5),
        "{gap:?}"
    );
}

#[tokio::test(start_paused = true)]
async fn a_send_before_the_scan_is_refused() {
    let h = Harness::start(Mode::New).await;
    let why = not_ready(answer(h.send("too early").await).await);
    assert!(why.contains("not linked"), "{why}");
    assert_eq!(h.fake.seen(|s| s.sends()), 0);
}

#[tokio::test(start_paused = true)]
async fn a_send_to_an_ended_connection_is_refused() {
    let mut h = Harness::linked().await;
    h.fake
        .page(crate::whatsapp::PageEvent::Logout { source: "x".into() })
        .await;
    h.ended_with("LOGGED_OUT").await;
    // The actor has stopped: the handle says the connection has ended.
    let to = ChatId::parse("15550002222").unwrap();
    let why = not_ready(h.handle.send(to, OutgoingMessage::text("late")).await);
    assert!(why.contains("ended"), "{why}");
}

#[tokio::test(start_paused = true)]
async fn a_send_while_restarting_waits_and_goes_out_once_ready() {
    let h = Harness::linked().await;
    h.fake.kill().await;
    h.phase_is("restarting", |p| *p == Phase::Restarting).await;
    let task = h.send("patience").await;
    h.fake.until("the relaunch", |s| s.started == 2).await;
    assert_eq!(h.fake.seen(|s| s.sends()), 0);
    h.fake.page(ready()).await;
    answer(task).await.expect("sent after the restart");
}

#[tokio::test(start_paused = true)]
async fn a_send_that_waits_too_long_for_ready_fails() {
    let h = Harness::start(Mode::Restore).await;
    let t0 = Instant::now();
    let why = not_ready(answer(h.send("never").await).await);
    assert!(why.contains("did not become ready in time"), "{why}");
    assert_eq!(t0.elapsed(), Duration::from_secs(60));
}

#[tokio::test(start_paused = true)]
async fn a_full_queue_refuses_more_sends() {
    let h = Harness::start(Mode::Restore).await;
    let mut waiting = Vec::new();
    for n in 0..3 {
        waiting.push(h.send(&format!("m{n}")).await);
    }
    let overflow = answer(h.send("one too many").await).await;
    assert!(
        matches!(overflow, Err(SendError::QueueFull)),
        "{overflow:?}"
    );
    h.fake.page(ready()).await;
    for task in waiting {
        answer(task).await.expect("the queued ones go out");
    }
}

#[tokio::test(start_paused = true)]
async fn a_send_revives_a_dormant_connection_at_once() {
    let h = Harness::linked().await;
    for _ in 0..5 {
        h.kill_and_relaunch().await;
    }
    let stuck = h.send("lost").await;
    h.fake.kill().await;
    h.phase_is("dormant", |p| *p == Phase::Dormant).await;
    let why = not_ready(answer(stuck).await);
    assert!(why.contains("could not be restarted"), "{why}");
    let t0 = Instant::now();
    let task = h.send("wake up").await;
    h.fake.until("a revived browser", |s| s.started == 7).await;
    assert_eq!(t0.elapsed(), Duration::ZERO);
    h.fake.page(ready()).await;
    answer(task).await.expect("sent by the revived browser");
}

#[tokio::test(start_paused = true)]
async fn a_browser_found_dead_by_a_send_is_relaunched_and_the_send_retried() {
    let h = Harness::linked().await;
    h.fake
        .reply_to_send(Err(DriverError::Browser(CdpError::NoResponse)));
    let t0 = Instant::now();
    let task = h.send("retry me").await;
    // The death is reported late too: about a browser already given up, it changes nothing.
    h.fake.kill().await;
    h.fake.until("the relaunch", |s| s.started == 2).await;
    assert_eq!(t0.elapsed(), Duration::from_millis(500));
    h.fake.page(ready()).await;
    let sent = answer(task).await.expect("sent by the new browser");
    assert_eq!(sent.message_id, "fake-2");
    assert_eq!(h.fake.seen(|s| (s.sends(), s.open)), (2, 1));
}

#[tokio::test(start_paused = true)]
async fn what_whatsapp_refuses_is_told_apart() {
    let h = Harness::linked().await;
    h.fake.reply_to_send(Ok(refused("NOT_ON_WHATSAPP", "")));
    h.fake.reply_to_send(Ok(refused("SEND_FAILED", "blocked")));
    h.fake
        .reply_to_send(Ok(refused("NOT_FOUND", "no quoted message")));
    h.fake.reply_to_send(Ok(refused("SOMETHING_NEW", "")));
    h.fake.reply_to_send(Err(DriverError::Timeout("send")));
    h.fake.reply_to_send(Ok(accepted("kept")));
    let not_on = answer(h.send("a").await).await;
    assert!(
        matches!(not_on, Err(SendError::NotOnWhatsapp)),
        "{not_on:?}"
    );
    let refused = answer(h.send("b").await).await;
    assert!(
        matches!(&refused, Err(SendError::Refused(d)) if d == "blocked"),
        "{refused:?}"
    );
    let rejected = answer(h.send("q").await).await;
    assert!(
        matches!(&rejected, Err(SendError::Rejected { code, message })
            if code == "NOT_FOUND" && message == "no quoted message"),
        "{rejected:?}"
    );
    for _ in 0..2 {
        let failed = answer(h.send("c").await).await;
        assert!(matches!(failed, Err(SendError::Failed(_))), "{failed:?}");
    }
    assert_eq!(
        answer(h.send("d").await).await.expect("sent").message_id,
        "kept"
    );
    assert_eq!(h.handle.live().phase, Phase::Ready);
}
