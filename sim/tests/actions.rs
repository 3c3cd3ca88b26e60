//! Beyond text, through a real headless Chromium, used the way WA_WEB_FEATURES.md §3-4 and §8 say
//! injectors use the page: inbound locations, cards, polls, replies and mentions as `Msg` fields;
//! the phones' reactions and votes through the addon tables' `bulkUpsert` (called through the
//! module property, so a wrapper sees them); edits and revokes in place; and the page's own
//! reactions, votes, edits, revokes, reads, chat states, presence and receipts reaching the servers.

mod common;

use common::{link, TestBrowser};
use serde_json::{json, Value};
use wa_sim::{
    AckBehaviour, InboundLocation, InboundMessage, SimConfig, Simulator, EDIT_WINDOW_SECS,
};

const ME: &str = "923001234567";
const FRIEND: &str = "923339998877";
const OTHER: &str = "14155550123";

async fn linked() -> (Simulator, tempfile::TempDir, TestBrowser) {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    link(&browser, &sim, ME).await;
    (sim, profile, browser)
}

/// The message `id` as the page holds it, once it is there.
async fn msg(browser: &TestBrowser, id: &str) -> Value {
    let js = format!(
        "(() => {{ const m = window.require('WAWebCollections').Msg.get({id:?}); if (!m) return null;
           const o = {{}}; for (const [k, v] of Object.entries(m.serialize())) o[k] = v && v._serialized ? v._serialized : (v && v.toString && v.toString !== Object.prototype.toString && typeof v === 'object' && !Array.isArray(v) ? String(v) : v);
           o.mentionedJidList = (m.mentionedJidList || []).map(String); return o; }})()"
    );
    browser.wait_for(&format!("message {id}"), &js).await
}

/// Runs `body` (an async function body) in the page and returns its value.
async fn run(browser: &TestBrowser, body: &str) -> Result<Value, String> {
    browser.eval(&format!("(async () => {{ {body} }})()")).await
}

