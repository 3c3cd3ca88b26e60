//! The media store end to end, on SQLite and on MongoDB: inbound media is stored once, on arrival
//! (`MEDIA_AUTO_DOWNLOAD`) or on its first `GET /wa/messages/{id}/media`; later requests (Range
//! included) are served from the store even after WhatsApp's CDN dropped the file; once the
//! stored copy is swept (`MEDIA_RETENTION`) a request asks WhatsApp again (410 `MEDIA_EXPIRED`
//! when it is gone there too).

mod common;

use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use wa_sim::InboundMedia;

use common::{eventually, mongo, spawn_app_with, Options, TestApp, LINK_TIMEOUT};

const ALICE: &str = "923001234567";
const BOB: &str = "923007654321";

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn image(bytes: &[u8]) -> InboundMedia {
    inbound("image", "image/png", bytes)
}

async fn get(app: &TestApp, path: &str, range: Option<&str>) -> reqwest::Response {
    let mut req = app.api.client.get(app.api.url(path));
    if let Some(r) = range {
        req = req.header("range", r);
    }
    req.send().await.unwrap()
}

async fn stored_media_outlives_the_cdn_until_it_is_swept(mut env: Vec<(&'static str, String)>) {
    env.push(("MEDIA_AUTO_DOWNLOAD", "none".into()));
    let app = spawn_app_with(Options {
        env,
        ..Options::default()
    })
    .await;
    let id = app.link(ALICE, "Alice").await;
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend((0..300_000u32).map(|i| (i % 253) as u8));
    let sent = app.sim.send_inbound_media(image(&bytes)).await.unwrap();
    let msg_id = sent["id"].as_str().unwrap().to_owned();
    reported(&app, &id, &msg_id).await;
    let url = format!("/wa/messages/{msg_id}/media");
    assert_eq!(app.store.get_media(&id, &msg_id).await.unwrap(), None);

    // The first request downloads through the page and stores the file.
    let r = get(&app, &url, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(sha(&r.bytes().await.unwrap()), sha(&bytes));
    let row = app.store.get_media(&id, &msg_id).await.unwrap().unwrap();
    assert_eq!(
        (row.sha256.as_str(), row.size),
        (sha(&bytes).as_str(), bytes.len() as u64)
    );
    assert_eq!(row.mimetype.as_deref(), Some("image/png"));

    // Gone from WhatsApp's CDN: the stored copy still answers, whole and in ranges.
    assert!(app.sim.expire_media(sent["directPath"].as_str().unwrap()));
    let r = get(&app, &url, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(r.headers()["content-type"], "image/png");
    assert_eq!(
        r.headers()["content-length"],
        bytes.len().to_string().as_str()
    );
    assert_eq!(sha(&r.bytes().await.unwrap()), sha(&bytes));
    let r = get(&app, &url, Some("bytes=270000-280009")).await;
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    let total = bytes.len();
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes 270000-280009/{total}").as_str()
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), &bytes[270_000..280_010]);
    let r = get(&app, &url, Some("bytes=-7")).await;
    assert_eq!(r.bytes().await.unwrap().as_ref(), &bytes[total - 7..]);

    // Swept: the request goes to WhatsApp again, which no longer has it.
    let later = wa_gateway::store::now() + chrono::TimeDelta::seconds(1);
    assert_eq!(app.store.sweep_media(later).await.unwrap(), 1);
    assert_eq!(app.store.get_media(&id, &msg_id).await.unwrap(), None);
    let r = app.api.get(&url).await;
    assert_eq!(
        (r.status.as_u16(), r.error_code()),
        (410, "MEDIA_EXPIRED"),
        "{}",
        r.body
    );
    app.shutdown().await;
}

fn inbound(kind: &str, mimetype: &str, bytes: &[u8]) -> InboundMedia {
    InboundMedia {
        push_name: Some("Bob".into()),
        ..InboundMedia::new(ALICE, BOB, kind, mimetype, bytes)
    }
}

async fn reported(app: &TestApp, id: &str, msg_id: &str) {
    eventually("the message is reported", LINK_TIMEOUT, || async {
        let events = app.events(id).await;
        events
            .into_iter()
            .any(|e| e.event == "message" && e.data["id"] == msg_id)
            .then_some(())
    })
    .await;
}

/// `MEDIA_AUTO_DOWNLOAD=image`: an image is stored on arrival, without any request, and served
/// from the store after the CDN dropped it; a voice note (not listed) waits for its first request.
async fn wanted_types_are_stored_on_arrival(mut env: Vec<(&'static str, String)>) {
    env.push(("MEDIA_AUTO_DOWNLOAD", "image".into()));
    let app = spawn_app_with(Options {
        env,
        ..Options::default()
    })
    .await;
    let id = app.link(ALICE, "Alice").await;
    let voice = vec![4u8; 9_000];
    let ptt = inbound("ptt", "audio/ogg; codecs=opus", &voice);
    let ptt_id = app.sim.send_inbound_media(ptt).await.unwrap()["id"]
        .as_str()
        .unwrap()
        .to_owned();
    reported(&app, &id, &ptt_id).await;
    let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
    bytes.extend((0..200_000u32).map(|i| (i % 241) as u8));
    let sent = app.sim.send_inbound_media(image(&bytes)).await.unwrap();
    let msg_id = sent["id"].as_str().unwrap().to_owned();
    let row = eventually("the image is stored on arrival", LINK_TIMEOUT, || async {
        app.store.get_media(&id, &msg_id).await.unwrap()
    })
    .await;
    assert_eq!(
        (row.sha256.as_str(), row.size),
        (sha(&bytes).as_str(), bytes.len() as u64)
    );
    // The voice note came first and is not a wanted type: nothing fetched it.
    assert_eq!(app.store.get_media(&id, &ptt_id).await.unwrap(), None);

    assert!(app.sim.expire_media(sent["directPath"].as_str().unwrap()));
    let url = format!("/wa/messages/{msg_id}/media");
    let r = get(&app, &url, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(sha(&r.bytes().await.unwrap()), sha(&bytes));
    let r = get(&app, &url, Some("bytes=100-199")).await;
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(r.bytes().await.unwrap().as_ref(), &bytes[100..200]);

    let r = get(&app, &format!("/wa/messages/{ptt_id}/media"), None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(sha(&r.bytes().await.unwrap()), sha(&voice));
    let row = app.store.get_media(&id, &ptt_id).await.unwrap().unwrap();
    assert_eq!(row.sha256, sha(&voice));
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wanted_types_are_stored_on_arrival_sqlite() {
    wanted_types_are_stored_on_arrival(vec![]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn wanted_types_are_stored_on_arrival_mongo() {
    mongo::with_database(wanted_types_are_stored_on_arrival).await;
}

/// With a short `MEDIA_RETENTION` the supervised sweeper removes the stored copy on its own.
async fn the_sweeper_removes_media_past_its_retention(mut env: Vec<(&'static str, String)>) {
    env.push(("MEDIA_RETENTION", "2s".into()));
    env.push(("MEDIA_AUTO_DOWNLOAD", "none".into()));
    let app = spawn_app_with(Options {
        env,
        ..Options::default()
    })
    .await;
    let id = app.link(ALICE, "Alice").await;
    let bytes = b"\x89PNG\r\n\x1a\nshort-lived".to_vec();
    let sent = app.sim.send_inbound_media(image(&bytes)).await.unwrap();
    let msg_id = sent["id"].as_str().unwrap().to_owned();
    reported(&app, &id, &msg_id).await;
    let url = format!("/wa/messages/{msg_id}/media");
    let r = get(&app, &url, None).await;
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(sha(&r.bytes().await.unwrap()), sha(&bytes));
    assert!(app.store.get_media(&id, &msg_id).await.unwrap().is_some());
    assert!(app.sim.expire_media(sent["directPath"].as_str().unwrap()));
    let swept = std::time::Duration::from_secs(30);
    eventually("the sweeper removes the stored copy", swept, || async {
        let row = app.store.get_media(&id, &msg_id).await.unwrap();
        let blob = app.store.open_media(&sha(&bytes)).await;
        (row.is_none() && blob.is_err()).then_some(())
    })
    .await;
    let r = app.api.get(&url).await;
    assert_eq!(
        (r.status.as_u16(), r.error_code()),
        (410, "MEDIA_EXPIRED"),
        "{}",
        r.body
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweeper_removes_media_past_its_retention_sqlite() {
    the_sweeper_removes_media_past_its_retention(vec![]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sweeper_removes_media_past_its_retention_mongo() {
    mongo::with_database(the_sweeper_removes_media_past_its_retention).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_media_outlives_the_cdn_until_it_is_swept_sqlite() {
    stored_media_outlives_the_cdn_until_it_is_swept(vec![]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_media_outlives_the_cdn_until_it_is_swept_mongo() {
    mongo::with_database(stored_media_outlives_the_cdn_until_it_is_swept).await;
}
