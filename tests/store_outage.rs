//! The store going away: at start the gateway retries and then exits clearly; mid-run it answers
//! 503 in the documented shape and recovers by itself when the store is back, losing nothing.

mod common;

use std::process::Command;

use common::mongo::PrivateServer;
use common::{eventually, spawn_app_with, Options, LINK_TIMEOUT};
use reqwest::StatusCode;

const ALICE: &str = "923001234567";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_mongodb_outage_answers_503_and_the_gateway_recovers_without_a_restart() {
    if common::skip::mongo_uri().is_none() {
        return;
    }
    let storage = tempfile::tempdir().unwrap();
    let mut server = PrivateServer::start(storage.path()).await;
    let app = spawn_app_with(Options {
        env: vec![("MONGO_URI", server.uri()), ("MONGO_DB", "outage".into())],
        ..Default::default()
    })
    .await;
    let id = app.link(ALICE, "Alice").await;

    server.stop().await;
    let r = app.get("/wa/connections").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert_eq!(r.error_code(), "SERVER_ERROR");
    assert_eq!(
        app.get("/ready").await.status,
        StatusCode::SERVICE_UNAVAILABLE
    );

    server.restart().await;
    let list = eventually("the store answers again", LINK_TIMEOUT, || async {
        let r = app.get("/wa/connections").await;
        (r.status == StatusCode::OK).then_some(r.body)
    })
    .await;
    let entry = &list.as_array().unwrap()[0];
    assert_eq!(
        (entry["connectionId"].as_str(), entry["status"].as_str()),
        (Some(id.as_str()), Some("connected"))
    );
    let sent = app.send(&id, "14155550123", "after the outage").await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    app.shutdown().await;
    server.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unreachable_mongodb_at_start_is_retried_then_reported_with_a_nonzero_exit() {
    let dir = tempfile::tempdir().unwrap();
    let closed_port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let out = Command::new(env!("CARGO_BIN_EXE_wa-gateway"))
        .current_dir(dir.path())
        .env(
            "MONGO_URI",
            format!("mongodb://127.0.0.1:{closed_port}/?serverSelectionTimeoutMS=300"),
        )
        .env("STORE_CONNECT_ATTEMPTS", "2")
        .env("SESSION_DIR", dir.path().join("sessions"))
        .env("PORT", "0")
        .output()
        .unwrap();
    assert!(!out.status.success());
    let text = String::from_utf8_lossy(&out.stdout) + String::from_utf8_lossy(&out.stderr);
    assert!(text.contains("store unreachable; retrying"), "{text}");
    assert!(text.contains("the store cannot be used"), "{text}");
}
