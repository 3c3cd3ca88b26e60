//! Tracked messages: one document per `(connectionId, messageId)`, acks as an embedded array.
//!
//! An ack is a read-modify-write (the merge rules live in `MessageRecord::record_ack`, shared
//! with SQLite). Each document carries a `rev` counter; a write only lands on the revision it
//! read, so two concurrent acks cannot overwrite each other's step: the loser re-reads and merges
//! again. This needs nothing beyond `updateOne`, and no replica set (unlike a transaction).

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};

use super::codec::{
    corrupt, date, get_date, get_i64, get_str, opt_date, opt_str, require, required_date,
    required_str,
};
use super::{map_err, MongoStore};
use crate::media::MessageMedia;
use crate::store::names::{name_of, parse_name};
use crate::store::{
    now, AckStep, MessageChange, MessageFilter, MessageRecord, MessageRepo, StoreError, StoreResult,
};

/// Every lost race means another writer landed, so `n` concurrent acks need at most `n` rounds;
/// this bound only stops a pathological loop.
const ACK_ATTEMPTS: usize = 100;

fn acks_bson(acks: &[AckStep]) -> Vec<Bson> {
    acks.iter()
        .map(|s| {
            Bson::Document(doc! { "ack": s.ack, "status": name_of(&s.status), "at": date(s.at) })
        })
        .collect()
}

fn message_doc(m: &MessageRecord) -> Document {
    doc! {
        "seq": &m.seq,
        "messageId": &m.message_id,
        "connectionId": &m.connection_id,
        "direction": name_of(&m.direction),
        "chatId": opt_str(m.chat_id.as_deref()),
        "from": opt_str(m.from.as_deref()),
        "to": opt_str(m.to.as_deref()),
        "author": opt_str(m.author.as_deref()),
        "type": opt_str(m.kind.as_deref()),
        "body": opt_str(m.body.as_deref()),
        "timestamp": opt_date(m.timestamp),
        "status": name_of(&m.status),
        "ack": m.ack,
        "acks": acks_bson(&m.acks),
        "media": media_bson(m),
        "editedAt": opt_date(m.edited_at),
        "revokedAt": opt_date(m.revoked_at),
        "createdAt": date(m.created_at),
        "updatedAt": date(m.updated_at),
        "rev": 0_i64,
    }
}

fn media_bson(m: &MessageRecord) -> Bson {
    // Its fields are strings and numbers only: it always converts.
    m.media.as_ref().map_or(Bson::Null, |media| {
        mongodb::bson::to_bson(media).unwrap_or(Bson::Null)
    })
}

fn decode_media(d: &Document) -> StoreResult<Option<MessageMedia>> {
    match d.get("media") {
        None | Some(Bson::Null) => Ok(None),
        Some(media) => mongodb::bson::from_bson(media.clone())
            .map(Some)
            .map_err(|_| corrupt("media", d)),
    }
}

fn decode_ack(step: &Bson, d: &Document) -> StoreResult<AckStep> {
    let Bson::Document(s) = step else {
        return Err(corrupt("acks", d));
    };
    Ok(AckStep {
        ack: require(get_i64(s, "ack")?, "ack", d)?,
        status: parse_name("ack status", &required_str(s, "status")?)?,
        at: required_date(s, "at")?,
    })
}

fn decode_message(d: &Document) -> StoreResult<MessageRecord> {
    let acks = match d.get("acks") {
        None | Some(Bson::Null) => Vec::new(),
        Some(Bson::Array(items)) => items
            .iter()
            .map(|s| decode_ack(s, d))
            .collect::<StoreResult<_>>()?,
        Some(_) => return Err(corrupt("acks", d)),
    };
    Ok(MessageRecord {
        seq: required_str(d, "seq")?,
        message_id: required_str(d, "messageId")?,
        connection_id: required_str(d, "connectionId")?,
        direction: parse_name("direction", &required_str(d, "direction")?)?,
        chat_id: get_str(d, "chatId")?,
        from: get_str(d, "from")?,
        to: get_str(d, "to")?,
        author: get_str(d, "author")?,
        kind: get_str(d, "type")?,
        body: get_str(d, "body")?,
        timestamp: get_date(d, "timestamp")?,
        status: parse_name("message status", &required_str(d, "status")?)?,
        ack: require(get_i64(d, "ack")?, "ack", d)?,
        acks,
        media: decode_media(d)?,
        edited_at: get_date(d, "editedAt")?,
        revoked_at: get_date(d, "revokedAt")?,
        created_at: required_date(d, "createdAt")?,
        updated_at: required_date(d, "updatedAt")?,
    })
}

