//! Payloads of the events about chats, contacts and calls.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The data of a `contact_changed` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ContactChangedData {
    /// The contact's id before the change (`…@c.us`).
    #[schema(example = "923001234567@c.us")]
    pub old_id: Option<String>,
    /// The contact's new id.
    #[schema(example = "923009876543@c.us")]
    pub new_id: Option<String>,
    /// The old and new numbers (digits), when the ids carry them.
    pub old_number: Option<String>,
    pub new_number: Option<String>,
    /// The chat WhatsApp put the notice in.
    pub chat_id: Option<String>,
    /// `true` for a contact's own number change; `false` for a group participant's.
    pub is_contact: bool,
    /// When WhatsApp noticed it (RFC 3339).
    #[schema(format = DateTime)]
    pub timestamp: Option<String>,
}

/// The data of a `chat_archived` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatArchivedData {
    pub chat_id: String,
    /// `true` when archived, `false` when taken out of the archive.
    pub archived: bool,
}

/// The data of a `chat_removed` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatRemovedData {
    pub chat_id: String,
}

/// The data of a `call` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CallData {
    /// WhatsApp's call id.
    pub call_id: String,
    /// The caller's id (`…@c.us` or `…@lid`).
    pub from: Option<String>,
    /// The caller's number (digits) when known.
    pub from_phone: Option<String>,
    pub is_video: bool,
    pub is_group: bool,
    /// When the call was offered (RFC 3339).
    #[schema(format = DateTime)]
    pub timestamp: Option<String>,
    /// Whether the gateway rejected it (`REJECT_CALLS=true`).
    pub rejected: bool,
    /// Whether `REJECT_CALLS_REPLY` was queued to the caller.
    pub replied: bool,
}
