//! The embedded store: one SQLite file in `DATA_DIR`, used when no `MONGO_URI` is set.
//!
//! rusqlite blocks, so every call runs on tokio's blocking pool against one connection behind a
//! mutex; SQLite serialises writers anyway, and one connection keeps transactions simple.

mod rows;
mod schema;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, ErrorCode, OptionalExtension};

use self::rows::{archive_id_of, from_millis, get_connection, millis, profile_json, RawConnection};
use super::checksum::{sha256_hex, verify};
use super::{
    now, ArchiveInfo, ArchiveRepo, Connection, ConnectionPatch, ConnectionRepo, ConnectionStatus,
    EventRepo, StoreError, StoreResult, StoredEvent,
};

/// File name of the database inside `DATA_DIR`.
pub const FILE_NAME: &str = "wa-gateway.sqlite3";

/// The SQLite backend; cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<rusqlite::Connection>>,
}

impl SqliteStore {
    /// Opens `data_dir/wa-gateway.sqlite3` (creating the directory and the file if missing), turns
    /// on WAL and migrates the schema. Blocking: async callers go through `spawn_blocking`.
    pub fn open(data_dir: &Path) -> StoreResult<SqliteStore> {
        std::fs::create_dir_all(data_dir).map_err(|e| {
            StoreError::Unavailable(format!("create data dir {}: {e}", data_dir.display()))
        })?;
        let mut conn = rusqlite::Connection::open(Self::file_path(data_dir)).map_err(map_err)?;
        // Another process (a second instance, a backup tool) may hold the lock briefly.
        conn.busy_timeout(Duration::from_secs(5)).map_err(map_err)?;
        conn.pragma_update_and_check(None, "journal_mode", "WAL", |row| row.get::<_, String>(0))
            .map_err(map_err)?;
        // NORMAL is durable across crashes in WAL mode; only an OS crash can drop the last commit.
        conn.pragma_update(None, "synchronous", "NORMAL")
            .map_err(map_err)?;
        conn.pragma_update(None, "foreign_keys", true)
            .map_err(map_err)?;
        schema::migrate(&mut conn)?;
        Ok(SqliteStore {
            conn: Arc::new(Mutex::new(conn)),
        })
    }

    /// Where `open` keeps the database for a given `DATA_DIR`.
    pub fn file_path(data_dir: &Path) -> PathBuf {
        data_dir.join(FILE_NAME)
    }

    /// Runs `f` on the blocking pool with the connection locked.
    async fn call<T, F>(&self, f: F) -> StoreResult<T>
    where
        T: Send + 'static,
        F: FnOnce(&mut rusqlite::Connection) -> StoreResult<T> + Send + 'static,
    {
        let conn = Arc::clone(&self.conn);
        blocking(move || {
            // A panic mid-call rolled its transaction back on unwind; the connection is still sound.
            let mut guard = conn.lock().unwrap_or_else(PoisonError::into_inner);
            f(&mut guard)
        })
        .await
    }
}

/// Runs CPU-heavy work (hashing archives) on the blocking pool without holding the connection.
async fn blocking<T, F>(f: F) -> StoreResult<T>
where
    T: Send + 'static,
    F: FnOnce() -> StoreResult<T> + Send + 'static,
{
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| StoreError::Other(format!("sqlite task failed: {e}")))?
}

/// Unique and primary-key violations are `Conflict`; a locked or unopenable file is `Unavailable`.
fn map_err(e: rusqlite::Error) -> StoreError {
    use rusqlite::ffi::{SQLITE_CONSTRAINT_PRIMARYKEY, SQLITE_CONSTRAINT_UNIQUE};
    match &e {
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.extended_code,
                SQLITE_CONSTRAINT_PRIMARYKEY | SQLITE_CONSTRAINT_UNIQUE
            ) =>
        {
            StoreError::Conflict(e.to_string())
        }
        rusqlite::Error::SqliteFailure(f, _)
            if matches!(
                f.code,
                ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked | ErrorCode::CannotOpen
            ) =>
        {
            StoreError::Unavailable(e.to_string())
        }
        _ => StoreError::Other(e.to_string()),
    }
}

