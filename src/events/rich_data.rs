//! The typed parts of messages beyond text (what `message` events carry for locations, contact
//! cards, polls, replies and mentions) and the data of the events about acting on messages
//! (`message_reaction`, `message_edit`, `message_revoke`, `poll_vote`).

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A shared location.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Location {
    #[schema(example = 24.8607)]
    pub latitude: f64,
    #[schema(example = 67.0011)]
    pub longitude: f64,
    /// The place's name, when the sender gave one.
    pub name: Option<String>,
    pub address: Option<String>,
    /// A link the sender attached.
    pub url: Option<String>,
}

/// One contact card.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ContactCard {
    /// The card as vCard text.
    #[schema(
        example = "BEGIN:VCARD\nVERSION:3.0\nFN:Bob\nTEL;type=CELL;waid=923007654321:+923007654321\nEND:VCARD"
    )]
    pub vcard: String,
    /// The name WhatsApp shows for it.
    pub name: Option<String>,
}

/// A poll.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Poll {
    pub name: String,
    /// The options, in order.
    pub options: Vec<String>,
    /// Several options may be chosen.
    pub multiple: bool,
}

/// The message a reply quotes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Quoted {
    /// The quoted message's id (WhatsApp's full id when the page knows the message, else the
    /// id WhatsApp quoted it by).
    pub id: Option<String>,
    /// Its text or caption.
    pub body: Option<String>,
    /// Its WhatsApp type.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Who wrote it.
    pub from: Option<String>,
}

/// The data of a `message_reaction` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageReactionData {
    /// The message reacted to.
    pub message_id: Option<String>,
    pub chat_id: Option<String>,
    /// The emoji; empty when the reaction was removed.
    pub emoji: String,
    /// `added` or `removed`.
    #[schema(example = "added")]
    pub action: String,
    /// Who reacted (a WhatsApp id).
    pub sender: Option<String>,
    /// Their phone number (digits), when WhatsApp gives it.
    pub sender_phone: Option<String>,
    /// This account reacted (through the API or on the phone).
    pub from_me: bool,
    #[schema(format = DateTime)]
    pub timestamp: Option<String>,
}

/// The data of a `message_edit` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageEditData {
    pub message_id: Option<String>,
    pub chat_id: Option<String>,
    pub from_me: bool,
    /// Who wrote (and edited) it.
    pub author: Option<String>,
    /// The text (or caption) before the edit.
    pub old_text: Option<String>,
    pub new_text: Option<String>,
    #[schema(format = DateTime)]
    pub timestamp: Option<String>,
}

/// What a deleted message held, when the gateway saw it before.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct RevokedContent {
    /// Its WhatsApp type.
    #[serde(rename = "type")]
    pub kind: Option<String>,
    /// Its text or caption.
    pub body: Option<String>,
}

/// The data of a `message_revoke` event (a message deleted for everyone).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageRevokeData {
    pub message_id: Option<String>,
    pub chat_id: Option<String>,
    pub from_me: bool,
    /// Who wrote the message.
    pub author: Option<String>,
    /// What was deleted; `null` when the gateway never saw it.
    pub previous: Option<RevokedContent>,
    #[schema(format = DateTime)]
    pub timestamp: Option<String>,
}

/// The data of a `poll_vote` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PollVoteData {
    /// The poll's message id.
    pub poll_id: Option<String>,
    pub chat_id: Option<String>,
    /// Who voted (a WhatsApp id).
    pub voter: Option<String>,
    /// Their phone number (digits), when WhatsApp gives it.
    pub voter_phone: Option<String>,
    /// The options now chosen (empty: the vote was withdrawn).
    pub selected_options: Vec<String>,
    pub from_me: bool,
    #[schema(format = DateTime)]
    pub timestamp: Option<String>,
}
