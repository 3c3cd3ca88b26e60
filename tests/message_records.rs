//! What the gateway keeps of messages, end to end (Chromium, the simulator, SQLite and MongoDB):
//! a tracked record keeps its media's metadata (sent and received), and follows edits and deletes
//! in both directions (ours through the API, theirs from the phone) as `GET /wa/messages/{id}` and
//! the connection's history show it. Then `WEBHOOK_INLINE_MEDIA_MAX`: a `message` webhook carries
//! small stored media inline (`media.data`), larger media only by URL.

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use wa_sim::{InboundMedia, InboundMessage};

use common::actions::{ALICE, BOB};
use common::receiver::Receiver;
use common::{eventually, mongo, spawn_app_with, Options, TestApp, LINK_TIMEOUT};

/// A 1×1 PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn inbound_image(bytes: &[u8], caption: Option<&str>) -> InboundMedia {
    InboundMedia {
        caption: caption.map(str::to_owned),
        push_name: Some("Bob".into()),
        width: Some(640),
        height: Some(480),
        ..InboundMedia::new(ALICE, BOB, "image", "image/png", bytes)
    }
}

/// The tracked record of `id` once `pred` holds for it.
async fn record_when(app: &TestApp, id: &str, what: &str, pred: impl Fn(&Value) -> bool) -> Value {
    let path = format!("/wa/messages/{id}");
    eventually(what, LINK_TIMEOUT, || async {
        let r = app.api.get(&path).await;
        (r.status == 200 && pred(&r.body)).then_some(r.body)
    })
    .await
}

/// The record of `id` as the connection's history lists it.
async fn listed(app: &TestApp, conn: &str, id: &str) -> Value {
    let r = app
        .api
        .get(&format!("/wa/connections/{conn}/messages?limit=500"))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let messages = r.body["messages"].as_array().cloned().unwrap_or_default();
    let found = messages.into_iter().find(|m| m["messageId"] == id);
    found.unwrap_or_else(|| panic!("{id} is not in the history"))
}

async fn sent_media_is_recorded_with_its_metadata(app: &TestApp, conn: &str) {
    let png = STANDARD.decode(PNG).unwrap();
    let body = json!({"media": {"base64": PNG, "filename": "dot.png"}, "message": "a dot"});
    let id = app.send_json(conn, BOB, body).await;
    let record = record_when(app, &id, "the sent image is tracked", |_| true).await;
    let media = &record["media"];
    assert_eq!(record["type"], "image", "{record}");
    assert_eq!(media["mimetype"], "image/png", "{record}");
    assert_eq!(media["size"], png.len() as u64);
    assert_eq!(media["sha256"], sha(&png));
    assert_eq!(media["caption"], "a dot");
    assert_eq!(media["url"], format!("/wa/messages/{id}/media"));
    let recorded = app.recorded(ALICE, &id).await;
    let on_whatsapp = recorded.media.expect("the simulator has the media");
    assert_eq!((on_whatsapp.sha256, on_whatsapp.error), (sha(&png), None));
    assert_eq!(listed(app, conn, &id).await["media"], *media);
}

async fn received_media_is_recorded_with_its_metadata(app: &TestApp, conn: &str) {
    let bytes = b"\x89PNG\r\n\x1a\n-a-received-image".to_vec();
    let sent = app
        .sim
        .send_inbound_media(inbound_image(&bytes, Some("look")))
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap();
    let record = record_when(app, id, "the received image is tracked", |_| true).await;
    let expected = json!({
        "mimetype": "image/png", "filename": null, "size": bytes.len(), "sha256": sha(&bytes),
        "url": format!("/wa/messages/{id}/media"), "caption": "look", "duration": null,
        "width": 640, "height": 480,
    });
    assert_eq!(record["media"], expected, "{record}");
    assert_eq!(
        (&record["direction"], &record["edited"], &record["revoked"]),
        (&json!("inbound"), &json!(false), &json!(false))
    );
    assert_eq!(listed(app, conn, id).await["media"], expected);
}

async fn our_edits_and_deletes_update_the_record(app: &TestApp, conn: &str) {
    let id = app
        .send_json(conn, BOB, json!({"message": "See you at 1"}))
        .await;
    app.tracked(&id).await;
    let path = format!("/wa/messages/{id}");
    let r = app
        .api
        .call("PATCH", &path, Some(json!({"message": "See you at 2"})))
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let record = record_when(app, &id, "the record shows our edit", |r| {
        r["edited"] == true
    })
    .await;
    assert_eq!(record["body"], "See you at 2", "{record}");
    assert!(record["editedAt"].is_string(), "{record}");
    assert_eq!(listed(app, conn, &id).await["body"], "See you at 2");

    let r = app
        .api
        .call("DELETE", &format!("{path}?for=everyone"), None)
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    let record = record_when(app, &id, "the record shows our delete", |r| {
        r["revoked"] == true
    })
    .await;
    assert_eq!(
        (&record["body"], &record["media"]),
        (&Value::Null, &Value::Null)
    );
    assert!(record["revokedAt"].is_string(), "{record}");
    assert_eq!(listed(app, conn, &id).await["revoked"], true);
}

