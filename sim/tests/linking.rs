//! Linking, restoring and unlinking, through a real headless Chromium.

mod common;

use common::{copy_dir, link, shown_qr, wait_state, wait_synced, TestBrowser, DEADLINE};
use wa_sim::{SimConfig, Simulator};

const NUMBER: &str = "923001234567";

#[tokio::test]
async fn the_qr_string_appears_late_and_rotates() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    browser.open(&sim.base_url()).await;

    let version_at_load: bool = browser
        .eval("window.Debug !== undefined && window.Debug.VERSION !== undefined")
        .await
        .unwrap();
    let require_throws: String = browser
        .eval("(() => { try { window.require('WAWebSocketModel'); return 'no'; } catch (e) { return e.message; } })()")
        .await
        .unwrap();
    assert!(
        !version_at_load,
        "Debug.VERSION must appear only after the bundles load"
    );
    assert!(
        require_throws.contains("WAWebSocketModel"),
        "{require_throws}"
    );

    let first = shown_qr(&browser).await;
    let parts: Vec<&str> = first.split(',').collect();
    assert_eq!(parts.len(), 5, "{first}");
    assert!(parts[0].starts_with("2@"));
    let built = browser.eval::<String>(BUILD_QR_FROM_MODULES).await.unwrap();
    assert_eq!(
        built, first,
        "the modules' keys and Conn.ref must make the QR shown"
    );
    assert_eq!(sim.current_qrs(), vec![first.clone()]);

    let js = format!("(() => {{ const d = document.querySelector('div[data-ref] canvas'); return d && d.parentElement.dataset.ref !== {first:?}; }})()");
    browser.wait_for("the QR to rotate", &js).await;
    let second = shown_qr(&browser).await;
    assert_ne!(
        second.split(',').next(),
        first.split(',').next(),
        "a new ref"
    );
    assert_eq!(
        second.split(',').skip(1).collect::<Vec<_>>(),
        parts[1..].to_vec(),
        "same keys"
    );
    browser.wait_event("change:ref", |e| e["ev"] == "ref").await;
    // The observer may attach after the socket already turned UNPAIRED: then its first report
    // (`ready`) carries that state.
    let unpaired = browser
        .wait_event("UNPAIRED", |e| {
            (e["ev"] == "state" || e["ev"] == "ready") && e["state"] == "UNPAIRED"
        })
        .await;
    assert!(
        unpaired["ref"]
            .as_str()
            .is_some_and(|r| r.starts_with("2@")),
        "a ref exists when UNPAIRED fires: {unpaired}"
    );
    browser.close().await;
    sim.shutdown().await;
}

/// What a driver does with the documented modules to build the QR string.
const BUILD_QR_FROM_MODULES: &str = r#"(async () => {
  const reg = await window.require('WAWebSignalStoreApi').waSignalStore.getRegistrationInfo();
  const noise = await window.require('WAWebUserPrefsInfoStore').waNoiseInfo.get();
  const B64 = window.require('WABase64');
  const adv = await window.require('WAWebUserPrefsMultiDevice').getADVSecretKey();
  const platform = window.require('WAWebCompanionRegClientUtils').DEVICE_PLATFORM;
  const ref = window.require('WAWebConnModel').Conn.ref;
  return [ref, B64.encodeB64(noise.staticKeyPair.pubKey), B64.encodeB64(reg.identityKeyPair.pubKey), adv, platform].join(',');
})()"#;

#[tokio::test]
async fn refresh_qr_after_unpaired_idle_brings_new_refs() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    browser.open(&sim.base_url()).await;
    let first = shown_qr(&browser).await;

    wait_state(&browser, "UNPAIRED_IDLE").await;
    assert!(sim.current_qrs().is_empty(), "an idle page offers no QR");
    let stale = sim.scan(&first, NUMBER, "Tester").await;
    assert!(matches!(stale, Err(wa_sim::SimError::StaleQr)), "{stale:?}");

    browser
        .eval::<Value>("window.require('WAWebCmd').Cmd.refreshQR()")
        .await
        .unwrap();
    wait_state(&browser, "UNPAIRED").await;
    let js = format!("(() => {{ const r = window.require('WAWebConnModel').Conn.ref; return r && !{first:?}.startsWith(r + ',') ? r : null; }})()");
    browser.wait_for("a fresh ref", &js).await;
    assert_eq!(sim.current_qrs().len(), 1);
    browser.close().await;
    sim.shutdown().await;
}

use serde_json::Value;

