//! The production store: MongoDB, with login archives in GridFS (they can exceed 16 MB).

mod api_keys;
mod codec;
mod cursors;
mod deliveries;
mod gridfs;
mod idempotency;
mod indexes;
mod media;
mod messages;
mod numbers;
mod sleep;
mod webhooks;

use std::time::Duration;

use async_trait::async_trait;
use futures::TryStreamExt;
use mongodb::bson::{doc, Document};
use mongodb::error::{ErrorKind, WriteFailure};
use mongodb::gridfs::GridFsBucket;
use mongodb::options::{ClientOptions, GridFsBucketOptions, ReturnDocument};
use mongodb::{Client, Collection, Database};

use self::codec::{connection_doc, decode_connection, decode_event, event_doc, patch_update};
use super::{
    now, Connection, ConnectionPatch, ConnectionRepo, ConnectionStatus, EventRepo, StoreError,
    StoreResult, StoredEvent,
};

/// Database used when neither the URI nor `MONGO_DB` names one.
pub const DEFAULT_DATABASE: &str = "wa_gateway";
/// GridFS bucket holding login archives.
pub const ARCHIVE_BUCKET: &str = "loginArchives";
/// Applied unless the URI sets its own: a dead server should surface in seconds, not the
/// driver's default 30 s.
const SERVER_SELECTION_TIMEOUT: Duration = Duration::from_secs(3);
const DUPLICATE_KEY: i32 = 11000;

/// The MongoDB backend; cheap to clone (the driver pools connections internally).
#[derive(Clone)]
pub struct MongoStore {
    db: Database,
    connections: Collection<Document>,
    events: Collection<Document>,
    archives: GridFsBucket,
    webhooks: Collection<Document>,
    deliveries: Collection<Document>,
    cursors: Collection<Document>,
    messages: Collection<Document>,
    idempotency: Collection<Document>,
    api_keys: Collection<Document>,
    media_blobs: GridFsBucket,
    media_index: Collection<Document>,
}

impl MongoStore {
    /// Connects and ensures indexes. The database is the URI's path, else `db_override`
    /// (`MONGO_DB`), else `wa_gateway`. Does not retry: app startup owns the backoff.
    pub async fn connect(uri: &str, db_override: Option<&str>) -> StoreResult<MongoStore> {
        let options = client_options(uri).await?;
        let name = database_name(options.default_database.as_deref(), db_override);
        Self::with_options(options, &name).await
    }

    async fn with_options(options: ClientOptions, database: &str) -> StoreResult<MongoStore> {
        let db = Client::with_options(options)
            .map_err(map_err)?
            .database(database);
        let store = MongoStore {
            connections: db.collection("connections"),
            events: db.collection("events"),
            archives: db.gridfs_bucket(
                GridFsBucketOptions::builder()
                    .bucket_name(ARCHIVE_BUCKET.to_owned())
                    .build(),
            ),
            webhooks: db.collection("webhooks"),
            deliveries: db.collection("deliveries"),
            cursors: db.collection("cursors"),
            messages: db.collection("messages"),
            idempotency: db.collection("idempotency"),
            api_keys: db.collection("apiKeys"),
            media_blobs: db.gridfs_bucket(
                GridFsBucketOptions::builder()
                    .bucket_name(media::MEDIA_BUCKET.to_owned())
                    .build(),
            ),
            media_index: db.collection("mediaIndex"),
            db,
        };
        store.ensure_indexes().await?;
        Ok(store)
    }

    async fn find_connections(&self, filter: Document) -> StoreResult<Vec<Connection>> {
        let docs: Vec<Document> = self
            .connections
            .find(filter)
            .sort(doc! { "createdAt": 1, "connectionId": 1 })
            .await
            .map_err(map_err)?
            .try_collect()
            .await
            .map_err(map_err)?;
        docs.iter().map(decode_connection).collect()
    }
}

async fn client_options(uri: &str) -> StoreResult<ClientOptions> {
    let mut options = ClientOptions::parse(uri).await.map_err(map_err)?;
    options
        .server_selection_timeout
        .get_or_insert(SERVER_SELECTION_TIMEOUT);
    options
        .connect_timeout
        .get_or_insert(SERVER_SELECTION_TIMEOUT);
    options
        .app_name
        .get_or_insert_with(|| "wa-gateway".to_owned());
    Ok(options)
}

