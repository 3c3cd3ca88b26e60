//! The repository layer: the store is the truth about connections, their login archives and their
//! events. Two backends implement the same traits and pass the same contract suite
//! (`tests/store_contract.rs`): MongoDB in production, SQLite when no `MONGO_URI` is set.

mod ack;
pub mod archive;
mod changes;
mod checksum;
mod media;
pub mod mongo;
mod names;
mod numbers;
mod patch;
mod sleep;
pub mod sqlite;
mod tracking;
mod types;

pub use changes::MessageChange;
pub use media::{MediaRepo, MediaStream, StoredMedia};
pub use numbers::{NumberCheck, NumberCheckRepo};
pub use sleep::{SleepRecord, SleepRepo};
pub use tracking::*;
pub use types::*;

use std::path::PathBuf;
use std::sync::Arc;

use async_trait::async_trait;
use chrono::{DateTime, SubsecRound, Utc};

/// What can go wrong in a store, small enough for handlers to map once (see `error.rs`).
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    #[error("conflict: {0}")]
    Conflict(String),
    /// The backend cannot be reached right now; callers answer 503 and retry later.
    #[error("store unavailable: {0}")]
    Unavailable(String),
    /// Stored bytes failed their checksum or could not be decoded.
    #[error("corrupt data: {0}")]
    Corrupt(String),
    #[error("store error: {0}")]
    Other(String),
}

pub type StoreResult<T> = Result<T, StoreError>;

/// Connection records (one per linked or linking WhatsApp account).
#[async_trait]
pub trait ConnectionRepo: Send + Sync {
    /// Inserts a new record; `Conflict` if the id exists.
    async fn insert_connection(&self, conn: &Connection) -> StoreResult<()>;
    async fn get_connection(&self, id: &str) -> StoreResult<Option<Connection>>;
    /// Records ordered by `created_at`; archived ones only when `include_archived`.
    async fn list_connections(&self, include_archived: bool) -> StoreResult<Vec<Connection>>;
    /// Non-archived records in one status (boot-time restore, limits).
    async fn connections_with_status(
        &self,
        status: ConnectionStatus,
    ) -> StoreResult<Vec<Connection>>;
    /// Applies the patch atomically, bumps `updated_at`, returns the new record; `NotFound` if absent.
    async fn update_connection(&self, id: &str, patch: ConnectionPatch) -> StoreResult<Connection>;
    /// Cheap reachability check for `/ready`.
    async fn ping(&self) -> StoreResult<()>;
}

/// Login archives: one compressed copy of a connection's Chromium profile essentials.
#[async_trait]
pub trait ArchiveRepo: Send + Sync {
    /// Stores the new archive, points the connection's `session_data` at it, then drops the older
    /// copy, so a crash at any step leaves a usable archive behind.
    async fn save_archive(&self, connection_id: &str, bytes: &[u8]) -> StoreResult<ArchiveInfo>;
    /// The current archive, checksum verified (`Corrupt` on mismatch).
    async fn load_archive(&self, connection_id: &str) -> StoreResult<Option<Vec<u8>>>;
    /// Deletes the archive and clears `session_data`; succeeds when there is none.
    async fn delete_archive(&self, connection_id: &str) -> StoreResult<()>;
}

/// Every event the gateway emits, written before it is delivered anywhere (the outbox).
#[async_trait]
pub trait EventRepo: Send + Sync {
    /// Appends an event; `Conflict` if its id exists.
    async fn append_event(&self, event: &StoredEvent) -> StoreResult<()>;
    async fn get_event(&self, id: &str) -> StoreResult<Option<StoredEvent>>;
    /// Events in id order (ids are UUIDv7, so time order), optionally for one connection and
    /// strictly after `after_id`, at most `limit`.
    async fn list_events(
        &self,
        connection_id: Option<&str>,
        after_id: Option<&str>,
        limit: usize,
    ) -> StoreResult<Vec<StoredEvent>>;
}

/// Per-connection webhook settings.
#[async_trait]
pub trait WebhookRepo: Send + Sync {
    /// Creates or replaces the connection's webhook.
    async fn put_webhook(&self, connection_id: &str, webhook: &WebhookConfig) -> StoreResult<()>;
    async fn get_webhook(&self, connection_id: &str) -> StoreResult<Option<WebhookConfig>>;
    /// `true` if there was one.
    async fn delete_webhook(&self, connection_id: &str) -> StoreResult<bool>;
}

/// Webhook deliveries: the durable work list of the webhook dispatcher, and its dead letters.
#[async_trait]
pub trait DeliveryRepo: Send + Sync {
    /// Adds a delivery; `Conflict` if one exists for the same `(event_id, target)` (or id), which
    /// makes fanning an event out twice harmless.
    async fn insert_delivery(&self, delivery: &Delivery) -> StoreResult<()>;
    /// Replaces a delivery by id; `NotFound` if absent.
    async fn update_delivery(&self, delivery: &Delivery) -> StoreResult<()>;
    async fn get_delivery(&self, id: &str) -> StoreResult<Option<Delivery>>;
    /// `pending` deliveries in `(event_id, target)` order (event order), at most `limit`.
    async fn pending_deliveries(&self, limit: usize) -> StoreResult<Vec<Delivery>>;
    /// Deliveries matching `filter`, newest id first.
    async fn list_deliveries(&self, filter: &DeliveryFilter) -> StoreResult<Vec<Delivery>>;
}