#[tokio::test]
async fn a_scan_makes_the_page_reload_connect_and_sync_without_a_qr() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    browser.open(&sim.base_url()).await;
    let qr = shown_qr(&browser).await;

    let scanned = sim.scan(&qr, NUMBER, "Alice").await.unwrap();
    assert_eq!(scanned.wid, format!("{NUMBER}@c.us"));
    assert!(
        sim.scan(&qr, NUMBER, "Alice").await.is_err(),
        "a QR links once"
    );
    browser
        .wait_event("empty ref", |e| e["ev"] == "ref" && e["ref"] == "")
        .await;
    browser
        .wait_event("PAIRING", |e| e["state"] == "PAIRING")
        .await;
    wait_synced(&browser).await;

    let events = browser.events();
    let loads = events.iter().filter(|e| e["ev"] == "load").count();
    assert_eq!(
        loads, 2,
        "the page reloads itself once after the scan: {events:#?}"
    );
    let reload = events.iter().rposition(|e| e["ev"] == "load").unwrap();
    let after_reload = &events[reload..];
    assert!(
        !after_reload.iter().any(|e| e["ev"] == "ref"),
        "no QR after the reload"
    );
    assert!(after_reload
        .iter()
        .any(|e| e["ev"] == "offline_progress_update_from_bridge"));
    let me: Value = browser
        .eval("(() => { const U = window.require('WAWebUserPrefsMeUser'); return { pn: U.getMaybeMePnUser()._serialized, lid: String(U.getMaybeMeLidUser()), conn: window.require('WAWebConnModel').Conn.serialize(), progress: window.require('WAWebOfflineHandler').OfflineMessageHandler.getOfflineDeliveryProgress() }; })()")
        .await
        .unwrap();
    assert_eq!(me["pn"], format!("{NUMBER}@c.us"));
    assert_eq!(me["lid"], scanned.lid);
    assert_eq!(me["conn"]["pushname"], "Alice");
    assert_eq!(me["progress"], 100);
    let devices = sim.linked_devices(NUMBER);
    assert_eq!(devices.len(), 1);
    assert!(devices[0].online);
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn relaunching_chromium_on_the_same_profile_restores_without_a_qr() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    link(&browser, &sim, NUMBER).await;
    browser.close().await;

    let browser = TestBrowser::launch(profile.path()).await;
    browser.open(&sim.base_url()).await;
    wait_synced(&browser).await;
    let states: Vec<Value> = browser
        .events()
        .into_iter()
        .filter(|e| e["ev"] == "state" || e["ev"] == "ref")
        .collect();
    assert!(
        !states
            .iter()
            .any(|e| e["ev"] == "ref" || e["state"] == "UNPAIRED"),
        "no QR: {states:#?}"
    );
    assert_eq!(
        sim.counters().restores,
        2,
        "after the scan and after the relaunch"
    );
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_fresh_profile_with_only_indexeddb_and_local_storage_restores() {
    let state = tempfile::tempdir().unwrap();
    let sim = Simulator::start(SimConfig::fast().with_state_dir(state.path()))
        .await
        .unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    link(&browser, &sim, NUMBER).await;
    browser.close().await;
    // Same port and state folder: the same origin and the same servers' memory.
    let port = sim.port();
    sim.shutdown().await;
    let sim = Simulator::start(
        SimConfig::fast()
            .with_state_dir(state.path())
            .with_port(port),
    )
    .await
    .unwrap();

    let fresh = tempfile::tempdir().unwrap();
    for folder in ["IndexedDB", "Local Storage"] {
        copy_dir(
            &profile.path().join("Default").join(folder),
            &fresh.path().join("Default").join(folder),
        );
    }
    let browser = TestBrowser::launch(fresh.path()).await;
    browser.open(&sim.base_url()).await;
    wait_synced(&browser).await;
    assert!(!browser.events().iter().any(|e| e["ev"] == "ref"), "no QR");
    let me: String = browser
        .eval("window.require('WAWebUserPrefsMeUser').getMaybeMePnUser()._serialized")
        .await
        .unwrap();
    assert_eq!(me, format!("{NUMBER}@c.us"));
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn unlinking_from_the_phone_logs_out_navigates_with_post_logout_and_shows_a_new_qr() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    link(&browser, &sim, NUMBER).await;
    browser.clear_events();

    sim.unlink(NUMBER).await.unwrap();
    browser
        .wait_event("logout_from_bridge", |e| e["ev"] == "logout_from_bridge")
        .await;
    browser
        .wait_event("post_logout=1 load", |e| {
            e["ev"] == "load" && e["url"].as_str().unwrap_or("").contains("post_logout=1")
        })
        .await;
    let qr = shown_qr(&browser).await;
    assert!(qr.starts_with("2@"));
    assert!(sim.linked_devices(NUMBER).is_empty());
    let stored: Value = browser
        .eval("localStorage.getItem('last-wid-md')")
        .await
        .unwrap();
    assert_eq!(stored, Value::Null, "credentials are gone");
    assert_eq!(sim.counters().devices_unlinked, 1);
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn stored_credentials_of_an_unlinked_device_go_unpaired_and_are_cleared() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    link(&browser, &sim, NUMBER).await;
    browser.close().await;
    sim.unlink(NUMBER).await.unwrap();

    let browser = TestBrowser::launch(profile.path()).await;
    browser.open(&sim.base_url()).await;
    wait_state(&browser, "UNPAIRED").await;
    shown_qr(&browser).await;
    let stored: Value = browser
        .eval("localStorage.getItem('last-wid-md')")
        .await
        .unwrap();
    assert_eq!(stored, Value::Null);
    assert_eq!(sim.counters().restores_refused, 1);
    browser.close().await;
    sim.shutdown().await;
}

