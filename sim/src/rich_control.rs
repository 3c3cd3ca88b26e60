//! The control API for what goes beyond text: the phones acting on messages, what linked devices
//! did, per-recipient receipts, message ages and link previews.

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::control::{known_account, ApiResult, Body};
use crate::error::SimError;
use crate::http::AppState;
use crate::phone_actions::PhoneAction;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/__sim/reactions", post(reaction))
        .route("/__sim/votes", post(vote))
        .route("/__sim/edits", post(edit))
        .route("/__sim/revokes", post(revoke))
        .route("/__sim/link-previews", post(link_preview))
        .route("/__sim/accounts/{number}/actions", get(actions))
        .route("/__sim/accounts/{number}/sent/{id}/receipts", post(receipt))
        .route("/__sim/accounts/{number}/sent/{id}/age", post(age))
}

async fn reaction(State(s): State<AppState>, Body(a): Body<PhoneAction>) -> ApiResult {
    Ok(Json(json!({"id": s.core.phone_reaction(&a)?})))
}

async fn vote(State(s): State<AppState>, Body(a): Body<PhoneAction>) -> ApiResult {
    Ok(Json(json!({"id": s.core.phone_vote(&a)?})))
}

async fn edit(State(s): State<AppState>, Body(a): Body<PhoneAction>) -> ApiResult {
    s.core.phone_edit(&a)?;
    Ok(Json(json!({"id": a.message_id})))
}

async fn revoke(State(s): State<AppState>, Body(a): Body<PhoneAction>) -> ApiResult {
    s.core.phone_revoke(&a)?;
    Ok(Json(json!({"id": a.message_id})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PreviewBody {
    url: String,
    title: String,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    thumbnail: Option<String>,
}

async fn link_preview(State(s): State<AppState>, Body(b): Body<PreviewBody>) -> ApiResult {
    if !(b.url.starts_with("http://") || b.url.starts_with("https://")) {
        return Err(SimError::BadRequest("url must be http(s)".into()));
    }
    let data = json!({"title": b.title, "description": b.description, "thumbnail": b.thumbnail});
    s.core.set_link_preview(&b.url, data);
    Ok(Json(json!({"url": b.url})))
}

async fn actions(State(s): State<AppState>, Path(number): Path<String>) -> ApiResult {
    let number = known_account(&s, &number)?;
    Ok(Json(json!(s.core.device_actions(&number))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ReceiptBody {
    member: String,
    /// `delivered`, `read` or `played`.
    status: String,
}

async fn receipt(
    State(s): State<AppState>,
    Path((number, id)): Path<(String, String)>,
    Body(b): Body<ReceiptBody>,
) -> ApiResult {
    let number = known_account(&s, &number)?;
    let ack = match b.status.as_str() {
        "delivered" => 2,
        "read" => 3,
        "played" => 4,
        other => {
            return Err(SimError::BadRequest(format!(
                "status {other:?}: delivered, read or played"
            )))
        }
    };
    s.core.set_receipt(&number, &id, &b.member, ack)?;
    Ok(Json(
        json!({"id": id, "member": b.member, "status": b.status}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AgeBody {
    seconds: i64,
}

async fn age(
    State(s): State<AppState>,
    Path((number, id)): Path<(String, String)>,
    Body(b): Body<AgeBody>,
) -> ApiResult {
    let number = known_account(&s, &number)?;
    let t: Value = json!(s.core.age_sent(&number, &id, b.seconds)?);
    Ok(Json(json!({"id": id, "t": t})))
}
