//! The linked account's own profile: name, about text and picture.

use axum::extract::{Path, State};
use axum::Json;
use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::auth::Auth;
use super::json::ApiJson;
use super::page_ops::{on_page, OP_TIMEOUT};
use super::AppState;
use crate::error::{ApiError, ErrorBody};

/// WhatsApp's limits on a push name and an about text.
const MAX_NAME_CHARS: usize = 25;
const MAX_ABOUT_CHARS: usize = 139;
/// A profile picture is shown at 640 px; nobody needs more than this to make one.
pub const MAX_PICTURE_BYTES: usize = 3 * 1024 * 1024;
/// The JSON body of a picture upload: base64 is 4/3 of the bytes, plus the envelope.
pub const PICTURE_BODY_LIMIT: usize = MAX_PICTURE_BYTES / 3 * 4 + 64 * 1024;

/// The account's own profile.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileView {
    #[schema(example = "923001234567@c.us")]
    id: Option<String>,
    number: Option<String>,
    /// The push name others see.
    name: Option<String>,
    about: Option<String>,
    /// A temporary URL of the profile picture; `null` when there is none.
    profile_picture_url: Option<String>,
}

/// The linked account's profile.
#[utoipa::path(
    get, path = "/wa/connections/{id}/profile", tag = "profile",
    params(("id" = String, Path, description = "The connection id returned by `POST /wa/add-number`")),
    responses(
        (status = 200, body = ProfileView),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`: the number is not linked (yet)", body = ErrorBody),
    )
)]
pub async fn get_profile(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Json<ProfileView>, ApiError> {
    Ok(Json(
        on_page(
            &state,
            &caller,
            &id,
            "profile.get",
            Ok(json!({})),
            OP_TIMEOUT,
        )
        .await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProfilePatch {
    /// The new push name, 1-25 characters.
    #[schema(min_length = 1, max_length = 25, pattern = r"\S", example = "Alice")]
    name: Option<String>,
    /// The new about text, at most 139 characters (empty clears it).
    #[schema(max_length = 139, example = "Available")]
    about: Option<String>,
}

impl ProfilePatch {
    fn validate(&self) -> Result<(), ApiError> {
        if self.name.is_none() && self.about.is_none() {
            return Err(ApiError::invalid("give `name`, `about` or both"));
        }
        if let Some(name) = &self.name {
            if name.trim().is_empty() || name.chars().count() > MAX_NAME_CHARS {
                return Err(ApiError::invalid(format!(
                    "`name` must be 1-{MAX_NAME_CHARS} characters, not blank"
                )));
            }
        }
        if self
            .about
            .as_ref()
            .is_some_and(|a| a.chars().count() > MAX_ABOUT_CHARS)
        {
            return Err(ApiError::invalid(format!(
                "`about` is longer than {MAX_ABOUT_CHARS} characters"
            )));
        }
        Ok(())
    }
}

/// Changes the push name and/or the about text.
#[utoipa::path(
    patch, path = "/wa/connections/{id}/profile", tag = "profile",
    params(("id" = String, Path, description = "The connection id returned by `POST /wa/add-number`")),
    request_body = ProfilePatch,
    responses(
        (status = 200, description = "The profile as it is now", body = ProfileView),
        (status = 400, description = "`INVALID_REQUEST`: a bad body", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: WhatsApp does not allow a name change now", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`: the number is not linked (yet)", body = ErrorBody),
        (status = 415, description = "`INVALID_REQUEST`: not `Content-Type: application/json`", body = ErrorBody),
    )
)]
pub async fn patch_profile(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    ApiJson(patch): ApiJson<ProfilePatch>,
) -> Result<Json<ProfileView>, ApiError> {
    let args = patch
        .validate()
        .map(|()| json!({"name": patch.name, "about": patch.about}));
    Ok(Json(
        on_page(&state, &caller, &id, "profile.set", args, OP_TIMEOUT).await?,
    ))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PictureUpload {
    /// A JPEG, PNG or WebP image, base64 (or a `data:image/…;base64,` URL), at most 3 MiB;
    /// WhatsApp shows it square (cropped to the middle) at 640 px.
    #[schema(
        example = "/9j/4AAQSkZJRgABAQAAAQABAAD/2wBDAAgGBgcGBQgHBwcJCQgKDBQNDAsLDBkSEw8UHRofHh0aHBwgJC4nICIsIxwcKDcpLDAxNDQ0Hyc5PTgyPC4zNDL/wAALCAABAAEBAREA/8QAFAABAAAAAAAAAAAAAAAAAAAACf/EABQQAQAAAAAAAAAAAAAAAAAAAAD/2gAIAQEAAD8AKp//2Q=="
    )]
    image: String,
}

