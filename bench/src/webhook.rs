//! A real HTTP receiver for the gateway's webhook (`WEBHOOK_URL`): it notes when each `message`
//! event arrives, keyed by the message body.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::StatusCode;
use axum::routing::post;
use axum::{Json, Router};
use serde_json::Value;
use tokio::sync::watch;

#[derive(Clone, Default)]
struct Seen {
    bodies: Arc<Mutex<HashMap<String, Instant>>>,
}

pub struct Receiver {
    addr: SocketAddr,
    seen: Seen,
    changed: watch::Receiver<u64>,
    _server: tokio::task::JoinHandle<()>,
}

impl Receiver {
    pub async fn start() -> Receiver {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let seen = Seen::default();
        let (tx, changed) = watch::channel(0u64);
        let app = Router::new()
            .route("/hook", post(receive))
            .with_state((seen.clone(), Arc::new(tx)));
        let server = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Receiver {
            addr,
            seen,
            changed,
            _server: server,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}/hook", self.addr)
    }

    /// When the `message` event with this body arrived, waiting up to `limit` for it.
    pub async fn wait_for(&self, body: &str, limit: Duration) -> Option<Instant> {
        let mut changed = self.changed.clone();
        let deadline = tokio::time::Instant::now() + limit;
        loop {
            changed.borrow_and_update();
            if let Some(at) = self.seen.bodies.lock().unwrap().get(body) {
                return Some(*at);
            }
            tokio::time::timeout_at(deadline, changed.changed())
                .await
                .ok()?
                .ok()?;
        }
    }
}

async fn receive(
    State((seen, tx)): State<(Seen, Arc<watch::Sender<u64>>)>,
    Json(envelope): Json<Value>,
) -> StatusCode {
    let at = Instant::now();
    if envelope["event"] == "message" {
        // By body (texts) and by id (media messages, whose body is empty).
        if let Some(id) = envelope["data"]["id"].as_str() {
            seen.bodies.lock().unwrap().insert(id.to_owned(), at);
        }
        if let Some(body) = envelope["data"]["body"].as_str() {
            seen.bodies.lock().unwrap().insert(body.to_owned(), at);
            tx.send_modify(|n| *n += 1);
        }
    }
    StatusCode::OK
}
