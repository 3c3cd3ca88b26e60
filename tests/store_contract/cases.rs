//! The contract cases; each runs once per backend (see `contract!`).

use super::*;

pub async fn an_inserted_connection_reads_back_equal(h: Harness) {
    let mut conn = pending("alpha", 0);
    conn.whatsapp_number = Some("15550001111".into());
    conn.profile_info = Some(Profile {
        push_name: Some("Ann".into()),
        platform: None,
    });
    conn.last_active = Some(now());
    h.store.insert_connection(&conn).await.unwrap();

    assert_eq!(h.store.get_connection("alpha").await.unwrap(), Some(conn));
    assert_eq!(h.store.get_connection("nobody").await.unwrap(), None);
}

pub async fn inserting_an_existing_id_is_a_conflict(h: Harness) {
    h.store.insert_connection(&pending("dup", 0)).await.unwrap();
    let err = h
        .store
        .insert_connection(&pending("dup", 0))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "got {err:?}");
}

pub async fn listing_orders_by_creation_and_hides_archived_records(h: Harness) {
    for (id, age) in [("middle", 2), ("newest", 1), ("oldest", 3), ("gone", 4)] {
        h.store.insert_connection(&pending(id, age)).await.unwrap();
    }
    h.store
        .update_connection("gone", archive_patch(true))
        .await
        .unwrap();

    let visible = h.store.list_connections(false).await.unwrap();
    assert_eq!(ids(&visible), ["oldest", "middle", "newest"]);
    let all = h.store.list_connections(true).await.unwrap();
    assert_eq!(ids(&all), ["gone", "oldest", "middle", "newest"]);
}

pub async fn a_status_change_keeps_the_reason_only_when_disconnected(h: Harness) {
    h.store.insert_connection(&pending("s", 0)).await.unwrap();
    let down = h
        .store
        .update_connection("s", disconnect("LOGGED_OUT"))
        .await
        .unwrap();
    assert_eq!(down.status, ConnectionStatus::Disconnected);
    assert_eq!(down.reason.as_deref(), Some("LOGGED_OUT"));

    let up = ConnectionPatch {
        status: Some(StatusChange {
            status: ConnectionStatus::Connected,
            reason: Some("ignored".into()),
        }),
        ..Default::default()
    };
    let up = h.store.update_connection("s", up).await.unwrap();
    assert_eq!(up.status, ConnectionStatus::Connected);
    assert_eq!(up.reason, None);
    assert_eq!(h.store.get_connection("s").await.unwrap(), Some(up));
}

pub async fn connections_with_status_skips_archived_and_other_statuses(h: Harness) {
    for (id, age) in [("c2", 1), ("c1", 2), ("p", 3), ("c-archived", 4)] {
        h.store.insert_connection(&pending(id, age)).await.unwrap();
    }
    let connected = ConnectionPatch {
        status: Some(StatusChange {
            status: ConnectionStatus::Connected,
            reason: None,
        }),
        ..Default::default()
    };
    for id in ["c1", "c2", "c-archived"] {
        h.store
            .update_connection(id, connected.clone())
            .await
            .unwrap();
    }
    h.store
        .update_connection("c-archived", archive_patch(true))
        .await
        .unwrap();

    let got = h
        .store
        .connections_with_status(ConnectionStatus::Connected)
        .await
        .unwrap();
    assert_eq!(ids(&got), ["c1", "c2"]);
    let got = h
        .store
        .connections_with_status(ConnectionStatus::Pending)
        .await
        .unwrap();
    assert_eq!(ids(&got), ["p"]);
    let got = h
        .store
        .connections_with_status(ConnectionStatus::Disconnected)
        .await
        .unwrap();
    assert!(got.is_empty());
}

pub async fn a_patch_changes_only_the_given_fields_and_bumps_updated_at(h: Harness) {
    let before = pending("p", 10);
    h.store.insert_connection(&before).await.unwrap();
    let seen = now();
    let patch = ConnectionPatch {
        whatsapp_number: Some("4915112345678".into()),
        profile_info: Some(Profile {
            push_name: Some("Bo".into()),
            platform: Some("android".into()),
        }),
        last_active: Some(seen),
        ..Default::default()
    };
    let after = h.store.update_connection("p", patch).await.unwrap();

    assert_eq!(after.whatsapp_number.as_deref(), Some("4915112345678"));
    assert_eq!(
        after.profile_info.as_ref().unwrap().platform.as_deref(),
        Some("android")
    );
    assert_eq!(after.last_active, Some(seen));
    assert!(after.updated_at > before.updated_at);
    assert_eq!(after.status, before.status);
    assert_eq!(after.created_at, before.created_at);
    assert!(!after.archived);
    assert_eq!(
        h.store.get_connection("p").await.unwrap().as_ref(),
        Some(&after)
    );

    let only_active = ConnectionPatch {
        last_active: Some(seen + TimeDelta::seconds(5)),
        ..Default::default()
    };
    let again = h.store.update_connection("p", only_active).await.unwrap();
    assert_eq!(again.whatsapp_number, after.whatsapp_number);
    assert_eq!(again.profile_info, after.profile_info);
    assert_eq!(again.last_active, Some(seen + TimeDelta::seconds(5)));
}

