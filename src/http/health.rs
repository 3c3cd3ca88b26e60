//! Liveness and readiness probes.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

use super::AppState;
use crate::supervisor::{Board, TaskStatus};

#[derive(Serialize, ToSchema)]
pub struct Health {
    #[schema(example = "ok")]
    status: &'static str,
}

/// The process answers: nothing else is checked.
#[utoipa::path(
    get, path = "/health", tag = "health",
    responses((status = 200, description = "The process answers", body = Health))
)]
pub async fn health() -> Json<Health> {
    Json(Health { status: "ok" })
}

#[derive(Serialize, ToSchema)]
pub struct Readiness {
    /// `ok` when every check is and no required background task is failing.
    #[schema(inline)]
    status: CheckState,
    checks: Checks,
    /// The background tasks by name (`webhook_fanout`, `webhook_dispatcher`, `restore`): a
    /// required one that is `restarting` makes the gateway not ready.
    tasks: BTreeMap<&'static str, TaskStatus>,
}

#[derive(Serialize, ToSchema)]
pub struct Checks {
    #[schema(inline)]
    store: CheckState,
    #[schema(inline)]
    chromium: CheckState,
}

#[derive(Serialize, ToSchema, Clone, Copy)]
#[serde(rename_all = "lowercase")]
pub enum CheckState {
    Ok,
    Unavailable,
}

impl CheckState {
    fn of(ok: bool) -> Self {
        if ok {
            Self::Ok
        } else {
            Self::Unavailable
        }
    }
}

/// Ready to serve: the store answers, the browser binary is there and the required background
/// tasks run.
#[utoipa::path(
    get, path = "/ready", tag = "health",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Not ready: see `checks` and `tasks`", body = Readiness),
    )
)]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let store_ok = state.store.ping().await.is_ok();
    let chrome_ok = state.config.chrome_path.is_file();
    let (status, body) = readiness(store_ok, chrome_ok, &state.tasks);
    (status, Json(body))
}

fn readiness(store_ok: bool, chrome_ok: bool, tasks: &Board) -> (StatusCode, Readiness) {
    let ok = store_ok && chrome_ok && tasks.healthy();
    let status = if ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Readiness {
        status: CheckState::of(ok),
        checks: Checks {
            store: CheckState::of(store_ok),
            chromium: CheckState::of(chrome_ok),
        },
        tasks: tasks.snapshot(),
    };
    (status, body)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::supervisor::{Spec, Supervisor};

    #[tokio::test(start_paused = true)]
    async fn a_failing_required_task_makes_the_gateway_not_ready_and_shows_in_tasks() {
        let board = Arc::new(Board::default());
        let metrics = Arc::new(crate::metrics::Metrics::new());
        let mut tasks = Supervisor::new(board.clone(), metrics);
        let spec = Spec {
            name: "webhook_dispatcher",
            required: true,
        };
        tasks.spawn(spec, |_| async { Err("store gone".into()) });
        for _ in 0..100 {
            if !board.healthy() {
                break;
            }
            tokio::task::yield_now().await;
        }

        let (status, body) = readiness(true, true, &board);
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["status"], "unavailable");
        assert_eq!(json["checks"]["store"], "ok");
        let task = &json["tasks"]["webhook_dispatcher"];
        assert_eq!(task["state"], "restarting");
        assert_eq!(task["lastError"], "store gone");
        tasks.shutdown().await;
        assert_eq!(readiness(true, true, &board).0, StatusCode::OK);
    }
}
