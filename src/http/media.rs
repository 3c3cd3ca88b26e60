//! Media in `POST /wa/send/{id}`: the `media` member of a JSON body (`{url}` or `{base64}`), or a
//! `multipart/form-data` body with a `file` part. Either way the file is spooled to a temp file
//! under `DATA_DIR`, typed, staged in the page in chunks and named by the send's `media` part.

mod body;
mod multipart;

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::AppState;
use crate::error::ApiError;
use crate::media::{self, As, MediaError, MediaFile, Resolved};
use crate::store::Connection;
use crate::whatsapp::OutgoingMessage;

pub use body::read_send_body;
pub use multipart::SendForm;

/// The media a send carries (exactly one of `url` and `base64`).
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct MediaRequest {
    /// An http(s) URL the gateway fetches (private addresses are refused unless
    /// `MEDIA_FETCH_ALLOW_PRIVATE`).
    #[schema(example = "https://example.com/invoice.pdf")]
    pub url: Option<String>,
    /// The file, base64 (or a `data:` URL).
    pub base64: Option<String>,
    /// Sniffed from the bytes when absent; bytes that contradict it are refused.
    #[schema(example = "application/pdf")]
    pub mimetype: Option<String>,
    /// Shown for documents.
    #[schema(example = "invoice.pdf")]
    pub filename: Option<String>,
    /// The caption (the top-level `message` is the caption too).
    pub caption: Option<String>,
    /// Send other than by the file's type.
    #[serde(rename = "as")]
    #[schema(value_type = Option<String>, pattern = "^(document|voice|sticker|gif)$")]
    pub as_: Option<String>,
    /// Shown once, then gone (images, video, voice).
    #[serde(default)]
    pub view_once: bool,
}

/// A file ready for the page, and how to send it.
pub struct PreparedMedia {
    pub file: MediaFile,
    pub resolved: Resolved,
    pub how: Option<As>,
    pub filename: Option<String>,
    pub view_once: bool,
}

impl PreparedMedia {
    /// The send's `media` part once the file is staged under `token`.
    pub fn part(&self, token: &str) -> serde_json::Value {
        json!({
            "token": token, "sha256": self.file.sha256, "size": self.file.len,
            "mimetype": self.resolved.mimetype, "kind": self.resolved.kind,
            "filename": self.filename, "as": self.how.map(As::name), "viewOnce": self.view_once,
        })
    }
}

/// Spools and types the media of a send: the multipart `upload`, or the JSON `media` member.
pub async fn prepare(
    state: &AppState,
    spec: &MediaRequest,
    upload: Option<(MediaFile, Option<String>)>,
) -> Result<PreparedMedia, ApiError> {
    let how = spec.as_.as_deref().map(As::parse).transpose()?;
    let (file, upload_name) = match upload {
        Some(file) => file,
        None => (spool_json(state, spec).await?, None),
    };
    let resolved = media::resolve(&file.head, spec.mimetype.as_deref(), how)?;
    Ok(PreparedMedia {
        file,
        resolved,
        how,
        filename: spec.filename.clone().or(upload_name),
        view_once: spec.view_once,
    })
}

async fn spool_json(state: &AppState, spec: &MediaRequest) -> Result<MediaFile, MediaError> {
    let dir = media::spool_dir(&state.config.data_dir);
    let limit = state.config.media.max_bytes;
    match (&spec.url, &spec.base64) {
        (Some(_), Some(_)) | (None, None) => Err(MediaError::Invalid(
            "`media` needs exactly one of `url` and `base64` (or send the file as multipart/form-data)"
                .into(),
        )),
        (None, Some(text)) => media::from_base64(&dir, limit, text).await,
        (Some(url), None) => fetch_url(url).await,
    }
}

/// URL media needs the SSRF-safe fetcher (`crate::net`), which is not on this branch yet.
async fn fetch_url(url: &str) -> Result<MediaFile, MediaError> {
    Err(MediaError::FetchFailed(format!(
        "fetching {url:?} is not available in this build"
    )))
}

/// Stages the file, sends, and lets the page drop the bytes whatever happened.
pub async fn stage_into(
    state: &AppState,
    connection: &Connection,
    prepared: &PreparedMedia,
    message: OutgoingMessage,
) -> Result<(OutgoingMessage, String), ApiError> {
    let token = media::stage(&state.manager, connection, &prepared.file).await?;
    Ok((message.with("media", prepared.part(&token)), token))
}
