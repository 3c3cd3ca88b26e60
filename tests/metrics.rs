//! End to end: `/metrics` counts what happened and reads each browser's cost from /proc;
//! `/wa/connections/:id/stats` shows one connection's figures.

mod common;

use common::{eventually, spawn_app, LINK_TIMEOUT};
use reqwest::StatusCode;
use wa_sim::InboundMessage;

const ALICE: &str = "923001234567";
const CAROL: &str = "14155550123";
const NOBODY: &str = "923000000009";

/// The value of one sample line (`name{labels} value`), if present.
fn sample(text: &str, line_start: &str) -> Option<f64> {
    text.lines()
        .find(|l| l.starts_with(line_start) && l[line_start.len()..].starts_with(' '))?
        .rsplit(' ')
        .next()?
        .parse()
        .ok()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn metrics_count_qr_scan_sends_and_messages_and_show_each_browsers_memory() {
    let app = spawn_app().await;
    let id = app.link(ALICE, "Alice").await;
    let sent = app.send(&id, CAROL, "hello metrics").await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    app.sim.set_registered(NOBODY, false);
    let refused = app.send(&id, NOBODY, "to nobody").await;
    assert_eq!(
        refused.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        refused.body
    );
    app.sim
        .send_inbound(InboundMessage::text(ALICE, CAROL, "hi back"))
        .await
        .unwrap();

    let text = eventually("the inbound message is counted", LINK_TIMEOUT, || async {
        let r = app.client.get(app.url("/metrics")).send().await.unwrap();
        assert_eq!(r.status(), StatusCode::OK);
        let ctype = r.headers()["content-type"].to_str().unwrap().to_owned();
        assert!(ctype.starts_with("application/openmetrics-text"), "{ctype}");
        let text = r.text().await.unwrap();
        (sample(&text, "wa_messages_received_total") >= Some(1.0)).then_some(text)
    })
    .await;

    assert!(
        sample(&text, "wa_qr_codes_shown_total") >= Some(1.0),
        "{text}"
    );
    assert_eq!(sample(&text, "wa_scans_total"), Some(1.0), "{text}");
    assert_eq!(sample(&text, "wa_messages_sent_total"), Some(1.0), "{text}");
    assert_eq!(
        sample(
            &text,
            "wa_messages_failed_total{reason=\"not_on_whatsapp\"}"
        ),
        Some(1.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "wa_send_duration_seconds_count"),
        Some(2.0),
        "{text}"
    );
    assert_eq!(
        sample(&text, "wa_connections{status=\"connected\"}"),
        Some(1.0),
        "{text}"
    );
    let label = format!("{{connection_id=\"{id}\"}}");
    let pss = sample(&text, &format!("wa_browser_pss_bytes{label}")).unwrap_or(0.0);
    assert!(pss > 0.0, "no PSS for the browser in\n{text}");
    let procs = sample(&text, &format!("wa_browser_processes{label}")).unwrap_or(0.0);
    assert!(procs >= 2.0, "a browser and at least a renderer: {procs}");
    assert!(sample(&text, &format!("wa_browser_cpu_seconds_total{label}")) > Some(0.0));
    assert!(sample(&text, "wa_gateway_pss_bytes") > Some(0.0));
    assert!(text.trim_end().ends_with("# EOF"));

    let stats = app.get(&format!("/wa/connections/{id}/stats")).await;
    assert_eq!(stats.status, StatusCode::OK, "{}", stats.body);
    let b = &stats.body;
    assert_eq!(b["connectionId"], id.as_str());
    assert_eq!(b["running"], true);
    assert_eq!(
        b["pid"].as_u64().map(|p| p as u32),
        app.manager.browser_pid(&id).await
    );
    assert!(b["processes"].as_u64() >= Some(2), "{b}");
    assert!(b["pssBytes"].as_u64() > Some(0), "{b}");
    assert!(b["rssBytes"].as_u64() >= b["pssBytes"].as_u64(), "{b}");
    assert!(b["cpuSeconds"].as_f64() > Some(0.0), "{b}");
    assert!(b["uptimeSeconds"].as_f64() >= Some(0.0), "{b}");
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stats_of_an_unknown_connection_is_session_not_found() {
    let app = spawn_app().await;
    let r = app.get("/wa/connections/no-such-id/stats").await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(r.error_code(), "SESSION_NOT_FOUND");
    app.shutdown().await;
}
