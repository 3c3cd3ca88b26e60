//! Idempotency keys. A claim is one `INSERT OR IGNORE` on the `(connection_id, key)` primary key,
//! so two racing requests cannot both win; the loser reads what holds the key.

use async_trait::async_trait;
use rusqlite::params;

use super::rows::{from_json, millis, to_json};
use super::{map_err, SqliteStore};
use crate::store::{now, IdempotencyClaim, IdempotencyRepo, StoreError, StoreResult};

#[async_trait]
impl IdempotencyRepo for SqliteStore {
    async fn claim_idempotency(
        &self,
        connection_id: &str,
        key: &str,
        fingerprint: &str,
    ) -> StoreResult<IdempotencyClaim> {
        let (conn, key, fingerprint) = (
            connection_id.to_owned(),
            key.to_owned(),
            fingerprint.to_owned(),
        );
        self.call(move |db| {
            let inserted = db
                .execute(
                    "INSERT INTO idempotency (connection_id, key, fingerprint, created_at)
                     VALUES (?1, ?2, ?3, ?4) ON CONFLICT DO NOTHING",
                    params![conn, key, fingerprint, millis(now())],
                )
                .map_err(map_err)?;
            if inserted == 1 {
                return Ok(IdempotencyClaim::Claimed);
            }
            // The same connection runs both statements, so the row cannot vanish in between.
            let (held_by, response, completed_at) = db
                .query_row(
                    "SELECT fingerprint, response, completed_at FROM idempotency
                     WHERE connection_id = ?1 AND key = ?2",
                    [&conn, &key],
                    |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, Option<String>>(1)?,
                            row.get::<_, Option<i64>>(2)?,
                        ))
                    },
                )
                .map_err(map_err)?;
            if held_by != fingerprint {
                return Ok(IdempotencyClaim::Mismatch);
            }
            match (completed_at, response) {
                (Some(_), Some(json)) => Ok(IdempotencyClaim::Completed(from_json(
                    "idempotency response",
                    &json,
                )?)),
                _ => Ok(IdempotencyClaim::InProgress),
            }
        })
        .await
    }

    async fn complete_idempotency(
        &self,
        connection_id: &str,
        key: &str,
        response: &serde_json::Value,
    ) -> StoreResult<()> {
        let (conn, key, response) = (connection_id.to_owned(), key.to_owned(), to_json(response)?);
        self.call(move |db| {
            let n = db
                .execute(
                    "UPDATE idempotency SET response = ?3, completed_at = ?4
                     WHERE connection_id = ?1 AND key = ?2",
                    params![conn, key, response, millis(now())],
                )
                .map_err(map_err)?;
            match n {
                0 => Err(StoreError::NotFound),
                _ => Ok(()),
            }
        })
        .await
    }

    async fn release_idempotency(&self, connection_id: &str, key: &str) -> StoreResult<()> {
        let (conn, key) = (connection_id.to_owned(), key.to_owned());
        self.call(move |db| {
            // A completed key keeps its response: only a running claim can be given up.
            db.execute(
                "DELETE FROM idempotency
                 WHERE connection_id = ?1 AND key = ?2 AND completed_at IS NULL",
                [conn, key],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }
}
