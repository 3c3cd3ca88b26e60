//! The end-to-end harness: each test gets its own simulator, its own app on port 0, its own
//! temporary folders and store, and a client with a method per endpoint.

#![allow(dead_code)]

pub mod actions;
pub mod api;
pub mod chromium;
pub mod dashboard;
pub mod mongo;
pub mod process;
pub mod qr;
pub mod receiver;
pub mod skip;
pub mod stream;
pub mod wait;

use std::collections::HashMap;
use std::time::Duration;

use tempfile::TempDir;
use tokio::net::TcpListener;
use tokio::sync::oneshot;
use tokio::task::JoinHandle;
use wa_gateway::{App, Config};
use wa_sim::{SimConfig, Simulator};

pub use api::Api;
pub use wait::eventually;

/// Long enough for a loaded 2-core machine to start a browser and sync.
pub const LINK_TIMEOUT: Duration = Duration::from_secs(60);

pub struct TestApp {
    pub api: Api,
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
        // Tests send bursts on purpose; the pacing test sets its own interval.
        ("SEND_MIN_INTERVAL_MS".into(), "0".into()),
        // No warm spare browser unless a test asks for one (tests/spare_browser.rs): every
        // other test counts only its connections' browsers, and the machine is small.
        ("SPARE_BROWSERS".into(), "0".into()),
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
        api: Api::new(base),
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

impl TestApp {
    pub async fn scan(&self, id: &str, qr: &str, number: &str, push_name: &str) {
        self.api.scan(&self.sim, id, qr, number, push_name).await
    }

    pub async fn link(&self, number: &str, push_name: &str) -> String {
        self.api.link(&self.sim, number, push_name).await
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

impl std::ops::Deref for TestApp {
    type Target = Api;

    fn deref(&self) -> &Api {
        &self.api
    }
}

impl Drop for TestApp {
    /// A failed test must not leak browsers: end those running on this test's folders.
    fn drop(&mut self) {
        chromium::kill_processes_using(self.dir.path());
    }
}
