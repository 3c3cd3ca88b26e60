//! What the other phones do to an account's messages: react, edit, revoke (delete for everyone)
//! and vote. Reactions and votes reach the account's pages as addon rows, edits and revokes as
//! changes of the message in place — only pages online at the time get them (choice 18).

use std::sync::Arc;

use serde::Deserialize;
use serde_json::{json, Value};

use crate::core::{now_secs, random_hex, Core};
use crate::error::SimError;
use crate::rich::find_message;
use crate::state::World;
use crate::types::parse_number;

/// WhatsApp's windows for a sender's own edits and deletes (see sim/README.md, choice 17).
pub const EDIT_WINDOW_SECS: i64 = 15 * 60;
pub const REVOKE_WINDOW_SECS: i64 = 60 * 60 * 60;

/// A phone acting on a message of the account `to`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhoneAction {
    /// The account whose message it is.
    pub to: String,
    /// The phone acting (a number in the message's chat).
    pub from: String,
    /// The message's serialized id.
    pub message_id: String,
    /// `reaction`: the emoji (`""` removes).
    #[serde(default)]
    pub emoji: Option<String>,
    /// `edit`: the new text.
    #[serde(default)]
    pub body: Option<String>,
    /// `vote`: the chosen options' names (empty clears the vote).
    #[serde(default)]
    pub options: Option<Vec<String>>,
}

fn bad(why: String) -> SimError {
    SimError::BadRequest(why)
}

/// The message and its chat, if the phone `from` is in that chat.
fn target(world: &World, a: &PhoneAction) -> Result<(Value, String, String), SimError> {
    let to = parse_number(&a.to)?;
    let from = parse_number(&a.from)?;
    if !world.accounts.contains_key(&to) {
        return Err(SimError::UnknownAccount(to));
    }
    let msg = find_message(world, &to, &a.message_id)
        .ok_or_else(|| bad(format!("account {to} has no message {}", a.message_id)))?;
    let chat = crate::outbound::wid_string(&msg["id"]["remote"]).unwrap_or_default();
    let member = match world.groups.get(&chat) {
        Some(g) => g.members.contains(&from),
        None => {
            chat == format!("{from}@c.us")
                || world.lids.get(chat.trim_end_matches("@lid")) == Some(&from)
        }
    };
    if !member {
        return Err(bad(format!("{from} is not in the chat {chat}")));
    }
    Ok((msg, chat, from))
}

/// The sender of a received message, as a number (author in groups).
fn sender_number(world: &World, msg: &Value) -> Option<String> {
    let wid = crate::outbound::wid_string(if msg["author"].is_null() {
        &msg["from"]
    } else {
        &msg["author"]
    })?;
    let (user, server) = wid.split_once('@')?;
    match server {
        "lid" => world.lids.get(user).cloned(),
        _ => Some(user.to_string()),
    }
}

/// A key for an addon the phone `from` sends into `chat`.
fn phone_key(chat: &str, from: &str) -> String {
    let id = format!("3A{}", random_hex(crate::fidelity::id_length()));
    match chat.ends_with("@g.us") {
        true => format!("false_{chat}_{id}_{from}@c.us"),
        false => format!("false_{chat}_{id}"),
    }
}

impl Core {
    /// The phone `from` reacts to a message of the account.
    pub fn phone_reaction(self: &Arc<Self>, a: &PhoneAction) -> Result<String, SimError> {
        let emoji = a
            .emoji
            .clone()
            .ok_or_else(|| bad("emoji is required (\"\" removes)".into()))?;
        let (_, chat, from) = target(&self.world(), a)?;
        let key = phone_key(&chat, &from);
        let row = json!({"type": "reaction", "id": key, "reactionParentKey": a.message_id,
            "reactionText": emoji, "reactionTimestamp": chrono::Utc::now().timestamp_millis(),
            "author": format!("{from}@c.us"), "from": format!("{from}@c.us"), "read": false, "ack": 0, "orphan": 0});
        self.broadcast(&a.to, &json!({"type": "addon", "addon": row}));
        Ok(key)
    }

