//! One error type for the whole HTTP surface: a stable `code` (which decides the status), a human
//! message and, when known, how long to wait; always rendered as
//! `{"success":false,"error":{"code","message"}}`. Every conversion from another error is in
//! `error/convert.rs`.

mod convert;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

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
    WhatsappRefused,
}

impl ErrorCode {
    /// The HTTP status this code is answered with, unless [`ApiError::with_status`] says more.
    pub fn status(self) -> StatusCode {
        match self {
            Self::InvalidRequest => StatusCode::BAD_REQUEST,
            Self::SessionNotFound | Self::NotFound => StatusCode::NOT_FOUND,
            Self::WhatsappNotReady | Self::Conflict | Self::LimitReached => StatusCode::CONFLICT,
            Self::MessageFailed | Self::WhatsappRefused => StatusCode::BAD_GATEWAY,
            Self::ServerError => StatusCode::INTERNAL_SERVER_ERROR,
            Self::Unauthorized => StatusCode::UNAUTHORIZED,
            Self::Forbidden => StatusCode::FORBIDDEN,
            Self::RateLimited => StatusCode::TOO_MANY_REQUESTS,
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
    status: StatusCode,
    code: ErrorCode,
    message: String,
    /// Seconds the client should wait before trying again (`Retry-After`).
    retry_after: Option<u64>,
}

impl ApiError {
    /// An error with the status its code stands for.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            status: code.status(),
            code,
            message: message.into(),
            retry_after: None,
        }
    }

    /// For the few cases where the status says more than the code (`413` or `415` for an
    /// `INVALID_REQUEST`, `422` for a `MESSAGE_FAILED`, `503` for a `SERVER_ERROR`).
    pub fn with_status(mut self, status: StatusCode) -> Self {
        self.status = status;
        self
    }

    pub fn invalid(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::InvalidRequest, message)
    }

    pub fn session_not_found(id: &str) -> Self {
        Self::new(
            ErrorCode::SessionNotFound,
            format!("No connection with id {id}"),
        )
    }

    /// A message, delivery or other resource that is not a connection.
    pub fn not_found(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::NotFound, message)
    }

    pub fn not_ready(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::WhatsappNotReady, message)
    }

    pub fn conflict(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Conflict, message)
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    /// `429 RATE_LIMITED`, telling the client when to come back if we know.
    pub fn rate_limited(message: impl Into<String>, retry_after_secs: Option<u64>) -> Self {
        Self {
            retry_after: retry_after_secs,
            ..Self::new(ErrorCode::RateLimited, message)
        }
    }

    /// A server-side failure: logs `cause` and tells the client nothing about it.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "request failed");
        Self::new(ErrorCode::ServerError, "Internal server error")
    }

    pub fn unavailable(cause: impl std::fmt::Display) -> Self {
        tracing::warn!(error = %cause, "dependency unavailable");
        Self::new(
            ErrorCode::ServerError,
            "Service temporarily unavailable, retry later",
        )
        .with_status(StatusCode::SERVICE_UNAVAILABLE)
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
        let mut response = (self.status, Json(body)).into_response();
        if let Some(secs) = self.retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        response
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_code_decides_the_status_unless_told_otherwise() {
        let error = ApiError::new(ErrorCode::SessionNotFound, "gone");
        assert_eq!(error.into_response().status(), StatusCode::NOT_FOUND);
        let large = ApiError::invalid("too large").with_status(StatusCode::PAYLOAD_TOO_LARGE);
        assert_eq!(
            large.into_response().status(),
            StatusCode::PAYLOAD_TOO_LARGE
        );
    }

    #[test]
    fn a_known_wait_travels_as_retry_after() {
        let response = ApiError::rate_limited("slow down", Some(7)).into_response();
        assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
        assert_eq!(response.headers()[header::RETRY_AFTER], "7");
    }
}
