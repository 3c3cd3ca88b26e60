//! Security end to end: keys, roles, tenants, revocation, rate limits, send pacing, the
//! loopback rule, sealed login archives, and a log that never holds a secret.

mod common;

use std::time::{Duration, Instant};

use common::process::GatewayProcess;
use common::{eventually, spawn_app_with, stream, Api, Options, TestApp, LINK_TIMEOUT};
use reqwest::StatusCode;
use serde_json::{json, Value};
use wa_gateway::http::routes::Access;
use wa_gateway::store::Role;
use wa_sim::{InboundMessage, SimConfig, Simulator};

const ADMIN_KEY: &str = "admin-key-for-tests-0123456789";
const ALICE: &str = "923001234567";
const BOB: &str = "923007654321";

async fn keyed_app(extra: Vec<(&'static str, String)>) -> TestApp {
    let mut env = vec![
        ("API_KEY", ADMIN_KEY.to_owned()),
        ("RATE_LIMIT_PER_MINUTE", "0".to_owned()),
    ];
    env.extend(extra);
    spawn_app_with(Options {
        env,
        ..Default::default()
    })
    .await
}

/// A harmless request on a declared route (`{id}` is the test's connection unless that would
/// change it for the other calls). The role each route needs comes from its declaration.
fn sample_request(method: &str, path: &str, id: &str) -> (String, Option<Value>) {
    let missing = |p: &str| p.replace("{id}", "no-such-thing");
    match (method, path) {
        ("POST", "/wa/send/{id}") => (
            path.replace("{id}", id),
            Some(json!({ "to": BOB, "message": "hi" })),
        ),
        ("PUT", "/wa/connections/{id}/webhook") => (
            path.replace("{id}", id),
            Some(json!({ "url": "http://127.0.0.1:9/hook" })),
        ),
        ("POST", "/wa/keys") => (
            path.into(),
            Some(json!({ "tenant": "t", "role": "viewer" })),
        ),
        ("GET", "/wa/connections/{id}/qr") => (format!("/wa/connections/{id}/qr?format=raw"), None),
        ("POST", "/wa/disconnect/{id}")
        | ("GET", "/wa/messages/{id}")
        | ("POST", "/wa/webhooks/deliveries/{id}/retry")
        | ("DELETE", "/wa/keys/{id}") => (missing(path), None),
        // An endless stream otherwise.
        ("GET", "/wa/events") => ("/wa/events?connectionId=no-such-thing".into(), None),
        _ => (path.replace("{id}", id), None),
    }
}

const ROLES: [Role; 4] = [Role::Viewer, Role::Sender, Role::Operator, Role::Admin];

fn role_name(role: Role) -> String {
    serde_json::to_value(role)
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn each_role_may_call_exactly_the_routes_declared_for_it() {
    let app = keyed_app(vec![("MAX_SESSIONS", "1".into())]).await;
    let admin = Api::with_key(&app.base, ADMIN_KEY);
    let mut keys = Vec::new();
    for role in ROLES {
        keys.push((role, admin.new_key("acme", &role_name(role)).await.1));
    }
    let operator = Api::with_key(&app.base, &keys[2].1);
    let created = operator.add_number().await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["connectionId"].as_str().unwrap().to_owned();

    let anonymous = Api::new(app.base.clone());
    for route in wa_gateway::http::routes::list() {
        let method = route.method.as_str();
        let (path, body) = sample_request(method, &route.path, &id);
        let Access::Least(least) = route.access else {
            let r = anonymous.call(method, &path, body).await;
            assert_eq!(r.status, StatusCode::OK, "anyone may {method} {path}");
            continue;
        };
        for (role, key) in &keys {
            let r = Api::with_key(&app.base, key)
                .call(method, &path, body.clone())
                .await;
            let what = format!("{role:?} {method} {path}: {} {}", r.status, r.body);
            assert_ne!(r.status, StatusCode::UNAUTHORIZED, "{what}");
            if *role >= least {
                assert_ne!(r.status, StatusCode::FORBIDDEN, "{what}");
            } else {
                assert_eq!(r.status, StatusCode::FORBIDDEN, "{what}");
                assert_eq!(r.error_code(), "FORBIDDEN", "{what}");
            }
        }
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn missing_bad_and_revoked_keys_are_unauthorized() {
    let app = keyed_app(vec![]).await;
    let anonymous = app.get("/wa/connections").await;
    assert_eq!(
        (anonymous.status, anonymous.error_code()),
        (StatusCode::UNAUTHORIZED, "UNAUTHORIZED")
    );
    assert_eq!(
        app.get("/health").await.status,
        StatusCode::OK,
        "/health needs no key"
    );
    let bad = Api::with_key(&app.base, "wag_not-a-real-key");
    assert_eq!(
        bad.get("/wa/connections").await.error_code(),
        "UNAUTHORIZED"
    );

    let admin = Api::with_key(&app.base, ADMIN_KEY);
    let (id, key) = admin.new_key("acme", "viewer").await;
    let bearer = app
        .client
        .get(app.url("/wa/connections"))
        .header("authorization", format!("Bearer {key}"))
        .send()
        .await
        .unwrap();
    assert_eq!(bearer.status(), StatusCode::OK);
    let listed = admin.get("/wa/keys").await;
    let text = listed.body.to_string();
    assert!(!text.contains(&key), "keys are never shown again");
    assert!(text.contains(&key[..12]), "but their prefix is");

    let revoked = admin.call("DELETE", &format!("/wa/keys/{id}"), None).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    let after = Api::with_key(&app.base, &key).get("/wa/connections").await;
    assert_eq!(
        (after.status, after.error_code()),
        (StatusCode::UNAUTHORIZED, "UNAUTHORIZED")
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn tenants_cannot_see_each_others_connections_streams_or_deliveries() {
    let app = keyed_app(vec![]).await;
    let admin = Api::with_key(&app.base, ADMIN_KEY);
    let acme_key = admin.new_key("acme", "operator").await.1;
    let globex_key = admin.new_key("globex", "operator").await.1;
    let (acme, globex) = (
        Api::with_key(&app.base, &acme_key),
        Api::with_key(&app.base, &globex_key),
    );
    let events = format!("{}/wa/events", app.base);
    let acme_stream = stream::sse_with_key(&events, &acme_key).await;
    let globex_stream = stream::sse_with_key(&events, &globex_key).await;

    let id = acme.link(&app.sim, ALICE, "Alice").await;
    for (method, path) in [
        ("GET", format!("/wa/connections/{id}")),
        ("GET", format!("/wa/connections/{id}/qr")),
        ("GET", format!("/wa/connections/{id}/messages")),
        ("GET", format!("/wa/connections/{id}/webhook")),
        ("PUT", format!("/wa/connections/{id}/webhook")),
        ("POST", format!("/wa/send/{id}")),
        ("POST", format!("/wa/disconnect/{id}")),
        ("GET", format!("/wa/events?connectionId={id}")),
        ("GET", format!("/wa/webhooks/deliveries?connectionId={id}")),
    ] {
        let body = match method {
            "PUT" => Some(json!({ "url": "http://127.0.0.1:9/h" })),
            "POST" => Some(json!({ "to": BOB, "message": "x" })),
            _ => None,
        };
        let r = globex.call(method, &path, body).await;
        assert_eq!(
            (r.status, r.error_code()),
            (StatusCode::NOT_FOUND, "SESSION_NOT_FOUND"),
            "{method} {path}"
        );
    }
    assert_eq!(globex.get("/wa/connections").await.body, json!([]));
    let sent = acme.send(&id, BOB, "acme only").await;
    let message_id = sent.body["messageId"].as_str().unwrap();
    assert_eq!(
        globex
            .get(&format!("/wa/messages/{message_id}"))
            .await
            .error_code(),
        "NOT_FOUND"
    );
    assert_eq!(
        acme.get(&format!("/wa/messages/{message_id}")).await.status,
        StatusCode::OK
    );

    eventually(
        "acme's stream sees its ready event",
        LINK_TIMEOUT,
        || async {
            acme_stream
                .items()
                .iter()
                .any(|e| e.event == "ready")
                .then_some(())
        },
    )
    .await;
    let leaked = globex_stream.close();
    assert!(leaked.is_empty(), "globex saw acme's events: {leaked:?}");
    acme_stream.close();
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn too_many_requests_get_429_with_retry_after() {
    let app = keyed_app(vec![("RATE_LIMIT_PER_MINUTE", "3".into())]).await;
    let admin = Api::with_key(&app.base, ADMIN_KEY);
    for _ in 0..3 {
        assert_eq!(admin.get("/wa/connections").await.status, StatusCode::OK);
    }
    let limited = admin
        .client
        .get(admin.url("/wa/connections"))
        .send()
        .await
        .unwrap();
    assert_eq!(limited.status(), StatusCode::TOO_MANY_REQUESTS);
    let retry: u64 = limited.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=20).contains(&retry), "{retry}");
    let body: Value = limited.json().await.unwrap();
    assert_eq!(body["error"]["code"], "RATE_LIMITED");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_burst_of_sends_leaves_at_the_paced_interval_and_a_full_queue_is_refused() {
    const INTERVAL: Duration = Duration::from_millis(400);
    let app = spawn_app_with(Options {
        env: vec![
            ("SEND_MIN_INTERVAL_MS", "400".into()),
            ("SEND_QUEUE_MAX", "3".into()),
        ],
        ..Default::default()
    })
    .await;
    let id = app.link(ALICE, "Alice").await;
    let sends = (0..4).map(|n| {
        let app = &app;
        let id = id.clone();
        async move {
            let r = app.send(&id, BOB, &format!("paced {n}")).await;
            (r, Instant::now())
        }
    });
    let results = futures::future::join_all(sends).await;
    let mut done: Vec<Instant> = Vec::new();
    let mut refused = 0;
    for (r, at) in results {
        match r.status {
            StatusCode::OK => done.push(at),
            StatusCode::TOO_MANY_REQUESTS => {
                assert_eq!(r.error_code(), "RATE_LIMITED");
                refused += 1;
            }
            other => panic!("{other}: {}", r.body),
        }
    }
    assert!(refused <= 1, "at most the send beyond the queue is refused");
    done.sort();
    for pair in done.windows(2) {
        let gap = pair[1] - pair[0];
        assert!(
            gap >= INTERVAL - Duration::from_millis(30),
            "sends {gap:?} apart"
        );
    }
    assert_eq!(app.sim.sent_messages(ALICE).len(), done.len());
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_an_api_key_the_gateway_refuses_to_listen_beyond_loopback() {
    let dir = tempfile::tempdir().unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_wa-gateway"))
        .current_dir(dir.path())
        .env("HOST", "0.0.0.0")
        .env("PORT", "0")
        .env("SESSION_DIR", dir.path().join("sessions"))
        .env("DATA_DIR", dir.path().join("data"))
        .env_remove("API_KEY")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(
        text.contains("API_KEY") && text.contains("0.0.0.0"),
        "{text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_scenario_at_trace_level_logs_no_secret_and_archives_are_sealed() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let dir = tempfile::tempdir().unwrap();
    let receiver = common::receiver::Receiver::start().await;
    let seal = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
    let mut env = common::process::base_env(dir.path(), &sim);
    env.extend([
        ("API_KEY", ADMIN_KEY.into()),
        ("RUST_LOG", "trace".into()),
        ("SESSION_ENCRYPTION_KEY", seal.into()),
        ("WEBHOOK_URL", receiver.url.clone()),
        ("WEBHOOK_SECRET", "whsec-global-31337".into()),
        // The tenant's webhook below is this test's local receiver.
        ("WEBHOOK_ALLOW_NETWORKS", "127.0.0.1/32".into()),
    ]);
    let gw = GatewayProcess::start(dir.path(), &env).await;
    let admin = Api::with_key(&gw.api.base, ADMIN_KEY);
    let (_, tenant_key) = admin.new_key("acme", "operator").await;
    let acme = Api::with_key(&gw.api.base, &tenant_key);
    let created = acme.add_number().await;
    let id = created.body["connectionId"].as_str().unwrap().to_owned();
    let qr = common::qr::decode_data_url(created.body["qr"].as_str().unwrap());
    acme.scan(&sim, &id, &qr, ALICE, "Alice").await;
    acme.wait_status(&id, "connected").await;
    let hook = acme
        .call(
            "PUT",
            &format!("/wa/connections/{id}/webhook"),
            Some(json!({ "url": receiver.url, "secret": "whsec-conn-4242", "headers": { "Authorization": "Bearer hdr-secret-5151" } })),
        )
        .await;
    assert_eq!(hook.status, StatusCode::OK, "{}", hook.body);
    let sent = acme.send(&id, BOB, "SECRET-BODY-7f3a").await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    sim.send_inbound(InboundMessage::text(ALICE, BOB, "SECRET-INBOUND-91c2"))
        .await
        .unwrap();
    eventually(
        "the inbound message reaches the webhook",
        LINK_TIMEOUT,
        || async {
            receiver
                .delivered()
                .iter()
                .any(|e| e["data"]["body"] == "SECRET-INBOUND-91c2")
                .then_some(())
        },
    )
    .await;
    acme.wait_archived(&id).await;
    gw.stop().await;

    let logs: String = std::fs::read_dir(dir.path())
        .unwrap()
        .filter_map(|e| e.ok())
        .filter(|e| e.file_name().to_string_lossy().ends_with(".log"))
        .map(|e| std::fs::read_to_string(e.path()).unwrap())
        .collect();
    assert!(logs.lines().count() > 50, "trace logging was on");
    let qr_ref = qr.split(',').next().unwrap();
    for secret in [
        ADMIN_KEY,
        tenant_key.as_str(),
        &qr,
        qr_ref,
        "SECRET-BODY-7f3a",
        "SECRET-INBOUND-91c2",
        "whsec-global-31337",
        "whsec-conn-4242",
        "hdr-secret-5151",
    ] {
        assert!(!logs.contains(secret), "the log contains {secret}");
    }

    // The archive in the store is sealed: it does not even start like a zstd frame.
    let store = wa_gateway::store::sqlite::SqliteStore::open(&dir.path().join("data")).unwrap();
    use wa_gateway::store::ArchiveRepo;
    let stored = store.load_archive(&id).await.unwrap().expect("an archive");
    assert!(wa_gateway::crypto::is_sealed(&stored));
    assert!(
        !stored.windows(4).any(|w| w == [0x28, 0xb5, 0x2f, 0xfd]),
        "no zstd frame in clear"
    );
}
