//! Sends beyond text, end to end through Chromium and the simulator: locations, contact cards,
//! polls, replies, mentions and link previews — what the simulator recorded, what the gateway
//! tracked, and the documented error for each bad input (with nothing sent).

mod common;

use common::actions::{ALICE, BOB, CAROL};
use common::{spawn_app, TestApp};
use serde_json::{json, Value};
use wa_sim::InboundMessage;

/// Sends `body` and expects the documented error; the simulator records nothing.
async fn refused(app: &TestApp, conn: &str, body: Value, status: u16, code: &str) {
    let before = app.sim.sent_messages(ALICE).len();
    let r = app
        .api
        .post(&format!("/wa/send/{conn}"), body.clone())
        .await;
    assert_eq!(r.status, status, "{body} -> {}", r.body);
    assert_eq!(r.error_code(), code, "{body}");
    assert_eq!(
        app.sim.sent_messages(ALICE).len(),
        before,
        "{body} sent nothing"
    );
}

#[tokio::test]
async fn a_location_cards_and_a_poll_are_sent_and_tracked_as_whatsapp_types_them() {
    let app = spawn_app().await;
    let conn = app.link(ALICE, "Alice").await;

    let location = json!({"latitude": 24.8607, "longitude": 67.0011, "name": "Mazar-e-Quaid",
                          "address": "Karachi", "url": "https://maps.example.com/q"});
    let id = app
        .send_json(&conn, BOB, json!({"location": location}))
        .await;
    let sent = app.recorded(ALICE, &id).await;
    assert_eq!(sent.kind, "location");
    assert_eq!(sent.raw["lat"], 24.8607);
    assert_eq!(sent.raw["lng"], 67.0011);
    assert_eq!(sent.raw["loc"], "Mazar-e-Quaid\nKarachi");
    assert_eq!(sent.raw["clientUrl"], "https://maps.example.com/q");
    assert_eq!(app.tracked(&id).await["type"], "location");

    let card = json!({"contacts": [{"name": "Bob", "phone": "+92 300 7654321"}]});
    let id = app.send_json(&conn, BOB, card).await;
    let sent = app.recorded(ALICE, &id).await;
    assert_eq!(sent.kind, "vcard");
    assert_eq!(sent.raw["vcardFormattedName"], "Bob");
    let vcard = sent.raw["body"].as_str().unwrap();
    assert!(vcard.contains("waid=923007654321:+923007654321"), "{vcard}");
    assert_eq!(app.tracked(&id).await["type"], "vcard");

    let raw_card = "BEGIN:VCARD\nVERSION:3.0\nFN:Carol\nTEL;type=CELL;waid=14155550123:+14155550123\nEND:VCARD";
    let cards = json!({"contacts": [{"name": "Bob", "phone": BOB}, {"vcard": raw_card}]});
    let id = app.send_json(&conn, BOB, cards).await;
    let sent = app.recorded(ALICE, &id).await;
    assert_eq!(sent.kind, "multi_vcard");
    let list = sent.raw["vcardList"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    assert_eq!(list[1]["vcard"], raw_card);
    assert_eq!(list[1]["displayName"], "Carol");
    assert_eq!(app.tracked(&id).await["type"], "multi_vcard");

    let poll = json!({"poll": {"name": "Lunch?", "options": ["Biryani", "Karahi", "Nihari"], "multiple": true}});
    let id = app.send_json(&conn, BOB, poll).await;
    let sent = app.recorded(ALICE, &id).await;
    assert_eq!(sent.kind, "poll_creation");
    assert_eq!(sent.raw["pollName"], "Lunch?");
    let names: Vec<&str> = sent.raw["pollOptions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Biryani", "Karahi", "Nihari"]);
    assert_eq!(sent.raw["pollSelectableOptionsCount"], 0);
    assert_eq!(app.tracked(&id).await["type"], "poll_creation");
    app.shutdown().await;
}