/// The image's type from its first bytes: only what browsers and WhatsApp both read.
fn image_type(bytes: &[u8]) -> Option<&'static str> {
    match bytes {
        [0xFF, 0xD8, 0xFF, ..] => Some("image/jpeg"),
        [0x89, b'P', b'N', b'G', ..] => Some("image/png"),
        [b'R', b'I', b'F', b'F', _, _, _, _, b'W', b'E', b'B', b'P', ..] => Some("image/webp"),
        _ => None,
    }
}

fn picture_data_url(image: &str) -> Result<String, ApiError> {
    let b64 = match image.split_once(";base64,") {
        Some((head, data)) if head.starts_with("data:") => data,
        _ => image,
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(b64.trim())
        .map_err(|_| ApiError::invalid("`image` is not base64"))?;
    if bytes.len() > MAX_PICTURE_BYTES {
        return Err(ApiError::invalid("`image` is larger than 3 MiB"));
    }
    let mime = image_type(&bytes)
        .ok_or_else(|| ApiError::invalid("`image` must be a JPEG, PNG or WebP image"))?;
    let b64 = base64::engine::general_purpose::STANDARD.encode(&bytes);
    Ok(format!("data:{mime};base64,{b64}"))
}

/// Sets the profile picture (sent as JSON: the image in base64).
#[utoipa::path(
    put, path = "/wa/connections/{id}/profile/picture", tag = "profile",
    params(("id" = String, Path, description = "The connection id returned by `POST /wa/add-number`")),
    request_body = PictureUpload,
    responses(
        (status = 200, description = "The profile as it is now", body = ProfileView),
        (status = 400, description = "`INVALID_REQUEST`: not a JPEG, PNG or WebP image in base64, or larger than 3 MiB", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`: the number is not linked (yet)", body = ErrorBody),
        (status = 413, description = "`INVALID_REQUEST`: the body is too large", body = ErrorBody),
        (status = 415, description = "`INVALID_REQUEST`: not `Content-Type: application/json`", body = ErrorBody),
    )
)]
pub async fn put_picture(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    ApiJson(upload): ApiJson<PictureUpload>,
) -> Result<Json<ProfileView>, ApiError> {
    let args = picture_data_url(&upload.image).map(|url| json!({"dataUrl": url}));
    Ok(Json(
        on_page(&state, &caller, &id, "profile.picture", args, OP_TIMEOUT).await?,
    ))
}

/// Removes the profile picture.
#[utoipa::path(
    delete, path = "/wa/connections/{id}/profile/picture", tag = "profile",
    params(("id" = String, Path, description = "The connection id returned by `POST /wa/add-number`")),
    responses(
        (status = 200, description = "The profile as it is now", body = ProfileView),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`: the number is not linked (yet)", body = ErrorBody),
    )
)]
pub async fn delete_picture(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Json<ProfileView>, ApiError> {
    let args = Ok(json!({}));
    Ok(Json(
        on_page(
            &state,
            &caller,
            &id,
            "profile.deletePicture",
            args,
            OP_TIMEOUT,
        )
        .await?,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pictures_are_recognised_by_their_bytes() {
        let png = base64::engine::general_purpose::STANDARD.encode(b"\x89PNG\r\n\x1a\nrest");
        assert!(picture_data_url(&png)
            .unwrap()
            .starts_with("data:image/png;base64,"));
        let url = format!("data:image/png;base64,{png}");
        assert!(picture_data_url(&url).is_ok());
        let gif = base64::engine::general_purpose::STANDARD.encode(b"GIF89a");
        assert!(picture_data_url(&gif).is_err());
        assert!(picture_data_url("not base64!").is_err());
    }
}
