//! Control API and Rust API for the people, history and calls of an account.

use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::calls::Call;
use crate::control::{ApiResult, Body};
use crate::error::SimError;
use crate::history::HistorySeed;
use crate::http::AppState;
use crate::people::ContactSeed;
use crate::simulator::Simulator;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/__sim/accounts/{number}/contacts", post(add_contact))
        .route("/__sim/accounts/{number}/history", post(seed_history))
        .route("/__sim/accounts/{number}/call", post(call))
        .route("/__sim/accounts/{number}/calls", get(calls))
        .route("/__sim/accounts/{number}/profile", get(profile))
        .route(
            "/__sim/accounts/{number}/chats/{chat}/archive",
            post(archive),
        )
        .route(
            "/__sim/accounts/{number}/chats/{chat}/delete",
            post(delete_chat),
        )
        .route("/__sim/numbers/{number}/change-number", post(change_number))
        .route("/__sim/pictures/{number}", get(picture))
}

async fn add_contact(
    State(s): State<AppState>,
    Path(number): Path<String>,
    Body(seed): Body<ContactSeed>,
) -> ApiResult {
    Ok(Json(s.core.add_contact(&number, seed)?))
}

async fn seed_history(
    State(s): State<AppState>,
    Path(number): Path<String>,
    Body(seed): Body<HistorySeed>,
) -> ApiResult {
    let chat = s.core.seed_history(&number, &seed)?;
    Ok(Json(json!({"chat": chat, "count": seed.count})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CallBody {
    from: String,
    #[serde(default)]
    video: bool,
}

async fn call(
    State(s): State<AppState>,
    Path(number): Path<String>,
    Body(b): Body<CallBody>,
) -> ApiResult {
    Ok(Json(json!(s.core.call(&number, &b.from, b.video)?)))
}

async fn calls(State(s): State<AppState>, Path(number): Path<String>) -> Json<Value> {
    Json(json!(s.core.calls(&number)))
}

async fn profile(State(s): State<AppState>, Path(number): Path<String>) -> Json<Value> {
    Json(s.core.profile_view(&number))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ArchiveBody {
    archive: bool,
}

async fn archive(
    State(s): State<AppState>,
    Path((number, chat)): Path<(String, String)>,
    Body(b): Body<ArchiveBody>,
) -> ApiResult {
    check_chat(&chat)?;
    s.core.phone_archive(&number, &chat, b.archive)?;
    Ok(Json(json!({"chat": chat, "archive": b.archive})))
}

async fn delete_chat(
    State(s): State<AppState>,
    Path((number, chat)): Path<(String, String)>,
) -> ApiResult {
    check_chat(&chat)?;
    s.core.phone_delete_chat(&number, &chat)?;
    Ok(Json(json!({"chat": chat, "deleted": true})))
}

fn check_chat(chat: &str) -> Result<(), SimError> {
    if chat.contains('@') {
        Ok(())
    } else {
        Err(SimError::BadRequest(format!(
            "{chat:?} is not a chat id (…@c.us, …@g.us, …@lid)"
        )))
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChangeNumberBody {
    new: String,
}

async fn change_number(
    State(s): State<AppState>,
    Path(number): Path<String>,
    Body(b): Body<ChangeNumberBody>,
) -> ApiResult {
    let told = s.core.change_number(&number, &b.new)?;
    Ok(Json(json!({"old": number, "new": b.new, "told": told})))
}

async fn picture(State(s): State<AppState>, Path(number): Path<String>) -> Response {
    match s.core.picture(&number) {
        Some((mime, bytes)) => ([(header::CONTENT_TYPE, mime)], bytes).into_response(),
        None => SimError::BadRequest(format!("{number} has no profile picture")).into_response(),
    }
}

impl Simulator {
    /// Seeds a contact of `account` (address book name, push name, about, business, picture).
    pub fn add_contact(&self, account: &str, seed: ContactSeed) -> Result<Value, SimError> {
        self.core().add_contact(account, seed)
    }

    /// Puts `count` older messages with `with` on the account's phone; returns the chat id.
    pub fn seed_history(
        &self,
        account: &str,
        with: &str,
        count: usize,
        from_me_every: usize,
    ) -> Result<String, SimError> {
        let seed = HistorySeed {
            with: with.into(),
            count,
            from_me_every,
        };
        self.core().seed_history(account, &seed)
    }

    /// `from` calls the account's number.
    pub fn call(&self, account: &str, from: &str, video: bool) -> Result<Call, SimError> {
        self.core().call(account, from, video)
    }

    /// Incoming calls of an account, with their status (`ringing`, `rejected`).
    pub fn calls(&self, account: &str) -> Vec<Call> {
        self.core().calls(account)
    }

    /// `old` changes number to `new`; returns the accounts told.
    pub fn change_number(&self, old: &str, new: &str) -> Result<Vec<String>, SimError> {
        self.core().change_number(old, new)
    }

    /// The account's phone archives or unarchives a chat.
    pub fn phone_archive(&self, account: &str, chat: &str, archive: bool) -> Result<(), SimError> {
        self.core().phone_archive(account, chat, archive)
    }

    /// The account's phone deletes a chat.
    pub fn phone_delete_chat(&self, account: &str, chat: &str) -> Result<(), SimError> {
        self.core().phone_delete_chat(account, chat)
    }

    /// The account's own profile as the servers hold it: push name, about, picture, blocks.
    pub fn profile(&self, account: &str) -> Value {
        self.core().profile_view(account)
    }
}
