//! Breakage drills beyond whole modules: a renamed member, an older argument form or home, keys
//! without `_serialized`; and the page calling its modules through the property.

mod common;

use common::{link, TestBrowser};
use serde_json::Value;
use wa_sim::{InboundMessage, SimConfig, Simulator};

const ME: &str = "923001234567";
const FRIEND: &str = "923339998877";

async fn open(sim: &Simulator) -> (tempfile::TempDir, TestBrowser) {
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    link(&browser, sim, ME).await;
    (profile, browser)
}

const CHAT: &str = "const W = window.require('WAWebWidFactory'); const { chat } = await window.require('WAWebFindChatAction').findOrCreateLatestChat(W.createWid('923339998877@c.us'));";

#[tokio::test]
async fn a_renamed_member_is_gone_under_its_old_name() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    sim.rename_member("WAWebUpdateUnreadChatAction", "sendSeen", "markSeen");
    let (_p, browser) = open(&sim).await;
    let js = "(() => { const U = window.require('WAWebUpdateUnreadChatAction'); return [typeof U.sendSeen, typeof U.markSeen]; })()";
    let got: Value = browser.eval(js).await.unwrap();
    assert_eq!(got, serde_json::json!(["undefined", "function"]));
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn the_old_send_seen_form_comes_back_and_the_new_one_then_fails() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    sim.old_form("sendSeen").unwrap();
    let (_p, browser) = open(&sim).await;
    let js = format!("(async () => {{ {CHAT} const U = window.require('WAWebUpdateUnreadChatAction'); const r = (p) => p.then(() => 'ok', () => 'threw'); return [await r(U.sendSeen(chat)), await r(U.sendSeen({{ chat }}))]; }})()");
    let got: Value = browser.eval(&js).await.unwrap();
    assert_eq!(got, serde_json::json!(["ok", "threw"]));
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn the_adv_secret_can_move_back_to_its_old_home() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    sim.old_form("advSecret").unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    browser.open(&sim.base_url()).await;
    browser
        .wait_for("Debug.VERSION", "window.Debug && window.Debug.VERSION")
        .await;
    let js = "[typeof window.require('WAWebUserPrefsMultiDevice').getADVSecretKey, typeof window.require('WAWebAdvSignatureApi').getADVSecretKey]";
    let got: Value = browser.eval(js).await.unwrap();
    assert_eq!(got, serde_json::json!(["undefined", "function"]));
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn keys_can_come_without_their_own_serialized() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    sim.drop_key_serialized(true);
    let (_p, browser) = open(&sim).await;
    let js = "(async () => { const K = window.require('WAWebMsgKey'); const k = new K({ from: '923001234567@c.us', to: '923339998877@c.us', id: await K.newId(), selfDir: 'out' }); return [Object.prototype.hasOwnProperty.call(k, '_serialized'), k._serialized === undefined, String(k).startsWith('true_923339998877@c.us_3EB0')]; })()";
    let got: Value = browser.eval(js).await.unwrap();
    assert_eq!(got, serde_json::json!([false, true, true]));
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn the_page_calls_its_modules_through_the_property_so_a_wrapper_sees_its_sends() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let (_p, browser) = open(&sim).await;
    sim.send_inbound(InboundMessage::text(ME, FRIEND, "hello"))
        .await
        .unwrap();
    browser
        .wait_for(
            "the chat row",
            "document.querySelector('.chat-row') !== null",
        )
        .await;
    let js = r#"(() => {
      const A = window.require('WAWebSendMsgChatAction');
      const original = A.addAndSendMsgToChat;
      window.wrapped = 0;
      A.addAndSendMsgToChat = function (...args) { window.wrapped += 1; return original.apply(this, args); };
      document.querySelector('.chat-row').click();
      return true;
    })()"#;
    let _: bool = browser.eval(js).await.unwrap();
    browser
        .wait_for(
            "the compose box",
            "document.querySelector('.compose input') !== null",
        )
        .await;
    let js = "(() => { const f = document.querySelector('.compose'); f.querySelector('input').value = 'typed by hand'; f.requestSubmit(); return true; })()";
    let _: bool = browser.eval(js).await.unwrap();
    browser
        .wait_for("the wrapper saw the send", "window.wrapped === 1")
        .await;
    common_sent(&sim, "typed by hand").await;
    browser.close().await;
    sim.shutdown().await;
}

async fn common_sent(sim: &Simulator, body: &str) {
    let deadline = std::time::Instant::now() + common::DEADLINE;
    while !sim.sent_messages(ME).iter().any(|s| s.body == body) {
        assert!(
            std::time::Instant::now() < deadline,
            "{body:?} never recorded"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}
