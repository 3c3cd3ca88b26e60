//! Sleep states: one row per connection, replaced on every change.

use async_trait::async_trait;
use rusqlite::params;

use super::rows::{from_millis, millis};
use super::{map_err, SqliteStore};
use crate::store::{SleepRecord, SleepRepo, StoreResult};

pub(super) const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS sleep (
    connection_id TEXT    PRIMARY KEY NOT NULL,
    asleep        INTEGER NOT NULL,
    last_awake    INTEGER,
    next_wake     INTEGER
);
"#;

type Row = (String, bool, Option<i64>, Option<i64>);

fn decode((connection_id, asleep, last, next): Row) -> StoreResult<SleepRecord> {
    Ok(SleepRecord {
        connection_id,
        asleep,
        last_awake: last.map(from_millis).transpose()?,
        next_wake: next.map(from_millis).transpose()?,
    })
}

#[async_trait]
impl SleepRepo for SqliteStore {
    async fn put_sleep(&self, record: &SleepRecord) -> StoreResult<()> {
        let r = record.clone();
        self.call(move |db| {
            db.execute(
                "INSERT OR REPLACE INTO sleep (connection_id, asleep, last_awake, next_wake)
                 VALUES (?1, ?2, ?3, ?4)",
                params![
                    r.connection_id,
                    r.asleep,
                    r.last_awake.map(millis),
                    r.next_wake.map(millis)
                ],
            )
            .map(|_| ())
            .map_err(map_err)
        })
        .await
    }

    async fn list_sleep(&self) -> StoreResult<Vec<SleepRecord>> {
        self.call(|db| {
            let mut stmt = db
                .prepare_cached("SELECT connection_id, asleep, last_awake, next_wake FROM sleep")
                .map_err(map_err)?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))
                .map_err(map_err)?;
            let rows: Vec<Row> = rows.collect::<Result<_, _>>().map_err(map_err)?;
            rows.into_iter().map(decode).collect()
        })
        .await
    }
}
