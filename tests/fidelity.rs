//! End to end on the strict simulator: the driver follows the addressing rule, merges the
//! ephemeral fields, sends to WhatsApp's canonical number, and never guesses an `@lid` sender's
//! phone; a module that arrives only after login and is missing still names itself.

mod common;

use common::{eventually, spawn_app, LINK_TIMEOUT};
use reqwest::StatusCode;
use wa_sim::InboundMessage;

const ALICE: &str = "923001234567";
const BOB: &str = "923007654321";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_into_a_lid_mode_group_comes_from_the_own_lid_and_succeeds() {
    let app = spawn_app().await;
    let id = app.link(ALICE, "Alice").await;
    let group = app.sim.create_group("Team", &[ALICE, BOB]);
    app.sim.set_group_lid_mode(&group, true).unwrap();
    let r = app.send(&id, &group, "to a lid group").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sent = app.sim.sent_messages(ALICE);
    let last = sent.last().unwrap();
    assert_eq!(last.body, "to a lid group");
    assert!(
        last.raw["from"].as_str().unwrap().ends_with("@lid"),
        "{:?}",
        last.raw
    );
    assert!(last.ack >= 1, "{last:?}");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_into_a_disappearing_chat_carries_the_ephemeral_fields() {
    let app = spawn_app().await;
    let id = app.link(ALICE, "Alice").await;
    app.sim.set_disappearing(&format!("{BOB}@c.us"), 604800);
    let r = app.send(&id, BOB, "this will vanish").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sent = app.sim.sent_messages(ALICE);
    let last = sent.last().unwrap();
    assert_eq!(last.ephemeral_fields, Some(true), "{:?}", last.raw);
    assert_eq!(last.raw["ephemeralDuration"], 604800);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_send_to_an_alias_number_goes_to_the_canonical_id() {
    let app = spawn_app().await;
    let id = app.link(ALICE, "Alice").await;
    app.sim.set_alias("5511912345678", "551112345678").unwrap();
    let r = app.send(&id, "5511912345678", "ola").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sent = app.sim.sent_messages(ALICE);
    assert_eq!(sent.last().unwrap().to, "551112345678@c.us");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_lid_sender_without_a_known_number_is_reported_with_a_null_phone() {
    let app = spawn_app().await;
    let id = app.link(ALICE, "Alice").await;
    app.sim
        .send_inbound(InboundMessage::text(ALICE, BOB, "guess who").hidden_phone())
        .await
        .unwrap();
    let event = eventually("the message event", LINK_TIMEOUT, || async {
        let events = app.events(&id).await;
        events.into_iter().find(|e| e.event == "message")
    })
    .await;
    assert!(
        event.data["from"].as_str().unwrap().ends_with("@lid"),
        "{:?}",
        event.data
    );
    assert!(event.data["senderPhone"].is_null(), "{:?}", event.data);
    assert!(
        !event.data.to_string().contains(BOB),
        "the number must not leak: {:?}",
        event.data
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_module_of_the_second_phase_that_is_missing_after_sync_ends_the_connection_naming_it() {
    let app = spawn_app().await;
    app.sim
        .rename_module("WAWebSendMsgChatAction", "WAWebSendMsgChatActionV2");
    let r = app.add_number().await;
    assert_eq!(
        r.status,
        StatusCode::CREATED,
        "linking modules are all there: {}",
        r.body
    );
    let id = r.body["connectionId"].as_str().unwrap().to_string();
    let qr = common::qr::decode_data_url(r.body["qr"].as_str().unwrap());
    app.scan(&id, &qr, ALICE, "Alice").await;
    let record = app.wait_status(&id, "disconnected").await;
    assert_eq!(
        record["reason"],
        "WA_WEB_INCOMPATIBLE: WAWebSendMsgChatAction"
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_driver_finds_the_adv_secret_in_its_old_home_and_sends_with_keys_lacking_serialized() {
    let app = spawn_app().await;
    app.sim.old_form("advSecret").unwrap();
    app.sim.drop_key_serialized(true);
    let id = app.link(ALICE, "Alice").await;
    let r = app.send(&id, BOB, "still works").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let sent = app.sim.sent_messages(ALICE);
    assert_eq!(r.body["messageId"], sent.last().unwrap().id.as_str());
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acks_outside_the_named_ones_are_passed_through() {
    let app = spawn_app().await;
    let id = app.link(ALICE, "Alice").await;
    let r = app.send(&id, BOB, "ack me").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let message_id = r.body["messageId"].as_str().unwrap().to_string();
    for ack in [5i8, -3] {
        assert!(app.sim.set_ack(ALICE, &message_id, ack));
        let event = eventually("the ack event", LINK_TIMEOUT, || async {
            let events = app.events(&id).await;
            events
                .into_iter()
                .find(|e| e.event == "message_ack" && e.data["ack"] == ack)
        })
        .await;
        assert_eq!(event.data["messageId"], message_id.as_str());
        assert!(event.data["ackName"].is_null(), "{:?}", event.data);
    }
    app.shutdown().await;
}
