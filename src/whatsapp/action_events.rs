//! What the driver reports about acting on messages (`page/actions.js`): reactions and votes from
//! the wrapped addon tables, edits and revokes from `Msg` changes.

use serde::Deserialize;

use crate::events::rich_data::RevokedContent;

/// A row of WhatsApp's reaction table (`''` = removed).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageReaction {
    pub message_id: Option<String>,
    pub chat_id: Option<String>,
    #[serde(default)]
    pub emoji: String,
    pub sender: Option<String>,
    pub sender_phone: Option<String>,
    #[serde(default)]
    pub from_me: bool,
    /// Unix milliseconds.
    pub t: Option<i64>,
}

/// A row of WhatsApp's poll vote table, with the options' names.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageVote {
    pub poll_id: Option<String>,
    pub chat_id: Option<String>,
    pub voter: Option<String>,
    pub voter_phone: Option<String>,
    #[serde(default)]
    pub selected_options: Vec<String>,
    #[serde(default)]
    pub from_me: bool,
    /// Unix milliseconds.
    pub t: Option<i64>,
}

/// A message's body or caption changed in place by an edit.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageEdit {
    pub id: Option<String>,
    pub chat_id: Option<String>,
    #[serde(default)]
    pub from_me: bool,
    pub author: Option<String>,
    pub old_text: Option<String>,
    pub new_text: Option<String>,
    /// Unix milliseconds.
    pub t: Option<i64>,
}

/// A message turned `revoked` (deleted for everyone).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PageRevoke {
    pub id: Option<String>,
    pub chat_id: Option<String>,
    #[serde(default)]
    pub from_me: bool,
    pub author: Option<String>,
    /// What the driver saw of it before.
    pub previous: Option<RevokedContent>,
    /// Unix seconds.
    pub t: Option<i64>,
}
