//! Where the real servers are stricter or less simple than a happy path: addressing modes,
//! disappearing chats, canonical numbers, hidden numbers behind `@lid`, message id lengths.

use axum::extract::{Path, State};
use axum::routing::post;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::control::{ApiResult, Body};
use crate::core::Core;
use crate::error::SimError;
use crate::http::AppState;
use crate::outbound::wid_string;
use crate::state::World;
use crate::types::parse_number;

/// Random hex digits after a message id's prefix: ids have no fixed length (longer since 2026).
pub fn id_length() -> usize {
    [16, 18, 28][rand::random_range(0..3usize)]
}

/// Adds what the page must know of a chat: disappearing messages, the group's addressing mode.
pub fn add_chat_settings(world: &World, chat: &mut Value) {
    let Some(id) = chat["id"].as_str().map(str::to_string) else {
        return;
    };
    let id = id.as_str();
    if let Some(seconds) = world.disappearing.get(id) {
        chat["ephemeralDuration"] = json!(seconds);
    }
    if let Some(g) = world.groups.get(id) {
        chat["lidMode"] = json!(g.lid_mode);
    }
}

/// How the servers judge a page's send before recording it.
pub struct Verdict {
    /// The sender's id does not match the chat's addressing mode: ack -1.
    pub refused: bool,
    /// The recipient is a typed number that is not WhatsApp's canonical one: never delivered.
    pub undeliverable: bool,
    pub ephemeral_fields: Option<bool>,
}

impl World {
    /// Checks a send against the chat's addressing mode and disappearing setting.
    pub fn judge_send(&self, msg: &Value, to: &str) -> Verdict {
        let lid_chat = to.ends_with("@lid") || self.groups.get(to).is_some_and(|g| g.lid_mode);
        let from_lid = wid_string(&msg["from"]).is_some_and(|f| f.ends_with("@lid"));
        let typed = to.strip_suffix("@c.us").unwrap_or_default();
        Verdict {
            refused: lid_chat != from_lid,
            undeliverable: self.aliases.contains_key(typed),
            ephemeral_fields: self
                .disappearing
                .get(to)
                .map(|_| msg["ephemeralDuration"].as_u64().is_some_and(|d| d > 0)),
        }
    }

    /// The canonical number `queryWidExists` answers for a typed one.
    pub fn canonical(&self, number: &str) -> String {
        self.aliases
            .get(number)
            .cloned()
            .unwrap_or_else(|| number.to_string())
    }
}

impl Core {
    /// Sets a chat's disappearing messages (0 = off) and tells every linked page.
    pub fn set_disappearing(&self, chat: &str, seconds: u32) {
        self.mutate(|w| {
            if seconds == 0 {
                w.disappearing.remove(chat);
            } else {
                w.disappearing.insert(chat.to_string(), seconds);
            }
        });
        self.tell_chat(chat);
    }

    /// Puts a group in (or out of) LID addressing mode and tells every linked page.
    pub fn set_group_lid_mode(&self, group: &str, lid_mode: bool) -> Result<(), SimError> {
        self.mutate(|w| match w.groups.get_mut(group) {
            Some(g) => {
                g.lid_mode = lid_mode;
                Ok(())
            }
            None => Err(SimError::UnknownGroup(group.to_string())),
        })?;
        self.tell_chat(group);
        Ok(())
    }

    /// Makes `typed` an alias: `queryWidExists(typed)` answers `canonical`.
    pub fn set_alias(&self, typed: &str, canonical: &str) {
        self.mutate(|w| w.aliases.insert(typed.to_string(), canonical.to_string()));
    }

    fn tell_chat(&self, chat: &str) {
        let world = self.world();
        let mut info = match world.groups.get(chat) {
            Some(g) => crate::inbound::group_chat(&world, g),
            None => json!({"id": chat}),
        };
        add_chat_settings(&world, &mut info);
        if info.get("ephemeralDuration").is_none() {
            info["ephemeralDuration"] = json!(0);
        }
        drop(world);
        for number in self.account_numbers() {
            self.broadcast(&number, &json!({"type": "chat-update", "chat": info}));
        }
    }
}

