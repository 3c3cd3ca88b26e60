//! A client with a method per endpoint, for an in-process app or a gateway process alike.

use reqwest::StatusCode;
use serde_json::{json, Value};
use wa_sim::Simulator;

use super::{eventually, qr, LINK_TIMEOUT};

#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub client: reqwest::Client,
}

/// A response as tests look at it.
pub struct Reply {
    pub status: StatusCode,
    pub body: Value,
}

impl Reply {
    /// Asserts the documented error shape and returns the code.
    pub fn error_code(&self) -> &str {
        assert_eq!(self.body["success"], json!(false), "body: {}", self.body);
        assert!(
            self.body["error"]["message"].is_string(),
            "body: {}",
            self.body
        );
        self.body["error"]["code"].as_str().expect("error code")
    }
}

impl Api {
    pub fn new(base: String) -> Self {
        Self {
            base,
            client: reqwest::Client::new(),
        }
    }

    /// A client that sends `X-Api-Key: key` with every request.
    pub fn with_key(base: &str, key: &str) -> Self {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert("x-api-key", key.parse().unwrap());
        let client = reqwest::Client::builder()
            .default_headers(headers)
            .build()
            .unwrap();
        Self {
            base: base.to_owned(),
            client,
        }
    }

    /// Creates a key through the API (with an admin key); returns (id, key).
    pub async fn new_key(&self, tenant: &str, role: &str) -> (String, String) {
        let body = json!({ "tenant": tenant, "role": role, "name": format!("{tenant} {role}") });
        let r = self.post("/wa/keys", body).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        (
            r.body["id"].as_str().unwrap().to_owned(),
            r.body["key"].as_str().unwrap().to_owned(),
        )
    }

    /// Any method, any body; for table-driven tests.
    pub async fn call(&self, method: &str, path: &str, body: Option<Value>) -> Reply {
        let method = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
        let mut req = self.client.request(method, self.url(path));
        if let Some(body) = body {
            req = req.json(&body);
        }
        reply(req.send().await.unwrap()).await
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{}", self.base, path)
    }

    pub async fn get(&self, path: &str) -> Reply {
        reply(self.client.get(self.url(path)).send().await.unwrap()).await
    }

    pub async fn post(&self, path: &str, body: Value) -> Reply {
        let req = self.client.post(self.url(path)).json(&body);
        reply(req.send().await.unwrap()).await
    }

    /// A hand-made request, on a connection of its own: the server closes a connection whose
    /// oversized body it refused, and a pooled one could be reused just as it does.
    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Reply {
        let req = self
            .client
            .post(self.url(path))
            .header("content-type", content_type)
            .header("connection", "close")
            .body(body);
        reply(req.send().await.unwrap()).await
    }

    /// A body the server refuses before reading it all (too large): written on a raw connection,
    /// where the write may break off because the server answered and closed first, as HTTP
    /// allows; then the answer is read. A pooled client would report only the broken pipe.
    pub async fn post_unread(&self, path: &str, content_type: &str, body: &[u8]) -> Reply {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let host = self.base.trim_start_matches("http://");
        let mut stream = tokio::net::TcpStream::connect(host).await.unwrap();
        let head = format!(
            "POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n\
             Content-Length: {}\r\nConnection: close\r\n\r\n",
            body.len()
        );
        stream.write_all(head.as_bytes()).await.unwrap();
        let _ = stream.write_all(body).await;
        let mut raw = Vec::new();
        let _ = stream.read_to_end(&mut raw).await;
        let text = String::from_utf8_lossy(&raw);
        let (head, body) = text.split_once("\r\n\r\n").expect("an HTTP answer");
        let code = head
            .split(' ')
            .nth(1)
            .and_then(|c| c.parse().ok())
            .expect("a status");
        let body = serde_json::from_str(body).unwrap_or(Value::String(body.to_owned()));
        Reply {
            status: StatusCode::from_u16(code).unwrap(),
            body,
        }
    }

    pub async fn add_number(&self) -> Reply {
        let req = self.client.post(self.url("/wa/add-number"));
        reply(req.send().await.unwrap()).await
    }

    pub async fn send(&self, id: &str, to: &str, message: &str) -> Reply {
        self.post(
            &format!("/wa/send/{id}"),
            json!({ "to": to, "message": message }),
        )
        .await
    }

    pub async fn connection(&self, id: &str) -> Value {
        let r = self.get(&format!("/wa/connections/{id}")).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        r.body
    }

    /// Waits until the connection reaches `status`; returns its record.
    pub async fn wait_status(&self, id: &str, status: &str) -> Value {
        eventually(
            &format!("connection {id} becomes {status}"),
            LINK_TIMEOUT,
            || async {
                let c = self.connection(id).await;
                (c["status"] == status).then_some(c)
            },
        )
        .await
    }

    /// Scans the connection's current QR as `number`, retrying when the QR rotated meanwhile.
    pub async fn scan(&self, sim: &Simulator, id: &str, qr: &str, number: &str, push_name: &str) {
        if sim.scan(qr, number, push_name).await.is_ok() {
            return;
        }
        eventually("a fresh QR code is scanned", LINK_TIMEOUT, || async {
            let r = self
                .get(&format!("/wa/connections/{id}/qr?format=raw"))
                .await;
            let qr = r.body["qr"].as_str()?.to_owned();
            sim.scan(&qr, number, push_name).await.ok()
        })
        .await;
    }

    /// Adds a number, scans its QR as `number` and waits until it is connected; returns its id.
    pub async fn link(&self, sim: &Simulator, number: &str, push_name: &str) -> String {
        let r = self.add_number().await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.body["connectionId"].as_str().unwrap().to_owned();
        let qr = qr::decode_data_url(r.body["qr"].as_str().unwrap());
        self.scan(sim, &id, &qr, number, push_name).await;
        self.wait_status(&id, "connected").await;
        id
    }

    /// Waits until the connection's login has been archived (so its profile has settled on disk).
    pub async fn wait_archived(&self, id: &str) -> Value {
        eventually(
            &format!("connection {id} is archived"),
            LINK_TIMEOUT,
            || async {
                let c = self.connection(id).await;
                c["sessionSavedAt"].is_string().then_some(c)
            },
        )
        .await
    }
}

pub async fn reply(resp: reqwest::Response) -> Reply {
    let status = resp.status();
    let bytes = resp.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Reply { status, body }
}
