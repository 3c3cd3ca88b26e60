//! Acting on a tracked message: react, edit, delete, vote, and read its receipts. Each route finds
//! the connection from the message's record (tenant-scoped, as `GET /wa/messages/{id}`), then asks
//! the connection's page (`page/actions.js`), which refuses what WhatsApp refuses.

use std::time::Duration;

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::auth::{Auth, Principal};
use super::json::ApiJson;
use super::messages::validate_message;
use super::query::ApiQuery;
use super::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::store::Connection;

/// WhatsApp's own calls answer within seconds; a page busy reviving gets this long.
pub(super) const ACTION_TIMEOUT: Duration = Duration::from_secs(20);

/// The connection that tracked `message_id`, if the caller may use it (else `404 NOT_FOUND`).
async fn connection_of(
    state: &AppState,
    caller: &Principal,
    message_id: &str,
) -> Result<Connection, ApiError> {
    let missing = || ApiError::not_found(format!("No message with id {message_id}"));
    let record = state
        .store
        .get_message(message_id, None)
        .await?
        .ok_or_else(missing)?;
    state
        .owned(caller, &record.connection_id)
        .await
        .map_err(|_| missing())
}

/// Runs `op` on the page of the connection that tracked `message_id`, once `check` (the body's
/// own rules, applied to a message the caller may act on) passed.
async fn act<T: serde::de::DeserializeOwned>(
    state: &AppState,
    caller: &Principal,
    message_id: &str,
    check: impl FnOnce() -> Result<(), ApiError>,
    (op, args): (&str, serde_json::Value),
) -> Result<T, ApiError> {
    let connection = connection_of(state, caller, message_id).await?;
    check()?;
    Ok(state
        .manager
        .call(&connection, op, args, ACTION_TIMEOUT)
        .await?)
}

fn no_check() -> Result<(), ApiError> {
    Ok(())
}

const MESSAGE_ID: &str = "WhatsApp's message id, as returned by a send or in an event";

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReactionRequest {
    /// One emoji; `""` removes this account's reaction.
    #[schema(max_length = 16, example = "👍")]
    emoji: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReactionResponse {
    success: bool,
    message_id: String,
    /// The reaction now shown (`""`: none).
    emoji: String,
}

/// A reaction is an emoji: short, no spaces, not plain ASCII text (keycaps such as 1️⃣ start
/// with an ASCII digit, so a non-ASCII character anywhere suffices).
fn check_emoji(emoji: &str) -> Result<(), ApiError> {
    let emoji_like = !emoji.is_ascii() && !emoji.chars().any(char::is_whitespace);
    if !emoji.is_empty() && (emoji.chars().count() > 16 || !emoji_like) {
        return Err(ApiError::invalid(
            "`emoji` must be one emoji, or \"\" to remove",
        ));
    }
    Ok(())
}

/// Reacts to a message with an emoji, or removes this account's reaction (`""`).
#[utoipa::path(
    post, path = "/wa/messages/{id}/reaction", tag = "message actions",
    params(("id" = String, Path, description = MESSAGE_ID)),
    request_body = ReactionRequest,
    responses(
        (status = 200, body = ReactionResponse),
        (status = 400, description = "`INVALID_REQUEST`: not an emoji", body = ErrorBody),
        (status = 413, description = "`INVALID_REQUEST`: the body is too large", body = ErrorBody),
        (status = 415, description = "`INVALID_REQUEST`: not `Content-Type: application/json`", body = ErrorBody),
        (status = 404, description = "`NOT_FOUND`: no such message (here or in WhatsApp Web)", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`; `CONFLICT`: the message was deleted or is not readable yet", body = ErrorBody),
        (status = 502, description = "`WHATSAPP_REFUSED`; `SERVER_ERROR`: WhatsApp Web did not answer", body = ErrorBody),
    )
)]
pub async fn react(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<ReactionRequest>,
) -> Result<Json<ReactionResponse>, ApiError> {
    let args = json!({"id": id, "emoji": req.emoji});
    let check = || check_emoji(&req.emoji);
    let _: serde_json::Value = act(&state, &caller, &id, check, ("actions.react", args)).await?;
    Ok(Json(ReactionResponse {
        success: true,
        message_id: id,
        emoji: req.emoji,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EditRequest {
    /// The new text (or caption); not blank, at most 65536 characters.
    #[schema(
        min_length = 1,
        max_length = 65536,
        pattern = r"\S",
        example = "Hello again!"
    )]
    message: String,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EditResponse {
    success: bool,
    message_id: String,
    /// The text (or caption) WhatsApp Web now shows.
    body: Option<String>,
}

/// Edits the text (or caption) of a message this account sent. WhatsApp allows it for 15
/// minutes after sending.
#[utoipa::path(
    patch, path = "/wa/messages/{id}", tag = "message actions",
    params(("id" = String, Path, description = MESSAGE_ID)),
    request_body = EditRequest,
    responses(
        (status = 200, body = EditResponse),
        (status = 400, description = "`INVALID_REQUEST`: a blank or too long text", body = ErrorBody),
        (status = 413, description = "`INVALID_REQUEST`: the body is too large", body = ErrorBody),
        (status = 415, description = "`INVALID_REQUEST`: not `Content-Type: application/json`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: not a message this account sent", body = ErrorBody),
        (status = 404, description = "`NOT_FOUND`: no such message", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`; `CONFLICT`: too old (15 minutes), deleted, or not a text or caption", body = ErrorBody),
        (status = 502, description = "`WHATSAPP_REFUSED`; `SERVER_ERROR`", body = ErrorBody),
    )
)]
pub async fn edit(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<EditRequest>,
) -> Result<Json<EditResponse>, ApiError> {
    let args = json!({"id": id, "text": req.message});
    let check = || validate_message(&req.message);
    let done: serde_json::Value = act(&state, &caller, &id, check, ("actions.edit", args)).await?;
    Ok(Json(EditResponse {
        success: true,
        message_id: id,
        body: done["body"].as_str().map(str::to_owned),
    }))
}

