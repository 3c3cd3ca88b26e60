//! Receiving media against the simulator: the `message` event describes it, and
//! `GET /wa/messages/{id}/media` serves the bytes the page downloaded and decrypted (with Range);
//! media gone from WhatsApp's CDN (and not stored) is `410 MEDIA_EXPIRED`. The media store's own
//! cases are in tests/media_store.rs.

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::StatusCode;
use sha2::{Digest, Sha256};
use wa_sim::InboundMedia;

use common::{eventually, spawn_app, spawn_app_with, Options, TestApp, LINK_TIMEOUT};

const ALICE: &str = "923001234567";
const BOB: &str = "923007654321";

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

fn inbound(kind: &str, mimetype: &str, bytes: &[u8]) -> InboundMedia {
    InboundMedia {
        push_name: Some("Bob".into()),
        ..InboundMedia::new(ALICE, BOB, kind, mimetype, bytes)
    }
}

async fn message_event(app: &TestApp, id: &str, msg_id: &str) -> serde_json::Value {
    eventually("the media message is reported", LINK_TIMEOUT, || async {
        let events = app.events(id).await;
        events
            .into_iter()
            .find(|e| e.event == "message" && e.data["id"] == msg_id)
            .map(|e| e.data)
    })
    .await
}

async fn get(app: &TestApp, path: &str, range: Option<&str>) -> reqwest::Response {
    let mut req = app.api.client.get(app.api.url(path));
    if let Some(r) = range {
        req = req.header("range", r);
    }
    req.send().await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_inbound_media_is_described_and_served() {
    let app = spawn_app().await;
    let id = app.link(ALICE, "Alice").await;
    let doc: Vec<u8> = (0..5 * 1024 * 1024 + 11u32)
        .map(|i| (i % 251) as u8)
        .collect();
    let mut cases = vec![
        inbound("image", "image/png", b"\x89PNG\r\n\x1a\n-image-bytes"),
        inbound("video", "video/mp4", &[9u8; 70_000]),
        inbound("audio", "audio/mpeg", &[3u8; 20_000]),
        inbound("ptt", "audio/ogg; codecs=opus", &[4u8; 9_000]),
        inbound("sticker", "image/webp", &[5u8; 4_000]),
        inbound("document", "application/pdf", &doc),
    ];
    cases[0].caption = Some("look".into());
    cases[0].width = Some(640);
    cases[0].height = Some(480);
    cases[3].duration = Some(7);
    cases[5].filename = Some("report.pdf".into());
    for m in cases {
        let bytes = STANDARD.decode(&m.data).unwrap();
        let sent = app.sim.send_inbound_media(m.clone()).await.unwrap();
        let msg_id = sent["id"].as_str().unwrap();
        let event = message_event(&app, &id, msg_id).await;
        assert_eq!(event["type"], m.kind.as_str());
        assert_eq!(event["hasMedia"], true);
        let media = &event["media"];
        assert_eq!(media["mimetype"], m.mimetype.as_str(), "{event}");
        assert_eq!(media["size"], bytes.len() as u64);
        assert_eq!(media["sha256"], sha(&bytes));
        assert_eq!(media["url"], format!("/wa/messages/{msg_id}/media"));
        assert_eq!(media["caption"], serde_json::json!(m.caption));
        assert_eq!(media["filename"], serde_json::json!(m.filename));
        if m.kind == "image" {
            assert_eq!(
                (media["width"].as_u64(), media["height"].as_u64()),
                (Some(640), Some(480))
            );
        }
        if m.kind == "ptt" {
            assert_eq!(media["duration"], 7.0);
        }

        let r = get(&app, media["url"].as_str().unwrap(), None).await;
        assert_eq!(r.status(), StatusCode::OK);
        let ct = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert_eq!(ct, m.mimetype);
        if let Some(name) = &m.filename {
            let cd = r.headers()["content-disposition"].to_str().unwrap();
            assert!(cd.contains(name.as_str()), "{cd}");
        }
        let body = r.bytes().await.unwrap();
        assert_eq!(sha(&body), sha(&bytes), "{} bytes equal", m.kind);
    }

    // A range of the document.
    let sent = app
        .sim
        .send_inbound_media(inbound("document", "application/pdf", &doc))
        .await
        .unwrap();
    let url = format!("/wa/messages/{}/media", sent["id"].as_str().unwrap());
    message_event(&app, &id, sent["id"].as_str().unwrap()).await;
    let r = get(&app, &url, Some("bytes=1000-1999")).await;
    assert_eq!(r.status(), StatusCode::PARTIAL_CONTENT);
    let total = doc.len();
    assert_eq!(
        r.headers()["content-range"],
        format!("bytes 1000-1999/{total}").as_str()
    );
    assert_eq!(r.bytes().await.unwrap().as_ref(), &doc[1000..2000]);
    let r = get(&app, &url, Some("bytes=-10")).await;
    assert_eq!(r.bytes().await.unwrap().as_ref(), &doc[total - 10..]);
    let r = get(&app, &url, Some(&format!("bytes={total}-"))).await;
    assert_eq!(r.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn media_gone_from_whatsapp_is_410_and_unknown_messages_404() {
    // Nothing fetched on arrival, so the first request meets the expired CDN copy.
    let env = vec![("MEDIA_AUTO_DOWNLOAD", "none".to_owned())];
    let app = spawn_app_with(Options {
        env,
        ..Options::default()
    })
    .await;
    let id = app.link(ALICE, "Alice").await;
    let sent = app
        .sim
        .send_inbound_media(inbound("image", "image/png", b"\x89PNG\r\n\x1a\nsoon gone"))
        .await
        .unwrap();
    let msg_id = sent["id"].as_str().unwrap();
    message_event(&app, &id, msg_id).await;
    assert!(app.sim.expire_media(sent["directPath"].as_str().unwrap()));
    let r = app.api.get(&format!("/wa/messages/{msg_id}/media")).await;
    assert_eq!(
        (r.status.as_u16(), r.error_code()),
        (410, "MEDIA_EXPIRED"),
        "{}",
        r.body
    );

    let mut drill = inbound("image", "image/png", b"\x89PNG\r\n\x1a\nreuploading");
    drill.stage = Some("REUPLOADING".into());
    let sent = app.sim.send_inbound_media(drill).await.unwrap();
    let msg_id = sent["id"].as_str().unwrap();
    message_event(&app, &id, msg_id).await;
    let r = app.api.get(&format!("/wa/messages/{msg_id}/media")).await;
    assert_eq!(
        (r.status.as_u16(), r.error_code()),
        (410, "MEDIA_EXPIRED"),
        "{}",
        r.body
    );

    let r = app.api.get("/wa/messages/false_1@c.us_NOPE/media").await;
    assert_eq!((r.status.as_u16(), r.error_code()), (404, "NOT_FOUND"));
    // A text message has no media.
    let text = app
        .sim
        .send_inbound(wa_sim::InboundMessage::text(ALICE, BOB, "just text"))
        .await
        .unwrap();
    message_event(&app, &id, &text).await;
    let r = app.api.get(&format!("/wa/messages/{text}/media")).await;
    assert_eq!(
        (r.status.as_u16(), r.error_code()),
        (404, "NOT_FOUND"),
        "{}",
        r.body
    );
    app.shutdown().await;
}
