//! A group notification as the driver reports it (`page/groups.js`), and the event it becomes.

use serde::Deserialize;

use crate::events::event::{Event, GroupEventData, GroupMember};

/// One `gp2` message of a group chat, with its members resolved to numbers where WhatsApp
/// shares them.
#[derive(Debug, Clone, PartialEq, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupNotice {
    /// The event it maps to (`group_join`, ...; `group_update` for anything else).
    pub kind: String,
    pub subtype: Option<String>,
    pub group_id: String,
    pub author: Option<GroupMember>,
    #[serde(default)]
    pub recipients: Vec<GroupMember>,
    pub body: Option<String>,
    /// Unix seconds.
    pub t: Option<i64>,
    pub message_id: Option<String>,
}

impl From<GroupNotice> for Event {
    fn from(n: GroupNotice) -> Self {
        let timestamp =
            n.t.and_then(|t| chrono::DateTime::from_timestamp(t, 0))
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true));
        let event: fn(GroupEventData) -> Event = match n.kind.as_str() {
            "group_join" => Event::GroupJoin,
            "group_leave" => Event::GroupLeave,
            "group_admin_changed" => Event::GroupAdminChanged,
            "group_membership_request" => Event::GroupMembershipRequest,
            _ => Event::GroupUpdate,
        };
        event(GroupEventData {
            group_id: n.group_id,
            action: n.subtype,
            actor: n.author,
            participants: n.recipients,
            value: n.body,
            timestamp,
            message_id: n.message_id,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::whatsapp::PageEvent;

    #[test]
    fn a_promote_notification_becomes_group_admin_changed() {
        let raw = r#"{"type":"group_notification","kind":"group_admin_changed","subtype":"promote",
            "groupId":"120363000000000001@g.us","author":{"id":"1@lid","phone":"923001234567"},
            "recipients":[{"id":"2@lid","phone":null}],"body":null,"t":1700000000,"messageId":"x"}"#;
        let PageEvent::GroupNotification(notice) = serde_json::from_str(raw).unwrap() else {
            panic!("not a group notification");
        };
        let Event::GroupAdminChanged(data) = Event::from(notice) else {
            panic!("wrong event");
        };
        assert_eq!(data.action.as_deref(), Some("promote"));
        assert_eq!(data.participants[0].phone, None);
        assert_eq!(data.timestamp.as_deref(), Some("2023-11-14T22:13:20Z"));
    }
}