/// Control routes for the items above.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/__sim/chats/{chat}/disappearing", post(disappearing))
        .route("/__sim/groups/{id}/lid-mode", post(lid_mode))
        .route("/__sim/numbers/{number}/alias", post(alias))
        .route("/__sim/modules/rename-member", post(rename_member))
        .route("/__sim/modules/old-form", post(old_form))
        .route("/__sim/modules/no-key-serialized", post(no_key_serialized))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DisappearingBody {
    seconds: u32,
}

async fn disappearing(
    State(s): State<AppState>,
    Path(chat): Path<String>,
    Body(b): Body<DisappearingBody>,
) -> ApiResult {
    if !chat.contains('@') {
        return Err(SimError::BadRequest(format!(
            "{chat:?} is not a chat id (…@c.us, …@g.us, …@lid)"
        )));
    }
    s.core.set_disappearing(&chat, b.seconds);
    Ok(Json(json!({"chat": chat, "seconds": b.seconds})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct LidModeBody {
    lid_mode: bool,
}

async fn lid_mode(
    State(s): State<AppState>,
    Path(id): Path<String>,
    Body(b): Body<LidModeBody>,
) -> ApiResult {
    s.core.set_group_lid_mode(&id, b.lid_mode)?;
    Ok(Json(json!({"id": id, "lid_mode": b.lid_mode})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AliasBody {
    canonical: String,
}

async fn alias(
    State(s): State<AppState>,
    Path(number): Path<String>,
    Body(b): Body<AliasBody>,
) -> ApiResult {
    let typed = parse_number(&number)?;
    let canonical = parse_number(&b.canonical)?;
    s.core.set_alias(&typed, &canonical);
    Ok(Json(json!({"number": typed, "canonical": canonical})))
}

/// The older argument forms or homes a drill can bring back.
pub const OLD_FORMS: &[&str] = &["sendSeen", "advSecret"];

impl Core {
    /// Renames `member` of `module` for the next page loads.
    pub fn rename_member(&self, module: &str, member: &str, to: &str) {
        self.mutate(|w| {
            w.modules
                .renamed_members
                .insert(format!("{module}.{member}"), to.to_string())
        });
    }

    /// Brings back an older argument form (`sendSeen`) or home (`advSecret`) for the next loads.
    pub fn old_form(&self, which: &str) -> Result<(), SimError> {
        if !OLD_FORMS.contains(&which) {
            return Err(SimError::BadRequest(format!(
                "old form must be one of {OLD_FORMS:?}"
            )));
        }
        self.mutate(|w| w.modules.old_forms.insert(which.to_string()));
        Ok(())
    }

    /// Message keys without their own `_serialized` from the next page load on.
    pub fn drop_key_serialized(&self, drop: bool) {
        self.mutate(|w| w.modules.no_key_serialized = drop);
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RenameMemberBody {
    module: String,
    member: String,
    to: String,
}

async fn rename_member(State(s): State<AppState>, Body(b): Body<RenameMemberBody>) -> ApiResult {
    let ok = |t: &str| !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
    if !(ok(&b.module) && ok(&b.member) && ok(&b.to)) {
        return Err(SimError::BadRequest(
            "module, member and to must be identifiers".into(),
        ));
    }
    s.core.rename_member(&b.module, &b.member, &b.to);
    Ok(Json(json!(s.core.world().modules)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct OldFormBody {
    function: String,
}

async fn old_form(State(s): State<AppState>, Body(b): Body<OldFormBody>) -> ApiResult {
    s.core.old_form(&b.function)?;
    Ok(Json(json!(s.core.world().modules)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct DropBody {
    drop: bool,
}

async fn no_key_serialized(State(s): State<AppState>, Body(b): Body<DropBody>) -> ApiResult {
    s.core.drop_key_serialized(b.drop);
    Ok(Json(json!(s.core.world().modules)))
}
