//! Groups end to end: the routes under `/wa/connections/:id/groups` through a real Chromium on
//! the simulator, and the group events WhatsApp's notifications become.

mod common;

use common::{eventually, spawn_app, TestApp, LINK_TIMEOUT};
use reqwest::StatusCode;
use serde_json::{json, Value};
use wa_gateway::store::StoredEvent;
use wa_sim::GroupAction;

const ALICE: &str = "923001234567";
const BOB: &str = "923007654321";
const CAROL: &str = "923005550001";

fn groups(id: &str) -> String {
    format!("/wa/connections/{id}/groups")
}

/// Waits for the `event` whose data satisfies `want`.
async fn event_where(
    app: &TestApp,
    id: &str,
    event: &str,
    want: impl Fn(&Value) -> bool,
) -> StoredEvent {
    eventually(&format!("a {event} event"), LINK_TIMEOUT, || async {
        let events = app.events(id).await;
        events
            .into_iter()
            .find(|e| e.event == event && want(&e.data))
    })
    .await
}

fn phones(list: &Value) -> Vec<&str> {
    list.as_array()
        .unwrap()
        .iter()
        .filter_map(|p| p["phone"].as_str())
        .collect()
}

fn participant<'a>(group: &'a Value, phone: &str) -> &'a Value {
    group["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["phone"] == phone)
        .unwrap_or_else(|| panic!("{phone} is not in {group}"))
}

