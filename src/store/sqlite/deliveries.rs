//! Webhook deliveries; `(event_id, target)` is unique, so fanning an event out twice conflicts.

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{params_from_iter, OptionalExtension, Row};

use super::rows::{from_millis, millis, sql_limit};
use super::{map_err, SqliteStore};
use crate::store::names::parse_name;
use crate::store::{Delivery, DeliveryFilter, DeliveryRepo, StoreError, StoreResult};

const SELECT_DELIVERY: &str = "
    SELECT id, event_id, event, connection_id, target, url, status, attempts, next_attempt_at,
           last_error, last_status_code, created_at, updated_at, delivered_at
    FROM deliveries";

#[async_trait]
impl DeliveryRepo for SqliteStore {
    async fn insert_delivery(&self, delivery: &Delivery) -> StoreResult<()> {
        let d = delivery.clone();
        self.call(move |db| {
            db.execute(
                "INSERT INTO deliveries (id, event_id, event, connection_id, target, url, status,
                    attempts, next_attempt_at, last_error, last_status_code, created_at,
                    updated_at, delivered_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)",
                params_from_iter(columns(&d)),
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn update_delivery(&self, delivery: &Delivery) -> StoreResult<()> {
        let d = delivery.clone();
        self.call(move |db| {
            let n = db
                .execute(
                    "UPDATE deliveries SET event_id = ?2, event = ?3, connection_id = ?4,
                        target = ?5, url = ?6, status = ?7, attempts = ?8, next_attempt_at = ?9,
                        last_error = ?10, last_status_code = ?11, created_at = ?12,
                        updated_at = ?13, delivered_at = ?14
                     WHERE id = ?1",
                    params_from_iter(columns(&d)),
                )
                .map_err(map_err)?;
            if n == 0 {
                return Err(StoreError::NotFound);
            }
            Ok(())
        })
        .await
    }

    async fn get_delivery(&self, id: &str) -> StoreResult<Option<Delivery>> {
        let id = id.to_owned();
        self.call(move |db| {
            db.query_row(
                &format!("{SELECT_DELIVERY} WHERE id = ?1"),
                [id],
                RawDelivery::from_row,
            )
            .optional()
            .map_err(map_err)?
            .map(RawDelivery::decode)
            .transpose()
        })
        .await
    }

    async fn pending_deliveries(&self, limit: usize) -> StoreResult<Vec<Delivery>> {
        let sql = format!(
            "{SELECT_DELIVERY} WHERE status = 'pending' ORDER BY event_id, target LIMIT ?1"
        );
        self.call(move |db| query_deliveries(db, &sql, vec![sql_limit(limit)]))
            .await
    }

    async fn list_deliveries(&self, filter: &DeliveryFilter) -> StoreResult<Vec<Delivery>> {
        let mut clauses = Vec::new();
        let mut params = Vec::new();
        let mut add = |clause: &str, value: String| {
            params.push(Value::Text(value));
            clauses.push(format!("{clause} ?{}", params.len()));
        };
        if let Some(c) = &filter.connection_id {
            add("connection_id =", c.clone());
        }
        if let Some(s) = filter.status {
            add("status =", s.as_str().to_owned());
        }
        if let Some(before) = &filter.before_id {
            add("id <", before.clone());
        }
        let filter_sql = match clauses.is_empty() {
            true => String::new(),
            false => format!("WHERE {}", clauses.join(" AND ")),
        };
        params.push(sql_limit(filter.limit));
        let sql = format!(
            "{SELECT_DELIVERY} {filter_sql} ORDER BY id DESC LIMIT ?{}",
            params.len()
        );
        self.call(move |db| query_deliveries(db, &sql, params))
            .await
    }
}

fn query_deliveries(
    db: &rusqlite::Connection,
    sql: &str,
    params: Vec<Value>,
) -> StoreResult<Vec<Delivery>> {
    let mut stmt = db.prepare_cached(sql).map_err(map_err)?;
    let raws = stmt
        .query_map(params_from_iter(params), RawDelivery::from_row)
        .map_err(map_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_err)?;
    raws.into_iter().map(RawDelivery::decode).collect()
}

/// The columns of `SELECT_DELIVERY`, read raw so that decoding errors become `Corrupt`.
struct RawDelivery {
    id: String,
    event_id: String,
    event: String,
    connection_id: String,
    target: String,
    url: String,
    status: String,
    attempts: u32,
    next_attempt_at: i64,
    last_error: Option<String>,
    last_status_code: Option<u16>,
    created_at: i64,
    updated_at: i64,
    delivered_at: Option<i64>,
}

impl RawDelivery {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            event_id: row.get(1)?,
            event: row.get(2)?,
            connection_id: row.get(3)?,
            target: row.get(4)?,
            url: row.get(5)?,
            status: row.get(6)?,
            attempts: row.get(7)?,
            next_attempt_at: row.get(8)?,
            last_error: row.get(9)?,
            last_status_code: row.get(10)?,
            created_at: row.get(11)?,
            updated_at: row.get(12)?,
            delivered_at: row.get(13)?,
        })
    }

    fn decode(self) -> StoreResult<Delivery> {
        Ok(Delivery {
            target: parse_name("delivery target", &self.target)?,
            status: parse_name("delivery status", &self.status)?,
            next_attempt_at: from_millis(self.next_attempt_at)?,
            created_at: from_millis(self.created_at)?,
            updated_at: from_millis(self.updated_at)?,
            delivered_at: self.delivered_at.map(from_millis).transpose()?,
            id: self.id,
            event_id: self.event_id,
            event: self.event,
            connection_id: self.connection_id,
            url: self.url,
            attempts: self.attempts,
            last_error: self.last_error,
            last_status_code: self.last_status_code,
        })
    }
}

/// A delivery's columns in the `?1..?14` order both the insert and the update use.
fn columns(d: &Delivery) -> [Value; 14] {
    let text = |s: &str| Value::Text(s.to_owned());
    let opt_text = |s: &Option<String>| s.as_deref().map_or(Value::Null, text);
    [
        text(&d.id),
        text(&d.event_id),
        text(&d.event),
        text(&d.connection_id),
        text(d.target.as_str()),
        text(&d.url),
        text(d.status.as_str()),
        Value::Integer(i64::from(d.attempts)),
        Value::Integer(millis(d.next_attempt_at)),
        opt_text(&d.last_error),
        d.last_status_code
            .map_or(Value::Null, |c| Value::Integer(i64::from(c))),
        Value::Integer(millis(d.created_at)),
        Value::Integer(millis(d.updated_at)),
        d.delivered_at
            .map_or(Value::Null, |t| Value::Integer(millis(t))),
    ]
}
