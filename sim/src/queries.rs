//! Questions pages ask the servers (`queryWidExists`, group chats, link codes), and groups.

use serde_json::{json, Value};

use crate::core::{now_secs, Core};
use crate::inbound::group_chat;
use crate::state::Group;
use crate::types::parse_number;

impl Core {
    /// Answers a page query (`exists`, `chat`, `alt-link`).
    pub fn query(&self, page: u64, query: &str, wid: &str) -> Value {
        match query {
            "msg-info" => self.msg_info(page, wid),
            "link-preview" => self.link_preview(wid),
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
            "c.us" | "s.whatsapp.net" => Some(world.canonical(user)),
            "lid" => world.lids.get(user).cloned(),
            _ => None,
        };
        let Some(number) =
            number.filter(|n| parse_number(n).is_ok() && !world.unregistered.contains(n))
        else {
            return Value::Null;
        };
        if server == "lid" && world.hidden_phones.contains(&number) {
            // The number stays hidden: the lid exists, nothing more is learned.
            return json!({"wid": wid});
        }
        let lid = world.lid_of(&number);
        self.save(&world);
        json!({"wid": format!("{number}@c.us"), "lid": format!("{lid}@lid")})
    }

    fn query_chat(&self, wid: &str) -> Value {
        let world = self.world();
        let mut chat = match world.groups.get(wid) {
            Some(g) => group_chat(&world, g),
            None if world.disappearing.contains_key(wid) => json!({"id": wid}),
            None => return Value::Null,
        };
        crate::fidelity::add_chat_settings(&world, &mut chat);
        chat
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
                lid_mode: false,
                meta: Default::default(),
            };
            world.groups.insert(id.clone(), group);
            id
        })
    }
}
