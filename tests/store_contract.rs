//! The store contract: every case runs against both backends, SQLite in a temp dir and MongoDB at
//! `TEST_MONGO_URI` (a fresh database per case, dropped afterwards). Start a local server with
//! `.ci/mongo-test-server.sh`; `WA_SKIP_MONGO=1` skips the MongoDB half, reported as skipped
//! (and failed under CI, see `common/skip.rs`).

#[path = "store_contract/harness.rs"]
mod harness;
#[path = "common/skip.rs"]
mod skip;

use std::time::Duration;

use chrono::TimeDelta;
use harness::{run, Harness, Kind};
use serde_json::json;
use wa_gateway::store::{
    now, Connection, ConnectionPatch, ConnectionStatus, Profile, StatusChange, StoreError,
    StoredEvent, DEFAULT_TENANT,
};

/// Expands each case of `module` into `case::sqlite` and `case::mongo` tests.
macro_rules! contract {
    ($module:ident: $($case:ident),* $(,)?) => {$(
        mod $case {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::run(super::Kind::Sqlite, super::$module::$case).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mongo() {
                super::run(super::Kind::Mongo, super::$module::$case).await;
            }
        }
    )*};
}

contract!(cases:
    an_inserted_connection_reads_back_equal,
    inserting_an_existing_id_is_a_conflict,
    listing_orders_by_creation_and_hides_archived_records,
    a_status_change_keeps_the_reason_only_when_disconnected,
    connections_with_status_skips_archived_and_other_statuses,
    a_patch_changes_only_the_given_fields_and_bumps_updated_at,
    updating_a_missing_connection_is_not_found,
    archiving_stamps_archived_at_and_unarchiving_clears_it,
    a_saved_archive_loads_back_and_is_described_in_session_data,
    replacing_an_archive_drops_the_old_copy,
    deleting_an_archive_clears_session_data_and_is_idempotent,
    saving_an_archive_for_a_missing_connection_is_not_found,
    a_30_mb_archive_round_trips,
    a_corrupted_archive_is_reported_not_returned,
    events_list_in_id_order_with_filters_and_limit,
    appending_an_existing_event_id_is_a_conflict,
    event_data_round_trips_as_json,
    an_appended_event_reads_back_by_id,
    concurrent_writers_lose_nothing,
    ping_answers,
);

contract!(webhook_cases:
    a_webhook_reads_back_equal_and_a_second_put_replaces_it,
    deleting_a_webhook_reports_whether_there_was_one,
    a_cursor_is_absent_until_set_and_a_second_set_overwrites_it,
);

contract!(delivery_cases:
    an_inserted_delivery_reads_back_equal_and_an_update_replaces_it,
    a_second_delivery_for_the_same_event_and_target_is_a_conflict,
    updating_a_missing_delivery_is_not_found,
    pending_deliveries_come_in_event_order_without_finished_ones,
    deliveries_list_newest_first_filtered_and_paged,
);

contract!(message_cases:
    an_inserted_message_reads_back_by_id_with_or_without_its_connection,
    a_message_id_repeated_on_one_connection_is_a_conflict_but_not_on_another,
    acks_move_the_status_forward_and_each_ack_value_is_recorded_once,
    a_negative_ack_marks_the_message_failed,
    an_ack_for_an_unknown_message_changes_nothing,
    concurrent_acks_on_one_message_lose_no_step,
    messages_list_newest_first_by_direction_and_page,
    media_edits_and_deletes_are_kept_and_an_ack_meanwhile_is_not_lost,
);

contract!(idempotency_cases:
    a_key_is_claimed_once_then_reports_in_progress_completed_or_mismatch,
    a_released_claim_can_be_claimed_again_but_a_completed_key_stays,
    keys_on_different_connections_are_independent,
    concurrent_claims_of_one_key_have_exactly_one_winner,
    completing_an_unclaimed_key_is_not_found,
);

contract!(number_check_cases:
    stored_checks_read_back_equal_and_only_for_the_asked_numbers,
    checks_older_than_since_are_left_out_and_a_new_answer_replaces_the_old,
    checks_of_different_connections_are_independent,
);

contract!(sleep_cases:
    sleep_states_read_back_equal,
    a_wake_replaces_the_sleep_state,
);

contract!(media_cases:
    stored_media_reads_back_equal_byte_for_byte,
    the_same_bytes_are_stored_once_for_two_messages,
    the_sweep_removes_old_rows_and_blobs_no_row_names,
    a_blob_that_is_not_there_is_not_found,
);

contract!(tenant_cases:
    a_connection_keeps_its_tenant_through_reads_and_updates,
);

