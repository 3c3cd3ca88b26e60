//! Supervised background work. Each named task runs until it finishes; one that panics or returns an
//! error is logged with its name, counted in `/metrics` and restarted after a growing pause, and
//! `/ready` shows what every task is doing. At shutdown a task is asked to stop (its
//! [`CancellationToken`]) and given time to drain; only one that overstays is aborted, by name.

use std::collections::BTreeMap;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::FutureExt;
use serde::Serialize;
use tokio::task::JoinHandle;
use tokio::time::Instant;
pub use tokio_util::sync::CancellationToken;
use utoipa::ToSchema;

use crate::metrics::Metrics;

/// Why a task stopped early; the supervisor logs it and restarts the task.
pub type TaskError = Box<dyn std::error::Error + Send + Sync>;
/// What a supervised task returns: `Ok` when its work is done or it stopped when asked.
pub type TaskResult = Result<(), TaskError>;

/// How long a task may take to drain after it is asked to stop, before it is aborted.
const GRACE: Duration = Duration::from_secs(30);

/// The pause before a restart: `initial`, doubling after each failure up to `max`, and back to
/// `initial` once a run lasted `stable` (a task that failed once an hour is not flapping).
#[derive(Debug, Clone, Copy)]
struct Backoff {
    initial: Duration,
    max: Duration,
    stable: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self {
            initial: Duration::from_secs(1),
            max: Duration::from_secs(30),
            stable: Duration::from_secs(60),
        }
    }
}

/// A task to supervise.
#[derive(Debug, Clone, Copy)]
pub struct Spec {
    pub name: &'static str,
    /// `/ready` answers 503 while a required task is failing.
    pub required: bool,
}

/// What a task is doing.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum TaskState {
    Running,
    /// It failed and waits out its backoff before the next start.
    Restarting,
    /// It returned on its own: its work is done.
    Finished,
    /// It stopped at shutdown.
    Stopped,
}

/// One task as `/ready` shows it.
#[derive(Debug, Clone, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TaskStatus {
    pub state: TaskState,
    pub required: bool,
    /// Restarts since the gateway started.
    pub restarts: u64,
    /// What the last failure said.
    pub last_error: Option<String>,
}

/// What every supervised task is doing; shared with `/ready`.
#[derive(Debug, Default)]
pub struct Board {
    tasks: Mutex<BTreeMap<&'static str, TaskStatus>>,
}

impl Board {
    /// Every task by name.
    pub fn snapshot(&self) -> BTreeMap<&'static str, TaskStatus> {
        self.tasks.lock().unwrap().clone()
    }

    /// No required task is failing.
    pub fn healthy(&self) -> bool {
        let tasks = self.tasks.lock().unwrap();
        !tasks
            .values()
            .any(|t| t.required && t.state == TaskState::Restarting)
    }

    fn update(&self, spec: Spec, change: impl FnOnce(&mut TaskStatus)) {
        let mut tasks = self.tasks.lock().unwrap();
        let status = tasks.entry(spec.name).or_insert(TaskStatus {
            state: TaskState::Running,
            required: spec.required,
            restarts: 0,
            last_error: None,
        });
        change(status);
    }
}

/// Runs named tasks, restarts the failing ones and stops them all at shutdown.
pub struct Supervisor {
    board: Arc<Board>,
    metrics: Arc<Metrics>,
    backoff: Backoff,
    grace: Duration,
    tasks: Vec<Supervised>,
}

struct Supervised {
    name: &'static str,
    stop: CancellationToken,
    handle: JoinHandle<()>,
}

impl Supervisor {
    /// A supervisor that reports on `board` and counts failures in `metrics`.
    pub fn new(board: Arc<Board>, metrics: Arc<Metrics>) -> Self {
        Self {
            board,
            metrics,
            backoff: Backoff::default(),
            grace: GRACE,
            tasks: Vec::new(),
        }
    }

    /// Other pauses than the defaults.
    #[cfg(test)]
    fn with_timing(mut self, backoff: Backoff, grace: Duration) -> Self {
        self.backoff = backoff;
        self.grace = grace;
        self
    }

    /// Starts `make(stop)` and again after every failure until it returns `Ok` or is stopped.
    /// The task should watch `stop` and return once it has drained.
    pub fn spawn<F, Fut>(&mut self, spec: Spec, make: F)
    where
        F: FnMut(CancellationToken) -> Fut + Send + 'static,
        Fut: Future<Output = TaskResult> + Send + 'static,
    {
        let stop = CancellationToken::new();
        let run = Run {
            spec,
            board: self.board.clone(),
            metrics: self.metrics.clone(),
            backoff: self.backoff,
            stop: stop.clone(),
        };
        self.board.update(spec, |_| {});
        let handle = tokio::spawn(run.supervise(make));
        self.tasks.push(Supervised {
            name: spec.name,
            stop,
            handle,
        });
    }

