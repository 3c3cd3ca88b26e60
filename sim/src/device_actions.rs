//! What linked devices do to messages and chats besides sending (reactions, votes, edits,
//! revokes, deletes for me, reads, typing, presence), as the servers record it; per-recipient
//! receipts (`queryMsgInfo`); link previews (`getLinkPreview`).

use std::collections::BTreeMap;
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::core::{now_secs, Core};
use crate::error::SimError;
use crate::state::World;

/// At most this many actions are kept per account.
const ACTIONS_CAP: usize = 1000;

/// The servers' memory of everything in this file.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct RichWorld {
    /// Account number -> what its devices did, oldest first.
    pub actions: BTreeMap<String, Vec<DeviceAction>>,
    /// Sent message id -> recipient wid -> when it reached each step.
    pub receipts: BTreeMap<String, BTreeMap<String, MemberReceipt>>,
    /// URL -> the preview data `getLinkPreview` answers.
    pub link_previews: BTreeMap<String, Value>,
}

/// One thing a linked device did, as the servers saw it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DeviceAction {
    /// `reaction`, `poll_vote`, `edit`, `revoke`, `delete_for_me`, `read`, `chatstate`, `presence`.
    pub kind: String,
    /// The message acted on (the reacted-to, voted, edited, revoked or deleted one).
    pub message_id: Option<String>,
    /// The chat acted on (`read`, `chatstate`) or the message's chat.
    pub chat: Option<String>,
    pub device_id: u32,
    /// Unix milliseconds when the servers got it.
    pub at_ms: i64,
    /// Everything the page sent (`reactionText`, `selectedOptionLocalIds`, `text`, `state`, …).
    pub data: Value,
}

/// When one recipient got, read and played a message (unix seconds).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemberReceipt {
    pub delivered: Option<i64>,
    pub read: Option<i64>,
    pub played: Option<i64>,
}

impl MemberReceipt {
    /// Reaching a step reaches the ones before it too.
    fn reach(&mut self, ack: i8, at: i64) {
        if ack >= 2 {
            self.delivered.get_or_insert(at);
        }
        if ack >= 3 {
            self.read.get_or_insert(at);
        }
        if ack >= 4 {
            self.played.get_or_insert(at);
        }
    }

    fn step(&self) -> i8 {
        [(4, self.played), (3, self.read), (2, self.delivered)]
            .into_iter()
            .find(|(_, t)| t.is_some())
            .map_or(1, |(ack, _)| ack)
    }
}

/// The message id an action is about.
fn target_of(action: &Value) -> Option<String> {
    ["reactionParentKey", "pollUpdateParentKey", "id"]
        .into_iter()
        .find_map(|f| {
            action[f]
                .as_str()
                .filter(|_| f != "id" || !is_addon(action))
        })
        .map(str::to_string)
}

fn is_addon(action: &Value) -> bool {
    matches!(action["kind"].as_str(), Some("reaction" | "poll_vote"))
}

/// A serialized key's chat: `<fromMe>_<chat>_<id>[_<participant>]`.
fn chat_of_key(key: &str) -> Option<String> {
    key.split('_').nth(1).map(str::to_string)
}

impl Core {
    /// A linked page did something besides sending: record it and apply it.
    pub fn page_action(self: &Arc<Self>, page: u64, action: Value) {
        let Some((number, device_id)) = self.linked_identity(page) else {
            return;
        };
        let kind = action["kind"].as_str().unwrap_or("unknown").to_string();
        let message_id = target_of(&action);
        let chat = action["chat"]
            .as_str()
            .map(str::to_string)
            .or_else(|| message_id.as_deref().and_then(chat_of_key));
        let record = DeviceAction {
            kind,
            message_id,
            chat,
            device_id,
            at_ms: chrono::Utc::now().timestamp_millis(),
            data: action,
        };
        self.mutate(|world| {
            apply_to_sent(world, &number, &record);
            let log = world.rich.actions.entry(number.clone()).or_default();
            log.push(record);
            if log.len() > ACTIONS_CAP {
                log.drain(..log.len() - ACTIONS_CAP);
            }
        });
    }

    /// What the account's devices did, oldest first.
    pub fn device_actions(&self, number: &str) -> Vec<DeviceAction> {
        self.world()
            .rich
            .actions
            .get(number)
            .cloned()
            .unwrap_or_default()
    }

    /// `sendSeen` reaches the servers as a read receipt for the chat.
    pub fn record_read(self: &Arc<Self>, page: u64, chat: &str) {
        self.page_action(page, json!({"kind": "read", "chat": chat}));
    }

    /// An ack of a whole message: every recipient reaches that step.
    pub fn note_ack(&self, number: &str, id: &str, ack: i8) {
        if ack < 2 {
            return;
        }
        self.mutate(|world| {
            let recipients = recipients(world, number, id);
            let receipts = world.rich.receipts.entry(id.to_string()).or_default();
            for r in recipients {
                receipts.entry(r).or_default().reach(ack, now_secs());
            }
        });
    }

