//! One error type for the whole HTTP surface: a stable `code`, a human message and a status, always
//! rendered as `{"success":false,"error":{"code","message"}}`.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use crate::store::StoreError;

/// The documented error codes (see the README's API section).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ErrorCode {
    InvalidRequest,
    SessionNotFound,
    WhatsappNotReady,
    MessageFailed,
    ServerError,
    Unauthorized,
    Forbidden,
    RateLimited,
    Conflict,
    LimitReached,
    NotFound,
}

impl ErrorCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::InvalidRequest => "INVALID_REQUEST",
            Self::SessionNotFound => "SESSION_NOT_FOUND",
            Self::WhatsappNotReady => "WHATSAPP_NOT_READY",
            Self::MessageFailed => "MESSAGE_FAILED",
            Self::ServerError => "SERVER_ERROR",
            Self::Unauthorized => "UNAUTHORIZED",
            Self::Forbidden => "FORBIDDEN",
            Self::RateLimited => "RATE_LIMITED",
            Self::Conflict => "CONFLICT",
            Self::LimitReached => "LIMIT_REACHED",
            Self::NotFound => "NOT_FOUND",
        }
    }
}

/// The body of every non-2xx response.
#[derive(Serialize, ToSchema)]
#[schema(example = json!({"success": false, "error": {"code": "SESSION_NOT_FOUND", "message": "No connection with id 5c0e"}}))]
pub struct ErrorBody {
    /// Always `false`.
    #[schema(value_type = bool, example = false)]
    success: bool,
    error: ErrorDetail,
}

#[derive(Serialize, ToSchema)]
pub struct ErrorDetail {
    code: ErrorCode,
    /// For people; 5xx messages say nothing about the cause.
    message: String,
}

/// An error on its way to the client. 5xx messages are generic; the cause goes to the log only.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: ErrorCode,
    pub message: String,
}

impl ApiError {
    pub fn new(status: StatusCode, code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, ErrorCode::InvalidRequest, message)
    }

    pub fn session_not_found(id: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            ErrorCode::SessionNotFound,
            format!("No connection with id {id}"),
        )
    }

    /// A message, delivery or other resource that is not a connection.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, ErrorCode::NotFound, message)
    }

    pub fn not_ready(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, ErrorCode::WhatsappNotReady, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, ErrorCode::Conflict, message)
    }

    /// A server-side failure: logs `cause` and tells the client nothing about it.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "request failed");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            ErrorCode::ServerError,
            "Internal server error",
        )
    }

    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %cause, "dependency unavailable");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            ErrorCode::ServerError,
            "Service temporarily unavailable, retry later",
        )
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            success: false,
            error: ErrorDetail {
                code: self.code,
                message: self.message,
            },
        };
        (self.status, Json(body)).into_response()
    }
}

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(_) => Self::unavailable(err),
            _ => Self::internal(err),
        }
    }
}
