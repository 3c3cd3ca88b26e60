//! Messages: inbound ones from the phones, outbound ones from linked pages, acks, history.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Value};

use crate::core::{now_secs, push, random_hex, Core};
use crate::error::SimError;
use crate::state::{Group, Received, World};
use crate::types::{parse_number, InboundKind, InboundMessage, SentMessage};

/// Messages replayed as history (`isNewMsg: false`) on every connect.
const HISTORY: usize = 50;

impl Core {
    /// Accepts an inbound message and pushes it to the account's linked pages (or queues it).
    pub fn send_inbound(self: &Arc<Self>, m: InboundMessage) -> Result<String, SimError> {
        let to = parse_number(&m.to)?;
        let (id, devices) = self.mutate(|world| {
            let (msg, contacts, chat) = build_inbound(world, &to, &m)?;
            let id = msg["id"]["_serialized"]
                .as_str()
                .unwrap_or_default()
                .to_string();
            let cipher_until_ms = match m.kind {
                InboundKind::Ciphertext { resolve_after_ms } => {
                    Some(chrono::Utc::now().timestamp_millis() + resolve_after_ms as i64)
                }
                InboundKind::Text => None,
            };
            let record = json!({"msg": msg, "contacts": contacts, "chat": chat});
            let account = world
                .accounts
                .get_mut(&to)
                .ok_or_else(|| SimError::UnknownAccount(to.clone()))?;
            account.push_received(Received {
                id: id.clone(),
                msg: record,
                read: false,
                cipher_until_ms,
            });
            let devices: Vec<u32> = account.devices.iter().map(|d| d.id).collect();
            Ok::<_, SimError>((id, devices))
        })?;
        self.count(|c| c.messages_received += 1);
        for device in devices {
            self.deliver(&to, device, &id, !m.history);
        }
        if let InboundKind::Ciphertext { resolve_after_ms } = m.kind {
            self.clone().spawn_resolve(to, id.clone(), resolve_after_ms);
        }
        Ok(id)
    }

    /// Pushes a stored inbound message to the device's page, or queues it for the next connect.
    fn deliver(&self, number: &str, device: u32, id: &str, new: bool) {
        let live = self
            .linked_pages(number)
            .into_iter()
            .find(|(_, d, state, _)| *d == device && state == "CONNECTED");
        match live {
            Some((_, _, _, tx)) => {
                if let Some(frame) = self.message_frame(number, id, new) {
                    push(&tx, frame);
                    self.count(|c| c.messages_delivered += 1);
                }
            }
            None if new => self.mutate(|world| {
                if let Some(d) = world
                    .accounts
                    .get_mut(number)
                    .and_then(|a| a.device_mut(device))
                {
                    d.pending.push(id.to_string());
                }
            }),
            None => {}
        }
    }

    /// The `message` frame for a stored inbound message, in its current (maybe ciphertext) form.
    fn message_frame(&self, number: &str, id: &str, new: bool) -> Option<Value> {
        let world = self.world();
        let received = world
            .accounts
            .get(number)?
            .received
            .iter()
            .find(|r| r.id == id)?;
        let mut frame = received.msg.clone();
        frame["type"] = json!("message");
        frame["msg"]["isNewMsg"] = json!(new);
        let now = chrono::Utc::now().timestamp_millis();
        if received.cipher_until_ms.is_some_and(|until| until > now) {
            frame["msg"]["type"] = json!("ciphertext");
            frame["msg"]["body"] = json!("");
        }
        Some(frame)
    }

    /// Delivers what arrived while the device was away, as new messages.
    pub fn flush_pending(&self, page: u64, number: &str, device: u32) {
        let pending = self.mutate(|world| {
            world
                .accounts
                .get_mut(number)
                .and_then(|a| a.device_mut(device))
                .map(|d| std::mem::take(&mut d.pending))
                .unwrap_or_default()
        });
        for id in pending {
            if let Some(frame) = self.message_frame(number, &id, true) {
                self.send_to(page, frame);
                self.count(|c| c.messages_delivered += 1);
            }
        }
    }

