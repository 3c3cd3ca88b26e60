//! Tracked messages and their acks; each case runs once per backend (see `contract!`).

use chrono::SubsecRound;
use wa_gateway::store::{
    MessageChange, MessageDirection, MessageFilter, MessageRecord, MessageStatus,
};

use super::*;

fn message(connection_id: &str, message_id: &str, direction: MessageDirection) -> MessageRecord {
    let at = now() - TimeDelta::minutes(1);
    let inbound = direction == MessageDirection::Inbound;
    MessageRecord {
        seq: uuid::Uuid::now_v7().to_string(),
        message_id: message_id.into(),
        connection_id: connection_id.into(),
        direction,
        chat_id: Some("15550001111@c.us".into()),
        from: Some("15550002222@c.us".into()),
        to: Some("15550001111@c.us".into()),
        author: None,
        kind: Some("chat".into()),
        body: Some("héllo \u{1F44B}".into()),
        timestamp: Some(at),
        status: if inbound {
            MessageStatus::Received
        } else {
            MessageStatus::Pending
        },
        ack: 0,
        acks: Vec::new(),
        media: None,
        edited_at: None,
        revoked_at: None,
        created_at: at,
        updated_at: at,
    }
}

pub fn outbound(connection_id: &str, message_id: &str) -> MessageRecord {
    message(connection_id, message_id, MessageDirection::Outbound)
}

fn history(m: &MessageRecord) -> Vec<i64> {
    m.acks.iter().map(|s| s.ack).collect()
}

fn seqs(list: &[MessageRecord]) -> Vec<&str> {
    list.iter().map(|m| m.seq.as_str()).collect()
}

pub async fn an_inserted_message_reads_back_by_id_with_or_without_its_connection(h: Harness) {
    let mut m = message("c1", "false_1@c.us_IN", MessageDirection::Inbound);
    m.author = Some("15550003333@c.us".into());
    h.store.insert_message(&m).await.unwrap();
    let bare = MessageRecord {
        chat_id: None,
        from: None,
        to: None,
        kind: None,
        body: None,
        timestamp: None,
        ..outbound("c1", "true_1@c.us_OUT")
    };
    h.store.insert_message(&bare).await.unwrap();

    let found = h.store.get_message(&m.message_id, None).await.unwrap();
    assert_eq!(found.as_ref(), Some(&m));
    let narrowed = h.store.get_message(&m.message_id, Some("c1")).await;
    assert_eq!(narrowed.unwrap(), Some(m.clone()));
    let elsewhere = h.store.get_message(&m.message_id, Some("c2")).await;
    assert_eq!(elsewhere.unwrap(), None);
    let got = h.store.get_message(&bare.message_id, None).await.unwrap();
    assert_eq!(got, Some(bare));
    assert_eq!(h.store.get_message("nope", None).await.unwrap(), None);
}

pub async fn a_message_id_repeated_on_one_connection_is_a_conflict_but_not_on_another(h: Harness) {
    let first = outbound("c1", "true_1@c.us_SAME");
    h.store.insert_message(&first).await.unwrap();
    let err = h
        .store
        .insert_message(&outbound("c1", "true_1@c.us_SAME"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "got {err:?}");

    let other = outbound("c2", "true_1@c.us_SAME");
    h.store.insert_message(&other).await.unwrap();
    let on_c1 = h.store.get_message(&first.message_id, Some("c1")).await;
    assert_eq!(on_c1.unwrap(), Some(first));
    let on_c2 = h.store.get_message(&other.message_id, Some("c2")).await;
    assert_eq!(on_c2.unwrap(), Some(other));
}

pub async fn acks_move_the_status_forward_and_each_ack_value_is_recorded_once(h: Harness) {
    let m = outbound("c1", "true_1@c.us_ACK");
    h.store.insert_message(&m).await.unwrap();
    let ack = |value: i64| {
        let store = h.store.clone();
        async move { store.apply_ack("c1", "true_1@c.us_ACK", value, now()).await }
    };

    let sent = ack(1).await.unwrap().unwrap();
    assert_eq!((sent.ack, sent.status), (1, MessageStatus::Sent));
    assert!(sent.updated_at > m.updated_at);
    let read = ack(3).await.unwrap().unwrap();
    assert_eq!((read.ack, read.status), (3, MessageStatus::Read));
    // A late "delivered" joins the history but does not move the status back.
    let late = ack(2).await.unwrap().unwrap();
    assert_eq!((late.ack, late.status), (3, MessageStatus::Read));
    let repeated = ack(3).await.unwrap().unwrap();
    assert_eq!(history(&repeated), [1, 3, 2]);
    assert_eq!(repeated.acks[1].status, MessageStatus::Read);
    assert_eq!(repeated.acks[2].status, MessageStatus::Delivered);
    assert_eq!(repeated.acks[1], read.acks[1], "the first arrival is kept");

    let stored = h.store.get_message(&m.message_id, Some("c1")).await;
    assert_eq!(stored.unwrap(), Some(repeated));
}

pub async fn a_negative_ack_marks_the_message_failed(h: Harness) {
    h.store
        .insert_message(&outbound("c1", "true_1@c.us_F"))
        .await
        .unwrap();
    h.store
        .apply_ack("c1", "true_1@c.us_F", 2, now())
        .await
        .unwrap();
    let failed = h
        .store
        .apply_ack("c1", "true_1@c.us_F", -1, now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!((failed.ack, failed.status), (-1, MessageStatus::Failed));
    assert_eq!(history(&failed), [2, -1]);
    assert_eq!(failed.acks[1].status, MessageStatus::Failed);
    let stored = h.store.get_message("true_1@c.us_F", None).await.unwrap();
    assert_eq!(stored, Some(failed));
}

pub async fn an_ack_for_an_unknown_message_changes_nothing(h: Harness) {
    let m = outbound("c1", "true_1@c.us_K");
    h.store.insert_message(&m).await.unwrap();
    let unknown = h.store.apply_ack("c1", "missing", 2, now()).await.unwrap();
    assert_eq!(unknown, None);
    let wrong_connection = h.store.apply_ack("c2", &m.message_id, 2, now()).await;
    assert_eq!(wrong_connection.unwrap(), None);
    assert_eq!(
        h.store.get_message(&m.message_id, None).await.unwrap(),
        Some(m)
    );
}

pub async fn concurrent_acks_on_one_message_lose_no_step(h: Harness) {
    let m = outbound("c1", "true_1@c.us_RACE");
    h.store.insert_message(&m).await.unwrap();
    let mut tasks = tokio::task::JoinSet::new();
    for value in 0..10 {
        let store = h.store.clone();
        tasks.spawn(async move {
            store
                .apply_ack("c1", "true_1@c.us_RACE", value, now())
                .await
                .unwrap()
                .unwrap();
        });
    }
    tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(joined) = tasks.join_next().await {
            joined.unwrap();
        }
    })
    .await
    .expect("10 concurrent acks did not finish within 60 s");

    let stored = h
        .store
        .get_message(&m.message_id, None)
        .await
        .unwrap()
        .unwrap();
    let mut steps = history(&stored);
    steps.sort_unstable();
    assert_eq!(steps, (0..10).collect::<Vec<_>>());
    assert_eq!((stored.ack, stored.status), (9, MessageStatus::Played));
}

