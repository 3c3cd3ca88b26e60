//! The event outbox table.

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, OptionalExtension};

use super::rows::{from_millis, millis};
use super::{map_err, SqliteStore};
use crate::store::{EventRepo, StoreError, StoreResult, StoredEvent};

#[async_trait]
impl EventRepo for SqliteStore {
    async fn append_event(&self, event: &StoredEvent) -> StoreResult<()> {
        let e = event.clone();
        self.call(move |db| {
            db.execute(
                "INSERT INTO events (id, connection_id, event, timestamp, data)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![
                    e.id,
                    e.connection_id,
                    e.event,
                    millis(e.timestamp),
                    e.data.to_string()
                ],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn get_event(&self, id: &str) -> StoreResult<Option<StoredEvent>> {
        let id = id.to_owned();
        self.call(move |db| {
            let raw = db
                .query_row(
                    "SELECT id, event, connection_id, timestamp, data FROM events WHERE id = ?1",
                    params![id],
                    raw_event,
                )
                .optional()
                .map_err(map_err)?;
            raw.map(decode).transpose()
        })
        .await
    }

    async fn list_events(
        &self,
        connection_id: Option<&str>,
        after_id: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<StoredEvent>> {
        // Only the filters given go into the SQL, so the (connection_id, id) index stays usable.
        let mut clauses = Vec::new();
        let mut params = Vec::new();
        if let Some(c) = connection_id {
            params.push(Value::Text(c.to_owned()));
            clauses.push(format!("connection_id = ?{}", params.len()));
        }
        if let Some(a) = after_id {
            params.push(Value::Text(a.to_owned()));
            clauses.push(format!("id > ?{}", params.len()));
        }
        params.push(Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX)));
        let filter = if clauses.is_empty() {
            String::new()
        } else {
            format!("WHERE {}", clauses.join(" AND "))
        };
        let sql = format!(
            "SELECT id, event, connection_id, timestamp, data FROM events {filter}
             ORDER BY id LIMIT ?{}",
            params.len()
        );
        self.call(move |db| {
            let mut stmt = db.prepare_cached(&sql).map_err(map_err)?;
            let raws = stmt
                .query_map(params_from_iter(params), raw_event)
                .map_err(map_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_err)?;
            raws.into_iter().map(decode).collect()
        })
        .await
    }
}

type RawEvent = (String, String, String, i64, String);

fn raw_event(row: &rusqlite::Row<'_>) -> rusqlite::Result<RawEvent> {
    Ok((
        row.get(0)?,
        row.get(1)?,
        row.get(2)?,
        row.get(3)?,
        row.get(4)?,
    ))
}

fn decode((id, event, connection_id, ts, data): RawEvent) -> StoreResult<StoredEvent> {
    Ok(StoredEvent {
        data: serde_json::from_str(&data)
            .map_err(|e| StoreError::Corrupt(format!("event {id} data: {e}")))?,
        timestamp: from_millis(ts)?,
        id,
        event,
        connection_id,
    })
}
