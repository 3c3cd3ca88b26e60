//! Groups as the WhatsApp servers keep them: owner, admins, description, settings, invite code,
//! join requests, and the rules they enforce. Every operation is a function of the world and the
//! acting number (a linked page's account or a phone on the control API) and returns the `gp2`
//! notices members hear about; `group_notices.rs` delivers them.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::core::{now_secs, random_hex};
use crate::state::{Group, World};

/// Members a group takes when nobody set another capacity (WhatsApp's limit in 2026).
pub const DEFAULT_CAPACITY: usize = 1024;
/// A private invite (add request) lives three days, as WhatsApp's do.
const ADD_REQUEST_SECS: i64 = 3 * 24 * 3600;

/// What a group has besides its id, subject and members.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(default)]
pub struct GroupMeta {
    /// The creator (superadmin); `None` for groups made by the old `create_group`.
    pub owner: Option<String>,
    pub admins: BTreeSet<String>,
    pub subject_time: i64,
    pub subject_owner: Option<String>,
    pub desc: String,
    pub desc_id: Option<String>,
    pub desc_owner: Option<String>,
    pub desc_time: i64,
    /// Only admins send messages.
    pub announce: bool,
    /// Only admins edit the group's info (subject, description).
    pub restrict: bool,
    /// Every member may add others (`all_member_add`), not only admins (`admin_add`).
    pub all_members_add: bool,
    /// Joining by link needs an admin's approval.
    pub approval: bool,
    pub invite_code: Option<String>,
    pub requests: Vec<JoinRequest>,
    /// `None` = [`DEFAULT_CAPACITY`].
    pub capacity: Option<usize>,
    /// Private invites sent for adds refused by privacy: number -> (code, expiration).
    pub add_requests: BTreeMap<String, (String, i64)>,
}

/// Someone who asked to join a group that needs approval.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct JoinRequest {
    pub number: String,
    pub t: i64,
    /// `invite_link` (or `non_admin_add`).
    pub method: String,
}

/// WhatsApp's refusal of a group operation: its status code and text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    pub code: u16,
    pub text: &'static str,
}

pub const NOT_AUTHORIZED: Refusal = Refusal {
    code: 401,
    text: "not-authorized",
};
pub const FORBIDDEN: Refusal = Refusal {
    code: 403,
    text: "forbidden",
};
pub const NOT_FOUND: Refusal = Refusal {
    code: 404,
    text: "item-not-found",
};
pub const BAD_REQUEST: Refusal = Refusal {
    code: 400,
    text: "bad-request",
};
pub const NOT_ACCEPTABLE: Refusal = Refusal {
    code: 406,
    text: "not-acceptable",
};

/// One participant's result of an add, remove, promote, demote or request answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Outcome {
    pub number: String,
    /// 200 done; 403 privacy (see `invite`); 404 not on WhatsApp / not a member; 409 already a
    /// member; 419 group full; 406 not allowed (the owner).
    pub code: u16,
    /// For a 403 add: the private invite's code and expiration (unix s).
    pub invite: Option<(String, i64)>,
}

/// A change members hear about: a `gp2` message with this subtype.
#[derive(Debug, Clone)]
pub struct Notice {
    pub subtype: &'static str,
    pub author: Option<String>,
    pub recipients: Vec<String>,
    pub body: String,
    /// Also told (besides the members after the change): e.g. whoever was removed.
    pub also: Vec<String>,
}

impl Notice {
    pub fn new(subtype: &'static str, author: &str, recipients: Vec<String>) -> Self {
        Notice {
            subtype,
            author: Some(author.to_string()),
            recipients,
            body: String::new(),
            also: Vec::new(),
        }
    }

    fn body(mut self, body: &str) -> Self {
        self.body = body.to_string();
        self
    }
}

/// What a group operation gives back, and who must hear of it.
pub type Done<T> = Result<(T, Vec<Notice>), Refusal>;

impl Group {
    pub fn is_member(&self, number: &str) -> bool {
        self.members.iter().any(|m| m == number)
    }

    pub fn is_admin(&self, number: &str) -> bool {
        self.is_member(number)
            && (self.meta.admins.contains(number) || self.meta.owner.as_deref() == Some(number))
    }