pub async fn messages_list_newest_first_by_direction_and_page(h: Harness) {
    let mut c1 = Vec::new();
    for i in 0..6 {
        let direction = if i % 2 == 0 {
            MessageDirection::Outbound
        } else {
            MessageDirection::Inbound
        };
        c1.push(message("c1", &format!("m{i}"), direction));
    }
    c1.sort_by(|a, b| b.seq.cmp(&a.seq));
    for m in &c1 {
        h.store.insert_message(m).await.unwrap();
    }
    h.store.insert_message(&outbound("c2", "m0")).await.unwrap();
    let list = |direction, before: Option<&str>, limit| {
        let filter = MessageFilter {
            connection_id: "c1".into(),
            direction,
            before_seq: before.map(Into::into),
            limit,
        };
        let store = h.store.clone();
        async move { store.list_messages(&filter).await.unwrap() }
    };

    assert_eq!(list(None, None, 100).await, c1);
    let inbound: Vec<_> = c1
        .iter()
        .filter(|m| m.direction == MessageDirection::Inbound)
        .cloned()
        .collect();
    assert_eq!(
        list(Some(MessageDirection::Inbound), None, 100).await,
        inbound
    );
    assert_eq!(
        seqs(&list(None, Some(&c1[1].seq), 2).await),
        seqs(&c1[2..4])
    );
    let older_inbound = list(Some(MessageDirection::Inbound), Some(&inbound[0].seq), 100).await;
    assert_eq!(older_inbound, inbound[1..]);
    assert!(list(None, Some(&c1[5].seq), 10).await.is_empty());
    assert!(list(None, None, 0).await.is_empty());

    let other = MessageFilter {
        connection_id: "c2".into(),
        direction: None,
        before_seq: None,
        limit: 10,
    };
    let c2 = h.store.list_messages(&other).await.unwrap();
    assert_eq!(c2.len(), 1);
    assert_eq!(c2[0].connection_id, "c2");
}

pub async fn media_edits_and_deletes_are_kept_and_an_ack_meanwhile_is_not_lost(h: Harness) {
    let mut m = message("c1", "false_1@c.us_MEDIA", MessageDirection::Inbound);
    m.media = Some(wa_gateway::media::MessageMedia {
        mimetype: Some("image/png".into()),
        size: Some(70),
        sha256: Some("ab".repeat(32)),
        caption: Some("look".into()),
        width: Some(640),
        duration: Some(1.5),
        ..Default::default()
    });
    h.store.insert_message(&m).await.unwrap();
    let read = h.store.get_message(&m.message_id, None).await.unwrap();
    assert_eq!(read.as_ref(), Some(&m), "media metadata reads back");

    let at = now();
    let edit = MessageChange::Edited {
        text: Some("look again".into()),
        at,
    };
    let edited = h.store.change_message("c1", &m.message_id, &edit).await;
    let edited = edited.unwrap().unwrap();
    assert_eq!(edited.body.as_deref(), Some("look again"));
    assert_eq!(
        edited.media.as_ref().unwrap().caption.as_deref(),
        Some("look again")
    );
    assert_eq!(edited.edited_at, Some(at.trunc_subsecs(3)));
    h.store
        .apply_ack("c1", &m.message_id, 3, now())
        .await
        .unwrap();
    let stored = h
        .store
        .get_message(&m.message_id, None)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.body, stored.ack),
        (edited.body, 3),
        "the edit survives an ack"
    );

    let revoke = MessageChange::Revoked { at };
    let revoked = h.store.change_message("c1", &m.message_id, &revoke).await;
    let revoked = revoked.unwrap().unwrap();
    assert_eq!(
        (revoked.body.as_ref(), revoked.media.as_ref()),
        (None, None)
    );
    assert_eq!(revoked.revoked_at, Some(at.trunc_subsecs(3)));
    let stored = h.store.get_message(&m.message_id, None).await.unwrap();
    assert_eq!(stored, Some(revoked));
    let unknown = h.store.change_message("c2", &m.message_id, &revoke).await;
    assert_eq!(unknown.unwrap(), None);
}
