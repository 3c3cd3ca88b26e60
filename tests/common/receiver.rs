//! A real HTTP webhook receiver on port 0: records every request (headers and raw body) and
//! answers with the status the test chose.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode};
use axum::routing::post;
use axum::Router;
use serde_json::Value;
use tokio::net::TcpListener;

/// One request as received.
#[derive(Debug, Clone)]
pub struct Hit {
    pub headers: HeaderMap,
    pub body: Bytes,
    /// What the receiver answered.
    pub answered: u16,
}

impl Hit {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).expect("a JSON body")
    }

    pub fn header(&self, name: &str) -> &str {
        self.headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
    }
}

/// Decides the answer to each request from the parsed envelope.
pub type Answer = dyn Fn(&Value) -> u16 + Send + Sync;

#[derive(Clone)]
struct Shared {
    hits: Arc<Mutex<Vec<Hit>>>,
    answer: Arc<Mutex<Arc<Answer>>>,
}

pub struct Receiver {
    pub url: String,
    shared: Shared,
    task: tokio::task::JoinHandle<()>,
}

impl Receiver {
    /// Listens on `port` (0 = any) and answers 200 until told otherwise.
    pub async fn start_on(port: u16) -> Self {
        Self::start_at("127.0.0.1", port).await
    }

    /// Listens on `ip` (any of 127.0.0.0/8 works on Linux) and `port`.
    pub async fn start_at(ip: &str, port: u16) -> Self {
        let listener = TcpListener::bind((ip, port)).await.unwrap();
        let url = format!("http://{}/hook", listener.local_addr().unwrap());
        let shared = Shared {
            hits: Arc::default(),
            answer: Arc::new(Mutex::new(Arc::new(|_: &Value| 200))),
        };
        let app = Router::new()
            .route("/hook", post(record))
            .with_state(shared.clone());
        let task = tokio::spawn(async move {
            axum::serve(listener, app).await.unwrap();
        });
        Self { url, shared, task }
    }

    pub async fn start() -> Self {
        Self::start_on(0).await
    }

    pub fn answer_with(&self, answer: impl Fn(&Value) -> u16 + Send + Sync + 'static) {
        *self.shared.answer.lock().unwrap() = Arc::new(answer);
    }

    pub fn hits(&self) -> Vec<Hit> {
        self.shared.hits.lock().unwrap().clone()
    }

    /// Envelopes acknowledged with a 2xx, in arrival order.
    pub fn delivered(&self) -> Vec<Value> {
        self.hits()
            .iter()
            .filter(|h| (200..300).contains(&h.answered))
            .map(Hit::json)
            .collect()
    }
}

impl Drop for Receiver {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn record(State(shared): State<Shared>, headers: HeaderMap, body: Bytes) -> StatusCode {
    let envelope: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let answer = shared.answer.lock().unwrap().clone();
    let code = answer(&envelope);
    shared.hits.lock().unwrap().push(Hit {
        headers,
        body,
        answered: code,
    });
    StatusCode::from_u16(code).unwrap()
}
