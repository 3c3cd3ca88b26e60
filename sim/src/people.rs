//! The people around an account: its address book, everyone's public profile (about text,
//! business flags, profile picture), its block list and its own profile. Pages learn the book
//! when they connect and ask the servers for the rest (`act` frames, see `acts.rs`).

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::calls::Call;
use crate::core::Core;
use crate::error::SimError;
use crate::history::ChatHistory;
use crate::state::World;

/// Everything of this module the servers remember (a field of the world).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct Book {
    /// account -> number -> the name saved in that account's address book.
    pub saved: BTreeMap<String, BTreeMap<String, String>>,
    /// number -> what anyone may see of it.
    pub profiles: BTreeMap<String, PublicProfile>,
    /// account -> numbers it blocked.
    pub blocked: BTreeMap<String, BTreeSet<String>>,
    /// account -> chat id -> the history its phone holds.
    pub history: BTreeMap<String, BTreeMap<String, ChatHistory>>,
    /// account -> chat id -> archive, pin and mute as set on any device.
    pub flags: BTreeMap<String, BTreeMap<String, ChatFlags>>,
    /// account -> incoming calls, oldest first.
    pub calls: BTreeMap<String, Vec<Call>>,
}

/// A number's public profile.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct PublicProfile {
    pub push_name: Option<String>,
    pub about: Option<String>,
    pub business: bool,
    pub verified_name: Option<String>,
    /// The picture as a `data:` URL; `None` = no picture.
    pub picture: Option<String>,
    /// Bumped on every picture change (the picture URL's tag).
    pub picture_tag: u32,
}

/// A chat's archive, pin and mute state for one account.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq, Eq)]
#[serde(default)]
pub struct ChatFlags {
    pub archive: bool,
    pub pin: bool,
    /// Unix seconds; 0 = not muted, -1 = muted for ever.
    pub mute_expiration: i64,
}

/// What a test seeds about a contact (control API and Rust API).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ContactSeed {
    pub number: String,
    /// Saved in the account's address book under this name (`isMyContact`).
    pub name: Option<String>,
    pub push_name: Option<String>,
    pub about: Option<String>,
    pub business: bool,
    pub verified_name: Option<String>,
    /// Give the contact a (generated) profile picture.
    pub picture: bool,
}

impl ContactSeed {
    pub fn new(number: &str) -> Self {
        Self {
            number: number.into(),
            ..Self::default()
        }
    }
}

/// A small generated avatar, as a `data:` URL of an SVG image.
pub fn avatar(number: &str) -> String {
    use base64::Engine;
    let hue = number
        .bytes()
        .fold(0u32, |h, b| h.wrapping_mul(31) + b as u32)
        % 360;
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"640\" height=\"640\"><rect width=\"640\" height=\"640\" fill=\"hsl({hue},60%,50%)\"/></svg>"
    );
    let b64 = base64::engine::general_purpose::STANDARD.encode(svg);
    format!("data:image/svg+xml;base64,{b64}")
}

impl World {
    /// A contact as a page's Contact model starts: ids, names, business flags.
    pub fn contact_json(&self, account: &str, number: &str) -> Value {
        let profile = self.book.profiles.get(number).cloned().unwrap_or_default();
        let saved = self.book.saved.get(account).and_then(|s| s.get(number));
        let lid = (!self.hidden_phones.contains(number))
            .then(|| self.existing_lid(number))
            .flatten();
        json!({
            "id": format!("{number}@c.us"),
            "lid": lid.map(|l| format!("{l}@lid")),
            "name": saved,
            "pushname": profile.push_name.or_else(|| self.accounts.get(number).map(|a| a.push_name.clone())),
            "isMyContact": saved.is_some(),
            "isBusiness": profile.business,
            "verifiedName": profile.verified_name,
            "isWAContact": !self.unregistered.contains(number),
        })
    }

    /// Every contact an account's pages know: its address book and everyone with a profile.
    pub fn contacts_for(&self, account: &str) -> Vec<Value> {
        let mut numbers: BTreeSet<&String> = self.book.profiles.keys().collect();
        if let Some(saved) = self.book.saved.get(account) {
            numbers.extend(saved.keys());
        }
        numbers
            .into_iter()
            .filter(|n| n.as_str() != account)
            .map(|n| self.contact_json(account, n))
            .collect()
    }

