//! A browser never outlives its gateway, and never shares a profile: a SIGKILLed gateway's
//! browsers die with it (SQLite and MongoDB stores), a stray Chromium found on a profile at start
//! is ended before the restore, and the guard that makes this so ends its program's whole process
//! group when its lifeline closes.

mod common;

use std::io::{BufRead, BufReader};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::process::{base_env, GatewayProcess};
use common::{chromium, eventually, mongo};
use reqwest::StatusCode;
use rustix::process::Signal;
use tempfile::TempDir;
use wa_gateway::procstats::{self, Snapshot};
use wa_gateway::whatsapp::guard;
use wa_sim::{SimConfig, Simulator};

const ALICE: &str = "923001234567";
const CAROL: &str = "14155550123";
/// What issue 12 asks: within 5 s of the gateway's death no process of its browsers is alive.
const DIE_WITH_GATEWAY: Duration = Duration::from_secs(5);

/// A process as it was when recorded: a pid and its start time, so a reused pid is not mistaken
/// for the same process.
#[derive(Debug, Clone, Copy)]
struct Recorded {
    pid: u32,
    start_ticks: u64,
}

impl Recorded {
    fn alive(&self) -> bool {
        procstats::stat(self.pid)
            .is_some_and(|s| s.state != 'Z' && s.start_ticks == self.start_ticks)
    }
}

/// The connection's browser, every descendant of it, and its guard.
async fn browser_processes(gw: &GatewayProcess, id: &str) -> Vec<Recorded> {
    let stats = gw.api.get(&format!("/wa/connections/{id}/stats")).await;
    let pid = stats.body["pid"].as_u64().expect("a running browser") as u32;
    let snap = Snapshot::take();
    let guard = procstats::stat(pid).unwrap().ppid;
    assert_ne!(
        guard,
        gw.pid(),
        "the browser runs under a guard, not the gateway"
    );
    let mut pids = snap.tree(pid);
    pids.push(guard);
    pids.into_iter()
        .filter_map(|pid| {
            let start_ticks = procstats::stat(pid)?.start_ticks;
            Some(Recorded { pid, start_ticks })
        })
        .collect()
}

