//! Archiving the login: after ready has settled, then at every interval; sooner after a failure.

use std::path::PathBuf;
use std::time::Duration;

use tokio::time::Instant;

use super::{Harness, PATIENCE};
use crate::session::actor::Mode;

fn profile_dir(h: &Harness) -> PathBuf {
    crate::session::profile::dir(&h.deps, &h.id)
}

/// Writes the file the archive carries, with `content`.
fn write_local_state(h: &Harness, content: &str) {
    let dir = profile_dir(h);
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("Local State"), content).unwrap();
}

/// Waits (in virtual time, in 100 ms steps) for a stored archive unlike `before`.
async fn next_archive(h: &Harness, before: Option<&[u8]>) -> (Vec<u8>, Duration) {
    let t0 = Instant::now();
    while t0.elapsed() < PATIENCE {
        let stored = h.deps.store.load_archive(&h.id).await.unwrap();
        if let Some(bytes) = stored.filter(|b| Some(b.as_slice()) != before) {
            return (bytes, t0.elapsed());
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("no new archive");
}

fn near(actual: Duration, secs: u64) -> bool {
    let expected = Duration::from_secs(secs);
    actual >= expected && actual <= expected + Duration::from_millis(200)
}

#[tokio::test(start_paused = true)]
async fn the_login_is_archived_once_ready_has_settled_then_at_every_interval() {
    let h = Harness::linked().await;
    write_local_state(&h, "first");
    let (first, after) = next_archive(&h, None).await;
    assert!(near(after, 10), "first archive after {after:?}");
    write_local_state(&h, "second");
    let (_, after) = next_archive(&h, Some(&first)).await;
    assert!(near(after, 300), "next archive after {after:?}");
}

#[tokio::test(start_paused = true)]
async fn a_failed_archive_is_retried_sooner() {
    let h = Harness::linked().await;
    // No profile folder yet: the first try at 10 s fails.
    let t0 = Instant::now();
    tokio::time::sleep(Duration::from_secs(11)).await;
    assert_eq!(h.deps.store.load_archive(&h.id).await.unwrap(), None);
    write_local_state(&h, "late");
    next_archive(&h, None).await;
    assert!(near(t0.elapsed(), 40), "retried after {:?}", t0.elapsed());
}

#[tokio::test(start_paused = true)]
async fn nothing_is_archived_before_ready() {
    let h = Harness::start(Mode::Restore).await;
    write_local_state(&h, "restored");
    tokio::time::sleep(Duration::from_secs(400)).await;
    assert_eq!(h.deps.store.load_archive(&h.id).await.unwrap(), None);
}
