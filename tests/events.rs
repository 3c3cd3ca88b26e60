//! Events end to end: signed webhooks to a real receiver (retries, order, dead letters, replay,
//! survival of a SIGKILL), live SSE and WebSocket streams with resume, delivery tracking and
//! idempotent sends.

mod common;

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use common::process::GatewayProcess;
use common::receiver::Receiver;
use common::{eventually, spawn_app_with, stream, Options, TestApp, LINK_TIMEOUT};
use hmac::{Hmac, Mac};
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::Sha256;
use wa_sim::{AckBehaviour, InboundMessage, SimConfig, Simulator};

const ALICE: &str = "923001234567";
const BOB: &str = "923007654321";
const CAROL: &str = "14155550123";
const SECRET: &str = "s3cret-for-tests";

async fn app_with_webhook(receiver: &Receiver) -> TestApp {
    spawn_app_with(Options {
        env: vec![
            ("WEBHOOK_URL", receiver.url.clone()),
            ("WEBHOOK_SECRET", SECRET.into()),
            ("WEBHOOK_RETRY_BASE_MS", "50".into()),
            ("WEBHOOK_RETRY_MAX", "1s".into()),
        ],
        ..Default::default()
    })
    .await
}

fn signature_of(body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(SECRET.as_bytes()).unwrap();
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The gateway's own record of a connection's events, in order.
async fn outbox_ids(app: &TestApp, id: &str) -> Vec<String> {
    app.events(id).await.into_iter().map(|e| e.id).collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inbound_message_reaches_the_webhook_signed_with_the_senders_phone() {
    let receiver = Receiver::start().await;
    let app = app_with_webhook(&receiver).await;
    let id = app.link(ALICE, "Alice").await;
    app.sim
        .send_inbound(InboundMessage::text(ALICE, BOB, "old news").history())
        .await
        .unwrap();
    app.sim
        .send_inbound(InboundMessage::text(ALICE, BOB, "hi from Bob").push_name("Bob"))
        .await
        .unwrap();
    app.sim
        .send_inbound(InboundMessage::text(ALICE, CAROL, "hi from a lid").via_lid())
        .await
        .unwrap();

    let messages = eventually("both messages reach the webhook", LINK_TIMEOUT, || async {
        let hits: Vec<_> = receiver
            .hits()
            .into_iter()
            .filter(|h| h.json()["event"] == "message")
            .collect();
        (hits.len() >= 2).then_some(hits)
    })
    .await;
    for hit in &messages {
        assert_eq!(hit.header("content-type"), "application/json");
        assert_eq!(hit.header("x-hub-signature-256"), signature_of(&hit.body));
        let envelope = hit.json();
        assert_eq!(hit.header("x-webhook-id"), envelope["id"]);
        assert!(hit.header("x-webhook-timestamp").parse::<i64>().is_ok());
        assert_eq!(envelope["connectionId"], id.as_str());
        assert!(envelope["timestamp"].is_string());
        assert!(envelope["data"]["timestamp"].is_string());
    }
    let bob = messages[0].json();
    assert_eq!(bob["data"]["body"], "hi from Bob");
    assert_eq!(bob["data"]["senderPhone"], BOB);
    assert_eq!(bob["data"]["pushName"], "Bob");
    let lid = messages[1].json();
    assert_eq!(lid["data"]["body"], "hi from a lid");
    assert!(
        lid["data"]["from"].as_str().unwrap().ends_with("@lid"),
        "{lid}"
    );
    assert_eq!(
        lid["data"]["senderPhone"], CAROL,
        "the @lid is resolved to a phone number"
    );
    assert!(receiver
        .hits()
        .iter()
        .all(|h| h.json()["data"]["body"] != "old news"));
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_gets_every_event_in_order_exactly_once_after_it_recovers() {
    let receiver = Receiver::start().await;
    let healthy = Arc::new(AtomicBool::new(false));
    let flag = healthy.clone();
    receiver.answer_with(move |_| {
        if flag.load(Ordering::SeqCst) {
            200
        } else {
            500
        }
    });
    let app = app_with_webhook(&receiver).await;
    let id = app.link(ALICE, "Alice").await;
    for text in ["one", "two", "three"] {
        let r = app.send(&id, BOB, text).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    app.sim
        .send_inbound(InboundMessage::text(ALICE, BOB, "reply"))
        .await
        .unwrap();
    eventually("the receiver saw failed attempts", LINK_TIMEOUT, || async {
        (receiver.hits().iter().filter(|h| h.answered == 500).count() >= 3).then_some(())
    })
    .await;
    healthy.store(true, Ordering::SeqCst);

    // Once every recorded event has been acknowledged, compare with the outbox.
    let delivered = eventually("every event is delivered", LINK_TIMEOUT, || async {
        let expected = outbox_ids(&app, &id).await;
        let got: Vec<String> = receiver
            .delivered()
            .iter()
            .filter(|e| e["connectionId"] == id.as_str())
            .map(|e| e["id"].as_str().unwrap().to_owned())
            .collect();
        let got_set: HashSet<_> = got.iter().cloned().collect();
        expected
            .iter()
            .all(|e| got_set.contains(e))
            .then_some((expected, got))
    })
    .await;
    let (expected, got) = delivered;
    assert_eq!(
        got.len(),
        got.iter().collect::<HashSet<_>>().len(),
        "each id once among 2xx"
    );
    let got_prefix: Vec<_> = got.iter().take(expected.len()).cloned().collect();
    assert_eq!(got_prefix, expected, "in the connection's order");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_400_is_a_dead_letter_until_replayed() {
    let receiver = Receiver::start().await;
    let refused_once = Arc::new(AtomicBool::new(false));
    let flag = refused_once.clone();
    receiver.answer_with(move |env| {
        if env["event"] == "message" && !flag.swap(true, Ordering::SeqCst) {
            400
        } else {
            200
        }
    });
    let app = app_with_webhook(&receiver).await;
    let id = app.link(ALICE, "Alice").await;
    app.sim
        .send_inbound(InboundMessage::text(ALICE, BOB, "refused"))
        .await
        .unwrap();
    let dead = eventually("the delivery is a dead letter", LINK_TIMEOUT, || async {
        let r = app
            .get(&format!(
                "/wa/webhooks/deliveries?connectionId={id}&status=failed"
            ))
            .await;
        let list = r.body.as_array()?.clone();
        list.into_iter().find(|d| d["event"] == "message")
    })
    .await;
    assert_eq!(dead["attempts"], 1, "a 400 is not retried: {dead}");
    assert_eq!(dead["lastStatusCode"], 400);

    let r = app
        .post(
            &format!(
                "/wa/webhooks/deliveries/{}/retry",
                dead["id"].as_str().unwrap()
            ),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::ACCEPTED, "{}", r.body);
    eventually("the replay delivers it", LINK_TIMEOUT, || async {
        let delivered = receiver.delivered();
        delivered
            .iter()
            .any(|e| e["id"] == dead["eventId"] && e["data"]["body"] == "refused")
            .then_some(())
    })
    .await;
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap();
    let text = metrics.text().await.unwrap();
    assert!(
        text.contains(r#"wa_webhook_attempts_total{result="dead_letter"} 1"#),
        "{text}"
    );
    assert!(
        text.contains(r#"wa_webhook_attempts_total{result="delivered"}"#),
        "{text}"
    );
    assert!(text.contains("wa_webhook_queue_depth"), "{text}");
    let r = app
        .post("/wa/webhooks/deliveries/nope/retry", json!({}))
        .await;
    assert_eq!(
        (r.status, r.error_code()),
        (StatusCode::NOT_FOUND, "NOT_FOUND")
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn events_survive_a_dead_receiver_and_a_sigkilled_gateway() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut env = common::process::base_env(dir.path(), &sim);
    env.extend([
        ("WEBHOOK_URL", format!("http://127.0.0.1:{port}/hook")),
        ("WEBHOOK_RETRY_BASE_MS", "50".into()),
        ("WEBHOOK_RETRY_MAX", "1s".into()),
    ]);
    let first = GatewayProcess::start(dir.path(), &env).await;
    let id = first.api.link(&sim, ALICE, "Alice").await;
    sim.send_inbound(InboundMessage::text(
        ALICE,
        BOB,
        "while the receiver is down",
    ))
    .await
    .unwrap();
    let pending: Vec<Value> = eventually(
        "the message waits for the receiver",
        LINK_TIMEOUT,
        || async {
            let r = first
                .api
                .get(&format!(
                    "/wa/webhooks/deliveries?connectionId={id}&status=pending&limit=500"
                ))
                .await;
            let list = r.body.as_array()?.clone();
            list.iter().any(|d| d["event"] == "message").then_some(list)
        },
    )
    .await;
    first.sigkill(dir.path()).await;

    let receiver = Receiver::start_on(port).await;
    let second = GatewayProcess::start(dir.path(), &env).await;
    eventually(
        "every event recorded before the crash arrives",
        LINK_TIMEOUT,
        || async {
            let got: HashSet<String> = receiver
                .delivered()
                .iter()
                .map(|e| e["id"].as_str().unwrap().to_owned())
                .collect();
            pending
                .iter()
                .all(|d| got.contains(d["eventId"].as_str().unwrap()))
                .then_some(())
        },
    )
    .await;
    assert!(receiver
        .delivered()
        .iter()
        .any(|e| e["data"]["body"] == "while the receiver is down"));
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_sse_client_follows_a_connection_and_resumes_after_a_reconnect() {
    let app = spawn_app_with(Options::default()).await;
    let live = stream::sse(&app.url("/wa/events"), None).await;
    let id = app.link(ALICE, "Alice").await;
    let sent = app.send(&id, BOB, "tracked").await;
    let message_id = sent.body["messageId"].as_str().unwrap().to_owned();
    eventually(
        "qr, ready and acks 1-3 arrive over SSE",
        LINK_TIMEOUT,
        || async {
            let acks: Vec<i64> = live
                .items()
                .iter()
                .filter(|e| {
                    e.event == "message_ack" && e.data["data"]["messageId"] == message_id.as_str()
                })
                .map(|e| e.data["data"]["ack"].as_i64().unwrap())
                .collect();
            acks.ends_with(&[3]).then_some(())
        },
    )
    .await;
    let seen = live.close();
    let names: Vec<&str> = seen.iter().map(|e| e.event.as_str()).collect();
    let pos = |name: &str| {
        names
            .iter()
            .position(|n| *n == name)
            .unwrap_or_else(|| panic!("{name} in {names:?}"))
    };
    assert!(pos("qr") < pos("ready"), "{names:?}");
    assert!(pos("ready") < pos("message_ack"), "{names:?}");
    let acks: Vec<i64> = seen
        .iter()
        .filter(|e| e.event == "message_ack" && e.data["data"]["messageId"] == message_id.as_str())
        .map(|e| e.data["data"]["ack"].as_i64().unwrap())
        .collect();
    assert_eq!(acks, [1, 2, 3]);
    assert!(seen.iter().all(|e| e.id == e.data["id"].as_str().unwrap()));

    // While nobody listens, more happens; a reconnect with Last-Event-ID gets exactly that.
    let last = seen.last().unwrap().id.clone();
    app.sim
        .send_inbound(InboundMessage::text(ALICE, BOB, "while away"))
        .await
        .unwrap();
    eventually("the message is recorded", LINK_TIMEOUT, || async {
        app.events(&id)
            .await
            .iter()
            .any(|e| e.event == "message")
            .then_some(())
    })
    .await;
    let missed: Vec<String> = app
        .store
        .list_events(None, Some(&last), 1000)
        .await
        .unwrap()
        .into_iter()
        .map(|e| e.id)
        .collect();
    let resumed = stream::sse(&app.url("/wa/events"), Some(&last)).await;
    let got = eventually("the missed events are replayed", LINK_TIMEOUT, || async {
        let got: Vec<String> = resumed.items().iter().map(|e| e.id.clone()).collect();
        (got.len() >= missed.len()).then_some(got)
    })
    .await;
    assert_eq!(got[..missed.len()], missed[..]);
    resumed.close();
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_websocket_client_gets_the_same_events_filtered() {
    let app = spawn_app_with(Options::default()).await;
    let ws_url = format!(
        "{}/wa/ws?events=ready,message,message_ack",
        app.base.replace("http", "ws")
    );
    let live = stream::websocket(&ws_url).await;
    let id = app.link(ALICE, "Alice").await;
    let sent = app.send(&id, BOB, "over ws").await;
    let message_id = sent.body["messageId"].as_str().unwrap().to_owned();
    app.sim
        .send_inbound(InboundMessage::text(ALICE, BOB, "inbound over ws"))
        .await
        .unwrap();
    eventually(
        "ready, the inbound message and ack 3 arrive",
        LINK_TIMEOUT,
        || async {
            let items = live.items();
            let has = |f: &dyn Fn(&Value) -> bool| items.iter().any(f);
            (has(&|e| e["event"] == "ready")
                && has(&|e| e["event"] == "message" && e["data"]["body"] == "inbound over ws")
                && has(&|e| {
                    e["event"] == "message_ack"
                        && e["data"]["messageId"] == message_id.as_str()
                        && e["data"]["ack"] == 3
                }))
            .then_some(())
        },
    )
    .await;
    let items = live.close();
    assert!(items
        .iter()
        .all(|e| ["ready", "message", "message_ack"].contains(&e["event"].as_str().unwrap())));
    let bad = app.get("/wa/events?events=nonsense").await;
    assert_eq!(bad.error_code(), "INVALID_REQUEST");
    let unknown = app.get("/wa/events?connectionId=nope").await;
    assert_eq!(unknown.error_code(), "SESSION_NOT_FOUND");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn delivery_tracking_walks_sent_delivered_read_and_marks_failures() {
    let app = spawn_app_with(Options::default()).await;
    let id = app.link(ALICE, "Alice").await;
    let sent = app.send(&id, BOB, "track me").await;
    let message_id = sent.body["messageId"].as_str().unwrap().to_owned();
    let record = eventually("the message is read", LINK_TIMEOUT, || async {
        let r = app.get(&format!("/wa/messages/{message_id}")).await;
        (r.body["status"] == "read").then_some(r.body)
    })
    .await;
    for step in ["sent", "delivered", "read"] {
        assert!(record["statusTimes"][step].is_string(), "{step}: {record}");
    }
    assert_eq!(record["direction"], "outbound");
    assert_eq!(record["body"], "track me");
    assert_eq!(record["connectionId"], id.as_str());

    app.sim.set_ack_behaviour(AckBehaviour::fail(50));
    let r = app.send(&id, BOB, "this one fails").await;
    let failed_id = r.body["messageId"].as_str().map(str::to_owned);
    let failed = eventually("the message is failed", LINK_TIMEOUT, || async {
        let list = app
            .get(&format!("/wa/connections/{id}/messages?direction=outbound"))
            .await;
        let messages = list.body["messages"].as_array()?.clone();
        messages
            .into_iter()
            .find(|m| m["body"] == "this one fails" && m["status"] == "failed")
    })
    .await;
    if let Some(failed_id) = failed_id {
        assert_eq!(failed["messageId"], failed_id.as_str());
    }
    let missing = app.get("/wa/messages/true_1@c.us_NOPE").await;
    assert_eq!(
        (missing.status, missing.error_code()),
        (StatusCode::NOT_FOUND, "NOT_FOUND")
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_same_idempotency_key_sends_once() {
    let app = spawn_app_with(Options::default()).await;
    let id = app.link(ALICE, "Alice").await;
    let send = |key: &'static str, text: &'static str| {
        let req = app
            .client
            .post(app.url(&format!("/wa/send/{id}")))
            .header("idempotency-key", key)
            .json(&json!({ "to": BOB, "message": text }));
        async move { common::api::reply(req.send().await.unwrap()).await }
    };
    let first = send("order-42", "only once").await;
    let again = send("order-42", "only once").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    assert_eq!(again.body, first.body, "the first result is returned again");
    assert_eq!(
        app.sim.sent_messages(ALICE).len(),
        1,
        "nothing was sent twice"
    );
    let other = send("order-42", "a different text").await;
    assert_eq!(
        (other.status, other.error_code()),
        (StatusCode::CONFLICT, "CONFLICT")
    );

    // Paging through the connection's messages.
    for n in 0..3 {
        let r = app.send(&id, BOB, &format!("page {n}")).await;
        assert_eq!(r.status, StatusCode::OK);
    }
    let page = app
        .get(&format!(
            "/wa/connections/{id}/messages?direction=outbound&limit=2"
        ))
        .await;
    let first_page = page.body["messages"].as_array().unwrap().clone();
    assert_eq!(first_page.len(), 2);
    assert_eq!(first_page[0]["body"], "page 2", "newest first");
    let before = page.body["nextBefore"].as_str().unwrap();
    let next = app
        .get(&format!(
            "/wa/connections/{id}/messages?direction=outbound&limit=2&before={before}"
        ))
        .await;
    let bodies: Vec<&str> = next.body["messages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["body"].as_str().unwrap())
        .collect();
    assert_eq!(bodies, ["page 0", "only once"]);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_connection_webhook_is_set_through_the_api_and_from_add_number() {
    let receiver = Receiver::start().await;
    let app = spawn_app_with(Options::default()).await;
    let r = app
        .post(
            "/wa/add-number",
            json!({ "webhook": { "url": receiver.url, "events": ["qr"], "secret": SECRET, "headers": { "Authorization": "Bearer abc" } } }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["connectionId"].as_str().unwrap().to_owned();
    let hit = eventually(
        "the first QR reaches the connection's webhook",
        LINK_TIMEOUT,
        || async { receiver.hits().into_iter().next() },
    )
    .await;
    assert_eq!(hit.json()["event"], "qr");
    assert_eq!(hit.header("authorization"), "Bearer abc");
    assert_eq!(hit.header("x-hub-signature-256"), signature_of(&hit.body));
    assert!(hit.json()["data"]["qrDataUrl"]
        .as_str()
        .unwrap()
        .starts_with("data:image/png;base64,"));

    let view = app.get(&format!("/wa/connections/{id}/webhook")).await;
    assert_eq!(view.body["webhook"]["secretSet"], true);
    assert_eq!(
        view.body["webhook"]["headerNames"],
        json!(["Authorization"])
    );
    assert!(!view.body.to_string().contains(SECRET));
    let bad = app
        .client
        .put(app.url(&format!("/wa/connections/{id}/webhook")))
        .json(&json!({ "url": "ftp://x" }))
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
    let deleted = app
        .client
        .delete(app.url(&format!("/wa/connections/{id}/webhook")))
        .send()
        .await
        .unwrap();
    assert_eq!(deleted.status(), StatusCode::OK);
    assert_eq!(
        app.get(&format!("/wa/connections/{id}/webhook")).await.body["webhook"],
        Value::Null
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_receiver_does_not_hold_up_another_connections_events() {
    let broken = Receiver::start().await;
    broken.answer_with(|_| 503);
    let working = Receiver::start().await;
    let app = spawn_app_with(Options {
        env: vec![("WEBHOOK_RETRY_BASE_MS", "50".into())],
        ..Default::default()
    })
    .await;
    let alice = app.link(ALICE, "Alice").await;
    let bob = app.link(BOB, "Bob").await;
    for (id, receiver) in [(&alice, &broken), (&bob, &working)] {
        let r = app
            .client
            .put(app.url(&format!("/wa/connections/{id}/webhook")))
            .json(&json!({ "url": receiver.url, "events": ["message"] }))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), StatusCode::OK);
    }
    for to in [ALICE, BOB] {
        app.sim
            .send_inbound(InboundMessage::text(to, CAROL, &format!("to {to}")))
            .await
            .unwrap();
    }
    eventually("Bob's receiver gets its message", LINK_TIMEOUT, || async {
        working
            .delivered()
            .iter()
            .any(|e| e["data"]["body"] == format!("to {BOB}"))
            .then_some(())
    })
    .await;
    assert!(broken.delivered().is_empty());
    assert!(broken
        .hits()
        .iter()
        .all(|h| h.json()["connectionId"] == alice.as_str()));
    app.shutdown().await;
}
