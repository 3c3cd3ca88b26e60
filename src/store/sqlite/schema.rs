//! Forward-only migrations, tracked in `PRAGMA user_version`.

use rusqlite::Connection;

use super::map_err;
use crate::store::{StoreError, StoreResult};

/// One entry per schema version; never edit a shipped entry, append a new one.
const MIGRATIONS: &[&str] = &[
    r#"
CREATE TABLE archives (
    id            INTEGER PRIMARY KEY AUTOINCREMENT, -- never reused, so a stale id finds nothing
    connection_id TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    checksum      TEXT    NOT NULL,
    saved_at      INTEGER NOT NULL,
    data          BLOB    NOT NULL
);
CREATE TABLE connections (
    connection_id   TEXT    PRIMARY KEY NOT NULL,
    status          TEXT    NOT NULL,
    reason          TEXT,
    whatsapp_number TEXT,
    profile_info    TEXT,
    archive_id      INTEGER REFERENCES archives(id),
    last_active     INTEGER,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL,
    archived        INTEGER NOT NULL DEFAULT 0,
    archived_at     INTEGER
);
CREATE INDEX connections_created ON connections(created_at, connection_id);
CREATE INDEX connections_status ON connections(status, archived);
CREATE TABLE events (
    id            TEXT    PRIMARY KEY NOT NULL,
    connection_id TEXT    NOT NULL,
    event         TEXT    NOT NULL,
    timestamp     INTEGER NOT NULL,
    data          TEXT    NOT NULL
);
CREATE INDEX events_connection ON events(connection_id, id);
"#,
    r#"
CREATE TABLE webhooks (
    connection_id TEXT PRIMARY KEY NOT NULL,
    url           TEXT NOT NULL,
    events        TEXT NOT NULL, -- JSON array of event names
    secret        TEXT,
    headers       TEXT NOT NULL, -- JSON object
    updated_at    INTEGER NOT NULL
);
CREATE TABLE deliveries (
    id                TEXT    PRIMARY KEY NOT NULL,
    event_id          TEXT    NOT NULL,
    event             TEXT    NOT NULL,
    connection_id     TEXT    NOT NULL,
    target            TEXT    NOT NULL,
    url               TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    attempts          INTEGER NOT NULL,
    next_attempt_at   INTEGER NOT NULL,
    last_error        TEXT,
    last_status_code  INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    delivered_at      INTEGER,
    UNIQUE (event_id, target)
);
CREATE INDEX deliveries_status ON deliveries(status, event_id, target);
CREATE INDEX deliveries_connection ON deliveries(connection_id, id);
CREATE TABLE cursors (
    name       TEXT PRIMARY KEY NOT NULL,
    value      TEXT NOT NULL,
    updated_at INTEGER NOT NULL
);
CREATE TABLE messages (
    seq           TEXT    PRIMARY KEY NOT NULL,
    message_id    TEXT    NOT NULL,
    connection_id TEXT    NOT NULL,
    direction     TEXT    NOT NULL,
    chat_id       TEXT,
    from_id       TEXT,
    to_id         TEXT,
    author        TEXT,
    kind          TEXT,
    body          TEXT,
    timestamp     INTEGER,
    status        TEXT    NOT NULL,
    ack           INTEGER NOT NULL,
    acks          TEXT    NOT NULL, -- JSON array of {ack, status, at}
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL,
    UNIQUE (connection_id, message_id)
);
CREATE INDEX messages_message_id ON messages(message_id);
CREATE INDEX messages_paging ON messages(connection_id, seq);
CREATE TABLE idempotency (
    connection_id TEXT    NOT NULL,
    key           TEXT    NOT NULL,
    fingerprint   TEXT    NOT NULL,
    response      TEXT,             -- JSON; meaningful once completed_at is set
    created_at    INTEGER NOT NULL,
    completed_at  INTEGER,          -- NULL while the request runs (a response may be JSON null)
    PRIMARY KEY (connection_id, key)
);
"#,
    // Tenants: records from before them belong to the default tenant (`DEFAULT_TENANT`).
    r#"
ALTER TABLE connections ADD COLUMN tenant TEXT NOT NULL DEFAULT 'default';
CREATE INDEX connections_tenant ON connections(tenant);
"#,
    r#"
CREATE TABLE api_keys (
    id         TEXT    PRIMARY KEY NOT NULL,
    tenant     TEXT    NOT NULL,
    role       TEXT    NOT NULL,
    name       TEXT,
    key_hash   TEXT    NOT NULL UNIQUE,
    key_prefix TEXT    NOT NULL,
    created_at INTEGER NOT NULL,
    revoked_at INTEGER
);
CREATE INDEX api_keys_listing ON api_keys(tenant, created_at, id);
"#,
    // Webhooks set with a tenant key reach public addresses only.
    r#"
ALTER TABLE webhooks ADD COLUMN guarded INTEGER NOT NULL DEFAULT 0;
"#,
    super::numbers::SCHEMA,
    // Stored inbound media (blobs in DATA_DIR/media).
    super::media::SCHEMA,
    // Tracked messages keep their media metadata and follow edits and deletes.
    super::messages::SCHEMA,
    // Hibernation: which linked numbers sleep, and when each wakes next.
    super::sleep::SCHEMA,
];

/// Brings the schema up to date in one transaction per version.
pub(super) fn migrate(conn: &mut Connection) -> StoreResult<()> {
    let current: usize = conn
        .pragma_query_value(None, "user_version", |row| row.get(0))
        .map_err(map_err)?;
    if current > MIGRATIONS.len() {
        return Err(StoreError::Other(format!(
            "database schema version {current} is newer than this build knows ({})",
            MIGRATIONS.len()
        )));
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(current) {
        let tx = conn.transaction().map_err(map_err)?;
        tx.execute_batch(sql).map_err(map_err)?;
        tx.pragma_update(None, "user_version", index + 1)
            .map_err(map_err)?;
        tx.commit().map_err(map_err)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::DEFAULT_TENANT;

    #[test]
    fn a_database_from_the_first_schema_migrates_and_keeps_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("old.sqlite3");
        {
            // What a build that only knew the first migration left on disk.
            let old = Connection::open(&path).unwrap();
            old.execute_batch(MIGRATIONS[0]).unwrap();
            old.pragma_update(None, "user_version", 1).unwrap();
            old.execute(
                "INSERT INTO connections (connection_id, status, created_at, updated_at)
                 VALUES ('kept', 'pending', 0, 0)",
                [],
            )
            .unwrap();
        }
        let mut conn = Connection::open(&path).unwrap();
        migrate(&mut conn).unwrap();

        let version: usize = conn
            .pragma_query_value(None, "user_version", |r| r.get(0))
            .unwrap();
        assert_eq!(version, MIGRATIONS.len());
        let (kept, tenant): (String, String) = conn
            .query_row("SELECT connection_id, tenant FROM connections", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .unwrap();
        assert_eq!((kept.as_str(), tenant.as_str()), ("kept", DEFAULT_TENANT));
        for table in [
            "webhooks",
            "deliveries",
            "cursors",
            "messages",
            "idempotency",
            "api_keys",
        ] {
            conn.query_row(&format!("SELECT count(*) FROM {table}"), [], |r| {
                r.get::<_, i64>(0)
            })
            .unwrap();
        }
        // Running it again is a no-op on a current schema.
        migrate(&mut conn).unwrap();
    }
}
