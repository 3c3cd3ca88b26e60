//! Sending media through `POST /wa/send/{id}` against the simulator: every kind of send is
//! checked byte for byte against what the simulator decrypted from its CDN; bad inputs get their
//! documented error and leave no spooled file behind.

mod common;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use reqwest::StatusCode;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};

use common::{spawn_app, TestApp};

const ALICE: &str = "923001234567";
const BOB: &str = "923007654321";
/// A 1×1 PNG.
const PNG: &str = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";

fn sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// Bytes that start like a file of the kind (what type sniffing looks at), then vary.
fn file(header: &[u8], len: usize) -> Vec<u8> {
    let mut out = header.to_vec();
    out.extend((0..len.saturating_sub(header.len())).map(|i| (i * 31 % 253) as u8));
    out
}

fn mp4(len: usize) -> Vec<u8> {
    file(b"\0\0\0\x18ftypmp42\0\0\0\0mp42isom", len)
}

fn webp(len: usize) -> Vec<u8> {
    let mut head = b"RIFF\0\0\0\0WEBPVP8 ".to_vec();
    head.extend_from_slice(&[0u8; 8]);
    file(&head, len)
}

async fn send(app: &TestApp, id: &str, body: Value) -> common::api::Reply {
    app.api.post(&format!("/wa/send/{id}"), body).await
}

