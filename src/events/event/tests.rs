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
        location: None,
        contacts: None,
        poll: None,
        quoted: None,
        mentions: None,
        media: None,
    };
    let json = r#"{"id":"true_923007654321@c.us_3EB0","from":"923001234567@c.us","to":"923007654321@c.us","author":null,"chatId":"923007654321@c.us","type":"chat","body":"Hi!","timestamp":"2026-11-25T14:00:00+00:00","pushName":"Alice","fromMe":true,"quotedId":null,"senderPhone":"923001234567","hasMedia":false,"location":null,"contacts":null,"poll":null,"quoted":null,"mentions":null,"media":null}"#;
    (message, json)
}

/// One event of each kind, with the `data` JSON it must produce (keys in wire order).
fn samples() -> Vec<(Event, &'static str)> {
    [
        linking_samples(),
        traffic_samples(),
        action_samples(),
        people_samples(),
        group_samples(),
        sleep_samples(),
    ]
    .concat()
}

/// Hibernation's events.
fn sleep_samples() -> Vec<(Event, &'static str)> {
    vec![
        (
            Event::Asleep(AsleepData {
                reason: "idle".into(),
                next_wake: "2026-11-25T14:30:00Z".parse().unwrap(),
            }),
            r#"{"reason":"idle","nextWake":"2026-11-25T14:30:00Z"}"#,
        ),
        (
            Event::Awake(AwakeData {
                reason: "schedule".into(),
                latency_ms: 1840,
            }),
            r#"{"reason":"schedule","latencyMs":1840}"#,
        ),
    ]
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
            Event::MediaUploaded(MediaUploadedData {
                message_id: "m1".into(),
                chat_id: Some("923007654321@c.us".into()),
            }),
            r#"{"messageId":"m1","chatId":"923007654321@c.us"}"#,
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

/// The events of chats, contacts and calls.
fn people_samples() -> Vec<(Event, &'static str)> {
    vec![
        (
            Event::ContactChanged(ContactChangedData {
                old_id: Some("923001234567@c.us".into()),
                new_id: Some("923009876543@c.us".into()),
                old_number: Some("923001234567".into()),
                new_number: Some("923009876543".into()),
                chat_id: Some("923001234567@c.us".into()),
                is_contact: true,
                timestamp: None,
            }),
            r#"{"oldId":"923001234567@c.us","newId":"923009876543@c.us","oldNumber":"923001234567","newNumber":"923009876543","chatId":"923001234567@c.us","isContact":true,"timestamp":null}"#,
        ),
        (
            Event::ChatArchived(ChatArchivedData {
                chat_id: "923001234567@c.us".into(),
                archived: true,
            }),
            r#"{"chatId":"923001234567@c.us","archived":true}"#,
        ),
        (
            Event::ChatRemoved(ChatRemovedData {
                chat_id: "923001234567@c.us".into(),
            }),
            r#"{"chatId":"923001234567@c.us"}"#,
        ),
        (
            Event::Call(CallData {
                call_id: "ABC".into(),
                from: Some("923001234567@c.us".into()),
                from_phone: Some("923001234567".into()),
                is_video: false,
                is_group: false,
                timestamp: None,
                rejected: true,
                replied: false,
            }),
            r#"{"callId":"ABC","from":"923001234567@c.us","fromPhone":"923001234567","isVideo":false,"isGroup":false,"timestamp":null,"rejected":true,"replied":false}"#,
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

/// The events of acting on messages.
fn action_samples() -> Vec<(Event, &'static str)> {
    let (at, chat) = (
        Some("2026-11-25T14:00:00+00:00".to_owned()),
        Some("c@c.us".to_owned()),
    );
    vec![
        (
            Event::MessageReaction(MessageReactionData {
                message_id: Some("m1".into()),
                chat_id: chat.clone(),
                emoji: "👍".into(),
                action: "added".into(),
                sender: Some("c@c.us".into()),
                sender_phone: None,
                from_me: false,
                timestamp: at.clone(),
            }),
            r#"{"messageId":"m1","chatId":"c@c.us","emoji":"👍","action":"added","sender":"c@c.us","senderPhone":null,"fromMe":false,"timestamp":"2026-11-25T14:00:00+00:00"}"#,
        ),
        (
            Event::MessageEdit(MessageEditData {
                message_id: Some("m1".into()),
                chat_id: chat.clone(),
                from_me: true,
                author: None,
                old_text: Some("a".into()),
                new_text: Some("b".into()),
                timestamp: None,
            }),
            r#"{"messageId":"m1","chatId":"c@c.us","fromMe":true,"author":null,"oldText":"a","newText":"b","timestamp":null}"#,
        ),
        (
            Event::MessageRevoke(MessageRevokeData {
                message_id: Some("m1".into()),
                chat_id: chat.clone(),
                from_me: false,
                author: None,
                previous: None,
                timestamp: None,
            }),
            r#"{"messageId":"m1","chatId":"c@c.us","fromMe":false,"author":null,"previous":null,"timestamp":null}"#,
        ),
        (
            Event::PollVote(PollVoteData {
                poll_id: Some("m1".into()),
                chat_id: chat,
                voter: None,
                voter_phone: None,
                selected_options: vec!["Yes".into()],
                from_me: false,
                timestamp: at,
            }),
            r#"{"pollId":"m1","chatId":"c@c.us","voter":null,"voterPhone":null,"selectedOptions":["Yes"],"fromMe":false,"timestamp":"2026-11-25T14:00:00+00:00"}"#,
        ),
    ]
}
