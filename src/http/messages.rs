//! `POST /wa/send/:connectionId` (with `Idempotency-Key`), `GET /wa/messages/:messageId` and
//! `GET /wa/connections/:id/messages`.

use axum::extract::{Path, State};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use serde_json::Value;
use utoipa::{IntoParams, ToSchema};

use super::auth::Auth;
use super::query::ApiQuery;
use super::send_parts::{self, RichParts};
use super::webhooks::page_size;
use super::AppState;
use crate::domain::ChatId;
use crate::error::{ApiError, ErrorBody};
use crate::session::{Outgoing, Receipt, Sent};
use crate::store::{AckStep, MessageDirection, MessageFilter, MessageRecord, MessageStatus};
use crate::whatsapp::OutgoingMessage;

/// WhatsApp refuses longer texts.
pub const MAX_MESSAGE_CHARS: usize = 65_536;
const MAX_IDEMPOTENCY_KEY: usize = 255;

#[derive(Deserialize, ToSchema)]
pub struct SendRequest {
    /// A phone number in international format (`+92 300-1234567`, `923001234567`) or a full
    /// `…@c.us` / `…@g.us` id.
    #[schema(
        pattern = r"^(\+?[ ()\-.]*[1-9]([ ()\-.]*[0-9]){5,14}[ ()\-.]*|[1-9][0-9]{5,14}@c\.us|[0-9]+(-[0-9]+)?@g\.us)$",
        example = "+92 300 7654321"
    )]
    to: String,
    /// The text (the caption when `media` is sent); not blank, at most 65536 characters.
    /// Required unless a part carries the message: `media` (then it is the caption and may be
    /// left out), or `location`, `contacts` or `poll` (then it is absent).
    #[schema(
        min_length = 1,
        max_length = 65536,
        pattern = r"\S",
        example = "Hello!"
    )]
    message: Option<String>,
    #[serde(flatten)]
    rich: RichParts,
    /// A file to send (see `MediaRequest`); or send the body as `multipart/form-data`.
    media: Option<super::media::MediaRequest>,
}

// Also what a retry with the same `Idempotency-Key` gets again: the store keeps it as JSON.
#[derive(Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SendResponse {
    success: bool,
    message_id: String,
    timestamp: DateTime<Utc>,
}

/// The `Idempotency-Key` header of `POST /wa/send/{id}` (describes it only).
#[allow(dead_code)]
#[derive(IntoParams)]
#[into_params(names("Idempotency-Key"), parameter_in = Header)]
pub struct IdempotencyKey(
    /// Makes the send safe to retry: a retry with the same key returns the first result (with
    /// `Idempotent-Replayed: true`) and sends nothing twice; the same key with a different body
    /// is a `409 CONFLICT`.
    #[param(value_type = String, required = false)]
    #[param(min_length = 1, max_length = 255, pattern = r"^[!-~]+$")]
    Option<String>,
);

