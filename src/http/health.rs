//! Liveness and readiness probes.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use std::collections::BTreeMap;
use utoipa::ToSchema;

use super::AppState;
use crate::supervisor::{Board, TaskStatus};
use crate::whatsapp::probe::Reachability;

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
#[serde(rename_all = "camelCase")]
pub struct Readiness {
    /// `ok` when the store and Chromium are and no required background task is failing.
    /// WhatsApp Web's reachability is shown but does not count (see `checks.waWeb`).
    #[schema(inline)]
    status: CheckState,
    checks: Checks,
    /// What the last probe of `WA_WEB_URL` saw.
    wa_web: WaWebReport,
    /// The background tasks by name (`webhook_fanout`, `webhook_dispatcher`, `restore`,
    /// `wa_web_probe`): a required one that is `restarting` makes the gateway not ready.
    tasks: BTreeMap<&'static str, TaskStatus>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Checks {
    #[schema(inline)]
    store: CheckState,
    #[schema(inline)]
    chromium: CheckState,
    /// Whether `WA_WEB_URL` answered its last probe (every 30 s, sooner while it does not).
    /// `unavailable` means new connections cannot show a QR code and linked ones wait for the
    /// page; the gateway stays ready: the rest of the API works, and a restart would not help.
    #[schema(inline)]
    wa_web: WaWebState,
}

#[derive(Serialize, ToSchema, Clone, Copy, PartialEq, Eq, Debug)]
#[serde(rename_all = "lowercase")]
pub enum WaWebState {
    Ok,
    Unavailable,
    /// Not probed yet (the first probe runs at start).
    Unknown,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WaWebReport {
    /// `WA_WEB_URL`, without credentials.
    url: String,
    last_check: Option<Reachability>,
}

impl WaWebReport {
    fn state(&self) -> WaWebState {
        match &self.last_check {
            Some(r) if r.reachable => WaWebState::Ok,
            Some(_) => WaWebState::Unavailable,
            None => WaWebState::Unknown,
        }
    }
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
/// tasks run. Whether WhatsApp Web answers is shown too, from the last probe (no request here
/// waits on it).
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
    let wa_web = WaWebReport {
        url: state.wa_web.url(),
        last_check: state.wa_web.latest(),
    };
    if wa_web.state() != WaWebState::Ok {
        // Someone is watching: show a recovery soon (the probe keeps its own pace).
        state.wa_web.ask();
    }
    let (status, body) = readiness(store_ok, chrome_ok, &state.tasks, wa_web);
    (status, Json(body))
}

fn readiness(
    store_ok: bool,
    chrome_ok: bool,
    tasks: &Board,
    wa_web: WaWebReport,
) -> (StatusCode, Readiness) {
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
            wa_web: wa_web.state(),
        },
        wa_web,
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

        let (status, body) = readiness(true, true, &board, unprobed());
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let json = serde_json::to_value(&body).unwrap();
        assert_eq!(json["status"], "unavailable");
        assert_eq!(json["checks"]["store"], "ok");
        let task = &json["tasks"]["webhook_dispatcher"];
        assert_eq!(task["state"], "restarting");
        assert_eq!(task["lastError"], "store gone");
        tasks.shutdown().await;
        assert_eq!(readiness(true, true, &board, unprobed()).0, StatusCode::OK);
    }

    fn report(last_check: Option<Reachability>) -> WaWebReport {
        WaWebReport {
            url: "http://wa.example/".into(),
            last_check,
        }
    }

    fn unprobed() -> WaWebReport {
        report(None)
    }

    fn refused() -> WaWebReport {
        report(Some(Reachability {
            reachable: false,
            detail: "Connection refused (os error 111)".into(),
            checked_at: chrono::Utc::now(),
        }))
    }

    #[test]
    fn an_unreachable_wa_web_is_shown_with_its_cause_but_leaves_the_gateway_ready() {
        let board = Board::default();
        let unknown = readiness(true, true, &board, unprobed()).1;
        assert_eq!(unknown.checks.wa_web, WaWebState::Unknown);
        let (status, body) = readiness(true, true, &board, refused());
        assert_eq!(status, StatusCode::OK);
        let body = serde_json::to_value(body).unwrap();
        assert_eq!(body["status"], "ok");
        assert_eq!(body["checks"]["waWeb"], "unavailable");
        assert_eq!(body["waWeb"]["url"], "http://wa.example/");
        let last = &body["waWeb"]["lastCheck"];
        assert_eq!(last["reachable"], false);
        assert!(last["detail"].as_str().unwrap().contains("refused"));
    }
}
