//! Media in `POST /wa/send/{id}`: the `media` member of a JSON body (`{url}` or `{base64}`), or a
//! `multipart/form-data` body with a `file` part. Either way the file is spooled to a temp file
//! under `DATA_DIR`, typed, staged in the page in chunks and named by the send's `media` part.

mod body;
mod download;
mod multipart;
mod schema;
mod stored;

use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::ToSchema;

use super::AppState;
use crate::error::ApiError;
use crate::media::{self, As, MediaError, MediaFile, Resolved};
use crate::net::fetch;
use crate::store::Connection;
use crate::whatsapp::OutgoingMessage;

pub use body::read_send_body;
pub use download::{__path_get_media, get_media};
pub use multipart::SendForm;
pub use schema::SendJson;

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
    let got = match upload {
        Some((file, filename)) => Fetched {
            file,
            content_type: None,
            filename,
        },
        None => spool_json(state, spec).await?,
    };
    let claimed = spec.mimetype.as_deref().or(got.content_type.as_deref());
    let resolved = media::resolve(&got.file.head, claimed, how)?;
    Ok(PreparedMedia {
        file: got.file,
        resolved,
        how,
        filename: spec.filename.clone().or(got.filename),
        view_once: spec.view_once,
    })
}

async fn spool_json(state: &AppState, spec: &MediaRequest) -> Result<Fetched, MediaError> {
    let dir = media::spool_dir(&state.config.data_dir);
    let limit = state.config.media.max_bytes;
    match (&spec.url, &spec.base64) {
        (Some(_), Some(_)) | (None, None) => Err(MediaError::Invalid(
            "`media` needs exactly one of `url` and `base64` (or send the file as multipart/form-data)"
                .into(),
        )),
        (None, Some(text)) => Ok(Fetched {
            file: media::from_base64(&dir, limit, text).await?,
            content_type: None,
            filename: None,
        }),
        (Some(url), None) => fetch_url(state, url).await,
    }
}

/// One deadline for fetching a media URL, headers and body.
const FETCH_TIMEOUT: Duration = Duration::from_secs(120);

/// A fetched URL: the file, and what the server said its type and name are.
struct Fetched {
    file: MediaFile,
    content_type: Option<String>,
    filename: Option<String>,
}

/// Fetches a media URL through the address guard (`MEDIA_FETCH_ALLOW_PRIVATE`), capped at
/// `MEDIA_MAX_BYTES` while it streams in.
async fn fetch_url(state: &AppState, url: &str) -> Result<Fetched, MediaError> {
    let limits = fetch::Limits {
        max_bytes: state.config.media.max_bytes,
        timeout: FETCH_TIMEOUT,
    };
    let dir = media::spool_dir(&state.config.data_dir);
    tokio::fs::create_dir_all(&dir).await?;
    let policy = &state.config.security.media_sources;
    let got = fetch::fetch(url, policy, limits, &dir)
        .await
        .map_err(|e| match e {
            fetch::FetchError::TooLarge(limit) => MediaError::TooLarge { limit },
            fetch::FetchError::Refused(why) | fetch::FetchError::Failed(why) => {
                MediaError::FetchFailed(why)
            }
        })?;
    Ok(Fetched {
        file: media::from_path(got.file, got.len).await?,
        content_type: got.content_type.filter(|t| is_specific(t)),
        filename: got.filename,
    })
}

/// Servers label unknown files generically; only a specific type is taken as a claim.
fn is_specific(content_type: &str) -> bool {
    let essence = content_type.split(';').next().unwrap_or("").trim();
    !matches!(
        essence,
        "" | "application/octet-stream" | "binary/octet-stream" | "text/plain" | "text/html"
    )
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
