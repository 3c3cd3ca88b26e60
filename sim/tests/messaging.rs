//! Sending, acks and receiving, through a real headless Chromium.

mod common;

use common::{link, wait_state, wait_synced, TestBrowser};
use serde_json::Value;
use wa_sim::{AckBehaviour, InboundMessage, SimConfig, Simulator};

const ME: &str = "923001234567";
const FRIEND: &str = "923339998877";

/// The send recipe of the documented surface (section 6), as any driver would run it.
fn send_js(to: &str, body: &str) -> String {
    format!(
        r#"(async (to, body) => {{
  const wid = window.require('WAWebWidFactory').createWid(to);
  const Chat = window.require('WAWebCollections').Chat;
  const chat = Chat.get(wid) || (await window.require('WAWebFindChatAction').findOrCreateLatestChat(wid)).chat;
  const Stream = window.require('WAWebStreamModel').Stream;
  Stream.markAvailable();
  await window.require('WAWebUpdateUnreadChatAction').sendSeen({{ chat, threadId: undefined }});
  Stream.markUnavailable();
  const me = window.require('WAWebUserPrefsMeUser').getMaybeMePnUser();
  const MsgKey = window.require('WAWebMsgKey');
  const key = new MsgKey({{ from: me, to: chat.id, id: await MsgKey.newId(), selfDir: 'out' }});
  const msg = {{ id: key, ack: 0, body, type: 'chat', from: me, to: chat.id, local: true, self: 'out',
    t: Math.floor(Date.now() / 1000), isNewMsg: true }};
  const [added, sent] = window.require('WAWebSendMsgChatAction').addAndSendMsgToChat(chat, msg);
  await added;
  window.lastSendResult = null;
  sent.then((r) => {{ window.lastSendResult = r; }});
  const m = window.require('WAWebCollections').Msg.get(key._serialized);
  return {{ id: m.id._serialized || m.id.toString(), ack: m.ack, fromMe: m.id.fromMe }};
}})({to:?}, {body:?})"#
    )
}

async fn linked() -> (Simulator, tempfile::TempDir, TestBrowser) {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    link(&browser, &sim, ME).await;
    (sim, profile, browser)
}

fn acks_of(browser: &TestBrowser, id: &str) -> Vec<i64> {
    browser
        .events()
        .iter()
        .filter(|e| e["ev"] == "ack" && e["id"] == id)
        .map(|e| e["ack"].as_i64().unwrap())
        .collect()
}