#[async_trait]
impl ConnectionRepo for SqliteStore {
    async fn insert_connection(&self, conn: &Connection) -> StoreResult<()> {
        let c = conn.clone();
        self.call(move |db| {
            // session_data is owned by ArchiveRepo: a new record never points at an archive.
            db.execute(
                "INSERT INTO connections (connection_id, status, reason, whatsapp_number,
                    profile_info, last_active, created_at, updated_at, archived, archived_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
                params![
                    c.connection_id,
                    c.status.as_str(),
                    c.reason,
                    c.whatsapp_number,
                    profile_json(&c.profile_info)?,
                    c.last_active.map(millis),
                    millis(c.created_at),
                    millis(c.updated_at),
                    c.archived,
                    c.archived_at.map(millis),
                ],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn get_connection(&self, id: &str) -> StoreResult<Option<Connection>> {
        let id = id.to_owned();
        self.call(move |db| get_connection(db, &id)).await
    }

    async fn list_connections(&self, include_archived: bool) -> StoreResult<Vec<Connection>> {
        let filter = if include_archived {
            ""
        } else {
            "WHERE c.archived = 0"
        };
        let sql = format!(
            "{} {filter} ORDER BY c.created_at, c.connection_id",
            rows::SELECT_CONNECTION
        );
        self.call(move |db| query_connections(db, &sql, Vec::new()))
            .await
    }

    async fn connections_with_status(
        &self,
        status: ConnectionStatus,
    ) -> StoreResult<Vec<Connection>> {
        let sql = format!(
            "{} WHERE c.status = ?1 AND c.archived = 0 ORDER BY c.created_at, c.connection_id",
            rows::SELECT_CONNECTION
        );
        let params = vec![Value::Text(status.as_str().to_owned())];
        self.call(move |db| query_connections(db, &sql, params))
            .await
    }

    async fn update_connection(&self, id: &str, patch: ConnectionPatch) -> StoreResult<Connection> {
        let id = id.to_owned();
        self.call(move |db| {
            let tx = db.transaction().map_err(map_err)?;
            let mut conn = get_connection(&tx, &id)?.ok_or(StoreError::NotFound)?;
            patch.apply_to(&mut conn, now());
            tx.execute(
                "UPDATE connections SET status = ?2, reason = ?3, whatsapp_number = ?4,
                    profile_info = ?5, last_active = ?6, updated_at = ?7, archived = ?8,
                    archived_at = ?9
                 WHERE connection_id = ?1",
                params![
                    id,
                    conn.status.as_str(),
                    conn.reason,
                    conn.whatsapp_number,
                    profile_json(&conn.profile_info)?,
                    conn.last_active.map(millis),
                    millis(conn.updated_at),
                    conn.archived,
                    conn.archived_at.map(millis),
                ],
            )
            .map_err(map_err)?;
            tx.commit().map_err(map_err)?;
            Ok(conn)
        })
        .await
    }

    async fn ping(&self) -> StoreResult<()> {
        self.call(|db| db.query_row("SELECT 1", [], |_| Ok(())).map_err(map_err))
            .await
    }
}

fn query_connections(
    db: &rusqlite::Connection,
    sql: &str,
    params: Vec<Value>,
) -> StoreResult<Vec<Connection>> {
    let mut stmt = db.prepare_cached(sql).map_err(map_err)?;
    let raws = stmt
        .query_map(params_from_iter(params), RawConnection::from_row)
        .map_err(map_err)?
        .collect::<Result<Vec<_>, _>>()
        .map_err(map_err)?;
    raws.into_iter().map(RawConnection::decode).collect()
}

#[async_trait]
impl ArchiveRepo for SqliteStore {
    async fn save_archive(&self, connection_id: &str, bytes: &[u8]) -> StoreResult<ArchiveInfo> {
        let id = connection_id.to_owned();
        let bytes = bytes.to_vec();
        let (bytes, checksum) = blocking(move || {
            let sum = sha256_hex(&bytes);
            Ok((bytes, sum))
        })
        .await?;
        self.call(move |db| {
            let saved_at = now();
            let tx = db.transaction().map_err(map_err)?;
            let old = archive_id_of(&tx, &id)?.ok_or(StoreError::NotFound)?;
            tx.execute(
                "INSERT INTO archives (connection_id, size, checksum, saved_at, data)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![id, bytes.len() as i64, checksum, millis(saved_at), bytes],
            )
            .map_err(map_err)?;
            let new_id = tx.last_insert_rowid();
            tx.execute(
                "UPDATE connections SET archive_id = ?2 WHERE connection_id = ?1",
                params![id, new_id],
            )
            .map_err(map_err)?;
            if let Some(old) = old {
                tx.execute("DELETE FROM archives WHERE id = ?1", [old])
                    .map_err(map_err)?;
            }
            tx.commit().map_err(map_err)?;
            Ok(ArchiveInfo {
                archive_id: new_id.to_string(),
                size: bytes.len() as u64,
                checksum,
                saved_at,
            })
        })
        .await
    }

    async fn load_archive(&self, connection_id: &str) -> StoreResult<Option<Vec<u8>>> {
        let id = connection_id.to_owned();
        let found = self
            .call(move |db| {
                db.query_row(
                    "SELECT a.data, a.checksum FROM connections c
                     JOIN archives a ON a.id = c.archive_id WHERE c.connection_id = ?1",
                    [id],
                    |row| Ok((row.get::<_, Vec<u8>>(0)?, row.get::<_, String>(1)?)),
                )
                .optional()
                .map_err(map_err)
            })
            .await?;
        let Some((bytes, checksum)) = found else {
            return Ok(None);
        };
        blocking(move || verify(&bytes, &checksum).map(|()| Some(bytes))).await
    }

    async fn delete_archive(&self, connection_id: &str) -> StoreResult<()> {
        let id = connection_id.to_owned();
        self.call(move |db| {
            let tx = db.transaction().map_err(map_err)?;
            if let Some(Some(old)) = archive_id_of(&tx, &id)? {
                tx.execute(
                    "UPDATE connections SET archive_id = NULL WHERE connection_id = ?1",
                    [&id],
                )
                .map_err(map_err)?;
                tx.execute("DELETE FROM archives WHERE id = ?1", [old])
                    .map_err(map_err)?;
            }
            tx.commit().map_err(map_err)
        })
        .await
    }
}

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
                .query_map(params_from_iter(params), |row| {
                    Ok((
                        row.get::<_, String>(0)?,
                        row.get::<_, String>(1)?,
                        row.get::<_, String>(2)?,
                        row.get::<_, i64>(3)?,
                        row.get::<_, String>(4)?,
                    ))
                })
                .map_err(map_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_err)?;
            raws.into_iter()
                .map(|(id, event, connection_id, ts, data)| {
                    Ok(StoredEvent {
                        data: serde_json::from_str(&data)
                            .map_err(|e| StoreError::Corrupt(format!("event {id} data: {e}")))?,
                        timestamp: from_millis(ts)?,
                        id,
                        event,
                        connection_id,
                    })
                })
                .collect()
        })
        .await
    }
}
