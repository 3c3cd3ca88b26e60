//! Stored media in MongoDB: blobs in the GridFS bucket `media` with the SHA-256 as file id, and
//! the `mediaIndex` collection mapping `(connectionId, messageId)` to a blob. The upload is
//! closed before the index document is written, so a half-written blob is never named.

use std::path::Path;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::io::{AsyncReadExt, AsyncWriteExt};
use futures::StreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::error::{ErrorKind, GridFsErrorKind};
use tokio::io::AsyncReadExt as _;

use super::codec::{date, required_date};
use super::{map_err, MongoStore};
use crate::store::media::{check_sha256, MEDIA_CHUNK};
use crate::store::{MediaRepo, MediaStream, StoreError, StoreResult, StoredMedia};

/// GridFS bucket holding media blobs.
pub const MEDIA_BUCKET: &str = "media";

fn io_err(e: std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("media upload: {e}"))
}

fn is_file_not_found(e: &mongodb::error::Error) -> bool {
    matches!(
        e.kind.as_ref(),
        ErrorKind::GridFs(GridFsErrorKind::FileNotFound { .. })
    )
}

impl MongoStore {
    async fn blob_exists(&self, sha256: &str) -> StoreResult<bool> {
        let found = self
            .media_blobs
            .find_one(doc! { "_id": sha256 })
            .await
            .map_err(map_err)?;
        Ok(found.is_some())
    }

    /// Streams `file` into GridFS under the SHA-256, a chunk at a time.
    async fn upload_blob(&self, sha256: &str, file: &Path) -> StoreResult<()> {
        let mut source = tokio::fs::File::open(file).await.map_err(io_err)?;
        let mut upload = self
            .media_blobs
            .open_upload_stream(sha256)
            .id(Bson::String(sha256.to_owned()))
            .await
            .map_err(map_err)?;
        let written = async {
            let mut buf = vec![0u8; MEDIA_CHUNK];
            loop {
                let n = source.read(&mut buf).await?;
                if n == 0 {
                    break;
                }
                upload.write_all(&buf[..n]).await?;
            }
            upload.close().await
        }
        .await;
        if let Err(e) = written {
            let _ = upload.abort().await;
            // Another writer finishing the same blob first is as good as this one finishing.
            if self.blob_exists(sha256).await? {
                return Ok(());
            }
            return Err(io_err(e));
        }
        Ok(())
    }

    async fn delete_blob(&self, sha256: &str) -> StoreResult<()> {
        match self.media_blobs.delete(Bson::String(sha256.into())).await {
            Err(e) if !is_file_not_found(&e) => Err(map_err(e)),
            _ => Ok(()),
        }
    }
}

fn media_doc(m: &StoredMedia) -> Document {
    doc! {
        "connectionId": &m.connection_id, "messageId": &m.message_id, "sha256": &m.sha256,
        "mimetype": m.mimetype.clone(), "filename": m.filename.clone(),
        "size": m.size as i64, "storedAt": date(m.stored_at),
    }
}

fn decode_media(d: &Document) -> StoreResult<StoredMedia> {
    let bad = |e: mongodb::bson::document::ValueAccessError| StoreError::Corrupt(e.to_string());
    let text = |k: &str| d.get_str(k).ok().map(str::to_owned);
    Ok(StoredMedia {
        connection_id: d.get_str("connectionId").map_err(bad)?.to_owned(),
        message_id: d.get_str("messageId").map_err(bad)?.to_owned(),
        sha256: d.get_str("sha256").map_err(bad)?.to_owned(),
        mimetype: text("mimetype"),
        filename: text("filename"),
        size: d.get_i64("size").map_err(bad)? as u64,
        stored_at: required_date(d, "storedAt")?,
    })
}

#[async_trait]
impl MediaRepo for MongoStore {
    async fn put_media(&self, media: &StoredMedia, file: &Path) -> StoreResult<()> {
        check_sha256(&media.sha256)?;
        if !self.blob_exists(&media.sha256).await? {
            self.upload_blob(&media.sha256, file).await?;
        }
        let key = doc! { "connectionId": &media.connection_id, "messageId": &media.message_id };
        self.media_index
            .replace_one(key, media_doc(media))
            .upsert(true)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn get_media(
        &self,
        connection_id: &str,
        message_id: &str,
    ) -> StoreResult<Option<StoredMedia>> {
        let key = doc! { "connectionId": connection_id, "messageId": message_id };
        let found = self.media_index.find_one(key).await.map_err(map_err)?;
        found.as_ref().map(decode_media).transpose()
    }

    async fn open_media(&self, sha256: &str) -> StoreResult<MediaStream> {
        check_sha256(sha256)?;
        let download = self
            .media_blobs
            .open_download_stream(Bson::String(sha256.to_owned()))
            .await
            .map_err(|e| match is_file_not_found(&e) {
                true => StoreError::NotFound,
                false => map_err(e),
            })?;
        let chunks = futures::stream::try_unfold(download, |mut download| async move {
            let mut buf = vec![0u8; MEDIA_CHUNK];
            let n = download.read(&mut buf).await?;
            buf.truncate(n);
            Ok((n > 0).then_some((buf, download)))
        });
        Ok(chunks.boxed())
    }

    async fn sweep_media(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let old = doc! { "storedAt": { "$lt": date(before) } };
        let shas: Vec<Bson> = self
            .media_index
            .distinct("sha256", old.clone())
            .await
            .map_err(map_err)?;
        let removed = self
            .media_index
            .delete_many(old)
            .await
            .map_err(map_err)?
            .deleted_count;
        for sha in shas.iter().filter_map(Bson::as_str) {
            let left = self
                .media_index
                .count_documents(doc! { "sha256": sha })
                .await
                .map_err(map_err)?;
            if left == 0 {
                self.delete_blob(sha).await?;
            }
        }
        Ok(removed)
    }
}
