//! The people around an account, as a page sees them: contacts with names, business flags,
//! about texts and pictures; blocks by `@lid`; chat settings; phone history loaded in pages;
//! number changes; incoming calls and their rejection by stanza.

mod common;

use common::{link, TestBrowser};
use serde_json::Value;
use wa_sim::{ContactSeed, SimConfig, Simulator};

const ME: &str = "923001234567";
const FRIEND: &str = "923339998877";
const OTHER: &str = "923335550000";

async fn linked() -> (Simulator, tempfile::TempDir, TestBrowser) {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let friend = ContactSeed {
        name: Some("Friend Name".into()),
        push_name: Some("friend".into()),
        about: Some("Hey there".into()),
        business: true,
        verified_name: Some("Friend Inc".into()),
        picture: true,
        ..ContactSeed::new(FRIEND)
    };
    sim.add_contact(ME, friend).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    link(&browser, &sim, ME).await;
    (sim, profile, browser)
}

const REQ: &str =
    "const R = (n) => window.require(n); const W = (s) => R('WAWebWidFactory').createWid(s);";

async fn eval(browser: &TestBrowser, body: &str) -> Value {
    let js = format!("(async () => {{ {REQ} {body} }})()");
    browser
        .eval(&js)
        .await
        .unwrap_or_else(|e| panic!("{body}: {e}"))
}

