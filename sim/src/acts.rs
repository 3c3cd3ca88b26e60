//! Requests a linked page makes of the servers beyond messages (`act` frames, answered by
//! `iq-result`): history pages, profile pictures, about texts, blocks, chat settings, stanzas.
//! An unknown act or a malformed argument answers `{"status": 400}`, as a bad IQ would.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::core::{Core, Link};
use crate::people::blocked_wid;

impl Core {
    /// The number a page is linked as, if it is.
    fn page_account(&self, page: u64) -> Option<String> {
        match &self.pages().get(&page)?.link {
            Link::Linked { number, .. } => Some(number.clone()),
            _ => None,
        }
    }

    /// Answers one `act` of a linked page.
    pub fn act(self: &Arc<Self>, page: u64, act: &str, args: &Value) -> Value {
        let Some(me) = self.page_account(page) else {
            return json!({"status": 401});
        };
        let arg = |k: &str| args[k].as_str().unwrap_or_default().to_string();
        match act {
            "history" => self.history_page(&me, &arg("chat"), args["before_t"].as_i64()),
            "peer-data" => self.request_history(&me, &arg("chat")),
            "picture" => self.picture_info(&arg("wid")),
            "set-picture" => self.set_own_picture(&me, args["picture"].as_str()),
            "status" => self.about_of(&arg("wid")),
            "set-status" => self.set_own(&me, |p| p.about = Some(arg("text"))),
            "set-pushname" => self.set_pushname(&me, &arg("name")),
            "block" => self.block(&me, &arg("wid"), args["block"].as_bool().unwrap_or(true)),
            "business" => self.business_of(&arg("wid")),
            "chat-flags" => self.set_flags(&me, &arg("chat"), args),
            "stanza" => self.stanza(&me, &args["node"]),
            _ => json!({"status": 400}),
        }
    }

    fn picture_info(&self, wid: &str) -> Value {
        let world = self.world();
        let Some(number) = world.number_of(wid) else {
            return json!({"status": 404});
        };
        match world.book.profiles.get(&number) {
            Some(p) if p.picture.is_some() => {
                let tag = p.picture_tag;
                // The page puts its own origin in front: the simulator is also the picture CDN.
                let path = format!("/__sim/pictures/{number}?tag={tag}");
                json!({"status": 200, "path": path, "tag": tag.to_string(), "id": wid})
            }
            _ => json!({"status": 404}),
        }
    }

    fn set_own_picture(&self, me: &str, picture: Option<&str>) -> Value {
        if picture.is_some_and(|p| !p.starts_with("data:image/")) {
            return json!({"status": 400});
        }
        self.set_own(me, |p| {
            p.picture = picture.map(str::to_string);
            p.picture_tag += 1;
        })
    }

    fn set_own(&self, me: &str, f: impl FnOnce(&mut crate::people::PublicProfile)) -> Value {
        self.mutate(|w| f(w.book.profiles.entry(me.to_string()).or_default()));
        json!({"status": 200})
    }

    fn set_pushname(&self, me: &str, name: &str) -> Value {
        if name.trim().is_empty() || name.chars().count() > 25 {
            return json!({"status": 400});
        }
        self.mutate(|w| {
            if let Some(a) = w.accounts.get_mut(me) {
                a.push_name = name.to_string();
            }
        });
        json!({"status": 200})
    }

    fn about_of(&self, wid: &str) -> Value {
        let world = self.world();
        let about = world
            .number_of(wid)
            .and_then(|n| world.book.profiles.get(&n))
            .and_then(|p| p.about.clone());
        match about {
            Some(status) => json!({"status": 200, "about": status}),
            None => json!({"status": 404}),
        }
    }

    fn business_of(&self, wid: &str) -> Value {
        let world = self.world();
        let profile = world
            .number_of(wid)
            .and_then(|n| world.book.profiles.get(&n).cloned());
        match profile {
            Some(p) if p.business => json!({"status": 200, "id": wid,
                "description": p.about, "verifiedName": p.verified_name}),
            _ => json!({"status": 404}),
        }
    }

    /// Blocks are keyed by `@lid` in current builds: a phone-number id is refused.
    fn block(&self, me: &str, wid: &str, block: bool) -> Value {
        if !wid.ends_with("@lid") {
            return json!({"status": 400, "reason": "expected an @lid id"});
        }
        let Some(number) = self.world().number_of(wid) else {
            return json!({"status": 404});
        };
        let blocked = self.mutate(|w| {
            let list = w.book.blocked.entry(me.to_string()).or_default();
            if block {
                list.insert(number.clone());
            } else {
                list.remove(&number);
            }
            blocked_wid(w, &number)
        });
        json!({"status": 200, "id": blocked})
    }

    fn set_flags(&self, me: &str, chat: &str, args: &Value) -> Value {
        if !chat.contains('@') {
            return json!({"status": 400});
        }
        self.mutate(|w| {
            let flags = w.book.flags.entry(me.to_string()).or_default();
            let f = flags.entry(chat.to_string()).or_default();
            if let Some(v) = args["archive"].as_bool() {
                f.archive = v;
            }
            if let Some(v) = args["pin"].as_bool() {
                f.pin = v;
            }
            if let Some(v) = args["muteExpiration"].as_i64() {
                f.mute_expiration = v;
            }
        });
        json!({"status": 200})
    }
}