/// A multipart body with text fields and one file part.
fn multipart(fields: &[(&str, &str)], filename: &str, bytes: &[u8]) -> (String, Vec<u8>) {
    // Mixed case, as browsers send it: the boundary is case-sensitive and must reach the parser as is.
    let boundary = "----WebKitFormBoundaryWaGw7Xq";
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n").bytes());
    }
    body.extend(format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{filename}\"\r\nContent-Type: application/octet-stream\r\n\r\n").bytes());
    body.extend_from_slice(bytes);
    body.extend(format!("\r\n--{boundary}--\r\n").bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// What the simulator recorded for `message_id`, its media opened without error.
fn recorded(app: &TestApp, message_id: &str) -> wa_sim::SentMessage {
    let sent = app.sim.sent_messages(ALICE);
    let s = sent
        .into_iter()
        .find(|s| s.id == message_id)
        .expect("recorded");
    let media = s.media.as_ref().expect("the message points at media");
    assert_eq!(media.error, None, "{media:?}");
    s
}

fn spool_is_empty(app: &TestApp) -> bool {
    let dir = app.dir.path().join("data").join("media-spool");
    std::fs::read_dir(dir)
        .map(|d| d.count() == 0)
        .unwrap_or(true)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_kind_of_media_send_arrives_byte_for_byte() {
    let app = spawn_app().await;
    let id = app.link(ALICE, "Alice").await;
    let png = STANDARD.decode(PNG).unwrap();
    let doc = file(b"%PDF-1.7\n", 3 * 1024 * 1024 + 17);
    let cases: Vec<(Vec<u8>, Value, &str)> = vec![
        (png.clone(), json!({"caption": "a receipt"}), "image"),
        (mp4(200_000), json!({}), "video"),
        (file(b"ID3\x04\0\0\0\0\0\0", 50_000), json!({}), "audio"),
        (
            file(b"OggS\0\x02\0\0\0\0\0\0\0\0", 40_000),
            json!({"as": "voice"}),
            "ptt",
        ),
        (doc.clone(), json!({"filename": "invoice.pdf"}), "document"),
        (
            png.clone(),
            json!({"as": "document", "filename": "pic.png"}),
            "document",
        ),
        (webp(30_000), json!({"as": "sticker"}), "sticker"),
        (mp4(100_000), json!({"as": "gif"}), "video"),
        (png.clone(), json!({"viewOnce": true}), "image"),
    ];
    for (bytes, extra, kind) in cases {
        let mut media = json!({"base64": STANDARD.encode(&bytes)});
        media
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let r = send(&app, &id, json!({"to": BOB, "media": media})).await;
        assert_eq!(r.status, StatusCode::OK, "{kind}: {}", r.body);
        let message_id = r.body["messageId"].as_str().unwrap();
        let s = recorded(&app, message_id);
        assert_eq!(s.kind, kind, "{extra}");
        assert_eq!(
            s.media.as_ref().unwrap().sha256,
            sha(&bytes),
            "{kind} {extra}"
        );
        if extra["caption"].is_string() {
            assert_eq!(s.raw["caption"], "a receipt");
        }
        if extra["as"] == "gif" {
            assert_eq!(s.raw["isGif"], true);
        }
        if extra["viewOnce"] == true {
            assert_eq!(s.raw["isViewOnce"], true);
        }
        if extra["filename"].is_string() {
            assert_eq!(s.raw["filename"], extra["filename"]);
        }
        let stored = app.api.get(&format!("/wa/messages/{message_id}")).await;
        assert_eq!(stored.body["type"], kind, "{}", stored.body);
    }

    // A png as a sticker is converted to webp in the page.
    let r = send(
        &app,
        &id,
        json!({"to": BOB, "media": {"base64": PNG, "as": "sticker"}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let s = recorded(&app, r.body["messageId"].as_str().unwrap());
    assert_eq!(
        (s.kind.as_str(), &s.raw["mimetype"]),
        ("sticker", &json!("image/webp"))
    );

    // Multipart: the file streams in; `message` is the caption; the part's filename is kept.
    let big = file(b"%PDF-1.4\n", 20 * 1024 * 1024 + 3);
    let (ct, body) = multipart(&[("to", BOB), ("message", "the invoice")], "big.pdf", &big);
    let r = app.api.post_raw(&format!("/wa/send/{id}"), &ct, body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let s = recorded(&app, r.body["messageId"].as_str().unwrap());
    assert_eq!(s.media.as_ref().unwrap().sha256, sha(&big));
    assert_eq!(
        (&s.raw["filename"], &s.raw["caption"]),
        (&json!("big.pdf"), &json!("the invoice"))
    );
    assert!(spool_is_empty(&app), "the spooled files are gone");

    // Each upload finishing is reported (`change:isUnsentMedia`).
    let last = r.body["messageId"].as_str().unwrap().to_owned();
    let uploaded = common::eventually("media_uploaded", common::LINK_TIMEOUT, || async {
        let events = app.events(&id).await;
        events
            .into_iter()
            .find(|e| e.event == "media_uploaded" && e.data["messageId"] == last.as_str())
    })
    .await;
    assert_eq!(uploaded.data["chatId"], format!("{BOB}@c.us"));
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_media_gets_its_documented_error_and_leaves_nothing_behind() {
    let app = spawn_app().await;
    let id = app.link(ALICE, "Alice").await;
    let pdf = STANDARD.encode(file(b"%PDF-1.7\n", 5000));
    let cases = [
        (
            json!({"to": BOB, "media": {"base64": PNG, "as": "banner"}}),
            400,
            "INVALID_REQUEST",
        ),
        (
            json!({"to": BOB, "media": {"base64": "not base64!"}}),
            400,
            "INVALID_REQUEST",
        ),
        (
            json!({"to": BOB, "media": {"base64": PNG, "url": "https://example.com/x.png"}}),
            400,
            "INVALID_REQUEST",
        ),
        (json!({"to": BOB, "media": {}}), 400, "INVALID_REQUEST"),
        (json!({"to": BOB}), 400, "INVALID_REQUEST"),
        (
            json!({"to": BOB, "media": {"base64": pdf, "mimetype": "image/png"}}),
            422,
            "MEDIA_UNSUPPORTED",
        ),
        (
            json!({"to": BOB, "media": {"base64": pdf, "as": "sticker"}}),
            422,
            "MEDIA_UNSUPPORTED",
        ),
        (
            json!({"to": BOB, "media": {"base64": pdf, "as": "voice"}}),
            422,
            "MEDIA_UNSUPPORTED",
        ),
    ];
    for (body, status, code) in cases {
        let r = send(&app, &id, body.clone()).await;
        assert_eq!(
            (r.status.as_u16(), r.error_code()),
            (status, code),
            "{body}: {}",
            r.body
        );
    }
    // 65 MiB, over the 64 MiB default: refused while it streams in, as multipart and as base64.
    let huge = vec![7u8; 65 * 1024 * 1024];
    let (ct, body) = multipart(&[("to", BOB)], "huge.bin", &huge);
    let r = app.api.post_raw(&format!("/wa/send/{id}"), &ct, body).await;
    assert_eq!(
        (r.status.as_u16(), r.error_code()),
        (413, "MEDIA_TOO_LARGE"),
        "{}",
        r.body
    );
    let body = json!({"to": BOB, "media": {"base64": STANDARD.encode(&huge)}});
    let body = serde_json::to_vec(&body).unwrap();
    let path = format!("/wa/send/{id}");
    let r = app.api.post_unread(&path, "application/json", &body).await;
    assert_eq!(
        (r.status.as_u16(), r.error_code()),
        (413, "MEDIA_TOO_LARGE"),
        "{}",
        r.body
    );
    // Over WhatsApp's own limit for images (the simulator's 16 MiB): 413 from the upload server.
    let big_png = file(&STANDARD.decode(PNG).unwrap(), 17 * 1024 * 1024);
    let (ct, body) = multipart(&[("to", BOB)], "big.png", &big_png);
    let r = app.api.post_raw(&format!("/wa/send/{id}"), &ct, body).await;
    assert_eq!(
        (r.status.as_u16(), r.error_code()),
        (413, "MEDIA_TOO_LARGE"),
        "{}",
        r.body
    );

    assert!(app.sim.sent_messages(ALICE).is_empty(), "nothing was sent");
    assert!(spool_is_empty(&app), "no spooled file is left");
    let stored = app.api.get(&format!("/wa/connections/{id}/messages")).await;
    assert_eq!(
        stored.body["messages"].as_array().map(Vec::len),
        Some(0),
        "{}",
        stored.body
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn url_media_is_fetched_through_the_address_guard() {
    // A file server on 127.0.0.2, the one private network this gateway may fetch from.
    let mut files_config = wa_sim::SimConfig::fast();
    files_config.host = "127.0.0.2".parse().unwrap();
    let files = wa_sim::Simulator::start(files_config).await.unwrap();
    let at = |name: &str| format!("http://127.0.0.2:{}/__sim/files/{name}", files.port());
    let opts = common::Options {
        env: vec![("MEDIA_FETCH_ALLOW_NETWORKS", "127.0.0.2/32".into())],
        sim: None,
    };
    let app = common::spawn_app_with(opts).await;
    let id = app.link(ALICE, "Alice").await;

    let pdf = file(b"%PDF-1.7\n", 300_000);
    files.serve_file("invoice.pdf", "application/pdf", pdf.clone());
    let r = send(
        &app,
        &id,
        json!({"to": BOB, "message": "your invoice", "media": {"url": at("invoice.pdf")}}),
    )
    .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let s = recorded(&app, r.body["messageId"].as_str().unwrap());
    assert_eq!(s.media.as_ref().unwrap().sha256, sha(&pdf));
    assert_eq!(
        (s.kind.as_str(), &s.raw["filename"]),
        ("document", &json!("invoice.pdf"))
    );

    // The simulator itself is on 127.0.0.1: refused, directly and behind a redirect.
    let loopback = app.sim.serve_file("x.pdf", "application/pdf", pdf.clone());
    let redirect = format!(
        "http://127.0.0.2:{}/__sim/redirect?to={loopback}",
        files.port()
    );
    // A body that lies about its type.
    files.serve_file("fake.png", "image/png", pdf.clone());
    let cases = [
        (loopback.clone(), 422, "MEDIA_FETCH_FAILED"),
        (redirect, 422, "MEDIA_FETCH_FAILED"),
        (
            "http://169.254.169.254/latest/meta-data".into(),
            422,
            "MEDIA_FETCH_FAILED",
        ),
        ("ftp://127.0.0.2/x".into(), 422, "MEDIA_FETCH_FAILED"),
        (at("missing.pdf"), 422, "MEDIA_FETCH_FAILED"),
        (at("fake.png"), 422, "MEDIA_UNSUPPORTED"),
    ];
    for (url, status, code) in cases {
        let r = send(&app, &id, json!({"to": BOB, "media": {"url": url}})).await;
        assert_eq!(
            (r.status.as_u16(), r.error_code()),
            (status, code),
            "{url}: {}",
            r.body
        );
    }
    assert_eq!(
        app.sim.sent_messages(ALICE).len(),
        1,
        "only the good one was sent"
    );
    assert!(spool_is_empty(&app), "no fetched file is left");
    app.shutdown().await;
    files.shutdown().await;
}