    /// Members only; anyone else gets 403.
    pub fn check_member(&self, by: &str) -> Result<(), Refusal> {
        if self.is_member(by) {
            Ok(())
        } else {
            Err(FORBIDDEN)
        }
    }

    /// Admins only: a member who is not one gets 401, anyone else 403.
    pub fn check_admin(&self, by: &str) -> Result<(), Refusal> {
        self.check_member(by)?;
        if self.is_admin(by) {
            Ok(())
        } else {
            Err(NOT_AUTHORIZED)
        }
    }

    fn capacity(&self) -> usize {
        self.meta.capacity.unwrap_or(DEFAULT_CAPACITY)
    }

    fn invite_code(&mut self) -> String {
        self.meta.invite_code.get_or_insert_with(new_code).clone()
    }
}

/// A 22-character invite code, as in `https://chat.whatsapp.com/<code>`.
pub fn new_code() -> String {
    const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    (0..22)
        .map(|_| ALPHABET[rand::random_range(0..ALPHABET.len())] as char)
        .collect()
}

impl World {
    pub fn group_mut(&mut self, gid: &str) -> Result<&mut Group, Refusal> {
        self.groups.get_mut(gid).ok_or(NOT_FOUND)
    }

    /// Whether `number` can be on WhatsApp at all (well formed and not marked unregistered).
    pub fn registered(&self, number: &str) -> bool {
        crate::types::parse_number(number).is_ok() && !self.unregistered.contains(number)
    }

    /// Gives every member of a LID-mode group its `@lid` (pages see members by lid there).
    pub fn ensure_lids(&mut self, gid: &str) {
        let members = match self.groups.get(gid) {
            Some(g) if g.lid_mode => g.members.clone(),
            _ => return,
        };
        for m in members {
            self.lid_of(&m);
        }
    }

    /// How pages address a member of this group: its `@lid` in LID mode (when it has one).
    pub fn member_wid(&self, g: &Group, number: &str) -> String {
        match self.existing_lid(number) {
            Some(lid) if g.lid_mode => format!("{lid}@lid"),
            _ => format!("{number}@c.us"),
        }
    }

    /// A new group made by `by` with these members; LID addressing, as current clients create.
    pub fn create_group_by(&mut self, by: &str, subject: &str, wanted: &[String]) -> Done<Value> {
        if subject.trim().is_empty() || subject.chars().count() > 100 {
            return Err(BAD_REQUEST);
        }
        let gid = self.new_group_id();
        let now = now_secs();
        let mut group = Group {
            id: gid.clone(),
            name: subject.to_string(),
            members: vec![by.to_string()],
            created: now,
            lid_mode: true,
            meta: GroupMeta::default(),
        };
        group.meta.owner = Some(by.to_string());
        group.meta.admins.insert(by.to_string());
        group.meta.subject_time = now;
        group.meta.subject_owner = Some(by.to_string());
        self.groups.insert(gid.clone(), group);
        let mut outcomes = Vec::new();
        for n in wanted.iter().filter(|n| n.as_str() != by) {
            outcomes.push(self.admit(&gid, n));
        }
        self.ensure_lids(&gid);
        let g = &self.groups[&gid];
        let mut participants = vec![json!({"wid": self.member_wid(g, by), "type": "superadmin"})];
        participants.extend(outcomes.iter().map(|o| self.created_participant(g, o)));
        let added = added_numbers(&outcomes);
        let mut notice = Notice::new("create", by, added).body(subject);
        notice.also = vec![by.to_string()];
        let result = json!({"wid": gid, "subject": subject, "participants": participants});
        Ok((result, vec![notice]))
    }

    fn created_participant(&self, g: &Group, o: &Outcome) -> Value {
        let mut p = json!({"wid": self.member_wid(g, &o.number)});
        if o.code != 200 {
            p["error"] = json!(o.code);
        }
        if let Some((code, exp)) = &o.invite {
            p["invite_code"] = json!(code);
            p["invite_code_exp"] = json!(exp.to_string());
        }
        p
    }

