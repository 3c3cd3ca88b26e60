//! Every event the gateway emits, as one typed enum with a struct per payload. The enum is the
//! only list of events: [`EVENT_NAMES`] and [`KINDS`] (what the API document says about each)
//! are generated beside it, so a new event cannot be forgotten by filters or documentation.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::openapi::{RefOr, Schema};
use utoipa::ToSchema;

use crate::events::rich_data::{ContactCard, Location, Poll, Quoted};
pub use crate::events::rich_data::{
    MessageEditData, MessageReactionData, MessageRevokeData, PollVoteData,
};
use crate::store::{Profile, StoredEvent};

mod group;
mod sleep;
pub use group::{GroupEventData, GroupMember};
pub use sleep::{AsleepData, AwakeData};

/// Named schemas, as utoipa collects them.
pub type Schemas = Vec<(String, RefOr<Schema>)>;

/// One event's entry in the catalogue, for the API document.
pub struct Kind {
    /// The `event` name on the wire.
    pub name: &'static str,
    /// The variant's doc comment.
    pub doc: &'static str,
    /// Adds the payload's schema and those it refers to; returns the payload schema's name.
    pub payload: fn(&mut Schemas) -> String,
}

fn payload_schema<T: ToSchema>(schemas: &mut Schemas) -> String {
    let mut schema = T::schema();
    // utoipa takes an `Option` field for one that may be left out; a payload writes every
    // field (`null` when unknown), and generated types should say so.
    if let RefOr::T(Schema::Object(object)) = &mut schema {
        object.required = object.properties.keys().cloned().collect();
    }
    schemas.push((T::name().into_owned(), schema));
    T::schemas(schemas);
    T::name().into_owned()
}

/// Declares [`Event`] and, from the same lines, the lists that must follow it.
macro_rules! events {
    ($($(#[doc = $doc:literal])+ $variant:ident($payload:ty) = $name:literal;)+) => {
        /// Everything the gateway reports about a connection. Adjacently tagged, it is the
        /// `event` and `data` fields of an envelope.
        #[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
        #[serde(tag = "event", content = "data")]
        pub enum Event {
            $($(#[doc = $doc])+ #[serde(rename = $name)] $variant($payload),)+
        }

        /// Every event name, in declaration order (for filters and validation).
        pub const EVENT_NAMES: &[&str] = &[$($name),+];

        /// Every event with its documentation, in declaration order.
        pub const KINDS: &[Kind] = &[$(Kind {
            name: $name,
            doc: concat!($($doc, "\n"),+),
            payload: payload_schema::<$payload>,
        }),+];

        impl Event {
            /// The `event` name on the wire.
            pub fn name(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => $name,)+
                }
            }

            /// The `data` on the wire.
            fn data(&self) -> serde_json::Result<Value> {
                match self {
                    $(Self::$variant(data) => serde_json::to_value(data),)+
                }
            }
        }
    };
}

events! {
    /// A new QR code to scan with the phone (a pending connection; it rotates until scanned).
    Qr(QrData) = "qr";
    /// A new pairing code to type on the phone (a connection linking by phone number; WhatsApp
    /// asks for a fresh one from time to time until it is entered).
    PairingCode(PairingCodeData) = "pairing_code";
    /// WhatsApp Web is loading the account's chats after a scan or a restore.
    Loading(LoadingData) = "loading";
    /// The phone accepted the scan (or the stored login); syncing follows.
    Authenticated(AuthenticatedData) = "authenticated";
    /// The connection can send and receive.
    Ready(ReadyData) = "ready";
    /// A message received (never one from the chat history).
    Message(MessageData) = "message";
    /// A message this account sent: through the API or on the phone.
    MessageCreate(MessageData) = "message_create";
    /// A sent message's delivery progressed.
    MessageAck(MessageAckData) = "message_ack";
    /// Someone (or this account) reacted to a message, or removed a reaction.
    MessageReaction(MessageReactionData) = "message_reaction";
    /// A message's text or caption was edited.
    MessageEdit(MessageEditData) = "message_edit";
    /// A message was deleted for everyone.
    MessageRevoke(MessageRevokeData) = "message_revoke";
    /// Someone (or this account) voted in a poll, or changed or withdrew a vote.
    PollVote(PollVoteData) = "poll_vote";
    /// The media of an own message finished uploading to WhatsApp's servers.
    MediaUploaded(MediaUploadedData) = "media_uploaded";
    /// WhatsApp Web's socket state changed.
    ChangeState(ChangeStateData) = "change_state";
    /// The connection ended for good.
    Disconnected(DisconnectedData) = "disconnected";
    /// Someone joined a group: added by an admin, or by the invite link.
    GroupJoin(GroupEventData) = "group_join";
    /// Someone left a group, or an admin removed them.
    GroupLeave(GroupEventData) = "group_leave";
    /// An admin promoted a member to admin, or demoted an admin.
    GroupAdminChanged(GroupEventData) = "group_admin_changed";
    /// A group changed otherwise: created, subject, description, settings, ...
    GroupUpdate(GroupEventData) = "group_update";
    /// Someone asked to join a group that needs an admin's approval.
    GroupMembershipRequest(GroupEventData) = "group_membership_request";
    /// A contact changed their number (WhatsApp's notice in their chat).
    ContactChanged(ContactChangedData) = "contact_changed";
    /// A chat was archived or taken out of the archive (here or on the phone).
    ChatArchived(ChatArchivedData) = "chat_archived";
    /// A chat was deleted (here or on the phone).
    ChatRemoved(ChatRemovedData) = "chat_removed";
    /// Someone calls the linked number; with `REJECT_CALLS=true` the gateway rejects it.
    Call(CallData) = "call";
    /// The number went to sleep (hibernation): its login is archived and its browser closed; it
    /// stays `connected`, and WhatsApp holds its messages until it wakes.
    Asleep(AsleepData) = "asleep";
    /// A sleeping number woke: its browser runs again, restored from the saved login (no QR).
    Awake(AwakeData) = "awake";
}

/// The data of a `qr` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct QrData {
    /// The QR code's text, as WhatsApp Web shows it.
    pub qr: String,
    /// The same code as a PNG `data:` URL for an `<img>`; `null` if it could not be drawn.
    pub qr_data_url: Option<String>,
}

/// The data of a `pairing_code` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PairingCodeData {
    /// The 8-character code as the phone asks for it, `ABCD-EFGH`.
    #[schema(example = "ABCD-EFGH")]
    pub pairing_code: String,
    /// The number being linked (digits), as given to `POST /wa/add-number`.
    pub phone: String,
}

