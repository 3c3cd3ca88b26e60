//! The probe's verdicts against real sockets, and its timing in virtual time.

use std::sync::atomic::{AtomicU32, Ordering};

use axum::http::StatusCode;
use tokio::sync::mpsc;

use super::*;

/// A local server answering every request with `status`; returns its URL.
async fn answering(status: StatusCode) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let app = axum::Router::new().fallback(move || async move { status });
    tokio::spawn(async move { axum::serve(listener, app).await });
    url
}

/// A local port nobody listens on.
async fn closed_port() -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    drop(listener);
    url
}

fn client() -> reqwest::Client {
    reqwest::Client::builder().timeout(TIMEOUT).build().unwrap()
}

#[tokio::test]
async fn any_answer_below_500_counts_as_reachable() {
    for (status, reachable) in [
        (StatusCode::OK, true),
        (StatusCode::NOT_FOUND, true),
        (StatusCode::SERVICE_UNAVAILABLE, false),
    ] {
        let result = check(&client(), &answering(status).await).await;
        assert_eq!(result.reachable, reachable, "{status}");
        assert_eq!(result.detail, format!("HTTP {}", status.as_u16()));
    }
}

#[tokio::test]
async fn no_answer_is_unreachable_and_says_why() {
    let refused = check(&client(), &closed_port().await).await;
    assert!(!refused.reachable);
    assert!(refused.detail.contains("refused"), "{}", refused.detail);
    let unknown = check(&client(), "http://wa-web.invalid/").await;
    assert!(!unknown.reachable);
    assert!(!unknown.detail.is_empty());
}

#[test]
fn a_url_is_shown_without_credentials() {
    assert_eq!(
        public_url("https://user:secret@proxy.example:8443/wa"),
        "https://proxy.example:8443/wa"
    );
    assert_eq!(
        public_url("http://127.0.0.1:7000/"),
        "http://127.0.0.1:7000/"
    );
    assert_eq!(public_url("not a url"), "not a url");
}

/// Runs the probe with a check that reports the moment it ran; returns the receiver of those.
fn watched(probe: &Arc<WaWebProbe>, stop: &CancellationToken) -> mpsc::UnboundedReceiver<Instant> {
    let (tx, rx) = mpsc::unbounded_channel();
    let runs = Arc::new(AtomicU32::new(0));
    let (probe, stop) = (probe.clone(), stop.clone());
    tokio::spawn(async move {
        let check = || {
            let (tx, runs) = (tx.clone(), runs.clone());
            async move {
                let _ = tx.send(Instant::now());
                let n = runs.fetch_add(1, Ordering::SeqCst);
                verdict(if n % 2 == 0 {
                    Ok(200)
                } else {
                    Err("down".into())
                })
            }
        };
        probe.watch(check, stop).await;
    });
    rx
}

#[tokio::test(start_paused = true)]
async fn it_probes_every_30_s_and_when_asked_at_most_every_5_s() {
    let probe = Arc::new(WaWebProbe::new("http://wa.example/"));
    let stop = CancellationToken::new();
    let mut runs = watched(&probe, &stop);
    let t0 = runs.recv().await.unwrap();
    assert_eq!(runs.recv().await.unwrap() - t0, INTERVAL);
    assert_eq!(probe.latest().map(|r| r.detail), Some("down".into()));
    let t1 = Instant::now();
    for _ in 0..10 {
        probe.ask();
    }
    assert_eq!(runs.recv().await.unwrap() - t1, MIN_GAP);
    assert!(probe.latest().unwrap().reachable);
    tokio::time::sleep(Duration::from_secs(20)).await;
    probe.ask();
    let asked_late = Instant::now();
    assert_eq!(
        runs.recv().await.unwrap(),
        asked_late,
        "the last probe is long enough ago"
    );
    stop.cancel();
    assert!(runs.recv().await.is_none(), "the probe stopped");
}
