//! The supervisor on paused time: backoff pauses are checked to the millisecond without waiting.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::sync::mpsc;

use super::*;
use crate::metrics::Scrape;

const SECOND: Duration = Duration::from_secs(1);

fn supervisor() -> (Supervisor, Arc<Board>, Arc<Metrics>) {
    let board = Arc::new(Board::default());
    let metrics = Arc::new(Metrics::new());
    let backoff = Backoff {
        initial: SECOND,
        max: 4 * SECOND,
        stable: 60 * SECOND,
    };
    let tasks = Supervisor::new(board.clone(), metrics.clone()).with_timing(backoff, 10 * SECOND);
    (tasks, board, metrics)
}

fn spec(name: &'static str) -> Spec {
    Spec {
        name,
        required: true,
    }
}

/// Runs `name`, which fails (as `fail` does) on its first `failures` starts and then runs until
/// stopped; returns the moments it was started.
async fn start_times<Fut>(
    tasks: &mut Supervisor,
    name: &'static str,
    failures: usize,
    fail: fn() -> Fut,
) -> Vec<Instant>
where
    Fut: Future<Output = TaskResult> + Send + 'static,
{
    let (started, mut starts) = mpsc::unbounded_channel();
    let mut runs = 0;
    tasks.spawn(spec(name), move |stop| {
        runs += 1;
        let _ = started.send(Instant::now());
        let failing = runs <= failures;
        async move {
            if failing {
                return fail().await;
            }
            stop.cancelled().await;
            Ok(())
        }
    });
    let mut times = Vec::new();
    for _ in 0..=failures {
        let at = tokio::time::timeout(60 * SECOND, starts.recv()).await;
        times.push(at.expect("the task is started again").unwrap());
    }
    times
}

fn gaps(times: &[Instant]) -> Vec<Duration> {
    times.windows(2).map(|w| w[1] - w[0]).collect()
}

fn exposition(metrics: &Metrics) -> String {
    metrics.render(&Scrape::default())
}

async fn panics() -> TaskResult {
    panic!("boom")
}

async fn errs() -> TaskResult {
    Err("the store is gone".into())
}

#[tokio::test(start_paused = true)]
async fn a_task_that_panics_is_restarted_after_doubling_pauses_up_to_the_cap_and_counted() {
    let (mut tasks, board, metrics) = supervisor();
    let times = start_times(&mut tasks, "flaky", 4, panics).await;
    assert_eq!(gaps(&times), [1, 2, 4, 4].map(|s| s * SECOND));
    let text = exposition(&metrics);
    assert!(
        text.contains("wa_task_restarts_total{task=\"flaky\"} 4"),
        "{text}"
    );
    assert!(
        text.contains("wa_task_failures_total{task=\"flaky\",kind=\"panic\"} 4"),
        "{text}"
    );
    let status = &board.snapshot()["flaky"];
    assert_eq!((status.state, status.restarts), (TaskState::Running, 4));
    assert_eq!(status.last_error.as_deref(), Some("panicked: boom"));
    assert!(board.healthy());
    assert!(tasks.shutdown().await.is_empty());
}

