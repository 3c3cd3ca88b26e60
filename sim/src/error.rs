//! The one error type of the simulator's API, and its HTTP shape.

use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::Json;
use serde_json::json;

/// What can go wrong when driving the simulator.
#[derive(Debug, thiserror::Error)]
pub enum SimError {
    /// The control input is not valid (the message says why).
    #[error("{0}")]
    BadRequest(String),
    /// The QR string is not `ref,noise,identity,adv,platform`.
    #[error("malformed QR string: {0}")]
    MalformedQr(String),
    /// No page is showing this QR ref.
    #[error("no page is showing this QR ref")]
    UnknownQr,
    /// The QR ref was shown once but has rotated or expired.
    #[error("this QR ref has expired (it rotated or the page went idle)")]
    StaleQr,
    /// No account with this number has ever linked a device.
    #[error("unknown account {0}: scan a QR with this number first")]
    UnknownAccount(String),
    /// The group id is not one made by `create_group`.
    #[error("unknown group {0}")]
    UnknownGroup(String),
    /// WhatsApp refused a group operation (not an admin, not a member, ...): its code and text.
    #[error("WhatsApp refused: {text} ({code})")]
    GroupRefused { code: u16, text: String },
    /// The account has no page connected right now.
    #[error("account {0} has no linked page connected")]
    NotLinked(String),
    /// The listener could not be bound.
    #[error("cannot listen on port {port}: {source}")]
    Bind {
        port: u16,
        #[source]
        source: std::io::Error,
    },
    /// Reading or writing the state folder failed.
    #[error("state folder: {0}")]
    State(String),
}

impl SimError {
    fn code(&self) -> &'static str {
        match self {
            SimError::BadRequest(_) => "BAD_REQUEST",
            SimError::MalformedQr(_) => "MALFORMED_QR",
            SimError::UnknownQr => "UNKNOWN_QR",
            SimError::StaleQr => "STALE_QR",
            SimError::UnknownAccount(_) => "UNKNOWN_ACCOUNT",
            SimError::UnknownGroup(_) => "UNKNOWN_GROUP",
            SimError::NotLinked(_) => "NOT_LINKED",
            SimError::GroupRefused { .. } => "REFUSED",
            SimError::Bind { .. } | SimError::State(_) => "INTERNAL",
        }
    }

    fn status(&self) -> StatusCode {
        match self {
            SimError::UnknownAccount(_) | SimError::UnknownGroup(_) => StatusCode::NOT_FOUND,
            SimError::NotLinked(_) => StatusCode::CONFLICT,
            SimError::GroupRefused { .. } => StatusCode::FORBIDDEN,
            SimError::Bind { .. } | SimError::State(_) => StatusCode::INTERNAL_SERVER_ERROR,
            _ => StatusCode::BAD_REQUEST,
        }
    }
}

impl IntoResponse for SimError {
    fn into_response(self) -> Response {
        let body = json!({"error": {"code": self.code(), "message": self.to_string()}});
        (self.status(), Json(body)).into_response()
    }
}
