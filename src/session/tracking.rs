//! Message records for delivery tracking, built from what the page reported.

use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::domain::ChatId;
use crate::store::{MessageChange, MessageDirection, MessageRecord, MessageStatus};
use crate::whatsapp::{PageEvent, WaMessage};

/// A message this gateway just sent.
pub fn sent(
    connection_id: &str,
    message_id: &str,
    own_number: Option<&str>,
    to: &ChatId,
    body: &str,
    timestamp: i64,
    ack: i64,
) -> MessageRecord {
    let now = crate::store::now();
    MessageRecord {
        seq: Uuid::now_v7().to_string(),
        message_id: message_id.to_owned(),
        connection_id: connection_id.to_owned(),
        direction: MessageDirection::Outbound,
        chat_id: Some(to.to_string()),
        from: own_number.map(|n| format!("{n}@c.us")),
        to: Some(to.to_string()),
        author: None,
        kind: Some("chat".into()),
        body: Some(body.to_owned()),
        timestamp: DateTime::<Utc>::from_timestamp(timestamp, 0),
        status: MessageStatus::from_ack(ack),
        ack,
        acks: Vec::new(),
        media: None,
        edited_at: None,
        revoked_at: None,
        created_at: now,
        updated_at: now,
    }
}

impl MessageRecord {
    /// The type WhatsApp gave the message (`location`, `vcard`, `poll_creation`, …), if the page
    /// said; a text stays `chat`.
    pub fn with_kind(mut self, kind: Option<&str>) -> Self {
        if let Some(kind) = kind {
            self.kind = Some(kind.to_owned());
        }
        self
    }

    /// The media of the sent message as the page reported it, served by the gateway.
    pub fn with_media(mut self, media: Option<crate::media::MessageMedia>) -> Self {
        self.media = media.map(|m| m.served_as(Some(&self.message_id)));
        self
    }
}

/// The change an edit or delete reported by the page makes to its tracked message.
pub fn change(event: &PageEvent) -> Option<(String, MessageChange)> {
    let now = crate::store::now();
    match event {
        PageEvent::MessageEdit(e) => {
            let at = e.t.and_then(DateTime::<Utc>::from_timestamp_millis);
            let text = e.new_text.clone();
            let change = MessageChange::Edited {
                text,
                at: at.unwrap_or(now),
            };
            Some((e.id.clone()?, change))
        }
        PageEvent::MessageRevoke(r) => {
            let at = r.t.and_then(|t| DateTime::<Utc>::from_timestamp(t, 0));
            let change = MessageChange::Revoked {
                at: at.unwrap_or(now),
            };
            Some((r.id.clone()?, change))
        }
        _ => None,
    }
}

/// A message seen by the page: received, or sent from the phone (`fromMe`).
pub fn seen(connection_id: &str, m: &WaMessage) -> Option<MessageRecord> {
    let message_id = m.id.clone()?;
    let now = crate::store::now();
    let (direction, status, ack) = if m.from_me {
        let ack = m.ack.unwrap_or(0);
        (
            MessageDirection::Outbound,
            MessageStatus::from_ack(ack),
            ack,
        )
    } else {
        (
            MessageDirection::Inbound,
            MessageStatus::Received,
            m.ack.unwrap_or(0),
        )
    };
    Some(MessageRecord {
        seq: Uuid::now_v7().to_string(),
        message_id,
        connection_id: connection_id.to_owned(),
        direction,
        chat_id: m.chat_id.clone(),
        from: m.from.clone(),
        to: m.to.clone(),
        author: m.author.clone(),
        kind: m.kind.clone(),
        body: m.body.clone(),
        media: m
            .media
            .clone()
            .map(|media| media.served_as(m.id.as_deref())),
        timestamp: m.t.and_then(|t| DateTime::<Utc>::from_timestamp(t, 0)),
        status,
        ack,
        acks: Vec::new(),
        edited_at: None,
        revoked_at: None,
        created_at: now,
        updated_at: now,
    })
}
