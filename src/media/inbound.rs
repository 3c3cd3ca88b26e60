//! Inbound media into the media store: downloaded and decrypted by the page (through WhatsApp's
//! own download manager), read out in chunks into a spooled file (never whole in memory), then
//! stored once by SHA-256. Used by `GET /wa/messages/{id}/media` and by `MEDIA_AUTO_DOWNLOAD`.

use std::path::Path;
use std::time::Duration;

use serde::Deserialize;
use serde_json::json;

use super::{MediaFile, Spool};
use crate::error::ApiError;
use crate::session::{ManagerError, PageError, SessionManager};
use crate::store::{now, Connection, Store, StoredMedia};

/// Downloading from WhatsApp's CDN and decrypting can take a while for large files.
const DOWNLOAD_TIMEOUT: Duration = Duration::from_secs(120);
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// What the page says about the file it downloaded.
#[derive(Debug, Deserialize)]
pub struct Downloaded {
    token: String,
    pub size: u64,
    pub mimetype: Option<String>,
    pub filename: Option<String>,
}

#[derive(Deserialize)]
struct Chunk {
    data: String,
}

/// Downloads a message's media through the page into a spooled file; the page drops its copy
/// whatever happened.
pub async fn download(
    manager: &SessionManager,
    data_dir: &Path,
    connection: &Connection,
    id: &str,
) -> Result<(MediaFile, Downloaded), ApiError> {
    let args = json!({"id": id});
    let got: Downloaded = manager
        .call(connection, "media.download", args, DOWNLOAD_TIMEOUT)
        .await?;
    let spooled = spool(manager, data_dir, connection, &got).await;
    super::release(manager, connection, &got.token).await;
    Ok((spooled?, got))
}

/// Reads the page's copy out chunk by chunk into a spooled file.
async fn spool(
    manager: &SessionManager,
    data_dir: &Path,
    connection: &Connection,
    got: &Downloaded,
) -> Result<MediaFile, ApiError> {
    let page = manager.page(connection).await?;
    let mut spool = Spool::new(&super::spool_dir(data_dir), got.size.max(1)).await?;
    let mut at = 0u64;
    while at < got.size {
        let args = json!({"token": got.token, "offset": at, "len": super::CHUNK_BYTES});
        let value = page
            .call("media.read", args, READ_TIMEOUT)
            .await
            .map_err(PageError::from)
            .map_err(ManagerError::from)?;
        let chunk: Chunk = serde_json::from_value(value).map_err(ApiError::internal)?;
        let bytes = base64::Engine::decode(&base64::engine::general_purpose::STANDARD, chunk.data)
            .map_err(ApiError::internal)?;
        if bytes.is_empty() {
            return Err(ApiError::internal("media.read answered no bytes"));
        }
        at += bytes.len() as u64;
        spool.write(&bytes).await?;
    }
    Ok(spool.finish().await?)
}

/// Stores a downloaded file for the message; a failure only costs a later re-download, so it is
/// logged, not returned.
pub async fn keep(
    store: &dyn Store,
    connection_id: &str,
    message_id: &str,
    file: &MediaFile,
    meta: &Downloaded,
) {
    let row = StoredMedia {
        connection_id: connection_id.to_owned(),
        message_id: message_id.to_owned(),
        sha256: file.sha256.clone(),
        mimetype: meta.mimetype.clone(),
        filename: meta.filename.clone(),
        size: file.len,
        stored_at: now(),
    };
    if let Err(e) = store.put_media(&row, &file.path).await {
        tracing::warn!(connection_id, message_id, error = %e, "could not store media");
    }
}
