//! The actor's rules against a scripted browser ([`fake`]), in virtual time: each test starts one
//! session on a fresh SQLite store, plays WhatsApp Web and checks what the session did.

mod backups;
mod ending;
mod fake;
mod page;
mod pairing;
mod phone;
mod recovery;
mod sending;
mod unreachable;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{broadcast, oneshot};
use tokio::task::JoinHandle;

use self::fake::FakeLauncher;
use super::{Deps, Mode, Session};
use crate::config::Config;
use crate::domain::ChatId;
use crate::events::EventBus;
use crate::session::handle::{SendError, Sent, SessionHandle};
use crate::session::Phase;
use crate::store::{Connection, ConnectionStatus, StoreSettings, StoredEvent};
use crate::whatsapp::PageEvent;

/// Long in virtual time, instant in real time: a rule that never fires fails, it does not hang.
const PATIENCE: Duration = Duration::from_secs(600);
const OWN_NUMBER: &str = "15550001111";

pub struct Harness {
    pub id: String,
    pub handle: SessionHandle,
    pub task: JoinHandle<()>,
    pub fake: FakeLauncher,
    pub deps: Deps,
    events: broadcast::Receiver<Arc<StoredEvent>>,
    _dir: tempfile::TempDir,
}

/// The defaults, with the limits the tests count against written out.
fn config(dir: &std::path::Path) -> Config {
    let vars = HashMap::from([("CHROME_PATH".to_owned(), "/bin/sh".to_owned())]);
    let mut config = Config::from_map(&vars).expect("the defaults are valid");
    config.session_dir = dir.join("sessions");
    config.data_dir = dir.join("data");
    config.qr_max_retries = 3;
    config.send_ready_timeout = Duration::from_secs(60);
    config.session_settle = Duration::from_secs(10);
    config.session_backup_interval = Duration::from_secs(300);
    config.security.send_min_interval = Duration::from_secs(1);
    config.security.send_queue_max = 3;
    config
}

impl Harness {
    pub async fn start(mode: Mode) -> Self {
        Self::start_with(mode, |_| {}).await
    }

    /// Starts a session on a fresh store; `tune` adjusts the configuration first.
    pub async fn start_with(mode: Mode, tune: impl FnOnce(&mut Config)) -> Self {
        let h = Self::scripted(mode, tune, |_| {}).await;
        h.fake.until("a browser started", |s| s.started == 1).await;
        h
    }

    /// Starts a session whose browser `script` prepared (how its launches and loads go), without
    /// waiting for anything.
    pub async fn scripted(
        mode: Mode,
        tune: impl FnOnce(&mut Config),
        script: impl FnOnce(&FakeLauncher),
    ) -> Self {
        let dir = tempfile::tempdir().expect("a temp dir");
        let mut config = config(dir.path());
        tune(&mut config);
        let settings = StoreSettings {
            mongo_uri: None,
            mongo_db: None,
            data_dir: config.data_dir.clone(),
        };
        let store = crate::store::open(&settings).await.expect("SQLite opens");
        let id = uuid::Uuid::new_v4().to_string();
        let mut record = Connection::new_pending(&id, "tenant", crate::store::now());
        if mode == Mode::Restore {
            record.status = ConnectionStatus::Connected;
        }
        store.insert_connection(&record).await.expect("inserted");
        let bus = Arc::new(EventBus::new(store.clone()));
        let fake = FakeLauncher::default();
        script(&fake);
        let deps = Deps {
            config: Arc::new(config),
            archive_key: None,
            store,
            bus,
            metrics: Arc::new(crate::metrics::Metrics::new()),
            launcher: Arc::new(fake.clone()),
        };
        let events = deps.bus.subscribe();
        let (handle, task) = Session::spawn(deps.clone(), id.clone(), mode);
        Self {
            id,
            handle,
            task,
            fake,
            deps,
            events,
            _dir: dir,
        }
    }

    /// A new connection scanned and ready.
    pub async fn linked() -> Self {
        let h = Self::start(Mode::New).await;
        h.fake.page(qr("2@first")).await;
        h.fake.page(ready()).await;
        h.phase_is("ready", |p| *p == Phase::Ready).await;
        h
    }

    /// Waits (in virtual time) for the phase to satisfy `pred`.
    pub async fn phase_is(&self, what: &str, pred: impl Fn(&Phase) -> bool) -> Phase {
        let phase = self.handle.wait_for(PATIENCE, &pred).await;
        assert!(pred(&phase), "expected {what}, the session is {phase:?}");
        phase
    }

    /// Waits until the session ended and its task stopped, and checks why.
    pub async fn ended_with(&mut self, reason: &str) {
        self.phase_is(reason, |p| matches!(p, Phase::Ended { .. }))
            .await;
        let stopped = tokio::time::timeout(PATIENCE, &mut self.task).await;
        assert!(
            matches!(stopped, Ok(Ok(()))),
            "the session task did not stop"
        );
        let record = self.record().await;
        assert_eq!(record.status, ConnectionStatus::Disconnected);
        assert_eq!(record.reason.as_deref(), Some(reason));
        assert_eq!(self.handle.live().pid, None);
        self.fake
            .until("every browser closed", |s| s.open == 0)
            .await;
    }

    pub async fn record(&self) -> Connection {
        let record = self.deps.store.get_connection(&self.id).await;
        record.expect("the store answers").expect("the record")
    }

    /// The payload of the next event named `name`, skipping others.
    pub async fn event(&mut self, name: &str) -> serde_json::Value {
        let found = tokio::time::timeout(PATIENCE, async {
            loop {
                let event = self.events.recv().await.expect("the bus is open");
                if event.event == name {
                    return event.data.clone();
                }
            }
        });
        found.await.unwrap_or_else(|_| panic!("no {name} event"))
    }

    /// Hands a send to the session; [`answer`] waits for what it says.
    pub async fn send(&self, body: &str) -> Answer {
        let to = ChatId::parse("15550002222").unwrap();
        self.handle.send_taken(to, body.to_owned()).await
    }

    /// Plays a browser death and waits for the relaunch the backoff schedules.
    pub async fn kill_and_relaunch(&self) {
        let started = self.fake.seen(|s| s.started);
        self.fake.kill().await;
        let next = started + 1;
        self.fake.until("a relaunch", |s| s.started == next).await;
    }
}

pub type Answer = oneshot::Receiver<Result<Sent, SendError>>;

pub async fn answer(pending: Answer) -> Result<Sent, SendError> {
    pending.await.expect("the session answers every send")
}

pub fn qr(code: &str) -> PageEvent {
    PageEvent::Qr { qr: code.into() }
}

pub fn state(name: &str) -> PageEvent {
    PageEvent::ChangeState { state: name.into() }
}

pub fn ready() -> PageEvent {
    PageEvent::Ready {
        number: Some(OWN_NUMBER.into()),
        lid: None,
        pushname: Some("Test".into()),
        platform: Some("android".into()),
    }
}
