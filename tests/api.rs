//! End to end: the real gateway, a real headless Chromium per connection, the wa-sim simulator and
//! the embedded store. Each test starts its own of everything.

mod common;

use std::collections::{BTreeMap, BTreeSet};

use common::{eventually, spawn_app, spawn_app_with, Options, TestApp, LINK_TIMEOUT};
use reqwest::StatusCode;
use serde_json::json;
use wa_sim::InboundMessage;

const ALICE: &str = "923001234567";
const BOB: &str = "923007654321";
const CAROL: &str = "14155550123";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_number_returns_the_page_qr_and_scanning_it_connects_the_number() {
    let app = spawn_app().await;
    let r = app.add_number().await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["status"], "pending");
    let id = r.body["connectionId"].as_str().unwrap().to_owned();
    let qr = common::qr::decode_data_url(r.body["qr"].as_str().unwrap());
    assert_eq!(
        qr.split(',').count(),
        5,
        "ref,noise,identity,adv,platform: {qr}"
    );
    assert!(qr.starts_with("2@"), "{qr}");
    // The simulator accepts only QR codes its page showed (and only while they are fresh).
    let scanned = app.sim.scan(&qr, ALICE, "Alice").await;
    assert!(
        scanned.is_ok(),
        "the simulator refused the QR the API returned: {scanned:?}"
    );
    let record = app.wait_status(&id, "connected").await;
    assert_eq!(record["number"], ALICE);
    assert_eq!(record["profile"]["pushName"], "Alice");
    assert!(record["qr"].is_null());

    let list = app.get("/wa/connections").await;
    assert_eq!(list.status, StatusCode::OK);
    let entry = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["connectionId"] == id.as_str());
    let entry = entry.expect("the connection is listed");
    assert_eq!(entry["status"], "connected");
    assert_eq!(entry["number"], ALICE);
    assert!(entry["lastActive"].is_string());
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_qr_endpoint_serves_png_raw_and_json_while_pending() {
    let app = spawn_app().await;
    let r = app.add_number().await;
    let id = r.body["connectionId"].as_str().unwrap().to_owned();

    let png = app
        .client
        .get(app.url(&format!("/wa/connections/{id}/qr")))
        .send()
        .await
        .unwrap();
    let (status, ctype) = (png.status(), png.headers()["content-type"].clone());
    let bytes = png.bytes().await.unwrap();
    assert_eq!(
        ctype,
        "image/png",
        "{status}: {}",
        String::from_utf8_lossy(&bytes)
    );
    let from_png = common::qr::decode_png(&bytes);
    let raw = app
        .get(&format!("/wa/connections/{id}/qr?format=raw"))
        .await;
    let json_url = app
        .get(&format!("/wa/connections/{id}/qr?format=json"))
        .await;
    let from_json = common::qr::decode_data_url(json_url.body["qr"].as_str().unwrap());
    // The ref may rotate between two calls; each must still be a QR the page showed.
    for qr in [&from_png, raw.body["qr"].as_str().unwrap(), &from_json] {
        assert!(qr.starts_with("2@") && qr.split(',').count() == 5, "{qr}");
    }
    let bad = app
        .get(&format!("/wa/connections/{id}/qr?format=gif"))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert_eq!(bad.error_code(), "INVALID_REQUEST");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_reaches_the_simulator_with_the_exact_text_and_recipient() {
    let app = spawn_app().await;
    let id = app.link(ALICE, "Alice").await;
    let text = "Hello from the gateway 👋\nsecond line";
    let r = app.send(&id, "+92 300-7654321", text).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["success"], true);
    let message_id = r.body["messageId"].as_str().unwrap();
    assert!(r.body["timestamp"].is_string());

    let sent = app.sim.sent_messages(ALICE);
    assert_eq!(sent.len(), 1, "{sent:?}");
    assert_eq!(sent[0].to, format!("{BOB}@c.us"));
    assert_eq!(sent[0].body, text);
    assert_eq!(sent[0].id, message_id);

    let group = app.sim.create_group("Team", &[ALICE, BOB]);
    let r = app.send(&id, &group, "to the group").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sent = app.sim.sent_messages(ALICE);
    let last = sent.last().unwrap();
    assert_eq!(
        (last.to.as_str(), last.body.as_str()),
        (group.as_str(), "to the group")
    );
    assert_eq!(last.id, r.body["messageId"].as_str().unwrap());
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_inbound_message_becomes_a_message_event_and_history_does_not() {
    let app = spawn_app().await;
    let id = app.link(ALICE, "Alice").await;
    app.sim
        .send_inbound(InboundMessage::text(ALICE, BOB, "old news").history())
        .await
        .unwrap();
    let msg_id = app
        .sim
        .send_inbound(InboundMessage::text(ALICE, BOB, "hi Alice").push_name("Bob"))
        .await
        .unwrap();

    let event = eventually("the inbound message is recorded", LINK_TIMEOUT, || async {
        let events = app.events(&id).await;
        events.into_iter().find(|e| e.event == "message")
    })
    .await;
    assert_eq!(event.data["id"], msg_id.as_str());
    assert_eq!(event.data["body"], "hi Alice");
    assert_eq!(event.data["from"], format!("{BOB}@c.us"));
    assert_eq!(event.data["senderPhone"], BOB);
    assert_eq!(event.data["pushName"], "Bob");
    assert_eq!(event.data["fromMe"], false);
    let messages: Vec<_> = app
        .events(&id)
        .await
        .into_iter()
        .filter(|e| e.event == "message")
        .collect();
    assert!(
        messages.iter().all(|e| e.data["body"] != "old news"),
        "history must not be reported"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_connections_on_different_numbers_stay_isolated() {
    let app = spawn_app().await;
    let numbers = [ALICE, BOB, CAROL];
    let mut ids = Vec::new();
    for (n, name) in numbers.iter().zip(["Alice", "Bob", "Carol"]) {
        ids.push(app.link(n, name).await);
    }
    for (id, n) in ids.iter().zip(numbers) {
        let r = app.send(id, "447700900123", &format!("from {n}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    }
    for n in numbers {
        let sent = app.sim.sent_messages(n);
        assert_eq!(sent.len(), 1, "{n}: {sent:?}");
        assert_eq!(sent[0].body, format!("from {n}"));
    }
    app.sim
        .send_inbound(InboundMessage::text(BOB, "447700900123", "only for Bob"))
        .await
        .unwrap();
    eventually(
        "Bob's connection records the message",
        LINK_TIMEOUT,
        || async {
            let events = app.events(&ids[1]).await;
            events.iter().any(|e| e.event == "message").then_some(())
        },
    )
    .await;
    for other in [&ids[0], &ids[2]] {
        let events = app.events(other).await;
        assert!(
            events.iter().all(|e| e.event != "message"),
            "leaked to {other}"
        );
    }
    let list = app.get("/wa/connections").await;
    let connected = list
        .body
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "connected");
    assert_eq!(connected.count(), 3);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn disconnect_logs_the_device_out_and_archives_the_record() {
    let app = spawn_app().await;
    let id = app.link(ALICE, "Alice").await;
    assert_eq!(app.sim.linked_devices(ALICE).len(), 1);

    let r = app.post(&format!("/wa/disconnect/{id}"), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        r.body["message"],
        format!("Connection {id} disconnected and archived.")
    );
    assert!(
        app.sim.linked_devices(ALICE).is_empty(),
        "the phone no longer lists the device"
    );
    assert_eq!(app.manager.browser_pid(&id).await, None);

    let record = app.connection(&id).await;
    assert_eq!(record["status"], "disconnected");
    assert_eq!(record["reason"], "API_DISCONNECT");
    assert_eq!(record["archived"], true);
    let listed = app.get("/wa/connections").await;
    assert!(listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .all(|c| c["connectionId"] != id.as_str()));
    let archived = app.get("/wa/connections?archived=true").await;
    assert!(archived
        .body
        .as_array()
        .unwrap()
        .iter()
        .any(|c| c["connectionId"] == id.as_str()));
    let send = app.send(&id, BOB, "after disconnect").await;
    assert_eq!(send.error_code(), "SESSION_NOT_FOUND");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_get_the_documented_codes() {
    let app = spawn_app_with(Options {
        env: vec![("MAX_SESSIONS", "1".into())],
        ..Default::default()
    })
    .await;
    let unknown = app.send("no-such-id", BOB, "hi").await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    assert_eq!(unknown.error_code(), "SESSION_NOT_FOUND");
    assert_eq!(
        app.get("/wa/connections/no-such-id").await.error_code(),
        "SESSION_NOT_FOUND"
    );
    let disc = app.post("/wa/disconnect/no-such-id", json!({})).await;
    assert_eq!(disc.error_code(), "SESSION_NOT_FOUND");

    let r = app.add_number().await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let id = r.body["connectionId"].as_str().unwrap().to_owned();
    let send_path = format!("/wa/send/{id}");

    let early = app.send(&id, BOB, "too early").await;
    assert_eq!(early.status, StatusCode::CONFLICT);
    assert_eq!(early.error_code(), "WHATSAPP_NOT_READY");

    let cases: Vec<(&str, &str, Vec<u8>, StatusCode)> = vec![
        (
            "malformed JSON",
            "application/json",
            b"{\"to\": ".to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "missing to",
            "application/json",
            br#"{"message":"hi"}"#.to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "missing message",
            "application/json",
            br#"{"to":"923007654321"}"#.to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "wrong types",
            "application/json",
            br#"{"to":5,"message":true}"#.to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "invalid number",
            "application/json",
            br#"{"to":"12ab","message":"hi"}"#.to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "empty message",
            "application/json",
            br#"{"to":"923007654321","message":"  "}"#.to_vec(),
            StatusCode::BAD_REQUEST,
        ),
        (
            "wrong content type",
            "text/plain",
            br#"{"to":"923007654321","message":"hi"}"#.to_vec(),
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ),
        // The send route's body may carry base64 media up to MEDIA_MAX_BYTES (tests/media_send.rs
        // checks the 413 above it), so a 2 MiB text is refused for its length instead.
        (
            "oversized text",
            "application/json",
            oversized_body(),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (what, ctype, body, status) in cases {
        let r = app.post_raw(&send_path, ctype, body).await;
        assert_eq!(r.status, status, "{what}: {}", r.body);
        assert_eq!(r.error_code(), "INVALID_REQUEST", "{what}");
    }
    let r = app
        .post_raw("/wa/add-number", "application/json", b"[1,2]".to_vec())
        .await;
    assert_eq!(r.error_code(), "INVALID_REQUEST");

    let limit = app.add_number().await;
    assert_eq!(limit.status, StatusCode::CONFLICT, "{}", limit.body);
    assert_eq!(limit.error_code(), "LIMIT_REACHED");

    let route = app.get("/wa/nothing-here").await;
    assert_eq!(
        (route.status, route.error_code()),
        (StatusCode::NOT_FOUND, "INVALID_REQUEST")
    );
    let method = app.get("/wa/add-number").await;
    assert_eq!(method.status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(method.error_code(), "INVALID_REQUEST");
    assert_eq!(app.get("/health").await.status, StatusCode::OK);
    assert_eq!(app.get("/ready").await.status, StatusCode::OK);
    app.shutdown().await;
}

fn oversized_body() -> Vec<u8> {
    let big = "x".repeat(2 * 1024 * 1024);
    serde_json::to_vec(&json!({ "to": BOB, "message": big })).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_qr_of_a_connected_number_is_a_conflict() {
    let app = spawn_app().await;
    let id = app.link(ALICE, "Alice").await;
    let r = app.get(&format!("/wa/connections/{id}/qr")).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(r.error_code(), "CONFLICT");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_after_the_browser_was_killed_restores_it_and_succeeds() {
    let app = spawn_app().await;
    let id = app.link(ALICE, "Alice").await;
    let first = app.send(&id, BOB, "before the crash").await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.body);
    // A browser killed moments after linking loses its login (Local Storage is written lazily):
    // the gateway archives only once that has settled, which is when a crash is survivable.
    app.wait_archived(&id).await;
    let pid = app
        .manager
        .browser_pid(&id)
        .await
        .expect("a running browser");
    common::chromium::kill(pid);

    let r = app.send(&id, BOB, "after the crash").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let new_pid = app.manager.browser_pid(&id).await.expect("a new browser");
    assert_ne!(new_pid, pid);
    let bodies: Vec<_> = app
        .sim
        .sent_messages(ALICE)
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert_eq!(bodies, ["before the crash", "after the crash"]);
    assert_eq!(app.connection(&id).await["status"], "connected");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlinking_on_the_phone_disconnects_with_a_reason() {
    let app = spawn_app().await;
    let id = app.link(ALICE, "Alice").await;
    app.sim.unlink(ALICE).await.unwrap();
    let record = app.wait_status(&id, "disconnected").await;
    let reason = record["reason"].as_str().unwrap();
    assert!(["LOGGED_OUT", "UNPAIRED"].contains(&reason), "{reason}");
    assert_eq!(app.manager.browser_pid(&id).await, None);
    let events = app.events(&id).await;
    assert!(events
        .iter()
        .any(|e| e.event == "disconnected" && e.data["reason"] == reason));
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renamed_whatsapp_module_ends_the_connection_naming_it() {
    let app = spawn_app().await;
    app.sim.rename_module("WAWebCmd", "WAWebCmdV2");
    let r = app.add_number().await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert_eq!(r.error_code(), "SERVER_ERROR");
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(
        message.contains("WA_WEB_INCOMPATIBLE: WAWebCmd"),
        "{message}"
    );
    let list = app.get("/wa/connections").await;
    let c = &list.body.as_array().unwrap()[0];
    let record = app.connection(c["connectionId"].as_str().unwrap()).await;
    assert_eq!(record["status"], "disconnected");
    assert_eq!(record["reason"], "WA_WEB_INCOMPATIBLE: WAWebCmd");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_pending_connection_ends_with_qr_timeout_after_its_retries() {
    let app = spawn_app_with(Options {
        env: vec![("QR_MAX_RETRIES", "2".into())],
        ..Default::default()
    })
    .await;
    let r = app.add_number().await;
    let id = r.body["connectionId"].as_str().unwrap().to_owned();
    let record = app.wait_status(&id, "disconnected").await;
    assert_eq!(record["reason"], "QR_TIMEOUT");
    assert_eq!(app.manager.browser_pid(&id).await, None);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_openapi_document_lists_what_the_router_serves_and_the_docs_page_works_offline() {
    let app = spawn_app().await;
    let doc = app.get("/openapi.json").await;
    assert_eq!(doc.status, StatusCode::OK);
    assert!(
        doc.body["openapi"].as_str().unwrap().starts_with("3.1."),
        "{}",
        doc.body["openapi"]
    );
    // Every route is declared once; the document and the router must both show exactly those.
    let mut declared: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for route in wa_gateway::http::routes::list() {
        let methods = declared.entry(route.path).or_default();
        assert!(methods.insert(route.method.to_string()), "declared twice");
    }
    let paths = doc.body["paths"].as_object().unwrap();
    let documented: BTreeMap<String, BTreeSet<String>> = paths
        .iter()
        .map(|(path, item)| {
            let methods = item.as_object().unwrap().keys();
            (path.clone(), methods.map(|m| m.to_uppercase()).collect())
        })
        .collect();
    assert_eq!(documented, declared);
    for (path, methods) in &declared {
        assert_eq!(&routed_methods(&app, path).await, methods, "{path}");
    }
    let docs_page = routed_methods(&app, "/docs").await;
    assert_eq!(docs_page, BTreeSet::from(["GET".to_owned()]));
    let page = app.client.get(app.url("/docs/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let html = page.text().await.unwrap();
    assert!(html.contains("swagger-ui"), "{html}");
    for remote in ["src=\"http", "href=\"http"] {
        assert!(
            !html.contains(remote),
            "the page loads nothing remote: {html}"
        );
    }
    let script = app.client.get(app.url("/docs/swagger-initializer.js"));
    let script = script.send().await.unwrap().text().await.unwrap();
    assert!(script.contains("/openapi.json"), "{script}");
    app.shutdown().await;
}

/// The methods the router serves on `path`: no route takes TRACE, so the router answers it with
/// 405 and an `Allow` header on a path it serves (and 404 on any other).
async fn routed_methods(app: &TestApp, path: &str) -> BTreeSet<String> {
    let url = app.url(&path.replace("{id}", "x"));
    let r = app.client.request(reqwest::Method::TRACE, url).send();
    let r = r.await.unwrap();
    assert_eq!(
        r.status(),
        StatusCode::METHOD_NOT_ALLOWED,
        "{path} is routed"
    );
    let allow = r.headers()["allow"].to_str().unwrap();
    allow
        .split(',')
        .map(|m| m.trim().to_owned())
        .filter(|m| m != "HEAD")
        .collect()
}

/// The simulator's phone types `code` (its control API, as the phone page does).
async fn enter_link_code(app: &TestApp, code: &str) -> common::api::Reply {
    let url = format!("{}__sim/link-code", app.sim.base_url());
    let req = app
        .client
        .post(url)
        .json(&json!({"code": code, "push_name": "Alice"}));
    common::api::reply(req.send().await.unwrap()).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_number_with_a_phone_links_by_the_pairing_code_typed_on_the_phone() {
    let app = spawn_app().await;
    let r = app
        .post("/wa/add-number", json!({"phone": "+92 300-1234567"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    assert_eq!(r.body["status"], "pending");
    assert!(r.body["qr"].is_null(), "{}", r.body);
    let id = r.body["connectionId"].as_str().unwrap().to_owned();
    let code = r.body["pairingCode"].as_str().unwrap().to_owned();
    let shape = code.len() == 9 && code.as_bytes()[4] == b'-';
    assert!(shape, "ABCD-EFGH: {code}");
    let current = app.get(&format!("/wa/connections/{id}/pairing-code")).await;
    assert_eq!(current.status, StatusCode::OK, "{}", current.body);
    let no_qr = app
        .get(&format!("/wa/connections/{id}/qr?format=raw"))
        .await;
    assert_eq!(no_qr.error_code(), "CONFLICT");

    // Codes are refreshed every few minutes: type the one shown now.
    let typed = enter_link_code(&app, current.body["pairingCode"].as_str().unwrap()).await;
    assert_eq!(typed.status, StatusCode::OK, "{}", typed.body);
    assert_eq!(typed.body["number"], ALICE);
    let record = app.wait_status(&id, "connected").await;
    assert_eq!(record["number"], ALICE);
    assert_eq!(record["profile"]["pushName"], "Alice");

    let sent = app.send(&id, BOB, "linked by code").await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    let recorded = app.sim.sent_messages(ALICE);
    assert_eq!(
        recorded.last().map(|m| m.body.as_str()),
        Some("linked by code")
    );
    let after = app.get(&format!("/wa/connections/{id}/pairing-code")).await;
    assert_eq!(after.error_code(), "CONFLICT");
    let events = app.events(&id).await;
    let names: Vec<&str> = events.iter().map(|e| e.event.as_str()).collect();
    assert!(
        names.contains(&"pairing_code") && names.contains(&"ready"),
        "{names:?}"
    );
    assert!(!names.contains(&"qr"), "no QR is offered: {names:?}");
    let first = events.iter().find(|e| e.event == "pairing_code").unwrap();
    assert_eq!(first.data["phone"], ALICE);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn add_number_with_a_phone_that_is_not_international_is_invalid() {
    let app = spawn_app().await;
    for phone in [
        "03001234567",
        "12345",
        "92300abc4567",
        "+92 (300) 1234567",
        "",
    ] {
        let r = app.post("/wa/add-number", json!({ "phone": phone })).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{phone}: {}", r.body);
        assert_eq!(r.error_code(), "INVALID_REQUEST", "{phone}");
    }
    let r = app
        .post("/wa/add-number", json!({ "phone": 923001234567u64 }))
        .await;
    assert_eq!(r.error_code(), "INVALID_REQUEST", "a number, not a string");
    let listed = app.get("/wa/connections").await;
    assert_eq!(listed.body, json!([]), "nothing was started");
    app.shutdown().await;
}
