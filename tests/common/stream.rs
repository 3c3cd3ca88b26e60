//! Clients of the gateway's live event streams: an SSE reader (over plain HTTP, parsing the
//! `text/event-stream` format) and a WebSocket reader. Both collect envelopes as they arrive.

use std::sync::{Arc, Mutex};

use futures::StreamExt;
use serde_json::Value;

/// One Server-Sent Event.
#[derive(Debug, Clone)]
pub struct SseEvent {
    pub id: String,
    pub event: String,
    pub data: Value,
}

pub struct Collected<T> {
    items: Arc<Mutex<Vec<T>>>,
    task: tokio::task::JoinHandle<()>,
}

impl<T: Clone> Collected<T> {
    pub fn items(&self) -> Vec<T> {
        self.items.lock().unwrap().clone()
    }

    /// Stops reading (the connection closes).
    pub fn close(self) -> Vec<T> {
        self.task.abort();
        self.items()
    }
}

/// Connects to `url` (a `/wa/events` URL) and parses events until closed.
pub async fn sse(url: &str, last_event_id: Option<&str>) -> Collected<SseEvent> {
    let mut req = reqwest::Client::new().get(url);
    if let Some(id) = last_event_id {
        req = req.header("last-event-id", id);
    }
    read_sse(req).await
}

/// The same, authenticated with an API key.
pub async fn sse_with_key(url: &str, key: &str) -> Collected<SseEvent> {
    read_sse(reqwest::Client::new().get(url).header("x-api-key", key)).await
}

async fn read_sse(req: reqwest::RequestBuilder) -> Collected<SseEvent> {
    let resp = req.send().await.unwrap();
    assert_eq!(resp.status(), 200, "SSE connect");
    assert!(resp.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("text/event-stream"));
    let items = Arc::new(Mutex::new(Vec::new()));
    let sink = items.clone();
    let task = tokio::spawn(async move {
        let mut resp = resp;
        let mut buf = String::new();
        while let Ok(Some(chunk)) = resp.chunk().await {
            buf.push_str(&String::from_utf8_lossy(&chunk));
            while let Some(end) = buf.find("\n\n") {
                let block: String = buf.drain(..end + 2).collect();
                if let Some(ev) = parse_block(&block) {
                    sink.lock().unwrap().push(ev);
                }
            }
        }
    });
    Collected { items, task }
}

fn parse_block(block: &str) -> Option<SseEvent> {
    let (mut id, mut event, mut data) = (None, None, String::new());
    for line in block.lines() {
        if let Some(v) = line.strip_prefix("id:") {
            id = Some(v.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("event:") {
            event = Some(v.trim().to_owned());
        } else if let Some(v) = line.strip_prefix("data:") {
            data.push_str(v.strip_prefix(' ').unwrap_or(v));
        }
    }
    Some(SseEvent {
        id: id?,
        event: event?,
        data: serde_json::from_str(&data).ok()?,
    })
}

/// Connects to a `/wa/ws` URL (`ws://...`) and collects the envelopes.
pub async fn websocket(url: &str) -> Collected<Value> {
    let (socket, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("WebSocket connects");
    let items = Arc::new(Mutex::new(Vec::new()));
    let sink = items.clone();
    let task = tokio::spawn(async move {
        let (_, mut read) = socket.split();
        while let Some(Ok(msg)) = read.next().await {
            if let tokio_tungstenite::tungstenite::Message::Text(text) = msg {
                if let Ok(v) = serde_json::from_str(&text) {
                    sink.lock().unwrap().push(v);
                }
            }
        }
    });
    Collected { items, task }
}
