//! The `data` of each event as clients receive it, built from what the page reported.

use chrono::{DateTime, Utc};

use crate::events::event::{MessageAckData, MessageData};
use crate::whatsapp::{ack_name, WaMessage};

pub fn message(m: &WaMessage) -> MessageData {
    let timestamp =
        m.t.and_then(|t| DateTime::<Utc>::from_timestamp(t, 0))
            .map(|t| t.to_rfc3339());
    MessageData {
        id: m.id.clone(),
        from: m.from.clone(),
        to: m.to.clone(),
        author: m.author.clone(),
        chat_id: m.chat_id.clone(),
        kind: m.kind.clone(),
        body: m.body.clone(),
        timestamp,
        push_name: m.notify_name.clone(),
        from_me: m.from_me,
        quoted_id: m.quoted_id.clone(),
        sender_phone: m.sender_phone.clone(),
        has_media: m.has_media,
        location: m.location.clone(),
        contacts: m.contacts.clone(),
        poll: m.poll.clone(),
        quoted: m.quoted.clone(),
        mentions: m.mentions.clone(),
        media: m
            .media
            .clone()
            .map(|media| media.served_as(m.id.as_deref())),
    }
}

pub fn ack(id: &str, chat_id: Option<&str>, ack: i64) -> MessageAckData {
    MessageAckData {
        message_id: id.to_owned(),
        chat_id: chat_id.map(str::to_owned),
        ack,
        ack_name: ack_name(ack).map(str::to_owned),
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn a_page_message_becomes_the_message_data_clients_know() {
        let page = json!({
            "id": "false_923007654321@c.us_3EB0", "fromMe": false,
            "from": "923007654321@c.us", "to": "923001234567@c.us", "author": null,
            "chatId": "923007654321@c.us", "type": "chat", "body": "Hi!", "t": 1_795_615_200,
            "notifyName": "Bob", "senderPhone": "923007654321", "quotedId": "q1",
            "hasMedia": true, "ack": 1,
            "media": {"mimetype": "image/png", "filename": null, "size": 70, "sha256": "ab",
                      "caption": "look", "duration": null, "width": 1, "height": 1},
        });
        let page: WaMessage = serde_json::from_value(page).unwrap();
        let data = serde_json::to_value(message(&page)).unwrap();
        let expected = json!({
            "id": "false_923007654321@c.us_3EB0", "from": "923007654321@c.us",
            "to": "923001234567@c.us", "author": null, "chatId": "923007654321@c.us",
            "type": "chat", "body": "Hi!", "timestamp": "2026-11-25T14:00:00+00:00",
            "pushName": "Bob", "fromMe": false, "quotedId": "q1",
            "senderPhone": "923007654321", "hasMedia": true, "location": null,
            "contacts": null, "poll": null, "quoted": null, "mentions": null,
            "media": {"mimetype": "image/png", "filename": null, "size": 70, "sha256": "ab",
                      "url": "/wa/messages/false_923007654321@c.us_3EB0/media", "caption": "look",
                      "duration": null, "width": 1, "height": 1},
        });
        assert_eq!(data, expected);
    }

    #[test]
    fn an_ack_number_whatsapp_added_later_has_no_name() {
        let known = serde_json::to_value(ack("m1", Some("c@c.us"), 3)).unwrap();
        let expected = json!({"messageId": "m1", "chatId": "c@c.us", "ack": 3, "ackName": "READ"});
        assert_eq!(known, expected);
        assert_eq!(ack("m1", None, 9).ack_name, None);
    }
}
