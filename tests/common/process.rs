//! The gateway as its own process (the release binary's twin), for what only a process can show:
//! a SIGKILL, a restart on the same store.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::{chromium, eventually, Api};

const START_TIMEOUT: Duration = Duration::from_secs(60);

pub struct GatewayProcess {
    pub api: Api,
    child: Child,
    log: PathBuf,
}

impl GatewayProcess {
    /// Starts `wa-gateway` in `dir` (so no stray `.env` is read) with `env`, logging JSON to
    /// `dir/gateway-<n>.log`, and waits until it listens.
    pub async fn start(dir: &Path, env: &[(&str, String)]) -> Self {
        let log = next_log_path(dir);
        let out = std::fs::File::create(&log).unwrap();
        let child = Command::new(env!("CARGO_BIN_EXE_wa-gateway"))
            .current_dir(dir)
            .env("SEND_MIN_INTERVAL_MS", "0")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("PORT", "0")
            .env("LOG_FORMAT", "json")
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .spawn()
            .expect("the gateway binary starts");
        let addr = eventually("the gateway listens", START_TIMEOUT, || {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            async move { listening_addr(&text) }
        })
        .await;
        Self {
            api: Api::new(format!("http://{addr}")),
            child,
            log,
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// The JSON log lines so far whose message starts with `message`.
    pub fn logged(&self, message: &str) -> Vec<serde_json::Value> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        text.lines()
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter(|v| {
                let said = v["fields"]["message"].as_str().unwrap_or_default();
                said.starts_with(message)
            })
            .collect()
    }

    /// Kills the gateway with no chance to clean up, then ends the browsers it left behind
    /// (they run on profiles under `dir`) as a container runtime would.
    pub async fn sigkill(mut self, dir: &Path) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        chromium::kill_processes_using(dir);
        let dir = dir.to_owned();
        eventually(
            "the orphaned browsers are gone",
            Duration::from_secs(10),
            || {
                let left = chromium::processes_using(&dir);
                async move { left.is_empty().then_some(()) }
            },
        )
        .await;
    }

    /// SIGTERM, as `docker stop` does; waits for a clean exit.
    pub async fn stop(mut self) {
        chromium::signal(self.child.id(), "TERM");
        let child = &mut self.child;
        let status = eventually("the gateway exits", Duration::from_secs(30), || {
            let done = child.try_wait().unwrap();
            async move { done }
        })
        .await;
        assert!(status.success(), "the gateway exited with {status}");
    }
}

impl Drop for GatewayProcess {
    /// A failed test shows the gateway's log: it lives in a folder that is about to be deleted.
    fn drop(&mut self) {
        if std::thread::panicking() {
            let log = std::fs::read_to_string(&self.log).unwrap_or_default();
            let tail: Vec<&str> = log.lines().rev().take(80).collect();
            eprintln!("--- last lines of {} ---", self.log.display());
            for line in tail.into_iter().rev() {
                eprintln!("{line}");
            }
        }
        if let Ok(None) = self.child.try_wait() {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

/// The settings every gateway process of a test shares: its folders under `dir`, the simulator,
/// and a settle time after which a SIGKILL no longer loses a login.
pub fn base_env(dir: &Path, sim: &wa_sim::Simulator) -> Vec<(&'static str, String)> {
    vec![
        ("SESSION_DIR", dir.join("sessions").display().to_string()),
        ("DATA_DIR", dir.join("data").display().to_string()),
        ("WA_WEB_URL", sim.base_url()),
        ("SESSION_SETTLE_SECS", "6".into()),
        ("QR_MAX_RETRIES", "50".into()),
    ]
}

fn next_log_path(dir: &Path) -> PathBuf {
    (1..)
        .map(|n| dir.join(format!("gateway-{n}.log")))
        .find(|p| !p.exists())
        .unwrap()
}

/// The `addr` of the "wa-gateway listening" JSON log line.
fn listening_addr(log: &str) -> Option<String> {
    log.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["fields"]["message"] == "wa-gateway listening")
        .and_then(|v| v["fields"]["addr"].as_str().map(str::to_owned))
}