    /// After the delay a ciphertext message becomes readable: `change:type` on the pages.
    fn spawn_resolve(self: Arc<Self>, number: String, id: String, after_ms: u64) {
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(after_ms)).await;
            let changes = self.world().accounts.get(&number).and_then(|a| {
                let r = a.received.iter().find(|r| r.id == id)?;
                Some(json!({"type": r.msg["msg"]["type"], "body": r.msg["msg"]["body"]}))
            });
            if let Some(changes) = changes {
                self.broadcast(
                    &number,
                    &json!({"type": "message-update", "id": id, "changes": changes}),
                );
            }
        });
    }

    /// What a connecting page gets besides `me`: chats, contacts and recent history.
    pub fn snapshot_for(&self, number: &str, device: u32) -> Value {
        let world = self.world();
        let Some(account) = world.accounts.get(number) else {
            return json!({"chats": [], "contacts": [], "messages": []});
        };
        let pending: Vec<&String> = account
            .device_mut_ref(device)
            .map(|d| d.pending.iter().collect())
            .unwrap_or_default();
        let mut messages: Vec<Value> = account
            .received
            .iter()
            .filter(|r| !pending.contains(&&r.id))
            .map(|r| r.msg["msg"].clone())
            .chain(account.sent.iter().map(|s| {
                let mut raw = s.raw.clone();
                raw["ack"] = json!(s.ack);
                raw
            }))
            .collect();
        messages.sort_by_key(|m| m["t"].as_i64().unwrap_or(0));
        let skip = messages.len().saturating_sub(HISTORY);
        let messages: Vec<Value> = messages.into_iter().skip(skip).collect();
        let chats = chats_of(&world, number, &messages);
        json!({"chats": chats, "contacts": contacts_of(&world), "messages": messages})
    }

    /// A linked page sent a message: record it and run its acks.
    pub fn page_send(self: &Arc<Self>, page: u64, msg: Value) {
        let Some((number, device_id)) = self.linked_identity(page) else {
            return;
        };
        let Some(sent) = sent_from_wire(&msg, device_id) else {
            tracing::warn!("page sent a message without id or recipient; ignored");
            return;
        };
        let (id, to) = (sent.id.clone(), sent.to.clone());
        let body = sent.body.clone();
        self.mutate(|world| {
            if let Some(account) = world.accounts.get_mut(&number) {
                account.push_sent(sent);
            }
        });
        self.count(|c| c.messages_sent += 1);
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

    fn linked_identity(&self, page: u64) -> Option<(String, u32)> {
        match &self.pages().get(&page)?.link {
            crate::core::Link::Linked {
                number, device_id, ..
            } => Some((number.clone(), *device_id)),
            _ => None,
        }
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

    /// Answers a page query (`exists`, `chat`, `alt-link`).
    pub fn query(&self, page: u64, query: &str, wid: &str) -> Value {
        match query {
            "exists" => self.query_exists(wid),
            "chat" => self.query_chat(wid),
            "alt-link" => self.alt_link(page, wid),
            _ => Value::Null,
        }
    }

    fn query_exists(&self, wid: &str) -> Value {
        let mut world = self.world();
        let (user, server) = wid.split_once('@').unwrap_or((wid, "c.us"));
        let number = match server {
            "c.us" | "s.whatsapp.net" => Some(user.to_string()),
            "lid" => world.lids.get(user).cloned(),
            _ => None,
        };
        let Some(number) =
            number.filter(|n| parse_number(n).is_ok() && !world.unregistered.contains(n))
        else {
            return Value::Null;
        };
        let lid = world.lid_of(&number);
        self.save(&world);
        json!({"wid": format!("{number}@c.us"), "lid": format!("{lid}@lid")})
    }

    fn query_chat(&self, wid: &str) -> Value {
        let world = self.world();
        match world.groups.get(wid) {
            Some(g) => group_chat(g),
            None => Value::Null,
        }
    }

    /// Makes a group with these members; returns `1203...@g.us`.
    pub fn create_group(&self, name: &str, members: &[String]) -> String {
        self.mutate(|world| {
            let id = loop {
                let id = format!(
                    "120363{}@g.us",
                    rand::random_range(100_000_000_000u64..999_999_999_999)
                );
                if !world.groups.contains_key(&id) {
                    break id;
                }
            };
            let group = Group {
                id: id.clone(),
                name: name.to_string(),
                members: members.to_vec(),
                created: now_secs(),
            };
            world.groups.insert(id.clone(), group);
            id
        })
    }
}

impl crate::state::Account {
    fn device_mut_ref(&self, id: u32) -> Option<&crate::state::Device> {
        self.devices.iter().find(|d| d.id == id)
    }
}

/// The page wire form of an inbound message, the contacts it mentions and its chat.
fn build_inbound(
    world: &mut World,
    to: &str,
    m: &InboundMessage,
) -> Result<(Value, Vec<Value>, Value), SimError> {
    if !world.accounts.contains_key(to) {
        return Err(SimError::UnknownAccount(to.to_string()));
    }
    let from = parse_number(&m.from)?;
    if m.body.is_empty() {
        return Err(SimError::BadRequest("body must not be empty".into()));
    }
    let lid = if m.from_lid {
        Some(world.lid_of(&from))
    } else {
        world.existing_lid(&from)
    };
    let sender = match (&lid, m.from_lid) {
        (Some(lid), true) => format!("{lid}@lid"),
        _ => format!("{from}@c.us"),
    };
    let me = format!("{to}@c.us");
    let (remote, participant, chat) = match &m.group {
        Some(gid) => {
            let group = world
                .groups
                .get_mut(gid)
                .ok_or_else(|| SimError::UnknownGroup(gid.clone()))?;
            if !group.members.contains(&from) {
                group.members.push(from.clone());
            }
            (gid.clone(), Some(sender.clone()), group_chat(group))
        }
        None => {
            let name = m.push_name.clone().unwrap_or_default();
            (
                sender.clone(),
                None,
                json!({"id": sender, "name": name, "isGroup": false}),
            )
        }
    };
    let key_id = format!("3A{}", random_hex(18));
    let mut serialized = format!("{}_{remote}_{key_id}", m.from_me);
    if let Some(p) = &participant {
        serialized.push('_');
        serialized.push_str(p);
    }
    let (msg_from, msg_to) = if m.from_me {
        (me.clone(), remote.clone())
    } else {
        (remote.clone(), me.clone())
    };
    let msg = json!({
        "id": {"fromMe": m.from_me, "remote": remote, "id": key_id, "participant": participant, "_serialized": serialized},
        "from": msg_from, "to": msg_to, "author": participant, "body": m.body, "type": "chat",
        "t": now_secs(), "notifyName": m.push_name.clone().unwrap_or_default(),
        "ack": if m.from_me { 1 } else { 0 }, "self": if m.from_me { "out" } else { "in" },
    });
    let contact = json!({"id": format!("{from}@c.us"), "lid": lid.map(|l| format!("{l}@lid")), "pushname": m.push_name});
    Ok((msg, vec![contact], chat))
}

fn group_chat(g: &Group) -> Value {
    let participants: Vec<String> = g.members.iter().map(|n| format!("{n}@c.us")).collect();
    json!({"id": g.id, "name": g.name, "isGroup": true, "participants": participants, "creation": g.created})
}

/// Chats of an account: groups it is in, plus every remote in the history.
fn chats_of(world: &World, number: &str, messages: &[Value]) -> Vec<Value> {
    let mut chats: Vec<Value> = world
        .groups
        .values()
        .filter(|g| g.members.iter().any(|m| m == number))
        .map(group_chat)
        .collect();
    for m in messages {
        let remote = wid_string(&m["id"]["remote"]).or_else(|| wid_string(&m["to"]));
        if let Some(remote) = remote {
            if !chats.iter().any(|c| c["id"] == remote.as_str()) {
                let name = if remote.ends_with("@g.us") {
                    ""
                } else {
                    m["notifyName"].as_str().unwrap_or("")
                };
                chats.push(
                    json!({"id": remote, "name": name, "isGroup": remote.ends_with("@g.us")}),
                );
            }
        }
    }
    chats
}

/// Every known phone number <-> lid pair.
fn contacts_of(world: &World) -> Vec<Value> {
    world
        .lids
        .iter()
        .map(|(lid, n)| json!({"id": format!("{n}@c.us"), "lid": format!("{lid}@lid")}))
        .collect()
}

/// A wid the page sent, either `"x@c.us"` or `{_serialized: "x@c.us"}`.
fn wid_string(v: &Value) -> Option<String> {
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
    })
}
