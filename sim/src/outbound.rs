//! Outbound messages: what linked pages send, the acks they get, `sendSeen`.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::core::{now_secs, Core, Link};
use crate::types::{InboundMessage, SentMessage};

impl Core {
    /// A linked page sent a message: record it and run its acks.
    pub fn page_send(self: &Arc<Self>, page: u64, msg: Value) {
        let Some((number, device_id)) = self.linked_identity(page) else {
            return;
        };
        let Some(mut sent) = sent_from_wire(&msg, device_id) else {
            tracing::warn!("page sent a message without id or recipient; ignored");
            return;
        };
        let verdict = self.world().judge_send(&msg, &sent.to);
        sent.ephemeral_fields = verdict.ephemeral_fields;
        sent.media = self.open_sent_media(&msg);
        let (id, to) = (sent.id.clone(), sent.to.clone());
        let body = sent.body.clone();
        let notice = sent.clone();
        self.mutate(|world| {
            if let Some(account) = world.accounts.get_mut(&number) {
                account.push_sent(sent);
            }
        });
        let _ = self.sent_feed.send(notice);
        self.count(|c| c.messages_sent += 1);
        if verdict.refused || verdict.undeliverable {
            self.clone().spawn_refusal(number, id, verdict.refused);
            return;
        }
        self.clone().spawn_acks(number.clone(), id);
        self.relay_to_account(&number, &to, &body);
    }

    /// Two simulated accounts can talk: a send to another account arrives there.
    fn relay_to_account(self: &Arc<Self>, from: &str, to: &str, body: &str) {
        let Some(user) = to.strip_suffix("@c.us") else {
            return;
        };
        if user == from || !self.world().accounts.contains_key(user) {
            return;
        }
        let push_name = self.world().accounts.get(from).map(|a| a.push_name.clone());
        let mut m = InboundMessage::text(user, from, body);
        m.push_name = push_name;
        if let Err(e) = self.send_inbound(m) {
            tracing::warn!(error = %e, "relaying a message between accounts failed");
        }
    }

    pub(crate) fn linked_identity(&self, page: u64) -> Option<(String, u32)> {
        match &self.pages().get(&page)?.link {
            Link::Linked {
                number, device_id, ..
            } => Some((number.clone(), *device_id)),
            _ => None,
        }
    }

    /// A send the servers refuse (ack -1) or accept but can never deliver (ack 1, then nothing).
    fn spawn_refusal(self: Arc<Self>, number: String, id: String, refused: bool) {
        let b = self.acks();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(b.server_ms)).await;
            self.apply_ack(&number, &id, if refused { -1 } else { 1 });
        });
    }

    fn spawn_acks(self: Arc<Self>, number: String, id: String) {
        let b = self.acks();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(b.server_ms)).await;
            if b.fail {
                self.apply_ack(&number, &id, -1);
                return;
            }
            let steps = [(1, 0), (2, b.delivered_ms), (3, b.read_ms)];
            for (ack, delay) in steps.into_iter().filter(|(ack, _)| *ack <= b.up_to) {
                tokio::time::sleep(Duration::from_millis(delay)).await;
                self.apply_ack(&number, &id, ack);
            }
        });
    }

    /// Sets the ack of a sent message and tells the account's pages (`change:ack`).
    pub fn apply_ack(&self, number: &str, id: &str, ack: i8) -> bool {
        let found = self.mutate(|world| {
            let sent = world
                .accounts
                .get_mut(number)?
                .sent
                .iter_mut()
                .find(|s| s.id == id)?;
            sent.ack = ack;
            Some(())
        });
        if found.is_some() {
            self.note_ack(number, id, ack);
            self.broadcast(number, &json!({"type": "ack", "id": id, "ack": ack}));
        }
        found.is_some()
    }

    /// `sendSeen` on a chat: its inbound messages count as read.
    pub fn seen(&self, page: u64, chat: &str) {
        self.count(|c| c.seen += 1);
        let Some((number, _)) = self.linked_identity(page) else {
            return;
        };
        self.mutate(|world| {
            if let Some(account) = world.accounts.get_mut(&number) {
                for r in account
                    .received
                    .iter_mut()
                    .filter(|r| r.msg["msg"]["id"]["remote"] == chat)
                {
                    r.read = true;
                }
            }
        });
    }
}

/// A wid the page sent, either `"x@c.us"` or `{_serialized: "x@c.us"}`.
pub(crate) fn wid_string(v: &Value) -> Option<String> {
    v.as_str().map(str::to_string).or_else(|| {
        v.get("_serialized")
            .and_then(Value::as_str)
            .map(str::to_string)
    })
}

/// What the servers record of a page's send.
fn sent_from_wire(msg: &Value, device_id: u32) -> Option<SentMessage> {
    let id = wid_string(&msg["id"])?;
    let to = wid_string(&msg["to"]).or_else(|| wid_string(&msg["id"]["remote"]))?;
    let body = msg["body"]
        .as_str()
        .or_else(|| msg["caption"].as_str())
        .unwrap_or_default()
        .to_string();
    let mut raw = msg.clone();
    raw["isNewMsg"] = json!(false);
    Some(SentMessage {
        id,
        to,
        body,
        kind: msg["type"].as_str().unwrap_or("chat").to_string(),
        timestamp: msg["t"].as_i64().unwrap_or_else(now_secs),
        ack: 0,
        device_id,
        raw,
        ephemeral_fields: None,
        media: None,
    })
}
