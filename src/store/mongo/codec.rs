//! Domain <-> BSON, field names as the seed's documents spell them (camelCase, BSON dates).

use chrono::{DateTime, Utc};
use mongodb::bson::{doc, Bson, Document};

use crate::store::{
    ArchiveInfo, Connection, ConnectionPatch, ConnectionStatus, Profile, StoreError, StoreResult,
    StoredEvent, DEFAULT_TENANT,
};

pub(super) fn date(at: DateTime<Utc>) -> Bson {
    Bson::DateTime(mongodb::bson::DateTime::from_millis(at.timestamp_millis()))
}

pub(super) fn opt_date(at: Option<DateTime<Utc>>) -> Bson {
    at.map_or(Bson::Null, date)
}

pub(super) fn opt_str(s: Option<&str>) -> Bson {
    s.map_or(Bson::Null, Bson::from)
}

fn profile(p: &Profile) -> Bson {
    Bson::Document(doc! {
        "pushName": opt_str(p.push_name.as_deref()),
        "platform": opt_str(p.platform.as_deref()),
    })
}

/// Names the record by its id only: documents carry personal data that logs should not.
pub(super) fn corrupt(field: &str, d: &Document) -> StoreError {
    StoreError::Corrupt(format!(
        "field {field:?} is malformed in record {}",
        record_id(d)
    ))
}

fn record_id(d: &Document) -> String {
    ["connectionId", "id", "archiveId"]
        .iter()
        .find_map(|k| d.get(k))
        .map_or_else(|| "?".to_owned(), ToString::to_string)
}

/// A field that may be missing or null.
pub(super) fn field<'a>(d: &'a Document, key: &str) -> Option<&'a Bson> {
    d.get(key).filter(|b| !matches!(b, Bson::Null))
}

pub(super) fn get_str(d: &Document, key: &str) -> StoreResult<Option<String>> {
    match field(d, key) {
        None => Ok(None),
        Some(Bson::String(s)) => Ok(Some(s.clone())),
        Some(_) => Err(corrupt(key, d)),
    }
}

pub(super) fn get_date(d: &Document, key: &str) -> StoreResult<Option<DateTime<Utc>>> {
    match field(d, key) {
        None => Ok(None),
        Some(Bson::DateTime(dt)) => DateTime::from_timestamp_millis(dt.timestamp_millis())
            .map(Some)
            .ok_or_else(|| corrupt(key, d)),
        Some(_) => Err(corrupt(key, d)),
    }
}

pub(super) fn get_i64(d: &Document, key: &str) -> StoreResult<Option<i64>> {
    match field(d, key) {
        None => Ok(None),
        Some(Bson::Int64(n)) => Ok(Some(*n)),
        Some(Bson::Int32(n)) => Ok(Some(i64::from(*n))),
        Some(_) => Err(corrupt(key, d)),
    }
}

pub(super) fn required_str(d: &Document, key: &str) -> StoreResult<String> {
    require(get_str(d, key)?, key, d)
}

pub(super) fn required_date(d: &Document, key: &str) -> StoreResult<DateTime<Utc>> {
    require(get_date(d, key)?, key, d)
}

pub(super) fn require<T>(value: Option<T>, key: &str, d: &Document) -> StoreResult<T> {
    value.ok_or_else(|| StoreError::Corrupt(format!("missing {key:?} in record {}", record_id(d))))
}

fn parse_status(s: &str) -> StoreResult<ConnectionStatus> {
    match s {
        "pending" => Ok(ConnectionStatus::Pending),
        "connected" => Ok(ConnectionStatus::Connected),
        "disconnected" => Ok(ConnectionStatus::Disconnected),
        other => Err(StoreError::Corrupt(format!("unknown status {other:?}"))),
    }
}

/// A new record; `sessionData` starts empty because archives belong to `ArchiveRepo`.
pub(super) fn connection_doc(c: &Connection) -> Document {
    doc! {
        "connectionId": &c.connection_id,
        "tenant": &c.tenant,
        "status": c.status.as_str(),
        "reason": opt_str(c.reason.as_deref()),
        "whatsappNumber": opt_str(c.whatsapp_number.as_deref()),
        "profileInfo": c.profile_info.as_ref().map_or(Bson::Null, profile),
        "sessionData": Bson::Null,
        "lastActive": opt_date(c.last_active),
        "createdAt": date(c.created_at),
        "updatedAt": date(c.updated_at),
        "archived": c.archived,
        "archivedAt": opt_date(c.archived_at),
    }
}