    /// Asks the task `name` to stop and waits for it to drain (see [`Self::shutdown`]).
    pub async fn stop(&mut self, name: &str) -> bool {
        let Some(at) = self.tasks.iter().position(|t| t.name == name) else {
            return true;
        };
        let task = self.tasks.remove(at);
        task.stop.cancel();
        stop_in_time(task, self.grace).await
    }

    /// Asks every task to stop and waits for each to drain; one still running after the grace
    /// period is aborted and named in the log. Returns the names of those aborted.
    pub async fn shutdown(self) -> Vec<&'static str> {
        for task in &self.tasks {
            task.stop.cancel();
        }
        let grace = self.grace;
        let names: Vec<_> = self.tasks.iter().map(|t| t.name).collect();
        let stopped =
            futures::future::join_all(self.tasks.into_iter().map(|t| stop_in_time(t, grace))).await;
        names
            .into_iter()
            .zip(stopped)
            .filter_map(|(name, ok)| (!ok).then_some(name))
            .collect()
    }
}

/// Waits for a task that was asked to stop; `false` if it had to be aborted.
async fn stop_in_time(mut task: Supervised, grace: Duration) -> bool {
    match tokio::time::timeout(grace, &mut task.handle).await {
        Ok(_) => true,
        Err(_) => {
            tracing::error!(
                task = task.name,
                ?grace,
                "task did not drain in time; aborted"
            );
            task.handle.abort();
            // Returns once the abort took: the task's resources are released.
            let _ = task.handle.await;
            false
        }
    }
}

/// One supervised task's loop.
struct Run {
    spec: Spec,
    board: Arc<Board>,
    metrics: Arc<Metrics>,
    backoff: Backoff,
    stop: CancellationToken,
}

impl Run {
    async fn supervise<F, Fut>(self, mut make: F)
    where
        F: FnMut(CancellationToken) -> Fut,
        Fut: Future<Output = TaskResult>,
    {
        let name = self.spec.name;
        let mut pause = self.backoff.initial;
        loop {
            self.board
                .update(self.spec, |t| t.state = TaskState::Running);
            let started = Instant::now();
            let token = self.stop.clone();
            // `make` itself may panic too: call it inside the guarded future.
            let outcome = AssertUnwindSafe(async { make(token).await })
                .catch_unwind()
                .await;
            let failure = match outcome {
                Ok(Ok(())) => return self.ended(),
                Ok(Err(e)) => Failure::Error(e.to_string()),
                Err(panic) => Failure::Panic(panic_text(&*panic)),
            };
            if self.stop.is_cancelled() {
                tracing::error!(task = name, error = %failure, "task failed while stopping");
                return self.ended();
            }
            if started.elapsed() >= self.backoff.stable {
                pause = self.backoff.initial;
            }
            self.failed(&failure, pause);
            tokio::select! {
                _ = tokio::time::sleep(pause) => {}
                _ = self.stop.cancelled() => return self.ended(),
            }
            pause = (pause * 2).min(self.backoff.max);
        }
    }

    fn failed(&self, failure: &Failure, pause: Duration) {
        let name = self.spec.name;
        tracing::error!(task = name, kind = failure.kind(), error = %failure, retry_in = ?pause, "task failed; restarting");
        self.metrics.task_failed(name, failure.kind());
        self.metrics.task_restarted(name);
        self.board.update(self.spec, |t| {
            t.state = TaskState::Restarting;
            t.restarts += 1;
            t.last_error = Some(failure.to_string());
        });
    }

    fn ended(&self) {
        let state = if self.stop.is_cancelled() {
            TaskState::Stopped
        } else {
            TaskState::Finished
        };
        tracing::debug!(task = self.spec.name, ?state, "task ended");
        self.board.update(self.spec, |t| t.state = state);
    }
}

enum Failure {
    Panic(String),
    Error(String),
}

impl Failure {
    fn kind(&self) -> &'static str {
        match self {
            Self::Panic(_) => "panic",
            Self::Error(_) => "error",
        }
    }
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Panic(text) => write!(f, "panicked: {text}"),
            Self::Error(text) => f.write_str(text),
        }
    }
}

fn panic_text(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "(no message)".to_owned())
}

/// Watches a task whose owner decides what follows its end, not the supervisor (a session actor,
/// owned by the session manager): its panic is logged with `key` and counted instead of passing
/// unseen. The returned handle ends when the task does.
pub fn notice(
    name: &'static str,
    key: String,
    task: JoinHandle<()>,
    metrics: Arc<Metrics>,
) -> JoinHandle<()> {
    tokio::spawn(async move {
        // A cancelled task was aborted by its owner on purpose.
        if let Err(e) = task.await {
            if e.is_panic() {
                let text = panic_text(&*e.into_panic());
                tracing::error!(task = name, key, error = %text, "task panicked");
                metrics.task_failed(name, "panic");
            }
        }
    })
}

#[cfg(test)]
mod tests;
