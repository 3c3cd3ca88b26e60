//! The HTTP surface: every route in one place, shared state, and the error mapping for the
//! session layer.

pub mod auth;
mod connections;
mod events;
mod health;
mod json;
mod keys;
mod limits;
mod messages;
mod metrics;
pub mod openapi;
mod query;
mod webhooks;

use std::sync::Arc;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware;
use axum::routing::{delete, get, post};
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

use crate::config::Config;
use crate::error::{ApiError, ErrorCode};
use crate::events::EventBus;
use crate::session::{ManagerError, SendError, SessionManager};
use crate::store::Store;

/// Large enough for the longest WhatsApp text in any script (4 bytes a character), small enough
/// that nobody streams a file into a JSON field.
pub const BODY_LIMIT_BYTES: usize = 512 * 1024;

#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub manager: Arc<SessionManager>,
    pub bus: Arc<EventBus>,
    /// Wakes the webhook dispatcher (after a replay).
    pub webhooks: Arc<tokio::sync::Notify>,
    pub security: auth::SharedSecurity,
    pub metrics: Arc<crate::metrics::Metrics>,
    /// The supervised background tasks, for `/ready`.
    pub tasks: Arc<crate::supervisor::Board>,
}

impl AppState {
    /// The connection, if it exists and the caller may see it; otherwise `SESSION_NOT_FOUND`, so
    /// another tenant's connections are indistinguishable from missing ones.
    pub async fn owned(
        &self,
        caller: &auth::Principal,
        id: &str,
    ) -> Result<crate::store::Connection, ApiError> {
        match self.manager.get(id).await {
            Ok(c) if caller.owns(&c) => Ok(c),
            Ok(_) | Err(ManagerError::NotFound(_)) => Err(ApiError::session_not_found(id)),
            Err(e) => Err(e.into()),
        }
    }
}

/// Every route [`router`] serves, as `(method, path)`: the OpenAPI document must list exactly these
/// (but `/docs`, the UI, which is not an API route).
pub const ROUTES: &[(&str, &str)] = &[
    ("POST", "/wa/add-number"),
    ("GET", "/wa/connections"),
    ("GET", "/wa/connections/{id}"),
    ("GET", "/wa/connections/{id}/qr"),
    ("GET", "/wa/connections/{id}/stats"),
    ("POST", "/wa/disconnect/{id}"),
    ("GET", "/wa/connections/{id}/webhook"),
    ("PUT", "/wa/connections/{id}/webhook"),
    ("DELETE", "/wa/connections/{id}/webhook"),
    ("GET", "/wa/connections/{id}/messages"),
    ("POST", "/wa/send/{id}"),
    ("GET", "/wa/messages/{id}"),
    ("GET", "/wa/webhooks/deliveries"),
    ("POST", "/wa/webhooks/deliveries/{id}/retry"),
    ("GET", "/wa/events"),
    ("GET", "/wa/ws"),
    ("GET", "/health"),
    ("GET", "/ready"),
    ("GET", "/metrics"),
    ("GET", "/wa/keys"),
    ("POST", "/wa/keys"),
    ("DELETE", "/wa/keys/{id}"),
    ("GET", "/openapi.json"),
    ("GET", "/docs"),
];

pub fn router(state: AppState) -> Router {
    let wa = Router::new()
        .route("/add-number", post(connections::add_number))
        .route("/connections", get(connections::list))
        .route("/connections/{id}", get(connections::get))
        .route("/connections/{id}/qr", get(connections::qr_code))
        .route("/connections/{id}/stats", get(metrics::connection_stats))
        .route("/disconnect/{id}", post(connections::disconnect))
        .route(
            "/connections/{id}/webhook",
            get(webhooks::get_webhook)
                .put(webhooks::put_webhook)
                .delete(webhooks::delete_webhook),
        )
        .route("/connections/{id}/messages", get(messages::list_messages))
        .route("/send/{id}", post(messages::send))
        .route("/messages/{id}", get(messages::get_message))
        .route("/webhooks/deliveries", get(webhooks::list_deliveries))
        .route(
            "/webhooks/deliveries/{id}/retry",
            post(webhooks::retry_delivery),
        )
        .route("/events", get(events::sse))
        .route("/ws", get(events::ws))
        .route("/keys", get(keys::list).post(keys::create))
        .route("/keys/{id}", delete(keys::revoke));
    let protected = Router::new()
        .nest("/wa", wa)
        .route("/ready", get(health::ready))
        .route("/metrics", get(metrics::metrics))
        .route_layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ));
    Router::new()
        .merge(protected)
        .route("/health", get(health::health))
        .route("/openapi.json", get(openapi::openapi_json))
        .merge(openapi::docs())
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(BODY_LIMIT_BYTES))
        .layer(cors(&state.config.security.cors_origins))
        .layer(TraceLayer::new_for_http().make_span_with(|req: &Request| {
            let route = req
                .extensions()
                .get::<MatchedPath>()
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default();
            tracing::info_span!("http", method = %req.method(), route)
        }))
        .with_state(state)
}

/// Browsers may call the API only from the listed origins (none by default).
fn cors(origins: &[String]) -> CorsLayer {
    let allowed: Vec<HeaderValue> = origins.iter().filter_map(|o| o.parse().ok()).collect();
    CorsLayer::new()
        .allow_origin(AllowOrigin::list(allowed))
        .allow_methods([Method::GET, Method::POST, Method::PUT, Method::DELETE])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            HeaderName::from_static("x-api-key"),
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("last-event-id"),
        ])
}

async fn not_found() -> ApiError {
    ApiError::new(
        StatusCode::NOT_FOUND,
        ErrorCode::InvalidRequest,
        "No such route",
    )
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::InvalidRequest,
        "Method not allowed on this route",
    )
}

impl From<ManagerError> for ApiError {
    fn from(err: ManagerError) -> Self {
        match err {
            ManagerError::NotFound(id) => Self::session_not_found(&id),
            ManagerError::LimitReached(_) => Self::new(
                StatusCode::CONFLICT,
                ErrorCode::LimitReached,
                err.to_string(),
            ),
            ManagerError::NoQr(_) => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                ErrorCode::ServerError,
                err.to_string(),
            ),
            ManagerError::Send(e) => e.into(),
            ManagerError::Store(e) => e.into(),
        }
    }
}

impl From<SendError> for ApiError {
    fn from(err: SendError) -> Self {
        let status = match err {
            SendError::NotReady(_) => return Self::not_ready(err.to_string()),
            SendError::QueueFull => {
                return Self::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    ErrorCode::RateLimited,
                    err.to_string(),
                )
            }
            SendError::NotOnWhatsapp => StatusCode::UNPROCESSABLE_ENTITY,
            SendError::Refused(_) | SendError::Failed(_) => StatusCode::BAD_GATEWAY,
        };
        Self::new(status, ErrorCode::MessageFailed, err.to_string())
    }
}
