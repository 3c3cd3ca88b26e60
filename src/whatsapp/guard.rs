//! The browser guard: a tiny process between the gateway and each Chromium, so that no browser
//! outlives the gateway, however the gateway dies (SIGKILL and OOM kills included).
//!
//! Why a guard process. Linux tells a child that its parent died only through
//! `PR_SET_PDEATHSIG`, which must be set between fork and exec (`pre_exec`, i.e. `unsafe`, which
//! the workspace forbids) and fires when the spawning *thread* exits, and tokio retires idle
//! blocking threads, so a browser would be killed at random. `--remote-debugging-pipe` ties
//! Chromium to fds 3/4, which needs the same `unsafe` fd plumbing and a CDP transport that
//! chromiumoxide lacks. A pipe does what we need without either: the gateway holds the only write
//! end (std creates pipes close-on-exec, so no other child inherits it) and the guard reads the
//! other end as its stdin. The kernel closes the write end whenever the gateway exits, for any
//! reason; the guard reads EOF, sends the program SIGTERM (Chromium then shuts down cleanly and
//! flushes its profile), and SIGKILLs the program's whole process group after [`GRACE`].
//!
//! The guard is the `wa-gateway` binary itself, run as `wa-gateway __guard PROGRAM [ARGS...]`
//! (hidden; see [`main_if_requested`]), so a deployment has nothing extra to install. It starts
//! PROGRAM in a process group of its own (Chromium's zygotes and renderers join it), announces
//! PROGRAM's pid as the first line on stderr, passes stdout and stderr through, exits with
//! PROGRAM's status, and never leaves the group behind. The guard itself also runs in its own
//! process group (see [`command`]), so a ctrl-c meant for the gateway reaches neither guard nor
//! browser: the gateway closes its browsers itself.

use std::ffi::{OsStr, OsString};
use std::io::{self, Write};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitCode, ExitStatus, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc;
use std::time::Duration;

use rustix::process::{kill_process, kill_process_group, Pid, Signal};

/// The hidden first argument that turns `wa-gateway` into a guard.
pub const SUBCOMMAND: &str = "__guard";
/// How long PROGRAM gets to exit after SIGTERM before its group is SIGKILLed.
pub const GRACE: Duration = Duration::from_secs(2);
/// The first line a guard writes on stderr, followed by PROGRAM's pid.
const ANNOUNCEMENT: &str = "wa-gateway guard: started pid ";
const BINARY_NAME: &str = "wa-gateway";

/// Set when this process is the `wa-gateway` binary, which can therefore be its own guard.
static HOSTS_GUARD: AtomicBool = AtomicBool::new(false);

/// Called first thing by `wa-gateway`'s `main`: runs the guard and returns its exit code when the
/// first argument is [`SUBCOMMAND`]; otherwise remembers that this binary can serve as the guard.
pub fn main_if_requested() -> Option<ExitCode> {
    let mut args = std::env::args_os().skip(1);
    if args.next().as_deref() != Some(OsStr::new(SUBCOMMAND)) {
        HOSTS_GUARD.store(true, Ordering::Relaxed);
        return None;
    }
    Some(run(args))
}

/// The program to run as a guard: this very binary when it is `wa-gateway` (through
/// `/proc/self/exe`, which still works after an upgrade replaced the file), otherwise a
/// `wa-gateway` beside the running program or one folder up (cargo's `target/<profile>/` seen
/// from a test binary in `target/<profile>/deps/`).
pub fn executable() -> io::Result<PathBuf> {
    if HOSTS_GUARD.load(Ordering::Relaxed) {
        return Ok(PathBuf::from("/proc/self/exe"));
    }
    let exe = std::env::current_exe()?;
    exe.ancestors()
        .skip(1)
        .take(2)
        .map(|dir| dir.join(BINARY_NAME))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            io::Error::new(
                io::ErrorKind::NotFound,
                format!(
                    "no {BINARY_NAME} binary to guard the browser with beside {}",
                    exe.display()
                ),
            )
        })
}

/// `guard __guard program`, ready for more arguments, environment and stdout/stderr. Its stdin
/// is the lifeline: hold the `ChildStdin` as long as the program may run, drop it to end it.
pub fn command(guard: &Path, program: impl AsRef<OsStr>) -> Command {
    let mut cmd = Command::new(guard);
    cmd.arg0(BINARY_NAME)
        .arg(SUBCOMMAND)
        .arg(program)
        .stdin(Stdio::piped())
        .process_group(0);
    cmd
}

