//! Group notifications as pages receive them: an ordinary message of `type: 'gp2'` in the group
//! chat (`author` = who acted, `recipients` = whom it concerns, `subtype` = what happened),
//! delivered like any inbound message (queued for devices that are away), carrying the group's
//! metadata after the change.

use serde_json::{json, Value};

use crate::core::{now_secs, random_hex, Core};
use crate::groups::{member_contacts, Done, Notice, Refusal};
use crate::state::{Received, World};

impl Core {
    /// Runs a group operation on the world, then tells the members what changed.
    pub fn group_op<T>(
        &self,
        gid_hint: Option<&str>,
        op: impl FnOnce(&mut World) -> Done<T>,
    ) -> Result<T, Refusal>
    where
        T: GroupOf,
    {
        let (out, notices) = self.mutate(op)?;
        let gid = out.group_id().or(gid_hint.map(str::to_string));
        if let Some(gid) = gid {
            for notice in notices {
                self.announce(&gid, &notice);
            }
        }
        Ok(out)
    }

    /// Stores the notice for every account concerned and delivers it to their devices.
    pub fn announce(&self, gid: &str, notice: &Notice) {
        let deliveries = self.mutate(|world| store_notice(world, gid, notice));
        for (number, id, devices) in deliveries {
            for device in devices {
                self.deliver(&number, device, &id, true);
            }
        }
    }
}

/// Results that name the group they concern (when the caller could not know it beforehand).
pub trait GroupOf {
    fn group_id(&self) -> Option<String> {
        None
    }
}

impl GroupOf for () {}
impl GroupOf for u16 {}
impl GroupOf for Vec<crate::groups::Outcome> {}
impl GroupOf for Value {
    fn group_id(&self) -> Option<String> {
        self["wid"].as_str().map(str::to_string)
    }
}
impl GroupOf for (String, bool) {
    fn group_id(&self) -> Option<String> {
        Some(self.0.clone())
    }
}

/// Records the notice as received by each account concerned: (account, message id, devices).
fn store_notice(world: &mut World, gid: &str, notice: &Notice) -> Vec<(String, String, Vec<u32>)> {
    let Some(group) = world.groups.get(gid).cloned() else {
        return vec![];
    };
    let mut told: Vec<String> = group.members.clone();
    told.extend(notice.also.iter().cloned());
    told.sort();
    told.dedup();
    let chat = crate::groups::chat_info(world, &group);
    let contacts = member_contacts(world, &group);
    let mut out = Vec::new();
    for number in told {
        let msg = gp2_message(world, &group, &number, notice);
        let Some(account) = world.accounts.get_mut(&number) else {
            continue;
        };
        let id = msg["id"]["_serialized"]
            .as_str()
            .unwrap_or_default()
            .to_string();
        let record = json!({"msg": msg, "contacts": contacts, "chat": chat});
        account.push_received(Received {
            id: id.clone(),
            msg: record,
            read: false,
            cipher_until_ms: None,
        });
        let devices = account.devices.iter().map(|d| d.id).collect();
        out.push((number, id, devices));
    }
    out
}

/// The `gp2` message one account's pages get for a notice.
fn gp2_message(world: &World, g: &crate::state::Group, account: &str, notice: &Notice) -> Value {
    let author = notice.author.as_deref().map(|a| world.member_wid(g, a));
    let recipients: Vec<String> = notice
        .recipients
        .iter()
        .map(|r| world.member_wid(g, r))
        .collect();
    let from_me = notice.author.as_deref() == Some(account);
    let key_id = format!("3A{}", random_hex(crate::fidelity::id_length()));
    let mut serialized = format!("{from_me}_{}_{key_id}", g.id);
    if let Some(a) = &author {
        serialized.push('_');
        serialized.push_str(a);
    }
    json!({
        "id": {"fromMe": from_me, "remote": g.id, "id": key_id, "participant": author, "_serialized": serialized},
        "from": g.id, "to": format!("{account}@c.us"), "author": author, "type": "gp2",
        "subtype": notice.subtype, "recipients": recipients, "body": notice.body,
        "t": now_secs(), "ack": 0, "self": if from_me { "out" } else { "in" },
    })
}
