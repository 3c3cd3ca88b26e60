//! The MongoDB backend (in progress): every call answers `Unavailable` until it lands.

use async_trait::async_trait;

use super::{
    ArchiveInfo, ArchiveRepo, Connection, ConnectionPatch, ConnectionRepo, ConnectionStatus,
    EventRepo, StoreError, StoreResult, StoredEvent,
};

/// Placeholder for the MongoDB store.
pub struct MongoStore {
    db: mongodb::Database,
}

impl MongoStore {
    /// Not implemented yet.
    pub async fn connect(uri: &str, db_override: Option<&str>) -> StoreResult<MongoStore> {
        Self::connect_to(uri, db_override.unwrap_or("wa_gateway")).await
    }

    /// Not implemented yet.
    pub async fn connect_to(_uri: &str, _database: &str) -> StoreResult<MongoStore> {
        Err(unimplemented_err())
    }

    /// The database this store writes to.
    pub fn database(&self) -> &mongodb::Database {
        &self.db
    }
}

fn unimplemented_err() -> StoreError {
    StoreError::Unavailable("MongoDB backend not implemented yet".into())
}

#[async_trait]
impl ConnectionRepo for MongoStore {
    async fn insert_connection(&self, _: &Connection) -> StoreResult<()> {
        Err(unimplemented_err())
    }
    async fn get_connection(&self, _: &str) -> StoreResult<Option<Connection>> {
        Err(unimplemented_err())
    }
    async fn list_connections(&self, _: bool) -> StoreResult<Vec<Connection>> {
        Err(unimplemented_err())
    }
    async fn connections_with_status(&self, _: ConnectionStatus) -> StoreResult<Vec<Connection>> {
        Err(unimplemented_err())
    }
    async fn update_connection(&self, _: &str, _: ConnectionPatch) -> StoreResult<Connection> {
        Err(unimplemented_err())
    }
    async fn ping(&self) -> StoreResult<()> {
        Err(unimplemented_err())
    }
}

#[async_trait]
impl ArchiveRepo for MongoStore {
    async fn save_archive(&self, _: &str, _: &[u8]) -> StoreResult<ArchiveInfo> {
        Err(unimplemented_err())
    }
    async fn load_archive(&self, _: &str) -> StoreResult<Option<Vec<u8>>> {
        Err(unimplemented_err())
    }
    async fn delete_archive(&self, _: &str) -> StoreResult<()> {
        Err(unimplemented_err())
    }
}

#[async_trait]
impl EventRepo for MongoStore {
    async fn append_event(&self, _: &StoredEvent) -> StoreResult<()> {
        Err(unimplemented_err())
    }
    async fn list_events(
        &self,
        _: Option<&str>,
        _: Option<&str>,
        _: usize,
    ) -> StoreResult<Vec<StoredEvent>> {
        Err(unimplemented_err())
    }
}
