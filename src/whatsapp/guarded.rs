//! The gateway's side of a [guard](super::guard): a program started under a guard, the lifeline
//! held, the program's pid known, and its stderr handed to the caller line by line.

use std::io;
use std::path::Path;
use std::process::{ExitStatus, Stdio};
use std::time::Duration;

use rustix::process::Signal;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStderr, ChildStdin};

use super::guard;

/// A program's stderr after the guard's announcement.
pub type Stderr = Lines<BufReader<ChildStderr>>;

/// A program running under a guard. Dropping it closes the lifeline, so the guard ends the
/// program even when nobody calls [`Guarded::end`].
pub struct Guarded {
    guard: Child,
    /// Written never; closed (dropped) to end the program.
    lifeline: Option<ChildStdin>,
    pid: u32,
}

impl Guarded {
    /// Starts `program args` under a guard, its stdout discarded and its stderr returned. The
    /// guard has `limit` to announce the program.
    pub async fn spawn(
        program: &Path,
        args: &[String],
        limit: Duration,
    ) -> io::Result<(Self, Stderr)> {
        let mut cmd = tokio::process::Command::from(guard::command(&guard::executable()?, program));
        cmd.args(args).stdout(Stdio::null()).stderr(Stdio::piped());
        let mut child = cmd.spawn()?;
        let lifeline = child.stdin.take();
        let stderr = child
            .stderr
            .take()
            .ok_or_else(|| io::Error::other("no stderr"))?;
        let mut lines = BufReader::new(stderr).lines();
        let first = tokio::time::timeout(limit, lines.next_line()).await;
        let first = first
            .ok()
            .and_then(Result::ok)
            .flatten()
            .unwrap_or_default();
        let Some(pid) = guard::announced_pid(&first) else {
            // Not a guard after all (say, an older wa-gateway found beside a test binary).
            let _ = child.kill().await;
            return Err(io::Error::other(format!(
                "the browser guard did not start the browser: {first:?}"
            )));
        };
        let guarded = Self {
            guard: child,
            lifeline,
            pid,
        };
        Ok((guarded, lines))
    }

    /// The program's pid (not the guard's).
    pub fn pid(&self) -> u32 {
        self.pid
    }

    /// Waits up to `limit` for the program to exit by itself (its guard exits right after it).
    pub async fn wait(&mut self, limit: Duration) -> bool {
        self.exit_status(limit).await.is_some()
    }

    /// The program's exit status (the guard passes it on), if it exits within `limit`.
    pub async fn exit_status(&mut self, limit: Duration) -> Option<ExitStatus> {
        tokio::time::timeout(limit, self.guard.wait())
            .await
            .ok()?
            .ok()
    }

    /// Ends the program at once: SIGKILL to its process group, the lifeline closed, and the guard
    /// waited for. Should the guard itself hang, it is killed too.
    pub async fn end(&mut self, limit: Duration) {
        // A guard that has exited has reaped the program: its pid may already name another process.
        if let Ok(None) = self.guard.try_wait() {
            guard::signal(self.pid, Signal::KILL, true);
        }
        self.lifeline = None;
        if !self.wait(limit).await {
            tracing::warn!(pid = self.pid, "the browser guard did not exit; killing it");
            let _ = self.guard.kill().await;
        }
    }
}