#[tokio::test]
async fn a_reply_quotes_mentions_name_and_known_links_get_a_preview() {
    let app = spawn_app().await;
    let conn = app.link(ALICE, "Alice").await;
    let question = app
        .sim
        .send_inbound(InboundMessage::text(ALICE, BOB, "Lunch at 1?"))
        .await
        .unwrap();
    app.tracked(&question).await;

    let id = app
        .send_json(&conn, BOB, json!({"message": "Yes!", "replyTo": question}))
        .await;
    let sent = app.recorded(ALICE, &id).await;
    assert_eq!(sent.body, "Yes!");
    assert_eq!(sent.raw["quotedMsg"]["body"], "Lunch at 1?");
    assert_eq!(sent.raw["quotedParticipant"], format!("{BOB}@c.us"));
    assert!(question.contains(sent.raw["quotedStanzaID"].as_str().unwrap()));

    let text = format!("Ask @{CAROL} too");
    let id = app
        .send_json(
            &conn,
            BOB,
            json!({"message": text, "mentions": [format!("+{CAROL}")]}),
        )
        .await;
    let sent = app.recorded(ALICE, &id).await;
    assert_eq!(
        sent.raw["mentionedJidList"],
        json!([format!("{CAROL}@c.us")])
    );

    app.sim.set_link_preview(
        "https://example.com/menu",
        "Today's menu",
        "Biryani and more",
    );
    let id = app
        .send_json(
            &conn,
            BOB,
            json!({"message": "See https://example.com/menu", "linkPreview": true}),
        )
        .await;
    let sent = app.recorded(ALICE, &id).await;
    assert_eq!(sent.raw["title"], "Today's menu");
    assert_eq!(sent.raw["preview"], true);
    assert_eq!(sent.raw["subtype"], "url");
    let id = app
        .send_json(
            &conn,
            BOB,
            json!({"message": "See https://unknown.example.org/x", "linkPreview": true}),
        )
        .await;
    let sent = app.recorded(ALICE, &id).await;
    assert!(
        sent.raw.get("preview").is_none(),
        "no preview for an unknown link: {}",
        sent.raw
    );
    app.shutdown().await;
}

#[tokio::test]
async fn bad_parts_get_their_documented_errors_and_send_nothing() {
    let app = spawn_app().await;
    let conn = app.link(ALICE, "Alice").await;
    let here = json!({"latitude": 1.0, "longitude": 2.0});
    let poll = |options: Value| json!({"to": BOB, "poll": {"name": "Q", "options": options}});
    let bad_requests = [
        json!({"to": BOB}),
        json!({"to": BOB, "message": "hi", "location": here}),
        json!({"to": BOB, "location": here, "poll": {"name": "Q", "options": ["a", "b"]}}),
        json!({"to": BOB, "location": {"latitude": 91.0, "longitude": 2.0}}),
        json!({"to": BOB, "location": {"latitude": 1.0, "longitude": 2.0, "url": "ftp://x"}}),
        json!({"to": BOB, "contacts": []}),
        json!({"to": BOB, "contacts": [{"name": "Bob", "phone": "12"}]}),
        json!({"to": BOB, "contacts": [{"vcard": "not a card"}]}),
        poll(json!(["only"])),
        poll(json!(["same", "same"])),
        poll(json!((0..13).map(|i| i.to_string()).collect::<Vec<_>>())),
        json!({"to": BOB, "message": "hi", "mentions": [CAROL]}),
        json!({"to": BOB, "location": here, "linkPreview": true}),
        json!({"to": BOB, "message": "hi", "replyTo": ""}),
    ];
    for body in bad_requests {
        refused(&app, &conn, body, 400, "INVALID_REQUEST").await;
    }
    let unknown = json!({"to": BOB, "message": "hi", "replyTo": "false_923007654321@c.us_3A00000000000000FFFF"});
    refused(&app, &conn, unknown, 404, "NOT_FOUND").await;

    let gone = app
        .sim
        .send_inbound(InboundMessage::text(ALICE, BOB, "oops"))
        .await
        .unwrap();
    app.tracked(&gone).await;
    app.sim.revoke(ALICE, BOB, &gone).unwrap();
    app.event_data(&conn, "message_revoke", |d| d["messageId"] == gone.as_str())
        .await;
    let reply = json!({"to": BOB, "message": "what?", "replyTo": gone});
    refused(&app, &conn, reply, 409, "CONFLICT").await;
    app.shutdown().await;
}

#[tokio::test]
async fn the_kinds_are_tracked_in_mongodb_too() {
    let Some(uri) = common::skip::mongo_uri() else {
        return;
    };
    let db = common::mongo::database_name();
    let env = vec![("MONGO_URI", uri.clone()), ("MONGO_DB", db.clone())];
    let app = common::spawn_app_with(common::Options {
        env,
        ..Default::default()
    })
    .await;
    let conn = app.link(ALICE, "Alice").await;
    let here = json!({"location": {"latitude": 1.5, "longitude": 2.5}});
    let poll = json!({"poll": {"name": "Q", "options": ["a", "b"]}});
    for (body, kind) in [(here, "location"), (poll, "poll_creation")] {
        let id = app.send_json(&conn, BOB, body).await;
        assert_eq!(app.tracked(&id).await["type"], kind);
    }
    app.shutdown().await;
    common::mongo::drop_database(&uri, &db).await;
}
