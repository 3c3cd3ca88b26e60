//! The dashboard end to end: a real headless Chromium drives `/dashboard` against a live gateway
//! and wa-sim. Every test fails on any console error, uncaught exception or CSP violation in the
//! page, and leaves a screenshot in `<target>/dashboard-screenshots/`.

mod common;

use common::dashboard::Dashboard;
use common::{eventually, receiver::Receiver, spawn_app_with, Api, Options, TestApp, LINK_TIMEOUT};
use reqwest::StatusCode;
use serde_json::{json, Value};
use wa_sim::{AckBehaviour, InboundMessage, SimConfig};

const ADMIN_KEY: &str = "admin-key-for-dashboard-tests-0123";
const ALICE: &str = "923001234567";
const BOB: &str = "923007654321";

async fn keyed_app(extra: Vec<(&'static str, String)>) -> TestApp {
    let mut env = vec![
        ("API_KEY", ADMIN_KEY.to_owned()),
        ("RATE_LIMIT_PER_MINUTE", "0".to_owned()),
    ];
    env.extend(extra);
    // Acks stop at "delivered": the test drives "read" itself through the simulator.
    let mut sim = SimConfig::fast();
    sim.acks = AckBehaviour::auto(50, 100, 150).up_to(2);
    spawn_app_with(Options {
        env,
        sim: Some(sim),
    })
    .await
}

fn admin(app: &TestApp) -> Api {
    Api::with_key(&app.base, ADMIN_KEY)
}

/// A JS string literal.
fn js(s: &str) -> String {
    json!(s).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_operator_links_a_number_by_qr_and_the_row_turns_connected_without_a_reload() {
    let app = keyed_app(vec![]).await;
    let dash = Dashboard::launch(&app).await;
    dash.open("#/connections").await;
    dash.sign_in(ADMIN_KEY).await;
    dash.eval::<Value>("window.loadedOnce = 'yes'").await;

    let id = link_through_the_page(&app, &dash).await;
    dash.click("#nav a[data-page=connections]").await;
    let row = format!("#connections tr[data-connection-id={}]", js(&id));
    dash.wait_for(
        "the row is connected",
        &format!("document.querySelector('{row}[data-status=connected]')"),
    )
    .await;
    let text = dash.text(&row).await;
    assert!(text.contains(&format!("+{ALICE}")), "{text}");
    dash.wait_for(
        "the profile name",
        &format!("document.querySelector('{row}').textContent.includes('Alice')"),
    )
    .await;
    let same: String = dash.eval("window.loadedOnce").await;
    assert_eq!(same, "yes", "the page was never reloaded");
    dash.assert_accessible("the connections page with a linked number")
        .await;
    link_by_pairing_code(&app, &dash).await;
    dash.finish("link-by-qr").await;
    app.shutdown().await;
}

/// Link a number → a phone number → the code the page shows, typed on the simulated phone.
async fn link_by_pairing_code(app: &TestApp, dash: &Dashboard) {
    dash.click("#nav a[data-page=link]").await;
    dash.type_into("#link-phone", "+92 333 9998877").await;
    dash.click("#link-code-submit").await;
    let code = dash
        .wait_for(
            "the pairing code",
            "(() => { const c = document.querySelector('#link-code'); return c && c.textContent; })()",
        )
        .await;
    let code = code.as_str().unwrap().to_owned();
    assert!(code.len() == 9 && code.as_bytes()[4] == b'-', "{code}");
    app.sim
        .enter_link_code(&code, "Carol")
        .await
        .expect("the phone takes the code");
    dash.wait_for(
        "the link page follows the code to connected",
        "document.querySelector('#link-status[data-status=connected]')",
    )
    .await;
    assert!(dash.text("#link-status").await.contains("+923339998877"));
}

/// Link a number → QR → scan the QR the page shows (through the simulator) → connected.
async fn link_through_the_page(app: &TestApp, dash: &Dashboard) -> String {
    dash.click("#nav a[data-page=link]").await;
    dash.click("#link-qr").await;
    let src = dash
        .wait_for(
            "the QR image",
            "(() => { const i = document.querySelector('#link-qr-image'); return i && i.src.startsWith('data:image/png') ? i.src : null; })()",
        )
        .await;
    dash.assert_accessible("the link page showing a QR code")
        .await;
    dash.screenshot("link-qr-shown").await;
    let id = dash.text("#link-progress a.mono").await;
    let qr = common::qr::decode_data_url(src.as_str().unwrap());
    app.scan(&id, &qr, ALICE, "Alice").await;
    dash.wait_for(
        "the link page says connected",
        "document.querySelector('#link-status[data-status=connected]')",
    )
    .await;
    id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_text_sent_from_the_form_reaches_read_and_an_inbound_message_appears() {
    let app = keyed_app(vec![]).await;
    let id = admin(&app).link(&app.sim, ALICE, "Alice").await;
    let dash = Dashboard::launch(&app).await;
    dash.open(&format!("#/c/{id}")).await;
    dash.sign_in(ADMIN_KEY).await;
    dash.wait_for(
        "the timeline shows ready",
        "document.querySelector('#timeline li[data-event=ready]')",
    )
    .await;

    dash.type_into("#send-to", BOB).await;
    dash.type_into("#send-message", "Hello from the dashboard")
        .await;
    dash.click("#send-submit").await;
    let sent = eventually("the simulator gets the text", LINK_TIMEOUT, || async {
        let sent = app.sim.sent_messages(ALICE);
        sent.into_iter()
            .find(|m| m.body == "Hello from the dashboard")
    })
    .await;
    let bubble = format!("#messages li[data-message-id={}]", js(&sent.id));
    dash.wait_for(
        "two grey ticks",
        &format!("document.querySelector('{bubble} .ticks[data-status=delivered]')"),
    )
    .await;
    assert!(app.sim.set_ack(ALICE, &sent.id, 3), "the phone reads it");
    dash.wait_for(
        "the ticks turn read",
        &format!("document.querySelector('{bubble} .ticks[data-status=read]')"),
    )
    .await;

    app.sim
        .send_inbound(InboundMessage::text(ALICE, BOB, "Hi back").push_name("Bob"))
        .await
        .unwrap();
    dash.wait_for(
        "the inbound message",
        "[...document.querySelectorAll('#messages li.inbound')].some((l) => l.textContent.includes('Hi back'))",
    )
    .await;
    dash.assert_accessible("a connection's page").await;
    dash.screenshot("connection-page").await;

    disconnect_through_the_page(&app, &dash, &id).await;
    dash.finish("send-receive-disconnect").await;
    app.shutdown().await;
}

/// Disconnect… → the confirmation → the page shows it ended; the record is archived.
async fn disconnect_through_the_page(app: &TestApp, dash: &Dashboard, id: &str) {
    dash.click("#disconnect").await;
    dash.wait_for("the confirmation", "document.querySelector('dialog[open]')")
        .await;
    dash.click("dialog[open] button.danger").await;
    dash.wait_for(
        "the page shows it disconnected",
        "document.querySelector('#conn-status [data-status=disconnected]')",
    )
    .await;
    // The API's answer comes once the record is archived.
    dash.wait_for(
        "the disconnect is confirmed",
        "document.querySelector('#toast').textContent.includes('Disconnected.')",
    )
    .await;
    let record = admin(app).connection(id).await;
    assert_eq!(record["status"], "disconnected", "{record}");
    assert_eq!(record["reason"], "API_DISCONNECT", "{record}");
    assert_eq!(record["archived"], true, "{record}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failing_webhook_leaves_a_dead_letter_that_the_replay_button_delivers() {
    let app = keyed_app(vec![("WEBHOOK_MAX_ATTEMPTS", "1".into())]).await;
    let receiver = Receiver::start().await;
    receiver.answer_with(|_| 500);
    let id = admin(&app).link(&app.sim, ALICE, "Alice").await;
    let dash = Dashboard::launch(&app).await;
    dash.open(&format!("#/c/{id}")).await;
    dash.sign_in(ADMIN_KEY).await;

    dash.type_into("#wh-url", &receiver.url).await;
    dash.click("#webhook-form input[value=message]").await;
    dash.click("#webhook-form button[type=submit]").await;
    dash.wait_for(
        "the webhook is saved",
        "document.querySelector('#wh-remove')",
    )
    .await;
    app.sim
        .send_inbound(InboundMessage::text(ALICE, BOB, "to the webhook"))
        .await
        .unwrap();
    let dead = "#deliveries tr[data-status=failed]";
    dash.wait_for(
        "the dead letter",
        &format!("document.querySelector('{dead}')"),
    )
    .await;
    assert!(dash.text(dead).await.contains("HTTP 500"));
    dash.click("#dead-only").await;
    dash.wait_for("only dead letters", "document.querySelector('#dead-only').checked && document.querySelector('#deliveries tr[data-status=failed]')").await;
    dash.screenshot("dead-letter").await;

    receiver.answer_with(|_| 200);
    dash.click("#dead-only").await;
    dash.click(&format!("{dead} button[data-replay]")).await;
    eventually("the replay reaches the receiver", LINK_TIMEOUT, || async {
        (!receiver.delivered().is_empty()).then_some(())
    })
    .await;
    dash.wait_for(
        "the delivery shows delivered",
        "document.querySelector('#deliveries tr[data-status=delivered]')",
    )
    .await;
    let hit = &receiver.delivered()[0];
    assert_eq!(hit["data"]["body"], "to the webhook");
    dash.finish("webhook-replay").await;
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_creates_and_revokes_keys_and_a_viewer_cannot_send() {
    let Some(uri) = common::skip::mongo_uri() else {
        return;
    };
    let db = common::mongo::database_name();
    let app = keyed_app(vec![("MONGO_URI", uri.clone()), ("MONGO_DB", db.clone())]).await;
    let id = admin(&app).link(&app.sim, ALICE, "Alice").await;
    let dash = Dashboard::launch(&app).await;
    dash.open("#/keys").await;
    dash.sign_in(ADMIN_KEY).await;

    let viewer = create_key(&dash, "default", "viewer", "dashboard viewer").await;
    let doomed = create_key(&dash, "default", "operator", "to revoke").await;
    dash.assert_accessible("the keys page").await;
    let doomed_row = "#keys tr[data-revoked=no]:has(button[aria-label='Revoke the key to revoke'])";
    dash.click(&format!("{doomed_row} button[data-revoke]"))
        .await;
    dash.click("dialog[open] button.danger").await;
    dash.wait_for("the key is listed as revoked", "[...document.querySelectorAll('#keys tr[data-revoked=yes]')].some((r) => r.textContent.includes('to revoke'))").await;
    let refused = Api::with_key(&app.base, &doomed)
        .get("/wa/connections")
        .await;
    assert_eq!(refused.status, StatusCode::UNAUTHORIZED, "{}", refused.body);

    a_viewer_sees_no_send_form(&app, &dash, &viewer, &id).await;
    dash.finish("keys-and-viewer").await;
    app.shutdown().await;
    common::mongo::drop_database(&uri, &db).await;
}

/// Signed in with a viewer key: no keys, no linking, no send form, reply or disconnect, a
/// read-only webhook; and the server refuses a send anyway.
async fn a_viewer_sees_no_send_form(app: &TestApp, dash: &Dashboard, viewer: &str, id: &str) {
    dash.click("#signout").await;
    dash.sign_in(viewer).await;
    assert_eq!(dash.text("#who").await, "viewer · default");
    let hidden: Vec<bool> = dash
        .eval(
            "['keys', 'link'].map((p) => document.querySelector(`#nav a[data-page=${p}]`).hidden)",
        )
        .await;
    assert_eq!(
        hidden,
        [true, true],
        "a viewer sees neither keys nor linking"
    );
    dash.go(&format!("#/c/{id}")).await;
    dash.wait_for(
        "the read-only note",
        "document.querySelector('#send-disabled')",
    )
    .await;
    let absent: bool = dash
        .eval("!document.querySelector('#send-form') && !document.querySelector('#disconnect') && !document.querySelector('button[data-reply-to]')")
        .await;
    assert!(absent, "no send form, reply or disconnect for a viewer");
    dash.wait_for(
        "the webhook form is read-only",
        "document.querySelector('#wh-url') && document.querySelector('#wh-url').disabled",
    )
    .await;
    dash.assert_accessible("a connection's page for a viewer")
        .await;
    // The server refuses it anyway.
    let r = Api::with_key(&app.base, viewer)
        .send(id, BOB, "sneaky")
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.body);
}

/// Creates a key through the form; returns the key the page shows once.
async fn create_key(dash: &Dashboard, tenant: &str, role: &str, name: &str) -> String {
    dash.eval::<Value>("document.querySelector('#key-tenant').value = ''; document.querySelector('#key-name').value = ''").await;
    dash.type_into("#key-tenant", tenant).await;
    dash.select("#key-role", role).await;
    dash.type_into("#key-name", name).await;
    dash.eval::<Value>("document.querySelector('#key-created').replaceChildren()")
        .await;
    dash.click("#key-form button[type=submit]").await;
    let key = dash
        .wait_for(
            "the new key",
            "(() => { const k = document.querySelector('#key-value'); return k && k.value; })()",
        )
        .await;
    dash.click("#key-copy").await;
    let listed = format!(
        "[...document.querySelectorAll('#keys tr')].some((r) => r.textContent.includes({}))",
        js(name)
    );
    dash.wait_for("the new key is listed", &listed).await;
    key.as_str().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_is_accessible_in_light_and_dark_works_from_the_keyboard_and_fits_a_phone() {
    let app = keyed_app(vec![]).await;
    let id = admin(&app).link(&app.sim, ALICE, "Alice").await;
    let dash = Dashboard::launch(&app).await;
    dash.open("#/overview").await;
    dash.assert_accessible("the sign-in page").await;
    dash.sign_in(ADMIN_KEY).await;
    for dark in [false, true] {
        dash.page
            .emulate_media_features(vec![
                chromiumoxide::cdp::browser_protocol::emulation::MediaFeature::new(
                    "prefers-color-scheme",
                    if dark { "dark" } else { "light" },
                ),
            ])
            .await
            .unwrap();
        for (hash, ready) in [
            ("#/overview", "#ov-memory svg"),
            ("#/connections", "#connections tr[data-status=connected]"),
            ("#/link", "#link-qr"),
            ("#/events", "#event-list"),
            ("#/keys", "#key-list table, #key-list p"),
            (&format!("#/c/{id}"), "#timeline li[data-event=ready]"),
        ] {
            dash.go(hash).await;
            dash.wait_for(hash, &format!("document.querySelector({})", js(ready)))
                .await;
            let scheme = if dark { "dark" } else { "light" };
            dash.assert_accessible(&format!("{hash} ({scheme})")).await;
            let name = format!(
                "{}-{scheme}",
                hash.trim_start_matches("#/").replace('/', "-")
            );
            dash.screenshot(&name).await;
        }
    }
    dash.screenshot("connection-page-dark").await;
    the_event_tail_filters_and_pauses(&app, &dash).await;
    keyboard_reaches_every_page(&dash).await;
    phone_layout(&dash).await;
    dash.finish("phone-connections").await;
    app.shutdown().await;
}

/// Events of the chosen type only; while paused they are held and counted, then shown.
async fn the_event_tail_filters_and_pauses(app: &TestApp, dash: &Dashboard) {
    dash.go("#/events").await;
    dash.select("#ev-type", "message").await;
    dash.click("#ev-pause").await;
    app.sim
        .send_inbound(InboundMessage::text(ALICE, BOB, "while paused"))
        .await
        .unwrap();
    dash.wait_for(
        "the held count",
        "document.querySelector('#ev-held').textContent === '1 new while paused'",
    )
    .await;
    let shown: usize = dash
        .eval("document.querySelectorAll('#event-list li').length")
        .await;
    assert_eq!(shown, 0, "nothing is shown while paused");
    dash.click("#ev-pause").await;
    let items: Vec<String> = dash
        .eval("[...document.querySelectorAll('#event-list li')].map((l) => l.dataset.event)")
        .await;
    assert_eq!(items, ["message"], "only the message event, once resumed");
    assert!(dash.text("#event-list li").await.contains("while paused"));
}

/// Tab from the top: the skip link, then the navigation; Enter follows a link and the new
/// page's heading takes the focus.
async fn keyboard_reaches_every_page(dash: &Dashboard) {
    dash.go("#/connections").await;
    dash.eval::<Value>("document.activeElement.blur(); window.scrollTo(0, 0)")
        .await;
    let mut reached = Vec::new();
    // From the focused heading around the page and back to the top.
    for _ in 0..24 {
        dash.press("Tab").await;
        let what: String = dash
            .eval("(() => { const e = document.activeElement; return e.id || e.dataset.page || e.tagName; })()")
            .await;
        reached.push(what);
    }
    for expected in [
        "skip",
        "overview",
        "connections",
        "link",
        "events",
        "keys",
        "signout",
    ] {
        assert!(
            reached.iter().any(|r| r == expected),
            "Tab reaches {expected}: {reached:?}"
        );
    }
    dash.eval::<Value>("document.querySelector('#nav a[data-page=events]').focus()")
        .await;
    dash.press("Enter").await;
    dash.wait_for("the events page has the focus", "document.activeElement.tagName === 'H1' && document.activeElement.textContent === 'Events'").await;
    let unlabeled: Vec<String> = dash
        .eval("[...document.querySelectorAll('input, select, textarea')].filter((e) => !e.labels || !e.labels.length).map((e) => e.id)")
        .await;
    assert!(
        unlabeled.is_empty(),
        "every field has a label: {unlabeled:?}"
    );
}

/// At 390 × 844 nothing scrolls sideways.
async fn phone_layout(dash: &Dashboard) {
    dash.resize(390, 844, true).await;
    for hash in ["#/connections", "#/keys", "#/link"] {
        dash.go(hash).await;
        dash.wait_for(hash, "document.querySelector('h1')").await;
        let fits: bool = dash
            .eval("document.documentElement.scrollWidth <= window.innerWidth + 1")
            .await;
        assert!(fits, "{hash} fits a phone's width");
    }
    dash.go("#/connections").await;
    dash.wait_for(
        "the rows",
        "document.querySelector('#connections tr[data-status=connected]')",
    )
    .await;
}

/// Fifty connections in the store, as the list shows them: connected ones with a number and a
/// profile, some waiting for a scan, some ended with a reason.
async fn seed_connections(app: &TestApp, n: usize) {
    use wa_gateway::store::{Connection, ConnectionStatus, Profile};
    let now = chrono::Utc::now();
    for i in 0..n {
        let mut c = Connection::new_pending(format!("seeded-{i:03}"), "default", now);
        match i % 5 {
            0..=2 => {
                c.status = ConnectionStatus::Connected;
                c.whatsapp_number = Some(format!("9230012{i:05}"));
                c.profile_info = Some(Profile {
                    push_name: Some(format!("Shop {i}")),
                    platform: Some("android".into()),
                });
                c.last_active = Some(now - chrono::Duration::seconds(i as i64 * 7));
            }
            3 => {
                c.status = ConnectionStatus::Disconnected;
                c.reason = Some("LOGGED_OUT".into());
            }
            _ => {}
        }
        app.store.insert_connection(&c).await.unwrap();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cold_load_with_50_connections_paints_within_a_second_and_the_assets_are_small() {
    let app = keyed_app(vec![]).await;
    seed_connections(&app, 50).await;
    let dash = Dashboard::launch(&app).await;
    dash.open("#/connections").await;
    dash.sign_in(ADMIN_KEY).await;
    dash.wait_for(
        "50 rows",
        "document.querySelectorAll('#connections tbody tr').length === 50",
    )
    .await;
    // Cold: nothing cached, the key already in this tab (as after a reload).
    dash.page
        .execute(chromiumoxide::cdp::browser_protocol::network::ClearBrowserCacheParams::default())
        .await
        .unwrap();
    dash.reload().await;
    dash.wait_for(
        "50 rows after the cold load",
        "document.querySelectorAll('#connections tbody tr').length === 50",
    )
    .await;
    let timing: Value = dash
        .eval(
            "(() => { const nav = performance.getEntriesByType('navigation')[0]; \
             const fcp = performance.getEntriesByName('first-contentful-paint')[0]; \
             const rows = performance.getEntriesByName('connections-rendered')[0]; \
             const assets = performance.getEntriesByType('resource').filter((r) => r.name.includes('/dashboard/static/')); \
             return { fcp: fcp && fcp.startTime, rows: rows && rows.startTime, domContentLoaded: nav.domContentLoadedEventEnd, \
                      cached: assets.filter((r) => r.transferSize === 0).map((r) => r.name), \
                      compressed: nav.encodedBodySize + assets.reduce((s, r) => s + r.encodedBodySize, 0), files: assets.length + 1 }; })()",
        )
        .await;
    eprintln!("cold load with 50 connections: {timing}");
    let fcp = timing["fcp"].as_f64().expect("a first contentful paint");
    assert!(fcp < 1000.0, "first paint under 1 s: {timing}");
    assert!(
        timing["rows"].as_f64().expect("the rows were drawn") < 1000.0,
        "{timing}"
    );
    assert_eq!(
        timing["cached"],
        json!([]),
        "a cold load fetched every file"
    );
    assets_are_compressed_cached_and_small(&app).await;
    dash.finish("fifty-connections").await;
    app.shutdown().await;
}

/// Every file the page names, fetched as a browser would: gzipped, under the CSP, cacheable
/// for good (the page itself revalidated by ETag), and under 300 KiB compressed in all.
async fn assets_are_compressed_cached_and_small(app: &TestApp) {
    let client = reqwest::Client::new();
    let get = |url: String, etag: Option<String>| {
        let mut req = client.get(url).header("accept-encoding", "gzip");
        if let Some(tag) = etag {
            req = req.header("if-none-match", tag);
        }
        req.send()
    };
    let page = get(app.url("/dashboard/"), None).await.unwrap();
    let csp = page.headers()["content-security-policy"]
        .to_str()
        .unwrap()
        .to_owned();
    for rule in [
        "default-src 'self'",
        "connect-src 'self'",
        "img-src 'self' data:",
        "frame-ancestors 'none'",
    ] {
        assert!(csp.contains(rule), "{csp}");
    }
    assert!(
        !csp.contains("unsafe-inline") && !csp.contains("unsafe-eval"),
        "{csp}"
    );
    let etag = page.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(page.headers()["cache-control"], "no-cache");
    let html = page.bytes().await.unwrap();
    let again = get(app.url("/dashboard/"), Some(etag)).await.unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    let mut total = html.len();
    let version = version_in(&html);
    for name in common::dashboard::asset_names() {
        let r = get(
            app.url(&format!("/dashboard/static/{version}/{name}")),
            None,
        )
        .await
        .unwrap();
        assert_eq!(r.status(), StatusCode::OK, "{name}");
        let h = r.headers().clone();
        assert_eq!(h["content-encoding"], "gzip", "{name}");
        assert_eq!(
            h["cache-control"], "public, max-age=31536000, immutable",
            "{name}"
        );
        assert_eq!(
            h["content-security-policy"].to_str().unwrap(),
            csp,
            "{name}"
        );
        let expected = if name.ends_with(".js") {
            "text/javascript"
        } else if name.ends_with(".css") {
            "text/css"
        } else {
            "image/svg+xml"
        };
        assert!(
            h["content-type"].to_str().unwrap().starts_with(expected),
            "{name}: {:?}",
            h["content-type"]
        );
        total += r.bytes().await.unwrap().len();
    }
    eprintln!("dashboard assets, gzipped: {total} bytes");
    assert!(total < 300 * 1024, "{total} bytes compressed");
    let stale = get(app.url("/dashboard/static/000000000000/app.js"), None)
        .await
        .unwrap();
    assert_eq!(stale.status(), StatusCode::NOT_FOUND);
}

/// The version in the page's asset URLs.
fn version_in(gzipped_html: &[u8]) -> String {
    use std::io::Read;
    let mut html = String::new();
    flate2::read::GzDecoder::new(gzipped_html)
        .read_to_string(&mut html)
        .unwrap();
    let (_, rest) = html.split_once("/dashboard/static/").expect("asset URLs");
    rest.split('/').next().unwrap().to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_sent_from_the_form_reaches_the_phone_and_read() {
    let app = keyed_app(vec![]).await;
    let id = admin(&app).link(&app.sim, ALICE, "Alice").await;
    let dash = Dashboard::launch(&app).await;
    dash.open(&format!("#/c/{id}")).await;
    dash.sign_in(ADMIN_KEY).await;
    let file = app.dir.path().join("invoice.pdf");
    std::fs::write(&file, b"%PDF-1.4\n% a tiny test document\n").unwrap();
    dash.type_into("#send-to", BOB).await;
    dash.select("#send-kind", "file").await;
    dash.set_file("#send-file", &file).await;
    dash.type_into("#send-caption", "Your invoice").await;
    dash.click("#send-submit").await;
    let sent = eventually("the simulator gets the file", LINK_TIMEOUT, || async {
        app.sim
            .sent_messages(ALICE)
            .into_iter()
            .find(|m| m.kind != "chat")
    })
    .await;
    let bubble = format!("#messages li[data-message-id={}]", js(&sent.id));
    dash.wait_for(
        "delivered",
        &format!("document.querySelector('{bubble} .ticks[data-status=delivered]')"),
    )
    .await;
    assert!(app.sim.set_ack(ALICE, &sent.id, 3));
    dash.wait_for(
        "read",
        &format!("document.querySelector('{bubble} .ticks[data-status=read]')"),
    )
    .await;
    dash.finish("file-send").await;
    app.shutdown().await;
}

/// The watch every test relies on: an inline script (which the CSP forbids) and a console error
/// in the dashboard's page are both caught.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_page_watch_catches_csp_violations_and_console_errors() {
    let app = keyed_app(vec![]).await;
    let mut dash = Dashboard::launch(&app).await;
    dash.open("#/connections").await;
    dash.sign_in(ADMIN_KEY).await;
    assert_eq!(dash.problems(), Vec::<String>::new());
    dash.eval::<Value>(
        "(() => { const s = document.createElement('script'); s.textContent = 'window.injected = 1'; \
         document.body.append(s); return true; })()",
    )
    .await;
    let ran: Value = dash.eval("window.injected === 1").await;
    assert_eq!(ran, json!(false), "the CSP blocked the inline script");
    dash.eval::<Value>("console.error('something broke')").await;
    eventually("both are recorded", LINK_TIMEOUT, || async {
        let problems = dash.problems();
        let csp = problems
            .iter()
            .any(|p| p.starts_with("CSP violation") && p.contains("script-src"));
        let console = problems.iter().any(|p| p.contains("something broke"));
        (csp && console).then_some(())
    })
    .await;
    dash.screenshot("page-watch").await;
    dash.close().await;
    app.shutdown().await;
}
