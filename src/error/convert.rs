//! Every conversion into [`ApiError`]: what each failure of the layers below, and each rejection
//! of axum's extractors, means to a client.

use axum::extract::rejection::{JsonRejection, QueryRejection};
use axum::extract::ws::rejection::WebSocketUpgradeRejection;
use axum::http::StatusCode;

use super::{ApiError, ErrorCode};
use crate::session::{ManagerError, PageError, SendError};
use crate::store::StoreError;

impl From<StoreError> for ApiError {
    fn from(err: StoreError) -> Self {
        match err {
            StoreError::Unavailable(_) => Self::unavailable(err),
            _ => Self::internal(err),
        }
    }
}

impl From<ManagerError> for ApiError {
    fn from(err: ManagerError) -> Self {
        match err {
            ManagerError::NotFound(id) => Self::session_not_found(&id),
            ManagerError::LimitReached(_) => Self::new(ErrorCode::LimitReached, err.to_string()),
            ManagerError::NoQr(_) | ManagerError::WaWebUnavailable(_) => {
                Self::new(ErrorCode::ServerError, err.to_string())
                    .with_status(StatusCode::SERVICE_UNAVAILABLE)
            }
            ManagerError::KeyInProgress | ManagerError::KeyReused => {
                Self::conflict(err.to_string())
            }
            ManagerError::Send(e) => e.into(),
            ManagerError::Page(e) => e.into(),
            ManagerError::Store(e) => e.into(),
        }
    }
}

impl From<SendError> for ApiError {
    fn from(err: SendError) -> Self {
        let message = err.to_string();
        match err {
            SendError::NotReady(_) => Self::not_ready(message),
            SendError::QueueFull => Self::rate_limited(message, None),
            SendError::NotOnWhatsapp => Self::new(ErrorCode::MessageFailed, message)
                .with_status(StatusCode::UNPROCESSABLE_ENTITY),
            SendError::Refused(_) | SendError::Failed(_) => {
                Self::new(ErrorCode::MessageFailed, message)
            }
            SendError::Rejected { code, message } => PageError::Refused { code, message }.into(),
        }
    }
}

/// The page's codes that name an API error; any other is WhatsApp's own refusal.
impl From<PageError> for ApiError {
    fn from(err: PageError) -> Self {
        let (code, message) = match err {
            PageError::Refused { code, message } => (code, message),
            PageError::Failed(cause) => {
                tracing::warn!(%cause, "page operation failed");
                let why = "WhatsApp Web did not complete the request; retry later";
                return Self::new(ErrorCode::ServerError, why).with_status(StatusCode::BAD_GATEWAY);
            }
        };
        match code.as_str() {
            "NOT_FOUND" => Self::not_found(message),
            "FORBIDDEN" => Self::forbidden(message),
            "INVALID_REQUEST" => Self::invalid(message),
            "CONFLICT" => Self::conflict(message),
            "UNKNOWN_OP" => Self::internal(message),
            "INCOMPATIBLE" => {
                Self::new(ErrorCode::ServerError, message).with_status(StatusCode::BAD_GATEWAY)
            }
            _ => Self::new(ErrorCode::WhatsappRefused, format!("{message} ({code})")),
        }
    }
}

/// A JSON body that is missing, too large, not JSON or not the expected shape.
impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let too_large = matches!(&rejection, JsonRejection::BytesRejection(r)
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE);
        match rejection {
            JsonRejection::MissingJsonContentType(_) => {
                Self::invalid("Expected a JSON body with Content-Type: application/json")
                    .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE)
            }
            _ if too_large => Self::invalid("The request body is too large")
                .with_status(StatusCode::PAYLOAD_TOO_LARGE),
            other => Self::invalid(other.body_text()),
        }
    }
}

impl From<QueryRejection> for ApiError {
    fn from(rejection: QueryRejection) -> Self {
        Self::invalid(rejection.body_text())
    }
}

/// Not a WebSocket upgrade request (`400`, `405`), or one that cannot be upgraded (`426`).
impl From<WebSocketUpgradeRejection> for ApiError {
    fn from(rejection: WebSocketUpgradeRejection) -> Self {
        Self::invalid(rejection.body_text()).with_status(rejection.status())
    }
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse;

    use super::*;

    fn status_and_code(err: impl Into<ApiError>) -> (StatusCode, ErrorCode) {
        let err = err.into();
        (err.status, err.code)
    }

    #[test]
    fn send_failures_keep_their_documented_statuses() {
        let cases = [
            (SendError::NotReady("x".into()), StatusCode::CONFLICT),
            (SendError::NotOnWhatsapp, StatusCode::UNPROCESSABLE_ENTITY),
            (SendError::Refused("x".into()), StatusCode::BAD_GATEWAY),
            (SendError::Failed("x".into()), StatusCode::BAD_GATEWAY),
            (SendError::QueueFull, StatusCode::TOO_MANY_REQUESTS),
        ];
        for (err, status) in cases {
            assert_eq!(status_and_code(err.clone()).0, status, "{err:?}");
        }
        let full = ApiError::from(SendError::QueueFull).into_response();
        assert!(
            full.headers().get("retry-after").is_none(),
            "no wait is known"
        );
    }

    #[test]
    fn an_idempotency_key_in_use_or_reused_is_a_conflict() {
        for err in [ManagerError::KeyInProgress, ManagerError::KeyReused] {
            let expected = (StatusCode::CONFLICT, ErrorCode::Conflict);
            assert_eq!(status_and_code(err), expected);
        }
        let limit = status_and_code(ManagerError::LimitReached(3));
        assert_eq!(limit, (StatusCode::CONFLICT, ErrorCode::LimitReached));
        let unavailable = (StatusCode::SERVICE_UNAVAILABLE, ErrorCode::ServerError);
        let no_qr = status_and_code(ManagerError::NoQr("timed out".into()));
        assert_eq!(no_qr, unavailable);
        let reason = "WA_WEB_UNAVAILABLE: HTTP 503 at http://127.0.0.1:9/";
        let err = ApiError::from(ManagerError::WaWebUnavailable(reason.into()));
        assert_eq!((err.status, err.code), unavailable);
        assert!(err.message.contains(reason), "{}", err.message);
        assert!(err.message.contains("WA_WEB_URL"), "{}", err.message);
    }
}