/// WhatsApp unlinks a companion device that stayed offline too long; the page learns it when it
/// comes back. A zero limit makes any time offline too long, so no test has to wait it out.
#[tokio::test]
async fn a_device_offline_past_the_limit_is_unlinked_when_its_page_comes_back() {
    let config = SimConfig::fast().with_unlink_offline_after(std::time::Duration::ZERO);
    let sim = Simulator::start(config).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    link(&browser, &sim, NUMBER).await;
    browser.close().await;
    let started = std::time::Instant::now();
    while sim.linked_devices(NUMBER).iter().any(|d| d.online) {
        assert!(
            started.elapsed() < DEADLINE,
            "the servers see the page gone"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert_eq!(
        sim.counters().offline_unlinks,
        0,
        "not before it comes back"
    );

    let browser = TestBrowser::launch(profile.path()).await;
    browser.open(&sim.base_url()).await;
    wait_state(&browser, "UNPAIRED").await;
    shown_qr(&browser).await;
    assert_eq!(sim.counters().offline_unlinks, 1);
    assert!(sim.linked_devices(NUMBER).is_empty(), "the device is gone");
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn a_renamed_module_makes_require_throw_for_the_old_name() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    sim.rename_module("WAWebMiscBrowserUtils", "WAWebMiscBrowserUtilsV2");
    sim.remove_module("WAWebQueryExistsJob");
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    browser.open(&sim.base_url()).await;
    browser
        .wait_for("Debug.VERSION", "window.Debug && window.Debug.VERSION")
        .await;

    let probe = |name: &str| {
        format!("(() => {{ try {{ return typeof window.require('{name}'); }} catch (e) {{ return 'threw: ' + e.message; }} }})()")
    };
    let old: String = browser.eval(&probe("WAWebMiscBrowserUtils")).await.unwrap();
    let new: String = browser
        .eval(&probe("WAWebMiscBrowserUtilsV2"))
        .await
        .unwrap();
    let removed: String = browser.eval(&probe("WAWebQueryExistsJob")).await.unwrap();
    assert!(
        old.starts_with("threw") && old.contains("WAWebMiscBrowserUtils"),
        "{old}"
    );
    assert_eq!(new, "object");
    assert!(removed.starts_with("threw"), "{removed}");
    shown_qr(&browser).await; // the page itself still works
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn linking_by_phone_number_shows_a_code_the_phone_can_enter() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    browser.open(&sim.base_url()).await;
    wait_state(&browser, "UNPAIRED").await;
    let js = format!(
        "(async () => {{ const A = window.require('WAWebAltDeviceLinkingApi'); A.setPairingType('ALT_DEVICE_LINKING'); await A.initializeAltDeviceLinking(); return await A.startAltLinkingFlow('{NUMBER}', true); }})()"
    );
    let code: String = browser.eval(&js).await.unwrap();
    assert_eq!(code.len(), 8, "{code}");
    // The page clears its QR in a message of its own, which may reach the server after the code.
    let started = std::time::Instant::now();
    while !sim.current_qrs().is_empty() {
        assert!(started.elapsed() < DEADLINE, "the code replaces the QR");
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(sim.enter_link_code("WRONG123", "x").await.is_err());

    let linked = sim.enter_link_code(&code, "Coder").await.unwrap();
    assert_eq!(linked.number, NUMBER);
    wait_synced(&browser).await;
    browser.close().await;
    sim.shutdown().await;
}

#[tokio::test]
async fn the_canvas_shows_a_scannable_qr_of_the_data_ref_string() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let profile = tempfile::tempdir().unwrap();
    let browser = TestBrowser::launch(profile.path()).await;
    browser.open(&sim.base_url()).await;
    let qr = shown_qr(&browser).await;
    let js = format!(
        "(() => {{ const d = document.querySelector('div[data-ref] canvas'); if (d.parentElement.dataset.ref !== {qr:?}) return null;
           const px = d.getContext('2d').getImageData(0, 0, d.width, d.height).data; const g = [];
           for (let i = 0; i < px.length; i += 4) g.push(px[i]); return g.some((v) => v < 128) ? {{ w: d.width, g }} : null; }})()"
    );
    let canvas = browser.wait_for("the painted QR", &js).await;
    let width = canvas["w"].as_u64().unwrap() as usize;
    let grey: Vec<u8> = canvas["g"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as u8)
        .collect();
    let mut image =
        rqrr::PreparedImage::prepare_from_greyscale(width, grey.len() / width, |x, y| {
            grey[y * width + x]
        });
    let grids = image.detect_grids();
    assert_eq!(grids.len(), 1, "one QR on the canvas");
    let (_, decoded) = grids[0].decode().expect("the QR decodes");
    assert_eq!(decoded, qr);
    browser.close().await;
    sim.shutdown().await;
}