/// Matches the document only while it is still at the revision `read` had; documents written
/// without a `rev` (by hand, or an older build) count as revision "missing".
fn at_revision(mut filter: Document, read: &Document) -> Document {
    match read.get("rev") {
        Some(rev) => filter.insert("rev", rev.clone()),
        None => filter.insert("rev", doc! { "$exists": false }),
    };
    filter
}

impl MongoStore {
    /// Reads the record, lets `modify` change it (returning the fields to `$set`, or `None` when
    /// nothing changes) and writes it only if nobody wrote it since the read; retries on a lost
    /// race. `what` names the concurrent writers in the error.
    async fn update_at_revision(
        &self,
        connection_id: &str,
        message_id: &str,
        what: &str,
        mut modify: impl FnMut(&mut MessageRecord) -> Option<Document>,
    ) -> StoreResult<Option<MessageRecord>> {
        let id = doc! { "connectionId": connection_id, "messageId": message_id };
        for _ in 0..ACK_ATTEMPTS {
            let found = self.messages.find_one(id.clone()).await.map_err(map_err)?;
            let Some(read) = found else {
                return Ok(None);
            };
            let mut message = decode_message(&read)?;
            let Some(set) = modify(&mut message) else {
                return Ok(Some(message));
            };
            let update = doc! { "$set": set, "$inc": { "rev": 1_i64 } };
            let result = self
                .messages
                .update_one(at_revision(id.clone(), &read), update)
                .await
                .map_err(map_err)?;
            if result.matched_count == 1 {
                return Ok(Some(message));
            }
        }
        Err(StoreError::Unavailable(format!(
            "message kept changing under {ACK_ATTEMPTS} concurrent {what}"
        )))
    }
}

#[async_trait]
impl MessageRepo for MongoStore {
    async fn insert_message(&self, message: &MessageRecord) -> StoreResult<()> {
        self.messages
            .insert_one(message_doc(message))
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn apply_ack(
        &self,
        connection_id: &str,
        message_id: &str,
        ack: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<MessageRecord>> {
        self.update_at_revision(connection_id, message_id, "acks", |message| {
            message.record_ack(ack, at, now()).then(|| {
                doc! {
                    "status": name_of(&message.status),
                    "ack": message.ack,
                    "acks": acks_bson(&message.acks),
                    "updatedAt": date(message.updated_at),
                }
            })
        })
        .await
    }

    async fn get_message(
        &self,
        message_id: &str,
        connection_id: Option<&str>,
    ) -> StoreResult<Option<MessageRecord>> {
        let mut filter = doc! { "messageId": message_id };
        if let Some(c) = connection_id {
            filter.insert("connectionId", c);
        }
        // Should the id exist on two connections, the newest record wins (SQLite does the same).
        let found = self
            .messages
            .find_one(filter)
            .sort(doc! { "seq": -1 })
            .await
            .map_err(map_err)?;
        found.as_ref().map(decode_message).transpose()
    }

    async fn list_messages(&self, filter: &MessageFilter) -> StoreResult<Vec<MessageRecord>> {
        // MongoDB reads a limit of 0 as "no limit".
        if filter.limit == 0 {
            return Ok(Vec::new());
        }
        let mut query = doc! { "connectionId": &filter.connection_id };
        if let Some(d) = filter.direction {
            query.insert("direction", name_of(&d));
        }
        if let Some(before) = &filter.before_seq {
            query.insert("seq", doc! { "$lt": before });
        }
        let docs: Vec<Document> = self
            .messages
            .find(query)
            .sort(doc! { "seq": -1 })
            .limit(i64::try_from(filter.limit).unwrap_or(i64::MAX))
            .await
            .map_err(map_err)?
            .try_collect()
            .await
            .map_err(map_err)?;
        docs.iter().map(decode_message).collect()
    }

    async fn change_message(
        &self,
        connection_id: &str,
        message_id: &str,
        change: &MessageChange,
    ) -> StoreResult<Option<MessageRecord>> {
        // The same revision guard as acks: an ack landing meanwhile is not overwritten.
        self.update_at_revision(connection_id, message_id, "writes", |message| {
            message.apply_change(change, now()).then(|| {
                doc! {
                    "body": opt_str(message.body.as_deref()),
                    "media": media_bson(message),
                    "editedAt": opt_date(message.edited_at),
                    "revokedAt": opt_date(message.revoked_at),
                    "updatedAt": date(message.updated_at),
                }
            })
        })
        .await
    }
}