#[tokio::test]
async fn contacts_carry_names_business_flags_about_texts_and_pictures() {
    let (sim, _profile, browser) = linked().await;
    let c: Value = eval(&browser, &format!(r#"
        const c = R('WAWebCollections').Contact.get(W('{FRIEND}@c.us'));
        const G = R('WAWebContactGetters');
        const about = await R('WAWebContactStatusBridge').getStatus({{ token: '', wid: c.id }});
        const pic = await R('WAWebContactProfilePicThumbBridge').requestProfilePicFromServer({{ id: c.id }});
        let bare = null;
        try {{ await R('WAWebContactProfilePicThumbBridge').requestProfilePicFromServer(c.id); }} catch (e) {{ bare = e.name; }}
        const biz = await R('WAWebCollections').BusinessProfile.find(c.id);
        return {{ name: G.getName(c), push: G.getPushname(c), verified: G.getVerifiedName(c), mine: R('WAWebFrontendContactGetters').getIsMyContact(c),
                 business: c.isBusiness, about: about.status, eurl: pic.eurl, bare, biz: biz.verifiedName }};
    "#)).await;
    assert_eq!(c["name"], "Friend Name", "{c}");
    assert_eq!(
        (
            c["push"].as_str(),
            c["verified"].as_str(),
            c["biz"].as_str()
        ),
        (Some("friend"), Some("Friend Inc"), Some("Friend Inc"))
    );
    assert_eq!(
        (c["mine"].as_bool(), c["business"].as_bool()),
        (Some(true), Some(true))
    );
    assert_eq!(c["about"], "Hey there");
    assert_eq!(c["bare"], "TypeError", "a bare Wid is the pre-2026 form");
    let picture = reqwest::get(c["eurl"].as_str().unwrap()).await.unwrap();
    assert_eq!(picture.status(), 200);
    let none: Value = eval(&browser, &format!(r#"
        try {{ await R('WAWebContactProfilePicThumbBridge').requestProfilePicFromServer({{ id: W('{OTHER}@c.us') }}); return 'found'; }}
        catch (e) {{ return e.name; }}"#)).await;
    assert_eq!(none, "ServerStatusCodeError");
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn blocks_take_an_lid_and_fill_the_blocklist() {
    let (sim, _profile, browser) = linked().await;
    let r: Value = eval(&browser, &format!(r#"
        const A = R('WAWebBlockContactAction');
        let pn = null;
        try {{ await A.blockContact({{ contact: {{ id: W('{FRIEND}@c.us') }}, blockEntryPoint: 'ChatListBlock' }}); }} catch (e) {{ pn = e.name; }}
        const lid = R('WAWebApiContact').getAlternateUserWid(W('{FRIEND}@c.us'));
        await A.blockContact({{ contact: {{ id: lid, isContactBlocked: false, phoneNumber: null }}, blockEntryPoint: 'ChatListBlock' }});
        const blocked = R('WAWebCollections').Blocklist.getModelsArray().map((b) => String(b.id));
        const flag = R('WAWebCollections').Contact.get(W('{FRIEND}@c.us')).isContactBlocked;
        return {{ pn, lid: String(lid), blocked, flag }};
    "#)).await;
    assert_eq!(r["pn"], "TypeError", "{r}");
    assert_eq!(r["blocked"][0], r["lid"]);
    assert_eq!(r["flag"], true);
    assert_eq!(sim.profile(ME)["blocked"][0], FRIEND);
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn history_comes_in_pages_and_the_phone_uploads_more_when_asked() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let chat = sim.seed_history(ME, FRIEND, 300, 0).unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    link(&browser, &sim, ME).await;
    let r: Value = eval(&browser, &format!(r#"
        const chat = R('WAWebCollections').Chat.get(W('{chat}'));
        const L = R('WAWebChatLoadMessages');
        let old = null;
        try {{ await L.loadEarlierMsgs(chat, chat.msgs); }} catch (e) {{ old = e.name; }}
        const sizes = [];
        for (let i = 0; i < 5; i++) sizes.push((await L.loadEarlierMsgs({{ chat }})).length);
        const before = chat.endOfHistoryTransferType;
        await R('WAWebSendNonMessageDataRequest').sendPeerDataOperationRequest(3, {{ chatId: chat.id }});
        await new Promise((r) => setTimeout(r, 600));
        const more = (await L.loadEarlierMsgs({{ chat }})).length;
        const isNew = chat.msgs.getModelsArray().some((m) => m.isNewMsg);
        return {{ old, sizes, before, more, after: chat.endOfHistoryTransferType, isNew, total: chat.msgs.length }};
    "#)).await;
    assert_eq!(r["old"], "TypeError", "{r}");
    assert_eq!(r["sizes"], serde_json::json!([50, 50, 50, 50, 0]), "{r}");
    assert_eq!(
        (r["before"].as_u64(), r["after"].as_u64()),
        (Some(0), Some(2)),
        "{r}"
    );
    assert_eq!(
        (r["more"].as_u64(), r["total"].as_u64()),
        (Some(50), Some(250)),
        "{r}"
    );
    assert_eq!(r["isNew"], false);
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn chat_settings_persist_and_the_phone_archives_and_deletes() {
    let (sim, _profile, browser) = linked().await;
    sim.seed_history(ME, OTHER, 2, 0).unwrap();
    let chat = format!("{FRIEND}@c.us");
    let r: Value = eval(
        &browser,
        &format!(
            r#"
        const chat = (await R('WAWebFindChatAction').findOrCreateLatestChat(W('{chat}'))).chat;
        const seen = [];
        R('WAWebCollections').Chat.on('change:archive', (c, now) => seen.push(now));
        await R('WAWebCmd').Cmd.archiveChat(chat, true);
        await R('WAWebCmd').Cmd.pinChat(chat, true);
        await chat.mute.mute({{ expiration: -1, sendDevice: true }});
        return {{ seen, archive: chat.archive, pin: !!chat.pin, mute: chat.mute.expiration }};
    "#
        ),
    )
    .await;
    assert_eq!(r["seen"], serde_json::json!([true]), "{r}");
    assert_eq!(
        (r["pin"].as_bool(), r["mute"].as_i64()),
        (Some(true), Some(-1))
    );
    sim.phone_archive(ME, &chat, false).unwrap();
    browser
        .wait_for(
            "unarchived by the phone",
            &format!("window.require('WAWebCollections').Chat.get('{chat}').archive === false"),
        )
        .await;
    sim.phone_delete_chat(ME, &chat).unwrap();
    browser
        .wait_for(
            "deleted by the phone",
            &format!("!window.require('WAWebCollections').Chat.get('{chat}')"),
        )
        .await;
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_number_change_arrives_as_a_change_number_notice() {
    let (sim, _profile, browser) = linked().await;
    sim.seed_history(ME, FRIEND, 2, 0).unwrap();
    sim.change_number(FRIEND, OTHER).unwrap();
    let js = r#"(() => {
        const m = window.require('WAWebCollections').Msg.getModelsArray().find((m) => m.subtype === 'change_number');
        return m ? { type: m.type, to: String(m.to), params: m.templateParams, isNew: m.isNewMsg } : null;
    })()"#;
    let m = browser.wait_for("the change_number notice", js).await;
    assert_eq!(m["type"], "notification_template", "{m}");
    assert_eq!(m["isNew"], true, "{m}");
    assert_eq!(m["to"], format!("{OTHER}@c.us"));
    assert_eq!(
        m["params"],
        serde_json::json!([format!("{FRIEND}@c.us"), format!("{OTHER}@c.us")])
    );
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_call_is_set_in_the_call_map_and_a_reject_stanza_ends_it() {
    let (sim, _profile, browser) = linked().await;
    eval(&browser, r#"
        const holder = R('WAWebCallCollection').WAWebCallCollection;
        const map = Object.values(holder).find((v) => v instanceof Map);
        const set = map.set;
        window.__calls = [];
        map.set = function (k, v) { window.__calls.push({ id: k, peer: String(v.peerJid), video: v.isVideo }); return set.call(this, k, v); };
        return true;
    "#).await;
    let call = sim.call(ME, FRIEND, true).unwrap();
    let seen = browser
        .wait_for(
            "the call",
            "window.__calls.length ? window.__calls[0] : null",
        )
        .await;
    assert_eq!(seen["id"], call.id.as_str());
    assert_eq!(
        (seen["peer"].as_str(), seen["video"].as_bool()),
        (Some(format!("{FRIEND}@c.us").as_str()), Some(true))
    );
    eval(&browser, &format!(r#"
        const Wap = R('WAWap');
        const peer = W('{FRIEND}@c.us');
        const me = R('WAWebUserPrefsMeUser').getMaybeMePnUser();
        await R('WADeprecatedSendIq').deprecatedCastStanza(Wap.wap('call', {{ id: Wap.generateId(), from: me, to: peer }},
            [Wap.wap('reject', {{ 'call-id': '{}', 'call-creator': peer, count: '0' }}, null)]));
        return true;
    "#, call.id)).await;
    assert_eq!(sim.calls(ME)[0].status, "rejected");
    browser.close().await;
    sim.shutdown().await;
}
