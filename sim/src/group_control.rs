//! The phones' side of groups, for tests and people: create a group on a phone, add or remove
//! members, change the subject or settings, join by link, answer join requests — each acting as
//! a number (`by`), under the same rules the servers apply to linked pages.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::control::{ApiResult, Body};
use crate::core::Core;
use crate::error::SimError;
use crate::groups::{Done, Refusal, DEFAULT_CAPACITY};
use crate::http::AppState;
use crate::simulator::Simulator;
use crate::types::parse_number;

/// What a phone does to group members.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupAction {
    Add,
    Remove,
    Promote,
    Demote,
}

fn refused(gid: &str) -> impl Fn(Refusal) -> SimError + '_ {
    move |r| match r.code {
        404 => SimError::UnknownGroup(gid.to_string()),
        400 => SimError::BadRequest(format!("WhatsApp refused: {}", r.text)),
        _ => SimError::GroupRefused {
            code: r.code,
            text: r.text.to_string(),
        },
    }
}

impl Core {
    fn phone_op<T: crate::group_notices::GroupOf>(
        &self,
        gid: &str,
        op: impl FnOnce(&mut crate::state::World) -> Done<T>,
    ) -> Result<T, SimError> {
        self.group_op(Some(gid), op).map_err(refused(gid))
    }

    fn phone_members(
        &self,
        gid: &str,
        by: &str,
        action: GroupAction,
        numbers: &[String],
    ) -> Result<Vec<Value>, SimError> {
        let outcomes = self.phone_op(gid, |w| match action {
            GroupAction::Add => w.add_members(gid, by, numbers),
            GroupAction::Remove => w.change_members(gid, by, "remove", numbers),
            GroupAction::Promote => w.change_members(gid, by, "promote", numbers),
            GroupAction::Demote => w.change_members(gid, by, "demote", numbers),
        })?;
        Ok(outcomes
            .iter()
            .map(|o| {
                let invite = o.invite.as_ref().map(|(c, _)| c.clone());
                json!({"number": o.number, "code": o.code, "invite_code": invite})
            })
            .collect())
    }

    /// The group as the servers hold it (with its invite code), if it exists.
    fn group_info(&self, gid: &str) -> Option<Value> {
        let world = self.world();
        let g = world.groups.get(gid)?;
        let mut info = crate::groups::chat_info(&world, g);
        info["inviteCode"] = json!(g.meta.invite_code);
        Some(info)
    }
}

fn numbers(list: &[impl AsRef<str>]) -> Result<Vec<String>, SimError> {
    list.iter().map(|n| parse_number(n.as_ref())).collect()
}

/// Group control for tests (the same rules as `/__sim/groups/...`).
impl Simulator {
    /// A group created on `by`'s phone (owner and admin) with these members; LID addressing.
    pub fn create_group_on_phone(
        &self,
        by: &str,
        subject: &str,
        members: &[&str],
    ) -> Result<String, SimError> {
        let by = parse_number(by)?;
        let members = numbers(members)?;
        let created = self
            .core
            .phone_op("", |w| w.create_group_by(&by, subject, &members))?;
        Ok(created["wid"].as_str().unwrap_or_default().to_string())
    }

    /// `by`'s phone adds, removes, promotes or demotes members: per number WhatsApp's code.
    pub fn group_members(
        &self,
        gid: &str,
        by: &str,
        action: GroupAction,
        members: &[&str],
    ) -> Result<Vec<(String, u16)>, SimError> {
        let list = self
            .core
            .phone_members(gid, &parse_number(by)?, action, &numbers(members)?)?;
        Ok(list
            .iter()
            .map(|v| {
                let n = v["number"].as_str().unwrap_or_default().to_string();
                (n, v["code"].as_u64().unwrap_or(0) as u16)
            })
            .collect())
    }

    /// `by`'s phone renames the group.
    pub fn set_group_subject(&self, gid: &str, by: &str, subject: &str) -> Result<(), SimError> {
        let by = parse_number(by)?;
        self.core
            .phone_op(gid, |w| w.set_subject(gid, &by, subject))
    }

    /// `by`'s phone changes a setting: `announcement`, `restrict`, `member_add_mode` (on = every
    /// member adds) or `membership_approval_mode`.
    pub fn set_group_setting(
        &self,
        gid: &str,
        by: &str,
        prop: &str,
        on: bool,
    ) -> Result<(), SimError> {
        let by = parse_number(by)?;
        self.core
            .phone_op(gid, |w| w.set_setting(gid, &by, prop, on))
    }

