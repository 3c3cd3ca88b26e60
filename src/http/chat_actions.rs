//! Acting on a chat or on the account's presence: mark a chat read, show typing or recording,
//! go online or offline (`page/actions.js`).

use axum::extract::{Path, State};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::auth::Auth;
use super::json::ApiJson;
use super::message_actions::ACTION_TIMEOUT;
use super::AppState;
use crate::domain::ChatId;
use crate::error::{ApiError, ErrorBody};

const CONNECTION_ID: &str = "The connection id returned by `POST /wa/add-number`";
const CHAT_ID: &str = "A phone number in international format or a full `…@c.us` / `…@g.us` id";

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatActionResponse {
    success: bool,
    /// The chat's WhatsApp id.
    chat_id: String,
}

/// Marks a chat read (sends read receipts for what arrived in it).
#[utoipa::path(
    post, path = "/wa/connections/{id}/chats/{chatId}/read", tag = "chat actions",
    params(("id" = String, Path, description = CONNECTION_ID), ("chatId" = String, Path, description = CHAT_ID)),
    responses(
        (status = 200, body = ChatActionResponse),
        (status = 400, description = "`INVALID_REQUEST`: not a chat id", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`; `NOT_FOUND`: WhatsApp Web has no such chat", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`", body = ErrorBody),
        (status = 502, description = "`WHATSAPP_REFUSED`; `SERVER_ERROR`", body = ErrorBody),
    )
)]
pub async fn read(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, chat_id)): Path<(String, String)>,
) -> Result<Json<ChatActionResponse>, ApiError> {
    let connection = state.owned(&caller, &id).await?;
    let chat = ChatId::parse(&chat_id).map_err(ApiError::invalid)?;
    let args = json!({"chat": chat.as_str()});
    let _: serde_json::Value = state
        .manager
        .call(&connection, "actions.read", args, ACTION_TIMEOUT)
        .await?;
    Ok(Json(ChatActionResponse {
        success: true,
        chat_id: chat.to_string(),
    }))
}

/// What the chat shows of this account.
#[derive(Debug, Clone, Copy, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ChatState {
    /// "typing…" (WhatsApp shows it about 25 s unless sent again).
    Typing,
    /// "recording audio…".
    Recording,
    /// Neither.
    Paused,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TypingRequest {
    state: ChatState,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TypingResponse {
    success: bool,
    chat_id: String,
    state: ChatState,
}

/// Shows "typing…" or "recording audio…" in a chat, or stops it.
#[utoipa::path(
    post, path = "/wa/connections/{id}/chats/{chatId}/typing", tag = "chat actions",
    params(("id" = String, Path, description = CONNECTION_ID), ("chatId" = String, Path, description = CHAT_ID)),
    request_body = TypingRequest,
    responses(
        (status = 200, body = TypingResponse),
        (status = 400, description = "`INVALID_REQUEST`: not a chat id, or `state` is not `typing`, `recording` or `paused`", body = ErrorBody),
        (status = 413, description = "`INVALID_REQUEST`: the body is too large", body = ErrorBody),
        (status = 415, description = "`INVALID_REQUEST`: not `Content-Type: application/json`", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`", body = ErrorBody),
        (status = 502, description = "`WHATSAPP_REFUSED`; `SERVER_ERROR`", body = ErrorBody),
    )
)]
pub async fn typing(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, chat_id)): Path<(String, String)>,
    ApiJson(req): ApiJson<TypingRequest>,
) -> Result<Json<TypingResponse>, ApiError> {
    let connection = state.owned(&caller, &id).await?;
    let chat = ChatId::parse(&chat_id).map_err(ApiError::invalid)?;
    let args = json!({"chat": chat.as_str(), "state": req.state});
    let _: serde_json::Value = state
        .manager
        .call(&connection, "actions.typing", args, ACTION_TIMEOUT)
        .await?;
    Ok(Json(TypingResponse {
        success: true,
        chat_id: chat.to_string(),
        state: req.state,
    }))
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceRequest {
    /// `true`: online; `false`: offline (contacts see "last seen").
    available: bool,
}

#[derive(Serialize, Deserialize, ToSchema)]
pub struct PresenceResponse {
    success: bool,
    available: bool,
}

/// Shows the account online or offline to its contacts.
#[utoipa::path(
    put, path = "/wa/connections/{id}/presence", tag = "chat actions",
    params(("id" = String, Path, description = CONNECTION_ID)),
    request_body = PresenceRequest,
    responses(
        (status = 200, body = PresenceResponse),
        (status = 400, description = "`INVALID_REQUEST`: a bad body", body = ErrorBody),
        (status = 413, description = "`INVALID_REQUEST`: the body is too large", body = ErrorBody),
        (status = 415, description = "`INVALID_REQUEST`: not `Content-Type: application/json`", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`", body = ErrorBody),
        (status = 502, description = "`WHATSAPP_REFUSED`; `SERVER_ERROR`", body = ErrorBody),
    )
)]
pub async fn presence(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<PresenceRequest>,
) -> Result<Json<PresenceResponse>, ApiError> {
    let connection = state.owned(&caller, &id).await?;
    let args = json!({"available": req.available});
    let _: serde_json::Value = state
        .manager
        .call(&connection, "actions.presence", args, ACTION_TIMEOUT)
        .await?;
    Ok(Json(PresenceResponse {
        success: true,
        available: req.available,
    }))
}
