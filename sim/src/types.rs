//! Public data types of the control API (Rust and JSON share them).

use serde::{Deserialize, Serialize};

use crate::error::SimError;

/// Checks that a phone number is digits only, international format.
pub fn parse_number(number: &str) -> Result<String, SimError> {
    let ok = (6..=15).contains(&number.len()) && number.bytes().all(|b| b.is_ascii_digit());
    if ok && !number.starts_with('0') {
        Ok(number.to_string())
    } else {
        Err(SimError::BadRequest(format!(
            "number {number:?} must be 6-15 digits in international format without '+' (e.g. 923001234567)"
        )))
    }
}

/// What a successful scan linked.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ScanResult {
    /// The account's number.
    pub number: String,
    /// The account's own wid, `<number>@c.us`.
    pub wid: String,
    /// The account's privacy id, `<lid>@lid`.
    pub lid: String,
    /// The new companion device's id (1, 2, ...).
    pub device_id: u32,
    /// The push name the account uses.
    pub push_name: String,
}

/// A linked companion device of an account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeviceInfo {
    /// Device id within the account.
    pub device_id: u32,
    /// When the QR was scanned (unix seconds).
    pub linked_at: i64,
    /// Whether a page holding this device's credentials is connected now.
    pub online: bool,
    /// Socket state of that page as the servers see it (`CONNECTED`, `CONFLICT`, ...), if online.
    pub state: Option<String>,
}

/// A message a linked device sent, as the servers recorded it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SentMessage {
    /// Serialized key, e.g. `true_923001234567@c.us_3EB0A1B2C3D4E5F60718`.
    pub id: String,
    /// Serialized recipient wid.
    pub to: String,
    /// Text (or caption) of the message.
    pub body: String,
    /// Message type (`chat`, `image`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// Unix seconds as the page stamped it.
    pub timestamp: i64,
    /// Latest ack: -1 error, 1 server, 2 delivered, 3 read.
    pub ack: i8,
    /// Device that sent it.
    pub device_id: u32,
    /// Every field the page sent, as JSON.
    pub raw: serde_json::Value,
    /// In a chat with disappearing messages: whether the message carried the ephemeral fields
    /// (`ephemeralDuration`); `None` in other chats.
    #[serde(default)]
    pub ephemeral_fields: Option<bool>,
    /// The media the message points at, decrypted by the servers from the CDN (hashes for tests).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<crate::media::SentMedia>,
}

/// Running totals, for tests and the phone page.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Counters {
    /// `GET /` served.
    pub page_loads: u64,
    /// WebSocket connections from pages.
    pub socket_connections: u64,
    /// QR refs issued to pages.
    pub refs_issued: u64,
    /// Successful scans.
    pub scans: u64,
    /// Rejected scans (unknown, stale or malformed QR).
    pub scans_rejected: u64,
    /// Devices linked (same as scans).
    pub devices_linked: u64,
    /// Devices unlinked (from the phone or by `Socket.logout()`).
    pub devices_unlinked: u64,
    /// Pages that came back with valid stored credentials.
    pub restores: u64,
    /// Pages whose stored credentials were refused.
    pub restores_refused: u64,
    /// Devices unlinked for staying offline longer than `unlink_offline_after` (also counted in
    /// `devices_unlinked`).
    #[serde(default)]
    pub offline_unlinks: u64,
    /// Messages linked devices sent.
    pub messages_sent: u64,
    /// Inbound messages accepted by the control API.
    pub messages_received: u64,
    /// Inbound messages pushed to a page.
    pub messages_delivered: u64,
    /// `sendSeen` calls.
    pub seen: u64,
    /// Logouts started by a page (`Socket.logout()`).
    pub logouts: u64,
}

/// The kind of an inbound message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum InboundKind {
    /// A plain text message.
    Text,
    /// Arrives as `ciphertext` and turns into `chat` after the delay.
    Ciphertext { resolve_after_ms: u64 },
}

/// A message the phones send to an account (JSON: see `sim/README.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundMessage {
    /// The receiving account's number.
    pub to: String,
    /// The sender's number (the group author for group messages).
    pub from: String,
    /// Text.
    pub body: String,
    /// Group id (`...@g.us`) when sent in a group.
    #[serde(default)]
    pub group: Option<String>,
    /// Send from the sender's `@lid` instead of its number.
    #[serde(default)]
    pub from_lid: bool,
    /// The sender's push name (`notifyName`).
    #[serde(default)]
    pub push_name: Option<String>,
    /// History (`isNewMsg: false`) rather than a new message.
    #[serde(default)]
    pub history: bool,
    /// Sent by the account's own phone to `from` (arrives with `id.fromMe === true`).
    #[serde(default)]
    pub from_me: bool,
    /// Text or ciphertext.
    #[serde(default = "text_kind")]
    pub kind: InboundKind,
    /// With `from_lid`: WhatsApp does not share the sender's number (no lid -> number mapping).
    #[serde(default)]
    pub hide_phone: bool,
    /// A location instead of a text (see `rich.rs`).
    #[serde(default)]
    pub location: Option<crate::rich::InboundLocation>,
    /// Contact cards (vCard texts) instead of a text: one is a `vcard`, several a `multi_vcard`.
    #[serde(default)]
    pub vcards: Vec<String>,
    /// A poll instead of a text.
    #[serde(default)]
    pub poll: Option<crate::rich::InboundPoll>,
    /// Quotes this message (a serialized id the account sent or received).
    #[serde(default)]
    pub reply_to: Option<String>,
    /// Numbers mentioned (`mentionedJidList`).
    #[serde(default)]
    pub mentions: Vec<String>,
}

fn text_kind() -> InboundKind {
    InboundKind::Text
}

impl InboundMessage {
    /// A text from `from` (a number) to the account `to`.
    pub fn text(to: &str, from: &str, body: &str) -> Self {
        InboundMessage {
            to: to.to_string(),
            from: from.to_string(),
            body: body.to_string(),
            group: None,
            from_lid: false,
            push_name: None,
            history: false,
            from_me: false,
            kind: InboundKind::Text,
            hide_phone: false,
            location: None,
            vcards: Vec::new(),
            poll: None,
            reply_to: None,
            mentions: Vec::new(),
        }
    }

    /// From the sender's `@lid`, with its number hidden: no lid -> number mapping reaches pages.
    pub fn hidden_phone(mut self) -> Self {
        self.from_lid = true;
        self.hide_phone = true;
        self
    }

    /// Sent in the group `group_id` (from `create_group`); `from` becomes the author.
    pub fn in_group(mut self, group_id: &str) -> Self {
        self.group = Some(group_id.to_string());
        self
    }

    /// Sent from the sender's `@lid` (made on demand); `getPhoneNumber` resolves it.
    pub fn via_lid(mut self) -> Self {
        self.from_lid = true;
        self
    }

    /// With the sender's push name.
    pub fn push_name(mut self, name: &str) -> Self {
        self.push_name = Some(name.to_string());
        self
    }

    /// Arrives as `ciphertext`, becomes `chat` after `ms`.
    pub fn ciphertext(mut self, resolve_after_ms: u64) -> Self {
        self.kind = InboundKind::Ciphertext { resolve_after_ms };
        self
    }

    /// An old message from history sync (`isNewMsg: false`).
    pub fn history(mut self) -> Self {
        self.history = true;
        self
    }

    /// Sent by the account's own phone to `from` instead (`id.fromMe === true`).
    pub fn from_own_phone(mut self) -> Self {
        self.from_me = true;
        self
    }
}
