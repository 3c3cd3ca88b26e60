//! The account's chats as WhatsApp Web holds them: the list, one chat, its history (loaded from
//! the phone as far back as asked), and archive / pin (muting is not in the documented WhatsApp Web surface).

use axum::extract::{Path, State};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::json;
use utoipa::{IntoParams, ToSchema};

use super::auth::Auth;
use super::page_ops::{chat_id, on_page, rfc3339, HISTORY_TIMEOUT, OP_TIMEOUT};
use super::query::ApiQuery;
use super::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::events::event::MessageData;
use crate::session::message_payload;
use crate::whatsapp::WaMessage;

const DEFAULT_PAGE: usize = 50;
const MAX_PAGE: usize = 500;
const MAX_HISTORY_PAGE: usize = 100;

/// A chat as the page reports it (`chats.*` in page/chats.js).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageChat {
    id: String,
    name: Option<String>,
    is_group: bool,
    unread_count: i64,
    marked_unread: bool,
    t: Option<i64>,
    archived: bool,
    pinned: bool,
    is_muted: bool,
    mute_expiration: i64,
    is_read_only: bool,
    last_message: Option<WaMessage>,
}

/// One chat.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatView {
    /// `…@c.us` (a user), `…@g.us` (a group) or `…@lid`.
    #[schema(example = "923001234567@c.us")]
    id: String,
    /// The contact's or group's name as WhatsApp shows it.
    name: Option<String>,
    is_group: bool,
    /// Messages not read yet.
    unread_count: i64,
    /// Marked unread by hand.
    marked_unread: bool,
    /// The last activity.
    timestamp: Option<DateTime<Utc>>,
    archived: bool,
    pinned: bool,
    is_muted: bool,
    /// Unix seconds until which the chat is muted; `-1` for ever, `0` when not muted.
    mute_expiration: i64,
    /// Only admins may write (an announcement group).
    is_read_only: bool,
    last_message: Option<MessageData>,
}

