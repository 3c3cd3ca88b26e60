//! What the phones do to an account besides writing: call it, change their number, and the
//! account's own phone archiving or deleting a chat.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::core::{now_secs, random_hex, Core};
use crate::error::SimError;
use crate::types::parse_number;

/// An incoming call as the servers keep it.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Call {
    pub id: String,
    /// The caller's number.
    pub from: String,
    pub video: bool,
    pub offer_time: i64,
    /// `ringing`, or `rejected` once a linked device sent a reject stanza.
    pub status: String,
}

impl Core {
    /// `from` calls `account`: every linked page sees the offer.
    pub fn call(&self, account: &str, from: &str, video: bool) -> Result<Call, SimError> {
        let account = parse_number(account)?;
        let from = parse_number(from)?;
        let call = Call {
            id: random_hex(32),
            from: from.clone(),
            video,
            offer_time: now_secs(),
            status: "ringing".into(),
        };
        let peer = self.mutate(|w| {
            if !w.accounts.contains_key(&account) {
                return Err(SimError::UnknownAccount(account.clone()));
            }
            w.book
                .calls
                .entry(account.clone())
                .or_default()
                .push(call.clone());
            w.lid_of(&from);
            Ok(format!("{from}@c.us"))
        })?;
        let offer = json!({"id": call.id, "peerJid": peer, "offerTime": call.offer_time,
            "isVideo": video, "isGroup": false});
        self.broadcast(&account, &json!({"type": "call", "call": offer}));
        Ok(call)
    }

    pub fn calls(&self, account: &str) -> Vec<Call> {
        self.world()
            .book
            .calls
            .get(account)
            .cloned()
            .unwrap_or_default()
    }

    /// A stanza a page cast (`deprecatedCastStanza`): a `call` with a `reject` child ends the
    /// ringing. Anything else is accepted and ignored, as the real servers ignore what they do
    /// not expect from a companion.
    pub fn stanza(&self, account: &str, node: &Value) -> Value {
        if node["tag"] != "call" {
            return json!({"status": 200});
        }
        let reject = node["content"]
            .as_array()
            .and_then(|c| c.iter().find(|n| n["tag"] == "reject"));
        let Some(call_id) = reject.and_then(|r| r["attrs"]["call-id"].as_str()) else {
            return json!({"status": 400});
        };
        let found = self.mutate(|w| {
            let calls = w.book.calls.get_mut(account)?;
            let call = calls.iter_mut().find(|c| c.id == call_id)?;
            call.status = "rejected".into();
            Some(())
        });
        let gone = json!({"type": "call-ended", "id": call_id});
        self.broadcast(account, &gone);
        json!({"status": if found.is_some() { 200 } else { 404 }})
    }

    /// `old` moves to `new` (same person, same `@lid`): every account with a chat or contact
    /// of `old` gets a `notification_template` / `change_number` message in that chat.
    pub fn change_number(&self, old: &str, new: &str) -> Result<Vec<String>, SimError> {
        let (old, new) = (parse_number(old)?, parse_number(new)?);
        let told = self.mutate(|w| {
            let lid = w.lid_of(&old);
            w.lids.insert(lid, new.clone());
            if let Some(p) = w.book.profiles.remove(&old) {
                w.book.profiles.insert(new.clone(), p);
            }
            for saved in w.book.saved.values_mut() {
                if let Some(name) = saved.remove(&old) {
                    saved.insert(new.clone(), name);
                }
            }
            w.unregistered.insert(old.clone());
            w.unregistered.remove(&new);
            w.accounts
                .keys()
                .filter(|a| **a != old)
                .cloned()
                .collect::<Vec<_>>()
        });
        for account in &told {
            let contact = self.world().contact_json(account, &new);
            let frame = change_number_frame(&old, &new, &contact);
            self.broadcast(account, &frame);
        }
        Ok(told)
    }

    /// The account's own phone archives (or unarchives) a chat: its devices follow.
    pub fn phone_archive(&self, account: &str, chat: &str, archive: bool) -> Result<(), SimError> {
        let account = parse_number(account)?;
        self.mutate(|w| {
            let flags = w.book.flags.entry(account.clone()).or_default();
            flags.entry(chat.to_string()).or_default().archive = archive;
        });
        let update = json!({"id": chat, "archive": archive});
        self.broadcast(&account, &json!({"type": "chat-flags", "chat": update}));
        Ok(())
    }

    /// The account's own phone deletes a chat: its devices drop it.
    pub fn phone_delete_chat(&self, account: &str, chat: &str) -> Result<(), SimError> {
        let account = parse_number(account)?;
        self.mutate(|w| {
            if let Some(h) = w.book.history.get_mut(&account) {
                h.remove(chat);
            }
            if let Some(a) = w.accounts.get_mut(&account) {
                a.received.retain(|r| r.msg["msg"]["id"]["remote"] != chat);
                a.sent.retain(|s| s.to != chat);
            }
        });
        self.broadcast(&account, &json!({"type": "chat-delete", "id": chat}));
        Ok(())
    }
}

/// The system message WhatsApp puts in a chat when the other party changed number: `to` is the
/// new id, `templateParams` holds both.
fn change_number_frame(old: &str, new: &str, contact: &Value) -> Value {
    let remote = format!("{old}@c.us");
    let id = format!("3A{}", random_hex(18));
    let msg = json!({
        "id": {"fromMe": false, "remote": remote, "id": id, "participant": null,
               "_serialized": format!("false_{remote}_{id}")},
        "from": remote, "to": format!("{new}@c.us"), "type": "notification_template",
        "subtype": "change_number", "body": "", "t": now_secs(), "ack": 0, "self": "in",
        "templateParams": [remote, format!("{new}@c.us")], "isNotification": true,
        "isNewMsg": true,
    });
    json!({"type": "message", "msg": msg, "contacts": [contact], "chat": {"id": remote, "name": ""}})
}
