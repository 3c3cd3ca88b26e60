//! Third-party proof: the unmodified npm `whatsapp-web.js` (1.34.x, pinned in
//! `tests/wwebjs/package.json`) links to wa-sim by QR, reaches `ready`, sends a text the simulator
//! records and receives an inbound one as a `message` event. The only change is its `WhatsWebURL`
//! constant, rewritten in a scratch copy made here; the installed package is never touched.
//!
//! Needs `node` and `npm ci` in `tests/wwebjs` (`.ci/install-deps.sh test` does both).

mod common;

use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::time::Duration;

use serde_json::Value;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdin, ChildStdout};
use wa_sim::{InboundMessage, SimConfig, SimError, Simulator};

const ME: &str = "923001234567";
const FRIEND: &str = "923339998877";
/// A cold Chromium plus puppeteer on a loaded 2-core machine is slower than our own driver.
const STEP: Duration = Duration::from_secs(90);
const ORIGINAL_URL: &str = "exports.WhatsWebURL = 'https://web.whatsapp.com/';";

/// A lifeline like the browser guard's in `common`: a reader in the background holds the pipe from
/// the test and, when the test closes it or dies, kills the whole process group (shell and node).
/// Node runs in the foreground, so the shell (and the stdout we read) ends when node does. Chromium
/// itself runs on puppeteer's pipe, so it exits with node.
const GUARD_SH: &str = r#"exec 3<&0
{ while read -r _ <&3; do :; done; kill -KILL 0; } </dev/null >/dev/null 2>&1 &
exec 3<&-
"$@" </dev/null"#;

fn wwebjs_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/wwebjs")
}

/// Copies the installed package into `scratch/node_modules` (every other package is linked, not
/// copied) and points its `WhatsWebURL` at the simulator: the one change.
fn scratch_copy(scratch: &Path, url: &str) -> PathBuf {
    let installed = wwebjs_dir().join("node_modules");
    assert!(
        installed.join("whatsapp-web.js/package.json").exists(),
        "whatsapp-web.js is not installed: run `.ci/install-deps.sh test` \
         (or `PUPPETEER_SKIP_DOWNLOAD=1 npm ci` in sim/tests/wwebjs)"
    );
    let modules = scratch.join("node_modules");
    std::fs::create_dir_all(&modules).unwrap();
    for entry in std::fs::read_dir(&installed).unwrap() {
        let name = entry.unwrap().file_name();
        if name != "whatsapp-web.js" {
            std::os::unix::fs::symlink(installed.join(&name), modules.join(&name)).unwrap();
        }
    }
    let package = modules.join("whatsapp-web.js");
    common::copy_dir(&installed.join("whatsapp-web.js"), &package);
    let constants = package.join("src/util/Constants.js");
    let text = std::fs::read_to_string(&constants).unwrap();
    assert_eq!(
        text.matches(ORIGINAL_URL).count(),
        1,
        "WhatsWebURL moved in {constants:?}"
    );
    let patched = text.replace(ORIGINAL_URL, &format!("exports.WhatsWebURL = '{url}';"));
    std::fs::write(&constants, patched).unwrap();
    package
}

/// The bot under its guard, and the JSON lines it prints.
struct Bot {
    /// Dropped first (fields drop in order): the guard sees EOF and kills the group.
    lifeline: Option<ChildStdin>,
    guard: Child,
    lines: Lines<BufReader<ChildStdout>>,
    seen: Vec<Value>,
}

impl Bot {
    fn start(scratch: &Path, package: &Path) -> Bot {
        let mut guard = tokio::process::Command::new("/bin/sh")
            .args(["-c", GUARD_SH, "wa-sim-wwebjs-guard", "node"])
            .arg(wwebjs_dir().join("bot.js"))
            .current_dir(scratch)
            .env("WWEBJS_DIR", package)
            .env("CHROMIUM", common::chromium())
            .env("PROFILE_DIR", scratch.join("profile"))
            .env("SEND_TO", FRIEND)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .process_group(0)
            .spawn()
            .expect("run node (is Node.js installed?)");
        let lifeline = guard.stdin.take();
        let lines = BufReader::new(guard.stdout.take().unwrap()).lines();
        Bot {
            lifeline,
            guard,
            lines,
            seen: Vec::new(),
        }
    }

