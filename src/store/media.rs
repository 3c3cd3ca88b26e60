//! Inbound media, stored once per content (its SHA-256) and indexed per message, so that
//! `GET /wa/messages/{id}/media` need not ask WhatsApp again. MongoDB keeps the bytes in the GridFS
//! bucket `media`; SQLite in files `DATA_DIR/media/<sha256>`. Kept `MEDIA_RETENTION`, then swept.

use std::path::Path;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::stream::BoxStream;

use super::{StoreError, StoreResult};

/// The index row of one message's stored media.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredMedia {
    pub connection_id: String,
    pub message_id: String,
    /// Hex SHA-256 of the bytes: the blob's name.
    pub sha256: String,
    pub mimetype: Option<String>,
    pub filename: Option<String>,
    pub size: u64,
    pub stored_at: DateTime<Utc>,
}

/// A stored blob's bytes, a chunk at a time.
pub type MediaStream = BoxStream<'static, std::io::Result<Vec<u8>>>;

/// Stored inbound media.
#[async_trait]
pub trait MediaRepo: Send + Sync {
    /// Copies `file` (whose bytes hash to `media.sha256`), streamed, into the blob store unless
    /// that blob is there already, then writes the index row (replacing an earlier one for the
    /// message). The row comes last, so no reader ever finds a half-written blob.
    async fn put_media(&self, media: &StoredMedia, file: &Path) -> StoreResult<()>;
    async fn get_media(
        &self,
        connection_id: &str,
        message_id: &str,
    ) -> StoreResult<Option<StoredMedia>>;
    /// The blob's bytes; `NotFound` when it is gone (swept meanwhile).
    async fn open_media(&self, sha256: &str) -> StoreResult<MediaStream>;
    /// Deletes the rows stored before `before`, then the blobs no row names any more; returns how
    /// many rows went.
    async fn sweep_media(&self, before: DateTime<Utc>) -> StoreResult<u64>;
}

/// Blob names become file names and GridFS ids: only a hex SHA-256 is one.
pub(super) fn check_sha256(sha256: &str) -> StoreResult<()> {
    let ok = sha256.len() == 64 && sha256.bytes().all(|b| b.is_ascii_hexdigit());
    match ok {
        true => Ok(()),
        false => Err(StoreError::Other(format!("not a SHA-256: {sha256:?}"))),
    }
}

/// Bytes read from a file or GridFS at once.
pub(super) const MEDIA_CHUNK: usize = 256 * 1024;
