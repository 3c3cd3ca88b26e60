//! End to end on the simulator: contacts (list, search, details with about and picture), the
//! block list, the account's own profile, a contact's number change, and incoming calls
//! (rejected with an auto-reply when configured).

mod common;

use common::{eventually, spawn_app, spawn_app_with, Options, LINK_TIMEOUT};
use reqwest::StatusCode;
use serde_json::{json, Value};
use wa_sim::ContactSeed;

const ALICE: &str = "923001234567";
const BOB: &str = "923007654321";
const CAROL: &str = "923005550000";
const DAVE: &str = "923004440000";

fn seed(number: &str) -> ContactSeed {
    ContactSeed::new(number)
}

async fn event(app: &common::TestApp, id: &str, name: &str) -> Value {
    eventually(&format!("a {name} event"), LINK_TIMEOUT, || async {
        let events = app.events(id).await;
        events.into_iter().find(|e| e.event == name).map(|e| e.data)
    })
    .await
}

/// A small real PNG, as base64.
fn png_b64() -> String {
    use base64::Engine;
    let img = image::RgbImage::from_pixel(32, 24, image::Rgb([200, 40, 90]));
    let mut bytes = std::io::Cursor::new(Vec::new());
    img.write_to(&mut bytes, image::ImageFormat::Png).unwrap();
    base64::engine::general_purpose::STANDARD.encode(bytes.into_inner())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn contacts_list_search_and_details_show_what_whatsapp_knows() {
    let app = spawn_app().await;
    let bob = ContactSeed {
        name: Some("Bob Builder".into()),
        push_name: Some("bobby".into()),
        about: Some("Can we fix it?".into()),
        picture: true,
        ..seed(BOB)
    };
    app.sim.add_contact(ALICE, bob).unwrap();
    let shop = ContactSeed {
        push_name: Some("Carol's Shop".into()),
        business: true,
        verified_name: Some("Carol's Shop Ltd".into()),
        ..seed(CAROL)
    };
    app.sim.add_contact(ALICE, shop).unwrap();
    let id = app.link(ALICE, "Alice").await;

    let list = app.get(&format!("/wa/connections/{id}/contacts")).await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert_eq!(
        list.body["contacts"][0]["name"], "Bob Builder",
        "{}",
        list.body
    );
    let found = app
        .get(&format!("/wa/connections/{id}/contacts?q=shop"))
        .await;
    assert_eq!(found.body["total"], 1, "{}", found.body);
    assert_eq!(found.body["contacts"][0]["number"], CAROL);

    let r = app
        .get(&format!("/wa/connections/{id}/contacts/{BOB}"))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let b = &r.body;
    assert_eq!(
        (b["id"].clone(), b["name"].clone()),
        (json!(format!("{BOB}@c.us")), json!("Bob Builder"))
    );
    assert_eq!(
        (b["pushname"].clone(), b["about"].clone()),
        (json!("bobby"), json!("Can we fix it?"))
    );
    assert_eq!(
        (
            b["isMyContact"].clone(),
            b["isBusiness"].clone(),
            b["isBlocked"].clone()
        ),
        (json!(true), json!(false), json!(false))
    );
    assert!(b["lid"].as_str().unwrap().ends_with("@lid"), "{b}");
    let picture = reqwest::get(b["profilePictureUrl"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(picture.status(), StatusCode::OK);
    assert!(picture.headers()["content-type"]
        .to_str()
        .unwrap()
        .starts_with("image/"));

    let c = app
        .get(&format!("/wa/connections/{id}/contacts/{CAROL}@c.us"))
        .await
        .body;
    assert_eq!(
        (c["isBusiness"].clone(), c["verifiedName"].clone()),
        (json!(true), json!("Carol's Shop Ltd"))
    );
    assert_eq!(
        (c["isMyContact"].clone(), c["profilePictureUrl"].clone()),
        (json!(false), Value::Null)
    );
    let lid = c["lid"].as_str().unwrap();
    let by_lid = app
        .get(&format!("/wa/connections/{id}/contacts/{lid}"))
        .await;
    assert_eq!(by_lid.body["number"], CAROL, "{}", by_lid.body);

    let missing = app
        .get(&format!("/wa/connections/{id}/contacts/{DAVE}"))
        .await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND, "{}", missing.body);
    assert_eq!(missing.error_code(), "NOT_FOUND");
    let bad = app
        .get(&format!(
            "/wa/connections/{id}/contacts/120363012345678901@g.us"
        ))
        .await;
    assert_eq!(bad.error_code(), "INVALID_REQUEST");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn blocking_and_unblocking_a_contact_changes_the_block_list() {
    let app = spawn_app().await;
    app.sim
        .add_contact(
            ALICE,
            ContactSeed {
                name: Some("Bob".into()),
                ..seed(BOB)
            },
        )
        .unwrap();
    let id = app.link(ALICE, "Alice").await;
    let r = app
        .post(
            &format!("/wa/connections/{id}/contacts/{BOB}/block"),
            json!({}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(
        r.body["id"].as_str().unwrap().ends_with("@lid"),
        "{}",
        r.body
    );
    let list = app.get(&format!("/wa/connections/{id}/blocked")).await;
    assert_eq!(list.body, json!([{"id": r.body["id"], "number": BOB}]));
    assert_eq!(app.sim.profile(ALICE)["blocked"], json!([BOB]));
    let bob = app
        .get(&format!("/wa/connections/{id}/contacts/{BOB}"))
        .await;
    assert_eq!(bob.body["isBlocked"], true, "{}", bob.body);
    let r = app
        .post(
            &format!("/wa/connections/{id}/contacts/{BOB}/unblock"),
            json!({}),
        )
        .await;
    assert_eq!(
        (r.status, r.body["blocked"].clone()),
        (StatusCode::OK, json!(false))
    );
    assert_eq!(
        app.get(&format!("/wa/connections/{id}/blocked")).await.body,
        json!([])
    );
    assert_eq!(app.sim.profile(ALICE)["blocked"], json!([]));
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_own_profile_reads_and_changes_name_about_and_picture() {
    let app = spawn_app().await;
    let id = app.link(ALICE, "Alice").await;
    let path = format!("/wa/connections/{id}/profile");
    let p = app.get(&path).await;
    assert_eq!(p.status, StatusCode::OK, "{}", p.body);
    assert_eq!(
        (p.body["number"].clone(), p.body["name"].clone()),
        (json!(ALICE), json!("Alice"))
    );
    assert_eq!(
        (p.body["about"].clone(), p.body["profilePictureUrl"].clone()),
        (Value::Null, Value::Null)
    );

    let r = app
        .call(
            "PATCH",
            &path,
            Some(json!({"name": "Alice W.", "about": "At work"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (r.body["name"].clone(), r.body["about"].clone()),
        (json!("Alice W."), json!("At work"))
    );
    assert_eq!(app.sim.profile(ALICE)["push_name"], "Alice W.");
    for bad in [
        json!({}),
        json!({"name": " "}),
        json!({"about": "x".repeat(140)}),
        json!({"nick": "x"}),
    ] {
        let r = app.call("PATCH", &path, Some(bad)).await;
        assert_eq!(r.error_code(), "INVALID_REQUEST", "{}", r.body);
    }

    let pic = format!("{path}/picture");
    let r = app
        .call("PUT", &pic, Some(json!({"image": png_b64()})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert!(r.body["profilePictureUrl"].is_string(), "{}", r.body);
    assert_eq!(app.sim.profile(ALICE)["has_picture"], true);
    let bad = app
        .call("PUT", &pic, Some(json!({"image": "R0lGODlh"})))
        .await;
    assert_eq!(bad.error_code(), "INVALID_REQUEST");
    let r = app.call("DELETE", &pic, None).await;
    assert_eq!(
        (r.status, r.body["profilePictureUrl"].clone()),
        (StatusCode::OK, Value::Null)
    );
    assert_eq!(app.sim.profile(ALICE)["has_picture"], false);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_contact_changing_number_is_reported_with_both_numbers() {
    let app = spawn_app().await;
    app.sim.seed_history(ALICE, BOB, 2, 0).unwrap();
    let id = app.link(ALICE, "Alice").await;
    app.sim.change_number(BOB, DAVE).unwrap();
    let data = event(&app, &id, "contact_changed").await;
    assert_eq!(data["oldNumber"], BOB, "{data}");
    assert_eq!(data["newNumber"], DAVE, "{data}");
    assert_eq!(data["newId"], format!("{DAVE}@c.us"));
    assert_eq!(data["isContact"], true);
    assert_eq!(data["chatId"], format!("{BOB}@c.us"));
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_is_rejected_and_answered_when_configured() {
    let opts = Options {
        env: vec![
            ("REJECT_CALLS", "true".into()),
            (
                "REJECT_CALLS_REPLY",
                "I can't take calls, please write.".into(),
            ),
        ],
        ..Default::default()
    };
    let app = spawn_app_with(opts).await;
    let id = app.link(ALICE, "Alice").await;
    let call = app.sim.call(ALICE, BOB, true).unwrap();
    let data = event(&app, &id, "call").await;
    assert_eq!(data["callId"], call.id.as_str());
    assert_eq!(
        (data["from"].clone(), data["fromPhone"].clone()),
        (json!(format!("{BOB}@c.us")), json!(BOB))
    );
    assert_eq!(
        (
            data["isVideo"].clone(),
            data["rejected"].clone(),
            data["replied"].clone()
        ),
        (json!(true), json!(true), json!(true))
    );
    eventually("the simulator saw the reject", LINK_TIMEOUT, || async {
        (app.sim.calls(ALICE)[0].status == "rejected").then_some(())
    })
    .await;
    let reply = eventually("the auto-reply is sent", LINK_TIMEOUT, || async {
        let sent = app.sim.sent_messages(ALICE);
        sent.into_iter().find(|m| m.to == format!("{BOB}@c.us"))
    })
    .await;
    assert_eq!(reply.body, "I can't take calls, please write.");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_is_only_reported_by_default() {
    let app = spawn_app().await;
    let id = app.link(ALICE, "Alice").await;
    app.sim.call(ALICE, BOB, false).unwrap();
    let data = event(&app, &id, "call").await;
    assert_eq!(
        (
            data["rejected"].clone(),
            data["replied"].clone(),
            data["isVideo"].clone()
        ),
        (json!(false), json!(false), json!(false))
    );
    assert_eq!(app.sim.calls(ALICE)[0].status, "ringing");
    assert!(app.sim.sent_messages(ALICE).is_empty());
    app.shutdown().await;
}