pub async fn updating_a_missing_connection_is_not_found(h: Harness) {
    let err = h
        .store
        .update_connection("ghost", disconnect("X"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "got {err:?}");
}

pub async fn archiving_stamps_archived_at_and_unarchiving_clears_it(h: Harness) {
    h.store.insert_connection(&pending("a", 0)).await.unwrap();
    let start = now();
    let archived = h
        .store
        .update_connection("a", archive_patch(true))
        .await
        .unwrap();
    assert!(archived.archived);
    assert!(archived.archived_at.unwrap() >= start);

    let back = h
        .store
        .update_connection("a", archive_patch(false))
        .await
        .unwrap();
    assert!(!back.archived);
    assert_eq!(back.archived_at, None);
    assert_eq!(h.store.get_connection("a").await.unwrap(), Some(back));
}

pub async fn a_saved_archive_loads_back_and_is_described_in_session_data(h: Harness) {
    h.store.insert_connection(&pending("z", 0)).await.unwrap();
    let bytes = noise(100_000, 7);
    let info = h.store.save_archive("z", &bytes).await.unwrap();

    assert_eq!(info.size, bytes.len() as u64);
    assert_eq!(info.checksum, sha256_hex(&bytes));
    let conn = h.store.get_connection("z").await.unwrap().unwrap();
    assert_eq!(conn.session_data, Some(info));
    assert_eq!(h.store.load_archive("z").await.unwrap(), Some(bytes));
    assert_eq!(h.store.load_archive("nobody").await.unwrap(), None);
}

pub async fn replacing_an_archive_drops_the_old_copy(h: Harness) {
    h.store.insert_connection(&pending("r", 0)).await.unwrap();
    h.store
        .insert_connection(&pending("other", 0))
        .await
        .unwrap();
    h.store.save_archive("other", b"keep me").await.unwrap();
    let first = h.store.save_archive("r", &noise(1000, 1)).await.unwrap();
    let second = h.store.save_archive("r", &noise(2000, 2)).await.unwrap();

    assert_ne!(first.archive_id, second.archive_id);
    assert_eq!(h.stored_archive_count().await, 2);
    assert_eq!(
        h.store.load_archive("r").await.unwrap(),
        Some(noise(2000, 2))
    );
    assert_eq!(
        h.store.load_archive("other").await.unwrap().unwrap(),
        b"keep me"
    );
}

pub async fn deleting_an_archive_clears_session_data_and_is_idempotent(h: Harness) {
    h.store.insert_connection(&pending("d", 0)).await.unwrap();
    h.store.save_archive("d", b"profile").await.unwrap();
    h.store.delete_archive("d").await.unwrap();

    assert_eq!(
        h.store
            .get_connection("d")
            .await
            .unwrap()
            .unwrap()
            .session_data,
        None
    );
    assert_eq!(h.store.load_archive("d").await.unwrap(), None);
    assert_eq!(h.stored_archive_count().await, 0);
    h.store.delete_archive("d").await.unwrap();
    h.store.delete_archive("never-existed").await.unwrap();
}

pub async fn saving_an_archive_for_a_missing_connection_is_not_found(h: Harness) {
    let err = h.store.save_archive("ghost", b"bytes").await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "got {err:?}");
    assert_eq!(h.stored_archive_count().await, 0);
}

pub async fn a_30_mb_archive_round_trips(h: Harness) {
    h.store.insert_connection(&pending("big", 0)).await.unwrap();
    let bytes = noise(30 * 1024 * 1024, 30);
    let info = h.store.save_archive("big", &bytes).await.unwrap();
    assert_eq!(info.size, bytes.len() as u64);
    let loaded = h.store.load_archive("big").await.unwrap().unwrap();
    assert!(loaded == bytes, "30 MB archive came back different");
}