/// Small named positions (e.g. how far the webhook fan-out has read the event log).
#[async_trait]
pub trait CursorRepo: Send + Sync {
    async fn get_cursor(&self, name: &str) -> StoreResult<Option<String>>;
    async fn set_cursor(&self, name: &str, value: &str) -> StoreResult<()>;
}

/// Messages sent and received, with their ack history (delivery tracking).
#[async_trait]
pub trait MessageRepo: Send + Sync {
    /// Inserts the record; `Conflict` if `(connection_id, message_id)` exists.
    async fn insert_message(&self, message: &MessageRecord) -> StoreResult<()>;
    /// Records an ack: appends it to `acks` (unless that ack value is already there), and moves
    /// `status`/`ack` forward (never backwards, except that a negative ack marks it `failed`).
    /// Returns the updated record, `None` if the message is unknown.
    async fn apply_ack(
        &self,
        connection_id: &str,
        message_id: &str,
        ack: i64,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<MessageRecord>>;
    /// By WhatsApp id, whichever connection it belongs to (ids embed the chat, so they are unique
    /// in practice); `connection_id` narrows it when given.
    async fn get_message(
        &self,
        message_id: &str,
        connection_id: Option<&str>,
    ) -> StoreResult<Option<MessageRecord>>;
    /// Newest first.
    async fn list_messages(&self, filter: &MessageFilter) -> StoreResult<Vec<MessageRecord>>;
    /// Records an edit or a delete (see `MessageRecord::apply_change`) atomically, like an ack.
    /// Returns the updated record, `None` if the message is unknown.
    async fn change_message(
        &self,
        connection_id: &str,
        message_id: &str,
        change: &MessageChange,
    ) -> StoreResult<Option<MessageRecord>>;
}

/// `Idempotency-Key` bookkeeping for sends, per connection.
#[async_trait]
pub trait IdempotencyRepo: Send + Sync {
    /// Claims `key` for a request whose body hashes to `fingerprint`, or reports what holds it.
    async fn claim_idempotency(
        &self,
        connection_id: &str,
        key: &str,
        fingerprint: &str,
    ) -> StoreResult<IdempotencyClaim>;
    /// Stores the response of the claimed request; later claims get `Completed(response)`.
    async fn complete_idempotency(
        &self,
        connection_id: &str,
        key: &str,
        response: &serde_json::Value,
    ) -> StoreResult<()>;
    /// Forgets a claim whose request failed, so that a retry can run it again.
    async fn release_idempotency(&self, connection_id: &str, key: &str) -> StoreResult<()>;
}

/// API keys (other than the admin key from the environment).
#[async_trait]
pub trait ApiKeyRepo: Send + Sync {
    /// Adds a key; `Conflict` if its id or hash exists.
    async fn insert_api_key(&self, key: &ApiKeyRecord) -> StoreResult<()>;
    /// The key with this hash, revoked or not (the caller checks `revoked_at`).
    async fn find_api_key(&self, key_hash: &str) -> StoreResult<Option<ApiKeyRecord>>;
    /// Keys in creation order, of one tenant or all.
    async fn list_api_keys(&self, tenant: Option<&str>) -> StoreResult<Vec<ApiKeyRecord>>;
    /// Marks the key revoked at `at` (a second revoke keeps the first time); `None` if unknown.
    async fn revoke_api_key(
        &self,
        id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<ApiKeyRecord>>;
}

/// The whole store as the app holds it: `Arc<dyn Store>`.
pub trait Store:
    ConnectionRepo
    + ArchiveRepo
    + EventRepo
    + WebhookRepo
    + DeliveryRepo
    + CursorRepo
    + MessageRepo
    + IdempotencyRepo
    + ApiKeyRepo
    + NumberCheckRepo
    + MediaRepo
    + SleepRepo
{
}

impl<T> Store for T where
    T: ConnectionRepo
        + ArchiveRepo
        + EventRepo
        + WebhookRepo
        + DeliveryRepo
        + CursorRepo
        + MessageRepo
        + IdempotencyRepo
        + ApiKeyRepo
        + NumberCheckRepo
        + MediaRepo
        + SleepRepo
{
}

/// Where the store lives; built by the app's config.
#[derive(Clone)]
pub struct StoreSettings {
    /// `MONGO_URI`; `None` selects the embedded SQLite store.
    pub mongo_uri: Option<String>,
    /// `MONGO_DB`: database name used when the URI names none.
    pub mongo_db: Option<String>,
    /// `DATA_DIR`: home of the SQLite file.
    pub data_dir: PathBuf,
}

/// The URI may carry credentials, so `Debug` only says whether one is set.
impl std::fmt::Debug for StoreSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StoreSettings")
            .field("mongo_uri", &self.mongo_uri.as_ref().map(|_| "<redacted>"))
            .field("mongo_db", &self.mongo_db)
            .field("data_dir", &self.data_dir)
            .finish()
    }
}

/// Opens the configured backend once, without retrying: app startup owns the retry policy.
pub async fn open(settings: &StoreSettings) -> StoreResult<Arc<dyn Store>> {
    match &settings.mongo_uri {
        Some(uri) => {
            let store = mongo::MongoStore::connect(uri, settings.mongo_db.as_deref()).await?;
            Ok(Arc::new(store))
        }
        None => {
            let dir = settings.data_dir.clone();
            let store = tokio::task::spawn_blocking(move || sqlite::SqliteStore::open(&dir))
                .await
                .map_err(|e| StoreError::Other(format!("sqlite open task: {e}")))??;
            Ok(Arc::new(store))
        }
    }
}

/// The current time at the precision both backends keep (milliseconds, like BSON dates), so a
/// record written with it reads back equal.
pub fn now() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(3)
}