/// What the page's devices did, once an action of `kind` reached the servers (its frame arrives a
/// moment after the page's call returned).
async fn recorded_until(sim: &Simulator, kind: &str) -> Vec<wa_sim::DeviceAction> {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    loop {
        let actions = sim.device_actions(ME);
        if actions.iter().any(|a| a.kind == kind) {
            return actions;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no {kind} recorded: {actions:?}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
}

#[tokio::test]
async fn what_the_phones_send_and_do_arrives_as_whatsapp_web_has_it() {
    let (sim, _profile, browser) = linked().await;
    let here = InboundLocation {
        latitude: 24.86,
        longitude: 67.01,
        name: Some("Mazar".into()),
        address: Some("Karachi".into()),
        url: Some("https://maps.example.com/q".into()),
    };
    let loc = sim
        .send_inbound(InboundMessage::text(ME, FRIEND, "").location(here))
        .await
        .unwrap();
    let m = msg(&browser, &loc).await;
    assert_eq!(
        (&m["type"], &m["lat"], &m["lng"], &m["loc"]),
        (
            &json!("location"),
            &json!(24.86),
            &json!(67.01),
            &json!("Mazar\nKarachi")
        )
    );
    assert_eq!(m["clientUrl"], "https://maps.example.com/q");

    let card = "BEGIN:VCARD\nVERSION:3.0\nFN:Carol\nEND:VCARD";
    let cards = sim
        .send_inbound(InboundMessage::text(ME, FRIEND, "").vcards(&[card, card]))
        .await
        .unwrap();
    let m = msg(&browser, &cards).await;
    assert_eq!(
        (&m["type"], &m["vcardList"][1]["displayName"]),
        (&json!("multi_vcard"), &json!("Carol"))
    );

    let poll = sim
        .send_inbound(InboundMessage::text(ME, FRIEND, "").poll("Lunch?", &["A", "B"], true))
        .await
        .unwrap();
    let m = msg(&browser, &poll).await;
    assert_eq!(
        (&m["pollName"], &m["pollSelectableOptionsCount"]),
        (&json!("Lunch?"), &json!(0))
    );

    let text = format!("@{OTHER} look");
    let reply = sim
        .send_inbound(
            InboundMessage::text(ME, FRIEND, &text)
                .reply_to(&loc)
                .mentions(&[OTHER]),
        )
        .await
        .unwrap();
    let m = msg(&browser, &reply).await;
    assert_eq!(
        (&m["quotedMsg"]["type"], &m["quotedParticipant"]),
        (&json!("location"), &json!(format!("{FRIEND}@c.us")))
    );
    assert_eq!(m["mentionedJidList"], json!([format!("{OTHER}@c.us")]));
    let quoted = run(
        &browser,
        &format!(
            "const m = window.require('WAWebCollections').Msg.get({reply:?});
        return String(window.require('WAWebQuotedMsgModelUtils').getQuotedMsgObj(m).id);"
        ),
    )
    .await
    .unwrap();
    assert_eq!(quoted, json!(loc));

    // An injector's wrappers, installed the documented way: they see the page's own upserts.
    run(&browser, "window.seen = [];
        const r = window.require('WAWebAddonReactionTableMode').reactionTableMode, orig = r.bulkUpsert;
        r.bulkUpsert = function (rows) { for (const x of rows) window.seen.push(['reaction', String(x.reactionParentKey), x.reactionText]); return orig.call(this, rows); };
        const v = window.require('WAWebAddonPollVoteTableMode').pollVoteTableMode, origV = v.bulkUpsert;
        v.bulkUpsert = function (rows) { for (const x of rows) window.seen.push(['vote', String(x.pollUpdateParentKey), x.selectedOptionLocalIds]); return origV.call(this, rows); };
        window.require('WAWebCollections').Msg.on('change:body change:type', (m, now, prev) => window.seen.push(['change', String(m.id), now, prev]));
        return true;").await.unwrap();
    sim.react(ME, FRIEND, &loc, "👍").unwrap();
    sim.vote(ME, FRIEND, &poll, &["A", "B"]).unwrap();
    sim.edit(ME, FRIEND, &reply, "edited").unwrap();
    sim.revoke(ME, FRIEND, &cards).unwrap();
    let seen = browser
        .wait_for(
            "the wrappers and listeners saw all four",
            "window.seen.length >= 5 && window.seen",
        )
        .await;
    let has = |row: Value| seen.as_array().unwrap().contains(&row);
    assert!(has(json!(["reaction", loc, "👍"])), "{seen}");
    assert!(has(json!(["vote", poll, [0, 1]])), "{seen}");
    assert!(has(json!(["change", reply, "edited", text])), "{seen}");
    assert!(
        has(json!(["change", cards, "revoked", "multi_vcard"])),
        "{seen}"
    );
    let edited = msg(&browser, &reply).await;
    assert!(
        edited["latestEditSenderTimestampMs"].is_number(),
        "{edited}"
    );

    assert!(
        sim.react(ME, OTHER, &loc, "👍").is_err(),
        "a phone outside the chat cannot react"
    );
    assert!(
        sim.edit(ME, FRIEND, &cards, "x").is_err(),
        "a deleted message cannot be edited"
    );
    assert!(
        sim.vote(ME, FRIEND, &loc, &["A"]).is_err(),
        "only polls take votes"
    );
    browser.close().await;
}

#[tokio::test]
async fn what_the_page_does_reaches_the_servers_within_whatsapps_rules() {
    let (sim, _profile, browser) = linked().await;
    sim.set_ack_behaviour(AckBehaviour::auto(20, 20, 20).up_to(1));
    let group = sim.create_group("Team", &[ME, FRIEND, OTHER]);
    let send = format!("const wid = window.require('WAWebWidFactory').createWid({group:?});
        const chat = (await window.require('WAWebFindChatAction').findOrCreateLatestChat(wid)).chat;
        const me = window.require('WAWebUserPrefsMeUser').getMaybeMePnUser();
        const MsgKey = window.require('WAWebMsgKey');
        const key = new MsgKey({{ from: me, to: chat.id, id: await MsgKey.newId(), participant: me, selfDir: 'out' }});
        const [added] = window.require('WAWebSendMsgChatAction').addAndSendMsgToChat(chat, {{ id: key, ack: 0, body: 'hi', type: 'chat', from: me, to: chat.id, local: true, self: 'out', t: Math.floor(Date.now() / 1000), isNewMsg: true }});
        await added; return String(key);");
    let id = run(&browser, &send)
        .await
        .unwrap()
        .as_str()
        .unwrap()
        .to_owned();
    let find = format!("const m = window.require('WAWebCollections').Msg.get({id:?});");

    run(&browser, &format!("{find} await window.require('WAWebSendReactionMsgAction').sendReactionToMsg(m, '🎉'); return true;")).await.unwrap();
    run(&browser, &format!("{find} await window.require('WAWebSendMessageEditAction').sendMessageEdit(m, 'hi all', {{}}); return true;")).await.unwrap();
    let chatstate = run(&browser, &format!("{find} const chat = window.require('WAWebCollections').Chat.get(m.id.remote);
        try {{ await window.require('WAWebChatStateBridge').sendChatStateComposing(chat); return 'accepted'; }} catch (e) {{ return e.name; }}")).await.unwrap();
    assert_eq!(
        chatstate, "TypeError",
        "a chat state takes a Wid, not a chat"
    );
    run(&browser, &format!("{find} await window.require('WAWebChatStateBridge').sendChatStateComposing(m.id.remote);
        await window.require('WAWebPresenceChatAction').sendPresenceAvailable(); return true;")).await.unwrap();

    sim.set_receipt(ME, &id, FRIEND, 3).unwrap();
    let info = run(&browser, &format!("{find} const i = await window.require('WAWebApiMessageInfoStore').queryMsgInfo(m.id);
        return {{ read: i.read.map((r) => String(r.id)), delivery: i.delivery.map((r) => String(r.id)), readRemaining: i.readRemaining }};")).await.unwrap();
    assert_eq!(
        info,
        json!({"read": [format!("{FRIEND}@c.us")], "delivery": [format!("{FRIEND}@c.us")], "readRemaining": 1})
    );

    sim.age_sent(ME, &id, EDIT_WINDOW_SECS + 1).unwrap();
    let too_old = format!("{find} if (window.require('WAWebMsgActionCapability').canEditText(m)) return null;
        try {{ await window.require('WAWebSendMessageEditAction').sendMessageEdit(m, 'late', {{}}); return 'edited'; }} catch (e) {{ return 'refused'; }}");
    assert_eq!(
        browser
            .wait_for(
                "the page sees the message aged",
                &format!("(async () => {{ {too_old} }})()")
            )
            .await,
        "refused"
    );
    run(&browser, &format!("{find} const chat = window.require('WAWebCollections').Chat.get(m.id.remote);
        await window.require('WAWebCmd').Cmd.sendRevokeMsgs(chat, {{ list: [m], type: 'message' }}, {{ clearMedia: true }}); return true;")).await.unwrap();

    let actions = recorded_until(&sim, "revoke").await;
    let kinds: Vec<&str> = actions.iter().map(|a| a.kind.as_str()).collect();
    for kind in ["reaction", "edit", "chatstate", "presence", "revoke"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    assert_eq!(
        actions.iter().filter(|a| a.kind == "edit").count(),
        1,
        "the late edit never left the page"
    );
    let sent = sim
        .sent_messages(ME)
        .into_iter()
        .find(|s| s.id == id)
        .unwrap();
    assert_eq!(
        (sent.body.as_str(), &sent.raw["type"]),
        ("hi all", &json!("revoked"))
    );
    browser.close().await;
}

/// Sends a text and a poll from the page to FRIEND, as a driver would; returns their ids.
async fn page_sends_text_and_poll(browser: &TestBrowser) -> (String, String) {
    let js = format!("const wid = window.require('WAWebWidFactory').createWid({FRIEND:?} + '@c.us');
        const chat = (await window.require('WAWebFindChatAction').findOrCreateLatestChat(wid)).chat;
        const me = window.require('WAWebUserPrefsMeUser').getMaybeMePnUser();
        const MsgKey = window.require('WAWebMsgKey');
        const send = async (fields) => {{
            const key = new MsgKey({{ from: me, to: chat.id, id: await MsgKey.newId(), selfDir: 'out' }});
            const [added] = window.require('WAWebSendMsgChatAction').addAndSendMsgToChat(chat, Object.assign({{ id: key, ack: 0, type: 'chat',
                from: me, to: chat.id, local: true, self: 'out', t: Math.floor(Date.now() / 1000), isNewMsg: true }}, fields));
            await added; return String(key);
        }};
        return [await send({{ body: 'Lunch?' }}), await send({{ body: '', type: 'poll_creation', pollName: 'Where?',
            pollOptions: [{{ name: 'A', localId: 0 }}, {{ name: 'B', localId: 1 }}], pollSelectableOptionsCount: 1 }})];");
    let ids = run(browser, &js).await.unwrap();
    (
        ids[0].as_str().unwrap().to_owned(),
        ids[1].as_str().unwrap().to_owned(),
    )
}

#[tokio::test]
async fn a_person_reacts_replies_and_votes_from_the_phone_page() {
    let (sim, _profile, browser) = linked().await;
    let (text, poll) = page_sends_text_and_poll(&browser).await;
    let phone = browser
        .new_tab(&format!("{}__sim/phone", sim.base_url()))
        .await;
    let eval = |js: String| {
        let phone = phone.clone();
        async move {
            phone
                .evaluate(js)
                .await
                .ok()
                .and_then(|r| r.value().cloned())
                .unwrap_or(Value::Null)
        }
    };
    let button = |kind: &str, id: &str| format!("document.querySelector('[data-{kind}=\"{id}\"]')");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while eval(format!("!!{}", button("vote", &poll))).await != json!(true) {
        assert!(
            std::time::Instant::now() < deadline,
            "the phone page shows the poll with a Vote button"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    eval(format!("{}.click()", button("react", &text))).await;
    browser
        .wait_for(
            "the reaction in the page",
            &format!("window.require('WAWebCollections').Msg.get({text:?}).hasReaction === true"),
        )
        .await;

    eval("window.prompt = () => 'B'".to_string()).await;
    eval(format!("{}.click()", button("vote", &poll))).await;
    let votes = format!("(async () => (await window.require('WAWebPollsVotesSchema').getTable().equals(['parentMsgKey'], {poll:?})).map((r) => r.selectedOptionLocalIds))()");
    assert_eq!(
        browser
            .wait_for(
                "the vote in the page",
                &format!(
                    "(async () => {{ const v = await {votes}; return v.length ? v : null; }})()"
                )
            )
            .await,
        json!([[1]])
    );

    eval(format!("{}.click()", button("reply", &text))).await;
    eval("(() => { document.querySelector('#body').value = 'Yes, at 1'; document.querySelector('#compose button').click(); })()".to_string()).await;
    let quoted = browser.wait_for("the reply in the page", "(() => { const m = window.require('WAWebCollections').Msg.getModelsArray().find((m) => m.body === 'Yes, at 1'); return m ? m.quotedStanzaID : null; })()").await;
    assert!(
        text.ends_with(quoted.as_str().unwrap()),
        "{quoted} quotes {text}"
    );
    TestBrowser::screenshot(&phone, "phone-actions").await;
    browser.close().await;
}
