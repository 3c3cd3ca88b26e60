//! The gateway as its own process (the release binary's twin), for what only a process can show:
//! a SIGKILL, a restart on the same store. It runs under a guard (the binary's hidden `__guard`
//! mode, as the gateway runs its browsers), so a test that is itself killed leaves no gateway,
//! and so no browser, behind.

use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::time::Duration;

use wa_gateway::whatsapp::guard;

use super::{chromium, eventually, Api};

const START_TIMEOUT: Duration = Duration::from_secs(60);
/// The guard's grace after the lifeline closes, and a margin for a loaded machine.
const GONE_TIMEOUT: Duration = Duration::from_secs(10);
const BINARY: &str = env!("CARGO_BIN_EXE_wa-gateway");

pub struct GatewayProcess {
    pub api: Api,
    /// The guard; the gateway is its child.
    guard: Child,
    /// Closing it makes the guard end the gateway.
    lifeline: Option<ChildStdin>,
    pid: u32,
    log: PathBuf,
}

impl GatewayProcess {
    /// Starts `wa-gateway` in `dir` (so no stray `.env` is read) with `env`, logging JSON to
    /// `dir/gateway-<n>.log`, and waits until it listens.
    pub async fn start(dir: &Path, env: &[(&str, String)]) -> Self {
        let log = next_log_path(dir);
        let out = std::fs::File::create(&log).unwrap();
        let mut guard = guard::command(Path::new(BINARY), BINARY)
            .current_dir(dir)
            .env("SEND_MIN_INTERVAL_MS", "0")
            .env("SPARE_BROWSERS", "0")
            .envs(env.iter().map(|(k, v)| (*k, v.as_str())))
            .env("PORT", "0")
            .env("LOG_FORMAT", "json")
            .stdout(Stdio::from(out.try_clone().unwrap()))
            .stderr(Stdio::from(out))
            .spawn()
            .expect("the gateway binary starts");
        let lifeline = guard.stdin.take();
        // Built first, so that a start that times out still ends what it started (`Drop`).
        let mut gateway = Self {
            api: Api::new(String::new()),
            guard,
            lifeline,
            pid: 0,
            log,
        };
        let log = gateway.log.clone();
        let (pid, addr) = eventually("the gateway listens", START_TIMEOUT, || {
            let text = std::fs::read_to_string(&log).unwrap_or_default();
            async move { Some((gateway_pid(&text)?, listening_addr(&text)?)) }
        })
        .await;
        gateway.pid = pid;
        gateway.api = Api::new(format!("http://{addr}"));
        gateway
    }

    /// The gateway's own pid (not its guard's).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// SIGKILLs the gateway itself, as an OOM killer would; returns at once.
    pub fn kill9(&self) {
        chromium::kill(self.pid);
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

    /// Kills the gateway with no chance to clean up, then waits until nothing runs on `dir`'s
    /// profiles any more: its browsers must die with it.
    pub async fn sigkill(mut self, dir: &Path) {
        self.kill9();
        let guard = &mut self.guard;
        eventually("the gateway's guard exits", GONE_TIMEOUT, || {
            let done = guard.try_wait().unwrap();
            async move { done }
        })
        .await;
        let dir = dir.to_owned();
        eventually(
            "the killed gateway's browsers are gone",
            GONE_TIMEOUT,
            || {
                let left = chromium::processes_using(&dir);
                async move { left.is_empty().then_some(()) }
            },
        )
        .await;
    }

    /// SIGTERM, as `docker stop` does; waits for a clean exit (the guard passes its status on).
    pub async fn stop(mut self) {
        chromium::signal(self.pid, "TERM");
        let guard = &mut self.guard;
        let status = eventually("the gateway exits", Duration::from_secs(30), || {
            let done = guard.try_wait().unwrap();
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
        if let Ok(None) = self.guard.try_wait() {
            if self.pid == 0 {
                // No announcement: this is no guard (a stale binary), so it is the gateway.
                let _ = self.guard.kill();
            } else {
                chromium::kill(self.pid);
            }
            self.lifeline = None;
            let _ = self.guard.wait();
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

/// The gateway's pid, from its guard's first line.
fn gateway_pid(log: &str) -> Option<u32> {
    log.lines().find_map(guard::announced_pid)
}

/// The `addr` of the "wa-gateway listening" JSON log line.
fn listening_addr(log: &str) -> Option<String> {
    log.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["fields"]["message"] == "wa-gateway listening")
        .and_then(|v| v["fields"]["addr"].as_str().map(str::to_owned))
}
