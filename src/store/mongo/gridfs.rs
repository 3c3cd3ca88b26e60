//! Login archives as GridFS files. The connection's `sessionData` is the only pointer to a file,
//! so every change writes the new file first, swaps the pointer atomically, then deletes the file
//! the swap displaced.

use async_trait::async_trait;
use futures::io::{AsyncReadExt, AsyncWriteExt};
use mongodb::bson::{doc, Bson, Document};
use mongodb::error::{ErrorKind, GridFsErrorKind};

use super::codec::{archive_info_doc, decode_archive_info};
use super::{map_err, MongoStore};
use crate::store::checksum::{check_digest, sha256_hex};
use crate::store::{now, ArchiveInfo, ArchiveRepo, StoreError, StoreResult};

impl MongoStore {
    async fn upload(&self, connection_id: &str, file_id: &str, bytes: &[u8]) -> StoreResult<()> {
        let mut upload = self
            .archives
            .open_upload_stream(connection_id)
            .id(Bson::String(file_id.to_owned()))
            .metadata(doc! { "connectionId": connection_id })
            .await
            .map_err(map_err)?;
        let written = async {
            upload.write_all(bytes).await?;
            upload.close().await
        }
        .await;
        if let Err(e) = written {
            // Best effort: a failed upload must not leave orphan chunks behind.
            let _ = upload.abort().await;
            return Err(map_io(e));
        }
        Ok(())
    }

    /// Deletes a displaced file; a failure only leaks storage, so it is logged, not returned.
    async fn delete_file(&self, archive_id: &str) {
        match self
            .archives
            .delete(Bson::String(archive_id.to_owned()))
            .await
        {
            Ok(()) => {}
            Err(e) if is_file_not_found(&e) => {}
            Err(e) => tracing::warn!(archive_id, error = %e, "could not delete old login archive"),
        }
    }

    async fn connection_exists(&self, connection_id: &str) -> StoreResult<bool> {
        let found = self
            .connections
            .find_one(doc! { "connectionId": connection_id })
            .projection(doc! { "_id": 1 })
            .await
            .map_err(map_err)?;
        Ok(found.is_some())
    }

    /// The archive a connection points at; `None` for no record or no archive.
    async fn current_archive(&self, connection_id: &str) -> StoreResult<Option<ArchiveInfo>> {
        let found = self
            .connections
            .find_one(doc! { "connectionId": connection_id })
            .projection(doc! { "sessionData": 1 })
            .await
            .map_err(map_err)?;
        displaced(found)
    }
}

/// The `sessionData` held by a pre-image, if any.
fn displaced(before: Option<Document>) -> StoreResult<Option<ArchiveInfo>> {
    match before.as_ref().and_then(|d| d.get("sessionData")) {
        Some(Bson::Document(s)) => decode_archive_info(s).map(Some),
        _ => Ok(None),
    }
}

fn is_file_not_found(e: &mongodb::error::Error) -> bool {
    matches!(
        e.kind.as_ref(),
        ErrorKind::GridFs(GridFsErrorKind::FileNotFound { .. })
    )
}

/// GridFS streams speak `std::io`; the driver error inside keeps its meaning.
fn map_io(e: std::io::Error) -> StoreError {
    match e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<mongodb::error::Error>())
    {
        Some(inner) => map_err(inner.clone()),
        None => StoreError::Unavailable(format!("GridFS stream: {e}")),
    }
}

async fn hash(bytes: Vec<u8>) -> StoreResult<(Vec<u8>, String)> {
    tokio::task::spawn_blocking(move || {
        let sum = sha256_hex(&bytes);
        (bytes, sum)
    })
    .await
    .map_err(|e| StoreError::Other(format!("hash task failed: {e}")))
}

#[async_trait]
impl ArchiveRepo for MongoStore {
    async fn save_archive(&self, connection_id: &str, bytes: &[u8]) -> StoreResult<ArchiveInfo> {
        // Checked first so a missing record does not cost a full upload.
        if !self.connection_exists(connection_id).await? {
            return Err(StoreError::NotFound);
        }
        let (bytes, checksum) = hash(bytes.to_vec()).await?;
        let info = ArchiveInfo {
            archive_id: uuid::Uuid::now_v7().to_string(),
            size: bytes.len() as u64,
            checksum,
            saved_at: now(),
        };
        self.upload(connection_id, &info.archive_id, &bytes).await?;
        let before = self
            .connections
            .find_one_and_update(
                doc! { "connectionId": connection_id },
                doc! { "$set": { "sessionData": archive_info_doc(&info) } },
            )
            .projection(doc! { "sessionData": 1 })
            .await
            .map_err(map_err);
        let before = match before {
            Ok(Some(before)) => before,
            Ok(None) => {
                // The record vanished during the upload.
                self.delete_file(&info.archive_id).await;
                return Err(StoreError::NotFound);
            }
            Err(e) => {
                self.delete_file(&info.archive_id).await;
                return Err(e);
            }
        };
        // The new archive is in place; an unreadable old pointer only costs a leaked file.
        match displaced(Some(before)) {
            Ok(Some(old)) => self.delete_file(&old.archive_id).await,
            Ok(None) => {}
            Err(e) => tracing::warn!(connection_id, error = %e, "old sessionData unreadable"),
        }
        Ok(info)
    }

    async fn load_archive(&self, connection_id: &str) -> StoreResult<Option<Vec<u8>>> {
        let Some(info) = self.current_archive(connection_id).await? else {
            return Ok(None);
        };
        let mut download = self
            .archives
            .open_download_stream(Bson::String(info.archive_id.clone()))
            .await
            .map_err(|e| match is_file_not_found(&e) {
                true => StoreError::Corrupt(format!("archive file {} is missing", info.archive_id)),
                false => map_err(e),
            })?;
        let mut bytes = Vec::with_capacity(usize::try_from(info.size).unwrap_or(0));
        download.read_to_end(&mut bytes).await.map_err(map_io)?;
        let (bytes, checksum) = hash(bytes).await?;
        check_digest(&checksum, &info.checksum)?;
        Ok(Some(bytes))
    }

    async fn delete_archive(&self, connection_id: &str) -> StoreResult<()> {
        let before = self
            .connections
            .find_one_and_update(
                doc! { "connectionId": connection_id, "sessionData": { "$type": "object" } },
                doc! { "$set": { "sessionData": Bson::Null } },
            )
            .projection(doc! { "sessionData": 1 })
            .await
            .map_err(map_err)?;
        if let Some(old) = displaced(before)? {
            self.delete_file(&old.archive_id).await;
        }
        Ok(())
    }
}