    /// One recipient got, read or played a message (the phone's receipt). When every recipient
    /// has reached a step, the message's own ack follows.
    pub fn set_receipt(
        &self,
        number: &str,
        id: &str,
        member: &str,
        ack: i8,
    ) -> Result<(), SimError> {
        let wid = format!("{}@c.us", crate::types::parse_number(member)?);
        let least = self.mutate(|world| {
            let recipients = recipients(world, number, id);
            if !recipients.contains(&wid) {
                return Err(SimError::BadRequest(format!(
                    "{member} is not a recipient of {id}"
                )));
            }
            let receipts = world.rich.receipts.entry(id.to_string()).or_default();
            receipts.entry(wid).or_default().reach(ack, now_secs());
            Ok(recipients
                .iter()
                .map(|r| receipts.get(r).map_or(1, MemberReceipt::step))
                .min()
                .unwrap_or(1))
        })?;
        let current = self.sent_ack(number, id).unwrap_or(0);
        if least > current {
            self.apply_ack(number, id, least);
        }
        Ok(())
    }

    fn sent_ack(&self, number: &str, id: &str) -> Option<i8> {
        let world = self.world();
        world
            .accounts
            .get(number)?
            .sent
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.ack)
    }

    /// `queryMsgInfo`: per recipient of an own message, who got, read and played it.
    pub fn msg_info(&self, page: u64, id: &str) -> Value {
        let Some((number, _)) = self.linked_identity(page) else {
            return Value::Null;
        };
        let world = self.world();
        let known = world
            .accounts
            .get(&number)
            .is_some_and(|a| a.sent.iter().any(|s| s.id == id));
        if !known {
            return Value::Null;
        }
        let recipients = recipients(&world, &number, id);
        let receipts = world.rich.receipts.get(id);
        let list = |pick: fn(&MemberReceipt) -> Option<i64>| -> Vec<Value> {
            recipients
                .iter()
                .filter_map(|r| {
                    let t = receipts.and_then(|m| m.get(r)).and_then(pick)?;
                    Some(json!({"id": r, "t": t}))
                })
                .collect()
        };
        let (delivery, read, played) =
            (list(|r| r.delivered), list(|r| r.read), list(|r| r.played));
        let total = recipients.len();
        json!({
            "deliveryRemaining": total - delivery.len(), "readRemaining": total - read.len(),
            "playedRemaining": total - played.len(),
            "delivery": delivery, "read": read, "played": played,
        })
    }

    /// Makes an own sent message `seconds` older (to play WhatsApp's edit and revoke windows).
    pub fn age_sent(&self, number: &str, id: &str, seconds: i64) -> Result<i64, SimError> {
        let t = self.mutate(|world| {
            let sent = world
                .accounts
                .get_mut(number)?
                .sent
                .iter_mut()
                .find(|s| s.id == id)?;
            sent.timestamp -= seconds;
            sent.raw["t"] = json!(sent.timestamp);
            Some(sent.timestamp)
        });
        let t = t.ok_or_else(|| SimError::BadRequest(format!("{number} sent no message {id}")))?;
        self.broadcast(
            number,
            &json!({"type": "message-update", "id": id, "changes": {"t": t}}),
        );
        Ok(t)
    }

    /// The preview `getLinkPreview` gives for `url` from now on.
    pub fn set_link_preview(&self, url: &str, data: Value) {
        self.mutate(|world| world.rich.link_previews.insert(url.to_string(), data));
    }

    /// The preview data for a link, if the servers know the URL (with or without a final `/`).
    pub fn link_preview(&self, url: &str) -> Value {
        let world = self.world();
        let trimmed = url.trim_end_matches('/');
        world
            .rich
            .link_previews
            .iter()
            .find(|(known, _)| known.trim_end_matches('/') == trimmed)
            .map(|(known, data)| {
                let mut data = data.clone();
                data["matchedText"] = json!(url);
                data["canonicalUrl"] = json!(known);
                data
            })
            .unwrap_or(Value::Null)
    }
}

/// The recipients of an own message: the other party, or the group's other members.
fn recipients(world: &World, number: &str, id: &str) -> Vec<String> {
    let Some(to) = world
        .accounts
        .get(number)
        .and_then(|a| a.sent.iter().find(|s| s.id == id))
        .map(|s| s.to.clone())
    else {
        return Vec::new();
    };
    match world.groups.get(&to) {
        Some(g) => g
            .members
            .iter()
            .filter(|m| *m != number)
            .map(|m| format!("{m}@c.us"))
            .collect(),
        None => vec![to],
    }
}

/// An edit or a revoke changes the servers' copy of the sent message.
fn apply_to_sent(world: &mut World, number: &str, action: &DeviceAction) {
    let Some(id) = &action.message_id else { return };
    let Some(sent) = world
        .accounts
        .get_mut(number)
        .and_then(|a| a.sent.iter_mut().find(|s| &s.id == id))
    else {
        return;
    };
    match action.kind.as_str() {
        "edit" => {
            let text = action.data["text"].clone();
            sent.body = text.as_str().unwrap_or_default().to_string();
            let field = if sent.kind == "chat" {
                "body"
            } else {
                "caption"
            };
            sent.raw[field] = text;
        }
        "revoke" => {
            sent.raw["type"] = json!("revoked");
            sent.raw["body"] = json!("");
        }
        _ => {}
    }
}
