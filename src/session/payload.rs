//! The `data` of each event as clients receive it, built from what the page reported.

use chrono::{DateTime, Utc};
use serde_json::{json, Value};

use crate::whatsapp::{ack_name, WaMessage};

pub fn message(m: &WaMessage) -> Value {
    let timestamp =
        m.t.and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
            .map(|t| t.to_rfc3339());
    json!({
        "id": m.id,
        "from": m.from,
        "to": m.to,
        "author": m.author,
        "chatId": m.chat_id,
        "type": m.kind,
        "body": m.body,
        "timestamp": timestamp,
        "pushName": m.notify_name,
        "fromMe": m.from_me,
        "quotedId": m.quoted_id,
        "senderPhone": m.sender_phone,
        "hasMedia": m.has_media,
    })
}

pub fn ack(id: &str, chat_id: Option<&str>, ack: i64) -> Value {
    json!({
        "messageId": id,
        "chatId": chat_id,
        "ack": ack,
        "ackName": ack_name(ack),
    })
}
