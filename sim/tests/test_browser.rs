//! The test helpers' own promise: a browser never outlives the test that launched it. Dropping
//! a `TestBrowser` without closing it closes its lifeline exactly as the kernel does when a test
//! process dies (SIGKILL included).

mod common;

use std::time::{Duration, Instant};

use common::{is_running, processes_using, TestBrowser, DEADLINE};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_browser_whose_lifeline_closes_dies_with_all_its_helpers() {
    let dir = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(&dir.path().join("profile")).await;
    let pid = browser.pid();
    assert!(is_running(pid));
    assert!(
        processes_using(dir.path()).len() > 1,
        "a browser and its helpers"
    );

    drop(browser);
    let started = Instant::now();
    while !processes_using(dir.path()).is_empty() {
        assert!(
            started.elapsed() < DEADLINE,
            "left behind: {:?}",
            processes_using(dir.path())
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(!is_running(pid));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_browser_leaves_nothing_behind() {
    let dir = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(&dir.path().join("profile")).await;
    browser.close().await;
    assert_eq!(processes_using(dir.path()), Vec::<u32>::new());
}
