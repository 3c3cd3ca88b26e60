//! The wire shape of every event, byte for byte as it was when events were built as JSON by
//! hand, and the generated lists against the enum.

use std::collections::BTreeSet;

use super::*;

/// A message as both `message` and `message_create` carry it, with its wire JSON.
fn sample_message() -> (MessageData, &'static str) {
    let message = MessageData {
        id: Some("true_923007654321@c.us_3EB0".into()),
        from: Some("923001234567@c.us".into()),
        to: Some("923007654321@c.us".into()),
        author: None,
        chat_id: Some("923007654321@c.us".into()),
        kind: Some("chat".into()),
        body: Some("Hi!".into()),
        timestamp: Some("2026-11-25T14:00:00+00:00".into()),
        push_name: Some("Alice".into()),
        from_me: true,
        quoted_id: None,
        sender_phone: Some("923001234567".into()),
        has_media: false,
    };
    let json = r#"{"id":"true_923007654321@c.us_3EB0","from":"923001234567@c.us","to":"923007654321@c.us","author":null,"chatId":"923007654321@c.us","type":"chat","body":"Hi!","timestamp":"2026-11-25T14:00:00+00:00","pushName":"Alice","fromMe":true,"quotedId":null,"senderPhone":"923001234567","hasMedia":false}"#;
    (message, json)
}

/// One event of each kind, with the `data` JSON it must produce (keys in wire order).
fn samples() -> Vec<(Event, &'static str)> {
    [linking_samples(), traffic_samples(), group_samples()].concat()
}

/// The events of linking a number.
fn linking_samples() -> Vec<(Event, &'static str)> {
    vec![
        (
            Event::Qr(QrData {
                qr: "2@abc".into(),
                qr_data_url: None,
            }),
            r#"{"qr":"2@abc","qrDataUrl":null}"#,
        ),
        (
            Event::PairingCode(PairingCodeData {
                pairing_code: "ABCD-EFGH".into(),
                phone: "923001234567".into(),
            }),
            r#"{"pairingCode":"ABCD-EFGH","phone":"923001234567"}"#,
        ),
        (
            Event::Loading(LoadingData { percent: 42.0 }),
            r#"{"percent":42.0}"#,
        ),
        (Event::Authenticated(AuthenticatedData {}), "{}"),
        (
            Event::Ready(ReadyData {
                number: Some("923001234567".into()),
                profile: Profile {
                    push_name: Some("Alice".into()),
                    platform: Some("android".into()),
                },
            }),
            r#"{"number":"923001234567","profile":{"pushName":"Alice","platform":"android"}}"#,
        ),
    ]
}

/// The events of a linked number's life.
fn traffic_samples() -> Vec<(Event, &'static str)> {
    let (message, message_json) = sample_message();
    vec![
        (Event::Message(message.clone()), message_json),
        (Event::MessageCreate(message), message_json),
        (
            Event::MessageAck(MessageAckData {
                message_id: "m1".into(),
                chat_id: None,
                ack: 3,
                ack_name: Some("READ".into()),
            }),
            r#"{"messageId":"m1","chatId":null,"ack":3,"ackName":"READ"}"#,
        ),
        (
            Event::ChangeState(ChangeStateData {
                state: "CONFLICT".into(),
            }),
            r#"{"state":"CONFLICT"}"#,
        ),
        (
            Event::Disconnected(DisconnectedData {
                reason: "LOGGED_OUT".into(),
            }),
            r#"{"reason":"LOGGED_OUT"}"#,
        ),
    ]
}

/// The group events: one payload shape.
fn group_samples() -> Vec<(Event, &'static str)> {
    let (group, group_json) = sample_group_event();
    let kinds: [fn(GroupEventData) -> Event; 5] = [
        Event::GroupJoin,
        Event::GroupLeave,
        Event::GroupAdminChanged,
        Event::GroupUpdate,
        Event::GroupMembershipRequest,
    ];
    kinds.map(|kind| (kind(group.clone()), group_json)).to_vec()
}

/// The data every group event carries, with its wire JSON.
fn sample_group_event() -> (GroupEventData, &'static str) {
    let member = |id: &str, phone: Option<&str>| GroupMember {
        id: id.into(),
        phone: phone.map(Into::into),
    };
    let data = GroupEventData {
        group_id: "120363012345678901@g.us".into(),
        action: Some("add".into()),
        actor: Some(member("1234567890123@lid", Some("923001234567"))),
        participants: vec![member("923007654321@c.us", Some("923007654321"))],
        value: None,
        timestamp: Some("2026-11-25T14:00:00Z".into()),
        message_id: Some("false_120363012345678901@g.us_3A01".into()),
    };
    let json = r#"{"groupId":"120363012345678901@g.us","action":"add","actor":{"id":"1234567890123@lid","phone":"923001234567"},"participants":[{"id":"923007654321@c.us","phone":"923007654321"}],"value":null,"timestamp":"2026-11-25T14:00:00Z","messageId":"false_120363012345678901@g.us_3A01"}"#;
    (data, json)
}

fn envelope(event: Event) -> Envelope {
    Envelope {
        id: "0193aa00-0000-7000-8000-000000000000".into(),
        connection_id: "c1".into(),
        timestamp: "2026-11-25T14:00:00.123Z".parse().unwrap(),
        event,
    }
}

#[test]
fn every_variant_is_listed_once_under_the_name_serde_writes() {
    let mut sampled = BTreeSet::new();
    for (event, _) in samples() {
        let tagged = serde_json::to_value(&event).unwrap();
        assert_eq!(tagged["event"], event.name());
        sampled.insert(event.name());
    }
    let listed: BTreeSet<&str> = EVENT_NAMES.iter().copied().collect();
    assert_eq!(listed.len(), EVENT_NAMES.len(), "a name listed twice");
    assert_eq!(sampled, listed, "every variant has a sample and a name");
    let documented: Vec<&str> = KINDS.iter().map(|k| k.name).collect();
    assert_eq!(documented, EVENT_NAMES);
}

#[test]
fn the_stored_form_keeps_the_name_and_the_data_as_they_were() {
    for (event, data) in samples() {
        let name = event.name();
        let stored = envelope(event).to_stored();
        assert_eq!(stored.event, name);
        assert_eq!(stored.id, "0193aa00-0000-7000-8000-000000000000");
        assert_eq!(stored.connection_id, "c1");
        assert_eq!(serde_json::to_string(&stored.data).unwrap(), data, "{name}");
    }
}

#[test]
fn a_consumer_reads_the_wire_envelope_back_as_the_same_event() {
    for (event, _) in samples() {
        let wire = serde_json::to_value(envelope(event.clone()).to_stored()).unwrap();
        let keys: Vec<&String> = wire.as_object().unwrap().keys().collect();
        assert_eq!(keys, ["id", "event", "connectionId", "timestamp", "data"]);
        let read: Event = serde_json::from_value(wire).unwrap();
        assert_eq!(read, event);
    }
}
