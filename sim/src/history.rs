//! Chat history that lives on the phone. The servers hold only the newest part of it; a page
//! loads that in pages (`loadEarlierMsgs`), and asks the phone for more
//! (`sendPeerDataOperationRequest(3, {chatId})`), which uploads another chunk a moment later.

use std::sync::Arc;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::core::{now_secs, random_hex, Core};
use crate::error::SimError;
use crate::state::World;
use crate::types::parse_number;

/// Messages per `loadEarlierMsgs` answer.
pub const PAGE: usize = 50;
/// Messages the servers hold at first, and the phone uploads per request.
pub const CHUNK: usize = 200;
/// `endOfHistoryTransferType`: more is on the phone / everything is on the servers.
pub const MORE_ON_PHONE: u8 = 0;
pub const COMPLETE: u8 = 2;

/// One chat's history on an account's phone.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ChatHistory {
    /// Page wire messages, oldest first.
    pub msgs: Vec<Value>,
    /// How many of the newest messages the servers hold (the rest is only on the phone).
    pub on_servers: usize,
}

impl ChatHistory {
    fn transfer_type(&self) -> u8 {
        if self.on_servers >= self.msgs.len() {
            COMPLETE
        } else {
            MORE_ON_PHONE
        }
    }
}

/// A seeded history: `count` messages with `with`, one a minute, ending an hour ago.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HistorySeed {
    /// The other party's number.
    pub with: String,
    pub count: usize,
    /// Every n-th message is one the account sent (0 = none).
    #[serde(default)]
    pub from_me_every: usize,
}

fn history_msg(account: &str, with: &str, i: usize, t: i64, from_me: bool) -> Value {
    let remote = format!("{with}@c.us");
    let me = format!("{account}@c.us");
    let id = format!("{}{}", if from_me { "3EB0" } else { "3A" }, random_hex(18));
    let (from, to) = if from_me {
        (me, remote.clone())
    } else {
        (remote.clone(), me)
    };
    json!({
        "id": {"fromMe": from_me, "remote": remote, "id": id, "participant": null,
               "_serialized": format!("{from_me}_{remote}_{id}")},
        "from": from, "to": to, "body": format!("history message {}", i + 1), "type": "chat",
        "t": t, "ack": if from_me { 3 } else { 0 }, "self": if from_me { "out" } else { "in" },
        "notifyName": "",
    })
}

impl Core {
    /// Puts `seed.count` older messages on the account's phone (before any already there).
    pub fn seed_history(&self, account: &str, seed: &HistorySeed) -> Result<String, SimError> {
        let account = parse_number(account)?;
        let with = parse_number(&seed.with)?;
        if seed.count == 0 || seed.count > 10_000 {
            return Err(SimError::BadRequest("count must be 1-10000".into()));
        }
        let chat = format!("{with}@c.us");
        let end = now_secs() - 3600;
        self.mutate(|w| {
            let history = w.book.history.entry(account.clone()).or_default();
            let h = history.entry(chat.clone()).or_default();
            let first_t = h.msgs.first().and_then(|m| m["t"].as_i64()).unwrap_or(end);
            let start = first_t - 60 * seed.count as i64;
            let every = seed.from_me_every;
            let older: Vec<Value> = (0..seed.count)
                .map(|i| {
                    let from_me = every > 0 && (i + 1) % every == 0;
                    history_msg(&account, &with, i, start + 60 * i as i64, from_me)
                })
                .collect();
            h.msgs.splice(0..0, older);
            h.on_servers = h.msgs.len().min(h.on_servers.max(CHUNK));
            w.lid_of(&with);
        });
        Ok(chat)
    }

    /// A page's `loadEarlierMsgs`: up to a page of messages older than `before_t` that the
    /// servers hold, newest last, with the chat's transfer state.
    pub fn history_page(&self, account: &str, chat: &str, before_t: Option<i64>) -> Value {
        let world = self.world();
        let Some(h) = world.book.history.get(account).and_then(|c| c.get(chat)) else {
            return json!({"msgs": [], "endOfHistoryTransferType": COMPLETE});
        };
        let held = &h.msgs[h.msgs.len() - h.on_servers..];
        let older: Vec<&Value> = held
            .iter()
            .filter(|m| before_t.is_none_or(|b| m["t"].as_i64().unwrap_or(0) < b))
            .collect();
        let page: Vec<&Value> = older[older.len().saturating_sub(PAGE)..].to_vec();
        json!({"msgs": page, "endOfHistoryTransferType": h.transfer_type()})
    }

    /// The phone was asked for more history: it uploads the next chunk after `delay`, then the
    /// chat's pages learn the new transfer state.
    pub fn request_history(self: &Arc<Self>, account: &str, chat: &str) -> Value {
        let known = self
            .world()
            .book
            .history
            .get(account)
            .is_some_and(|c| c.contains_key(chat));
        if !known {
            return json!({"status": 404});
        }
        let (core, account, chat) = (self.clone(), account.to_string(), chat.to_string());
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(150)).await;
            let transfer = core.mutate(|w| {
                let h = w.book.history.get_mut(&account)?.get_mut(&chat)?;
                h.on_servers = (h.on_servers + CHUNK).min(h.msgs.len());
                Some(h.transfer_type())
            });
            if let Some(t) = transfer {
                let chat = json!({"id": chat, "endOfHistoryTransferType": t});
                core.broadcast(&account, &json!({"type": "history-sync", "chat": chat}));
            }
        });
        json!({"status": 200})
    }
}

/// Chats that exist only as phone history still appear in the chat list.
pub fn add_history_chats(world: &World, account: &str, snapshot: &mut Value) {
    let Some(history) = world.book.history.get(account) else {
        return;
    };
    let Some(chats) = snapshot["chats"].as_array_mut() else {
        return;
    };
    for (id, h) in history {
        let t = h.msgs.last().and_then(|m| m["t"].as_i64()).unwrap_or(0);
        match chats.iter_mut().find(|c| c["id"] == id.as_str()) {
            Some(chat) => chat["endOfHistoryTransferType"] = json!(h.transfer_type()),
            None => chats.push(json!({
                "id": id, "name": "", "isGroup": false, "t": t,
                "endOfHistoryTransferType": h.transfer_type(),
            })),
        }
    }
}