    fn new_group_id(&self) -> String {
        loop {
            let id = format!(
                "120363{}@g.us",
                rand::random_range(100_000_000_000u64..999_999_999_999)
            );
            if !self.groups.contains_key(&id) {
                return id;
            }
        }
    }

    /// Puts one number into a group if the rules allow: the per-participant code of an add.
    fn admit(&mut self, gid: &str, number: &str) -> Outcome {
        let outcome = |code, invite| Outcome {
            number: number.to_string(),
            code,
            invite,
        };
        if !self.registered(number) {
            return outcome(404, None);
        }
        let refuses = self.refuse_group_adds.contains(number);
        let Some(g) = self.groups.get_mut(gid) else {
            return outcome(404, None);
        };
        if g.is_member(number) {
            return outcome(409, None);
        }
        if g.members.len() >= g.capacity() {
            return outcome(419, None);
        }
        if refuses {
            let invite = (random_hex(16), now_secs() + ADD_REQUEST_SECS);
            g.meta
                .add_requests
                .insert(number.to_string(), invite.clone());
            return outcome(403, Some(invite));
        }
        g.members.push(number.to_string());
        g.meta.requests.retain(|r| r.number != number);
        outcome(200, None)
    }

    /// Adds members: admins (or anyone when every member may add).
    pub fn add_members(&mut self, gid: &str, by: &str, numbers: &[String]) -> Done<Vec<Outcome>> {
        let g = self.group_mut(gid)?;
        if g.meta.all_members_add {
            g.check_member(by)?;
        } else {
            g.check_admin(by)?;
        }
        let outcomes: Vec<Outcome> = numbers.iter().map(|n| self.admit(gid, n)).collect();
        self.ensure_lids(gid);
        let added = added_numbers(&outcomes);
        let notices = if added.is_empty() {
            vec![]
        } else {
            vec![Notice::new("add", by, added)]
        };
        Ok((outcomes, notices))
    }

    /// Removes, promotes or demotes members (admins only; the owner is untouchable).
    pub fn change_members(
        &mut self,
        gid: &str,
        by: &str,
        action: &str,
        numbers: &[String],
    ) -> Done<Vec<Outcome>> {
        let g = self.group_mut(gid)?;
        g.check_admin(by)?;
        let outcomes: Vec<Outcome> = numbers
            .iter()
            .map(|n| Outcome {
                number: n.clone(),
                code: apply_change(g, action, n),
                invite: None,
            })
            .collect();
        let subtype = match action {
            "remove" => "remove",
            "promote" => "promote",
            _ => "demote",
        };
        let changed = added_numbers(&outcomes);
        if changed.is_empty() {
            return Ok((outcomes, vec![]));
        }
        let mut notice = Notice::new(subtype, by, changed.clone());
        if action == "remove" {
            notice.also = changed;
        }
        Ok((outcomes, vec![notice]))
    }

    /// The subject: admins only when `restrict` is on.
    pub fn set_subject(&mut self, gid: &str, by: &str, subject: &str) -> Done<()> {
        if subject.trim().is_empty() || subject.chars().count() > 100 {
            return Err(BAD_REQUEST);
        }
        let g = self.group_mut(gid)?;
        info_editor(g, by)?;
        g.name = subject.to_string();
        g.meta.subject_time = now_secs();
        g.meta.subject_owner = Some(by.to_string());
        Ok(((), vec![Notice::new("subject", by, vec![]).body(subject)]))
    }

    /// The description: admins only when `restrict` is on.
    pub fn set_description(&mut self, gid: &str, by: &str, desc: &str, id: &str) -> Done<()> {
        if desc.chars().count() > 2048 {
            return Err(BAD_REQUEST);
        }
        let g = self.group_mut(gid)?;
        info_editor(g, by)?;
        g.meta.desc = desc.to_string();
        g.meta.desc_id = Some(id.to_string());
        g.meta.desc_owner = Some(by.to_string());
        g.meta.desc_time = now_secs();
        Ok(((), vec![Notice::new("description", by, vec![]).body(desc)]))
    }

