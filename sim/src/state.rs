//! What the WhatsApp servers remember: accounts, linked devices, contacts, groups, messages.
//! Kept in memory and, with a state folder, in `state.json` (written atomically).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::config::AckBehaviour;
use crate::error::SimError;
use crate::types::SentMessage;

/// At most this many messages are kept per account and direction.
const LOG_CAP: usize = 1000;

/// The whole server-side world.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct World {
    pub accounts: BTreeMap<String, Account>,
    pub groups: BTreeMap<String, Group>,
    /// lid user -> phone number.
    pub lids: BTreeMap<String, String>,
    /// Numbers that `queryWidExists` reports as not on WhatsApp.
    pub unregistered: BTreeSet<String>,
    /// Chats whose messages disappear: chat id -> seconds (the same for every account).
    pub disappearing: BTreeMap<String, u32>,
    /// A typed number -> WhatsApp's canonical number for it (`queryWidExists` answers the latter).
    pub aliases: BTreeMap<String, String>,
    /// Numbers whose `@lid` -> number mapping WhatsApp does not share with other accounts.
    pub hidden_phones: BTreeSet<String>,
    /// Numbers whose privacy settings refuse being added to groups (an add answers 403 + invite).
    pub refuse_group_adds: BTreeSet<String>,
    /// Address books, profiles, block lists, phone history, chat settings, calls.
    pub book: crate::people::Book,
    /// Reactions, votes, edits, reads… of linked devices; receipts; link previews.
    pub rich: crate::device_actions::RichWorld,
    /// The breakage drill lasts until the simulator stops: a restart brings the modules back.
    #[serde(skip)]
    pub modules: ModuleOverrides,
    /// Ack behaviour set at run time; a restart goes back to `SimConfig.acks`.
    #[serde(skip)]
    pub acks: Option<AckBehaviour>,
}

/// An account (a phone number with a phone) and its companion devices.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Account {
    pub number: String,
    pub push_name: String,
    pub platform: String,
    pub devices: Vec<Device>,
    pub next_device_id: u32,
    pub sent: Vec<SentMessage>,
    pub received: Vec<Received>,
}

/// A linked companion (one browser profile).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Device {
    pub id: u32,
    /// The secret the page proves on every connect.
    pub secret: String,
    /// The page's noise public key (base64) from the QR.
    pub noise_key: String,
    pub linked_at: i64,
    /// Inbound message ids not yet delivered to this device.
    pub pending: Vec<String>,
    /// Unix milliseconds since when no page holds this device's credentials (`None`: online, or
    /// never connected since it was linked).
    #[serde(default)]
    pub offline_since_ms: Option<i64>,
}

/// An inbound message as the servers keep it (the page wire form).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Received {
    pub id: String,
    /// The message in its final form (type `chat` even while it is still ciphertext).
    pub msg: serde_json::Value,
    pub read: bool,
    /// Until this unix millisecond the message is delivered as `ciphertext`.
    #[serde(default)]
    pub cipher_until_ms: Option<i64>,
}

/// A group chat.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Group {
    pub id: String,
    pub name: String,
    pub members: Vec<String>,
    pub created: i64,
    /// The group addresses its members by `@lid` (`groupMetadata.isLidAddressingMode`).
    #[serde(default)]
    pub lid_mode: bool,
    /// Owner, admins, description, settings, invite code, join requests (see `groups.rs`).
    #[serde(default)]
    pub meta: crate::groups::GroupMeta,
}

/// Module renames and removals for the next page loads (the breakage drill).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct ModuleOverrides {
    pub renamed: BTreeMap<String, String>,
    pub removed: BTreeSet<String>,
    /// `"Module.member"` -> the member's new name.
    pub renamed_members: BTreeMap<String, String>,
    /// Functions back in their older argument form or home: `sendSeen`, `advSecret`.
    pub old_forms: BTreeSet<String>,
    /// Message keys without their own `_serialized` (only `toString()`).
    pub no_key_serialized: bool,
}

impl Account {
    pub fn new(number: &str, push_name: &str) -> Self {
        Account {
            number: number.to_string(),
            push_name: push_name.to_string(),
            platform: "android".to_string(),
            devices: Vec::new(),
            next_device_id: 1,
            sent: Vec::new(),
            received: Vec::new(),
        }
    }

    pub fn device(&self, id: u32) -> Option<&Device> {
        self.devices.iter().find(|d| d.id == id)
    }

    pub fn device_mut(&mut self, id: u32) -> Option<&mut Device> {
        self.devices.iter_mut().find(|d| d.id == id)
    }

    pub fn push_sent(&mut self, msg: SentMessage) {
        self.sent.push(msg);
        trim(&mut self.sent);
    }

    pub fn push_received(&mut self, msg: Received) {
        self.received.push(msg);
        trim(&mut self.received);
    }
}

fn trim<T>(log: &mut Vec<T>) {
    if log.len() > LOG_CAP {
        log.drain(..log.len() - LOG_CAP);
    }
}

impl World {
    /// The lid user of a number, made on first use (13-15 digits, as real ones).
    pub fn lid_of(&mut self, number: &str) -> String {
        if let Some((lid, _)) = self.lids.iter().find(|(_, n)| *n == number) {
            return lid.clone();
        }
        let lid = loop {
            let candidate = format!(
                "{}",
                rand::random_range(10_000_000_000_000u64..99_999_999_999_999)
            );
            if !self.lids.contains_key(&candidate) {
                break candidate;
            }
        };
        self.lids.insert(lid.clone(), number.to_string());
        lid
    }

    /// The existing lid of a number, if any.
    pub fn existing_lid(&self, number: &str) -> Option<String> {
        self.lids
            .iter()
            .find(|(_, n)| *n == number)
            .map(|(l, _)| l.clone())
    }
}

/// Where the world is saved, if anywhere.
#[derive(Debug, Clone)]
pub struct Store {
    file: Option<PathBuf>,
}

impl Store {
    pub fn new(dir: Option<&Path>) -> Result<Self, SimError> {
        let Some(dir) = dir else {
            return Ok(Store { file: None });
        };
        std::fs::create_dir_all(dir)
            .map_err(|e| SimError::State(format!("{}: {e}", dir.display())))?;
        Ok(Store {
            file: Some(dir.join("state.json")),
        })
    }

    /// The saved world, or an empty one.
    pub fn load(&self) -> Result<World, SimError> {
        let Some(file) = &self.file else {
            return Ok(World::default());
        };
        match std::fs::read(file) {
            Ok(bytes) => serde_json::from_slice(&bytes)
                .map_err(|e| SimError::State(format!("{}: {e}", file.display()))),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(World::default()),
            Err(e) => Err(SimError::State(format!("{}: {e}", file.display()))),
        }
    }

    /// Writes the world next to the file, then renames it over, so a crash never leaves half a file.
    pub fn save(&self, world: &World) {
        let Some(file) = &self.file else { return };
        let tmp = file.with_extension("json.tmp");
        let result = serde_json::to_vec_pretty(world)
            .map_err(std::io::Error::other)
            .and_then(|bytes| std::fs::write(&tmp, bytes))
            .and_then(|_| std::fs::rename(&tmp, file));
        if let Err(e) = result {
            tracing::warn!(file = %file.display(), error = %e, "saving simulator state failed");
        }
    }
}
