//! Liveness and readiness probes.

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use super::AppState;

/// The process answers: nothing else is checked.
pub async fn health() -> Json<Value> {
    Json(json!({ "status": "ok" }))
}

/// Ready to serve: the store answers and the browser binary is there.
pub async fn ready(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let store_ok = state.store.ping().await.is_ok();
    let chrome_ok = state.config.chrome_path.is_file();
    let status = if store_ok && chrome_ok {
        StatusCode::OK
    } else {
        StatusCode::SERVICE_UNAVAILABLE
    };
    let word = |ok: bool| if ok { "ok" } else { "unavailable" };
    let body = json!({
        "status": word(store_ok && chrome_ok),
        "checks": { "store": word(store_ok), "chromium": word(chrome_ok) },
    });
    (status, Json(body))
}
