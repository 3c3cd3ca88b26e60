//! wa-gateway: a self-hosted, multi-session WhatsApp REST gateway. `App::build` assembles the
//! whole service from a [`Config`]; `main` and the tests share it.

pub mod config;
pub mod crypto;
pub mod domain;
pub mod error;
pub mod events;
pub mod http;
pub mod media;
pub mod metrics;
pub mod net;
pub mod procstats;
pub mod qr;
pub mod session;
pub mod store;
pub mod supervisor;
pub mod telemetry;
pub mod whatsapp;

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use tokio::net::TcpListener;

pub use config::Config;
use events::EventBus;
use session::{SessionManager, SessionsDeps};
use store::Store;
use supervisor::{Board, Spec, Supervisor};

/// The assembled service.
pub struct App {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub bus: Arc<EventBus>,
    pub manager: Arc<SessionManager>,
    webhooks: Arc<tokio::sync::Notify>,
    pub metrics: Arc<metrics::Metrics>,
    /// What the supervised background tasks are doing (for `/ready`).
    tasks: Arc<Board>,
    /// Whether `WA_WEB_URL` answers (for `/ready`).
    wa_web: Arc<whatsapp::WaWebProbe>,
    /// Warm spare browsers for add-number (`SPARE_BROWSERS`); also the sessions' launcher.
    spare: Arc<whatsapp::spare::SpareLauncher>,
    router: Router,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] config::ConfigError),
    #[error("the store cannot be used: {0}")]
    Store(#[from] store::StoreError),
    #[error("listener: {0}")]
    Io(#[from] std::io::Error),
}

impl App {
    /// Validates the configuration, opens the store and wires the session manager and routes.
    pub async fn build(config: Config) -> Result<Self, StartError> {
        config.validate()?;
        let config = Arc::new(config);
        let store = open_store(&config).await?;
        let bus = Arc::new(EventBus::new(store.clone()));
        let archive_key = config.security.session_encryption_key.clone();
        let metrics = Arc::new(metrics::Metrics::new());
        let spare = whatsapp::spare::SpareLauncher::new(&config, metrics.spare_browsers.clone());
        let manager = Arc::new(SessionManager::new(SessionsDeps {
            config: config.clone(),
            archive_key,
            store: store.clone(),
            bus: bus.clone(),
            metrics: metrics.clone(),
            launcher: Arc::new(spare.clone()),
        }));
        let webhooks = Arc::new(tokio::sync::Notify::new());
        let tasks = Arc::new(Board::default());
        let wa_web = Arc::new(whatsapp::WaWebProbe::new(&config.wa_web_url));
        let router = http::router(http::AppState {
            config: config.clone(),
            store: store.clone(),
            manager: manager.clone(),
            bus: bus.clone(),
            webhooks: webhooks.clone(),
            security: Arc::new(http::auth::Security::new(config.security.clone())),
            metrics: metrics.clone(),
            tasks: tasks.clone(),
            wa_web: wa_web.clone(),
            lookups: Default::default(),
            connection_lists: Default::default(),
        });
        Ok(Self {
            config,
            store,
            bus,
            manager,
            webhooks,
            metrics,
            tasks,
            wa_web,
            spare,
            router,
        })
    }

    /// Serves on `listener` until `shutdown` resolves, then stops the background work, closes
    /// every browser and waits for it.
    pub async fn serve(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let addr = listener.local_addr()?;
        let mut tasks = Supervisor::new(self.tasks.clone(), self.metrics.clone());
        events::start_webhooks(
            &mut tasks,
            self.bus.clone(),
            self.store.clone(),
            Arc::new(self.config.webhooks.clone()),
            self.webhooks.clone(),
            self.metrics.clone(),
        );
        whatsapp::sweep::sweep_session_dir(&self.config.session_dir).await;
        whatsapp::spare::remove_unclaimed(&self.config.session_dir).await;
        // After the sweep, which would end a browser already running on our folder.
        self.spare.fill();
        whatsapp::probe::start(&mut tasks, self.wa_web.clone());
        let to_restore = self.manager.prepare_restore().await;
        start_restore(&mut tasks, self.manager.clone(), to_restore);
        session::start_hibernation(&mut tasks, self.manager.clone());
        media::sweeper::start(&mut tasks, self.store.clone(), self.config.media.retention);
        let fetcher = media::auto::Fetcher {
            manager: self.manager.clone(),
            store: self.store.clone(),
            data_dir: self.config.data_dir.clone(),
            wanted: self.config.media.auto_download.clone(),
        };
        media::auto::start(&mut tasks, self.bus.clone(), fetcher);
        tracing::info!(%addr, "wa-gateway listening");
        let app = self
            .router
            .into_make_service_with_connect_info::<std::net::SocketAddr>();
        let served = axum::serve(listener, app)
            .with_graceful_shutdown(shutdown)
            .await;
        // No browser may start while the others close; the webhooks stop last, so that what the
        // closing sessions recorded is still fanned out.
        tasks.stop(RESTORE_TASK).await;
        tracing::info!("closing every browser");
        self.manager.shutdown().await;
        tasks.shutdown().await;
        served
    }
}

const RESTORE_TASK: &str = "restore";

/// Brings back the linked connections in the background. A restart after a panic restores the
/// same list: those already running are only waited for.
fn start_restore(tasks: &mut Supervisor, manager: Arc<SessionManager>, ids: Vec<String>) {
    let spec = Spec {
        name: RESTORE_TASK,
        required: false,
    };
    tasks.spawn(spec, move |stop| {
        let (manager, ids) = (manager.clone(), ids.clone());
        async move {
            let count = ids.len();
            tokio::select! {
                () = manager.restore(ids) => {}
                () = stop.cancelled() => tracing::warn!(
                    count,
                    "shutdown came before the restore finished; the connections not back yet \
                     stay linked and are restored at the next start"
                ),
            }
            Ok(())
        }
    });
}

/// A database that is still starting (compose, k8s) is waited for; a wrong address fails clearly.
async fn open_store(config: &Config) -> Result<Arc<dyn Store>, store::StoreError> {
    let settings = store_settings(config);
    let mut pause = Duration::from_secs(1);
    for attempt in 1.. {
        match store::open(&settings).await {
            Err(store::StoreError::Unavailable(why)) if attempt < config.store_connect_attempts => {
                tracing::warn!(attempt, retry_in = ?pause, error = %why, "store unreachable; retrying");
                tokio::time::sleep(pause).await;
                pause *= 2;
            }
            other => return other,
        }
    }
    unreachable!("the loop returns")
}

fn store_settings(config: &Config) -> store::StoreSettings {
    store::StoreSettings {
        mongo_uri: config.mongo_uri.as_ref().map(|s| s.expose().to_owned()),
        mongo_db: config.mongo_db.clone(),
        data_dir: config.data_dir.clone(),
    }
}
