use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The tenant of connections created with the admin key (and of records from before tenants).
pub const DEFAULT_TENANT: &str = "default";

/// The seed's three statuses; `Disconnected` always carries a reason.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum ConnectionStatus {
    Pending,
    Connected,
    Disconnected,
}

impl ConnectionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Connected => "connected",
            Self::Disconnected => "disconnected",
        }
    }
}

/// What WhatsApp Web tells about the linked account.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Profile {
    pub push_name: Option<String>,
    pub platform: Option<String>,
}

/// Where a connection's login archive is and what it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ArchiveInfo {
    /// Backend-specific id of the stored blob (GridFS file id, SQLite row id).
    pub archive_id: String,
    pub size: u64,
    /// Lowercase hex SHA-256 of the stored bytes.
    pub checksum: String,
    pub saved_at: DateTime<Utc>,
}

/// One connection record, as the API and both backends see it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Connection {
    pub connection_id: String,
    /// Owner: the tenant of the API key that created it ([`DEFAULT_TENANT`] for the admin key).
    pub tenant: String,
    pub status: ConnectionStatus,
    /// Machine-readable cause of the last transition to `disconnected` (e.g. `LOGGED_OUT`).
    pub reason: Option<String>,
    /// Own number in international format, digits only, once known.
    pub whatsapp_number: Option<String>,
    pub profile_info: Option<Profile>,
    pub session_data: Option<ArchiveInfo>,
    pub last_active: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub archived: bool,
    pub archived_at: Option<DateTime<Utc>>,
}

impl Connection {
    /// A fresh `pending` record.
    pub fn new_pending(
        connection_id: impl Into<String>,
        tenant: impl Into<String>,
        now: DateTime<Utc>,
    ) -> Self {
        Self {
            connection_id: connection_id.into(),
            tenant: tenant.into(),
            status: ConnectionStatus::Pending,
            reason: None,
            whatsapp_number: None,
            profile_info: None,
            session_data: None,
            last_active: None,
            created_at: now,
            updated_at: now,
            archived: false,
            archived_at: None,
        }
    }
}

/// A status transition: status and reason always change together (a reason is cleared when the
/// status is not `disconnected`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StatusChange {
    pub status: ConnectionStatus,
    pub reason: Option<String>,
}

/// Fields to change on a connection; `None` leaves a field as it is.
#[derive(Debug, Clone, Default)]
pub struct ConnectionPatch {
    pub status: Option<StatusChange>,
    pub whatsapp_number: Option<String>,
    pub profile_info: Option<Profile>,
    pub last_active: Option<DateTime<Utc>>,
    /// `Some(true)` archives (setting `archived_at` to now), `Some(false)` un-archives.
    pub archived: Option<bool>,
}

/// An event as written to the outbox: the envelope every consumer sees.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct StoredEvent {
    /// UUIDv7 string: unique, stable, and ordered by creation time.
    pub id: String,
    pub event: String,
    pub connection_id: String,
    pub timestamp: DateTime<Utc>,
    pub data: serde_json::Value,
}
