//! MongoDB for end-to-end tests: `TEST_MONGO_URI` names a server (CI starts one, see
//! [`super::skip::mongo_uri`]); every test gets its own database, dropped afterwards.

/// A fresh database name for one test.
pub fn database_name() -> String {
    format!("wa_e2e_{}", uuid::Uuid::new_v4().simple())
}

pub async fn drop_database(uri: &str, name: &str) {
    if let Ok(client) = mongodb::Client::with_uri_str(uri).await {
        let _ = client.database(name).drop().await;
    }
}

/// Runs `case` with the settings of a fresh MongoDB database (dropped afterwards, even after a
/// panic); does nothing when no test server is configured.
pub async fn with_database<F, Fut>(case: F)
where
    F: FnOnce(Vec<(&'static str, String)>) -> Fut,
    Fut: std::future::Future<Output = ()>,
{
    let Some(uri) = super::skip::mongo_uri() else {
        return;
    };
    let db = database_name();
    let env = vec![("MONGO_URI", uri.clone()), ("MONGO_DB", db.clone())];
    let outcome = futures::FutureExt::catch_unwind(std::panic::AssertUnwindSafe(case(env))).await;
    drop_database(&uri, &db).await;
    if let Err(panic) = outcome {
        std::panic::resume_unwind(panic);
    }
}

/// A MongoDB-compatible test server of this test's own (SecantusDB from `.ci/venv`), so it can be
/// stopped and started again on the same storage without disturbing other tests.
pub struct PrivateServer {
    pub port: u16,
    storage: std::path::PathBuf,
    child: Option<std::process::Child>,
}

impl PrivateServer {
    pub async fn start(storage: &std::path::Path) -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let mut server = Self {
            port,
            storage: storage.to_owned(),
            child: None,
        };
        server.restart().await;
        server
    }

    pub fn uri(&self) -> String {
        format!(
            "mongodb://127.0.0.1:{}/?retryWrites=false&maxIdleTimeMS=60000",
            self.port
        )
    }

    /// Starts the server process (again) on the same port and storage; waits until it accepts.
    pub async fn restart(&mut self) {
        let bin = concat!(env!("CARGO_MANIFEST_DIR"), "/.ci/venv/bin/secantusd-py");
        let child = std::process::Command::new(bin)
            .args(["--host", "127.0.0.1", "--port", &self.port.to_string()])
            .arg("--storage-path")
            .arg(&self.storage)
            .args(["--log-level", "WARNING"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{bin} starts (run .ci/mongo-test-server.sh once): {e}"));
        self.child = Some(child);
        let port = self.port;
        super::eventually(
            "the private MongoDB accepts connections",
            super::LINK_TIMEOUT,
            || async move {
                tokio::net::TcpStream::connect(("127.0.0.1", port))
                    .await
                    .ok()
                    .map(|_| ())
            },
        )
        .await;
    }

    /// SIGTERM (a clean shutdown that keeps the data), then waits for the exit.
    pub async fn stop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        super::chromium::signal(child.id(), "TERM");
        super::eventually("the private MongoDB exits", super::LINK_TIMEOUT, || {
            let done = child.try_wait().unwrap();
            async move { done.map(|_| ()) }
        })
        .await;
    }
}

impl Drop for PrivateServer {
    fn drop(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
