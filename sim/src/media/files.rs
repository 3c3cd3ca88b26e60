//! Plain files the simulator serves for tests and the Postman collection (a media URL to send),
//! and a redirect, so that a gateway's URL fetching can be tried without the internet.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use serde::Deserialize;

use crate::http::AppState;

/// Files by name: content type and bytes.
#[derive(Default)]
pub struct Files(Mutex<HashMap<String, (String, Bytes)>>);

impl Files {
    pub fn put(&self, name: &str, content_type: &str, bytes: Bytes) {
        let mut files = self.0.lock().unwrap_or_else(|e| e.into_inner());
        files.insert(name.to_string(), (content_type.to_string(), bytes));
    }

    fn get(&self, name: &str) -> Option<(String, Bytes)> {
        let files = self.0.lock().unwrap_or_else(|e| e.into_inner());
        files.get(name).cloned()
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route(
            "/__sim/files/{name}",
            get(get_file)
                .put(put_file)
                .layer(DefaultBodyLimit::disable()),
        )
        .route("/__sim/redirect", get(redirect))
}

/// `PUT /__sim/files/{name}`: the body, served later with the request's `Content-Type`.
async fn put_file(
    State(s): State<AppState>,
    Path(name): Path<String>,
    headers: HeaderMap,
    body: Bytes,
) -> StatusCode {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("application/octet-stream");
    s.core.files.put(&name, content_type, body);
    StatusCode::NO_CONTENT
}

async fn get_file(State(s): State<AppState>, Path(name): Path<String>) -> Response {
    match s.core.files.get(&name) {
        Some((content_type, bytes)) => {
            ([(header::CONTENT_TYPE, content_type)], bytes).into_response()
        }
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

#[derive(Deserialize)]
struct RedirectQuery {
    to: String,
}

/// `GET /__sim/redirect?to=URL`: a 302 to `to`.
async fn redirect(Query(q): Query<RedirectQuery>) -> Redirect {
    Redirect::to(&q.to)
}
