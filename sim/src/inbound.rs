//! Inbound messages from the phones: delivery, offline queues, ciphertext, history snapshots.

use std::sync::Arc;
use std::time::Duration;

use serde_json::{json, Map, Value};

use crate::core::{now_secs, push, random_hex, Core};
use crate::error::SimError;
use crate::outbound::wid_string;
use crate::state::{Group, Received, World};
use crate::types::{parse_number, InboundKind, InboundMessage};

/// Messages replayed as history (`isNewMsg: false`) on every connect.
const HISTORY: usize = 50;

impl Core {
    /// Accepts an inbound message and pushes it to the account's linked pages (or queues it).
    pub fn send_inbound(self: &Arc<Self>, m: InboundMessage) -> Result<String, SimError> {
        self.send_inbound_with(m, Map::new(), Map::new())
    }

    /// `send_inbound` with fields that replace the message's (`fields`) and the frame's (`frame`).
    pub(crate) fn send_inbound_with(
        self: &Arc<Self>,
        m: InboundMessage,
        fields: Map<String, Value>,
        frame: Map<String, Value>,
    ) -> Result<String, SimError> {
        let to = parse_number(&m.to)?;
        let (id, devices) = self.mutate(|world| {
            let (mut msg, contacts, chat) = build_inbound(world, &to, &m)?;
            if let Some(o) = msg.as_object_mut() {
                o.extend(fields);
            }
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
            let mut record = json!({"msg": msg, "contacts": contacts, "chat": chat});
            if let Some(o) = record.as_object_mut() {
                o.extend(frame);
            }
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
    pub(crate) fn deliver(&self, number: &str, device: u32, id: &str, new: bool) {
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
            .device(device)
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
        let mut snapshot =
            json!({"chats": chats, "contacts": contacts_of(&world), "messages": messages});
        crate::people::add_to_snapshot(&world, number, &mut snapshot);
        snapshot
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
    if m.body.is_empty() && !crate::rich::carries_content(m) {
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
            let group = group.clone();
            (gid.clone(), Some(sender.clone()), group_chat(world, &group))
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
    let key_id = format!("3A{}", random_hex(crate::fidelity::id_length()));
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
    let mut msg = json!({
        "id": {"fromMe": m.from_me, "remote": remote, "id": key_id, "participant": participant, "_serialized": serialized},
        "from": msg_from, "to": msg_to, "author": participant, "body": m.body, "type": "chat",
        "t": now_secs(), "notifyName": m.push_name.clone().unwrap_or_default(),
        "ack": if m.from_me { 1 } else { 0 }, "self": if m.from_me { "out" } else { "in" },
    });
    crate::rich::decorate(world, to, m, &mut msg)?;
    let contact = if m.hide_phone && m.from_lid {
        world.hidden_phones.insert(from.clone());
        json!({"id": sender, "pushname": m.push_name})
    } else {
        json!({"id": format!("{from}@c.us"), "lid": lid.map(|l| format!("{l}@lid")), "pushname": m.push_name})
    };
    Ok((msg, vec![contact], chat))
}

/// A group as pages learn it (the chat and its metadata); see `groups.rs`.
pub(crate) fn group_chat(world: &World, g: &Group) -> Value {
    crate::groups::chat_info(world, g)
}

/// Chats of an account: groups it is in, plus every remote in the history.
fn chats_of(world: &World, number: &str, messages: &[Value]) -> Vec<Value> {
    let mut chats: Vec<Value> = world
        .groups
        .values()
        .filter(|g| g.members.iter().any(|m| m == number))
        .map(|g| group_chat(world, g))
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
    for chat in &mut chats {
        crate::fidelity::add_chat_settings(world, chat);
    }
    chats
}

/// Every known phone number <-> lid pair.
fn contacts_of(world: &World) -> Vec<Value> {
    world
        .lids
        .iter()
        .filter(|(_, n)| !world.hidden_phones.contains(*n))
        .map(|(lid, n)| json!({"id": format!("{n}@c.us"), "lid": format!("{lid}@lid")}))
        .collect()
}
