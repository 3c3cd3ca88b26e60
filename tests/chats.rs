//! End to end on the simulator: number checks (aliases, unregistered numbers, the cache), the
//! chat list and its filters, a chat's history loaded from the phone page by page, chat actions,
//! and the chat events (archived, removed) whichever side causes them.

mod common;

use std::collections::HashSet;

use common::{eventually, spawn_app, LINK_TIMEOUT};
use reqwest::StatusCode;
use serde_json::{json, Value};
use wa_sim::InboundMessage;

const ALICE: &str = "923001234567";
const BOB: &str = "923007654321";
const CAROL: &str = "923005550000";

/// The event of that name with this `chatId`, once the gateway recorded it.
async fn chat_event(app: &common::TestApp, id: &str, name: &str, chat: &str) -> Value {
    eventually(
        &format!("a {name} event for {chat}"),
        LINK_TIMEOUT,
        || async {
            let events = app.events(id).await;
            events
                .into_iter()
                .find(|e| e.event == name && e.data["chatId"] == chat)
                .map(|e| e.data)
        },
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_check_of_100_numbers_answers_canonical_ids_and_unregistered_ones_then_from_the_cache() {
    let app = spawn_app().await;
    let id = app.link(ALICE, "Alice").await;
    let mut numbers = Vec::new();
    for i in 0..100u64 {
        let n = format!("55119{:08}", 10_000_000 + i);
        match i % 10 {
            // Typed with the mobile ninth digit; WhatsApp's id is without it.
            0 => app.sim.set_alias(&n, &format!("5511{}", &n[5..])).unwrap(),
            1 => app.sim.set_registered(&n, false),
            _ => {}
        }
        numbers.push(if i % 3 == 0 { format!("+{n}") } else { n });
    }
    let path = format!("/wa/connections/{id}/numbers/check");
    let r = app.post(&path, json!({ "numbers": numbers })).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let results = r.body["results"].as_array().unwrap();
    assert_eq!(results.len(), 100);
    for (i, res) in results.iter().enumerate() {
        let digits = numbers[i].trim_start_matches('+');
        assert_eq!(res["input"], numbers[i].as_str());
        assert_eq!(res["cached"], false);
        match i % 10 {
            0 => assert_eq!(res["id"], format!("5511{}@c.us", &digits[5..]), "{res}"),
            1 => assert_eq!(
                (res["exists"].clone(), res["id"].clone()),
                (json!(false), Value::Null)
            ),
            _ => assert_eq!(res["id"], format!("{digits}@c.us"), "{res}"),
        }
        if i % 10 != 1 {
            assert_eq!(res["exists"], true, "{res}");
            assert!(res["lid"].as_str().unwrap().ends_with("@lid"), "{res}");
        }
    }
    let again = app.post(&path, json!({ "numbers": numbers })).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.body);
    assert!(again.body["results"]
        .as_array()
        .unwrap()
        .iter()
        .all(|r| r["cached"] == true));
    assert_eq!(again.body["results"][0]["id"], r.body["results"][0]["id"]);

    for bad in [
        json!({"numbers": []}),
        json!({"numbers": vec!["923001234567"; 101]}),
        json!({"numbers": ["hello"]}),
    ] {
        let r = app.post(&path, bad).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.body);
        assert_eq!(r.error_code(), "INVALID_REQUEST");
    }
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn paging_through_500_messages_of_history_loads_them_from_the_phone() {
    let app = spawn_app().await;
    let chat = app.sim.seed_history(ALICE, BOB, 500, 4).unwrap();
    let id = app.link(ALICE, "Alice").await;
    let mut seen = Vec::new();
    let mut before: Option<String> = None;
    loop {
        let mut path = format!("/wa/connections/{id}/chats/{chat}/messages?limit=100");
        if let Some(b) = &before {
            path.push_str(&format!("&before={b}"));
        }
        let r = app.get(&path).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.body);
        let page = r.body["messages"].as_array().unwrap().clone();
        assert!(page.len() <= 100);
        seen.extend(page);
        match r.body["nextBefore"].as_str() {
            Some(next) => before = Some(next.to_owned()),
            None => break,
        }
        assert!(seen.len() <= 500, "more pages than messages");
    }
    assert_eq!(seen.len(), 500);
    let ids: HashSet<&str> = seen.iter().map(|m| m["id"].as_str().unwrap()).collect();
    assert_eq!(ids.len(), 500, "every message once");
    assert_eq!(seen[0]["body"], "history message 500");
    assert_eq!(seen[499]["body"], "history message 1");
    assert_eq!(seen[0]["chatId"], chat.as_str());
    assert_eq!(
        seen[0]["fromMe"], true,
        "every 4th message is the account's own"
    );
    assert_eq!(seen[1]["type"], "chat");
    assert!(seen[1]["timestamp"].is_string());
    assert!(seen.iter().filter(|m| m["fromMe"] == true).count() == 125);

    let bad = app
        .get(&format!(
            "/wa/connections/{id}/chats/{chat}/messages?before=nope"
        ))
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    let unknown = app
        .get(&format!("/wa/connections/{id}/chats/{CAROL}@c.us/messages"))
        .await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND, "{}", unknown.body);
    assert_eq!(unknown.error_code(), "NOT_FOUND");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_chat_list_is_newest_first_filters_and_pages_and_actions_change_a_chat() {
    let app = spawn_app().await;
    app.sim.seed_history(ALICE, CAROL, 3, 0).unwrap();
    let group = app.sim.create_group("Team", &[ALICE, BOB]);
    let id = app.link(ALICE, "Alice").await;
    app.sim
        .send_inbound(InboundMessage::text(ALICE, BOB, "unread one").push_name("Bob"))
        .await
        .unwrap();
    let bob = format!("{BOB}@c.us");
    let carol = format!("{CAROL}@c.us");
    let list = eventually("Bob's chat is listed", LINK_TIMEOUT, || async {
        let r = app.get(&format!("/wa/connections/{id}/chats")).await;
        (r.body["chats"][0]["id"] == bob.as_str()).then_some(r.body)
    })
    .await;
    assert_eq!(list["total"], 3, "{list}");
    assert_eq!(list["chats"][0]["unreadCount"], 1);
    assert_eq!(list["chats"][0]["lastMessage"]["body"], "unread one");
    let unread = app
        .get(&format!("/wa/connections/{id}/chats?unread=true"))
        .await;
    assert_eq!(
        unread.body["chats"].as_array().unwrap().len(),
        1,
        "{}",
        unread.body
    );
    let groups = app
        .get(&format!("/wa/connections/{id}/chats?groups=true"))
        .await;
    assert_eq!(
        groups.body["chats"][0]["id"],
        group.as_str(),
        "{}",
        groups.body
    );
    assert_eq!(groups.body["total"], 1);
    let paged = app
        .get(&format!("/wa/connections/{id}/chats?limit=2"))
        .await;
    assert_eq!(paged.body["nextOffset"], 2, "{}", paged.body);

    let api = &app.api;
    let action = |what: &'static str| {
        let path = format!("/wa/connections/{id}/chats/{carol}/{what}");
        async move { api.post(&path, json!({})).await }
    };
    let r = action("archive").await;
    assert_eq!(
        (r.status, r.body["archived"].clone()),
        (StatusCode::OK, json!(true)),
        "{}",
        r.body
    );
    assert_eq!(
        chat_event(&app, &id, "chat_archived", &carol).await["archived"],
        true
    );
    let archived = app
        .get(&format!("/wa/connections/{id}/chats?archived=true"))
        .await;
    assert_eq!(
        archived.body["chats"][0]["id"],
        carol.as_str(),
        "{}",
        archived.body
    );
    assert_eq!(action("unarchive").await.body["archived"], false);
    assert_eq!(action("pin").await.body["pinned"], true);
    assert_eq!(action("unpin").await.body["pinned"], false);

    let one = app
        .get(&format!("/wa/connections/{id}/chats/{carol}"))
        .await;
    assert_eq!(
        (one.status, one.body["id"].clone()),
        (StatusCode::OK, json!(carol))
    );
    let missing = app
        .get(&format!("/wa/connections/{id}/chats/923009990000"))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
    assert_eq!(missing.error_code(), "NOT_FOUND");
    let bad = app.get(&format!("/wa/connections/{id}/chats/hello")).await;
    assert_eq!(bad.error_code(), "INVALID_REQUEST");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn archiving_and_deleting_a_chat_on_the_phone_are_reported() {
    let app = spawn_app().await;
    app.sim.seed_history(ALICE, BOB, 3, 0).unwrap();
    app.sim.seed_history(ALICE, CAROL, 3, 0).unwrap();
    let id = app.link(ALICE, "Alice").await;
    let (bob, carol) = (format!("{BOB}@c.us"), format!("{CAROL}@c.us"));
    app.sim.phone_archive(ALICE, &bob, true).unwrap();
    assert_eq!(
        chat_event(&app, &id, "chat_archived", &bob).await["archived"],
        true
    );
    app.sim.phone_delete_chat(ALICE, &carol).unwrap();
    chat_event(&app, &id, "chat_removed", &carol).await;
    let gone = app
        .get(&format!("/wa/connections/{id}/chats/{carol}"))
        .await;
    assert_eq!(gone.status, StatusCode::NOT_FOUND, "{}", gone.body);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn chat_routes_of_a_connection_not_linked_yet_are_not_ready() {
    let app = spawn_app().await;
    let r = app.add_number().await;
    let id = r.body["connectionId"].as_str().unwrap().to_owned();
    for path in ["chats", "contacts", "profile", "blocked"] {
        let r = app.get(&format!("/wa/connections/{id}/{path}")).await;
        assert_eq!(r.status, StatusCode::CONFLICT, "{path}: {}", r.body);
        assert_eq!(r.error_code(), "WHATSAPP_NOT_READY");
    }
    let check = app
        .post(
            &format!("/wa/connections/{id}/numbers/check"),
            json!({"numbers": [BOB]}),
        )
        .await;
    assert_eq!(check.error_code(), "WHATSAPP_NOT_READY");
    let missing = app.get("/wa/connections/nope/chats").await;
    assert_eq!(missing.error_code(), "SESSION_NOT_FOUND");
    app.shutdown().await;
}
