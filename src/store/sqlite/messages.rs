//! Tracked messages. The ack history is a JSON array in the row: it is only ever read and
//! rewritten whole, inside the transaction that applies an ack.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, OptionalExtension, Row};
use serde::{Deserialize, Serialize};

use super::rows::{from_json, from_millis, millis, sql_limit, to_json};
use super::{map_err, SqliteStore};
use crate::store::names::{name_of, parse_name};
use crate::store::{
    now, AckStep, MessageChange, MessageFilter, MessageRecord, MessageRepo, StoreError, StoreResult,
};

const SELECT_MESSAGE: &str = "
    SELECT seq, message_id, connection_id, direction, chat_id, from_id, to_id, author, kind,
           body, timestamp, status, ack, acks, created_at, updated_at, media, edited_at,
           revoked_at
    FROM messages";

/// Media metadata and edit/delete times of tracked messages.
pub(super) const SCHEMA: &str = "
ALTER TABLE messages ADD COLUMN media TEXT; -- JSON MessageMedia
ALTER TABLE messages ADD COLUMN edited_at INTEGER;
ALTER TABLE messages ADD COLUMN revoked_at INTEGER;
";

#[async_trait]
impl MessageRepo for SqliteStore {
    async fn insert_message(&self, message: &MessageRecord) -> StoreResult<()> {
        let m = message.clone();
        self.call(move |db| insert_row(db, &m)).await
    }

    async fn apply_ack(
        &self,
        connection_id: &str,
        message_id: &str,
        ack: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<MessageRecord>> {
        let (conn, id) = (connection_id.to_owned(), message_id.to_owned());
        self.call(move |db| {
            // Read, merge and write in one transaction, so concurrent acks cannot lose a step.
            let tx = db.transaction().map_err(map_err)?;
            let sql = format!("{SELECT_MESSAGE} WHERE connection_id = ?1 AND message_id = ?2");
            let found = query_one(&tx, &sql, vec![text(&conn), text(&id)])?;
            let Some(mut message) = found else {
                return Ok(None);
            };
            if message.record_ack(ack, at, now()) {
                update_ack_fields(&tx, &message)?;
            }
            tx.commit().map_err(map_err)?;
            Ok(Some(message))
        })
        .await
    }

    async fn get_message(
        &self,
        message_id: &str,
        connection_id: Option<&str>,
    ) -> StoreResult<Option<MessageRecord>> {
        let mut params = vec![text(message_id)];
        let mut sql = format!("{SELECT_MESSAGE} WHERE message_id = ?1");
        if let Some(c) = connection_id {
            params.push(text(c));
            sql.push_str(" AND connection_id = ?2");
        }
        // Should the id exist on two connections, the newest record wins (Mongo does the same).
        sql.push_str(" ORDER BY seq DESC LIMIT 1");
        self.call(move |db| query_one(db, &sql, params)).await
    }

    async fn list_messages(&self, filter: &MessageFilter) -> StoreResult<Vec<MessageRecord>> {
        let mut params = vec![text(&filter.connection_id)];
        let mut sql = format!("{SELECT_MESSAGE} WHERE connection_id = ?1");
        if let Some(d) = filter.direction {
            params.push(Value::Text(name_of(&d)));
            sql.push_str(&format!(" AND direction = ?{}", params.len()));
        }
        if let Some(before) = &filter.before_seq {
            params.push(text(before));
            sql.push_str(&format!(" AND seq < ?{}", params.len()));
        }
        params.push(sql_limit(filter.limit));
        sql.push_str(&format!(" ORDER BY seq DESC LIMIT ?{}", params.len()));
        self.call(move |db| {
            let mut stmt = db.prepare_cached(&sql).map_err(map_err)?;
            let raws = stmt
                .query_map(params_from_iter(params), RawMessage::from_row)
                .map_err(map_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_err)?;
            raws.into_iter().map(RawMessage::decode).collect()
        })
        .await
    }

    async fn change_message(
        &self,
        connection_id: &str,
        message_id: &str,
        change: &MessageChange,
    ) -> StoreResult<Option<MessageRecord>> {
        let (conn, id, change) = (
            connection_id.to_owned(),
            message_id.to_owned(),
            change.clone(),
        );
        self.call(move |db| {
            let tx = db.transaction().map_err(map_err)?;
            let sql = format!("{SELECT_MESSAGE} WHERE connection_id = ?1 AND message_id = ?2");
            let Some(mut message) = query_one(&tx, &sql, vec![text(&conn), text(&id)])? else {
                return Ok(None);
            };
            if message.apply_change(&change, now()) {
                update_content(&tx, &message)?;
            }
            tx.commit().map_err(map_err)?;
            Ok(Some(message))
        })
        .await
    }
}

/// Rewrites what an edit or a delete changes; the row is found by its `seq`.
fn update_content(db: &rusqlite::Connection, m: &MessageRecord) -> StoreResult<()> {
    db.execute(
        "UPDATE messages SET body = ?2, media = ?3, edited_at = ?4, revoked_at = ?5,
            updated_at = ?6 WHERE seq = ?1",
        params![
            m.seq,
            m.body,
            media_json(m)?,
            m.edited_at.map(millis),
            m.revoked_at.map(millis),
            millis(m.updated_at)
        ],
    )
    .map_err(map_err)?;
    Ok(())
}

fn media_json(m: &MessageRecord) -> StoreResult<Option<String>> {
    m.media.as_ref().map(to_json).transpose()
}

fn text(s: &str) -> Value {
    Value::Text(s.to_owned())
}

fn query_one(
    db: &rusqlite::Connection,
    sql: &str,
    params: Vec<Value>,
) -> StoreResult<Option<MessageRecord>> {
    db.query_row(sql, params_from_iter(params), RawMessage::from_row)
        .optional()
        .map_err(map_err)?
        .map(RawMessage::decode)
        .transpose()
}

/// Rewrites what an ack changes; the row is found by its `seq`.
fn update_ack_fields(db: &rusqlite::Connection, m: &MessageRecord) -> StoreResult<()> {
    db.execute(
        "UPDATE messages SET status = ?2, ack = ?3, acks = ?4, updated_at = ?5 WHERE seq = ?1",
        params![
            m.seq,
            name_of(&m.status),
            m.ack,
            acks_json(m)?,
            millis(m.updated_at)
        ],
    )
    .map_err(map_err)?;
    Ok(())
}

fn acks_json(m: &MessageRecord) -> StoreResult<String> {
    to_json(&m.acks.iter().map(StoredAck::from).collect::<Vec<_>>())
}

fn insert_row(db: &rusqlite::Connection, m: &MessageRecord) -> StoreResult<()> {
    db.execute(
        "INSERT INTO messages (seq, message_id, connection_id, direction, chat_id, from_id, to_id,
            author, kind, body, timestamp, status, ack, acks, created_at, updated_at, media,
            edited_at, revoked_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,
            ?19)",
        params![
            m.seq,
            m.message_id,
            m.connection_id,
            name_of(&m.direction),
            m.chat_id,
            m.from,
            m.to,
            m.author,
            m.kind,
            m.body,
            m.timestamp.map(millis),
            name_of(&m.status),
            m.ack,
            acks_json(m)?,
            millis(m.created_at),
            millis(m.updated_at),
            media_json(m)?,
            m.edited_at.map(millis),
            m.revoked_at.map(millis),
        ],
    )
    .map_err(map_err)?;
    Ok(())
}

