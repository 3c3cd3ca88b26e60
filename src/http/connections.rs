//! `/wa/add-number`, `/wa/connections*`, `/wa/disconnect/:id`.

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ObjectBuilder, Schema, Type};
use utoipa::openapi::RefOr;
use utoipa::{IntoParams, ToSchema};

use super::auth::Auth;
use super::query::ApiQuery;
use super::webhooks::WebhookBody;
use super::AppState;
use crate::domain::PhoneNumber;
use crate::error::{ApiError, ErrorBody};
use crate::qr;
use crate::session::{LinkCode, ManagerError, SleepView};
use crate::store::{Connection, ConnectionStatus, Profile};

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AddNumberResponse {
    connection_id: String,
    status: ConnectionStatus,
    /// The first QR code to scan, as a PNG data URL (`null` when linking by phone number).
    qr: Option<String>,
    /// Linking by phone number only: the code to type on the phone (Linked devices → Link a
    /// device → Link with phone number instead).
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(example = "ABCD-EFGH")]
    pairing_code: Option<String>,
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AddNumberBody {
    /// Where this connection's events go (besides the global `WEBHOOK_URL`).
    webhook: Option<WebhookBody>,
    /// Link by phone number instead of a QR code: the account's number in international format
    /// (`923001234567`; a leading `+`, spaces and dashes are allowed). The answer then carries a
    /// `pairingCode` to type on that phone.
    #[schema(example = "923001234567")]
    phone: Option<String>,
}

/// Starts a connection and waits (up to `QR_WAIT_TIMEOUT_SECS`) for its first QR code, or, with
/// a `phone`, for its first pairing code.
#[utoipa::path(
    post, path = "/wa/add-number", tag = "connections",
    request_body(content = Option<AddNumberBody>, description = "Optional: the connection's own webhook; a `phone` to link by pairing code instead of a QR"),
    responses(
        (status = 201, description = "Started: scan the QR code, or type the pairing code on the phone", body = AddNumberResponse),
        (status = 400, description = "`INVALID_REQUEST`: the body is not valid (also a `phone` that is not an international number, or a tenant key's webhook URL that does not lead to a public address)", body = ErrorBody),
        (status = 409, description = "`LIMIT_REACHED`: `MAX_SESSIONS` connections are pending or connected", body = ErrorBody),
        (status = 413, description = "`INVALID_REQUEST`: the body is too large", body = ErrorBody),
        (status = 503, description = "`SERVER_ERROR`: no QR (or pairing) code came in time (the message says why, e.g. `WA_WEB_UNAVAILABLE` with the network error and what to check), or the store is unavailable", body = ErrorBody),
    )
)]
pub async fn add_number(
    State(state): State<AppState>,
    Auth(caller): Auth,
    body: Bytes,
) -> Result<(StatusCode, Json<AddNumberResponse>), ApiError> {
    let options = parse_optional_body(&body)?;
    let webhook = match options.webhook {
        Some(body) => Some(body.validate(&caller, &state).await?),
        None => None,
    };
    let phone = options
        .phone
        .as_deref()
        .map(PhoneNumber::parse)
        .transpose()
        .map_err(|e| ApiError::invalid(format!("Invalid phone: {e}")))?;
    let created = state.manager.create(&caller.tenant, webhook, phone).await;
    if let Err(ManagerError::WaWebUnavailable(_)) = &created {
        // `/ready` shows the outage at once rather than at the next scheduled probe.
        state.wa_web.ask();
    }
    let (record, code) = created?;
    let (qr, pairing_code) = match code {
        Some(LinkCode::Qr(q)) => (Some(qr::data_url(&q).map_err(ApiError::internal)?), None),
        Some(LinkCode::Pairing(code)) => (None, Some(code)),
        None => (None, None),
    };
    let response = AddNumberResponse {
        connection_id: record.connection_id,
        status: record.status,
        qr,
        pairing_code,
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

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Include connections disconnected (and archived) through the API.
    #[serde(default)]
    archived: bool,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ConnectionSummary {
    connection_id: String,
    status: ConnectionStatus,
    number: Option<String>,
    last_active: Option<DateTime<Utc>>,
    /// A browser runs for it now. A `connected` number with `awake: false` sleeps (hibernation):
    /// still linked, woken by the next send or live-page request, and on schedule.
    awake: bool,
    /// When it was last online: its last wake, or the moment it fell asleep (`null` until
    /// hibernation has seen it).
    last_awake: Option<DateTime<Utc>>,
    /// When a sleeping number wakes next at the latest (`null` when awake).
    next_wake: Option<DateTime<Utc>>,
}

/// Lists connections (archived ones only with `?archived=true`).
#[utoipa::path(
    get, path = "/wa/connections", tag = "connections", params(ListQuery),
    responses(
        (status = 200, body = Vec<ConnectionSummary>),
        (status = 400, description = "`INVALID_REQUEST`: a bad query parameter", body = ErrorBody),
    )
)]
pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<Vec<ConnectionSummary>>, ApiError> {
    let records = state
        .connection_lists
        .list(&state.store, q.archived)
        .await?;
    let mut summaries = Vec::new();
    for c in records.iter().filter(|c| caller.owns(c)) {
        let sleep = state.manager.sleep_view(&c.connection_id).await;
        summaries.push(ConnectionSummary {
            connection_id: c.connection_id.clone(),
            status: c.status,
            number: c.whatsapp_number.clone(),
            last_active: c.last_active,
            awake: sleep.awake,
            last_awake: sleep.last_awake,
            next_wake: sleep.next_wake,
        });
    }
    Ok(Json(summaries))
}

