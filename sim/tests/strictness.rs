//! The strictness the real site has (WA_WEB_SURFACE.md, WA_WEB_MODULES.md): module phases, the
//! argument forms current builds accept, and what the page itself does with its modules.

mod common;

use common::TestBrowser;
use wa_sim::{SimConfig, Simulator};

const NUMBER: &str = "923001234567";

fn probe(name: &str) -> String {
    format!("(() => {{ try {{ return typeof window.require('{name}'); }} catch (e) {{ return 'threw: ' + e.message; }} }})()")
}

#[tokio::test]
async fn only_the_linking_modules_exist_before_login() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    browser.open(&sim.base_url()).await;
    browser
        .wait_for("Debug.VERSION", "window.Debug && window.Debug.VERSION")
        .await;
    for name in [
        "WAWebSocketModel",
        "WAWebUserPrefsMultiDevice",
        "WAWebLinkDeviceEvents",
    ] {
        let got: String = browser.eval(&probe(name)).await.unwrap();
        assert_eq!(got, "object", "{name} before login");
    }
    for name in ["WAWebCollections", "WAWebSendMsgChatAction", "WAWebMsgKey"] {
        let got: String = browser.eval(&probe(name)).await.unwrap();
        assert!(
            got.contains("Requiring unknown module"),
            "{name} before login: {got}"
        );
    }
    let qr = common::shown_qr(&browser).await;
    sim.scan(&qr, NUMBER, "Alice").await.expect("scan");
    common::wait_synced(&browser).await;
    for name in ["WAWebCollections", "WAWebSendMsgChatAction", "WAWebMsgKey"] {
        let got: String = browser.eval(&probe(name)).await.unwrap();
        assert!(!got.starts_with("threw"), "{name} after login: {got}");
    }
    browser.close().await;
    sim.shutdown().await;
}