impl From<PageChat> for ChatView {
    fn from(c: PageChat) -> Self {
        Self {
            id: c.id,
            name: c.name,
            is_group: c.is_group,
            unread_count: c.unread_count,
            marked_unread: c.marked_unread,
            timestamp: rfc3339(c.t),
            archived: c.archived,
            pinned: c.pinned,
            is_muted: c.is_muted,
            mute_expiration: c.mute_expiration,
            is_read_only: c.is_read_only,
            last_message: c.last_message.as_ref().map(message_payload),
        }
    }
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ChatsQuery {
    /// Page size, 1-500 (50 by default).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
    /// Chats to skip (from `nextOffset` of the previous page).
    #[param(minimum = 0)]
    offset: Option<usize>,
    /// `true`: only chats with unread messages; `false`: only read ones.
    unread: Option<bool>,
    /// `true`: only archived chats; `false`: only chats outside the archive.
    archived: Option<bool>,
    /// `true`: only groups; `false`: only one-to-one chats.
    groups: Option<bool>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ChatPage {
    chats: Vec<ChatView>,
    /// Chats matching the filters, all pages together.
    total: usize,
    /// Pass as `offset` for the next page; `null` on the last one.
    next_offset: Option<usize>,
}

impl ChatsQuery {
    fn keeps(&self, c: &PageChat) -> bool {
        let unread = c.unread_count > 0 || c.marked_unread;
        self.unread.is_none_or(|u| u == unread)
            && self.archived.is_none_or(|a| a == c.archived)
            && self.groups.is_none_or(|g| g == c.is_group)
    }
}

/// The account's chats, newest activity first.
#[utoipa::path(
    get, path = "/wa/connections/{id}/chats", tag = "chats",
    params(("id" = String, Path, description = "The connection id returned by `POST /wa/add-number`"), ChatsQuery),
    responses(
        (status = 200, body = ChatPage),
        (status = 400, description = "`INVALID_REQUEST`: a bad query parameter", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`: the number is not linked (yet)", body = ErrorBody),
    )
)]
pub async fn list_chats(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ChatsQuery>,
) -> Result<Json<ChatPage>, ApiError> {
    let limit = page_limit(q.limit, MAX_PAGE)?;
    let offset = q.offset.unwrap_or(0);
    let all: Vec<PageChat> = on_page(
        &state,
        &caller,
        &id,
        "chats.list",
        Ok(json!({})),
        OP_TIMEOUT,
    )
    .await?;
    let mut chats: Vec<PageChat> = all.into_iter().filter(|c| q.keeps(c)).collect();
    chats.sort_by(|a, b| {
        b.t.unwrap_or(0)
            .cmp(&a.t.unwrap_or(0))
            .then(a.id.cmp(&b.id))
    });
    let total = chats.len();
    let next_offset = (offset + limit < total).then_some(offset + limit);
    let chats = chats
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(ChatView::from)
        .collect();
    Ok(Json(ChatPage {
        chats,
        total,
        next_offset,
    }))
}

fn page_limit(limit: Option<usize>, max: usize) -> Result<usize, ApiError> {
    match limit {
        None => Ok(DEFAULT_PAGE.min(max)),
        Some(n) if (1..=max).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid(format!("limit must be 1-{max}"))),
    }
}

/// One chat.
#[utoipa::path(
    get, path = "/wa/connections/{id}/chats/{chatId}", tag = "chats",
    params(("id" = String, Path, description = "The connection id returned by `POST /wa/add-number`"),
           ("chatId" = String, Path, description = "A phone number, `…@c.us`, `…@g.us` or `…@lid`")),
    responses(
        (status = 200, body = ChatView),
        (status = 400, description = "`INVALID_REQUEST`: not a chat id", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`; `NOT_FOUND`: no such chat", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`: the number is not linked (yet)", body = ErrorBody),
    )
)]
pub async fn get_chat(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, chat)): Path<(String, String)>,
) -> Result<Json<ChatView>, ApiError> {
    let args = chat_id(&chat).map(|c| json!({"chatId": c}));
    let chat: PageChat = on_page(&state, &caller, &id, "chats.get", args, OP_TIMEOUT).await?;
    Ok(Json(chat.into()))
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct HistoryQuery {
    /// A message id from the previous page: only older messages are listed.
    before: Option<String>,
    /// Page size, 1-100 (50 by default).
    #[param(minimum = 1, maximum = 100)]
    limit: Option<usize>,
}

#[derive(Deserialize)]
struct PageHistory {
    messages: Vec<WaMessage>,
    more: bool,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct HistoryPage {
    /// Newest first, in the shape of `message` events.
    messages: Vec<MessageData>,
    /// Pass as `before` for the next (older) page; `null` at the start of the chat.
    next_before: Option<String>,
}

/// A chat's messages from WhatsApp itself, newest first; older pages are loaded from the
/// phone as they are asked for.
#[utoipa::path(
    get, path = "/wa/connections/{id}/chats/{chatId}/messages", tag = "chats",
    params(("id" = String, Path, description = "The connection id returned by `POST /wa/add-number`"),
           ("chatId" = String, Path, description = "A phone number, `…@c.us`, `…@g.us` or `…@lid`"),
           HistoryQuery),
    responses(
        (status = 200, body = HistoryPage),
        (status = 400, description = "`INVALID_REQUEST`: a bad query parameter, or `before` is not a message of this chat", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`; `NOT_FOUND`: no such chat", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`: the number is not linked (yet)", body = ErrorBody),
    )
)]
pub async fn chat_messages(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path((id, chat)): Path<(String, String)>,
    ApiQuery(q): ApiQuery<HistoryQuery>,
) -> Result<Json<HistoryPage>, ApiError> {
    let limit = page_limit(q.limit, MAX_HISTORY_PAGE)?;
    let args = chat_id(&chat).map(|c| json!({"chatId": c, "before": q.before, "limit": limit}));
    let page: PageHistory = on_page(
        &state,
        &caller,
        &id,
        "chats.messages",
        args,
        HISTORY_TIMEOUT,
    )
    .await?;
    let next_before = page
        .more
        .then(|| page.messages.last()?.id.clone())
        .flatten();
    let messages = page.messages.iter().map(message_payload).collect();
    Ok(Json(HistoryPage {
        messages,
        next_before,
    }))
}

/// Runs a chat action (`archive`, `pin`, …) and answers the chat as it is now.
async fn act(
    state: &AppState,
    caller: &super::auth::Principal,
    (id, chat): (String, String),
    action: &str,
) -> Result<Json<ChatView>, ApiError> {
    let args = chat_id(&chat).map(|c| json!({"chatId": c, "action": action}));
    let chat: PageChat = on_page(state, caller, &id, "chats.set", args, OP_TIMEOUT).await?;
    Ok(Json(chat.into()))
}

/// Declares one chat action route.
macro_rules! chat_action {
    ($name:ident, $action:literal, $path:literal, $doc:literal, $conflict:literal) => {
        #[doc = $doc]
        #[utoipa::path(
            post, path = $path, tag = "chats",
            params(("id" = String, Path, description = "The connection id returned by `POST /wa/add-number`"),
                   ("chatId" = String, Path, description = "A phone number, `…@c.us`, `…@g.us` or `…@lid`")),
            responses(
                (status = 200, description = "The chat as it is now", body = ChatView),
                (status = 400, description = "`INVALID_REQUEST`: not a chat id", body = ErrorBody),
                (status = 404, description = "`SESSION_NOT_FOUND`; `NOT_FOUND`: no such chat", body = ErrorBody),
                (status = 409, description = $conflict, body = ErrorBody),
            )
        )]
        pub async fn $name(
            State(state): State<AppState>,
            Auth(caller): Auth,
            Path(ids): Path<(String, String)>,
        ) -> Result<Json<ChatView>, ApiError> {
            act(&state, &caller, ids, $action).await
        }
    };
}

chat_action!(
    archive,
    "archive",
    "/wa/connections/{id}/chats/{chatId}/archive",
    "Moves the chat into the archive.",
    "`WHATSAPP_NOT_READY`: the number is not linked (yet)"
);

chat_action!(
    unarchive,
    "unarchive",
    "/wa/connections/{id}/chats/{chatId}/unarchive",
    "Takes the chat out of the archive.",
    "`WHATSAPP_NOT_READY`: the number is not linked (yet)"
);

chat_action!(
    pin,
    "pin",
    "/wa/connections/{id}/chats/{chatId}/pin",
    "Pins the chat to the top (WhatsApp allows three pinned chats).",
    "`WHATSAPP_NOT_READY`: the number is not linked (yet); `CONFLICT`: three chats are pinned already"
);

chat_action!(
    unpin,
    "unpin",
    "/wa/connections/{id}/chats/{chatId}/unpin",
    "Unpins the chat.",
    "`WHATSAPP_NOT_READY`: the number is not linked (yet)"
);