#[tokio::test(start_paused = true)]
async fn a_task_that_returns_an_error_is_restarted_with_backoff_and_counted() {
    let (mut tasks, board, metrics) = supervisor();
    let times = start_times(&mut tasks, "erring", 2, errs).await;
    assert_eq!(gaps(&times), [SECOND, 2 * SECOND]);
    let text = exposition(&metrics);
    assert!(
        text.contains("wa_task_restarts_total{task=\"erring\"} 2"),
        "{text}"
    );
    assert!(
        text.contains("wa_task_failures_total{task=\"erring\",kind=\"error\"} 2"),
        "{text}"
    );
    let status = &board.snapshot()["erring"];
    assert_eq!(status.last_error.as_deref(), Some("the store is gone"));
    tasks.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_failing_required_task_is_unhealthy_while_it_waits_to_restart() {
    let (mut tasks, board, _) = supervisor();
    let optional = Spec {
        name: "optional",
        required: false,
    };
    tasks.spawn(optional, |_| errs());
    tasks.spawn(spec("required"), |_| errs());
    until(&board, |t| t.values().all(|t| t.restarts == 1)).await;
    let states = board.snapshot();
    assert_eq!(states["optional"].state, TaskState::Restarting);
    assert_eq!(states["required"].state, TaskState::Restarting);
    assert!(!board.healthy());
    tasks.shutdown().await;
    assert!(board
        .snapshot()
        .values()
        .all(|t| t.state == TaskState::Stopped));
    assert!(board.healthy());
}

#[tokio::test(start_paused = true)]
async fn a_run_that_lasted_resets_the_backoff() {
    let (mut tasks, _, _) = supervisor();
    let (started, mut starts) = mpsc::unbounded_channel();
    let mut runs = 0;
    // Fails at once twice, then after a long run, then at once again.
    tasks.spawn(spec("steady"), move |_| {
        runs += 1;
        let _ = started.send(Instant::now());
        let lasts = if runs == 3 {
            120 * SECOND
        } else {
            Duration::ZERO
        };
        async move {
            tokio::time::sleep(lasts).await;
            errs().await
        }
    });
    let mut times = Vec::new();
    for _ in 0..5 {
        times.push(starts.recv().await.unwrap());
    }
    let expected = [SECOND, 2 * SECOND, 120 * SECOND + SECOND, 2 * SECOND];
    assert_eq!(gaps(&times), expected);
    tasks.shutdown().await;
}

#[tokio::test(start_paused = true)]
async fn a_task_that_finishes_is_not_restarted() {
    let (mut tasks, board, metrics) = supervisor();
    tasks.spawn(spec("once"), |_| async { Ok(()) });
    until(&board, |t| t["once"].state == TaskState::Finished).await;
    let status = &board.snapshot()["once"];
    assert_eq!((status.state, status.restarts), (TaskState::Finished, 0));
    assert!(!exposition(&metrics).contains("task=\"once\""));
    tasks.shutdown().await;
    assert_eq!(board.snapshot()["once"].state, TaskState::Finished);
}

#[tokio::test(start_paused = true)]
async fn shutdown_waits_for_each_task_to_drain() {
    let (mut tasks, board, _) = supervisor();
    let drained = Arc::new(AtomicBool::new(false));
    let flag = drained.clone();
    tasks.spawn(spec("drainer"), move |stop| {
        let flag = flag.clone();
        async move {
            stop.cancelled().await;
            // In-flight work that takes a while to finish.
            tokio::time::sleep(5 * SECOND).await;
            flag.store(true, Ordering::SeqCst);
            Ok(())
        }
    });
    let asked = Instant::now();
    assert!(tasks.shutdown().await.is_empty());
    assert!(drained.load(Ordering::SeqCst));
    assert_eq!(asked.elapsed(), 5 * SECOND);
    assert_eq!(board.snapshot()["drainer"].state, TaskState::Stopped);
}

#[tokio::test(start_paused = true)]
async fn stop_ends_one_task_and_leaves_the_others_running() {
    let (mut tasks, board, _) = supervisor();
    for name in ["first", "second"] {
        tasks.spawn(spec(name), |stop| async move {
            stop.cancelled().await;
            Ok(())
        });
    }
    assert!(tasks.stop("first").await);
    let states = board.snapshot();
    assert_eq!(states["first"].state, TaskState::Stopped);
    assert_eq!(states["second"].state, TaskState::Running);
    tasks.shutdown().await;
}

/// Sets its flag when dropped: proves an abort reached the task's future.
struct DropFlag(Arc<AtomicBool>);

impl Drop for DropFlag {
    fn drop(&mut self) {
        self.0.store(true, Ordering::SeqCst);
    }
}

#[tokio::test(start_paused = true)]
async fn a_task_that_does_not_drain_in_time_is_aborted_and_named() {
    let (mut tasks, _, _) = supervisor();
    let dropped = Arc::new(AtomicBool::new(false));
    let flag = dropped.clone();
    tasks.spawn(spec("stubborn"), move |_| {
        let guard = DropFlag(flag.clone());
        async move {
            let _guard = guard;
            std::future::pending::<TaskResult>().await
        }
    });
    tasks.spawn(spec("polite"), |stop| async move {
        stop.cancelled().await;
        Ok(())
    });
    let asked = Instant::now();
    assert_eq!(tasks.shutdown().await, ["stubborn"]);
    assert_eq!(asked.elapsed(), 10 * SECOND);
    assert!(dropped.load(Ordering::SeqCst));
}

#[tokio::test(start_paused = true)]
async fn a_noticed_task_that_panics_is_counted() {
    let metrics = Arc::new(Metrics::new());
    let panicking = tokio::spawn(async { panic!("actor bug") });
    notice("session", "abc".into(), panicking, metrics.clone())
        .await
        .unwrap();
    let quiet = tokio::spawn(async {});
    notice("session", "def".into(), quiet, metrics.clone())
        .await
        .unwrap();
    let text = exposition(&metrics);
    assert!(
        text.contains("wa_task_failures_total{task=\"session\",kind=\"panic\"} 1"),
        "{text}"
    );
}

/// Lets the spawned tasks run until `holds` does; fails if it never does while time stands still.
async fn until(board: &Board, holds: impl Fn(&BTreeMap<&'static str, TaskStatus>) -> bool) {
    for _ in 0..1000 {
        if holds(&board.snapshot()) {
            return;
        }
        tokio::task::yield_now().await;
    }
    panic!(
        "the board never reached the expected state: {:?}",
        board.snapshot()
    );
}
