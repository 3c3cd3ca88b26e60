//! The media store end to end, on SQLite and on MongoDB: inbound media fetched on its first
//! `GET /wa/messages/{id}/media` is stored once, later requests (Range included) are served from
//! the store even after WhatsApp's CDN dropped the file, and once the stored copy is swept a
//! request asks WhatsApp again (410 `MEDIA_EXPIRED` when it is gone there too).

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
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
    InboundMedia {
        to: ALICE.into(),
        from: BOB.into(),
        kind: "image".into(),
        mimetype: "image/png".into(),
        data: STANDARD.encode(bytes),
        filename: None,
        caption: None,
        group: None,
        push_name: Some("Bob".into()),
        duration: None,
        width: None,
        height: None,
        view_once: false,
        stage: None,
    }
}

async fn get(app: &TestApp, path: &str, range: Option<&str>) -> reqwest::Response {
    let mut req = app.api.client.get(app.api.url(path));
    if let Some(r) = range {
        req = req.header("range", r);
    }
    req.send().await.unwrap()
}

async fn stored_media_outlives_the_cdn_until_it_is_swept(env: Vec<(&'static str, String)>) {
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
    eventually("the image is reported", LINK_TIMEOUT, || async {
        let events = app.events(&id).await;
        events
            .into_iter()
            .any(|e| e.event == "message" && e.data["id"] == msg_id.as_str())
            .then_some(())
    })
    .await;
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

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_media_outlives_the_cdn_until_it_is_swept_sqlite() {
    stored_media_outlives_the_cdn_until_it_is_swept(vec![]).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stored_media_outlives_the_cdn_until_it_is_swept_mongo() {
    let Some(uri) = common::skip::mongo_uri() else {
        return;
    };
    let db = mongo::database_name();
    let env = vec![("MONGO_URI", uri.clone()), ("MONGO_DB", db.clone())];
    let outcome = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(
        stored_media_outlives_the_cdn_until_it_is_swept(env),
    ))
    .await;
    mongo::drop_database(&uri, &db).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}