pub(super) fn decode_connection(d: &Document) -> StoreResult<Connection> {
    let status = require(get_str(d, "status")?, "status", d)?;
    let profile_info = match field(d, "profileInfo") {
        None => None,
        Some(Bson::Document(p)) => Some(Profile {
            push_name: get_str(p, "pushName")?,
            platform: get_str(p, "platform")?,
        }),
        Some(_) => return Err(corrupt("profileInfo", d)),
    };
    let session_data = match field(d, "sessionData") {
        None => None,
        Some(Bson::Document(s)) => Some(decode_archive_info(s)?),
        Some(_) => return Err(corrupt("sessionData", d)),
    };
    let archived = match field(d, "archived") {
        None => false,
        Some(Bson::Boolean(b)) => *b,
        Some(_) => return Err(corrupt("archived", d)),
    };
    Ok(Connection {
        connection_id: require(get_str(d, "connectionId")?, "connectionId", d)?,
        // Documents from before tenants have none: they belong to the default tenant.
        tenant: get_str(d, "tenant")?.unwrap_or_else(|| DEFAULT_TENANT.to_owned()),
        status: parse_status(&status)?,
        reason: get_str(d, "reason")?,
        whatsapp_number: get_str(d, "whatsappNumber")?,
        profile_info,
        session_data,
        last_active: get_date(d, "lastActive")?,
        created_at: require(get_date(d, "createdAt")?, "createdAt", d)?,
        updated_at: require(get_date(d, "updatedAt")?, "updatedAt", d)?,
        archived,
        archived_at: get_date(d, "archivedAt")?,
    })
}

pub(super) fn archive_info_doc(info: &ArchiveInfo) -> Document {
    doc! {
        "archiveId": &info.archive_id,
        "size": i64::try_from(info.size).unwrap_or(i64::MAX),
        "checksum": &info.checksum,
        "savedAt": date(info.saved_at),
    }
}

pub(super) fn decode_archive_info(s: &Document) -> StoreResult<ArchiveInfo> {
    let size = match field(s, "size") {
        Some(Bson::Int64(n)) => *n,
        Some(Bson::Int32(n)) => i64::from(*n),
        _ => return Err(corrupt("size", s)),
    };
    Ok(ArchiveInfo {
        archive_id: require(get_str(s, "archiveId")?, "archiveId", s)?,
        size: u64::try_from(size).map_err(|_| corrupt("size", s))?,
        checksum: require(get_str(s, "checksum")?, "checksum", s)?,
        saved_at: require(get_date(s, "savedAt")?, "savedAt", s)?,
    })
}

/// The `$set` that gives a patch the same meaning as `ConnectionPatch::apply_to`.
pub(super) fn patch_update(patch: ConnectionPatch, now: DateTime<Utc>) -> Document {
    let mut set = doc! { "updatedAt": date(now) };
    if let Some(change) = patch.status {
        let reason = change
            .reason
            .filter(|_| change.status == ConnectionStatus::Disconnected);
        set.insert("status", change.status.as_str());
        set.insert("reason", opt_str(reason.as_deref()));
    }
    if let Some(number) = patch.whatsapp_number {
        set.insert("whatsappNumber", number);
    }
    if let Some(p) = patch.profile_info {
        set.insert("profileInfo", profile(&p));
    }
    if let Some(at) = patch.last_active {
        set.insert("lastActive", date(at));
    }
    if let Some(archived) = patch.archived {
        set.insert("archived", archived);
        set.insert("archivedAt", opt_date(archived.then_some(now)));
    }
    doc! { "$set": set }
}

pub(super) fn event_doc(e: &StoredEvent) -> StoreResult<Document> {
    // Plain serde, not extended JSON: a payload key like "$date" must stay a key.
    let data = mongodb::bson::to_bson(&e.data)
        .map_err(|err| StoreError::Other(format!("encode event {} data: {err}", e.id)))?;
    Ok(doc! {
        "id": &e.id,
        "event": &e.event,
        "connectionId": &e.connection_id,
        "timestamp": date(e.timestamp),
        "data": data,
    })
}

pub(super) fn decode_event(d: &Document) -> StoreResult<StoredEvent> {
    let data = d.get("data").cloned().unwrap_or(Bson::Null);
    Ok(StoredEvent {
        id: require(get_str(d, "id")?, "id", d)?,
        event: require(get_str(d, "event")?, "event", d)?,
        connection_id: require(get_str(d, "connectionId")?, "connectionId", d)?,
        timestamp: require(get_date(d, "timestamp")?, "timestamp", d)?,
        data: mongodb::bson::from_bson(data)
            .map_err(|err| StoreError::Corrupt(format!("event data: {err}")))?,
    })
}