    /// One setting (`announcement`, `restrict`, `member_add_mode`, `membership_approval_mode`),
    /// admins only.
    pub fn set_setting(&mut self, gid: &str, by: &str, prop: &str, on: bool) -> Done<()> {
        let g = self.group_mut(gid)?;
        g.check_admin(by)?;
        let subtype = match prop {
            "announcement" => {
                g.meta.announce = on;
                "announce"
            }
            "restrict" => {
                g.meta.restrict = on;
                "restrict"
            }
            "member_add_mode" => {
                g.meta.all_members_add = on;
                "member_add_mode"
            }
            "membership_approval_mode" => {
                g.meta.approval = on;
                "membership_approval_mode"
            }
            _ => return Err(BAD_REQUEST),
        };
        let body = if on { "on" } else { "off" };
        Ok(((), vec![Notice::new(subtype, by, vec![]).body(body)]))
    }

    /// A member leaves (the owner too: the group stays, without them).
    pub fn leave_group(&mut self, gid: &str, by: &str) -> Done<()> {
        let g = self.group_mut(gid)?;
        g.check_member(by)?;
        g.members.retain(|m| m != by);
        g.meta.admins.remove(by);
        let mut notice = Notice::new("leave", by, vec![by.to_string()]);
        notice.also = vec![by.to_string()];
        Ok(((), vec![notice]))
    }

    /// The invite link's code (admins only); made on first use.
    pub fn invite_code_of(&mut self, gid: &str, by: &str) -> Result<String, Refusal> {
        let g = self.group_mut(gid)?;
        g.check_admin(by)?;
        Ok(g.invite_code())
    }

    /// A new invite code; the old link stops working (admins only).
    pub fn reset_invite(&mut self, gid: &str, by: &str) -> Result<String, Refusal> {
        let g = self.group_mut(gid)?;
        g.check_admin(by)?;
        g.meta.invite_code = Some(new_code());
        Ok(g.invite_code())
    }

    fn group_by_code(&self, code: &str) -> Result<&Group, Refusal> {
        self.groups
            .values()
            .find(|g| g.meta.invite_code.as_deref() == Some(code))
            .ok_or(NOT_ACCEPTABLE)
    }

    /// What an invite link shows before joining.
    pub fn invite_info(&self, code: &str) -> Result<Value, Refusal> {
        let g = self.group_by_code(code)?;
        let mut info = crate::groups::chat_info(self, g);
        info["size"] = json!(g.members.len());
        Ok(info)
    }

    /// Joins by link: a member at once, or a join request when the group needs approval.
    pub fn join_by_code(&mut self, code: &str, by: &str) -> Done<(String, bool)> {
        let gid = self.group_by_code(code)?.id.clone();
        let g = self.group_mut(&gid)?;
        if g.is_member(by) {
            return Ok(((gid, true), vec![]));
        }
        if g.members.len() >= g.capacity() {
            return Err(Refusal {
                code: 419,
                text: "resource-limit",
            });
        }
        if g.meta.approval {
            if !g.meta.requests.iter().any(|r| r.number == by) {
                g.meta.requests.push(JoinRequest {
                    number: by.to_string(),
                    t: now_secs(),
                    method: "invite_link".into(),
                });
            }
            let notice = Notice::new("membership_approval_request", by, vec![by.to_string()]);
            return Ok(((gid, false), vec![notice]));
        }
        g.members.push(by.to_string());
        self.ensure_lids(&gid);
        Ok((
            (gid, true),
            vec![Notice::new("invite", by, vec![by.to_string()])],
        ))
    }

    /// Accepts a private invite (an add request) sent after a privacy-refused add.
    pub fn join_by_add_request(&mut self, gid: &str, code: &str, by: &str) -> Done<()> {
        let g = self.group_mut(gid)?;
        let valid = g
            .meta
            .add_requests
            .get(by)
            .is_some_and(|(c, exp)| c == code && *exp > now_secs());
        if !valid {
            return Err(NOT_ACCEPTABLE);
        }
        g.meta.add_requests.remove(by);
        if !g.is_member(by) {
            g.members.push(by.to_string());
        }
        self.ensure_lids(gid);
        Ok(((), vec![Notice::new("invite", by, vec![by.to_string()])]))
    }

