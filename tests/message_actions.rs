//! Acting on messages and chats end to end (Chromium, the simulator, the store): reactions,
//! edits, deletes, votes, read receipts, typing, presence and per-recipient receipts — what the
//! simulator recorded, the events, and WhatsApp's refusals; then every kind of inbound message
//! and action as the `message`, `message_reaction`, `message_edit`, `message_revoke` and
//! `poll_vote` events carry it.

mod common;

use common::actions::{ALICE, BOB, CAROL};
use common::{eventually, spawn_app, TestApp, LINK_TIMEOUT};
use serde_json::{json, Value};
use wa_sim::{AckBehaviour, InboundLocation, InboundMessage, EDIT_WINDOW_SECS, REVOKE_WINDOW_SECS};

async fn call(app: &TestApp, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
    let r = app.api.call(method, path, body).await;
    (r.status.as_u16(), r.body)
}

/// Expects the documented error `code` with `status`.
async fn refused(
    app: &TestApp,
    method: &str,
    path: &str,
    body: Option<Value>,
    status: u16,
    code: &str,
) {
    let r = app.api.call(method, path, body).await;
    assert_eq!(r.status, status, "{method} {path}: {}", r.body);
    assert_eq!(r.error_code(), code, "{method} {path}");
}

/// The page learns a message's new age from the servers a moment after the simulator changed it:
/// an edit is refused (`409 CONFLICT`, too old) once it has.
async fn edit_refused_once_aged(app: &TestApp, id: &str) {
    let path = format!("/wa/messages/{id}");
    eventually("the edit is refused as too old", LINK_TIMEOUT, || async {
        let r = app
            .api
            .call("PATCH", &path, Some(json!({"message": "too late"})))
            .await;
        (r.status == 409 && r.error_code() == "CONFLICT").then_some(())
    })
    .await;
}

/// The `field` of the first `count` actions of `kind` the simulator recorded, once it has them
/// (a page's frame reaches the servers a moment after the API answered).
async fn recorded_values(app: &TestApp, kind: &str, field: &str, count: usize) -> Vec<Value> {
    eventually(&format!("{count} {kind} actions"), LINK_TIMEOUT, || async {
        let values: Vec<Value> = app
            .sim
            .device_actions(ALICE)
            .into_iter()
            .filter(|a| a.kind == kind)
            .map(|a| a.data[field].clone())
            .collect();
        (values.len() >= count).then_some(values)
    })
    .await
}

