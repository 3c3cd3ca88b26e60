//! The media of a message as events and the API describe it.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A message's media: what it is, and where the gateway serves its bytes.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageMedia {
    #[schema(example = "application/pdf")]
    pub mimetype: Option<String>,
    /// Documents' file name.
    pub filename: Option<String>,
    /// Bytes.
    pub size: Option<u64>,
    /// Hex SHA-256 of the plain bytes (WhatsApp's `filehash`).
    pub sha256: Option<String>,
    /// `GET` it to download the bytes (`/wa/messages/{id}/media`).
    #[serde(default)]
    pub url: Option<String>,
    pub caption: Option<String>,
    /// Seconds (audio, video).
    pub duration: Option<f64>,
    pub width: Option<u32>,
    pub height: Option<u32>,
    /// The bytes, base64: only in webhook deliveries of `message`, when the media was stored on
    /// arrival (`MEDIA_AUTO_DOWNLOAD`) and is at most `WEBHOOK_INLINE_MEDIA_MAX` bytes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<String>,
}

impl MessageMedia {
    /// With `url` pointing at the download route of message `id`.
    pub fn served_as(mut self, id: Option<&str>) -> Self {
        self.url = id.map(|id| format!("/wa/messages/{id}/media"));
        self
    }
}
