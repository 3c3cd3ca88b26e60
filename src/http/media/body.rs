//! Reading the body of `POST /wa/send/{id}`: JSON (which may carry base64 media, so its limit is
//! the media cap, not the global 512 KiB) or multipart/form-data.

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, HeaderMap, StatusCode};
use serde::de::DeserializeOwned;

use super::multipart;
use super::AppState;
use crate::error::ApiError;
use crate::media::MediaFile;

/// The parsed body and, for multipart, the uploaded file with its part's filename.
pub struct SendBody<T> {
    pub request: T,
    pub upload: Option<(MediaFile, Option<String>)>,
}

/// Reads the body as JSON or multipart; other content types are `415`.
pub async fn read_send_body<T: DeserializeOwned>(
    state: &AppState,
    headers: &HeaderMap,
    request: Request,
) -> Result<SendBody<T>, ApiError> {
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // Only the media type is case-insensitive: the multipart boundary must be kept as sent
    // (browsers use mixed-case ones such as `----WebKitFormBoundaryAbC…`).
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    let body = request.into_body();
    if essence == "multipart/form-data" {
        return multipart::read(state, content_type, body).await;
    }
    if essence != "application/json" && !essence.ends_with("+json") {
        return Err(ApiError::invalid(
            "Expected Content-Type: application/json or multipart/form-data",
        )
        .with_status(StatusCode::UNSUPPORTED_MEDIA_TYPE));
    }
    let request = read_json(state, body).await?;
    Ok(SendBody {
        request,
        upload: None,
    })
}

/// Base64 takes 4 characters for 3 bytes; the rest of the body is small.
fn json_limit(max_media_bytes: u64) -> usize {
    let base64 = max_media_bytes.div_ceil(3) * 4;
    usize::try_from(base64)
        .unwrap_or(usize::MAX)
        .saturating_add(super::super::BODY_LIMIT_BYTES)
}

async fn read_json<T: DeserializeOwned>(state: &AppState, body: Body) -> Result<T, ApiError> {
    let limit = json_limit(state.config.media.max_bytes);
    let bytes = axum::body::to_bytes(body, limit).await.map_err(|_| {
        ApiError::new(
            crate::error::ErrorCode::MediaTooLarge,
            "The request body is larger than MEDIA_MAX_BYTES allows",
        )
    })?;
    let axum::Json(value) = axum::Json::<T>::from_bytes(&bytes)?;
    Ok(value)
}