/// The program's pid, if `line` is a guard's announcement.
pub fn announced_pid(line: &str) -> Option<u32> {
    line.trim().strip_prefix(ANNOUNCEMENT)?.parse().ok()
}

/// Sends `signal` to `pid`, or to the process group it leads; a process already gone is fine.
pub fn signal(pid: u32, signal: Signal, group: bool) {
    // Pid 1 would mean "every process we may signal" to kill(2): never send that.
    let Some(pid) = i32::try_from(pid).ok().filter(|p| *p > 1) else {
        return;
    };
    let Some(pid) = Pid::from_raw(pid) else {
        return;
    };
    let _ = if group {
        kill_process_group(pid, signal)
    } else {
        kill_process(pid, signal)
    };
}

/// The guard's own `main`: `args` are PROGRAM and its arguments.
pub fn run(mut args: impl Iterator<Item = OsString>) -> ExitCode {
    let Some(program) = args.next() else {
        say(&format!(
            "usage: {BINARY_NAME} {SUBCOMMAND} PROGRAM [ARGS...]"
        ));
        return ExitCode::from(2);
    };
    let spawned = Command::new(&program)
        .args(args)
        .stdin(Stdio::null())
        .process_group(0)
        .spawn();
    let child = match spawned {
        Ok(child) => child,
        Err(e) => {
            say(&format!(
                "{BINARY_NAME} guard: cannot start {program:?}: {e}"
            ));
            return ExitCode::from(127);
        }
    };
    let pid = child.id();
    say(&format!("{ANNOUNCEMENT}{pid}"));
    let status = supervise(pid, &watch(child));
    ExitCode::from(status.map_or(1, exit_code))
}

/// What a guard waits for: whichever comes first.
enum Event {
    /// The lifeline reached EOF: the parent closed it or died.
    ParentGone,
    /// PROGRAM exited (and is reaped).
    Exited(io::Result<ExitStatus>),
}

/// One thread drains the lifeline, one waits for PROGRAM; both report on one channel.
fn watch(mut child: Child) -> mpsc::Receiver<Event> {
    let (tx, rx) = mpsc::channel();
    let lifeline = tx.clone();
    std::thread::spawn(move || {
        let _ = io::copy(&mut io::stdin().lock(), &mut io::sink());
        let _ = lifeline.send(Event::ParentGone);
    });
    std::thread::spawn(move || {
        let _ = tx.send(Event::Exited(child.wait()));
    });
    rx
}

/// Ends PROGRAM when the parent goes, and PROGRAM's group whenever PROGRAM ends.
fn supervise(pid: u32, events: &mpsc::Receiver<Event>) -> Option<ExitStatus> {
    let mut event = events.recv().ok()?;
    if let Event::ParentGone = event {
        signal(pid, Signal::TERM, false);
        event = match events.recv_timeout(GRACE) {
            Ok(event) => event,
            Err(_) => {
                signal(pid, Signal::KILL, true);
                events.recv().ok()?
            }
        };
    }
    // Chromium's renderers may outlive a crashed browser process for a moment: not ours to leave.
    signal(pid, Signal::KILL, true);
    match event {
        Event::Exited(Ok(status)) => Some(status),
        _ => None,
    }
}

/// A shell's convention: the exit code, or 128 + the signal that ended the process.
fn exit_code(status: ExitStatus) -> u8 {
    let code = status
        .code()
        .or_else(|| status.signal().map(|s| 128 + s))
        .unwrap_or(1);
    u8::try_from(code).unwrap_or(1)
}

/// A line on stderr; a closed stderr is no reason to stop guarding.
fn say(line: &str) {
    let _ = writeln!(io::stderr(), "{line}");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_announcement_names_the_pid() {
        assert_eq!(announced_pid(&format!("{ANNOUNCEMENT}4242\n")), Some(4242));
        assert_eq!(announced_pid("[4242:1:ERROR] something else"), None);
    }

    #[test]
    fn exit_codes_follow_the_shell_convention() {
        assert_eq!(exit_code(ExitStatus::from_raw(3 << 8)), 3);
        assert_eq!(exit_code(ExitStatus::from_raw(9)), 137);
    }

    #[test]
    fn the_guard_command_names_the_program_after_the_subcommand() {
        let cmd = command(Path::new("/bin/wa-gateway"), "/usr/bin/chromium");
        let args: Vec<_> = cmd.get_args().collect();
        assert_eq!(args, [SUBCOMMAND, "/usr/bin/chromium"]);
    }
}