    /// Pending join requests (admins only).
    pub fn join_requests(&mut self, gid: &str, by: &str) -> Result<Vec<JoinRequest>, Refusal> {
        let g = self.group_mut(gid)?;
        g.check_admin(by)?;
        Ok(g.meta.requests.clone())
    }

    /// Approves or rejects one join request (admins only): 200, or 404 without a request.
    pub fn answer_request(
        &mut self,
        gid: &str,
        by: &str,
        number: &str,
        approve: bool,
    ) -> Done<u16> {
        let g = self.group_mut(gid)?;
        g.check_admin(by)?;
        let Some(pos) = g.meta.requests.iter().position(|r| r.number == number) else {
            return Ok((404, vec![]));
        };
        if approve && g.members.len() >= g.capacity() {
            return Ok((419, vec![]));
        }
        g.meta.requests.remove(pos);
        if !approve {
            return Ok((200, vec![]));
        }
        g.members.push(number.to_string());
        self.ensure_lids(gid);
        Ok((200, vec![Notice::new("add", by, vec![number.to_string()])]))
    }
}

/// Subject and description: any member, or only admins when `restrict` is on.
fn info_editor(g: &Group, by: &str) -> Result<(), Refusal> {
    if g.meta.restrict {
        g.check_admin(by)
    } else {
        g.check_member(by)
    }
}

/// One member's remove / promote / demote: 200 done, 404 not a member, 406 the owner.
fn apply_change(g: &mut Group, action: &str, number: &str) -> u16 {
    if !g.is_member(number) {
        return 404;
    }
    if g.meta.owner.as_deref() == Some(number) && action != "promote" {
        return 406;
    }
    match action {
        "remove" => {
            g.members.retain(|m| m != number);
            g.meta.admins.remove(number);
        }
        "promote" => {
            g.meta.admins.insert(number.to_string());
        }
        _ => {
            g.meta.admins.remove(number);
        }
    }
    200
}

fn added_numbers(outcomes: &[Outcome]) -> Vec<String> {
    outcomes
        .iter()
        .filter(|o| o.code == 200)
        .map(|o| o.number.clone())
        .collect()
}

/// A group as pages learn it: the chat (id, name) and everything `groupMetadata` holds.
pub fn chat_info(world: &World, g: &Group) -> Value {
    let wid = |n: &str| world.member_wid(g, n);
    let participants: Vec<Value> = g
        .members
        .iter()
        .map(|n| {
            let owner = g.meta.owner.as_deref() == Some(n.as_str());
            json!({"id": wid(n), "isAdmin": g.is_admin(n), "isSuperAdmin": owner})
        })
        .collect();
    let requests: Vec<Value> = g
        .meta
        .requests
        .iter()
        .map(|r| json!({"id": wid(&r.number), "t": r.t, "requestMethod": r.method}))
        .collect();
    let m = &g.meta;
    json!({
        "id": g.id, "name": g.name, "isGroup": true, "creation": g.created, "lidMode": g.lid_mode,
        "participants": participants, "owner": m.owner.as_deref().map(wid),
        "subjectTime": m.subject_time, "subjectOwner": m.subject_owner.as_deref().map(wid),
        "desc": m.desc, "descId": m.desc_id, "descOwner": m.desc_owner.as_deref().map(wid),
        "descTime": m.desc_time, "announce": m.announce, "restrict": m.restrict,
        "memberAddMode": if m.all_members_add { "all_member_add" } else { "admin_add" },
        "membershipApprovalMode": m.approval, "size": g.members.len(),
        "membershipApprovalRequests": requests,
    })
}

/// The `number <-> lid` pairs a page needs to show this group's members as numbers.
pub fn member_contacts(world: &World, g: &Group) -> Vec<Value> {
    g.members
        .iter()
        .chain(g.meta.requests.iter().map(|r| &r.number))
        .filter(|n| !world.hidden_phones.contains(*n))
        .filter_map(|n| {
            let lid = world.existing_lid(n)?;
            Some(json!({"id": format!("{n}@c.us"), "lid": format!("{lid}@lid")}))
        })
        .collect()
}
