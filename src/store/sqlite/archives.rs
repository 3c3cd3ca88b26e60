//! Archives live in their own table; the connection row points at the current one, and each swap
//! happens in one transaction.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

use super::rows::{archive_id_of, millis};
use super::{blocking, map_err, SqliteStore};
use crate::store::checksum::{sha256_hex, verify};
use crate::store::{now, ArchiveInfo, ArchiveRepo, StoreError, StoreResult};

#[async_trait]
impl ArchiveRepo for SqliteStore {
    async fn save_archive(&self, connection_id: &str, bytes: &[u8]) -> StoreResult<ArchiveInfo> {
        let id = connection_id.to_owned();
        let bytes = bytes.to_vec();
        let (bytes, checksum) = blocking(move || {
            let sum = sha256_hex(&bytes);
            Ok((bytes, sum))
        })
        .await?;
        self.call(move |db| {
            let saved_at = now();
            let tx = db.transaction().map_err(map_err)?;
            let old = archive_id_of(&tx, &id)?.ok_or(StoreError::NotFound)?;
            tx.execute(
                "INSERT INTO archives (connection_id, size, checksum, saved_at, data)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, bytes.len() as i64, checksum, millis(saved_at), bytes],
            )
            .map_err(map_err)?;
            let new_id = tx.last_insert_rowid();
            tx.execute(
                "UPDATE connections SET archive_id = ?2 WHERE connection_id = ?1",
                params![id, new_id],
            )
            .map_err(map_err)?;
            if let Some(old) = old {
                tx.execute("DELETE FROM archives WHERE id = ?1", [old])
                    .map_err(map_err)?;
            }
            tx.commit().map_err(map_err)?;
            Ok(ArchiveInfo {
                archive_id: new_id.to_string(),
                size: bytes.len() as u64,
                checksum,
                saved_at,
            })
        })
        .await
    }

    async fn load_archive(&self, connection_id: &str) -> StoreResult<Option<Vec<u8>>> {
        let id = connection_id.to_owned();
        let found = self
            .call(move |db| {
                db.query_row(
                    "SELECT a.data, a.checksum FROM connections c
                     JOIN archives a ON a.id = c.archive_id WHERE c.connection_id = ?1",
                    [id],
                    |row| Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, String>(1)?)),
                )
                .optional()
                .map_err(map_err)
            })
            .await?;
        let Some((bytes, checksum)) = found else {
            return Ok(None);
        };
        blocking(move || verify(&bytes, &checksum).map(|()| Some(bytes))).await
    }

    async fn delete_archive(&self, connection_id: &str) -> StoreResult<()> {
        let id = connection_id.to_owned();
        self.call(move |db| {
            let tx = db.transaction().map_err(map_err)?;
            if let Some(Some(old)) = archive_id_of(&tx, &id)? {
                tx.execute(
                    "UPDATE connections SET archive_id = NULL WHERE connection_id = ?1",
                    [&id],
                )
                .map_err(map_err)?;
                tx.execute("DELETE FROM archives WHERE id = ?1", [old])
                    .map_err(map_err)?;
            }
            tx.commit().map_err(map_err)
        })
        .await
    }
}
