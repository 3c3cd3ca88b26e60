//! Types of the event-delivery side of the store: webhook settings, webhook deliveries (the
//! outbox's work list), tracked messages with their ack history, and idempotency keys.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Where one connection's events are POSTed (set through the API).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WebhookConfig {
    pub url: String,
    /// Event names to deliver; empty means every event.
    #[serde(default)]
    pub events: Vec<String>,
    /// HMAC-SHA256 key for `X-Hub-Signature-256`; `None` sends no signature.
    #[serde(default)]
    pub secret: Option<String>,
    /// Extra request headers (e.g. an `Authorization` for the receiver).
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    /// Set with a tenant key: delivered to public addresses only (see `crate::net`).
    #[serde(default)]
    pub guarded: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeliveryStatus {
    /// Waiting for its first or next attempt.
    Pending,
    /// The receiver answered 2xx.
    Delivered,
    /// Given up (a non-retryable 4xx, or retries exhausted): a dead letter, replayable.
    Failed,
}

impl DeliveryStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Pending => "pending",
            Self::Delivered => "delivered",
            Self::Failed => "failed",
        }
    }
}

/// Which webhook a delivery is for: the global one (`WEBHOOK_URL`) or the connection's own.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum WebhookTarget {
    Global,
    Connection,
}

impl WebhookTarget {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Global => "global",
            Self::Connection => "connection",
        }
    }
}

/// One event on its way to one webhook. `(event_id, target)` is unique.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Delivery {
    /// UUIDv7 string.
    pub id: String,
    pub event_id: String,
    /// The event's name (`message`, `qr`, ...), for filtering and display.
    pub event: String,
    pub connection_id: String,
    pub target: WebhookTarget,
    /// The URL at the time the delivery was created (settings may change later).
    pub url: String,
    pub status: DeliveryStatus,
    pub attempts: u32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_error: Option<String>,
    pub last_status_code: Option<u16>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

/// Filters for listing deliveries (newest first).
#[derive(Debug, Clone, Default)]
pub struct DeliveryFilter {
    pub connection_id: Option<String>,
    pub status: Option<DeliveryStatus>,
    /// Only deliveries whose id sorts before this one (paging backwards).
    pub before_id: Option<String>,
    pub limit: usize,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageDirection {
    Outbound,
    Inbound,
}

/// Delivery state of a message, derived from WhatsApp's ack numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum MessageStatus {
    Failed,
    Pending,
    Sent,
    Delivered,
    Read,
    Played,
    /// Inbound messages: we have it.
    Received,
}

impl MessageStatus {
    /// -1 (and WhatsApp's other negatives) fail; 0 pending; 1 sent; 2 delivered; 3 read; 4+ played.
    pub fn from_ack(ack: i64) -> Self {
        match ack {
            i64::MIN..=-1 => Self::Failed,
            0 => Self::Pending,
            1 => Self::Sent,
            2 => Self::Delivered,
            3 => Self::Read,
            _ => Self::Played,
        }
    }
}

/// One ack as it arrived.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AckStep {
    pub ack: i64,
    pub status: MessageStatus,
    pub at: DateTime<Utc>,
}

/// A message sent or received through a connection, with its delivery history.
/// `(connection_id, message_id)` is unique.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MessageRecord {
    /// UUIDv7 given when tracking starts: the paging order.
    pub seq: String,
    /// WhatsApp's serialized message id.
    pub message_id: String,
    pub connection_id: String,
    pub direction: MessageDirection,
    pub chat_id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub author: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub body: Option<String>,
    /// WhatsApp's own timestamp of the message.
    pub timestamp: Option<DateTime<Utc>>,
    pub status: MessageStatus,
    /// Highest ack seen (-1 once failed).
    pub ack: i64,
    pub acks: Vec<AckStep>,
    /// What the message's media is (the bytes: `GET /wa/messages/{id}/media`).
    pub media: Option<crate::media::MessageMedia>,
    /// When its text or caption was last edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// When it was deleted for everyone (its body and media are gone then).
    pub revoked_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// Filters for paging through a connection's messages (newest first).
#[derive(Debug, Clone)]
pub struct MessageFilter {
    pub connection_id: String,
    pub direction: Option<MessageDirection>,
    /// Only records whose `seq` sorts before this one.
    pub before_seq: Option<String>,
    pub limit: usize,
}

/// What claiming an idempotency key found.
#[derive(Debug, Clone, PartialEq)]
pub enum IdempotencyClaim {
    /// The key is new and now held by the caller, who must `complete` or `release` it.
    Claimed,
    /// A request with this key finished before: its response.
    Completed(serde_json::Value),
    /// A request with this key is still running.
    InProgress,
    /// The key was used with a different request.
    Mismatch,
}

/// What an API key may do; each role includes the ones before it.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Read only.
    Viewer,
    /// Send and read, within its tenant.
    Sender,
    /// Create and disconnect connections, send, configure webhooks, within its tenant.
    Operator,
    /// Everything, every tenant, and key management.
    Admin,
}

/// A stored API key. The key itself is never stored: only its SHA-256 and first characters.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiKeyRecord {
    /// UUID, used to revoke the key.
    pub id: String,
    pub tenant: String,
    pub role: Role,
    pub name: Option<String>,
    /// Lowercase hex SHA-256 of the key (unique).
    pub key_hash: String,
    /// The key's first characters, so people can tell keys apart.
    pub key_prefix: String,
    pub created_at: DateTime<Utc>,
    pub revoked_at: Option<DateTime<Utc>>,
}