    /// `by` leaves the group.
    pub fn leave_group(&self, gid: &str, by: &str) -> Result<(), SimError> {
        let by = parse_number(by)?;
        self.core.phone_op(gid, |w| w.leave_group(gid, &by))
    }

    /// The invite link's code, as an admin `by` sees it.
    pub fn group_invite_code(&self, gid: &str, by: &str) -> Result<String, SimError> {
        let by = parse_number(by)?;
        self.core
            .mutate(|w| w.invite_code_of(gid, &by))
            .map_err(refused(gid))
    }

    /// `by` opens an invite link: `(group id, joined)`; not joined = a join request is waiting.
    pub fn join_group(&self, code: &str, by: &str) -> Result<(String, bool), SimError> {
        let by = parse_number(by)?;
        self.core.phone_op("", |w| w.join_by_code(code, &by))
    }

    /// Every group's id.
    pub fn group_ids(&self) -> Vec<String> {
        self.core.world().groups.keys().cloned().collect()
    }

    /// The group as the servers hold it (participants with admin flags, settings, invite code).
    pub fn group(&self, gid: &str) -> Option<Value> {
        self.core.group_info(gid)
    }

    /// The group takes at most `size` members (adds beyond answer 419).
    pub fn set_group_capacity(&self, gid: &str, size: usize) -> Result<(), SimError> {
        self.core.mutate(|w| match w.groups.get_mut(gid) {
            Some(g) => {
                g.meta.capacity = Some(size);
                Ok(())
            }
            None => Err(SimError::UnknownGroup(gid.to_string())),
        })
    }

    /// `number`'s privacy refuses adds to groups: an add answers 403 with a private invite.
    pub fn refuse_group_adds(&self, number: &str, refuse: bool) -> Result<(), SimError> {
        let number = parse_number(number)?;
        self.core.mutate(|w| {
            if refuse {
                w.refuse_group_adds.insert(number);
            } else {
                w.refuse_group_adds.remove(&number);
            }
        });
        Ok(())
    }
}

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/__sim/phone-groups.js", get(phone_groups_js))
        .route("/__sim/group-list", get(list))
        .route("/__sim/groups/create", post(create))
        .route("/__sim/groups/join", post(join))
        .route("/__sim/groups/{id}", get(info))
        .route("/__sim/groups/{id}/participants", post(participants))
        .route("/__sim/groups/{id}/subject", post(subject))
        .route("/__sim/groups/{id}/description", post(description))
        .route("/__sim/groups/{id}/settings", post(settings))
        .route("/__sim/groups/{id}/leave", post(leave))
        .route("/__sim/groups/{id}/invite-code", post(invite_code))
        .route("/__sim/groups/{id}/requests", post(answer_request))
        .route("/__sim/groups/{id}/capacity", post(capacity))
        .route("/__sim/numbers/{number}/group-adds", post(group_adds))
}

async fn phone_groups_js() -> axum::response::Response {
    use axum::response::IntoResponse;
    let js = "text/javascript; charset=utf-8";
    (
        [(axum::http::header::CONTENT_TYPE, js)],
        crate::assets::PHONE_GROUPS_JS,
    )
        .into_response()
}