/// For whom a message is deleted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum DeleteFor {
    /// Revoked for every member of the chat ("This message was deleted").
    Everyone,
    /// Removed from this account's devices only.
    Me,
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeleteQuery {
    /// `everyone` (own messages, within 2 days 12 hours) or `me`.
    #[serde(rename = "for")]
    #[param(rename = "for", inline)]
    scope: DeleteFor,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeleteResponse {
    success: bool,
    message_id: String,
    #[serde(rename = "for")]
    scope: DeleteFor,
}

/// Deletes a message for everyone (own messages, within WhatsApp's window of 2 days 12 hours;
/// group admins also members' messages) or for this account only.
#[utoipa::path(
    delete, path = "/wa/messages/{id}", tag = "message actions",
    params(("id" = String, Path, description = MESSAGE_ID), DeleteQuery),
    responses(
        (status = 200, body = DeleteResponse),
        (status = 400, description = "`INVALID_REQUEST`: `for` is missing or not `everyone`/`me`", body = ErrorBody),
        (status = 403, description = "`FORBIDDEN`: for everyone, a message someone else sent", body = ErrorBody),
        (status = 404, description = "`NOT_FOUND`: no such message", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`; `CONFLICT`: for everyone, too old (2 days 12 hours) or already deleted", body = ErrorBody),
        (status = 502, description = "`WHATSAPP_REFUSED`; `SERVER_ERROR`", body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<DeleteQuery>,
) -> Result<Json<DeleteResponse>, ApiError> {
    let args = json!({"id": id, "everyone": q.scope == DeleteFor::Everyone});
    let _: serde_json::Value =
        act(&state, &caller, &id, no_check, ("actions.delete", args)).await?;
    Ok(Json(DeleteResponse {
        success: true,
        message_id: id,
        scope: q.scope,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VoteRequest {
    /// The chosen options' names (one for a single-choice poll); `[]` withdraws the vote.
    #[schema(max_items = 12, example = json!(["Biryani"]))]
    options: Vec<String>,
}

#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VoteResponse {
    success: bool,
    message_id: String,
    options: Vec<String>,
}

/// Votes in a poll (replacing this account's earlier vote).
#[utoipa::path(
    post, path = "/wa/messages/{id}/vote", tag = "message actions",
    params(("id" = String, Path, description = "The poll's message id")),
    request_body = VoteRequest,
    responses(
        (status = 200, body = VoteResponse),
        (status = 400, description = "`INVALID_REQUEST`: not a poll, an unknown option, or several options in a single-choice poll", body = ErrorBody),
        (status = 413, description = "`INVALID_REQUEST`: the body is too large", body = ErrorBody),
        (status = 415, description = "`INVALID_REQUEST`: not `Content-Type: application/json`", body = ErrorBody),
        (status = 404, description = "`NOT_FOUND`: no such message", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`", body = ErrorBody),
        (status = 502, description = "`WHATSAPP_REFUSED`; `SERVER_ERROR`", body = ErrorBody),
    )
)]
pub async fn vote(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    ApiJson(req): ApiJson<VoteRequest>,
) -> Result<Json<VoteResponse>, ApiError> {
    let args = json!({"id": id, "options": req.options});
    let check = || {
        let mut unique = req.options.clone();
        unique.sort();
        unique.dedup();
        let ok = req.options.len() <= 12 && unique.len() == req.options.len();
        ok.then_some(())
            .ok_or_else(|| ApiError::invalid("`options`: at most 12 different option names"))
    };
    let _: serde_json::Value = act(&state, &caller, &id, check, ("actions.vote", args)).await?;
    Ok(Json(VoteResponse {
        success: true,
        message_id: id,
        options: req.options,
    }))
}

