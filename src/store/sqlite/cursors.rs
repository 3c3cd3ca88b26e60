//! Named cursors: one row per name, overwritten in place.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

use super::rows::millis;
use super::{map_err, SqliteStore};
use crate::store::{now, CursorRepo, StoreResult};

#[async_trait]
impl CursorRepo for SqliteStore {
    async fn get_cursor(&self, name: &str) -> StoreResult<Option<String>> {
        let name = name.to_owned();
        self.call(move |db| {
            db.query_row("SELECT value FROM cursors WHERE name = ?1", [name], |row| {
                row.get(0)
            })
            .optional()
            .map_err(map_err)
        })
        .await
    }

    async fn set_cursor(&self, name: &str, value: &str) -> StoreResult<()> {
        let (name, value) = (name.to_owned(), value.to_owned());
        self.call(move |db| {
            db.execute(
                "INSERT INTO cursors (name, value, updated_at) VALUES (?1, ?2, ?3)
                 ON CONFLICT (name) DO UPDATE SET value = excluded.value,
                    updated_at = excluded.updated_at",
                params![name, value, millis(now())],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }
}
