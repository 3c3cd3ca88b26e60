//! Hibernation end to end (issue 18), with real Chromium and the simulator, in seconds: an idle
//! number sleeps and its browser ends; a send wakes it; a message sent while it sleeps arrives
//! after its scheduled wake; `MAX_AWAKE` puts the least recently active number to sleep; the
//! scheduler keeps a number from the simulator's unlink limit; a restart keeps sleepers asleep.

mod common;

use std::path::Path;
use std::time::Duration;

use common::process::GatewayProcess;
use common::{eventually, mongo, spawn_app_with, Options, TestApp, LINK_TIMEOUT};
use reqwest::StatusCode;
use serde_json::Value;
use tempfile::TempDir;
use wa_gateway::procstats;
use wa_sim::{InboundMessage, SimConfig, Simulator};

const ALICE: &str = "923001234567";
const BOB: &str = "923007654321";
const CAROL: &str = "14155550123";
const DAVE: &str = "14155550199";

/// Sleeping, waking and syncing take a few seconds each on a loaded 2-core machine.
const SLEEP_TIMEOUT: Duration = Duration::from_secs(60);

fn env(pairs: &[(&'static str, &str)]) -> Vec<(&'static str, String)> {
    pairs.iter().map(|(k, v)| (*k, (*v).to_owned())).collect()
}

async fn app(pairs: &[(&'static str, &str)], sim: Option<SimConfig>) -> TestApp {
    spawn_app_with(Options {
        env: env(pairs),
        sim,
    })
    .await
}

/// The names and data of the hibernation events of a connection, oldest first.
async fn sleep_events(app: &TestApp, id: &str) -> Vec<(String, Value)> {
    app.events(id)
        .await
        .into_iter()
        .filter(|e| e.event == "asleep" || e.event == "awake")
        .map(|e| (e.event, e.data))
        .collect()
}

/// Waits until the connection shows `awake: <awake>`; returns its record.
async fn wait_awake(api: &common::Api, id: &str, awake: bool) -> Value {
    eventually(&format!("{id} is awake={awake}"), SLEEP_TIMEOUT, || async {
        let c = api.connection(id).await;
        (c["awake"] == awake).then_some(c)
    })
    .await
}

fn process_alive(pid: u32) -> bool {
    procstats::stat(pid).is_some_and(|s| s.state != 'Z')
}

#[tokio::test]
async fn an_idle_number_sleeps_its_browser_ends_and_a_send_wakes_it() {
    let app = app(&[("HIBERNATE_AFTER", "3s"), ("WAKE_INTERVAL", "1h")], None).await;
    let alice = app.link(ALICE, "Alice").await;
    let pid = app
        .manager
        .browser_pid(&alice)
        .await
        .expect("a browser runs");
    let scans = app.sim.counters().scans;

    let record = wait_awake(&app.api, &alice, false).await;
    assert_eq!(
        record["status"], "connected",
        "a sleeping number stays linked"
    );
    assert!(record["nextWake"].is_string(), "{record}");
    assert!(record["lastAwake"].is_string(), "{record}");
    eventually(
        "the sleeping number's browser ends",
        SLEEP_TIMEOUT,
        || async { (!process_alive(pid)).then_some(()) },
    )
    .await;
    assert_eq!(app.manager.browser_pid(&alice).await, None);
    let listed = app.api.get("/wa/connections").await.body;
    let row = listed
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["connectionId"] == alice.as_str());
    assert_eq!(row.unwrap()["awake"], false, "{listed}");

    let r = app.api.send(&alice, CAROL, "woken by a send").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let bodies: Vec<_> = app
        .sim
        .sent_messages(ALICE)
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert_eq!(bodies, ["woken by a send"]);
    assert_eq!(app.api.connection(&alice).await["awake"], true);
    assert_eq!(app.sim.counters().scans, scans, "no QR was scanned again");
    let events = eventually("the awake event is recorded", SLEEP_TIMEOUT, || async {
        let events = sleep_events(&app, &alice).await;
        (events.len() >= 2).then_some(events)
    })
    .await;
    assert_eq!(events[0].0, "asleep");
    assert_eq!(events[0].1["reason"], "idle");
    assert_eq!(events[1].0, "awake");
    assert_eq!(events[1].1["reason"], "demand");
    assert!(events[1].1["latencyMs"].as_u64().is_some());
    let metrics = app.api.get("/metrics").await.body.to_string();
    assert!(
        metrics.contains("wa_wakes_total{reason=\\\"demand\\\"} 1"),
        "{metrics}"
    );
    app.shutdown().await;
}

#[tokio::test]
async fn a_message_sent_while_asleep_arrives_after_the_scheduled_wake() {
    let settings = [("HIBERNATE_AFTER", "2s"), ("WAKE_INTERVAL", "12s")];
    let app = app(&settings, None).await;
    let alice = app.link(ALICE, "Alice").await;
    wait_awake(&app.api, &alice, false).await;
    let pid_gone = app.manager.browser_pid(&alice).await;
    assert_eq!(pid_gone, None, "asleep: no browser");

    let sent = InboundMessage::text(ALICE, BOB, "written while you slept").push_name("Bob");
    app.sim.send_inbound(sent).await.unwrap();
    let message = eventually("the held message arrives", SLEEP_TIMEOUT, || async {
        let events = app.events(&alice).await;
        events
            .into_iter()
            .find(|e| e.event == "message" && e.data["body"] == "written while you slept")
    })
    .await;
    // It came in while the number was brought back by its schedule (offline delivery comes
    // before `ready`, so before the `awake` event), and nothing else woke it.
    let events = app.events(&alice).await;
    let slept = events.iter().position(|e| e.event == "asleep").unwrap();
    let arrived = events.iter().position(|e| e.id == message.id).unwrap();
    assert!(
        slept < arrived,
        "the message came after the number fell asleep"
    );
    eventually("the scheduled wake is recorded", SLEEP_TIMEOUT, || async {
        let events = sleep_events(&app, &alice).await;
        let scheduled =
            |(name, data): &(String, Value)| name == "awake" && data["reason"] == "schedule";
        events.iter().any(scheduled).then_some(())
    })
    .await;
    let demand = sleep_events(&app, &alice).await;
    assert!(!demand
        .iter()
        .any(|(n, d)| n == "awake" && d["reason"] == "demand"));
    eventually("it sleeps again after the wake", SLEEP_TIMEOUT, || async {
        let events = sleep_events(&app, &alice).await;
        events
            .iter()
            .any(|(name, data)| name == "asleep" && data["reason"] == "scheduled")
            .then_some(())
    })
    .await;
    wait_awake(&app.api, &alice, false).await;
    app.shutdown().await;
}

#[tokio::test]
async fn max_awake_puts_the_least_recently_active_number_to_sleep() {
    let app = app(&[("MAX_AWAKE", "2"), ("WAKE_INTERVAL", "1h")], None).await;
    let alice = app.link(ALICE, "Alice").await;
    let bob = app.link(BOB, "Bob").await;
    let r = app.api.send(&bob, DAVE, "Bob was active last").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    let carol = app.link(CAROL, "Carol").await;

    wait_awake(&app.api, &alice, false).await;
    for id in [&bob, &carol] {
        assert_eq!(app.api.connection(id).await["awake"], true);
    }
    let slept = eventually("the asleep event is recorded", SLEEP_TIMEOUT, || async {
        sleep_events(&app, &alice).await.into_iter().next()
    })
    .await;
    assert_eq!(slept.1["reason"], "evicted");

    // Alice's send wakes her; Bob, now the least recently active, makes room.
    let r = app.api.send(&alice, DAVE, "Alice is back").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    wait_awake(&app.api, &bob, false).await;
    for id in [&alice, &carol] {
        assert_eq!(app.api.connection(id).await["awake"], true);
    }
    app.shutdown().await;
}

#[tokio::test]
async fn the_scheduler_keeps_a_sleeping_number_from_the_unlink_limit() {
    // The simulator unlinks a device offline for 15 s; the number sleeps most of the time, but
    // never more than 5 s in one go (and a wake takes a few seconds more).
    let limit = Duration::from_secs(15);
    let sim = SimConfig::fast().with_unlink_offline_after(limit);
    let settings = [
        ("HIBERNATE_AFTER", "2s"),
        ("WAKE_INTERVAL", "1h"),
        ("MAX_OFFLINE", "5s"),
    ];
    let app = app(&settings, Some(sim)).await;
    let alice = app.link(ALICE, "Alice").await;
    let scans = app.sim.counters().scans;
    let started = tokio::time::Instant::now();
    eventually(
        "three scheduled wakes",
        Duration::from_secs(120),
        || async {
            let wakes = sleep_events(&app, &alice)
                .await
                .into_iter()
                .filter(|(name, data)| name == "awake" && data["reason"] == "schedule")
                .count();
            (wakes >= 3).then_some(())
        },
    )
    .await;
    assert!(started.elapsed() > limit, "longer than the limit in all");
    assert_eq!(app.sim.counters().offline_unlinks, 0);
    let r = app.api.send(&alice, BOB, "still linked").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(app.api.connection(&alice).await["status"], "connected");
    assert_eq!(app.sim.counters().scans, scans, "never linked again");
    assert_eq!(app.sim.linked_devices(ALICE).len(), 1);
    app.shutdown().await;
}

/// Which store the gateway processes share.
enum Backend {
    Sqlite,
    Mongo { uri: String, db: String },
}

impl Backend {
    fn env(&self, dir: &Path, sim: &Simulator) -> Vec<(&'static str, String)> {
        let mut env = common::process::base_env(dir, sim);
        env.push(("HIBERNATE_AFTER", "3s".into()));
        env.push(("WAKE_INTERVAL", "1h".into()));
        if let Self::Mongo { uri, db } = self {
            env.push(("MONGO_URI", uri.clone()));
            env.push(("MONGO_DB", db.clone()));
        }
        env
    }
}

async fn a_restart_keeps_sleeping_numbers_asleep(backend: Backend) {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let dir = TempDir::new().unwrap();
    let env = backend.env(dir.path(), &sim);
    let first = GatewayProcess::start(dir.path(), &env).await;
    let alice = first.api.link(&sim, ALICE, "Alice").await;
    let bob = first.api.link(&sim, BOB, "Bob").await;
    for id in [&alice, &bob] {
        wait_awake(&first.api, id, false).await;
    }
    first.sigkill(dir.path()).await;
    let restores = sim.counters().restores;

    let second = GatewayProcess::start(dir.path(), &env).await;
    let kept = eventually("the boot says who sleeps", LINK_TIMEOUT, || async {
        second.logged("sleeping numbers stay asleep").pop()
    })
    .await;
    assert_eq!(kept["fields"]["asleep"], 2, "{kept}");
    let restoring = second.logged("restoring linked connections");
    assert_eq!(
        restoring[0]["fields"]["count"], 0,
        "nothing restored at boot"
    );
    for id in [&alice, &bob] {
        let c = second.api.connection(id).await;
        assert_eq!(
            (c["status"].clone(), c["awake"].clone()),
            ("connected".into(), false.into())
        );
        assert!(c["nextWake"].is_string(), "{c}");
    }
    assert_eq!(sim.counters().restores, restores, "no browser came back");
    let r = second.api.send(&alice, CAROL, "after the restart").await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
    assert_eq!(second.api.connection(&bob).await["awake"], false);
    assert_eq!(sim.counters().restores, restores + 1, "only Alice woke");
    second.stop().await;
    if let Backend::Mongo { uri, db } = backend {
        mongo::drop_database(&uri, &db).await;
    }
}

#[tokio::test]
async fn a_restart_keeps_sleeping_numbers_asleep_sqlite() {
    a_restart_keeps_sleeping_numbers_asleep(Backend::Sqlite).await;
}

#[tokio::test]
async fn a_restart_keeps_sleeping_numbers_asleep_mongo() {
    let Some(uri) = common::skip::mongo_uri() else {
        return;
    };
    let db = mongo::database_name();
    a_restart_keeps_sleeping_numbers_asleep(Backend::Mongo { uri, db }).await;
}
