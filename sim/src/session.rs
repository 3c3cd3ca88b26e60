//! Linked sessions: restores with stored credentials, sync, conflicts, forced states, logouts, unlinks.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::json;

use crate::core::{push, Core, Link};
use crate::error::SimError;
use crate::types::parse_number;

/// What a page proves when it comes back with stored credentials.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Creds {
    pub number: String,
    pub device_id: u32,
    pub secret: String,
    pub noise_key: String,
}

/// Socket states a test may force on a linked page.
pub const FORCIBLE_STATES: &[&str] = &[
    "CONFLICT",
    "TIMEOUT",
    "TOS_BLOCK",
    "SMB_TOS_BLOCK",
    "PROXYBLOCK",
    "DEPRECATED_VERSION",
    "UNPAIRED",
    "UNPAIRED_IDLE",
    "CONNECTED",
];

impl Core {
    /// A page came back with stored credentials: accept them or refuse them.
    pub fn hello(self: &Arc<Self>, page: u64, creds: Creds) {
        self.expire_if_offline_too_long(&creds.number, creds.device_id);
        let me = self.check_creds(&creds);
        let Some((lid, push_name, platform)) = me else {
            self.count(|c| c.restores_refused += 1);
            self.send_to(page, json!({"type": "failure", "reason": "device_removed"}));
            return;
        };
        self.replace_older_page(&creds.number, creds.device_id);
        self.came_online(&creds.number, creds.device_id);
        self.set_link(
            page,
            Link::Linked {
                number: creds.number.clone(),
                device_id: creds.device_id,
                state: "CONNECTED".into(),
            },
        );
        self.count(|c| c.restores += 1);
        let me = json!({"number": creds.number, "deviceId": creds.device_id, "lid": lid, "pushname": push_name, "platform": platform});
        let mut frame = self.snapshot_for(&creds.number, creds.device_id);
        frame["type"] = json!("success");
        frame["me"] = me;
        self.send_to(page, frame);
        self.clone().spawn_sync(page, creds.number, creds.device_id);
    }

    /// Lid, push name and platform of the device if the credentials are valid.
    fn check_creds(&self, creds: &Creds) -> Option<(String, String, String)> {
        let world = self.world();
        let account = world.accounts.get(&creds.number)?;
        let device = account.devices.iter().find(|d| d.id == creds.device_id)?;
        let valid = device.secret == creds.secret && device.noise_key == creds.noise_key;
        let lid = world.existing_lid(&creds.number)?;
        valid.then(|| (lid, account.push_name.clone(), account.platform.clone()))
    }

    /// The same device opened elsewhere: the older page gets `CONFLICT`, as on WhatsApp.
    fn replace_older_page(&self, number: &str, device_id: u32) {
        for (id, dev, _, tx) in self.linked_pages(number) {
            if dev == device_id {
                self.set_state(id, "CONFLICT");
                push(&tx, json!({"type": "stream-error", "state": "CONFLICT"}));
            }
        }
    }

    fn set_state(&self, page: u64, new_state: &str) {
        if let Some(p) = self.pages().get_mut(&page) {
            if let Link::Linked { state, .. } = &mut p.link {
                *state = new_state.to_string();
            }
        }
    }

    /// Progress 0 -> 100 over the sync time, offline messages, then `synced`.
    fn spawn_sync(self: Arc<Self>, page: u64, number: String, device_id: u32) {
        let steps = 5u32;
        let step = self.config.timing.sync / steps;
        tokio::spawn(async move {
            for i in 0..=steps {
                self.send_to(
                    page,
                    json!({"type": "progress", "percent": i * 100 / steps}),
                );
                if i == steps / 2 {
                    self.flush_pending(page, &number, device_id);
                }
                tokio::time::sleep(step).await;
            }
            self.send_to(page, json!({"type": "synced"}));
        });
    }

    /// The page called `Socket.logout()`: forget its device.
    pub fn page_logout(&self, page: u64) {
        let link = self
            .pages()
            .get_mut(&page)
            .map(|p| std::mem::replace(&mut p.link, Link::Fresh));
        if let Some(Link::Linked {
            number, device_id, ..
        }) = link
        {
            self.remove_devices(&number, Some(device_id));
            self.count(|c| c.logouts += 1);
        }
    }

    /// Unlinks every device of `number`, as "Log out" in the phone's Linked devices screen.
    pub fn unlink(&self, number: &str) -> Result<(), SimError> {
        let number = parse_number(number)?;
        if !self.world().accounts.contains_key(&number) {
            return Err(SimError::UnknownAccount(number));
        }
        self.remove_devices(&number, None);
        for (id, _, _, tx) in self.linked_pages(&number) {
            self.set_link(id, Link::Fresh);
            push(&tx, json!({"type": "logout", "reason": "device_removed"}));
        }
        Ok(())
    }

    fn remove_devices(&self, number: &str, only: Option<u32>) {
        let removed = self.mutate(|world| {
            let Some(account) = world.accounts.get_mut(number) else {
                return 0;
            };
            let before = account.devices.len();
            account
                .devices
                .retain(|d| only.is_some_and(|id| id != d.id));
            (before - account.devices.len()) as u64
        });
        self.count(|c| c.devices_unlinked += removed);
    }

    /// Forces a socket state on every page linked as `number`.
    pub fn force_state(&self, number: &str, state: &str) -> Result<(), SimError> {
        let number = parse_number(number)?;
        let state = state.to_ascii_uppercase();
        if !FORCIBLE_STATES.contains(&state.as_str()) {
            return Err(SimError::BadRequest(format!(
                "state {state:?} cannot be forced; use one of {FORCIBLE_STATES:?}"
            )));
        }
        let pages = self.linked_pages(&number);
        if pages.is_empty() {
            return Err(SimError::NotLinked(number));
        }
        for (id, _, _, tx) in pages {
            self.set_state(id, &state);
            push(&tx, json!({"type": "stream-error", "state": state}));
        }
        Ok(())
    }

    /// A page took over (`takeover()`) or reconnected (`reconnect()`) after a forced state.
    pub fn resume(&self, page: u64) {
        let linked = match self.pages().get(&page).map(|p| &p.link) {
            Some(Link::Linked {
                number, device_id, ..
            }) => Some((number.clone(), *device_id)),
            _ => None,
        };
        let Some((number, device_id)) = linked else {
            return;
        };
        self.replace_older_page(&number, device_id);
        self.set_state(page, "CONNECTED");
        self.send_to(page, json!({"type": "stream-error", "state": "CONNECTED"}));
        self.flush_pending(page, &number, device_id);
    }
}
