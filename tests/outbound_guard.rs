//! Outbound requests whose address a caller chooses reach public addresses only: media URLs
//! fetched by the gateway, and webhooks set with a tenant key (when set, at every delivery and on
//! every redirect). Private networks the admin allows are open, and nothing past them.
//! 127.0.0.2 plays such an allowed network; 127.0.0.1 plays everything else that is private.

mod common;

use std::convert::Infallible;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{any, get};
use axum::Router;
use common::receiver::Receiver;
use common::{eventually, spawn_app_with, Api, Options, LINK_TIMEOUT};
use serde_json::json;
use tokio::net::TcpListener;
use wa_gateway::net::fetch::{fetch, FetchError, Limits};
use wa_gateway::net::AddressPolicy;

const ADMIN_KEY: &str = "admin-key-for-guard-tests-0123456789";
const FILE_LEN: usize = 300 * 1024;

fn file_bytes() -> Vec<u8> {
    (0..FILE_LEN).map(|i| (i * 7 % 251) as u8).collect()
}

/// The policy of these tests: public addresses and 127.0.0.2.
fn policy() -> AddressPolicy {
    AddressPolicy {
        allow_private: false,
        allowed: vec!["127.0.0.2/32".parse().unwrap()].into(),
    }
}

fn limits(max_bytes: u64) -> Limits {
    Limits {
        max_bytes,
        timeout: Duration::from_secs(5),
    }
}

/// A web server on `ip`; `hits` counts every request it answered.
struct Origin {
    base: String,
    hits: Arc<AtomicUsize>,
}

async fn origin(ip: &str, elsewhere: Option<&str>) -> Origin {
    let listener = TcpListener::bind((ip, 0)).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let target = format!("{}/file", elsewhere.unwrap_or(&base));
    let counted = hits.clone();
    let app = Router::new()
        .route("/file", get(|| async { file_response() }))
        .route("/stream", get(|| async { unsized_body(FILE_LEN) }))
        .route("/stall", get(|| async { stalled_body() }))
        .route(
            "/away",
            any(move || async move { Redirect::temporary(&target) }),
        )
        .layer(axum::middleware::from_fn(
            move |req, next: axum::middleware::Next| {
                counted.fetch_add(1, Ordering::SeqCst);
                next.run(req)
            },
        ));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    Origin { base, hits }
}

fn file_response() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "application/pdf"),
            (
                header::CONTENT_DISPOSITION,
                "attachment; filename=\"invoice.pdf\"",
            ),
        ],
        file_bytes(),
    )
}

/// `len` bytes in 16 KiB chunks with no `Content-Length`: only counting tells the size.
fn unsized_body(len: usize) -> Body {
    let chunks = (0..len.div_ceil(16 * 1024))
        .map(|_| Ok::<_, Infallible>(Bytes::from(vec![1u8; 16 * 1024])));
    Body::from_stream(futures::stream::iter(chunks))
}

/// Headers at once, then a body that never ends.
fn stalled_body() -> Body {
    let first = futures::stream::once(async { Ok::<_, Infallible>(Bytes::from_static(b"x")) });
    Body::from_stream(futures::StreamExt::chain(first, futures::stream::pending()))
}

fn leftovers(dir: &tempfile::TempDir) -> usize {
    std::fs::read_dir(dir.path()).map_or(0, |d| d.count())
}

#[tokio::test]
async fn a_file_from_an_allowed_address_is_saved_whole_with_its_type_and_name() {
    let server = origin("127.0.0.2", None).await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{}/file", server.base);
    let got = fetch(&url, &policy(), limits(1 << 20), dir.path())
        .await
        .expect("fetched");
    assert_eq!(std::fs::read(&got.file).unwrap(), file_bytes());
    assert_eq!(got.len, FILE_LEN as u64);
    assert_eq!(got.content_type.as_deref(), Some("application/pdf"));
    assert_eq!(got.filename.as_deref(), Some("invoice.pdf"));
    drop(got);
    assert_eq!(
        leftovers(&dir),
        0,
        "the temporary file goes with its handle"
    );
}

#[tokio::test]
async fn private_loopback_and_metadata_addresses_are_refused() {
    let server = origin("127.0.0.1", None).await;
    let dir = tempfile::tempdir().unwrap();
    let port = server.base.rsplit(':').next().unwrap().to_owned();
    for url in [
        format!("{}/file", server.base),
        format!("http://localhost:{port}/file"),
        format!("http://[::1]:{port}/file"),
        "http://169.254.169.254/latest/meta-data/".to_owned(),
        "file:///etc/passwd".to_owned(),
    ] {
        let refused = fetch(&url, &policy(), limits(1 << 20), dir.path()).await;
        assert!(
            matches!(refused, Err(FetchError::Refused(_))),
            "{url}: {refused:?}"
        );
    }
    assert_eq!(server.hits.load(Ordering::SeqCst), 0);
    assert_eq!(leftovers(&dir), 0);
}

#[tokio::test]
async fn a_redirect_out_of_the_allowed_network_is_refused_before_it_is_followed() {
    let private = origin("127.0.0.1", None).await;
    let allowed = origin("127.0.0.2", Some(&private.base)).await;
    let dir = tempfile::tempdir().unwrap();
    let url = format!("{}/away", allowed.base);
    let refused = fetch(&url, &policy(), limits(1 << 20), dir.path()).await;
    let Err(FetchError::Refused(why)) = refused else {
        panic!("expected a refusal, got {refused:?}");
    };
    assert!(why.contains("127.0.0.1"), "{why}");
    assert_eq!(private.hits.load(Ordering::SeqCst), 0, "never reached");
    assert_eq!(leftovers(&dir), 0);
}

