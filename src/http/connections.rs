//! `/wa/add-number`, `/wa/connections*`, `/wa/disconnect/:id`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;

use super::auth::Auth;
use super::query::ApiQuery;
use super::webhooks::WebhookBody;
use super::AppState;
use crate::error::ApiError;
use crate::qr;
use crate::store::{Connection, ConnectionStatus, Profile, Role};

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AddNumberResponse {
    connection_id: String,
    status: ConnectionStatus,
    qr: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AddNumberBody {
    /// Where this connection's events go (besides the global `WEBHOOK_URL`).
    webhook: Option<WebhookBody>,
}

pub async fn add_number(
    State(state): State<AppState>,
    Auth(caller): Auth,
    body: Bytes,
) -> Result<(StatusCode, Json<AddNumberResponse>), ApiError> {
    caller.require(Role::Operator)?;
    let options = parse_optional_body(&body)?;
    let webhook = options.webhook.map(WebhookBody::validate).transpose()?;
    let (record, qr) = state.manager.create(&caller.tenant, webhook).await?;
    let qr = qr
        .map(|q| qr::data_url(&q))
        .transpose()
        .map_err(ApiError::internal)?;
    let response = AddNumberResponse {
        connection_id: record.connection_id,
        status: record.status,
        qr,
    };
    Ok((StatusCode::CREATED, Json(response)))
}

/// The body is optional (`curl -X POST` with nothing works); when present it must be valid.
fn parse_optional_body(body: &Bytes) -> Result<AddNumberBody, ApiError> {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Ok(AddNumberBody::default());
    }
    serde_json::from_slice(body).map_err(|e| ApiError::invalid(format!("Invalid body: {e}")))
}

#[derive(Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    archived: bool,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionSummary {
    connection_id: String,
    status: ConnectionStatus,
    number: Option<String>,
    last_active: Option<DateTime<Utc>>,
}

pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<ConnectionSummary>>, ApiError> {
    let records = state.store.list_connections(q.archived).await?;
    let summaries = records
        .into_iter()
        .filter(|c| caller.owns(c))
        .map(|c| ConnectionSummary {
            connection_id: c.connection_id,
            status: c.status,
            number: c.whatsapp_number,
            last_active: c.last_active,
        })
        .collect();
    Ok(Json(summaries))
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionDetail {
    connection_id: String,
    status: ConnectionStatus,
    reason: Option<String>,
    number: Option<String>,
    profile: Option<Profile>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
    last_active: Option<DateTime<Utc>>,
    archived: bool,
    archived_at: Option<DateTime<Utc>>,
    session_saved_at: Option<DateTime<Utc>>,
    /// The QR code to scan, as a PNG data URL, while the connection is pending.
    qr: Option<String>,
}

impl ConnectionDetail {
    fn new(c: Connection, qr: Option<String>) -> Self {
        Self {
            connection_id: c.connection_id,
            status: c.status,
            reason: c.reason,
            number: c.whatsapp_number,
            profile: c.profile_info,
            created_at: c.created_at,
            updated_at: c.updated_at,
            last_active: c.last_active,
            archived: c.archived,
            archived_at: c.archived_at,
            session_saved_at: c.session_data.map(|s| s.saved_at),
            qr,
        }
    }
}

pub async fn get(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Json<ConnectionDetail>, ApiError> {
    let record = state.owned(&caller, &id).await?;
    let qr = match record.status {
        ConnectionStatus::Pending => state.manager.current_qr(&id).await,
        _ => None,
    };
    let qr = qr
        .map(|q| qr::data_url(&q))
        .transpose()
        .map_err(ApiError::internal)?;
    Ok(Json(ConnectionDetail::new(record, qr)))
}

#[derive(Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum QrFormat {
    #[default]
    Png,
    Raw,
    Json,
}

#[derive(Deserialize)]
pub struct QrQuery {
    #[serde(default)]
    format: QrFormat,
}

pub async fn qr_code(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<QrQuery>,
) -> Result<Response, ApiError> {
    let record = state.owned(&caller, &id).await?;
    let current = match record.status {
        ConnectionStatus::Pending => state.manager.current_qr(&id).await,
        _ => None,
    };
    let Some(payload) = current else {
        return Err(ApiError::conflict(format!(
            "Connection {id} is {} and shows no QR code",
            record.status.as_str()
        )));
    };
    Ok(match q.format {
        QrFormat::Raw => Json(json!({ "qr": payload })).into_response(),
        QrFormat::Json => {
            let url = qr::data_url(&payload).map_err(ApiError::internal)?;
            Json(json!({ "qr": url })).into_response()
        }
        QrFormat::Png => {
            let png = qr::png(&payload).map_err(ApiError::internal)?;
            ([(header::CONTENT_TYPE, "image/png")], png).into_response()
        }
    })
}

pub async fn disconnect(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, ApiError> {
    caller.require(Role::Operator)?;
    state.owned(&caller, &id).await?;
    state.manager.disconnect(&id).await?;
    let message = format!("Connection {id} disconnected and archived.");
    Ok(Json(json!({ "message": message })))
}
