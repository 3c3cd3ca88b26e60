//! `GET /metrics` (Prometheus text) and `GET /wa/connections/:id/stats` (one browser's cost).

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::IntoResponse;
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Auth;

use super::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::metrics::Scrape;
use crate::procstats::Snapshot;
use crate::store::ConnectionStatus;

const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

/// Every tenant's connections appear here: admins only.
#[utoipa::path(
    get, path = "/metrics", tag = "health",
    responses(
        (status = 200, description = "Prometheus text exposition format (admin only)", content_type = "application/openmetrics-text; version=1.0.0; charset=utf-8", body = String),
    )
)]
pub async fn metrics(State(state): State<AppState>) -> Result<impl IntoResponse, ApiError> {
    let records = state.store.list_connections(false).await?;
    let by_status = [
        ConnectionStatus::Pending,
        ConnectionStatus::Connected,
        ConnectionStatus::Disconnected,
    ]
    .map(|s| {
        let n = records.iter().filter(|r| r.status == s).count();
        (s.as_str().to_owned(), i64::try_from(n).unwrap_or(i64::MAX))
    })
    .to_vec();
    let pids = state.manager.browser_pids().await;
    let (browsers, gateway) = read_proc(move |snap| {
        let browsers = pids
            .into_iter()
            .filter_map(|(id, pid)| Some((id, snap.tree_stats(pid)?)))
            .collect();
        (browsers, snap.process_stats(std::process::id()))
    })
    .await?;
    let scrape = Scrape {
        by_status,
        browsers,
        gateway,
    };
    let text = state.metrics.render(&scrape);
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], text))
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionStats {
    connection_id: String,
    status: ConnectionStatus,
    /// Whether a browser runs for the connection right now; the figures are zero otherwise.
    running: bool,
    pid: Option<u32>,
    processes: usize,
    pss_bytes: u64,
    rss_bytes: u64,
    cpu_seconds: f64,
    uptime_seconds: f64,
}

#[utoipa::path(
    get, path = "/wa/connections/{id}/stats", tag = "connections",
    params(("id" = String, Path, description = "The connection id")),
    responses(
        (status = 200, description = "The connection's Chromium process tree: memory and CPU", body = ConnectionStats),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorBody),
    )
)]
pub async fn connection_stats(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Json<ConnectionStats>, ApiError> {
    let record = state.owned(&caller, &id).await?;
    let pid = state.manager.browser_pid(&id).await;
    let tree = match pid {
        Some(pid) => read_proc(move |snap| snap.tree_stats(pid)).await?,
        None => None,
    };
    let t = tree.clone().unwrap_or_default();
    Ok(Json(ConnectionStats {
        connection_id: record.connection_id,
        status: record.status,
        running: tree.is_some(),
        pid: tree.as_ref().map(|t| t.pid),
        processes: t.processes,
        pss_bytes: t.pss_bytes,
        rss_bytes: t.rss_bytes,
        cpu_seconds: t.cpu_seconds,
        uptime_seconds: t.uptime_seconds,
    }))
}

/// `/proc` reads are blocking file reads: keep them off the async workers.
async fn read_proc<T: Send + 'static>(
    f: impl FnOnce(&Snapshot) -> T + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(move || f(&Snapshot::take()))
        .await
        .map_err(ApiError::internal)
}