async fn send_ok(gw: &GatewayProcess, id: &str, text: &str) {
    let r = gw.api.send(id, CAROL, text).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

async fn browsers_die_with_a_sigkilled_gateway_and_the_restart_needs_no_qr(
    extra: Vec<(&'static str, String)>,
) {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let dir = TempDir::new().unwrap();
    let mut env = base_env(dir.path(), &sim);
    env.extend(extra);

    let first = GatewayProcess::start(dir.path(), &env).await;
    let alice = first.api.link(&sim, ALICE, "Alice").await;
    send_ok(&first, &alice, "before the crash").await;
    first.api.wait_archived(&alice).await;
    let recorded = browser_processes(&first, &alice).await;
    assert!(
        recorded.len() >= 3,
        "a browser, its helpers and its guard: {recorded:?}"
    );

    first.kill9();
    let folder = dir.path().to_owned();
    eventually(
        "no process of the killed gateway's browsers is alive",
        DIE_WITH_GATEWAY,
        || {
            let alive: Vec<_> = recorded.iter().filter(|p| p.alive()).collect();
            let on_profiles = chromium::processes_using(&folder);
            async move { (alive.is_empty() && on_profiles.is_empty()).then_some(()) }
        },
    )
    .await;
    drop(first);

    let scans = sim.counters().scans;
    let second = GatewayProcess::start(dir.path(), &env).await;
    second.api.wait_status(&alice, "connected").await;
    send_ok(&second, &alice, "after the restart").await;
    assert_eq!(
        sim.counters().scans,
        scans,
        "nobody scanned a QR code again"
    );
    let bodies: Vec<_> = sim
        .sent_messages(ALICE)
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert_eq!(bodies, ["before the crash", "after the restart"]);
    second.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkilled_gateways_browsers_die_with_it_sqlite() {
    browsers_die_with_a_sigkilled_gateway_and_the_restart_needs_no_qr(Vec::new()).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_sigkilled_gateways_browsers_die_with_it_mongo() {
    let Some(uri) = common::skip::mongo_uri() else {
        return;
    };
    let db = mongo::database_name();
    let env = vec![("MONGO_URI", uri.clone()), ("MONGO_DB", db.clone())];
    browsers_die_with_a_sigkilled_gateway_and_the_restart_needs_no_qr(env).await;
    mongo::drop_database(&uri, &db).await;
}

/// A Chromium the test started by hand on a profile, in a process group of its own; killed with
/// its group if the test fails first.
struct Stray(Child);

impl Stray {
    /// Started from `cwd` with a relative `--user-data-dir`, as an older gateway run with the
    /// default `SESSION_DIR=./sessions` would have left it.
    fn start(cwd: &Path, profile: &str) -> Self {
        let child = Command::new(chromium_binary())
            .args([
                "--headless=new",
                "--no-sandbox",
                "--disable-gpu",
                "--no-first-run",
            ])
            .arg(format!("--user-data-dir={profile}"))
            .arg("about:blank")
            .current_dir(cwd)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .expect("Chromium starts");
        Self(child)
    }
}

impl Drop for Stray {
    fn drop(&mut self) {
        guard::signal(self.0.id(), Signal::KILL, true);
        let _ = self.0.wait();
    }
}

fn chromium_binary() -> PathBuf {
    ["/usr/lib/chromium/chromium", "/usr/bin/chromium"]
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("Chromium is installed")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stray_browser_on_a_profile_is_ended_before_the_restore() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let dir = TempDir::new().unwrap();
    let env = base_env(dir.path(), &sim);
    let first = GatewayProcess::start(dir.path(), &env).await;
    let alice = first.api.link(&sim, ALICE, "Alice").await;
    first.api.wait_archived(&alice).await;
    first.stop().await;

    let profile = dir.path().join("sessions").join(&alice);
    let mut stray = Stray::start(dir.path(), &format!("sessions/{alice}"));
    let lock = profile.join("SingletonLock");
    eventually(
        "the stray holds the profile",
        Duration::from_secs(30),
        || {
            let held = lock.symlink_metadata().is_ok();
            async move { held.then_some(()) }
        },
    )
    .await;

    let scans = sim.counters().scans;
    let second = GatewayProcess::start(dir.path(), &env).await;
    let ended = stray.0.try_wait().unwrap();
    assert!(
        ended.is_some(),
        "the stray was ended before the gateway listened"
    );
    second.api.wait_status(&alice, "connected").await;
    send_ok(&second, &alice, "after the stray").await;
    assert_eq!(
        sim.counters().scans,
        scans,
        "nobody scanned a QR code again"
    );

    // Never two browsers on one profile: whatever runs on it is the gateway's (guard, browser
    // and its helpers all descend from the gateway).
    let on_profile = procstats::profile_users(&profile);
    assert!(!on_profile.is_empty());
    for user in &on_profile {
        assert!(
            descends_from(user.pid, second.pid()),
            "pid {} runs on the profile but is not the gateway's: {on_profile:?}",
            user.pid
        );
    }
    second.stop().await;
}

/// Whether `ancestor` is on `pid`'s parent chain; a process that exited meanwhile counts as ours.
fn descends_from(pid: u32, ancestor: u32) -> bool {
    let mut at = pid;
    while at > 1 {
        match procstats::stat(at) {
            Some(s) if s.ppid == ancestor => return true,
            Some(s) => at = s.ppid,
            None => return true,
        }
    }
    false
}

/// `wa-gateway __guard sh -c ...` with a lifeline; returns the guard and the program's pid.
fn guarded_shell(script: &str) -> (Child, u32) {
    let bin = Path::new(env!("CARGO_BIN_EXE_wa-gateway"));
    let mut child = guard::command(bin, "sh")
        .args(["-c", script])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        let mut first = String::new();
        let _ = BufReader::new(stderr).read_line(&mut first);
        let _ = tx.send(first);
    });
    let first = rx.recv_timeout(Duration::from_secs(10)).unwrap_or_default();
    let Some(pid) = guard::announced_pid(&first) else {
        let _ = child.kill();
        panic!("the guard did not announce its program: {first:?}");
    };
    (child, pid)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guard_ends_its_programs_whole_group_when_the_lifeline_closes() {
    // The shell ignores SIGTERM, so only the SIGKILL of the group after the grace ends it.
    let (mut child, pid) = guarded_shell("trap '' TERM; sleep 60 & sleep 60; wait");
    let tree = eventually(
        "the program and its children run",
        Duration::from_secs(10),
        || {
            let tree = Snapshot::take().tree(pid);
            async move { (tree.len() >= 3).then_some(tree) }
        },
    )
    .await;
    drop(child.stdin.take());
    let status = eventually("the guard exits", guard::GRACE * 3, || {
        let done = child.try_wait().unwrap();
        async move { done }
    })
    .await;
    assert!(!status.success());
    let alive: Vec<_> = tree
        .iter()
        .filter(|p| procstats::stat(**p).is_some_and(|s| s.state != 'Z'))
        .collect();
    assert!(alive.is_empty(), "left behind: {alive:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_guard_passes_on_its_programs_exit_code() {
    let (mut child, _) = guarded_shell("exit 7");
    let status = eventually("the guard exits", Duration::from_secs(10), || {
        let done = child.try_wait().unwrap();
        async move { done }
    })
    .await;
    assert_eq!(status.code(), Some(7));
}