#[derive(Serialize, ToSchema)]
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
    /// A browser runs for it now (`false` for a sleeping `connected` number; see hibernation).
    awake: bool,
    /// When it was last online: its last wake, or the moment it fell asleep.
    last_awake: Option<DateTime<Utc>>,
    /// When a sleeping number wakes next at the latest.
    next_wake: Option<DateTime<Utc>>,
}

impl ConnectionDetail {
    fn new(c: Connection, qr: Option<String>, sleep: SleepView) -> Self {
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
            awake: sleep.awake,
            last_awake: sleep.last_awake,
            next_wake: sleep.next_wake,
        }
    }
}

/// One connection: status, reason, number, profile, timestamps and, while pending, the QR code.
#[utoipa::path(
    get, path = "/wa/connections/{id}", tag = "connections", params(("id" = String, Path, description = "The connection id returned by `POST /wa/add-number`")),
    responses(
        (status = 200, body = ConnectionDetail),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorBody),
    )
)]
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
    let sleep = state.manager.sleep_view(&id).await;
    Ok(Json(ConnectionDetail::new(record, qr, sleep)))
}

#[derive(Deserialize, Default, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum QrFormat {
    #[default]
    Png,
    Raw,
    Json,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct QrQuery {
    /// `png` (an image), `raw` (the QR payload) or `json` (a PNG data URL).
    #[serde(default)]
    #[param(inline)]
    format: QrFormat,
}

/// `?format=raw`: the QR payload; `?format=json`: a PNG data URL.
#[derive(Serialize, ToSchema)]
pub struct QrBody {
    qr: String,
}

/// A PNG image (describes the `image/png` response only).
pub struct PngImage;

impl utoipa::PartialSchema for PngImage {
    fn schema() -> RefOr<Schema> {
        let png = ObjectBuilder::new().schema_type(Type::String);
        png.content_media_type("image/png").into()
    }
}

impl ToSchema for PngImage {}

/// The current QR code while the connection is pending.
#[utoipa::path(
    get, path = "/wa/connections/{id}/qr", tag = "connections", params(("id" = String, Path, description = "The connection id returned by `POST /wa/add-number`"), QrQuery),
    responses(
        (status = 200, description = "The QR code", content(
            (PngImage = "image/png"),
            (QrBody = "application/json"),
        )),
        (status = 400, description = "`INVALID_REQUEST`: unknown `format`", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`CONFLICT`: the connection is not pending", body = ErrorBody),
    )
)]
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
        QrFormat::Raw => Json(QrBody { qr: payload }).into_response(),
        QrFormat::Json => {
            let url = qr::data_url(&payload).map_err(ApiError::internal)?;
            Json(QrBody { qr: url }).into_response()
        }
        QrFormat::Png => {
            let png = qr::png(&payload).map_err(ApiError::internal)?;
            ([(header::CONTENT_TYPE, "image/png")], png).into_response()
        }
    })
}

/// The pairing code to type on the phone.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PairingCodeBody {
    #[schema(example = "ABCD-EFGH")]
    pairing_code: String,
}

/// The current pairing code while a connection linking by phone number is pending (it changes
/// when WhatsApp asks for a new one; `pairing_code` events say so).
#[utoipa::path(
    get, path = "/wa/connections/{id}/pairing-code", tag = "connections", params(("id" = String, Path, description = "The connection id returned by `POST /wa/add-number`")),
    responses(
        (status = 200, description = "The pairing code", body = PairingCodeBody),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`CONFLICT`: the connection is not pending, or links by QR code", body = ErrorBody),
    )
)]
pub async fn pairing_code(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Json<PairingCodeBody>, ApiError> {
    let record = state.owned(&caller, &id).await?;
    let current = match record.status {
        ConnectionStatus::Pending => state.manager.current_pairing_code(&id).await,
        _ => None,
    };
    let Some(pairing_code) = current else {
        return Err(ApiError::conflict(format!(
            "Connection {id} is {} and shows no pairing code",
            record.status.as_str()
        )));
    };
    Ok(Json(PairingCodeBody { pairing_code }))
}

#[derive(Serialize, ToSchema)]
pub struct DisconnectResponse {
    #[schema(example = "Connection 5c0e… disconnected and archived.")]
    message: String,
}

/// Logs the device out of WhatsApp, closes its browser and archives the record.
#[utoipa::path(
    post, path = "/wa/disconnect/{id}", tag = "connections", params(("id" = String, Path, description = "The connection id returned by `POST /wa/add-number`")),
    responses(
        (status = 200, body = DisconnectResponse),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorBody),
    )
)]
pub async fn disconnect(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Json<DisconnectResponse>, ApiError> {
    let record = state.owned(&caller, &id).await?;
    state.manager.disconnect(&record).await?;
    let message = format!("Connection {id} disconnected and archived.");
    Ok(Json(DisconnectResponse { message }))
}