/// Sends a message — a text, a location, contact cards or a poll, optionally replying to a
/// message, mentioning numbers or previewing a link; returns WhatsApp's own message id.
#[utoipa::path(
    post, path = "/wa/send/{id}", tag = "messages", params(("id" = String, Path, description = "The connection id returned by `POST /wa/add-number`"), IdempotencyKey),
    request_body(content(
        (super::media::SendJson = "application/json"),
        (super::media::SendForm = "multipart/form-data"),
    )),
    responses(
        (status = 200, description = "Sent", body = SendResponse, headers(
            ("Idempotent-Replayed" = String, description = "`true` when this is the stored result of an earlier request with the same `Idempotency-Key`"),
        )),
        (status = 400, description = "`INVALID_REQUEST`: a bad body or `Idempotency-Key`", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`; `NOT_FOUND`: WhatsApp Web does not know the `replyTo` message", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`: the number is not linked (yet); `CONFLICT`: the `Idempotency-Key` is in use or was used with another body, or WhatsApp does not allow replying to the `replyTo` message", body = ErrorBody),
        (status = 413, description = "`MEDIA_TOO_LARGE`: the media (or the body carrying it) is over `MEDIA_MAX_BYTES`, or over WhatsApp's limit for its type", body = ErrorBody),
        (status = 415, description = "`INVALID_REQUEST`: not `application/json` or `multipart/form-data`", body = ErrorBody),
        (status = 422, description = "`MESSAGE_FAILED`: the recipient is not on WhatsApp; `MEDIA_FETCH_FAILED`: the media URL could not be fetched; `MEDIA_UNSUPPORTED`: bytes that contradict the mimetype, a non-image as a sticker, …", body = ErrorBody),
        (status = 502, description = "`MESSAGE_FAILED`: WhatsApp refused the message", body = ErrorBody),
    )
)]
pub async fn send(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    headers: HeaderMap,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let body = super::media::read_send_body::<SendRequest>(&state, &headers, request).await?;
    let (req, upload) = (body.request, body.upload);
    let to = ChatId::parse(&req.to).map_err(ApiError::invalid)?;
    let spec = req
        .media
        .clone()
        .or(upload.as_ref().map(|_| Default::default()));
    // The connection first: the rules between fields (send_parts) apply to a send that can happen.
    let connection = state.owned(&caller, &id).await?;
    let text = send_text(&req, spec.as_ref())?;
    let key = idempotency_key(&headers)?;
    let started = std::time::Instant::now();
    let media = match &spec {
        Some(spec) => Some(super::media::prepare(&state, spec, upload).await?),
        None => None,
    };
    let spooled = started.elapsed();
    let mut message = req.rich.apply(OutgoingMessage::text(text))?;
    let mut staged = None;
    if let Some(media) = &media {
        let (with_media, token) =
            super::media::stage_into(&state, &connection, media, message).await?;
        (message, staged) = (with_media, Some(token));
    }
    let out = Outgoing {
        connection: &connection,
        to,
        message,
        idempotency_key: key,
    };
    let staged_in = started.elapsed();
    let sent: Result<Receipt<SendResponse>, _> = state.manager.send(out).await;
    if let Some(media) = &media {
        // Where a media send's time goes (docs/PERFORMANCE.md): type, staging, the page's send.
        tracing::debug!(
            bytes = media.file.len,
            prepare_ms = spooled.as_millis() as u64,
            stage_ms = (staged_in - spooled).as_millis() as u64,
            send_ms = (started.elapsed() - staged_in).as_millis() as u64,
            "media send timings"
        );
    }
    if let Some(token) = staged {
        crate::media::release(&state.manager, &connection, &token).await;
    }
    let receipt = sent?;
    let mut response = Json(receipt.response).into_response();
    if receipt.replayed {
        response
            .headers_mut()
            .insert("idempotent-replayed", HeaderValue::from_static("true"));
    }
    Ok(response)
}

impl From<Sent> for SendResponse {
    fn from(sent: Sent) -> Self {
        Self {
            success: true,
            message_id: sent.message_id,
            timestamp: DateTime::from_timestamp(sent.timestamp, 0).unwrap_or_else(Utc::now),
        }
    }
}

fn idempotency_key(headers: &HeaderMap) -> Result<Option<&str>, ApiError> {
    let Some(raw) = headers.get("idempotency-key") else {
        return Ok(None);
    };
    let key = raw
        .to_str()
        .ok()
        .filter(|k| !k.is_empty() && k.len() <= MAX_IDEMPOTENCY_KEY)
        .ok_or_else(|| {
            ApiError::invalid(format!(
                "Idempotency-Key must be 1-{MAX_IDEMPOTENCY_KEY} visible ASCII characters"
            ))
        })?;
    Ok(Some(key))
}

/// The text of a send (see `send_parts::text`): media is a part that takes a caption (`message`
/// or `media.caption`), which may be left out.
fn send_text(
    req: &SendRequest,
    media: Option<&super::media::MediaRequest>,
) -> Result<String, ApiError> {
    let mut content = req.rich.content();
    if media.is_some() {
        content.push(send_parts::Content {
            name: "media",
            takes_text: true,
        });
    }
    let caption = media.and_then(|m| m.caption.clone());
    let text = req.message.clone().or(caption);
    let text = text.filter(|t| media.is_none() || !t.trim().is_empty());
    send_parts::text(text, &content)
}

pub(super) fn validate_message(message: &str) -> Result<(), ApiError> {
    if message.trim().is_empty() {
        return Err(ApiError::invalid("`message` must not be empty"));
    }
    if message.chars().count() > MAX_MESSAGE_CHARS {
        return Err(ApiError::invalid(format!(
            "`message` is longer than {MAX_MESSAGE_CHARS} characters"
        )));
    }
    Ok(())
}

