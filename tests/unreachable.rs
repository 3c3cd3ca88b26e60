//! An unreachable WhatsApp Web, end to end with real Chromium: a closed port, a name that does not
//! resolve and a page answering 503 are each `WA_WEB_UNAVAILABLE` with the cause, from one browser
//! launch and within `QR_WAIT_TIMEOUT_SECS`; a restore at boot while the page is unreachable keeps
//! the connection and its login, and completes once the page is back.

mod common;

use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::process::GatewayProcess;
use common::{eventually, LINK_TIMEOUT};
use reqwest::StatusCode;
use serde_json::Value;
use tempfile::TempDir;
use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;
use wa_sim::{SimConfig, Simulator};

const QR_WAIT: Duration = Duration::from_secs(8);
/// Beyond the QR wait, a give-up at the deadline still closes the browser before answering.
const CLOSE_SLACK: Duration = Duration::from_secs(2);
const ALICE: &str = "923001234567";
const CAROL: &str = "14155550123";
const STARTED: &str = "browser started";
const LOAD_FAILED: &str = "WhatsApp Web did not load";

fn env(dir: &Path, wa_web_url: &str) -> Vec<(&'static str, String)> {
    vec![
        ("SESSION_DIR", dir.join("sessions").display().to_string()),
        ("DATA_DIR", dir.join("data").display().to_string()),
        ("WA_WEB_URL", wa_web_url.to_owned()),
        ("QR_WAIT_TIMEOUT_SECS", QR_WAIT.as_secs().to_string()),
    ]
}

/// A local port nobody listens on.
async fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    url
}

/// A server that answers every request with `503 Service Unavailable` and a page of its own.
async fn answering_503() -> (String, JoinHandle<()>) {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let page = (StatusCode::SERVICE_UNAVAILABLE, "down for maintenance");
    let app = axum::Router::new().fallback(move || async move { page });
    let server = tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    (url, server)
}

/// Adds a number with WhatsApp Web at `url` and checks everything the answer, the record, the
/// log and `/ready` say about `cause`.
async fn add_number_is_unavailable(url: &str, cause: &str) {
    let dir = TempDir::new().unwrap();
    let gw = GatewayProcess::start(dir.path(), &env(dir.path(), url)).await;
    let t0 = Instant::now();
    let r = gw.api.add_number().await;
    let took = t0.elapsed();
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.body);
    assert_eq!(r.error_code(), "SERVER_ERROR");
    let reason = format!("WA_WEB_UNAVAILABLE: {cause} at {url}");
    let message = r.body["error"]["message"].as_str().unwrap();
    assert!(message.contains(&reason), "{message}");
    for what in ["WA_WEB_URL", "DNS", "proxy"] {
        assert!(message.contains(what), "{message} names {what}");
    }
    assert!(took < QR_WAIT + CLOSE_SLACK, "answered after {took:?}");

    let listed = gw.api.get("/wa/connections").await.body;
    let record = &listed.as_array().expect("a list")[0];
    assert_eq!(record["status"], "disconnected");
    let id = record["connectionId"].as_str().unwrap();
    assert_eq!(gw.api.connection(id).await["reason"], reason);
    assert_eq!(gw.logged(STARTED).len(), 1, "one browser launch");
    let ended = gw.logged("connection ended");
    assert_eq!(ended.len(), 1);
    assert_eq!(ended[0]["fields"]["reason"], reason.as_str());
    let ready = wa_web_check(&gw, "unavailable").await;
    assert_eq!(ready["waWeb"]["url"], url);
    gw.stop().await;
}

/// Waits until `/ready` says `state` for WhatsApp Web; it stays `200` either way.
async fn wa_web_check(gw: &GatewayProcess, state: &str) -> Value {
    let what = format!("/ready says WhatsApp Web is {state}");
    eventually(&what, LINK_TIMEOUT, || async {
        let r = gw.api.get("/ready").await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        (r.body["checks"]["waWeb"] == state).then_some(r.body)
    })
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_port_is_wa_web_unavailable_with_the_refused_connection() {
    let url = closed_port().await;
    add_number_is_unavailable(&url, "net::ERR_CONNECTION_REFUSED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_name_that_does_not_resolve_is_wa_web_unavailable_with_the_dns_error() {
    add_number_is_unavailable("http://wa-web.invalid/", "net::ERR_NAME_NOT_RESOLVED").await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_page_answering_503_is_wa_web_unavailable_with_the_status() {
    let (url, server) = answering_503().await;
    add_number_is_unavailable(&url, "HTTP 503").await;
    server.abort();
}

/// A TCP forwarder to the simulator that the test can take down (it then drops every connection
/// it accepts) and bring back, on the same address: the page's origin, and so its login, stays.
struct Forwarder {
    addr: SocketAddr,
    up: Arc<AtomicBool>,
    task: JoinHandle<()>,
}

impl Forwarder {
    async fn start(target: SocketAddr) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let up = Arc::new(AtomicBool::new(true));
        let serving = up.clone();
        let task = tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if !serving.load(Ordering::SeqCst) {
                    continue; // dropped: the connection closes unanswered
                }
                tokio::spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self { addr, up, task }
    }

    fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::SeqCst);
    }
}

impl Drop for Forwarder {
    fn drop(&mut self) {
        self.task.abort();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_restore_while_wa_web_is_unreachable_keeps_the_connection_and_completes_once_it_is_back()
{
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let forwarder = Forwarder::start(([127, 0, 0, 1], sim.port()).into()).await;
    let dir = TempDir::new().unwrap();
    let mut env = common::process::base_env(dir.path(), &sim);
    env.retain(|(k, _)| *k != "WA_WEB_URL");
    env.push(("WA_WEB_URL", forwarder.url()));

    let first = GatewayProcess::start(dir.path(), &env).await;
    let alice = first.api.link(&sim, ALICE, "Alice").await;
    first.api.wait_archived(&alice).await;
    first.stop().await;
    // Only the store's login archive is left: no page or cache on disk could stand in for WhatsApp Web.
    std::fs::remove_dir_all(dir.path().join("sessions")).unwrap();
    let scans = sim.counters().scans;
    forwarder.set_up(false);

    let second = GatewayProcess::start(dir.path(), &env).await;
    eventually("the page load failed twice", LINK_TIMEOUT, || async {
        (second.logged(LOAD_FAILED).len() >= 2).then_some(())
    })
    .await;
    let record = second.api.connection(&alice).await;
    assert_eq!(record["status"], "connected", "{record}");
    assert!(record["reason"].is_null(), "{record}");
    assert!(record["sessionSavedAt"].is_string(), "the login is kept");
    wa_web_check(&second, "unavailable").await;

    forwarder.set_up(true);
    let r = second.api.send(&alice, CAROL, "after the outage").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(second.api.connection(&alice).await["status"], "connected");
    assert_eq!(sim.counters().scans, scans, "nobody scanned again");
    assert_eq!(sim.sent_messages(ALICE).len(), 1);
    assert_eq!(second.logged(STARTED).len(), 1, "the browser was kept");
    wa_web_check(&second, "ok").await;
    second.stop().await;
}
