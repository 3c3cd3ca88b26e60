//! The servers' side of the page's group modules: each `group-iq` frame names an operation,
//! acts as the page's own account, and is answered `{ok: value}` or `{error: {code, text}}`.

use std::sync::Arc;

use serde_json::{json, Value};

use crate::core::Core;
use crate::groups::{Outcome, Refusal, BAD_REQUEST, FORBIDDEN};
use crate::state::World;

type Answer = Result<Value, Refusal>;

impl Core {
    /// Answers one group operation of a linked page.
    pub fn group_iq(self: &Arc<Self>, page: u64, op: &str, args: &Value) -> Value {
        let answer = match self.linked_identity(page) {
            Some((me, _)) => self.group_answer(&me, op, args),
            None => Err(FORBIDDEN),
        };
        match answer {
            Ok(value) => json!({"ok": value}),
            Err(r) => json!({"error": {"code": r.code, "text": r.text}}),
        }
    }

    fn group_answer(&self, me: &str, op: &str, args: &Value) -> Answer {
        let gid = args["group"].as_str().unwrap_or_default().to_string();
        let text = |k: &str| args[k].as_str().unwrap_or_default().to_string();
        match op {
            "create" => {
                let wanted = self.numbers_of(&args["participants"]);
                self.group_op(None, |w| w.create_group_by(me, &text("subject"), &wanted))
            }
            "metadata" => self.metadata_for(me, &gid),
            "invite-code" => self
                .mutate(|w| w.invite_code_of(&gid, me))
                .map(|code| json!({"code": code})),
            "invite-reset" => self
                .mutate(|w| w.reset_invite(&gid, me))
                .map(|code| json!({"code": code})),
            "invite-info" => self.world().invite_info(&text("code")),
            "join" => self
                .group_op(None, |w| w.join_by_code(&text("code"), me))
                .map(|(gid, joined)| json!({"gid": gid, "joined": joined})),
            "join-v4" => self
                .group_op(Some(&gid), |w| {
                    w.join_by_add_request(&gid, &text("code"), me)
                })
                .map(|_| json!({"gid": gid})),
            _ => self.member_answer(me, op, &gid, args),
        }
    }

    /// Operations on the members and settings of one group.
    fn member_answer(&self, me: &str, op: &str, gid: &str, args: &Value) -> Answer {
        let text = |k: &str| args[k].as_str().unwrap_or_default().to_string();
        let g = Some(gid);
        match op {
            "add" => {
                let who = self.numbers_of(&json!([args["participant"]]));
                self.group_op(g, |w| w.add_members(gid, me, &who))
                    .map(|o| outcomes_json(&self.world(), gid, &o))
            }
            "change" => {
                let who = self.numbers_of(&args["participants"]);
                let action = text("action");
                self.group_op(g, |w| w.change_members(gid, me, &action, &who))
                    .map(|o| outcomes_json(&self.world(), gid, &o))
            }
            "subject" => self
                .group_op(g, |w| w.set_subject(gid, me, &text("subject")))
                .map(|_| Value::Null),
            "description" => self
                .group_op(g, |w| {
                    w.set_description(gid, me, &text("desc"), &text("id"))
                })
                .map(|_| Value::Null),
            "property" => {
                let on = args["value"].as_i64().unwrap_or(0) != 0 || args["value"] == true;
                self.group_op(g, |w| w.set_setting(gid, me, &text("prop"), on))
                    .map(|_| Value::Null)
            }
            "leave" => self
                .group_op(g, |w| w.leave_group(gid, me))
                .map(|_| Value::Null),
            "requests" => self.requests_for(me, gid),
            "request-action" => {
                let who = self.numbers_of(&json!([args["participant"]]));
                let number = who.first().cloned().ok_or(BAD_REQUEST)?;
                let approve = args["approve"] == true;
                self.group_op(g, |w| w.answer_request(gid, me, &number, approve))
                    .map(|code| json!({"code": code}))
            }
            _ => Err(BAD_REQUEST),
        }
    }

    /// The group's metadata and its members' number mappings, for members only.
    fn metadata_for(&self, me: &str, gid: &str) -> Answer {
        let world = self.world();
        let g = world.groups.get(gid).ok_or(crate::groups::NOT_FOUND)?;
        g.check_member(me)?;
        Ok(json!({
            "chat": crate::groups::chat_info(&world, g),
            "contacts": crate::groups::member_contacts(&world, g),
        }))
    }

    fn requests_for(&self, me: &str, gid: &str) -> Answer {
        let requests = self.mutate(|w| w.join_requests(gid, me))?;
        let world = self.world();
        let g = world.groups.get(gid).ok_or(crate::groups::NOT_FOUND)?;
        let list: Vec<Value> = requests
            .iter()
            .map(|r| json!({"id": world.member_wid(g, &r.number), "t": r.t, "requestMethod": r.method}))
            .collect();
        Ok(json!(list))
    }

    /// Phone numbers of the wids a page sent (`…@c.us`, `…@s.whatsapp.net`, known `…@lid`).
    fn numbers_of(&self, wids: &Value) -> Vec<String> {
        let world = self.world();
        wids.as_array()
            .map(|list| list.iter().filter_map(|w| number_of(&world, w)).collect())
            .unwrap_or_default()
    }
}

/// The number behind a wid string, if the servers know it.
pub fn number_of(world: &World, wid: &Value) -> Option<String> {
    let wid = crate::outbound::wid_string(wid)?;
    let (user, server) = wid.split_once('@')?;
    let user = user.split(':').next().unwrap_or(user);
    match server {
        "c.us" | "s.whatsapp.net" => Some(user.to_string()),
        "lid" => world.lids.get(user).cloned(),
        _ => None,
    }
}

/// Per-participant results as the page gets them: the wid, WhatsApp's code, an invite.
fn outcomes_json(world: &World, gid: &str, outcomes: &[Outcome]) -> Value {
    let g = world.groups.get(gid);
    let list: Vec<Value> = outcomes
        .iter()
        .map(|o| {
            let wid = match g {
                Some(g) => world.member_wid(g, &o.number),
                None => format!("{}@c.us", o.number),
            };
            let mut v = json!({"wid": wid, "code": o.code});
            if let Some((code, exp)) = &o.invite {
                v["addRequestCode"] = json!(code);
                v["addRequestExpiration"] = json!(exp);
            }
            v
        })
        .collect();
    json!(list)
}
