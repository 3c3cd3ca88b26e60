//! The end-to-end harness: each test gets its own simulator, its own app on port 0, its own
//! temporary folders and store, and a client with a method per endpoint.

#![allow(dead_code)]

pub mod chromium;
pub mod qr;
pub mod wait;

use std::collections::HashMap;
use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{json, Value};
use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use wa_gateway::{App, Config};
use wa_sim::{SimConfig, Simulator};

pub use wait::eventually;

/// Long enough for a loaded 2-core machine to start a browser and sync.
pub const LINK_TIMEOUT: Duration = Duration::from_secs(60);

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub sim: Simulator,
    pub manager: std::sync::Arc<wa_gateway::session::SessionManager>,
    pub store: std::sync::Arc<dyn wa_gateway::store::Store>,
    pub dir: TempDir,
    stop: Option<oneshot::Sender<()>>,
    server: Option<JoinHandle<std::io::Result<()>>>,
}

/// Options beyond the defaults: extra environment variables for the gateway.
#[derive(Default)]
pub struct Options {
    pub env: Vec<(&'static str, String)>,
    pub sim: Option<SimConfig>,
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(Options::default()).await
}

pub async fn spawn_app_with(opts: Options) -> TestApp {
    let sim = Simulator::start(opts.sim.unwrap_or_else(SimConfig::fast))
        .await
        .expect("simulator starts");
    let dir = tempfile::tempdir().expect("temp dir");
    let mut vars: HashMap<String, String> = HashMap::from([
        ("PORT".into(), "0".into()),
        ("SESSION_DIR".into(), path(&dir, "sessions")),
        ("DATA_DIR".into(), path(&dir, "data")),
        ("WA_WEB_URL".into(), sim.base_url()),
        ("QR_MAX_RETRIES".into(), "50".into()),
        // Chromium commits Local Storage up to ~5 s after a write; archive only after that.
        ("SESSION_SETTLE_SECS".into(), "6".into()),
    ]);
    for (k, v) in opts.env {
        vars.insert(k.into(), v);
    }
    let config = Config::from_map(&vars).expect("test config");
    wa_gateway::telemetry::init(config.log_format);
    let app = App::build(config).await.expect("app builds");
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let (manager, store) = (app.manager.clone(), app.store.clone());
    let (stop, stopped) = oneshot::channel::<()>();
    let server = tokio::spawn(app.serve(listener, async {
        let _ = stopped.await;
    }));
    TestApp {
        base,
        client: reqwest::Client::new(),
        sim,
        manager,
        store,
        dir,
        stop: Some(stop),
        server: Some(server),
    }
}

fn path(dir: &TempDir, sub: &str) -> String {
    dir.path().join(sub).display().to_string()
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

impl TestApp {
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

    pub async fn post_raw(&self, path: &str, content_type: &str, body: Vec<u8>) -> Reply {
        let req = self
            .client
            .post(self.url(path))
            .header("content-type", content_type)
            .body(body);
        reply(req.send().await.unwrap()).await
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
    pub async fn scan(&self, id: &str, qr: &str, number: &str, push_name: &str) {
        if self.sim.scan(qr, number, push_name).await.is_ok() {
            return;
        }
        eventually("a fresh QR code is scanned", LINK_TIMEOUT, || async {
            let r = self
                .get(&format!("/wa/connections/{id}/qr?format=raw"))
                .await;
            let qr = r.body["qr"].as_str()?.to_owned();
            self.sim.scan(&qr, number, push_name).await.ok()
        })
        .await;
    }

    /// Adds a number, scans its QR as `number` and waits until it is connected; returns its id.
    pub async fn link(&self, number: &str, push_name: &str) -> String {
        let r = self.add_number().await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
        let id = r.body["connectionId"].as_str().unwrap().to_owned();
        let qr = qr::decode_data_url(r.body["qr"].as_str().unwrap());
        self.scan(&id, &qr, number, push_name).await;
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

    /// Events the gateway recorded for a connection, oldest first.
    pub async fn events(&self, id: &str) -> Vec<wa_gateway::store::StoredEvent> {
        self.store
            .list_events(Some(id), None, 10_000)
            .await
            .unwrap()
    }

    /// Stops the gateway gracefully and checks that none of its browsers survived.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(server) = self.server.take() {
            server.await.unwrap().unwrap();
        }
        // Renderers exit a moment after their browser; give them that moment, no more.
        let dir = self.dir.path().to_owned();
        eventually(
            "no Chromium of this test is left",
            Duration::from_secs(10),
            || {
                let left = chromium::processes_using(&dir);
                async move { left.is_empty().then_some(()) }
            },
        )
        .await;
    }
}

impl Drop for TestApp {
    /// A failed test must not leak browsers: end those running on this test's folders.
    fn drop(&mut self) {
        chromium::kill_processes_using(self.dir.path());
    }
}

async fn reply(resp: reqwest::Response) -> Reply {
    let status = resp.status();
    let bytes = resp.bytes().await.unwrap();
    let body = serde_json::from_slice(&bytes)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into_owned()));
    Reply { status, body }
}