#[tokio::test]
async fn reactions_edits_and_deletes_reach_whatsapp_and_what_it_refuses_is_refused() {
    let app = spawn_app().await;
    let conn = app.link(ALICE, "Alice").await;
    let mine = app
        .send_json(&conn, BOB, json!({"message": "See you at 1"}))
        .await;

    let path = format!("/wa/messages/{mine}/reaction");
    let (status, body) = call(&app, "POST", &path, Some(json!({"emoji": "👍"}))).await;
    assert_eq!((status, &body["emoji"]), (200, &json!("👍")), "{body}");
    let action = app.device_action(ALICE, "reaction", &mine).await;
    assert_eq!(action.data["reactionText"], "👍");
    let event = app
        .event_data(&conn, "message_reaction", |d| {
            d["messageId"] == mine.as_str()
        })
        .await;
    assert_eq!(
        (event["action"].as_str(), event["fromMe"].as_bool()),
        (Some("added"), Some(true))
    );
    let (status, _) = call(&app, "POST", &path, Some(json!({"emoji": ""}))).await;
    assert_eq!(status, 200);
    app.event_data(&conn, "message_reaction", |d| {
        d["messageId"] == mine.as_str() && d["action"] == "removed"
    })
    .await;
    refused(
        &app,
        "POST",
        &path,
        Some(json!({"emoji": "ok"})),
        400,
        "INVALID_REQUEST",
    )
    .await;

    let (status, body) = call(
        &app,
        "PATCH",
        &format!("/wa/messages/{mine}"),
        Some(json!({"message": "See you at 2"})),
    )
    .await;
    assert_eq!(
        (status, &body["body"]),
        (200, &json!("See you at 2")),
        "{body}"
    );
    assert_eq!(
        app.device_action(ALICE, "edit", &mine).await.data["text"],
        "See you at 2"
    );
    assert_eq!(app.recorded(ALICE, &mine).await.body, "See you at 2");
    let edit = app
        .event_data(&conn, "message_edit", |d| d["messageId"] == mine.as_str())
        .await;
    assert_eq!(
        (edit["oldText"].as_str(), edit["newText"].as_str()),
        (Some("See you at 1"), Some("See you at 2"))
    );

    let (status, body) = call(
        &app,
        "DELETE",
        &format!("/wa/messages/{mine}?for=everyone"),
        None,
    )
    .await;
    assert_eq!((status, &body["for"]), (200, &json!("everyone")), "{body}");
    app.device_action(ALICE, "revoke", &mine).await;
    let revoke = app
        .event_data(&conn, "message_revoke", |d| d["messageId"] == mine.as_str())
        .await;
    assert_eq!(revoke["previous"]["body"], "See you at 2");
    refused(
        &app,
        "PATCH",
        &format!("/wa/messages/{mine}"),
        Some(json!({"message": "x"})),
        409,
        "CONFLICT",
    )
    .await;

    // Past the edit window a message can still be deleted for everyone; past both, neither.
    let older = app
        .send_json(&conn, BOB, json!({"message": "an hour ago"}))
        .await;
    app.recorded(ALICE, &older).await;
    app.sim
        .age_sent(ALICE, &older, EDIT_WINDOW_SECS + 60)
        .unwrap();
    edit_refused_once_aged(&app, &older).await;
    let (status, body) = call(
        &app,
        "DELETE",
        &format!("/wa/messages/{older}?for=everyone"),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let oldest = app
        .send_json(&conn, BOB, json!({"message": "last week"}))
        .await;
    app.recorded(ALICE, &oldest).await;
    app.sim
        .age_sent(ALICE, &oldest, REVOKE_WINDOW_SECS + 60)
        .unwrap();
    edit_refused_once_aged(&app, &oldest).await;
    refused(
        &app,
        "DELETE",
        &format!("/wa/messages/{oldest}?for=everyone"),
        None,
        409,
        "CONFLICT",
    )
    .await;

    let theirs = app
        .sim
        .send_inbound(InboundMessage::text(ALICE, BOB, "hello"))
        .await
        .unwrap();
    app.tracked(&theirs).await;
    refused(
        &app,
        "PATCH",
        &format!("/wa/messages/{theirs}"),
        Some(json!({"message": "mine now"})),
        403,
        "FORBIDDEN",
    )
    .await;
    refused(
        &app,
        "DELETE",
        &format!("/wa/messages/{theirs}?for=everyone"),
        None,
        403,
        "FORBIDDEN",
    )
    .await;
    refused(
        &app,
        "DELETE",
        &format!("/wa/messages/{theirs}"),
        None,
        400,
        "INVALID_REQUEST",
    )
    .await;
    refused(
        &app,
        "DELETE",
        &format!("/wa/messages/{theirs}?for=them"),
        None,
        400,
        "INVALID_REQUEST",
    )
    .await;
    let (status, body) = call(
        &app,
        "DELETE",
        &format!("/wa/messages/{theirs}?for=me"),
        None,
    )
    .await;
    assert_eq!((status, &body["for"]), (200, &json!("me")), "{body}");
    app.device_action(ALICE, "delete_for_me", &theirs).await;

    let unknown = "false_923007654321@c.us_3A0000000000000000";
    refused(
        &app,
        "POST",
        &format!("/wa/messages/{unknown}/reaction"),
        Some(json!({"emoji": "👍"})),
        404,
        "NOT_FOUND",
    )
    .await;
    refused(
        &app,
        "PATCH",
        &format!("/wa/messages/{unknown}"),
        Some(json!({"message": "x"})),
        404,
        "NOT_FOUND",
    )
    .await;
    refused(
        &app,
        "DELETE",
        &format!("/wa/messages/{unknown}?for=me"),
        None,
        404,
        "NOT_FOUND",
    )
    .await;
    refused(
        &app,
        "POST",
        &format!("/wa/messages/{unknown}/vote"),
        Some(json!({"options": []})),
        404,
        "NOT_FOUND",
    )
    .await;
    refused(
        &app,
        "GET",
        &format!("/wa/messages/{unknown}/receipts"),
        None,
        404,
        "NOT_FOUND",
    )
    .await;
    app.shutdown().await;
}

#[tokio::test]
async fn polls_are_voted_in_both_ways_and_bad_votes_are_refused() {
    let app = spawn_app().await;
    let conn = app.link(ALICE, "Alice").await;
    let inbound =
        InboundMessage::text(ALICE, BOB, "").poll("Lunch?", &["Biryani", "Karahi"], false);
    let poll = app.sim.send_inbound(inbound).await.unwrap();
    let message = app
        .event_data(&conn, "message", |d| d["id"] == poll.as_str())
        .await;
    assert_eq!(message["type"], "poll_creation");
    assert_eq!(
        message["poll"],
        json!({"name": "Lunch?", "options": ["Biryani", "Karahi"], "multiple": false})
    );
    app.tracked(&poll).await;

    let path = format!("/wa/messages/{poll}/vote");
    let (status, body) = call(&app, "POST", &path, Some(json!({"options": ["Karahi"]}))).await;
    assert_eq!(status, 200, "{body}");
    let vote = app.device_action(ALICE, "poll_vote", &poll).await;
    assert_eq!(vote.data["selectedOptionLocalIds"], json!([1]));
    let event = app
        .event_data(&conn, "poll_vote", |d| {
            d["pollId"] == poll.as_str() && d["fromMe"] == true
        })
        .await;
    assert_eq!(event["selectedOptions"], json!(["Karahi"]));
    refused(
        &app,
        "POST",
        &path,
        Some(json!({"options": ["Pizza"]})),
        400,
        "INVALID_REQUEST",
    )
    .await;
    refused(
        &app,
        "POST",
        &path,
        Some(json!({"options": ["Biryani", "Karahi"]})),
        400,
        "INVALID_REQUEST",
    )
    .await;

    app.sim.vote(ALICE, BOB, &poll, &["Biryani"]).unwrap();
    let theirs = app
        .event_data(&conn, "poll_vote", |d| {
            d["pollId"] == poll.as_str() && d["fromMe"] == false
        })
        .await;
    assert_eq!(
        (&theirs["selectedOptions"], &theirs["voterPhone"]),
        (&json!(["Biryani"]), &json!(BOB))
    );

    let text = app
        .send_json(&conn, BOB, json!({"message": "not a poll"}))
        .await;
    app.recorded(ALICE, &text).await;
    let path = format!("/wa/messages/{text}/vote");
    refused(
        &app,
        "POST",
        &path,
        Some(json!({"options": ["a"]})),
        400,
        "INVALID_REQUEST",
    )
    .await;
    app.shutdown().await;
}

#[tokio::test]
async fn reads_typing_presence_and_per_recipient_receipts_reach_whatsapp() {
    let app = spawn_app().await;
    let conn = app.link(ALICE, "Alice").await;
    let chats = format!("/wa/connections/{conn}/chats");
    let bob = format!("{BOB}@c.us");
    app.sim
        .send_inbound(InboundMessage::text(ALICE, BOB, "ping"))
        .await
        .unwrap();

    let (status, body) = call(&app, "POST", &format!("{chats}/{BOB}/read"), None).await;
    assert_eq!((status, &body["chatId"]), (200, &json!(bob)), "{body}");
    app.device_action(ALICE, "read", &bob).await;
    for state in ["typing", "recording", "paused"] {
        let (status, body) = call(
            &app,
            "POST",
            &format!("{chats}/{BOB}/typing"),
            Some(json!({"state": state})),
        )
        .await;
        assert_eq!(status, 200, "{body}");
    }
    let states = recorded_values(&app, "chatstate", "state", 3).await;
    assert_eq!(
        states,
        [json!("composing"), json!("recording"), json!("paused")]
    );
    refused(
        &app,
        "POST",
        &format!("{chats}/{BOB}/typing"),
        Some(json!({"state": "dancing"})),
        400,
        "INVALID_REQUEST",
    )
    .await;
    refused(
        &app,
        "POST",
        &format!("{chats}/not-a-chat/read"),
        None,
        400,
        "INVALID_REQUEST",
    )
    .await;
    for available in [true, false] {
        let (status, _) = call(
            &app,
            "PUT",
            &format!("/wa/connections/{conn}/presence"),
            Some(json!({"available": available})),
        )
        .await;
        assert_eq!(status, 200);
    }
    let presence = recorded_values(&app, "presence", "available", 2).await;
    assert_eq!(presence, [json!(true), json!(false)]);

    app.sim
        .set_ack_behaviour(AckBehaviour::auto(50, 100, 150).up_to(1));
    let group = app.sim.create_group("Team", &[ALICE, BOB, CAROL]);
    let sent = app
        .send_json(&conn, &group, json!({"message": "Stand-up at 10"}))
        .await;
    app.recorded(ALICE, &sent).await;
    app.sim.set_receipt(ALICE, &sent, BOB, 3).unwrap();
    app.sim.set_receipt(ALICE, &sent, CAROL, 2).unwrap();
    let (status, receipts) =
        call(&app, "GET", &format!("/wa/messages/{sent}/receipts"), None).await;
    assert_eq!(status, 200, "{receipts}");
    let of = |phone: &str| {
        receipts["recipients"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["phone"] == phone)
            .cloned()
            .unwrap()
    };
    assert!(
        of(BOB)["read"].is_string() && of(BOB)["delivered"].is_string(),
        "{receipts}"
    );
    assert!(
        of(CAROL)["delivered"].is_string() && of(CAROL)["read"].is_null(),
        "{receipts}"
    );
    assert_eq!(
        (
            receipts["deliveryRemaining"].as_i64(),
            receipts["readRemaining"].as_i64()
        ),
        (Some(0), Some(1))
    );

    let theirs = app
        .sim
        .send_inbound(InboundMessage::text(ALICE, BOB, "pong"))
        .await
        .unwrap();
    app.tracked(&theirs).await;
    refused(
        &app,
        "GET",
        &format!("/wa/messages/{theirs}/receipts"),
        None,
        409,
        "CONFLICT",
    )
    .await;
    app.shutdown().await;
}

#[tokio::test]
async fn every_kind_of_inbound_message_and_action_arrives_as_its_event() {
    let app = spawn_app().await;
    let conn = app.link(ALICE, "Alice").await;
    let here = InboundLocation {
        latitude: 24.86,
        longitude: 67.0,
        name: Some("Mazar".into()),
        address: Some("Karachi".into()),
        url: None,
    };
    let location = app
        .sim
        .send_inbound(InboundMessage::text(ALICE, BOB, "").location(here))
        .await
        .unwrap();
    let data = app
        .event_data(&conn, "message", |d| d["id"] == location.as_str())
        .await;
    assert_eq!(
        data["location"],
        json!({"latitude": 24.86, "longitude": 67.0, "name": "Mazar", "address": "Karachi", "url": null})
    );

    let card = "BEGIN:VCARD\nVERSION:3.0\nFN:Carol\nTEL;type=CELL;waid=14155550123:+14155550123\nEND:VCARD";
    let one = app
        .sim
        .send_inbound(InboundMessage::text(ALICE, BOB, "").vcards(&[card]))
        .await
        .unwrap();
    let data = app
        .event_data(&conn, "message", |d| d["id"] == one.as_str())
        .await;
    assert_eq!(
        (&data["type"], &data["contacts"]),
        (&json!("vcard"), &json!([{"vcard": card, "name": "Carol"}]))
    );
    let two = app
        .sim
        .send_inbound(InboundMessage::text(ALICE, BOB, "").vcards(&[card, card]))
        .await
        .unwrap();
    let data = app
        .event_data(&conn, "message", |d| d["id"] == two.as_str())
        .await;
    assert_eq!(
        (&data["type"], data["contacts"].as_array().map(Vec::len)),
        (&json!("multi_vcard"), Some(2))
    );

    let question = app
        .send_json(&conn, BOB, json!({"message": "Lunch?"}))
        .await;
    app.recorded(ALICE, &question).await;
    let text = format!("Yes, and @{CAROL} too");
    let reply = InboundMessage::text(ALICE, BOB, &text)
        .reply_to(&question)
        .mentions(&[CAROL]);
    let reply = app.sim.send_inbound(reply).await.unwrap();
    let data = app
        .event_data(&conn, "message", |d| d["id"] == reply.as_str())
        .await;
    assert_eq!(
        data["quoted"],
        json!({"id": question, "body": "Lunch?", "type": "chat", "from": format!("{ALICE}@c.us")})
    );
    assert_eq!(data["mentions"], json!([CAROL]));

    app.sim.react(ALICE, BOB, &question, "❤️").unwrap();
    let data = app
        .event_data(&conn, "message_reaction", |d| {
            d["messageId"] == question.as_str()
        })
        .await;
    assert_eq!(
        (&data["emoji"], &data["senderPhone"], &data["fromMe"]),
        (&json!("❤️"), &json!(BOB), &json!(false))
    );
    app.sim.edit(ALICE, BOB, &reply, "Yes!").unwrap();
    let data = app
        .event_data(&conn, "message_edit", |d| d["messageId"] == reply.as_str())
        .await;
    assert_eq!(
        (data["oldText"].as_str(), data["newText"].as_str()),
        (Some(text.as_str()), Some("Yes!"))
    );
    app.sim.revoke(ALICE, BOB, &reply).unwrap();
    let data = app
        .event_data(&conn, "message_revoke", |d| {
            d["messageId"] == reply.as_str()
        })
        .await;
    assert_eq!(data["previous"], json!({"type": "chat", "body": "Yes!"}));
    assert!(
        app.sim.edit(ALICE, CAROL, &location, "x").is_err(),
        "only the sender edits"
    );
    app.shutdown().await;
}
