//! `POST /wa/send/:connectionId`.

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::json::ApiJson;
use super::AppState;
use crate::domain::ChatId;
use crate::error::ApiError;

/// WhatsApp refuses longer texts.
pub const MAX_MESSAGE_CHARS: usize = 65_536;

#[derive(Deserialize)]
pub struct SendRequest {
    to: String,
    message: String,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct SendResponse {
    success: bool,
    message_id: String,
    timestamp: DateTime<Utc>,
}

pub async fn send(
    State(state): State<AppState>,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<SendRequest>,
) -> Result<Json<SendResponse>, ApiError> {
    let to = ChatId::parse(&req.to).map_err(ApiError::invalid)?;
    validate_message(&req.message)?;
    let sent = state.manager.send(&id, to, req.message).await?;
    Ok(Json(SendResponse {
        success: true,
        message_id: sent.message_id,
        timestamp: DateTime::from_timestamp(sent.timestamp, 0).unwrap_or_else(Utc::now),
    }))
}

fn validate_message(message: &str) -> Result<(), ApiError> {
    if message.trim().is_empty() {
        return Err(ApiError::invalid("`message` must not be empty"));
    }
    if message.chars().count() > MAX_MESSAGE_CHARS {
        return Err(ApiError::invalid(format!(
            "`message` is longer than {MAX_MESSAGE_CHARS} characters"
        )));
    }
    Ok(())
}