    /// The phone `from` votes on a poll in the account's chat.
    pub fn phone_vote(self: &Arc<Self>, a: &PhoneAction) -> Result<String, SimError> {
        let (poll, chat, from) = target(&self.world(), a)?;
        if poll["type"] != "poll_creation" {
            return Err(bad(format!("{} is not a poll", a.message_id)));
        }
        let names = a.options.clone().unwrap_or_default();
        let ids = names
            .iter()
            .map(|n| {
                let options = poll["pollOptions"].as_array().cloned().unwrap_or_default();
                let found = options
                    .iter()
                    .find(|o| o["name"] == n.as_str())
                    .map(|o| o["localId"].clone());
                found.ok_or_else(|| bad(format!("the poll has no option {n:?}")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        if poll["pollSelectableOptionsCount"] == 1 && ids.len() > 1 {
            return Err(bad("this poll takes one option".into()));
        }
        let key = phone_key(&chat, &from);
        let row = json!({"type": "poll_vote", "id": key, "pollUpdateParentKey": a.message_id,
            "selectedOptionLocalIds": ids, "senderTimestampMs": chrono::Utc::now().timestamp_millis(),
            "t": now_secs(), "author": format!("{from}@c.us"), "sender": format!("{from}@c.us"), "ack": 0, "read": false});
        self.broadcast(&a.to, &json!({"type": "addon", "addon": row}));
        Ok(key)
    }

    /// The phone `from` edits its own message (within 15 minutes, text or caption).
    pub fn phone_edit(self: &Arc<Self>, a: &PhoneAction) -> Result<(), SimError> {
        let body = a.body.clone().filter(|b| !b.trim().is_empty());
        let body = body.ok_or_else(|| bad("body is required".into()))?;
        let msg = self.own_message_of(a, EDIT_WINDOW_SECS, "edited")?;
        let field = if msg["type"] == "chat" {
            "body"
        } else {
            "caption"
        };
        let edit_key = json!({"fromMe": false, "remote": msg["id"]["remote"], "id": format!("3A{}", random_hex(18))});
        let changes = json!({field: body, "latestEditMsgKey": edit_key,
            "latestEditSenderTimestampMs": chrono::Utc::now().timestamp_millis()});
        self.change_received(&a.to, &a.message_id, &changes);
        Ok(())
    }

    /// The phone `from` deletes its own message for everyone (within 2 days 12 hours).
    pub fn phone_revoke(self: &Arc<Self>, a: &PhoneAction) -> Result<(), SimError> {
        self.own_message_of(a, REVOKE_WINDOW_SECS, "deleted for everyone")?;
        let changes = json!({"type": "revoked", "body": "", "revokeTimestamp": now_secs()});
        self.change_received(&a.to, &a.message_id, &changes);
        Ok(())
    }

    /// A message `from` sent to the account, young enough for `window`.
    fn own_message_of(&self, a: &PhoneAction, window: i64, what: &str) -> Result<Value, SimError> {
        let world = self.world();
        let (msg, _, from) = target(&world, a)?;
        if msg["id"]["fromMe"] == true
            || sender_number(&world, &msg).as_deref() != Some(from.as_str())
        {
            return Err(bad(format!("{from} did not send {}", a.message_id)));
        }
        if msg["type"] == "revoked" {
            return Err(bad(format!("{} was deleted", a.message_id)));
        }
        if now_secs() - msg["t"].as_i64().unwrap_or(0) > window {
            return Err(bad(format!(
                "too old to be {what}: WhatsApp allows {} minutes",
                window / 60
            )));
        }
        Ok(msg)
    }

    /// Changes a received message in the servers' copy and on the account's pages.
    fn change_received(&self, number: &str, id: &str, changes: &Value) {
        self.mutate(|world| {
            let stored = world
                .accounts
                .get_mut(number)
                .and_then(|acc| acc.received.iter_mut().find(|r| r.id == id));
            if let (Some(r), Some(changes)) = (stored, changes.as_object()) {
                for (k, v) in changes {
                    r.msg["msg"][k] = v.clone();
                }
            }
        });
        self.broadcast(
            number,
            &json!({"type": "message-update", "id": id, "changes": changes}),
        );
    }
}