pub async fn a_corrupted_archive_is_reported_not_returned(h: Harness) {
    h.store.insert_connection(&pending("c", 0)).await.unwrap();
    let info = h.store.save_archive("c", &noise(300_000, 3)).await.unwrap();
    h.corrupt_archive(&info.archive_id).await;
    let err = h.store.load_archive("c").await.unwrap_err();
    assert!(matches!(err, StoreError::Corrupt(_)), "got {err:?}");
}

pub async fn events_list_in_id_order_with_filters_and_limit(h: Harness) {
    let mut all = Vec::new();
    for i in 0..6 {
        let conn = if i % 2 == 0 { "even" } else { "odd" };
        all.push(event(conn, &format!("e{i}")));
    }
    all.sort_by(|a, b| a.id.cmp(&b.id));
    // Written out of order: the listing must sort by id, not by insertion.
    for e in all.iter().rev() {
        h.store.append_event(e).await.unwrap();
    }

    assert_eq!(h.store.list_events(None, None, 100).await.unwrap(), all);
    let even: Vec<_> = all
        .iter()
        .filter(|e| e.connection_id == "even")
        .cloned()
        .collect();
    assert_eq!(
        h.store.list_events(Some("even"), None, 100).await.unwrap(),
        even
    );
    assert_eq!(
        h.store
            .list_events(None, Some(&all[2].id), 100)
            .await
            .unwrap(),
        all[3..]
    );
    assert_eq!(
        h.store
            .list_events(None, Some(&all[1].id), 2)
            .await
            .unwrap(),
        all[2..4]
    );
    let after = h
        .store
        .list_events(Some("even"), Some(&even[0].id), 1)
        .await
        .unwrap();
    assert_eq!(after, even[1..2]);
    assert!(h
        .store
        .list_events(None, Some(&all[5].id), 10)
        .await
        .unwrap()
        .is_empty());
    assert!(h
        .store
        .list_events(Some("nobody"), None, 10)
        .await
        .unwrap()
        .is_empty());
    assert!(h.store.list_events(None, None, 0).await.unwrap().is_empty());
}

pub async fn appending_an_existing_event_id_is_a_conflict(h: Harness) {
    let e = event("x", "ready");
    h.store.append_event(&e).await.unwrap();
    let err = h.store.append_event(&e).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "got {err:?}");
    assert_eq!(h.store.list_events(None, None, 10).await.unwrap(), [e]);
}

pub async fn event_data_round_trips_as_json(h: Harness) {
    let mut e = event("x", "message");
    e.data = json!({
        "from": "15550001111@c.us",
        "body": "héllo \u{1F44B}",
        "count": 3,
        "ratio": 0.5,
        "flags": [true, false, null],
        "nested": { "empty": {}, "list": [] }
    });
    h.store.append_event(&e).await.unwrap();
    assert_eq!(h.store.list_events(Some("x"), None, 10).await.unwrap(), [e]);
}

pub async fn an_appended_event_reads_back_by_id(h: Harness) {
    let e = event("x", "message");
    h.store.append_event(&e).await.unwrap();
    h.store.append_event(&event("y", "qr")).await.unwrap();
    assert_eq!(h.store.get_event(&e.id).await.unwrap(), Some(e));
    let missing = uuid::Uuid::now_v7().to_string();
    assert_eq!(h.store.get_event(&missing).await.unwrap(), None);
}

pub async fn concurrent_writers_lose_nothing(h: Harness) {
    h.store
        .insert_connection(&pending("shared", 0))
        .await
        .unwrap();
    let base = now();
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let store = h.store.clone();
        tasks.spawn(async move {
            store
                .insert_connection(&pending(&format!("w{i:02}"), 0))
                .await
                .unwrap();
            let patch = ConnectionPatch {
                last_active: Some(base + TimeDelta::seconds(i)),
                ..Default::default()
            };
            store.update_connection("shared", patch).await.unwrap();
            store
                .append_event(&event("shared", &format!("t{i}")))
                .await
                .unwrap();
        });
    }
    let deadline = Duration::from_secs(60);
    tokio::time::timeout(deadline, async {
        while let Some(joined) = tasks.join_next().await {
            joined.unwrap();
        }
    })
    .await
    .expect("20 concurrent writers did not finish within 60 s");

    assert_eq!(h.store.list_connections(false).await.unwrap().len(), 21);
    assert_eq!(
        h.store
            .list_events(Some("shared"), None, 100)
            .await
            .unwrap()
            .len(),
        20
    );
    let shared = h.store.get_connection("shared").await.unwrap().unwrap();
    let active = shared.last_active.unwrap();
    assert!(active >= base && active <= base + TimeDelta::seconds(19));
}

pub async fn ping_answers(h: Harness) {
    h.store.ping().await.unwrap();
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}