#[tokio::test]
async fn a_send_is_recorded_by_the_servers_and_acked_1_2_3() {
    let (sim, _profile, browser) = linked().await;
    let sent: Value = browser
        .eval(&send_js(&format!("{FRIEND}@c.us"), "hello there"))
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap().to_string();
    assert!(id.starts_with(&format!("true_{FRIEND}@c.us_3EB0")), "{id}");
    assert_eq!(sent["ack"], 0);

    browser
        .wait_event("ack 3", |e| {
            e["ev"] == "ack" && e["id"] == id.as_str() && e["ack"] == 3
        })
        .await;
    assert_eq!(acks_of(&browser, &id), vec![1, 2, 3]);
    let result: Value = browser
        .wait_for("the send result", "window.lastSendResult")
        .await;
    assert_eq!(result["messageSendResult"], "OK");
    let recorded = sim.sent_messages(ME);
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].id, id);
    assert_eq!(recorded[0].to, format!("{FRIEND}@c.us"));
    assert_eq!(recorded[0].body, "hello there");
    assert_eq!(recorded[0].ack, 3);
    assert_eq!(sim.counters().messages_sent, 1);
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_failing_send_gets_ack_minus_one() {
    let (sim, _profile, browser) = linked().await;
    sim.set_ack_behaviour(AckBehaviour::fail(50));
    let sent: Value = browser
        .eval(&send_js(&format!("{FRIEND}@c.us"), "doomed"))
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap().to_string();
    browser
        .wait_event("ack -1", |e| {
            e["ev"] == "ack" && e["id"] == id.as_str() && e["ack"] == -1
        })
        .await;
    let result: Value = browser
        .wait_for("the send result", "window.lastSendResult")
        .await;
    assert_eq!(result["messageSendResult"], "ERROR");
    assert_eq!(sim.sent_messages(ME)[0].ack, -1);
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn an_inbound_text_arrives_as_msg_add_with_is_new_msg() {
    let (sim, _profile, browser) = linked().await;
    let id = sim
        .send_inbound(InboundMessage::text(ME, FRIEND, "hi from the phone").push_name("Bob"))
        .await
        .unwrap();
    assert!(id.starts_with(&format!("false_{FRIEND}@c.us_")), "{id}");
    let added = browser
        .wait_event("Msg add", |e| {
            e["ev"] == "msg-add" && e["id"] == id.as_str()
        })
        .await;
    assert_eq!(added["isNewMsg"], true);
    assert_eq!(added["body"], "hi from the phone");
    assert_eq!(added["type"], "chat");
    assert_eq!(added["fromMe"], false);
    assert_eq!(added["from"], format!("{FRIEND}@c.us"));
    assert_eq!(added["notifyName"], "Bob");
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn group_lid_ciphertext_history_and_own_phone_messages_look_as_on_whatsapp() {
    let (sim, _profile, browser) = linked().await;
    let group = sim.create_group("Team", &[ME, FRIEND]);
    assert!(
        group.starts_with("120363") && group.ends_with("@g.us"),
        "{group}"
    );

    let in_group = sim
        .send_inbound(InboundMessage::text(ME, FRIEND, "in the group").in_group(&group))
        .await
        .unwrap();
    let e = browser
        .wait_event("group add", |e| e["id"] == in_group.as_str())
        .await;
    assert_eq!(e["from"], group.as_str());
    assert_eq!(e["author"], format!("{FRIEND}@c.us"));
    assert!(
        in_group.ends_with(&format!("_{FRIEND}@c.us")),
        "participant in the id: {in_group}"
    );

    let lid = sim.add_lid_contact("923215550000");
    let from_lid = sim
        .send_inbound(InboundMessage::text(ME, "923215550000", "via lid").via_lid())
        .await
        .unwrap();
    let e = browser
        .wait_event("lid add", |e| e["id"] == from_lid.as_str())
        .await;
    assert_eq!(e["from"], lid.as_str());
    let js = format!("(() => {{ const A = window.require('WAWebApiContact'); const W = window.require('WAWebWidFactory'); return [String(A.getPhoneNumber(W.createWid({lid:?}))), String(A.getCurrentLid(W.createWid('923215550000@c.us')))]; }})()");
    let resolved: Vec<String> = browser.eval(&js).await.unwrap();
    assert_eq!(resolved, vec!["923215550000@c.us".to_string(), lid.clone()]);

    let cipher = sim
        .send_inbound(InboundMessage::text(ME, FRIEND, "decrypted later").ciphertext(300))
        .await
        .unwrap();
    let e = browser
        .wait_event("ciphertext add", |e| {
            e["ev"] == "msg-add" && e["id"] == cipher.as_str()
        })
        .await;
    assert_eq!(e["type"], "ciphertext");
    let e = browser
        .wait_event("change:type", |e| {
            e["ev"] == "type" && e["id"] == cipher.as_str()
        })
        .await;
    assert_eq!(e["type"], "chat");
    assert_eq!(e["body"], "decrypted later");

    let old = sim
        .send_inbound(InboundMessage::text(ME, FRIEND, "old news").history())
        .await
        .unwrap();
    let e = browser
        .wait_event("history add", |e| e["id"] == old.as_str())
        .await;
    assert_eq!(e["isNewMsg"], false);

    let mine = sim
        .send_inbound(InboundMessage::text(ME, FRIEND, "typed on the phone").from_own_phone())
        .await
        .unwrap();
    let e = browser
        .wait_event("own phone add", |e| e["id"] == mine.as_str())
        .await;
    assert_eq!(e["fromMe"], true);
    assert!(mine.starts_with(&format!("true_{FRIEND}@c.us_")));
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn messages_sent_while_the_browser_was_closed_arrive_as_new_on_restore() {
    let (sim, profile, browser) = linked().await;
    browser.close().await;
    let id = sim
        .send_inbound(InboundMessage::text(ME, FRIEND, "while you were away"))
        .await
        .unwrap();

    let browser = TestBrowser::launch(profile.path()).await;
    browser.open(&sim.base_url()).await;
    wait_synced(&browser).await;
    let e = browser
        .wait_event("offline message", |e| e["id"] == id.as_str())
        .await;
    assert_eq!(e["isNewMsg"], true);
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_forced_conflict_reaches_the_page_and_takeover_recovers() {
    let (sim, _profile, browser) = linked().await;
    sim.force_state(ME, "CONFLICT").await.unwrap();
    wait_state(&browser, "CONFLICT").await;
    let id = sim
        .send_inbound(InboundMessage::text(ME, FRIEND, "held back"))
        .await
        .unwrap();
    browser
        .eval::<Value>("window.require('WAWebSocketModel').Socket.takeover()")
        .await
        .unwrap();
    wait_state(&browser, "CONNECTED").await;
    browser
        .wait_event("held message", |e| e["id"] == id.as_str())
        .await;

    assert!(sim.force_state(ME, "NOT_A_STATE").await.is_err());
    assert!(matches!(
        sim.force_state("923000000001", "TIMEOUT").await,
        Err(wa_sim::SimError::NotLinked(_))
    ));
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn query_exists_knows_unregistered_numbers_and_lids() {
    let (sim, _profile, browser) = linked().await;
    sim.set_registered("923000000009", false);
    let js = r#"(async () => {
      const Q = window.require('WAWebQueryExistsJob'); const W = window.require('WAWebWidFactory');
      const yes = await Q.queryWidExists(W.createWid('923339998877@c.us'));
      const no = await Q.queryWidExists(W.createWid('923000000009@c.us'));
      const lid = window.require('WAWebApiContact').getCurrentLid(W.createWid('923339998877@c.us'));
      return { yes: String(yes.wid), no, lid: String(lid) };
    })()"#;
    let r: Value = browser.eval(js).await.unwrap();
    assert_eq!(r["yes"], "923339998877@c.us");
    assert_eq!(r["no"], Value::Null);
    assert!(r["lid"].as_str().unwrap().ends_with("@lid"), "{r}");
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn socket_logout_from_the_page_fires_logout_and_unlinks_the_device() {
    let (sim, _profile, browser) = linked().await;
    browser.clear_events();
    let _ = browser
        .eval::<Value>(
            "(() => { window.require('WAWebSocketModel').Socket.logout(); return true; })()",
        )
        .await;
    browser.wait_event("logout", |e| e["ev"] == "logout").await;
    browser
        .wait_event("post_logout=1", |e| {
            e["ev"] == "load" && e["url"].as_str().unwrap_or("").contains("post_logout=1")
        })
        .await;
    common::shown_qr(&browser).await;
    assert!(sim.linked_devices(ME).is_empty());
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn an_open_page_reconnects_after_the_simulator_restarts_on_the_same_port() {
    let state = tempfile::tempdir().unwrap();
    let sim = Simulator::start(SimConfig::fast().with_state_dir(state.path()))
        .await
        .unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    link(&browser, &sim, ME).await;
    let port = sim.port();
    sim.shutdown().await;
    browser
        .wait_event("the socket drops", |e| {
            e["ev"] == "state" && e["state"] == "OPENING"
        })
        .await;

    let sim = Simulator::start(
        SimConfig::fast()
            .with_state_dir(state.path())
            .with_port(port),
    )
    .await
    .unwrap();
    wait_state(&browser, "CONNECTED").await;
    let id = sim
        .send_inbound(InboundMessage::text(ME, FRIEND, "after the restart"))
        .await
        .unwrap();
    browser
        .wait_event("the message", |e| {
            e["id"] == id.as_str() && e["isNewMsg"] == true
        })
        .await;
    browser.close().await;
    sim.shutdown().await;
}
