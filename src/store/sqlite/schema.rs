//! Forward-only migrations, tracked in `PRAGMA user_version`.

use rusqlite::Connection;

use super::map_err;
use crate::store::{StoreError, StoreResult};

/// One entry per schema version; never edit a shipped entry, append a new one.
const MIGRATIONS: &[&str] = &[r#"
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
"#];

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