async fn their_edits_and_deletes_update_the_record(app: &TestApp, conn: &str) {
    let text = InboundMessage::text(ALICE, BOB, "Meet at 5");
    let id = app.sim.send_inbound(text).await.unwrap();
    app.tracked(&id).await;
    app.sim.edit(ALICE, BOB, &id, "Meet at 6").unwrap();
    let record = record_when(app, &id, "the record shows their edit", |r| {
        r["edited"] == true
    })
    .await;
    assert_eq!(record["body"], "Meet at 6", "{record}");
    assert_eq!(listed(app, conn, &id).await["edited"], true);

    // A received image whose caption is deleted with it.
    let bytes = b"\x89PNG\r\n\x1a\n-deleted-later".to_vec();
    let sent = app
        .sim
        .send_inbound_media(inbound_image(&bytes, Some("oops")))
        .await
        .unwrap();
    let image = sent["id"].as_str().unwrap().to_owned();
    record_when(app, &image, "the image is tracked", |r| {
        r["media"].is_object()
    })
    .await;
    for gone in [&id, &image] {
        app.sim.revoke(ALICE, BOB, gone).unwrap();
        let record = record_when(app, gone, "the record shows their delete", |r| {
            r["revoked"] == true
        })
        .await;
        assert_eq!(
            (&record["body"], &record["media"]),
            (&Value::Null, &Value::Null)
        );
        assert_eq!(listed(app, conn, gone).await["revoked"], true);
    }
}

async fn records_keep_media_and_follow_edits_and_deletes(env: Vec<(&'static str, String)>) {
    let app = spawn_app_with(Options {
        env,
        ..Options::default()
    })
    .await;
    let conn = app.link(ALICE, "Alice").await;
    sent_media_is_recorded_with_its_metadata(&app, &conn).await;
    received_media_is_recorded_with_its_metadata(&app, &conn).await;
    our_edits_and_deletes_update_the_record(&app, &conn).await;
    their_edits_and_deletes_update_the_record(&app, &conn).await;
    app.shutdown().await;
}

/// The delivered `message` webhook of `id`.
async fn delivered_message(receiver: &Receiver, id: &str) -> Value {
    eventually("the message webhook arrives", LINK_TIMEOUT, || async {
        receiver
            .delivered()
            .into_iter()
            .find(|e| e["event"] == "message" && e["data"]["id"] == id)
    })
    .await
}

async fn small_stored_media_rides_inline_in_the_webhook(mut env: Vec<(&'static str, String)>) {
    let receiver = Receiver::start().await;
    env.extend([
        ("WEBHOOK_URL", receiver.url.clone()),
        ("WEBHOOK_INLINE_MEDIA_MAX", "1000".into()),
        ("MEDIA_AUTO_DOWNLOAD", "image".into()),
    ]);
    let app = spawn_app_with(Options {
        env,
        ..Options::default()
    })
    .await;
    let conn = app.link(ALICE, "Alice").await;
    let mut small = b"\x89PNG\r\n\x1a\n".to_vec();
    small.extend((0..992u32).map(|i| (i % 251) as u8));
    let big: Vec<u8> = small.iter().copied().cycle().take(1001).collect();
    let mut ids = Vec::new();
    for bytes in [&small, &big] {
        let sent = app
            .sim
            .send_inbound_media(inbound_image(bytes, None))
            .await
            .unwrap();
        ids.push(sent["id"].as_str().unwrap().to_owned());
    }
    let inline = delivered_message(&receiver, &ids[0]).await;
    let media = &inline["data"]["media"];
    assert_eq!(media["size"], 1000, "{inline}");
    let data = STANDARD
        .decode(media["data"].as_str().expect("media.data"))
        .unwrap();
    assert_eq!(sha(&data), sha(&small));
    let stored = app.store.get_media(&conn, &ids[0]).await.unwrap();
    assert_eq!(stored.map(|s| s.sha256), Some(sha(&small)));

    let by_url = delivered_message(&receiver, &ids[1]).await;
    let media = &by_url["data"]["media"];
    assert_eq!(media["size"], 1001, "{by_url}");
    assert!(media.get("data").is_none(), "over the limit: {by_url}");
    assert_eq!(media["url"], format!("/wa/messages/{}/media", ids[1]));
    // The event log and its streams keep the event as it happened: no bytes.
    let logged = app
        .event_data(&conn, "message", |d| d["id"] == ids[0].as_str())
        .await;
    assert!(logged["media"].get("data").is_none(), "{logged}");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_keep_media_and_follow_edits_and_deletes_sqlite() {
    records_keep_media_and_follow_edits_and_deletes(vec![]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn records_keep_media_and_follow_edits_and_deletes_mongo() {
    mongo::with_database(records_keep_media_and_follow_edits_and_deletes).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_stored_media_rides_inline_in_the_webhook_sqlite() {
    small_stored_media_rides_inline_in_the_webhook(vec![]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn small_stored_media_rides_inline_in_the_webhook_mongo() {
    mongo::with_database(small_stored_media_rides_inline_in_the_webhook).await;
}
