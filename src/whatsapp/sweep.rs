//! Nobody else runs on our profiles. At start, before any restore, every process still using a
//! profile under `SESSION_DIR` (left by a gateway that died before browsers had guards, by a
//! guard that was killed itself, or by a second gateway wrongly given the same folder) is ended
//! and waited for. Before each launch the same is done for that one profile, and only then are
//! its `Singleton*` locks removed: a lock goes only once its owner is known to be dead.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rustix::process::Signal;

use super::guard;
use crate::procstats::{self, ProfileUser};

/// Chromium closes cleanly on SIGTERM (writing its profile) in well under a second.
const TERM_GRACE: Duration = Duration::from_secs(5);
/// After SIGKILL only the kernel is left to wait for.
const KILL_WAIT: Duration = Duration::from_secs(5);
const POLL: Duration = Duration::from_millis(50);

/// Chromium's per-profile locks; all of them name the browser that holds the profile.
const LOCKS: [&str; 4] = [
    "SingletonLock",
    "SingletonCookie",
    "SingletonSocket",
    "DevToolsActivePort",
];

/// Some processes on our profiles would not end.
#[derive(Debug, thiserror::Error)]
#[error("still in use by pid {pids:?} (not ours to signal, or stuck)")]
pub struct InUse {
    pub pids: Vec<u32>,
}

/// At start: ends every process left on a profile under `session_dir` and waits until they are
/// gone. Profiles it could not free are refused later, at their launch.
pub async fn sweep_session_dir(session_dir: &Path) {
    match end_users(session_dir).await {
        Ok(0) => {}
        Ok(n) => tracing::info!(processes = n, "ended browsers left on our profiles"),
        Err(e) => tracing::error!(error = %e, "browsers left on our profiles"),
    }
}

/// Before a launch: ends whatever still runs on `profile`, then removes its stale locks.
pub async fn clear_profile(profile: &Path) -> Result<(), InUse> {
    end_users(profile).await?;
    for name in LOCKS {
        let path = profile.join(name);
        if path.symlink_metadata().is_ok() {
            let _ = std::fs::remove_file(&path);
        }
    }
    Ok(())
}

/// SIGTERM to the browsers (their helpers follow them), SIGKILL to whatever is left after the
/// grace; returns how many processes were found.
async fn end_users(dir: &Path) -> Result<usize, InUse> {
    let found = users(dir).await;
    if found.is_empty() {
        return Ok(0);
    }
    for user in &found {
        tracing::warn!(pid = user.pid, profile = %user.profile.display(), "ending a process on our profile");
        if user.is_root {
            guard::signal(user.pid, Signal::TERM, false);
        }
    }
    if gone_within(dir, TERM_GRACE).await {
        return Ok(found.len());
    }
    for user in users(dir).await {
        guard::signal(user.pid, Signal::KILL, false);
    }
    if gone_within(dir, KILL_WAIT).await {
        return Ok(found.len());
    }
    let pids = users(dir).await.iter().map(|u| u.pid).collect();
    Err(InUse { pids })
}

async fn gone_within(dir: &Path, limit: Duration) -> bool {
    let deadline = Instant::now() + limit;
    loop {
        if users(dir).await.is_empty() {
            return true;
        }
        if Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(POLL).await;
    }
}

/// One pass over `/proc`, off the async threads.
async fn users(dir: &Path) -> Vec<ProfileUser> {
    let dir: PathBuf = dir.to_owned();
    tokio::task::spawn_blocking(move || procstats::profile_users(&dir))
        .await
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use std::os::unix::process::CommandExt;

    use super::*;

    #[tokio::test]
    async fn a_process_on_the_profile_is_ended_before_its_lock_is_removed() {
        let dir = tempfile::tempdir().unwrap();
        let profile = dir.path().canonicalize().unwrap().join("conn-1");
        std::fs::create_dir_all(&profile).unwrap();
        std::os::unix::fs::symlink("otherhost-4242", profile.join("SingletonLock")).unwrap();
        // `sleep` carries the flag on its command line (as its argv[0]), as a browser would.
        let mut holder = std::process::Command::new("sleep")
            .arg0(format!("--user-data-dir={}", profile.display()))
            .arg("30")
            .spawn()
            .unwrap();
        let deadline = Instant::now() + Duration::from_secs(10);
        while users(&profile).await.is_empty() && Instant::now() < deadline {
            tokio::time::sleep(POLL).await;
        }

        clear_profile(&profile).await.unwrap();

        // Its command line empties as it exits, a moment before it can be reaped.
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut ended = holder.try_wait().unwrap();
        while ended.is_none() && Instant::now() < deadline {
            tokio::time::sleep(POLL).await;
            ended = holder.try_wait().unwrap();
        }
        assert!(ended.is_some(), "the holder was ended");
        assert!(profile.join("SingletonLock").symlink_metadata().is_err());
        assert!(profile.exists(), "only the locks go");
    }
}
