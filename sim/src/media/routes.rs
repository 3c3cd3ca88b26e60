//! The media servers' routes (upload, CDN) and the media part of the control API.

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::cdn::MediaLimits;
use super::types::InboundMedia;
use crate::control::{ApiResult, Body};
use crate::error::SimError;
use crate::http::AppState;

pub fn routes() -> Router<AppState> {
    Router::new()
        // The upload server checks sizes itself (per type), so the body is not capped here.
        .route(
            "/mms/{kind}/{token}",
            post(upload).layer(DefaultBodyLimit::disable()),
        )
        .route("/v/t62.7118-24/{name}", get(download))
        .route(
            "/__sim/media/inbound",
            post(inbound).layer(DefaultBodyLimit::disable()),
        )
        .route("/__sim/media/expire", post(expire))
        .route(
            "/__sim/accounts/{number}/messages/{id}/media",
            get(phone_media),
        )
        .route("/__sim/media/limits", get(get_limits).put(put_limits))
        .merge(super::files::routes())
}

/// `POST /mms/<type>/<encFilehash, URL-safe base64>`: the encrypted blob; answers
/// `{url, direct_path}` as WhatsApp's upload server does.
async fn upload(
    State(s): State<AppState>,
    Path((kind, token)): Path<(String, String)>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let limit = s.core.media.limits().for_kind(&kind);
    if body.len() as u64 > limit + 32 {
        let msg = format!("{kind} larger than {limit} bytes");
        return (StatusCode::PAYLOAD_TOO_LARGE, Json(json!({"error": msg}))).into_response();
    }
    if URL_SAFE_NO_PAD.encode(Sha256::digest(&body)) != token.trim_end_matches('=') {
        let msg = "the token is not the blob's encFilehash";
        return (StatusCode::BAD_REQUEST, Json(json!({"error": msg}))).into_response();
    }
    let direct_path = s.core.media.put(body.to_vec());
    let host = headers
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1");
    let url = format!("http://{host}{direct_path}");
    Json(json!({"url": url, "direct_path": direct_path})).into_response()
}

/// The CDN: the blob, or 404 once it expired.
async fn download(State(s): State<AppState>, Path(name): Path<String>) -> Response {
    match s.core.media.get(&format!("/v/t62.7118-24/{name}")) {
        Some(blob) => (
            [(header::CONTENT_TYPE, "application/octet-stream")],
            blob.bytes.as_ref().clone(),
        )
            .into_response(),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// The phone shows (or plays) a message's media: decrypted with the keys the message carries.
async fn phone_media(
    State(s): State<AppState>,
    Path((number, id)): Path<(String, String)>,
) -> Response {
    match s.core.phone_media(&number, &id) {
        Ok((mimetype, bytes)) => ([(header::CONTENT_TYPE, mimetype)], bytes).into_response(),
        Err(why) => (
            StatusCode::NOT_FOUND,
            Json(json!({"error": {"code": "NOT_FOUND", "message": why}})),
        )
            .into_response(),
    }
}

async fn inbound(State(s): State<AppState>, Body(m): Body<InboundMedia>) -> ApiResult {
    Ok(Json(s.core.send_inbound_media(m)?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ExpireRequest {
    direct_path: String,
}

async fn expire(State(s): State<AppState>, Body(r): Body<ExpireRequest>) -> ApiResult {
    if !s.core.media.expire(&r.direct_path) {
        return Err(SimError::BadRequest(format!(
            "no blob at {}",
            r.direct_path
        )));
    }
    Ok(Json(json!({"expired": r.direct_path})))
}

async fn get_limits(State(s): State<AppState>) -> Json<MediaLimits> {
    Json(s.core.media.limits())
}

async fn put_limits(State(s): State<AppState>, Body(l): Body<MediaLimits>) -> ApiResult {
    s.core.media.set_limits(l);
    Ok(Json(json!(l)))
}
