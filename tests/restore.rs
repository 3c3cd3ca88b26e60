//! Persistence end to end: a gateway process is SIGKILLed, its session folder deleted, and a new
//! process brings every linked number back from the store alone — with SQLite and with MongoDB.

mod common;

use std::path::Path;

use common::process::GatewayProcess;
use common::{eventually, mongo, LINK_TIMEOUT};
use reqwest::StatusCode;
use tempfile::TempDir;
use wa_sim::{SimConfig, Simulator};

const ALICE: &str = "923001234567";
const BOB: &str = "923007654321";
const CAROL: &str = "14155550123";

/// Which store the gateway processes share.
enum Backend {
    Sqlite,
    Mongo { uri: String, db: String },
}

impl Backend {
    fn mongo() -> Option<Self> {
        let uri = common::skip::mongo_uri()?;
        Some(Self::Mongo {
            uri,
            db: mongo::database_name(),
        })
    }

    fn env(&self, dir: &Path, sim: &Simulator) -> Vec<(&'static str, String)> {
        let mut env = common::process::base_env(dir, sim);
        if let Self::Mongo { uri, db } = self {
            env.push(("MONGO_URI", uri.clone()));
            env.push(("MONGO_DB", db.clone()));
        }
        env
    }

    async fn cleanup(&self) {
        if let Self::Mongo { uri, db } = self {
            mongo::drop_database(uri, db).await;
        }
    }
}

async fn send_ok(gw: &GatewayProcess, id: &str, text: &str) {
    let r = gw.api.send(id, CAROL, text).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.body);
}

async fn linked_numbers_survive_a_sigkill_and_a_deleted_session_dir(backend: Backend) {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let dir = TempDir::new().unwrap();
    let env = backend.env(dir.path(), &sim);

    let first = GatewayProcess::start(dir.path(), &env).await;
    let alice = first.api.link(&sim, ALICE, "Alice").await;
    let bob = first.api.link(&sim, BOB, "Bob").await;
    send_ok(&first, &alice, "before the crash").await;
    first.api.wait_archived(&alice).await;
    first.api.wait_archived(&bob).await;
    first.sigkill(dir.path()).await;
    std::fs::remove_dir_all(dir.path().join("sessions")).unwrap();
    let scans = sim.counters().scans;

    let second = GatewayProcess::start(dir.path(), &env).await;
    send_ok(&second, &alice, "after the restart").await;
    send_ok(&second, &bob, "Bob is back too").await;
    for id in [&alice, &bob] {
        assert_eq!(second.api.connection(id).await["status"], "connected");
    }
    assert_eq!(
        sim.counters().scans,
        scans,
        "nobody scanned a QR code again"
    );
    let bodies: Vec<_> = sim
        .sent_messages(ALICE)
        .into_iter()
        .map(|m| m.body)
        .collect();
    assert_eq!(bodies, ["before the crash", "after the restart"]);
    second.stop().await;
    backend.cleanup().await;
}

async fn a_device_unlinked_while_the_gateway_was_down_is_expired(backend: Backend) {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let dir = TempDir::new().unwrap();
    let env = backend.env(dir.path(), &sim);

    let first = GatewayProcess::start(dir.path(), &env).await;
    let alice = first.api.link(&sim, ALICE, "Alice").await;
    let bob = first.api.link(&sim, BOB, "Bob").await;
    first.api.wait_archived(&alice).await;
    first.api.wait_archived(&bob).await;
    first.sigkill(dir.path()).await;
    sim.unlink(ALICE).await.unwrap();

    let second = GatewayProcess::start(dir.path(), &env).await;
    let record = second.api.wait_status(&alice, "disconnected").await;
    assert_eq!(record["reason"], "SESSION_EXPIRED");
    eventually(
        "the expired login archive is deleted",
        LINK_TIMEOUT,
        || async {
            let c = second.api.connection(&alice).await;
            c["sessionSavedAt"].is_null().then_some(())
        },
    )
    .await;
    send_ok(&second, &bob, "still here").await;
    assert_eq!(second.api.connection(&bob).await["status"], "connected");
    second.stop().await;
    backend.cleanup().await;
}

async fn a_pending_connection_found_at_boot_is_interrupted(backend: Backend) {
    let sim = Simulator::start(SimConfig::fast()).await.unwrap();
    let dir = TempDir::new().unwrap();
    let env = backend.env(dir.path(), &sim);
    let first = GatewayProcess::start(dir.path(), &env).await;
    let r = first.api.add_number().await;
    let id = r.body["connectionId"].as_str().unwrap().to_owned();
    first.sigkill(dir.path()).await;

    let second = GatewayProcess::start(dir.path(), &env).await;
    let record = second.api.wait_status(&id, "disconnected").await;
    assert_eq!(record["reason"], "INTERRUPTED");
    second.stop().await;
    backend.cleanup().await;
}

/// One test per store for each scenario: `<scenario>::sqlite` and `<scenario>::mongo`.
macro_rules! on_both_stores {
    ($($scenario:ident),* $(,)?) => {$(
        mod $scenario {
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$scenario(Backend::Sqlite).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mongo() {
                if let Some(backend) = Backend::mongo() {
                    super::$scenario(backend).await;
                }
            }
        }
    )*};
}

on_both_stores!(
    linked_numbers_survive_a_sigkill_and_a_deleted_session_dir,
    a_device_unlinked_while_the_gateway_was_down_is_expired,
    a_pending_connection_found_at_boot_is_interrupted,
);
