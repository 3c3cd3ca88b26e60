//! The HTTP surface: the routes (declared once, in [`routes`]), the shared state, and the layers
//! every request passes through.

pub mod auth;
mod chat_actions;
mod chats;
mod connections;
mod contacts;
mod dashboard;
mod events;
mod groups;
mod health;
mod json;
mod keys;
mod limits;
pub mod list_batch;
mod me;
mod media;
mod message_actions;
mod messages;
mod metrics;
pub mod numbers;
pub mod openapi;
mod page_ops;
mod profile;
mod query;
pub mod routes;
mod send_parts;
mod state;
mod webhooks;

use axum::extract::{DefaultBodyLimit, MatchedPath, Request};
use axum::http::{header, HeaderName, HeaderValue, Method, StatusCode};
use axum::middleware;
use axum::Router;
use tower_http::cors::{AllowOrigin, CorsLayer};
use tower_http::trace::TraceLayer;

pub use state::AppState;

use crate::error::ApiError;

/// Large enough for the longest WhatsApp text in any script (4 bytes a character), small enough
/// that nobody streams a file into a JSON field.
pub const BODY_LIMIT_BYTES: usize = 512 * 1024;

/// The declared routes (the protected ones behind authentication), the docs page, and the
/// layers every request passes through.
pub fn router(state: AppState) -> Router {
    let (api, _) = routes::api(|handler| {
        handler.layer(middleware::from_fn_with_state(
            state.clone(),
            auth::authenticate,
        ))
    })
    .split_for_parts();
    api.merge(openapi::docs())
        .merge(dashboard::router())
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
        .allow_methods([
            Method::GET,
            Method::POST,
            Method::PUT,
            Method::PATCH,
            Method::DELETE,
        ])
        .allow_headers([
            header::CONTENT_TYPE,
            header::AUTHORIZATION,
            HeaderName::from_static("x-api-key"),
            HeaderName::from_static("idempotency-key"),
            HeaderName::from_static("last-event-id"),
        ])
}

async fn not_found() -> ApiError {
    ApiError::invalid("No such route").with_status(StatusCode::NOT_FOUND)
}

async fn method_not_allowed() -> ApiError {
    ApiError::invalid("Method not allowed on this route")
        .with_status(StatusCode::METHOD_NOT_ALLOWED)
}
