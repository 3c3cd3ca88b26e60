//! Where the servers are strict: addressing modes, disappearing chats, canonical numbers, hidden
//! numbers behind `@lid`, every ack value, id lengths.

mod common;

use common::{link, TestBrowser};
use serde_json::Value;
use wa_sim::{InboundMessage, SimConfig, Simulator};

const ME: &str = "923001234567";
const FRIEND: &str = "923339998877";

/// A send as section 6 has it, with the sender (`pn` or `lid`) and the ephemeral merge chosen by
/// the test, so that both the right and the wrong way can be tried.
fn send_js(to: &str, from: &str, ephemeral: bool) -> String {
    format!(
        r#"(async (to, from, ephemeral) => {{
  const wid = window.require('WAWebWidFactory').createWid(to);
  const chat = window.require('WAWebCollections').Chat.get(wid) || (await window.require('WAWebFindChatAction').findOrCreateLatestChat(wid)).chat;
  const U = window.require('WAWebUserPrefsMeUser');
  const me = from === 'lid' ? U.getMaybeMeLidUser() : U.getMaybeMePnUser();
  const MsgKey = window.require('WAWebMsgKey');
  const key = new MsgKey({{ from: me, to: chat.id, id: await MsgKey.newId(), participant: chat.id.isGroup() ? me : undefined, selfDir: 'out' }});
  const extra = ephemeral ? window.require('WAWebGetEphemeralFieldsMsgActionsUtils').getEphemeralFields(chat) : {{}};
  const msg = Object.assign({{ id: key, ack: 0, body: 'hi', type: 'chat', from: me, to: chat.id, local: true, self: 'out',
    t: Math.floor(Date.now() / 1000), isNewMsg: true }}, extra);
  const [added] = window.require('WAWebSendMsgChatAction').addAndSendMsgToChat(chat, msg);
  await added;
  const id = key.toString();
  const m = window.require('WAWebCollections').Msg.get(id);
  await new Promise((resolve) => {{
    const done = () => m.ack !== 0;
    if (done()) return resolve();
    m.on('change:ack', () => {{ if (done()) resolve(); }});
  }});
  return {{ id, ack: m.ack, lidMode: Boolean(chat.groupMetadata && chat.groupMetadata.isLidAddressingMode), extra }};
}})({to:?}, {from:?}, {ephemeral})"#
    )
}

async fn linked() -> (Simulator, tempfile::TempDir, TestBrowser) {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    link(&browser, &sim, ME).await;
    (sim, profile, browser)
}

#[tokio::test]
async fn lid_mode_groups_and_lid_chats_refuse_a_phone_number_sender() {
    let (sim, _profile, browser) = linked().await;
    let group = sim.create_group("Team", &[ME, FRIEND]);
    sim.set_group_lid_mode(&group, true).unwrap();
    let wrong: Value = browser.eval(&send_js(&group, "pn", false)).await.unwrap();
    assert_eq!(wrong["ack"], -1, "{wrong}");
    assert_eq!(wrong["lidMode"], true, "{wrong}");
    let right: Value = browser.eval(&send_js(&group, "lid", false)).await.unwrap();
    assert_eq!(right["ack"], 1, "{right}");
    let lid = sim.add_lid_contact(FRIEND);
    let wrong: Value = browser.eval(&send_js(&lid, "pn", false)).await.unwrap();
    assert_eq!(wrong["ack"], -1, "{wrong}");
    let right: Value = browser.eval(&send_js(&lid, "lid", false)).await.unwrap();
    assert_eq!(right["ack"], 1, "{right}");
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_disappearing_chat_records_whether_a_send_carried_the_ephemeral_fields() {
    let (sim, _profile, browser) = linked().await;
    let chat = format!("{FRIEND}@c.us");
    sim.set_disappearing(&chat, 86400);
    let with: Value = browser.eval(&send_js(&chat, "pn", true)).await.unwrap();
    assert_eq!(with["extra"]["ephemeralDuration"], 86400, "{with}");
    let without: Value = browser.eval(&send_js(&chat, "pn", false)).await.unwrap();
    let sent = sim.sent_messages(ME);
    let of = |v: &Value| {
        sent.iter()
            .find(|s| s.id == v["id"])
            .unwrap()
            .ephemeral_fields
    };
    assert_eq!(of(&with), Some(true));
    assert_eq!(of(&without), Some(false));
    let url = format!("{}__sim/accounts/{ME}/sent", sim.base_url());
    let listed: Value = reqwest::get(url).await.unwrap().json().await.unwrap();
    assert!(listed
        .as_array()
        .unwrap()
        .iter()
        .any(|s| s["ephemeral_fields"] == true));
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn query_wid_exists_answers_the_canonical_id_and_the_typed_one_is_never_delivered() {
    let (sim, _profile, browser) = linked().await;
    sim.set_alias("5511912345678", "551112345678").unwrap();
    let js = "window.require('WAWebQueryExistsJob').queryWidExists(window.require('WAWebWidFactory').createWid('5511912345678@c.us')).then((r) => String(r.wid))";
    let canonical: String = browser.eval(js).await.unwrap();
    assert_eq!(canonical, "551112345678@c.us");
    let typed: Value = browser
        .eval(&send_js("5511912345678@c.us", "pn", false))
        .await
        .unwrap();
    assert_eq!(
        typed["ack"], 1,
        "accepted by the server, never delivered: {typed}"
    );
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_lid_sender_can_come_without_any_phone_mapping() {
    let (sim, _profile, browser) = linked().await;
    sim.send_inbound(InboundMessage::text(ME, FRIEND, "who am i").hidden_phone())
        .await
        .unwrap();
    let added = browser
        .wait_event("msg-add", |e| {
            e["ev"] == "msg-add" && e["body"] == "who am i"
        })
        .await;
    let from = added["from"].as_str().unwrap().to_string();
    assert!(from.ends_with("@lid"), "{from}");
    let js = format!("(async () => {{ const W = window.require('WAWebWidFactory'); const lid = W.createWid({from:?}); const pn = window.require('WAWebApiContact').getPhoneNumber(lid); const q = await window.require('WAWebQueryExistsJob').queryWidExists(lid); return [pn == null, String(q && q.wid), window.require('WAWebApiContact').getPhoneNumber(lid) == null]; }})()");
    let got: Value = browser.eval(&js).await.unwrap();
    assert_eq!(got, serde_json::json!([true, from, true]));
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn every_ack_value_can_be_driven_and_ids_have_several_lengths() {
    let (sim, _profile, browser) = linked().await;
    let sent: Value = browser
        .eval(&send_js(&format!("{FRIEND}@c.us"), "pn", false))
        .await
        .unwrap();
    let id = sent["id"].as_str().unwrap().to_string();
    for ack in [4, 5, -2, -7] {
        assert!(sim.set_ack(ME, &id, ack));
        browser
            .wait_event("ack", |e| {
                e["ev"] == "ack" && e["id"] == id.as_str() && e["ack"] == ack
            })
            .await;
    }
    let js = "Promise.all(Array.from({length: 60}, () => window.require('WAWebMsgKey').newId())).then((ids) => [...new Set(ids.map((i) => i.length))].sort())";
    let lengths: Vec<u64> = browser.eval(js).await.unwrap();
    assert!(lengths.len() > 1, "{lengths:?}");
    browser.close().await;
    sim.shutdown().await;
}
