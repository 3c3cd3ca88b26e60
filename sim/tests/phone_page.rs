//! The phone page a person uses, driven by clicks in a real headless Chromium; screenshots kept.

mod common;

use std::time::{Duration, Instant};

use chromiumoxide::Page;
use common::{shown_qr, wait_synced, TestBrowser, DEADLINE};
use serde_json::Value;
use wa_sim::{SimConfig, Simulator};

async fn eval(page: &Page, js: &str) -> Value {
    let r = tokio::time::timeout(Duration::from_secs(10), page.evaluate(js))
        .await
        .expect("evaluate timed out");
    r.ok()
        .and_then(|r| r.value().cloned())
        .unwrap_or(Value::Null)
}

async fn wait_on(page: &Page, what: &str, js: &str) -> Value {
    let started = Instant::now();
    loop {
        match eval(page, js).await {
            Value::Null | Value::Bool(false) => {}
            v => return v,
        }
        assert!(started.elapsed() < DEADLINE, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_person_links_a_browser_and_chats_from_the_phone_page() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    browser.open(&sim.base_url()).await;
    let qr = shown_qr(&browser).await;
    browser.wait_for("the QR painted", "(() => { const c = document.querySelector('div[data-ref] canvas'); const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data; let dark = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 128) dark++; return dark > 1000; })()").await;
    TestBrowser::screenshot(&browser.page, "whatsapp-web-qr").await;

    let phone = browser
        .new_tab(&format!("{}__sim/phone", sim.base_url()))
        .await;
    let card = format!("(() => {{ const c = [...document.querySelectorAll('#qrs code')].find((c) => c.textContent === {qr:?}); return c ? true : null; }})()");
    wait_on(&phone, "the QR listed on the phone page", &card).await;
    TestBrowser::screenshot(&phone, "phone-scan").await;
    eval(&phone, "document.querySelector('#qrs button').click()").await;
    wait_synced(&browser).await;

    wait_on(
        &phone,
        "the account listed",
        "document.querySelector('#account').value === '923001234567'",
    )
    .await;
    eval(&phone, "(() => { document.querySelector('#body').value = 'Hello from the phone page'; document.querySelector('#compose button').click(); })()").await;
    browser
        .wait_event("the phone's message", |e| {
            e["ev"] == "msg-add" && e["body"] == "Hello from the phone page"
        })
        .await;

    // Reply from the WhatsApp Web page's own compose box, then watch the acks on the phone.
    browser
        .eval::<Value>("document.querySelector('.chat-row').click()")
        .await
        .unwrap();
    browser
        .wait_for("the thread", "document.querySelector('.compose input')")
        .await;
    browser.eval::<Value>("(() => { document.querySelector('.compose input').value = 'Hi back from the browser'; document.querySelector('.compose button').click(); })()").await.unwrap();
    wait_on(
        &phone,
        "ack 3 on the phone page",
        "(() => [...document.querySelectorAll('.bubble.out .ack3')].length > 0)()",
    )
    .await;
    browser
        .wait_for(
            "blue ticks in the thread",
            "document.querySelector('.bubble.out .ack3')",
        )
        .await;
    assert_eq!(
        sim.sent_messages("923001234567")[0].body,
        "Hi back from the browser"
    );

    let web = TestBrowser::screenshot(&browser.page, "whatsapp-web-chat").await;
    let shot = TestBrowser::screenshot(&phone, "phone-chat").await;
    assert!(
        std::fs::metadata(&shot).unwrap().len() > 10_000,
        "{}",
        shot.display()
    );
    assert!(std::fs::metadata(&web).unwrap().len() > 10_000);
    browser.close().await;
    sim.shutdown().await;
}