    /// A number from a user wid (`…@c.us` directly, `…@lid` through the lid table).
    pub fn number_of(&self, wid: &str) -> Option<String> {
        let (user, server) = wid.split_once('@')?;
        match server {
            "c.us" | "s.whatsapp.net" => Some(user.to_string()),
            "lid" => self.lids.get(user).cloned(),
            _ => None,
        }
    }
}

/// Adds what pages learn of the people and chat settings when they connect.
pub fn add_to_snapshot(world: &World, account: &str, snapshot: &mut Value) {
    snapshot["people"] = json!(world.contacts_for(account));
    let blocked: Vec<String> = world
        .book
        .blocked
        .get(account)
        .map(|b| b.iter().map(|n| blocked_wid(world, n)).collect())
        .unwrap_or_default();
    snapshot["blocked"] = json!(blocked);
    crate::history::add_history_chats(world, account, snapshot);
    if let Some(chats) = snapshot["chats"].as_array_mut() {
        for chat in chats {
            let id = chat["id"].as_str().unwrap_or_default().to_string();
            let flags = world.flags_of(account, &id);
            chat["archive"] = json!(flags.archive);
            chat["pin"] = json!(flags.pin);
            chat["muteExpiration"] = json!(flags.mute_expiration);
        }
    }
}

/// Block lists hold `@lid` ids since 2026 (where the number has one).
pub fn blocked_wid(world: &World, number: &str) -> String {
    match world.existing_lid(number) {
        Some(lid) => format!("{lid}@lid"),
        None => format!("{number}@c.us"),
    }
}

impl World {
    pub fn flags_of(&self, account: &str, chat: &str) -> ChatFlags {
        self.book
            .flags
            .get(account)
            .and_then(|f| f.get(chat))
            .cloned()
            .unwrap_or_default()
    }
}

impl Core {
    /// Seeds a contact for `account` (which need not have linked yet) and tells its pages.
    pub fn add_contact(&self, account: &str, seed: ContactSeed) -> Result<Value, SimError> {
        let account = crate::types::parse_number(account)?;
        let number = crate::types::parse_number(&seed.number)?;
        let contact = self.mutate(|w| {
            let profile = w.book.profiles.entry(number.clone()).or_default();
            profile.push_name = seed.push_name.clone().or(profile.push_name.take());
            profile.about = seed.about.clone().or(profile.about.take());
            profile.business |= seed.business;
            profile.verified_name = seed.verified_name.clone().or(profile.verified_name.take());
            if seed.picture && profile.picture.is_none() {
                profile.picture = Some(avatar(&number));
                profile.picture_tag += 1;
            }
            if let Some(name) = &seed.name {
                let book = w.book.saved.entry(account.clone()).or_default();
                book.insert(number.clone(), name.clone());
            }
            w.lid_of(&number);
            w.contact_json(&account, &number)
        });
        self.broadcast(&account, &json!({"type": "people", "contacts": [contact]}));
        Ok(contact)
    }

    /// The account's own profile and block list, for tests and the phone page.
    pub fn profile_view(&self, account: &str) -> Value {
        let world = self.world();
        let profile = world
            .book
            .profiles
            .get(account)
            .cloned()
            .unwrap_or_default();
        let push_name = world.accounts.get(account).map(|a| a.push_name.clone());
        let blocked: Vec<&String> = world
            .book
            .blocked
            .get(account)
            .map(|b| b.iter().collect())
            .unwrap_or_default();
        json!({
            "number": account, "push_name": push_name, "about": profile.about,
            "has_picture": profile.picture.is_some(), "blocked": blocked,
        })
    }

    /// The picture bytes and type of a number, if it has one.
    pub fn picture(&self, number: &str) -> Option<(String, Vec<u8>)> {
        use base64::Engine;
        let url = self.world().book.profiles.get(number)?.picture.clone()?;
        let (head, data) = url.strip_prefix("data:")?.split_once(',')?;
        let mime = head.trim_end_matches(";base64").to_string();
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(data)
            .ok()?;
        Some((mime, bytes))
    }
}