contract!(api_key_cases:
    an_inserted_api_key_is_found_by_its_hash_revoked_or_not,
    a_second_key_with_the_same_id_or_hash_is_a_conflict,
    api_keys_list_in_creation_order_for_one_tenant_or_all,
    revoking_keeps_the_first_time_and_an_unknown_id_is_none,
    concurrent_revokes_agree_on_one_time,
    concurrent_inserts_of_distinct_keys_all_land,
    concurrent_inserts_of_one_hash_have_exactly_one_winner,
);

fn pending(id: &str, minutes_ago: i64) -> Connection {
    Connection::new_pending(id, DEFAULT_TENANT, now() - TimeDelta::minutes(minutes_ago))
}

fn disconnect(reason: &str) -> ConnectionPatch {
    ConnectionPatch {
        status: Some(StatusChange {
            status: ConnectionStatus::Disconnected,
            reason: Some(reason.into()),
        }),
        ..Default::default()
    }
}

fn archive_patch(archived: bool) -> ConnectionPatch {
    ConnectionPatch {
        archived: Some(archived),
        ..Default::default()
    }
}

fn ids(conns: &[Connection]) -> Vec<&str> {
    conns.iter().map(|c| c.connection_id.as_str()).collect()
}

/// Incompressible, deterministic bytes that never start with a zero byte.
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    let mut out: Vec<u8> = (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect();
    if let Some(first) = out.first_mut() {
        *first |= 1;
    }
    out
}

fn event(connection_id: &str, name: &str) -> StoredEvent {
    StoredEvent {
        id: uuid::Uuid::now_v7().to_string(),
        event: name.into(),
        connection_id: connection_id.into(),
        timestamp: now(),
        data: json!({ "n": name }),
    }
}

#[path = "store_contract/api_key_cases.rs"]
mod api_key_cases;
#[path = "store_contract/cases.rs"]
mod cases;
#[path = "store_contract/delivery_cases.rs"]
mod delivery_cases;
#[path = "store_contract/idempotency_cases.rs"]
mod idempotency_cases;
#[path = "store_contract/media_cases.rs"]
mod media_cases;
#[path = "store_contract/message_cases.rs"]
mod message_cases;
#[path = "store_contract/number_check_cases.rs"]
mod number_check_cases;
#[path = "store_contract/sleep_cases.rs"]
mod sleep_cases;
#[path = "store_contract/tenant_cases.rs"]
mod tenant_cases;
#[path = "store_contract/webhook_cases.rs"]
mod webhook_cases;

mod sqlite_only {
    use wa_gateway::store::sqlite::SqliteStore;
    use wa_gateway::store::{open, Connection, Role, StoreSettings, DEFAULT_TENANT};

    use super::{now, pending};

    #[tokio::test]
    async fn the_file_is_created_in_a_missing_data_dir_and_survives_a_reopen() {
        let tmp = tempfile::tempdir().unwrap();
        let settings = StoreSettings {
            mongo_uri: None,
            mongo_db: None,
            data_dir: tmp.path().join("nested/data"),
        };
        let store = open(&settings).await.unwrap();
        let kept = pending("kept", 0);
        store.insert_connection(&kept).await.unwrap();
        drop(store);

        assert!(SqliteStore::file_path(&settings.data_dir).is_file());
        // A second open re-runs the migrations, which must be a no-op on a current schema.
        let reopened = open(&settings).await.unwrap();
        assert_eq!(reopened.get_connection("kept").await.unwrap(), Some(kept));
    }

    #[tokio::test]
    async fn a_file_from_the_first_schema_opens_and_gains_the_tracking_tables_and_tenants() {
        let tmp = tempfile::tempdir().unwrap();
        let settings = StoreSettings {
            mongo_uri: None,
            mongo_db: None,
            data_dir: tmp.path().to_owned(),
        };
        let kept = Connection::new_pending("kept", "acme", now());
        open(&settings)
            .await
            .unwrap()
            .insert_connection(&kept)
            .await
            .unwrap();
        // Turn the file back into what a build with only the first migration left behind
        // (dropping the tenant column drops the row's tenant with it).
        let old = rusqlite::Connection::open(SqliteStore::file_path(tmp.path())).unwrap();
        old.execute_batch(
            "DROP TABLE webhooks; DROP TABLE deliveries; DROP TABLE cursors;
             DROP TABLE messages; DROP TABLE idempotency; DROP TABLE api_keys;
             DROP INDEX connections_tenant; ALTER TABLE connections DROP COLUMN tenant;
             PRAGMA user_version = 1;",
        )
        .unwrap();
        drop(old);

        let store = open(&settings).await.unwrap();
        let migrated = Connection {
            tenant: DEFAULT_TENANT.into(),
            ..kept
        };
        assert_eq!(store.get_connection("kept").await.unwrap(), Some(migrated));
        store.set_cursor("fanout", "1").await.unwrap();
        assert_eq!(
            store.get_cursor("fanout").await.unwrap().as_deref(),
            Some("1")
        );
        let key = super::api_key_cases::api_key("k", "acme", Role::Admin, 0);
        store.insert_api_key(&key).await.unwrap();
        assert_eq!(store.list_api_keys(None).await.unwrap(), [key]);
    }
}