/// One recipient's receipts as the page reports them (unix seconds).
#[derive(Deserialize)]
struct PageRecipient {
    id: String,
    phone: Option<String>,
    delivered: Option<i64>,
    read: Option<i64>,
    played: Option<i64>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageReceipts {
    recipients: Vec<PageRecipient>,
    delivery_remaining: Option<i64>,
    read_remaining: Option<i64>,
    played_remaining: Option<i64>,
}

/// When one recipient got, read and played (voice notes, videos) the message.
#[derive(Serialize, ToSchema)]
pub struct RecipientReceipt {
    /// The recipient's WhatsApp id.
    id: String,
    /// Their phone number (digits), when WhatsApp gives it.
    phone: Option<String>,
    delivered: Option<DateTime<Utc>>,
    read: Option<DateTime<Utc>>,
    played: Option<DateTime<Utc>>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptsResponse {
    message_id: String,
    /// Every recipient with at least one receipt (in groups: each member).
    recipients: Vec<RecipientReceipt>,
    /// Recipients WhatsApp has no delivery receipt from yet.
    delivery_remaining: Option<i64>,
    read_remaining: Option<i64>,
    played_remaining: Option<i64>,
}

fn at(secs: Option<i64>) -> Option<DateTime<Utc>> {
    secs.and_then(|s| DateTime::from_timestamp(s, 0))
}

/// Per-recipient receipts of a message this account sent (groups included).
#[utoipa::path(
    get, path = "/wa/messages/{id}/receipts", tag = "message actions",
    params(("id" = String, Path, description = MESSAGE_ID)),
    responses(
        (status = 200, body = ReceiptsResponse),
        (status = 404, description = "`NOT_FOUND`: no such message", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`; `CONFLICT`: not a message this account sent", body = ErrorBody),
        (status = 502, description = "`WHATSAPP_REFUSED`; `SERVER_ERROR`", body = ErrorBody),
    )
)]
pub async fn receipts(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Json<ReceiptsResponse>, ApiError> {
    let op = ("actions.receipts", json!({"id": id}));
    let page: PageReceipts = act(&state, &caller, &id, no_check, op).await?;
    let recipients = page
        .recipients
        .into_iter()
        .map(|r| RecipientReceipt {
            id: r.id,
            phone: r.phone,
            delivered: at(r.delivered),
            read: at(r.read),
            played: at(r.played),
        })
        .collect();
    Ok(Json(ReceiptsResponse {
        message_id: id,
        recipients,
        delivery_remaining: page.delivery_remaining,
        read_remaining: page.read_remaining,
        played_remaining: page.played_remaining,
    }))
}

#[cfg(test)]
mod tests {
    use super::check_emoji;

    #[test]
    fn a_reaction_is_one_emoji_or_nothing() {
        for ok in ["", "👍", "❤️", "1️⃣", "👨‍👩‍👧‍👦", "🇵🇰"] {
            assert!(check_emoji(ok).is_ok(), "{ok}");
        }
        for bad in [
            "ok",
            "1",
            " ",
            "👍 👍",
            "🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂🙂",
        ] {
            assert!(check_emoji(bad).is_err(), "{bad}");
        }
    }
}
