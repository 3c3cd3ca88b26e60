//! Liveness and readiness probes.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::AppState;

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
    /// `ok` when every check is.
    #[schema(inline)]
    status: CheckState,
    checks: Checks,
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

/// Ready to serve: the store answers and the browser binary is there.
#[utoipa::path(
    get, path = "/ready", tag = "health",
    responses(
        (status = 200, description = "Ready", body = Readiness),
        (status = 503, description = "Not ready: see `checks`", body = Readiness),
    )
)]
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Readiness>) {
    let store_ok = state.store.ping().await.is_ok();
    let chrome_ok = state.config.chrome_path.is_file();
    let status = if store_ok && chrome_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let body = Readiness {
        status: CheckState::of(store_ok && chrome_ok),
        checks: Checks {
            store: CheckState::of(store_ok),
            chromium: CheckState::of(chrome_ok),
        },
    };
    (status, Json(body))
}