/// Every group: id, subject, size.
async fn list(State(s): State<AppState>) -> Json<Value> {
    let world = s.core.world();
    let groups: Vec<Value> = world
        .groups
        .values()
        .map(|g| json!({"id": g.id, "name": g.name, "size": g.members.len()}))
        .collect();
    Json(json!({"groups": groups}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CreateBody {
    by: String,
    subject: String,
    #[serde(default)]
    members: Vec<String>,
}

async fn create(State(s): State<AppState>, Body(b): Body<CreateBody>) -> ApiResult {
    let by = parse_number(&b.by)?;
    let members = numbers(&b.members)?;
    let created = s
        .core
        .phone_op("", |w| w.create_group_by(&by, &b.subject, &members))?;
    Ok(Json(
        json!({"id": created["wid"], "participants": created["participants"]}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct JoinBody {
    by: String,
    code: String,
}

async fn join(State(s): State<AppState>, Body(b): Body<JoinBody>) -> ApiResult {
    let by = parse_number(&b.by)?;
    let code = b.code.trim_start_matches("https://chat.whatsapp.com/");
    let (id, joined) = s.core.phone_op("", |w| w.join_by_code(code, &by))?;
    Ok(Json(json!({"id": id, "joined": joined})))
}

async fn info(State(s): State<AppState>, Path(id): Path<String>) -> ApiResult {
    s.core
        .group_info(&id)
        .map(Json)
        .ok_or(SimError::UnknownGroup(id))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MembersBody {
    by: String,
    action: GroupAction,
    participants: Vec<String>,
}

async fn participants(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(b): Body<MembersBody>,
) -> ApiResult {
    let by = parse_number(&b.by)?;
    let list = s
        .core
        .phone_members(&id, &by, b.action, &numbers(&b.participants)?)?;
    Ok(Json(json!(list)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SubjectBody {
    by: String,
    subject: String,
}

async fn subject(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(b): Body<SubjectBody>,
) -> ApiResult {
    let by = parse_number(&b.by)?;
    s.core
        .phone_op(&id, |w| w.set_subject(&id, &by, &b.subject))?;
    Ok(Json(json!({"id": id, "subject": b.subject})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DescriptionBody {
    by: String,
    description: String,
}

async fn description(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(b): Body<DescriptionBody>,
) -> ApiResult {
    let by = parse_number(&b.by)?;
    let desc_id = crate::core::random_hex(16);
    s.core.phone_op(&id, |w| {
        w.set_description(&id, &by, &b.description, &desc_id)
    })?;
    Ok(Json(json!({"id": id, "description": b.description})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct SettingsBody {
    by: String,
    announce: Option<bool>,
    restrict: Option<bool>,
    /// `admin_add` or `all_member_add`.
    member_add_mode: Option<String>,
    approval: Option<bool>,
}

async fn settings(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(b): Body<SettingsBody>,
) -> ApiResult {
    let by = parse_number(&b.by)?;
    let add_mode = match b.member_add_mode.as_deref() {
        None => None,
        Some("admin_add") => Some(false),
        Some("all_member_add") => Some(true),
        Some(other) => {
            return Err(SimError::BadRequest(format!(
                "member_add_mode {other:?} must be admin_add or all_member_add"
            )))
        }
    };
    let changes = [
        ("announcement", b.announce),
        ("restrict", b.restrict),
        ("member_add_mode", add_mode),
        ("membership_approval_mode", b.approval),
    ];
    for (prop, on) in changes {
        if let Some(on) = on {
            s.core
                .phone_op(&id, |w| w.set_setting(&id, &by, prop, on))?;
        }
    }
    s.core
        .group_info(&id)
        .map(Json)
        .ok_or(SimError::UnknownGroup(id))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ByBody {
    by: String,
}

async fn leave(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(b): Body<ByBody>,
) -> ApiResult {
    let by = parse_number(&b.by)?;
    s.core.phone_op(&id, |w| w.leave_group(&id, &by))?;
    Ok(Json(json!({"id": id, "left": by})))
}

async fn invite_code(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(b): Body<ByBody>,
) -> ApiResult {
    let by = parse_number(&b.by)?;
    let code = s
        .core
        .mutate(|w| w.invite_code_of(&id, &by))
        .map_err(refused(&id))?;
    Ok(Json(
        json!({"code": code, "link": format!("https://chat.whatsapp.com/{code}")}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AnswerBody {
    by: String,
    number: String,
    approve: bool,
}

async fn answer_request(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(b): Body<AnswerBody>,
) -> ApiResult {
    let (by, number) = (parse_number(&b.by)?, parse_number(&b.number)?);
    let code = s
        .core
        .phone_op(&id, |w| w.answer_request(&id, &by, &number, b.approve))?;
    Ok(Json(json!({"number": number, "code": code})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CapacityBody {
    size: usize,
}

async fn capacity(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(b): Body<CapacityBody>,
) -> ApiResult {
    if b.size == 0 || b.size > DEFAULT_CAPACITY {
        return Err(SimError::BadRequest(format!(
            "size must be 1..={DEFAULT_CAPACITY}"
        )));
    }
    s.core.mutate(|w| match w.groups.get_mut(&id) {
        Some(g) => {
            g.meta.capacity = Some(b.size);
            Ok(())
        }
        None => Err(SimError::UnknownGroup(id.clone())),
    })?;
    Ok(Json(json!({"id": id, "size": b.size})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct GroupAddsBody {
    refuse: bool,
}

async fn group_adds(
    State(s): State<AppState>,
    Path(number): Path<String>,
    Body(b): Body<GroupAddsBody>,
) -> ApiResult {
    let number = parse_number(&number)?;
    s.core.mutate(|w| {
        if b.refuse {
            w.refuse_group_adds.insert(number.clone());
        } else {
            w.refuse_group_adds.remove(&number);
        }
    });
    Ok(Json(json!({"number": number, "refuse": b.refuse})))
}
