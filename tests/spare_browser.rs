//! Warm spare browsers (`SPARE_BROWSERS`): add-number takes the spare (its connection id is the
//! spare's, so the browser already runs on its profile), a new spare replaces it in the
//! background, and at shutdown the unused spare is closed and its profile removed; with
//! `SPARE_BROWSERS=0` only the connections' browsers run. A gateway killed with a spare running
//! leaves its folder, and the next start removes it.

mod common;

use std::path::{Path, PathBuf};
use std::time::Duration;

use common::process::{base_env, GatewayProcess};
use common::{eventually, spawn_app_with, Options, TestApp};
use reqwest::StatusCode;
use tempfile::TempDir;
use wa_gateway::procstats::profile_users;
use wa_sim::{SimConfig, Simulator};

const ALICE: &str = "923001234567";
const CAROL: &str = "14155550123";
const SPARE_READY: Duration = Duration::from_secs(30);

fn sessions(app: &TestApp) -> PathBuf {
    app.dir.path().join("sessions")
}

/// Profile folders under the session folder that a browser runs on right now.
fn profiles_in_use(dir: &Path) -> Vec<String> {
    let mut ids: Vec<String> = profile_users(dir)
        .into_iter()
        .filter(|u| u.is_root)
        .filter_map(|u| Some(u.profile.file_name()?.to_string_lossy().into_owned()))
        .collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Waits until the gateway reports `n` spares ready (`wa_spare_browsers`).
async fn spares_ready(app: &TestApp, n: u32) {
    eventually("the spare is ready", SPARE_READY, || async {
        let metrics = app.client.get(app.url("/metrics")).send().await.unwrap();
        let text = metrics.text().await.unwrap();
        text.lines()
            .any(|l| l == format!("wa_spare_browsers {n}"))
            .then_some(())
    })
    .await
}

/// Waits until browsers run on exactly `count` profiles, one of them not in `known`; returns it.
async fn new_spare(app: &TestApp, known: &[String], count: usize) -> String {
    spare_on(sessions(app), known, count).await
}

async fn spare_on(dir: PathBuf, known: &[String], count: usize) -> String {
    eventually("a spare browser runs", SPARE_READY, || {
        let in_use = profiles_in_use(&dir);
        let fresh = in_use.iter().find(|id| !known.contains(id)).cloned();
        async move { fresh.filter(|_| in_use.len() == count) }
    })
    .await
}

#[tokio::test]
async fn add_number_takes_the_warm_spare_a_new_one_replaces_it_and_shutdown_closes_it() {
    let app = spawn_app_with(Options {
        env: vec![("SPARE_BROWSERS", "1".into())],
        ..Default::default()
    })
    .await;
    let spare = new_spare(&app, &[], 1).await;
    spares_ready(&app, 1).await;

    let alice = app.link(ALICE, "Alice").await;
    assert_eq!(
        alice, spare,
        "the new connection is the spare's id, on its running browser"
    );
    let sent = app.send(&alice, CAROL, "from the spare").await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);

    let second = new_spare(&app, std::slice::from_ref(&alice), 2).await;
    assert_ne!(second, alice);
    spares_ready(&app, 1).await;
    let listed = app.get("/wa/connections").await;
    assert_eq!(
        listed.body.as_array().map(Vec::len),
        Some(1),
        "a spare is no connection: {}",
        listed.body
    );

    let unused = sessions(&app).join(&second);
    app.shutdown().await; // asserts that no Chromium of this test is left
    assert!(
        !unused.exists(),
        "the unused spare's profile is removed at shutdown"
    );
}

#[tokio::test]
async fn with_no_spare_only_the_connections_browsers_run() {
    let app = spawn_app_with(Options {
        env: vec![("SPARE_BROWSERS", "0".into())],
        ..Default::default()
    })
    .await;
    let alice = app.link(ALICE, "Alice").await;
    assert_eq!(profiles_in_use(&sessions(&app)), vec![alice.clone()]);
    spares_ready(&app, 0).await;
    let sent = app.send(&alice, CAROL, "no spare").await;
    assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
    let r = app.add_number().await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.body);
    let bob = r.body["connectionId"].as_str().unwrap().to_owned();
    let mut both = vec![alice, bob];
    both.sort();
    assert_eq!(profiles_in_use(&sessions(&app)), both);
    app.shutdown().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_gateways_unclaimed_spare_folder_is_removed_at_the_next_start() {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let dir = TempDir::new().unwrap();
    let mut env = base_env(dir.path(), &sim);
    env.push(("SPARE_BROWSERS", "1".into()));
    let sessions = dir.path().join("sessions");

    let first = GatewayProcess::start(dir.path(), &env).await;
    let alice = first.api.link(&sim, ALICE, "Alice").await;
    let spare = spare_on(sessions.clone(), std::slice::from_ref(&alice), 2).await;
    first.sigkill(dir.path()).await;
    assert!(
        sessions.join(&spare).is_dir(),
        "a SIGKILL leaves the spare's folder behind"
    );

    let second = GatewayProcess::start(dir.path(), &env).await;
    second.api.wait_status(&alice, "connected").await;
    let after = spare_on(sessions.clone(), std::slice::from_ref(&alice), 2).await;
    assert_ne!(after, spare, "a new spare, on a new folder");
    assert!(
        !sessions.join(&spare).exists(),
        "the unclaimed folder is removed at start"
    );
    assert!(
        sessions.join(&alice).is_dir(),
        "the connection's own profile (once a spare) is kept"
    );
    second.stop().await;
    sim.shutdown().await;
}