    /// The next event the bot prints, within [`STEP`]; panics on an `error` event or silence.
    async fn next(&mut self, waiting_for: &str) -> Value {
        let line = tokio::time::timeout(STEP, self.lines.next_line()).await;
        let line = match line {
            Ok(Ok(Some(line))) => line,
            other => panic!(
                "bot: no event while waiting for {waiting_for} ({other:?}); seen {:?}",
                self.seen
            ),
        };
        let event: Value = serde_json::from_str(&line).unwrap_or(Value::String(line));
        assert_ne!(
            event["event"], "error",
            "bot failed while waiting for {waiting_for}: {event}"
        );
        self.seen.push(event.clone());
        event
    }

    /// Skips events until one named `name`.
    async fn until(&mut self, name: &str) -> Value {
        loop {
            let event = self.next(name).await;
            if event["event"] == name {
                return event;
            }
        }
    }

    /// Waits for the bot to exit by itself (its stdout ends) and returns whether it succeeded with
    /// nothing more to say; then closes the lifeline.
    async fn finish(mut self) -> bool {
        let mut rest = Vec::new();
        while let Ok(Ok(Some(line))) = tokio::time::timeout(STEP, self.lines.next_line()).await {
            rest.push(line);
        }
        let status = tokio::time::timeout(STEP, self.guard.wait()).await;
        self.lifeline = None;
        let ok = matches!(&status, Ok(Ok(s)) if s.success());
        ok && rest.is_empty() || panic!("bot exit {status:?}, last output {rest:?}")
    }
}

/// Scans the QRs the bot prints (as a user scans the one in their terminal) until one links.
async fn link_by_qr(sim: &Simulator, bot: &mut Bot) {
    loop {
        let qr = bot.until("qr").await;
        let qr = qr["qr"].as_str().expect("qr string");
        match sim.scan(qr, ME, "wwebjs bot").await {
            Ok(result) => return assert_eq!(result.number, ME),
            // The QR rotated between the print and the scan: take the next one.
            Err(SimError::StaleQr | SimError::UnknownQr) => continue,
            Err(other) => panic!("scan of the bot's QR {qr:?}: {other}"),
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn whatsapp_web_js_links_sends_and_receives() {
    let sim = Simulator::start(SimConfig::fast())
        .await
        .expect("start wa-sim");
    let scratch = tempfile::tempdir().unwrap();
    let package = scratch_copy(scratch.path(), &sim.base_url());
    let mut bot = Bot::start(scratch.path(), &package);

    link_by_qr(&sim, &mut bot).await;
    let ready = bot.until("ready").await;
    assert_eq!(ready["wid"], format!("{ME}@c.us"), "ready: {ready}");

    let sent = bot.until("sent").await;
    assert_eq!(sent["body"], "hello from whatsapp-web.js");
    let recorded = sim.sent_messages(ME);
    let recorded = recorded
        .iter()
        .find(|m| m.body == "hello from whatsapp-web.js")
        .unwrap_or_else(|| panic!("the simulator recorded no such send: {recorded:?}"));
    assert_eq!(recorded.to, format!("{FRIEND}@c.us"));
    assert_eq!(Some(recorded.id.as_str()), sent["id"].as_str());

    sim.send_inbound(InboundMessage::text(ME, FRIEND, "hello bot"))
        .await
        .expect("inbound");
    let message = bot.until("message").await;
    assert_eq!(message["body"], "hello bot", "{message}");
    assert_eq!(message["from"], format!("{FRIEND}@c.us"), "{message}");

    eprintln!("whatsapp-web.js events: {:?}", bot.seen);
    assert!(
        bot.finish().await,
        "the bot exits by itself after the message"
    );
    // The browser the bot launched exits a moment after the bot; a leak stays past the deadline.
    let left = common::processes_gone(scratch.path()).await;
    assert!(
        left.is_empty(),
        "processes left on the scratch dir: {left:?}"
    );
    sim.shutdown().await;
}