async fn change(app: &TestApp, id: &str, gid: &str, action: &str, who: &str) -> Value {
    let path = format!("{}/{gid}/participants", groups(id));
    let r = app
        .post(&path, json!({"action": action, "participants": [who]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{action}: {}", r.body);
    r.body[0].clone()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_group_created_renamed_and_its_members_changed_is_seen_as_events_at_every_step() {
    let app = spawn_app().await;
    let id = app.link(ALICE, "Alice").await;
    let r = app
        .post(
            &groups(&id),
            json!({"subject": "Team", "participants": [BOB]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let gid = r.body["group"]["id"].as_str().unwrap().to_owned();
    assert_eq!(r.body["participants"][0]["status"], "added", "{}", r.body);
    assert_eq!(r.body["group"]["iAmAdmin"], true);
    let created = event_where(&app, &id, "group_update", |d| d["action"] == "create").await;
    assert_eq!(created.data["groupId"], gid.as_str());
    assert_eq!(created.data["actor"]["phone"], ALICE);

    let path = format!("{}/{gid}", groups(&id));
    let r = app
        .call("PATCH", &path, Some(json!({"subject": "Team 2026"})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["subject"], "Team 2026");
    event_where(&app, &id, "group_update", |d| d["value"] == "Team 2026").await;

    let added = change(&app, &id, &gid, "add", CAROL).await;
    assert_eq!(
        (added["status"].as_str(), added["code"].as_u64()),
        (Some("added"), Some(200))
    );
    let join = event_where(&app, &id, "group_join", |d| d["action"] == "add").await;
    assert_eq!(phones(&join.data["participants"]), [CAROL]);
    assert_eq!(join.data["actor"]["phone"], ALICE);

    assert_eq!(
        change(&app, &id, &gid, "promote", CAROL).await["status"],
        "promoted"
    );
    let promoted = |d: &Value| d["action"] == "promote";
    let ev = event_where(&app, &id, "group_admin_changed", promoted).await;
    assert_eq!(phones(&ev.data["participants"]), [CAROL]);
    assert_eq!(
        change(&app, &id, &gid, "demote", CAROL).await["status"],
        "demoted"
    );
    event_where(&app, &id, "group_admin_changed", |d| {
        d["action"] == "demote"
    })
    .await;
    assert_eq!(
        change(&app, &id, &gid, "remove", CAROL).await["status"],
        "removed"
    );
    let left = event_where(&app, &id, "group_leave", |d| d["action"] == "remove").await;
    assert_eq!(phones(&left.data["participants"]), [CAROL]);

    let r = app.get(&path).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let group = &r.body;
    assert_eq!(group["isLidAddressingMode"], true, "{group}");
    assert_eq!(participant(group, ALICE)["isSuperAdmin"], true);
    let bob = participant(group, BOB);
    assert!(bob["id"].as_str().unwrap().ends_with("@lid"), "{bob}");
    assert_eq!(bob["isAdmin"], false);
    assert_eq!(
        group["participants"].as_array().unwrap().len(),
        2,
        "{group}"
    );
    assert_eq!(group["owner"]["phone"], ALICE);
    assert!(group["createdAt"].is_string(), "{group}");

    // Group notifications are group events only, and sends to the group still work.
    let messages = app.events(&id).await;
    assert!(!messages
        .iter()
        .any(|e| e.event == "message" && e.data["type"] == "gp2"));
    let sent = app.send(&id, &gid, "hello team").await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    let last = app.sim.sent_messages(ALICE).into_iter().last().unwrap();
    assert!(
        last.raw["from"].as_str().unwrap().ends_with("@lid"),
        "{:?}",
        last.raw
    );
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_add_refused_for_privacy_is_answered_with_a_private_invite_and_a_full_group_with_419() {
    let app = spawn_app().await;
    let id = app.link(ALICE, "Alice").await;
    app.sim.refuse_group_adds(CAROL, true).unwrap();
    let r = app
        .post(
            &groups(&id),
            json!({"subject": "Private", "participants": [BOB, CAROL]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let gid = r.body["group"]["id"].as_str().unwrap().to_owned();
    let carol = r.body["participants"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["phone"] == CAROL)
        .unwrap()
        .clone();
    assert_eq!(
        (carol["status"].as_str(), carol["code"].as_u64()),
        (Some("invited"), Some(403))
    );
    assert!(carol["inviteCode"].is_string(), "{carol}");
    assert_eq!(carol["inviteSent"], true, "{carol}");
    let invite = app
        .sim
        .sent_messages(ALICE)
        .into_iter()
        .find(|m| m.kind == "groups_v4_invite")
        .expect("a private invite message");
    assert_eq!(invite.to, format!("{CAROL}@c.us"));
    assert_eq!(invite.raw["inviteGrp"], gid.as_str());

    // Adding again: still only an invite; a full group refuses with 419.
    assert_eq!(
        change(&app, &id, &gid, "add", CAROL).await["status"],
        "invited"
    );
    app.sim.set_group_capacity(&gid, 2).unwrap();
    let full = change(&app, &id, &gid, "add", "923005550002").await;
    assert_eq!(
        (full["status"].as_str(), full["code"].as_u64()),
        (Some("group_full"), Some(419))
    );
    assert_eq!(
        change(&app, &id, &gid, "add", BOB).await["status"],
        "already_member"
    );
    app.sim.set_registered("923005550003", false);
    app.sim.set_group_capacity(&gid, 10).unwrap();
    let nobody = change(&app, &id, &gid, "add", "923005550003").await;
    assert_eq!(nobody["status"], "not_on_whatsapp");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_who_is_not_admin_is_refused_with_whatsapps_reason() {
    let app = spawn_app().await;
    let id = app.link(ALICE, "Alice").await;
    let gid = app
        .sim
        .create_group_on_phone(BOB, "Bob's group", &[ALICE])
        .unwrap();
    event_where(&app, &id, "group_update", |d| d["groupId"] == gid.as_str()).await;
    app.sim
        .set_group_setting(&gid, BOB, "restrict", true)
        .unwrap();
    event_where(&app, &id, "group_update", |d| d["action"] == "restrict").await;

    let path = format!("{}/{gid}", groups(&id));
    let r = app
        .call("PATCH", &path, Some(json!({"subject": "Mine now"})))
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(r.error_code(), "FORBIDDEN");
    assert!(
        r.body["error"]["message"]
            .as_str()
            .unwrap()
            .contains("not-authorized"),
        "{}",
        r.body
    );
    let r = app
        .post(
            &format!("{path}/participants"),
            json!({"action": "add", "participants": [CAROL]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    let r = app.get(&format!("{path}/invite-code")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
    assert_eq!(app.sim.group(&gid).unwrap()["name"], "Bob's group");

    // Bob makes Alice an admin on his phone: now she may.
    let codes = app
        .sim
        .group_members(&gid, BOB, GroupAction::Promote, &[ALICE])
        .unwrap();
    assert_eq!(codes, [(ALICE.to_owned(), 200)]);
    let ev = event_where(&app, &id, "group_admin_changed", |d| {
        d["action"] == "promote"
    })
    .await;
    assert_eq!(ev.data["actor"]["phone"], BOB);
    let r = app
        .call("PATCH", &path, Some(json!({"subject": "Ours"})))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(app.sim.group(&gid).unwrap()["name"], "Ours");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_join_by_link_a_revoked_link_and_leaving() {
    let app = spawn_app().await;
    let id = app.link(ALICE, "Alice").await;
    let gid = app
        .sim
        .create_group_on_phone(BOB, "Open", &[CAROL])
        .unwrap();
    let code = app.sim.group_invite_code(&gid, BOB).unwrap();
    let link = format!("https://chat.whatsapp.com/{code}");
    let r = app
        .post(&format!("{}/join", groups(&id)), json!({"link": link}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(
        (r.body["id"].as_str(), r.body["status"].as_str()),
        (Some(gid.as_str()), Some("joined"))
    );
    assert_eq!(r.body["group"]["subject"], "Open");
    let join = event_where(&app, &id, "group_join", |d| d["action"] == "invite").await;
    assert_eq!(phones(&join.data["participants"]), [ALICE]);
    let listed = app.get(&groups(&id)).await;
    assert_eq!(listed.status, StatusCode::OK, "{}", listed.body);
    assert!(listed
        .body
        .as_array()
        .unwrap()
        .iter()
        .any(|g| g["id"] == gid.as_str()));

    // Bob makes Alice admin; she revokes the link: the old code no longer joins anyone.
    app.sim
        .group_members(&gid, BOB, GroupAction::Promote, &[ALICE])
        .unwrap();
    event_where(&app, &id, "group_admin_changed", |d| {
        d["action"] == "promote"
    })
    .await;
    let invite = format!("{}/{gid}/invite-code", groups(&id));
    let current = app.get(&invite).await;
    assert_eq!(current.body["code"], code.as_str(), "{}", current.body);
    let revoked = app.call("DELETE", &invite, None).await;
    assert_eq!(revoked.status, StatusCode::OK, "{}", revoked.body);
    assert_ne!(revoked.body["code"], code.as_str());
    assert!(app.sim.join_group(&code, "923005550009").is_err());
    let r = app
        .post(
            &format!("{}/join", groups(&id)),
            json!({"code": "NoSuchCode123"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);

    let r = app
        .post(&format!("{}/{gid}/leave", groups(&id)), json!({}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let left = event_where(&app, &id, "group_leave", |d| d["action"] == "leave").await;
    assert_eq!(left.data["actor"]["phone"], ALICE);
    assert!(!app.sim.group(&gid).unwrap()["participants"]
        .to_string()
        .contains(ALICE));
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn join_requests_are_announced_listed_and_approved() {
    let app = spawn_app().await;
    let id = app.link(ALICE, "Alice").await;
    let r = app.post(&groups(&id), json!({"subject": "Gated"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let gid = r.body["group"]["id"].as_str().unwrap().to_owned();
    let path = format!("{}/{gid}", groups(&id));
    let r = app
        .call(
            "PATCH",
            &path,
            Some(json!({"approvalMode": true, "announce": true})),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body["settings"]["approvalMode"], true, "{}", r.body);
    assert_eq!(r.body["settings"]["announce"], true);
    let code = app.get(&format!("{path}/invite-code")).await.body["code"]
        .as_str()
        .unwrap()
        .to_owned();
    assert_eq!(
        app.sim.join_group(&code, CAROL).unwrap(),
        (gid.clone(), false)
    );
    let asked = event_where(&app, &id, "group_membership_request", |_| true).await;
    assert_eq!(phones(&asked.data["participants"]), [CAROL]);

    let pending = app.get(&format!("{path}/requests")).await;
    assert_eq!(pending.status, StatusCode::OK, "{}", pending.body);
    assert_eq!(phones(&pending.body), [CAROL]);
    let r = app
        .post(&format!("{path}/requests"), json!({"action": "approve"}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(r.body[0]["status"], "approved", "{}", r.body);
    let joined = event_where(&app, &id, "group_join", |d| d["action"] == "add").await;
    assert_eq!(phones(&joined.data["participants"]), [CAROL]);
    assert!(app
        .get(&format!("{path}/requests"))
        .await
        .body
        .as_array()
        .unwrap()
        .is_empty());
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unknown_groups_bad_input_and_unlinked_connections_get_the_documented_errors() {
    let app = spawn_app().await;
    let pending = app.add_number().await;
    let pending = pending.body["connectionId"].as_str().unwrap().to_owned();
    let r = app.get(&groups(&pending)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.body);
    assert_eq!(r.error_code(), "WHATSAPP_NOT_READY");

    let id = app.link(ALICE, "Alice").await;
    let r = app
        .get(&format!("{}/120363999999999999@g.us", groups(&id)))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.body);
    assert_eq!(r.error_code(), "NOT_FOUND");
    let bad = [
        ("POST", groups(&id), json!({"subject": "  "})),
        (
            "POST",
            groups(&id),
            json!({"subject": "x", "participants": ["12"]}),
        ),
        (
            "PATCH",
            format!("{}/120363999999999999", groups(&id)),
            json!({"memberAddMode": "anyone"}),
        ),
        ("POST", format!("{}/join", groups(&id)), json!({})),
        (
            "POST",
            format!("{}/join", groups(&id)),
            json!({"code": "a", "link": "b"}),
        ),
        (
            "POST",
            format!("{}/1@g.us/participants", groups(&id)),
            json!({"action": "add", "participants": []}),
        ),
        ("GET", format!("{}/not-a-group", groups(&id)), Value::Null),
    ];
    for (method, path, body) in bad {
        let body = (!body.is_null()).then_some(body);
        let r = app.call(method, &path, body).await;
        assert_eq!(
            r.status,
            StatusCode::BAD_REQUEST,
            "{method} {path}: {}",
            r.body
        );
        assert_eq!(r.error_code(), "INVALID_REQUEST");
    }
    let r = app.get(&groups("no-such-connection")).await;
    assert_eq!(r.error_code(), "SESSION_NOT_FOUND");
    app.shutdown().await;
}
