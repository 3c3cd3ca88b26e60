//! The release gateway as a child process on a temporary SESSION_DIR and DATA_DIR; stopped with
//! SIGTERM, and only ever force-killed together with the browsers running on its own folder. It
//! runs under a guard (the binary's own hidden `__guard` mode, as it runs its browsers), so a
//! bench that is killed, even with SIGKILL, takes the gateway and so every browser with it.

use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Stdio};
use std::time::{Duration, Instant};

use crate::client::Api;
use wa_gateway::procstats::processes_using;
use wa_gateway::whatsapp::guard;

const START_TIMEOUT: Duration = Duration::from_secs(60);
const STOP_TIMEOUT: Duration = Duration::from_secs(90);

pub struct Gateway {
    pub api: Api,
    /// The guard, whose child is the gateway.
    child: Child,
    /// Closing it makes the guard end the gateway.
    lifeline: Option<ChildStdin>,
    /// The gateway's own pid.
    pid: u32,
    dir: PathBuf,
    env: Vec<(String, String)>,
    binary: PathBuf,
}

impl Gateway {
    /// Starts `binary` with its folders under `dir` and `env` on top; waits until it listens.
    pub async fn start(binary: &Path, dir: &Path, env: Vec<(String, String)>) -> Gateway {
        let (mut child, lifeline) = spawn(binary, dir, &env);
        let (pid, api) = wait_listening(dir, &mut child).await;
        Gateway {
            api,
            child,
            lifeline,
            pid,
            dir: dir.to_owned(),
            env,
            binary: binary.to_owned(),
        }
    }

    /// The gateway's pid (its browsers' guards are its children).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// SIGTERM and wait for the exit (the gateway archives logins and closes its browsers).
    pub async fn stop(&mut self) -> Duration {
        let started = Instant::now();
        signal(self.pid, "TERM");
        while started.elapsed() < STOP_TIMEOUT {
            if let Ok(Some(_)) = self.child.try_wait() {
                return started.elapsed();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        eprintln!("the gateway did not stop in {STOP_TIMEOUT:?}; killing it");
        self.kill();
        started.elapsed()
    }

    /// Starts the same binary again on the same folders.
    pub async fn restart(&mut self) {
        (self.child, self.lifeline) = spawn(&self.binary, &self.dir, &self.env);
        (self.pid, self.api) = wait_listening(&self.dir, &mut self.child).await;
    }

    /// SIGKILL to the gateway; its guard then exits, and the browsers' guards end the browsers.
    fn kill(&mut self) {
        signal(self.pid, "KILL");
        self.lifeline = None;
        let _ = self.child.wait();
        kill_browsers_under(&self.dir);
    }

    /// Waits (briefly) until no process runs on this gateway's folders; kills what is left.
    pub async fn ensure_no_browser_left(&self) -> usize {
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if processes_using(&self.dir).is_empty() {
                return 0;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let left = processes_using(&self.dir).len();
        kill_browsers_under(&self.dir);
        left
    }
}

impl Drop for Gateway {
    fn drop(&mut self) {
        if let Ok(None) = self.child.try_wait() {
            self.kill();
        } else {
            kill_browsers_under(&self.dir);
        }
    }
}

fn spawn(binary: &Path, dir: &Path, env: &[(String, String)]) -> (Child, Option<ChildStdin>) {
    let log = next_log(dir);
    let out = std::fs::File::create(&log).expect("log file");
    let mut child = guard::command(binary, binary)
        .current_dir(dir)
        .env("PORT", "0")
        .env("LOG_FORMAT", "json")
        .env("RUST_LOG", "info")
        .env("SESSION_DIR", dir.join("sessions"))
        .env("DATA_DIR", dir.join("data"))
        .envs(env.iter().map(|(k, v)| (k, v)))
        .stdout(Stdio::from(out.try_clone().expect("log file")))
        .stderr(Stdio::from(out))
        .spawn()
        .unwrap_or_else(|e| panic!("{} starts: {e}", binary.display()));
    let lifeline = child.stdin.take();
    (child, lifeline)
}

/// The gateway's pid (its guard's first line) and its address, from its log.
async fn wait_listening(dir: &Path, child: &mut Child) -> (u32, Api) {
    let log = current_log(dir);
    let deadline = Instant::now() + START_TIMEOUT;
    while Instant::now() < deadline {
        let text = std::fs::read_to_string(&log).unwrap_or_default();
        let pid = text.lines().find_map(guard::announced_pid);
        if let (Some(pid), Some(addr)) = (pid, listening_addr(&text)) {
            return (pid, Api::new(format!("http://{addr}")));
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    // Not a guard after all (a binary without `__guard`) or a gateway that never listened.
    let _ = child.kill();
    panic!(
        "gateway pid {} did not listen within {START_TIMEOUT:?}; see {}",
        child.id(),
        log.display()
    );
}

fn next_log(dir: &Path) -> PathBuf {
    (1..)
        .map(|n| dir.join(format!("gateway-{n}.log")))
        .find(|p| !p.exists())
        .expect("a free name")
}

fn current_log(dir: &Path) -> PathBuf {
    let mut last = dir.join("gateway-1.log");
    for n in 1.. {
        let p = dir.join(format!("gateway-{n}.log"));
        if !p.exists() {
            break;
        }
        last = p;
    }
    last
}

fn listening_addr(log: &str) -> Option<String> {
    log.lines()
        .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
        .find(|v| v["fields"]["message"] == "wa-gateway listening")
        .and_then(|v| v["fields"]["addr"].as_str().map(str::to_owned))
}

fn kill_browsers_under(dir: &Path) {
    for pid in processes_using(dir) {
        signal(pid, "KILL");
    }
}

fn signal(pid: u32, name: &str) {
    let _ = std::process::Command::new("kill")
        .args([format!("-{name}"), pid.to_string()])
        .status();
}
