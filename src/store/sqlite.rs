//! The embedded store: one SQLite file in `DATA_DIR`, used when no `MONGO_URI` is set.
//!
//! rusqlite blocks, so every call runs on tokio's blocking pool against one connection behind a
//! mutex; SQLite serialises writers anyway, and one connection keeps transactions simple.

mod api_keys;
mod archives;
mod cursors;
mod deliveries;
mod events;
mod idempotency;
mod media;
mod messages;
mod numbers;
mod rows;
mod schema;
mod sleep;
mod webhooks;

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, ErrorCode};

use self::rows::{get_connection, millis, profile_json, RawConnection};
use super::{
    now, Connection, ConnectionPatch, ConnectionRepo, ConnectionStatus, StoreError, StoreResult,
};

/// File name of the database inside `DATA_DIR`.
pub const FILE_NAME: &str = "wa-gateway.sqlite3";

/// The SQLite backend; cheap to clone.
#[derive(Clone)]
pub struct SqliteStore {
    conn: Arc<Mutex<rusqlite::Connection>>,
    /// `DATA_DIR/media`: stored media blobs.
    media_dir: PathBuf,
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
            media_dir: media::media_dir(data_dir),
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
                "INSERT INTO connections (connection_id, tenant, status, reason, whatsapp_number,
                    profile_info, last_active, created_at, updated_at, archived, archived_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                params![
                    c.connection_id,
                    c.tenant,
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
