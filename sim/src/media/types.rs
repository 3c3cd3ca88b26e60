//! Media types of the control API.

use serde::{Deserialize, Serialize};

/// What the servers found when they opened the media of a sent message.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentMedia {
    /// Hex SHA-256 of the decrypted bytes.
    pub sha256: String,
    /// Decrypted length in bytes.
    pub size: u64,
    /// The message's `mimetype`.
    pub mimetype: Option<String>,
    /// The message's `filename` (documents).
    pub filename: Option<String>,
    /// The blob's `directPath`.
    pub direct_path: String,
    /// Why the blob could not be opened (missing, bad MAC, `filehash` mismatch); `None` when fine.
    pub error: Option<String>,
}

/// A media message a phone sends to an account (`POST /__sim/media/inbound`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundMedia {
    /// The receiving account's number.
    pub to: String,
    /// The sender's number.
    pub from: String,
    /// `image`, `video`, `audio`, `ptt`, `document` or `sticker`.
    pub kind: String,
    /// The media's mimetype.
    pub mimetype: String,
    /// The plain bytes, base64.
    pub data: String,
    #[serde(default)]
    pub filename: Option<String>,
    #[serde(default)]
    pub caption: Option<String>,
    /// Group id (`…@g.us`) when sent in a group.
    #[serde(default)]
    pub group: Option<String>,
    #[serde(default)]
    pub push_name: Option<String>,
    /// Seconds (audio, video).
    #[serde(default)]
    pub duration: Option<u32>,
    #[serde(default)]
    pub width: Option<u32>,
    #[serde(default)]
    pub height: Option<u32>,
    #[serde(default)]
    pub view_once: bool,
    /// Drill: the page's `mediaData.mediaStage` starts here (`RESOLVED` when absent, or
    /// `REUPLOADING`).
    #[serde(default)]
    pub stage: Option<String>,
}

impl InboundMedia {
    /// `bytes` of `kind` with `mimetype`, from `from` (a number) to the account `to`; nothing else
    /// set (add a caption, a filename, … with struct update syntax).
    pub fn new(to: &str, from: &str, kind: &str, mimetype: &str, bytes: &[u8]) -> Self {
        use base64::Engine;
        InboundMedia {
            to: to.to_string(),
            from: from.to_string(),
            kind: kind.to_string(),
            mimetype: mimetype.to_string(),
            data: base64::engine::general_purpose::STANDARD.encode(bytes),
            filename: None,
            caption: None,
            group: None,
            push_name: None,
            duration: None,
            width: None,
            height: None,
            view_once: false,
            stage: None,
        }
    }
}