/// The data of a `loading` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LoadingData {
    /// How far the loading is, 0 to 100.
    pub percent: f64,
}

/// The data of an `authenticated` event: always empty.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct AuthenticatedData {}

/// The data of a `ready` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ReadyData {
    /// The linked account's phone number (digits).
    pub number: Option<String>,
    pub profile: Profile,
}

/// The data of `message` and `message_create` events.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageData {
    /// WhatsApp's message id.
    pub id: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    /// The sender inside a group.
    pub author: Option<String>,
    pub chat_id: Option<String>,
    /// WhatsApp's message type (`chat` for text).
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub body: Option<String>,
    /// When WhatsApp says the message was sent (RFC 3339).
    #[schema(format = DateTime)]
    pub timestamp: Option<String>,
    /// The sender's display name.
    pub push_name: Option<String>,
    pub from_me: bool,
    /// The id of the message this one replies to.
    pub quoted_id: Option<String>,
    /// The sender's phone number (digits), even when WhatsApp gives an `@lid` id.
    pub sender_phone: Option<String>,
    pub has_media: bool,
    /// A shared location (`type` `location`).
    pub location: Option<Location>,
    /// Contact cards (`type` `vcard` or `multi_vcard`).
    pub contacts: Option<Vec<ContactCard>>,
    /// A poll (`type` `poll_creation`); votes arrive as `poll_vote` events.
    pub poll: Option<Poll>,
    /// The message this one replies to.
    pub quoted: Option<Quoted>,
    /// The phone numbers (digits) the message mentions.
    pub mentions: Option<Vec<String>>,
    /// The media, when `hasMedia` (else `null`); its `url` serves the bytes.
    pub media: Option<crate::media::MessageMedia>,
}

/// The data of a `media_uploaded` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MediaUploadedData {
    pub message_id: String,
    pub chat_id: Option<String>,
}

/// The data of a `message_ack` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageAckData {
    pub message_id: String,
    pub chat_id: Option<String>,
    /// WhatsApp's ack number.
    pub ack: i64,
    /// `ERROR`, `PENDING`, `SERVER`, `DEVICE`, `READ` or `PLAYED`; `null` for an ack number
    /// WhatsApp added later.
    pub ack_name: Option<String>,
}

/// The data of a `change_state` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ChangeStateData {
    /// WhatsApp Web's socket state (`CONNECTED`, `PAIRING`, `UNPAIRED`, `CONFLICT`, ...).
    pub state: String,
}

/// The data of a `disconnected` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct DisconnectedData {
    /// Why it ended (see the README's reasons: `API_DISCONNECT`, `LOGGED_OUT`, `QR_TIMEOUT`, ...).
    pub reason: String,
}

/// An event with the fields every consumer gets around it.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// UUIDv7 string: unique, stable, and ordered by creation time.
    pub id: String,
    pub connection_id: String,
    pub timestamp: DateTime<Utc>,
    pub event: Event,
}

impl Envelope {
    /// The form the store keeps and consumers receive: the event's name and its data as JSON.
    pub fn to_stored(&self) -> StoredEvent {
        StoredEvent {
            id: self.id.clone(),
            event: self.event.name().to_owned(),
            connection_id: self.connection_id.clone(),
            timestamp: self.timestamp,
            // Payloads are plain structs of strings, numbers and booleans: nothing can fail.
            data: self.event.data().expect("event payloads serialize to JSON"),
        }
    }
}

mod people;
pub use people::*;

#[cfg(test)]
mod tests;