/// An ack step in the JSON column: the time as epoch milliseconds like every other date here.
#[derive(Serialize, Deserialize)]
struct StoredAck {
    ack: i64,
    status: String,
    at: i64,
}

impl From<&AckStep> for StoredAck {
    fn from(step: &AckStep) -> Self {
        Self {
            ack: step.ack,
            status: name_of(&step.status),
            at: millis(step.at),
        }
    }
}

impl StoredAck {
    fn decode(self) -> StoreResult<AckStep> {
        Ok(AckStep {
            ack: self.ack,
            status: parse_name("ack status", &self.status)?,
            at: from_millis(self.at)?,
        })
    }
}

/// The columns of `SELECT_MESSAGE`, read raw so that decoding errors become `Corrupt`.
struct RawMessage {
    seq: String,
    message_id: String,
    connection_id: String,
    direction: String,
    texts: [Option<String>; 6],
    timestamp: Option<i64>,
    status: String,
    ack: i64,
    acks: String,
    created_at: i64,
    updated_at: i64,
    media: Option<String>,
    edited_at: Option<i64>,
    revoked_at: Option<i64>,
}

impl RawMessage {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            seq: row.get(0)?,
            message_id: row.get(1)?,
            connection_id: row.get(2)?,
            direction: row.get(3)?,
            texts: [
                row.get(4)?,
                row.get(5)?,
                row.get(6)?,
                row.get(7)?,
                row.get(8)?,
                row.get(9)?,
            ],
            timestamp: row.get(10)?,
            status: row.get(11)?,
            ack: row.get(12)?,
            acks: row.get(13)?,
            created_at: row.get(14)?,
            updated_at: row.get(15)?,
            media: row.get(16)?,
            edited_at: row.get(17)?,
            revoked_at: row.get(18)?,
        })
    }

    fn decode(self) -> StoreResult<MessageRecord> {
        let acks: Vec<StoredAck> = from_json("acks", &self.acks)?;
        let [chat_id, from, to, author, kind, body] = self.texts;
        Ok(MessageRecord {
            direction: parse_name("direction", &self.direction)?,
            status: parse_name("message status", &self.status)?,
            acks: acks
                .into_iter()
                .map(StoredAck::decode)
                .collect::<Result<_, StoreError>>()?,
            timestamp: self.timestamp.map(from_millis).transpose()?,
            created_at: from_millis(self.created_at)?,
            updated_at: from_millis(self.updated_at)?,
            media: self.media.map(|m| from_json("media", &m)).transpose()?,
            edited_at: self.edited_at.map(from_millis).transpose()?,
            revoked_at: self.revoked_at.map(from_millis).transpose()?,
            seq: self.seq,
            message_id: self.message_id,
            connection_id: self.connection_id,
            chat_id,
            from,
            to,
            author,
            kind,
            body,
            ack: self.ack,
        })
    }
}
