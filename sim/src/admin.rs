//! Reads and small changes the control API needs: devices, sent messages, modules, lids.

use serde_json::{json, Value};

use crate::core::Core;
use crate::types::{DeviceInfo, SentMessage};

impl Core {
    pub fn account_numbers(&self) -> Vec<String> {
        self.world().accounts.keys().cloned().collect()
    }

    /// Devices of `number`, with whether a page holding each is connected.
    pub fn linked_devices(&self, number: &str) -> Vec<DeviceInfo> {
        let pages = self.linked_pages(number);
        let world = self.world();
        let Some(account) = world.accounts.get(number) else {
            return Vec::new();
        };
        account
            .devices
            .iter()
            .map(|d| {
                let page = pages
                    .iter()
                    .find(|(_, id, state, _)| *id == d.id && state != "CONFLICT");
                let page = page.or_else(|| pages.iter().find(|(_, id, _, _)| *id == d.id));
                DeviceInfo {
                    device_id: d.id,
                    linked_at: d.linked_at,
                    online: page.is_some(),
                    state: page.map(|(_, _, state, _)| state.clone()),
                }
            })
            .collect()
    }

    pub fn sent_messages(&self, number: &str) -> Vec<SentMessage> {
        self.world()
            .accounts
            .get(number)
            .map(|a| a.sent.clone())
            .unwrap_or_default()
    }

    /// Both directions of an account's messages, oldest first (for the phone page).
    pub fn conversation(&self, number: &str) -> Value {
        let world = self.world();
        let Some(account) = world.accounts.get(number) else {
            return json!([]);
        };
        let now = chrono::Utc::now().timestamp_millis();
        let mut all: Vec<Value> = account
            .received
            .iter()
            .map(|r| {
                let m = &r.msg["msg"];
                let pending = r.cipher_until_ms.is_some_and(|u| u > now);
                json!({"direction": "in", "id": r.id, "chat": m["id"]["remote"], "author": m["author"],
                       "body": m["body"], "t": m["t"], "read": r.read, "ciphertext": pending, "fromMe": m["id"]["fromMe"],
                       "type": m["type"], "pollOptions": m["pollOptions"],
                       "media": crate::media::phone_view(m)})
            })
            .chain(account.sent.iter().map(|s| {
                json!({"direction": "out", "id": s.id, "chat": s.to, "body": s.body, "t": s.timestamp, "ack": s.ack, "device": s.device_id,
                       "type": s.raw["type"], "pollOptions": s.raw["pollOptions"],
                       "media": crate::media::phone_view(&s.raw)})
            }))
            .collect();
        all.sort_by_key(|m| m["t"].as_i64().unwrap_or(0));
        Value::Array(all)
    }

    /// Renames a module for the next page loads.
    pub fn rename_module(&self, from: &str, to: &str) {
        self.mutate(|w| {
            w.modules.removed.remove(from);
            w.modules.renamed.insert(from.to_string(), to.to_string());
        });
    }

    /// Removes a module for the next page loads.
    pub fn remove_module(&self, name: &str) {
        self.mutate(|w| {
            w.modules.renamed.remove(name);
            w.modules.removed.insert(name.to_string());
        });
    }

    /// The `@lid` of `number`, made on first use.
    pub fn add_lid_contact(&self, number: &str) -> String {
        let lid = self.mutate(|w| w.lid_of(number));
        format!("{lid}@lid")
    }

    /// Whether `queryWidExists` finds `number` on WhatsApp (all numbers are, by default).
    pub fn set_registered(&self, number: &str, registered: bool) {
        self.mutate(|w| {
            if registered {
                w.unregistered.remove(number);
            } else {
                w.unregistered.insert(number.to_string());
            }
        });
    }
}
