//! Row <-> domain mapping: dates are epoch milliseconds; nested values (profile, lists, maps,
//! ack history, responses) are JSON text.

use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::OptionalExtension;
use rusqlite::{Row, Transaction};

use super::map_err;
use crate::store::{ArchiveInfo, Connection, ConnectionStatus, Profile, StoreError, StoreResult};

pub(super) const SELECT_CONNECTION: &str = "
    SELECT c.connection_id, c.tenant, c.status, c.reason, c.whatsapp_number, c.profile_info,
           c.last_active, c.created_at, c.updated_at, c.archived, c.archived_at,
           a.id, a.size, a.checksum, a.saved_at
    FROM connections c LEFT JOIN archives a ON a.id = c.archive_id";

pub(super) fn millis(at: DateTime<Utc>) -> i64 {
    at.timestamp_millis()
}

pub(super) fn from_millis(ms: i64) -> StoreResult<DateTime<Utc>> {
    DateTime::from_timestamp_millis(ms)
        .ok_or_else(|| StoreError::Corrupt(format!("timestamp out of range: {ms}")))
}

fn opt_from_millis(ms: Option<i64>) -> StoreResult<Option<DateTime<Utc>>> {
    ms.map(from_millis).transpose()
}

pub(super) fn parse_status(s: &str) -> StoreResult<ConnectionStatus> {
    match s {
        "pending" => Ok(ConnectionStatus::Pending),
        "connected" => Ok(ConnectionStatus::Connected),
        "disconnected" => Ok(ConnectionStatus::Disconnected),
        other => Err(StoreError::Corrupt(format!("unknown status {other:?}"))),
    }
}

pub(super) fn profile_json(profile: &Option<Profile>) -> StoreResult<Option<String>> {
    profile
        .as_ref()
        .map(serde_json::to_string)
        .transpose()
        .map_err(|e| StoreError::Other(format!("encode profile: {e}")))
}

/// The columns of `SELECT_CONNECTION`, read raw so that decoding errors become `Corrupt`.
pub(super) struct RawConnection {
    id: String,
    tenant: String,
    status: String,
    reason: Option<String>,
    number: Option<String>,
    profile: Option<String>,
    last_active: Option<i64>,
    created_at: i64,
    updated_at: i64,
    archived: bool,
    archived_at: Option<i64>,
    archive_id: Option<i64>,
    archive_size: Option<i64>,
    archive_checksum: Option<String>,
    archive_saved_at: Option<i64>,
}

impl RawConnection {
    pub(super) fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            tenant: row.get(1)?,
            status: row.get(2)?,
            reason: row.get(3)?,
            number: row.get(4)?,
            profile: row.get(5)?,
            last_active: row.get(6)?,
            created_at: row.get(7)?,
            updated_at: row.get(8)?,
            archived: row.get(9)?,
            archived_at: row.get(10)?,
            archive_id: row.get(11)?,
            archive_size: row.get(12)?,
            archive_checksum: row.get(13)?,
            archive_saved_at: row.get(14)?,
        })
    }

    pub(super) fn decode(self) -> StoreResult<Connection> {
        let profile_info = self
            .profile
            .map(|json| serde_json::from_str(&json))
            .transpose()
            .map_err(|e| StoreError::Corrupt(format!("profile of {}: {e}", self.id)))?;
        let session_data = match (self.archive_id, self.archive_checksum) {
            (Some(id), Some(checksum)) => Some(ArchiveInfo {
                archive_id: id.to_string(),
                size: self
                    .archive_size
                    .unwrap_or_default()
                    .try_into()
                    .unwrap_or(0),
                checksum,
                saved_at: from_millis(self.archive_saved_at.unwrap_or_default())?,
            }),
            _ => None,
        };
        Ok(Connection {
            tenant: self.tenant,
            status: parse_status(&self.status)?,
            reason: self.reason,
            whatsapp_number: self.number,
            profile_info,
            session_data,
            last_active: opt_from_millis(self.last_active)?,
            created_at: from_millis(self.created_at)?,
            updated_at: from_millis(self.updated_at)?,
            archived: self.archived,
            archived_at: opt_from_millis(self.archived_at)?,
            connection_id: self.id,
        })
    }
}

/// One connection by id, inside a transaction or on the bare connection.
pub(super) fn get_connection(
    tx: &rusqlite::Connection,
    id: &str,
) -> StoreResult<Option<Connection>> {
    tx.query_row(
        &format!("{SELECT_CONNECTION} WHERE c.connection_id = ?1"),
        [id],
        RawConnection::from_row,
    )
    .optional()
    .map_err(map_err)?
    .map(RawConnection::decode)
    .transpose()
}

/// The archive row a connection points at, if any.
pub(super) fn archive_id_of(tx: &Transaction<'_>, id: &str) -> StoreResult<Option<Option<i64>>> {
    tx.query_row(
        "SELECT archive_id FROM connections WHERE connection_id = ?1",
        [id],
        |row| row.get(0),
    )
    .optional()
    .map_err(map_err)
}

/// A `LIMIT` parameter; `usize` beyond `i64` means no limit in practice.
pub(super) fn sql_limit(limit: usize) -> Value {
    Value::Integer(i64::try_from(limit).unwrap_or(i64::MAX))
}

pub(super) fn to_json<T: serde::Serialize>(value: &T) -> StoreResult<String> {
    serde_json::to_string(value).map_err(|e| StoreError::Other(format!("encode JSON: {e}")))
}

pub(super) fn from_json<T: serde::de::DeserializeOwned>(field: &str, s: &str) -> StoreResult<T> {
    serde_json::from_str(s).map_err(|e| StoreError::Corrupt(format!("{field}: {e}")))
}