#[tokio::test]
async fn a_body_over_the_cap_is_refused_while_it_streams_and_leaves_nothing() {
    let server = origin("127.0.0.2", None).await;
    let dir = tempfile::tempdir().unwrap();
    for path in ["/stream", "/file"] {
        let url = format!("{}{path}", server.base);
        let cap = (FILE_LEN / 2) as u64;
        let refused = fetch(&url, &policy(), limits(cap), dir.path()).await;
        assert!(
            matches!(refused, Err(FetchError::TooLarge(c)) if c == cap),
            "{path}: {refused:?}"
        );
    }
    assert_eq!(leftovers(&dir), 0);
}

#[tokio::test]
async fn a_server_that_stalls_or_fails_is_a_failure_with_the_reason() {
    let server = origin("127.0.0.2", None).await;
    let dir = tempfile::tempdir().unwrap();
    let quick = Limits {
        max_bytes: 1 << 20,
        timeout: Duration::from_millis(500),
    };
    let stalled = fetch(
        &format!("{}/stall", server.base),
        &policy(),
        quick,
        dir.path(),
    )
    .await;
    assert!(
        matches!(&stalled, Err(FetchError::Failed(why)) if why.contains("within")),
        "{stalled:?}"
    );
    let missing = fetch(
        &format!("{}/nothing", server.base),
        &policy(),
        quick,
        dir.path(),
    )
    .await;
    assert!(
        matches!(&missing, Err(FetchError::Failed(why)) if why.contains("404")),
        "{missing:?}"
    );
    assert_eq!(leftovers(&dir), 0);
}

async fn keyed_gateway() -> common::TestApp {
    spawn_app_with(Options {
        env: vec![
            ("API_KEY", ADMIN_KEY.to_owned()),
            ("RATE_LIMIT_PER_MINUTE", "0".to_owned()),
            ("WEBHOOK_ALLOW_NETWORKS", "127.0.0.2/32".to_owned()),
            ("WEBHOOK_MAX_ATTEMPTS", "1".to_owned()),
        ],
        ..Default::default()
    })
    .await
}

#[tokio::test]
async fn a_tenant_cannot_point_a_webhook_at_a_private_address_but_the_admin_can() {
    let app = keyed_gateway().await;
    let admin = Api::with_key(&app.api.base, ADMIN_KEY);
    let tenant = Api::with_key(&app.api.base, &admin.new_key("acme", "operator").await.1);
    let created = tenant.add_number().await;
    let id = created.body["connectionId"]
        .as_str()
        .expect("an id")
        .to_owned();
    let path = format!("/wa/connections/{id}/webhook");
    for url in [
        "http://169.254.169.254/latest/meta-data/",
        "http://127.0.0.1:9/hook",
        "http://localhost:9/hook",
        "http://[::ffff:10.0.0.1]/hook",
    ] {
        let r = tenant.call("PUT", &path, Some(json!({ "url": url }))).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{url}: {}", r.body);
        assert_eq!(r.error_code(), "INVALID_REQUEST");
        assert!(r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("public address"));
    }
    let on_add = tenant
        .post(
            "/wa/add-number",
            json!({ "webhook": { "url": "http://127.0.0.1:9/hook" } }),
        )
        .await;
    assert_eq!(on_add.status, StatusCode::BAD_REQUEST, "{}", on_add.body);
    let allowed = tenant
        .call(
            "PUT",
            &path,
            Some(json!({ "url": "http://127.0.0.2:9/hook" })),
        )
        .await;
    assert_eq!(allowed.status, StatusCode::OK, "{}", allowed.body);
    let by_admin = admin
        .call(
            "PUT",
            &path,
            Some(json!({ "url": "http://127.0.0.1:9/hook" })),
        )
        .await;
    assert_eq!(by_admin.status, StatusCode::OK, "{}", by_admin.body);
    app.shutdown().await;
}

#[tokio::test]
async fn a_tenant_webhook_redirected_out_of_the_allowed_network_is_a_dead_letter_not_a_request() {
    let app = keyed_gateway().await;
    let admin = Api::with_key(&app.api.base, ADMIN_KEY);
    let tenant = Api::with_key(&app.api.base, &admin.new_key("acme", "operator").await.1);
    let private = Receiver::start().await;
    let redirector = origin("127.0.0.2", Some(private.url.trim_end_matches("/hook"))).await;
    let hook =
        json!({ "webhook": { "url": format!("{}/away", redirector.base), "events": ["qr"] } });
    let created = tenant.post("/wa/add-number", hook).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.body);
    let id = created.body["connectionId"].as_str().unwrap().to_owned();
    let dead = eventually("the qr delivery is a dead letter", LINK_TIMEOUT, || async {
        let path = format!("/wa/webhooks/deliveries?connectionId={id}&status=failed");
        let list = tenant.get(&path).await.body.as_array()?.clone();
        list.into_iter().find(|d| d["event"] == "qr")
    })
    .await;
    let why = dead["lastError"].as_str().unwrap_or_default();
    assert!(why.contains("refused"), "{dead}");
    assert!(
        redirector.hits.load(Ordering::SeqCst) >= 1,
        "the allowed receiver was asked"
    );
    assert!(private.hits().is_empty(), "the private one never was");
    app.shutdown().await;
}
