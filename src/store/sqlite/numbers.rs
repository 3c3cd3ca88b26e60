//! Number checks: one row per `(connection_id, number)`, replaced on every new answer.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::params;

use super::rows::{from_millis, millis};
use super::{map_err, SqliteStore};
use crate::store::{NumberCheck, NumberCheckRepo, StoreResult};

pub(super) const SCHEMA: &str = r#"
-- IF NOT EXISTS: a file taken back to an older schema version may still hold the table.
CREATE TABLE IF NOT EXISTS number_checks (
    connection_id TEXT    NOT NULL,
    number        TEXT    NOT NULL,
    exists_on_wa  INTEGER NOT NULL,
    wa_id         TEXT,
    lid           TEXT,
    checked_at    INTEGER NOT NULL,
    PRIMARY KEY (connection_id, number)
);
"#;

#[async_trait]
impl NumberCheckRepo for SqliteStore {
    async fn put_number_checks(
        &self,
        connection_id: &str,
        checks: &[NumberCheck],
    ) -> StoreResult<()> {
        let (conn, checks) = (connection_id.to_owned(), checks.to_vec());
        self.call(move |db| {
            let tx = db.transaction().map_err(map_err)?;
            for c in &checks {
                tx.execute(
                    "INSERT OR REPLACE INTO number_checks
                     (connection_id, number, exists_on_wa, wa_id, lid, checked_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![conn, c.number, c.exists, c.id, c.lid, millis(c.checked_at)],
                )
                .map_err(map_err)?;
            }
            tx.commit().map_err(map_err)
        })
        .await
    }

    async fn get_number_checks(
        &self,
        connection_id: &str,
        numbers: &[String],
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<NumberCheck>> {
        let (conn, numbers) = (connection_id.to_owned(), numbers.to_vec());
        self.call(move |db| {
            let mut stmt = db
                .prepare_cached(
                    "SELECT exists_on_wa, wa_id, lid, checked_at FROM number_checks
                     WHERE connection_id = ?1 AND number = ?2 AND checked_at >= ?3",
                )
                .map_err(map_err)?;
            let mut out = Vec::new();
            for number in numbers {
                let row = stmt.query_row(params![conn, number, millis(since)], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get::<_, i64>(3)?))
                });
                let (exists, id, lid, at) = match row {
                    Ok(row) => row,
                    Err(rusqlite::Error::QueryReturnedNoRows) => continue,
                    Err(e) => return Err(map_err(e)),
                };
                let checked_at = from_millis(at)?;
                out.push(NumberCheck {
                    number,
                    exists,
                    id,
                    lid,
                    checked_at,
                });
            }
            Ok(out)
        })
        .await
    }
}