/// The URI's database wins, then `MONGO_DB`, then the default; empty names count as unset.
fn database_name(from_uri: Option<&str>, db_override: Option<&str>) -> String {
    [from_uri, db_override]
        .into_iter()
        .flatten()
        .find(|name| !name.is_empty())
        .unwrap_or(DEFAULT_DATABASE)
        .to_owned()
}

/// Duplicate keys are `Conflict`; anything that means "cannot reach the server" is `Unavailable`.
fn map_err(e: mongodb::error::Error) -> StoreError {
    let code = match e.kind.as_ref() {
        ErrorKind::Write(WriteFailure::WriteError(w)) => Some(w.code),
        ErrorKind::Command(c) => Some(c.code),
        _ => None,
    };
    match e.kind.as_ref() {
        _ if code == Some(DUPLICATE_KEY) => StoreError::Conflict(e.to_string()),
        ErrorKind::ServerSelection { .. }
        | ErrorKind::Io(_)
        | ErrorKind::ConnectionPoolCleared { .. }
        | ErrorKind::DnsResolve { .. }
        | ErrorKind::Shutdown => StoreError::Unavailable(e.to_string()),
        _ if code.is_some_and(is_transient_server_code) => StoreError::Unavailable(e.to_string()),
        _ => StoreError::Other(e.to_string()),
    }
}

/// Server codes for a node that is stepping down, shutting down or unreachable from its peers.
fn is_transient_server_code(code: i32) -> bool {
    matches!(
        code,
        6 | 7 | 89 | 91 | 189 | 10107 | 11600 | 11602 | 13435 | 13436
    )
}

#[async_trait]
impl ConnectionRepo for MongoStore {
    async fn insert_connection(&self, conn: &Connection) -> StoreResult<()> {
        self.connections
            .insert_one(connection_doc(conn))
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn get_connection(&self, id: &str) -> StoreResult<Option<Connection>> {
        let found = self
            .connections
            .find_one(doc! { "connectionId": id })
            .await
            .map_err(map_err)?;
        found.as_ref().map(decode_connection).transpose()
    }

    async fn list_connections(&self, include_archived: bool) -> StoreResult<Vec<Connection>> {
        let filter = if include_archived {
            doc! {}
        } else {
            doc! { "archived": { "$ne": true } }
        };
        self.find_connections(filter).await
    }

    async fn connections_with_status(
        &self,
        status: ConnectionStatus,
    ) -> StoreResult<Vec<Connection>> {
        self.find_connections(doc! { "status": status.as_str(), "archived": { "$ne": true } })
            .await
    }

    async fn update_connection(&self, id: &str, patch: ConnectionPatch) -> StoreResult<Connection> {
        let updated = self
            .connections
            .find_one_and_update(doc! { "connectionId": id }, patch_update(patch, now()))
            .return_document(ReturnDocument::After)
            .await
            .map_err(map_err)?
            .ok_or(StoreError::NotFound)?;
        decode_connection(&updated)
    }

    async fn ping(&self) -> StoreResult<()> {
        self.db
            .run_command(doc! { "ping": 1 })
            .await
            .map_err(map_err)?;
        Ok(())
    }
}

#[async_trait]
impl EventRepo for MongoStore {
    async fn append_event(&self, event: &StoredEvent) -> StoreResult<()> {
        self.events
            .insert_one(event_doc(event)?)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn get_event(&self, id: &str) -> StoreResult<Option<StoredEvent>> {
        let found = self
            .events
            .find_one(doc! { "id": id })
            .await
            .map_err(map_err)?;
        found.as_ref().map(decode_event).transpose()
    }

    async fn list_events(
        &self,
        connection_id: Option<&str>,
        after_id: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<StoredEvent>> {
        // MongoDB reads a limit of 0 as "no limit".
        if limit == 0 {
            return Ok(Vec::new());
        }
        let mut filter = Document::new();
        if let Some(c) = connection_id {
            filter.insert("connectionId", c);
        }
        if let Some(after) = after_id {
            filter.insert("id", doc! { "$gt": after });
        }
        let docs: Vec<Document> = self
            .events
            .find(filter)
            .sort(doc! { "id": 1 })
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .await
            .map_err(map_err)?
            .try_collect()
            .await
            .map_err(map_err)?;
        docs.iter().map(decode_event).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_uri_database_wins_then_the_override_then_the_default() {
        assert_eq!(database_name(Some("fromuri"), Some("env")), "fromuri");
        assert_eq!(database_name(None, Some("env")), "env");
        assert_eq!(database_name(Some(""), Some("env")), "env");
        assert_eq!(database_name(None, None), DEFAULT_DATABASE);
    }
}
