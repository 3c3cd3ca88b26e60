//! Stored media on disk: blobs in `DATA_DIR/media/<sha256>` (written to a temp file in the same
//! folder, then renamed, so a half-written blob never carries the name), and the `media` table
//! mapping `(connection_id, message_id)` to a blob.

use std::path::{Path, PathBuf};

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::StreamExt;
use rusqlite::{params, OptionalExtension};
use tokio_util::io::ReaderStream;

use super::rows::{from_millis, millis};
use super::{map_err, SqliteStore};
use crate::store::media::{check_sha256, MEDIA_CHUNK};
use crate::store::{MediaRepo, MediaStream, StoreError, StoreResult, StoredMedia};

pub(super) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS media (
    connection_id TEXT    NOT NULL,
    message_id    TEXT    NOT NULL,
    sha256        TEXT    NOT NULL,
    mimetype      TEXT,
    filename      TEXT,
    size          INTEGER NOT NULL,
    stored_at     INTEGER NOT NULL,
    PRIMARY KEY (connection_id, message_id)
);
CREATE INDEX IF NOT EXISTS media_by_age ON media(stored_at);
CREATE INDEX IF NOT EXISTS media_by_blob ON media(sha256);
"#;

/// The folder of blobs for a `DATA_DIR`.
pub fn media_dir(data_dir: &Path) -> PathBuf {
    data_dir.join("media")
}

fn io_err(e: std::io::Error) -> StoreError {
    StoreError::Unavailable(format!("media file: {e}"))
}

impl SqliteStore {
    fn blob_path(&self, sha256: &str) -> StoreResult<PathBuf> {
        check_sha256(sha256)?;
        Ok(self.media_dir.join(sha256))
    }

    /// Copies `file` to the blob's name through a temp file in the same folder.
    async fn write_blob(&self, sha256: &str, file: &Path) -> StoreResult<()> {
        let target = self.blob_path(sha256)?;
        if tokio::fs::try_exists(&target).await.map_err(io_err)? {
            return Ok(());
        }
        let (dir, file) = (self.media_dir.clone(), file.to_owned());
        tokio::task::spawn_blocking(move || {
            std::fs::create_dir_all(&dir)?;
            let mut temp = tempfile::NamedTempFile::new_in(&dir)?;
            // std::io::copy streams through a small buffer: the file is never held whole.
            std::io::copy(&mut std::fs::File::open(file)?, temp.as_file_mut())?;
            temp.as_file().sync_all()?;
            temp.persist(&target).map_err(|e| e.error)?;
            Ok::<_, std::io::Error>(())
        })
        .await
        .map_err(|e| StoreError::Other(format!("media write task: {e}")))?
        .map_err(io_err)
    }
}

fn row_to_media(r: &rusqlite::Row<'_>) -> rusqlite::Result<(StoredMedia, i64)> {
    Ok((
        StoredMedia {
            connection_id: r.get(0)?,
            message_id: r.get(1)?,
            sha256: r.get(2)?,
            mimetype: r.get(3)?,
            filename: r.get(4)?,
            size: r.get::<_, i64>(5)? as u64,
            stored_at: DateTime::<Utc>::MIN_UTC,
        },
        r.get(6)?,
    ))
}

#[async_trait]
impl MediaRepo for SqliteStore {
    async fn put_media(&self, media: &StoredMedia, file: &Path) -> StoreResult<()> {
        self.write_blob(&media.sha256, file).await?;
        let m = media.clone();
        self.call(move |db| {
            db.execute(
                "INSERT OR REPLACE INTO media
                 (connection_id, message_id, sha256, mimetype, filename, size, stored_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    m.connection_id,
                    m.message_id,
                    m.sha256,
                    m.mimetype,
                    m.filename,
                    m.size as i64,
                    millis(m.stored_at)
                ],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn get_media(
        &self,
        connection_id: &str,
        message_id: &str,
    ) -> StoreResult<Option<StoredMedia>> {
        let (conn, id) = (connection_id.to_owned(), message_id.to_owned());
        let row = self
            .call(move |db| {
                db.query_row(
                    "SELECT connection_id, message_id, sha256, mimetype, filename, size, stored_at
                     FROM media WHERE connection_id = ?1 AND message_id = ?2",
                    params![conn, id],
                    row_to_media,
                )
                .optional()
                .map_err(map_err)
            })
            .await?;
        row.map(|(mut media, at)| {
            media.stored_at = from_millis(at)?;
            Ok(media)
        })
        .transpose()
    }

    async fn open_media(&self, sha256: &str) -> StoreResult<MediaStream> {
        let path = self.blob_path(sha256)?;
        let file = match tokio::fs::File::open(&path).await {
            Ok(file) => file,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Err(StoreError::NotFound),
            Err(e) => return Err(io_err(e)),
        };
        let chunks = ReaderStream::with_capacity(file, MEDIA_CHUNK).map(|c| c.map(Vec::from));
        Ok(chunks.boxed())
    }

    async fn sweep_media(&self, before: DateTime<Utc>) -> StoreResult<u64> {
        let (removed, orphans) = self.call(move |db| sweep_rows(db, millis(before))).await?;
        for sha in orphans {
            match tokio::fs::remove_file(self.blob_path(&sha)?).await {
                Err(e) if e.kind() != std::io::ErrorKind::NotFound => return Err(io_err(e)),
                _ => {}
            }
        }
        Ok(removed)
    }
}

/// Deletes the old rows in one transaction; returns how many, and the blobs left unnamed.
fn sweep_rows(db: &mut rusqlite::Connection, before: i64) -> StoreResult<(u64, Vec<String>)> {
    let tx = db.transaction().map_err(map_err)?;
    let shas: Vec<String> = {
        let mut stmt = tx
            .prepare("SELECT DISTINCT sha256 FROM media WHERE stored_at < ?1")
            .map_err(map_err)?;
        let rows = stmt.query_map([before], |r| r.get(0)).map_err(map_err)?;
        rows.collect::<Result<_, _>>().map_err(map_err)?
    };
    let removed = tx
        .execute("DELETE FROM media WHERE stored_at < ?1", [before])
        .map_err(map_err)?;
    let mut orphans = Vec::new();
    for sha in shas {
        let left: i64 = tx
            .query_row(
                "SELECT count(*) FROM media WHERE sha256 = ?1",
                [&sha],
                |r| r.get(0),
            )
            .map_err(map_err)?;
        if left == 0 {
            orphans.push(sha);
        }
    }
    tx.commit().map_err(map_err)?;
    Ok((removed as u64, orphans))
}
