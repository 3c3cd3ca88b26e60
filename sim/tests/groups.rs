//! Groups: the rules the servers enforce (control API, HTTP only) and the page's group modules
//! and notifications as an injector sees them (a real headless Chromium).

mod common;

use common::{link, TestBrowser, DEADLINE};
use serde_json::{json, Value};
use wa_sim::{GroupAction, SimConfig, SimError, Simulator};

const ME: &str = "923001234567";
const BOB: &str = "923007654321";
const CAROL: &str = "923005550001";

/// Polls `check` until it gives a value, failing after the common deadline.
async fn eventually_value<T>(what: &str, check: impl Fn() -> Option<T>) -> T {
    let started = std::time::Instant::now();
    loop {
        if let Some(v) = check() {
            return v;
        }
        assert!(started.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
}

async fn post(sim: &Simulator, path: &str, body: Value) -> (u16, Value) {
    let url = format!("{}__sim/{path}", sim.base_url());
    let r = reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap();
    (r.status().as_u16(), r.json().await.unwrap())
}

#[tokio::test]
async fn the_servers_enforce_admins_restrict_privacy_capacity_and_approval() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let (status, created) = post(
        &sim,
        "groups/create",
        json!({"by": BOB, "subject": "Club", "members": [CAROL]}),
    )
    .await;
    assert_eq!(status, 200, "{created}");
    let gid = created["id"].as_str().unwrap().to_owned();
    assert_eq!(
        created["participants"][0]["type"], "superadmin",
        "{created}"
    );

    // A member who is not an admin may rename until `restrict` is on; settings are admins' only.
    let (status, _) = post(
        &sim,
        &format!("groups/{gid}/subject"),
        json!({"by": CAROL, "subject": "Carol's"}),
    )
    .await;
    assert_eq!(status, 200);
    let (status, body) = post(
        &sim,
        &format!("groups/{gid}/settings"),
        json!({"by": CAROL, "restrict": true}),
    )
    .await;
    assert_eq!(
        (status, body["error"]["code"].as_str()),
        (403, Some("REFUSED")),
        "{body}"
    );
    sim.set_group_setting(&gid, BOB, "restrict", true).unwrap();
    let refused = sim.set_group_subject(&gid, CAROL, "Again");
    assert!(
        matches!(refused, Err(SimError::GroupRefused { code: 401, .. })),
        "{refused:?}"
    );
    let codes = sim.group_members(&gid, CAROL, GroupAction::Add, &[ME]);
    assert!(
        matches!(codes, Err(SimError::GroupRefused { code: 401, .. })),
        "{codes:?}"
    );

    // Adds: privacy answers 403 with an invite, members 409, a full group 419.
    sim.refuse_group_adds(ME, true).unwrap();
    let (status, adds) = post(
        &sim,
        &format!("groups/{gid}/participants"),
        json!({"by": BOB, "action": "add", "participants": [ME, CAROL]}),
    )
    .await;
    assert_eq!(status, 200, "{adds}");
    assert_eq!(
        (adds[0]["code"].as_u64(), adds[1]["code"].as_u64()),
        (Some(403), Some(409)),
        "{adds}"
    );
    assert!(adds[0]["invite_code"].is_string(), "{adds}");
    sim.set_group_capacity(&gid, 2).unwrap();
    let full = sim
        .group_members(&gid, BOB, GroupAction::Add, &["923005550002"])
        .unwrap();
    assert_eq!(full, [("923005550002".to_owned(), 419)]);
    // The owner can be neither removed nor demoted.
    sim.group_members(&gid, BOB, GroupAction::Promote, &[CAROL])
        .unwrap();
    let owner = sim
        .group_members(&gid, CAROL, GroupAction::Demote, &[BOB])
        .unwrap();
    assert_eq!(owner, [(BOB.to_owned(), 406)]);

    // Approval: a join by link waits for an admin.
    sim.set_group_capacity(&gid, 10).unwrap();
    sim.set_group_setting(&gid, BOB, "membership_approval_mode", true)
        .unwrap();
    let code = sim.group_invite_code(&gid, BOB).unwrap();
    let (status, joined) = post(
        &sim,
        "groups/join",
        json!({"by": "923005550003", "code": format!("https://chat.whatsapp.com/{code}")}),
    )
    .await;
    assert_eq!(
        (status, joined["joined"].as_bool()),
        (200, Some(false)),
        "{joined}"
    );
    let group = sim.group(&gid).unwrap();
    assert_eq!(
        group["membershipApprovalRequests"]
            .as_array()
            .unwrap()
            .len(),
        1,
        "{group}"
    );
    let (status, answer) = post(
        &sim,
        &format!("groups/{gid}/requests"),
        json!({"by": BOB, "number": "923005550003", "approve": true}),
    )
    .await;
    assert_eq!(
        (status, answer["code"].as_u64()),
        (200, Some(200)),
        "{answer}"
    );
    assert_eq!(sim.group(&gid).unwrap()["size"], 3);
    let (status, _) = post(
        &sim,
        "groups/120363000000000000@g.us/leave",
        json!({"by": BOB}),
    )
    .await;
    assert_eq!(status, 404);
    sim.shutdown().await;
}

#[tokio::test]
async fn the_page_gets_notifications_metadata_and_whatsapps_refusals() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    link(&browser, &sim, ME).await;
    let gid = sim
        .create_group_on_phone(BOB, "Phone group", &[ME])
        .unwrap();
    browser
        .wait_event("the create notification", |e| {
            e["ev"] == "msg-add" && e["type"] == "gp2"
        })
        .await;
    sim.set_group_setting(&gid, BOB, "restrict", true).unwrap();
    let meta: Value = browser
        .eval(&format!(
            r#"(async () => {{
  const wid = window.require('WAWebWidFactory').createWid('{gid}');
  await window.require('WAWebGroupQueryJob').queryAndUpdateGroupMetadataById({{ id: '{gid}' }});
  const chat = window.require('WAWebCollections').Chat.get(wid);
  const m = chat.groupMetadata;
  let refusal = null;
  try {{ await window.require('WAWebGroupModifyInfoJob').setGroupSubject(wid, 'mine'); }}
  catch (e) {{ refusal = {{ name: e.name, code: e.statusCode }}; }}
  const coll = window.require('WAWebCollections').WAWebGroupMetadataCollection;
  return {{ subject: m.subject, lid: m.isLidAddressingMode, restrict: m.restrict, admin: chat.iAmAdmin(),
    size: m.participants.getModelsArray().length, owner: String(m.owner), refusal,
    pn: String(window.require('WAWebLidMigrationUtils').toPn(m.owner)), same: coll.get(wid) === m }};
}})()"#
        ))
        .await
        .unwrap();
    assert_eq!(meta["subject"], "Phone group", "{meta}");
    assert_eq!(
        (
            meta["lid"].as_bool(),
            meta["restrict"].as_bool(),
            meta["admin"].as_bool()
        ),
        (Some(true), Some(true), Some(false)),
        "{meta}"
    );
    assert_eq!(meta["size"], 2);
    assert!(meta["owner"].as_str().unwrap().ends_with("@lid"), "{meta}");
    assert_eq!(meta["pn"], format!("{BOB}@c.us"));
    assert_eq!(
        meta["refusal"],
        json!({"name": "ServerStatusCodeError", "code": 401})
    );
    assert_eq!(meta["same"], true);

    // Promoted on the phone, the page may add; the RPC answers as current builds nest it.
    sim.group_members(&gid, BOB, GroupAction::Promote, &[ME])
        .unwrap();
    browser
        .wait_event("the promote notification", |e| {
            e["ev"] == "msg-add"
                && e["type"] == "gp2"
                && e["author"].as_str().is_some_and(|a| a.ends_with("@lid"))
        })
        .await;
    sim.refuse_group_adds(CAROL, true).unwrap();
    let add: Value = browser
        .eval(&format!(
            r#"(async () => {{
  const toJid = window.require('WAWebWidToJid');
  const wid = window.require('WAWebWidFactory').createWid('{CAROL}@c.us');
  const r = await window.require('WASmaxGroupsAddParticipantsRPC').sendAddParticipantsRPC({{
    participantArgs: [{{ participantJid: toJid.widToUserJid(wid) }}], iqTo: toJid.widToGroupJid('{gid}') }});
  const v = r.value.addParticipant[0].addParticipantsParticipantAddedOrNonRegisteredWaUserParticipantErrorLidResponseMixinGroup.value.addParticipantsParticipantMixins.value;
  return {{ name: r.name, error: v.error, code: v.addRequestCode }};
}})()"#
        ))
        .await
        .unwrap();
    assert_eq!(
        (add["name"].as_str(), add["error"].as_str()),
        (Some("AddParticipantsResponseSuccess"), Some("403")),
        "{add}"
    );
    assert!(add["code"].is_string(), "{add}");
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn the_phone_page_creates_a_group_adds_the_linked_number_and_renames_it() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    link(&browser, &sim, ME).await;
    let phone = browser
        .new_tab(&format!("{}__sim/phone", sim.base_url()))
        .await;
    let click = |fields: &str, button: &str| {
        format!(
            "(() => {{ {fields} document.getElementById('{button}').click(); return true; }})()"
        )
    };
    let create = click(
        &format!("document.getElementById('g-by').value = '{BOB}'; document.getElementById('g-subject').value = 'From the phone page'; document.getElementById('g-members').value = '';"),
        "g-create",
    );
    phone.evaluate(create.as_str()).await.unwrap();
    let gid = eventually_value("the group on the servers", || {
        sim.group_ids().into_iter().next()
    })
    .await;
    let listed =
        format!("[...document.getElementById('g-group').options].some((o) => o.value === '{gid}')");
    let started = std::time::Instant::now();
    while phone
        .evaluate(listed.as_str())
        .await
        .unwrap()
        .into_value::<bool>()
        .ok()
        != Some(true)
    {
        assert!(
            started.elapsed() < DEADLINE,
            "the group never showed on the phone page"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let add = click(
        &format!("document.getElementById('g-group').value = '{gid}'; document.getElementById('g-action').value = 'add'; document.getElementById('g-who').value = '{ME}';"),
        "g-act",
    );
    phone.evaluate(add.as_str()).await.unwrap();
    browser
        .wait_event("the linked number added", |e| {
            e["ev"] == "msg-add" && e["type"] == "gp2"
        })
        .await;
    let rename = click(
        "document.getElementById('g-subject').value = 'Renamed on the phone';",
        "g-rename",
    );
    phone.evaluate(rename.as_str()).await.unwrap();
    eventually_value("the new subject", || {
        let name = sim.group(&gid)?["name"].clone();
        (name == "Renamed on the phone").then_some(())
    })
    .await;
    TestBrowser::screenshot(&phone, "phone-groups").await;
    browser.close().await;
    sim.shutdown().await;
}