mod mongo_only {
    use std::time::{Duration, Instant};

    use mongodb::bson::{doc, Bson, Document};
    use wa_gateway::store::mongo::MongoStore;
    use wa_gateway::store::StoreError;

    use super::harness::{run, Backend, Harness, Kind};
    use super::pending;

    #[tokio::test]
    async fn an_unreachable_server_is_reported_unavailable_within_seconds() {
        let started = Instant::now();
        // Port 1 on loopback refuses connections: nothing listens there.
        let err = MongoStore::connect("mongodb://127.0.0.1:1/", None)
            .await
            .err()
            .expect("connect to a dead server must fail");
        assert!(matches!(err, StoreError::Unavailable(_)), "got {err:?}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "took {:?}",
            started.elapsed()
        );
    }

    #[tokio::test]
    async fn documents_keep_the_seed_field_names_and_bson_dates() {
        run(Kind::Mongo, |h: Harness| async move {
            h.store
                .insert_connection(&pending("seed", 0))
                .await
                .unwrap();
            h.store.save_archive("seed", b"profile").await.unwrap();
            let Backend::Mongo(db) = &h.backend else {
                unreachable!()
            };
            let raw = db
                .collection::<Document>("connections")
                .find_one(doc! { "connectionId": "seed" })
                .await
                .unwrap()
                .unwrap();

            assert_eq!(raw.get_str("status").unwrap(), "pending");
            for key in ["createdAt", "updatedAt"] {
                assert!(
                    matches!(raw.get(key), Some(Bson::DateTime(_))),
                    "{key}: {raw}"
                );
            }
            let session = raw.get_document("sessionData").unwrap();
            assert!(matches!(session.get("savedAt"), Some(Bson::DateTime(_))));
            let archive_id = session.get_str("archiveId").unwrap();
            let files = db.collection::<Document>("loginArchives.files");
            assert!(files
                .find_one(doc! { "_id": archive_id })
                .await
                .unwrap()
                .is_some());
        })
        .await;
    }

    #[tokio::test]
    async fn a_connection_document_without_a_tenant_reads_as_the_default_tenant() {
        let case = super::tenant_cases::mongo_a_document_without_a_tenant_reads_as_the_default;
        run(Kind::Mongo, case).await;
    }

    #[tokio::test]
    async fn api_key_documents_use_camel_case_names_bson_dates_and_their_indexes() {
        let case =
            super::api_key_cases::mongo_documents_use_camel_case_bson_dates_and_their_indexes;
        run(Kind::Mongo, case).await;
    }

    #[tokio::test]
    async fn tracking_documents_use_camel_case_names_bson_dates_and_their_indexes() {
        run(Kind::Mongo, |h: Harness| async move {
            let message = super::message_cases::outbound("c1", "true_1@c.us_DOC");
            h.store.insert_message(&message).await.unwrap();
            h.store
                .apply_ack("c1", "true_1@c.us_DOC", 2, super::now())
                .await
                .unwrap();
            let Backend::Mongo(db) = &h.backend else {
                unreachable!()
            };
            let raw = db
                .collection::<Document>("messages")
                .find_one(doc! { "messageId": "true_1@c.us_DOC" })
                .await
                .unwrap()
                .unwrap();
            assert_eq!(raw.get_str("connectionId").unwrap(), "c1");
            assert_eq!(raw.get_str("status").unwrap(), "delivered");
            let step = raw.get_array("acks").unwrap()[0].as_document().unwrap();
            for (doc, key) in [(&raw, "createdAt"), (&raw, "updatedAt"), (step, "at")] {
                assert!(
                    matches!(doc.get(key), Some(Bson::DateTime(_))),
                    "{key}: {raw}"
                );
            }

            let expected = [
                ("webhooks", vec!["connectionId_1"]),
                (
                    "deliveries",
                    vec![
                        "id_1",
                        "eventId_1_target_1",
                        "status_1_eventId_1",
                        "connectionId_1",
                    ],
                ),
                ("cursors", vec!["name_1"]),
                (
                    "messages",
                    vec![
                        "connectionId_1_messageId_1",
                        "messageId_1",
                        "connectionId_1_seq_1",
                    ],
                ),
                ("idempotency", vec!["connectionId_1_key_1"]),
            ];
            for (collection, indexes) in expected {
                let names = db
                    .collection::<Document>(collection)
                    .list_index_names()
                    .await
                    .unwrap();
                for index in indexes {
                    assert!(names.iter().any(|n| n == index), "{collection}: {names:?}");
                }
            }
        })
        .await;
    }
}
