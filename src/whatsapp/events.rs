//! Typed events reported by the injected driver through the CDP binding.

use serde::{Deserialize, Serialize};

use super::action_events::{PageEdit, PageReaction, PageRevoke, PageVote};
use crate::events::rich_data::{ContactCard, Location, Poll, Quoted};

/// One JSON object per binding call, tagged by `type` (see `driver.js`).
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum PageEvent {
    /// The module system is usable (`window.Debug.VERSION` appeared).
    Boot {
        version: String,
    },
    /// `window.Debug.VERSION` never appeared.
    BootTimeout {
        message: String,
    },
    /// A required module is missing: the page cannot be driven.
    Incompatible {
        module: String,
    },
    /// An optional module is missing: a feature degrades.
    ModuleMissing {
        module: String,
    },
    Qr {
        qr: String,
    },
    /// A fresh pairing code for a connection linking by phone number (the first one is the
    /// answer to [`super::Driver::request_pairing_code`]; later ones come when WhatsApp wants one).
    PairingCode {
        code: String,
    },
    ChangeState {
        state: String,
    },
    Loading {
        percent: f64,
    },
    Authenticated {},
    Ready {
        number: Option<String>,
        lid: Option<String>,
        pushname: Option<String>,
        platform: Option<String>,
    },
    /// `Cmd` fired `logout` or `logout_from_bridge`.
    Logout {
        source: String,
    },
    Message {
        message: WaMessage,
    },
    MessageCreate {
        message: WaMessage,
    },
    MessageAck {
        id: String,
        ack: i64,
        #[serde(rename = "chatId")]
        chat_id: Option<String>,
    },
    Error {
        r#where: String,
        message: String,
    },
    /// A group notification (`gp2` message): who did what to whom in a group.
    GroupNotification(super::group_notice::GroupNotice),
    /// `Chat change:archive`.
    #[serde(rename_all = "camelCase")]
    ChatArchived {
        chat_id: String,
        archived: bool,
    },
    /// `Chat remove`.
    #[serde(rename_all = "camelCase")]
    ChatRemoved {
        chat_id: String,
    },
    /// A number-change notice (`notification_template`/`change_number` or `gp2`/`modify`).
    #[serde(rename_all = "camelCase")]
    ContactChanged {
        old_id: Option<String>,
        new_id: Option<String>,
        chat_id: Option<String>,
        #[serde(default)]
        is_contact: bool,
        t: Option<i64>,
    },
    /// An incoming call offer (a new entry in the call collection).
    #[serde(rename_all = "camelCase")]
    Call {
        id: String,
        from: Option<String>,
        #[serde(default)]
        is_video: bool,
        #[serde(default)]
        is_group: bool,
        offer_time: Option<i64>,
    },
    /// A reaction added or removed (the wrapped reaction table).
    Reaction(PageReaction),
    /// A poll vote (the wrapped poll vote table).
    PollVote(PageVote),
    /// A message's text or caption edited in place.
    MessageEdit(PageEdit),
    /// A message deleted for everyone.
    MessageRevoke(PageRevoke),
    /// `change:isUnsentMedia` to false on an own message (page/media.js).
    MediaUploaded {
        id: String,
        #[serde(rename = "chatId")]
        chat_id: Option<String>,
    },
}

/// A message as the driver serializes it from a `Msg` model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct WaMessage {
    pub id: Option<String>,
    pub from_me: bool,
    pub from: Option<String>,
    pub to: Option<String>,
    pub author: Option<String>,
    pub chat_id: Option<String>,
    #[serde(rename = "type")]
    pub kind: Option<String>,
    pub body: Option<String>,
    /// Unix seconds.
    pub t: Option<i64>,
    pub notify_name: Option<String>,
    /// The sender's phone number (digits), resolved from an `@lid` id when WhatsApp gives one.
    pub sender_phone: Option<String>,
    pub quoted_id: Option<String>,
    #[serde(default)]
    pub has_media: bool,
    pub ack: Option<i64>,
    #[serde(default)]
    pub location: Option<Location>,
    #[serde(default)]
    pub contacts: Option<Vec<ContactCard>>,
    #[serde(default)]
    pub poll: Option<Poll>,
    #[serde(default)]
    pub quoted: Option<Quoted>,
    #[serde(default)]
    pub mentions: Option<Vec<String>>,
    /// Present when the message has media (page/media.js).
    #[serde(default)]
    pub media: Option<crate::media::MessageMedia>,
}

/// Socket states after which a linked session cannot continue.
pub fn is_fatal_state(state: &str) -> bool {
    matches!(
        state,
        "CONFLICT"
            | "TIMEOUT"
            | "TOS_BLOCK"
            | "SMB_TOS_BLOCK"
            | "PROXYBLOCK"
            | "DEPRECATED_VERSION"
            | "UNPAIRED"
    )
}

/// WhatsApp's ack numbers by name; unknown values are passed through as `None`.
pub fn ack_name(ack: i64) -> Option<&'static str> {
    Some(match ack {
        -1 => "ERROR",
        0 => "PENDING",
        1 => "SERVER",
        2 => "DEVICE",
        3 => "READ",
        4 => "PLAYED",
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_the_binding_payloads() {
        let ev: PageEvent = serde_json::from_str(r#"{"type":"qr","qr":"2@x,a,b,c,WEB"}"#).unwrap();
        assert_eq!(
            ev,
            PageEvent::Qr {
                qr: "2@x,a,b,c,WEB".into()
            }
        );
        let ev: PageEvent = serde_json::from_str(
            r#"{"type":"message_ack","id":"true_1@c.us_3EB0","ack":3,"chatId":"1@c.us"}"#,
        )
        .unwrap();
        assert!(matches!(ev, PageEvent::MessageAck { ack: 3, .. }));
        let ev: PageEvent =
            serde_json::from_str(r#"{"type":"pairing_code","code":"ABCD1234"}"#).unwrap();
        assert_eq!(
            ev,
            PageEvent::PairingCode {
                code: "ABCD1234".into()
            }
        );
        let ev: PageEvent = serde_json::from_str(r#"{"type":"authenticated"}"#).unwrap();
        assert_eq!(ev, PageEvent::Authenticated {});
    }

    #[test]
    fn names_known_acks_and_passes_unknown_ones() {
        assert_eq!(ack_name(3), Some("READ"));
        assert_eq!(ack_name(-5), None);
    }
}