/// A tracked message as the API shows it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessageView {
    message_id: String,
    connection_id: String,
    direction: MessageDirection,
    chat_id: Option<String>,
    from: Option<String>,
    to: Option<String>,
    author: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    body: Option<String>,
    timestamp: Option<DateTime<Utc>>,
    status: MessageStatus,
    ack: i64,
    /// When each step was reached: `{"sent": …, "delivered": …, "read": …}`.
    #[schema(value_type = std::collections::BTreeMap<String, DateTime<Utc>>)]
    status_times: serde_json::Map<String, Value>,
    acks: Vec<AckStep>,
    /// What the message's media is; `url` downloads the bytes.
    media: Option<crate::media::MessageMedia>,
    /// Its text or caption was edited (`editedAt` says when, last).
    edited: bool,
    edited_at: Option<DateTime<Utc>>,
    /// Deleted for everyone: `body` and `media` are gone.
    revoked: bool,
    revoked_at: Option<DateTime<Utc>>,
    created_at: DateTime<Utc>,
    updated_at: DateTime<Utc>,
}

impl From<MessageRecord> for MessageView {
    fn from(m: MessageRecord) -> Self {
        let mut status_times = serde_json::Map::new();
        for step in &m.acks {
            let name = serde_json::to_value(step.status).expect("statuses serialize");
            if let Some(name) = name.as_str() {
                status_times
                    .entry(name.to_owned())
                    .or_insert_with(|| serde_json::to_value(step.at).expect("dates serialize"));
            }
        }
        Self {
            message_id: m.message_id,
            connection_id: m.connection_id,
            direction: m.direction,
            chat_id: m.chat_id,
            from: m.from,
            to: m.to,
            author: m.author,
            kind: m.kind,
            body: m.body,
            timestamp: m.timestamp,
            status: m.status,
            ack: m.ack,
            status_times,
            acks: m.acks,
            media: m.media,
            edited: m.edited_at.is_some(),
            edited_at: m.edited_at,
            revoked: m.revoked_at.is_some(),
            revoked_at: m.revoked_at,
            created_at: m.created_at,
            updated_at: m.updated_at,
        }
    }
}

/// One tracked message with its ack history.
#[utoipa::path(
    get, path = "/wa/messages/{id}", tag = "messages",
    params(("id" = String, Path, description = "WhatsApp's message id, as returned by a send or in an event")),
    responses(
        (status = 200, body = MessageView),
        (status = 404, description = "`NOT_FOUND`: no such message", body = ErrorBody),
    )
)]
pub async fn get_message(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(message_id): Path<String>,
) -> Result<Json<MessageView>, ApiError> {
    let missing = || ApiError::not_found(format!("No message with id {message_id}"));
    let record = state
        .store
        .get_message(&message_id, None)
        .await?
        .ok_or_else(missing)?;
    if state.owned(&caller, &record.connection_id).await.is_err() {
        return Err(missing());
    }
    Ok(Json(record.into()))
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    #[param(inline)]
    direction: Option<MessageDirection>,
    /// Page size, 1-500 (50 by default).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
    /// A message id from the previous page: only older messages are listed.
    before: Option<String>,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MessagePage {
    messages: Vec<MessageView>,
    /// Pass as `before` for the next (older) page; `null` on the last one.
    next_before: Option<String>,
}

/// A connection's messages, newest first.
#[utoipa::path(
    get, path = "/wa/connections/{id}/messages", tag = "messages", params(("id" = String, Path, description = "The connection id returned by `POST /wa/add-number`"), ListQuery),
    responses(
        (status = 200, body = MessagePage),
        (status = 400, description = "`INVALID_REQUEST`: a bad query parameter, or `before` is not a message of this connection", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorBody),
    )
)]
pub async fn list_messages(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> Result<Json<MessagePage>, ApiError> {
    state.owned(&caller, &id).await?;
    let limit = page_size(q.limit)?;
    let before_seq = match &q.before {
        None => None,
        Some(message_id) => Some(
            state
                .store
                .get_message(message_id, Some(&id))
                .await?
                .ok_or_else(|| ApiError::invalid(format!("before: no message {message_id} here")))?
                .seq,
        ),
    };
    let filter = MessageFilter {
        connection_id: id,
        direction: q.direction,
        before_seq,
        limit,
    };
    let records = state.store.list_messages(&filter).await?;
    let next_before = (records.len() == limit)
        .then(|| records.last().map(|m| m.message_id.clone()))
        .flatten();
    let messages = records.into_iter().map(MessageView::from).collect();
    Ok(Json(MessagePage {
        messages,
        next_before,
    }))
}
