//! Warm spare browsers (`SPARE_BROWSERS`, default 1): Chromium already running on the profile of a
//! connection id handed out next, so that `POST /wa/add-number` skips the launch (most of a
//! second) and waits only for the page and its QR. A spare taken is replaced in the background;
//! spares are closed, and their profile folders removed, at shutdown. They are children of the
//! gateway like every browser, so memory figures count them. A spare's folder carries a marker
//! until a connection claims it, so that the folders of a gateway killed with spares running are
//! found and removed at the next start.

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use tokio::sync::{mpsc, watch};
use uuid::Uuid;

use super::driver::{ChromiumDriver, DriverError, LaunchSpec, Signal, WarmBrowser};
use super::port::{Driver, Launcher};
use crate::config::{ChromeFlags, Config};

use prometheus_client::metrics::gauge::Gauge;

/// A failed launch is retried after this (a broken Chromium must not spin).
const RETRY_AFTER: Duration = Duration::from_secs(30);
/// Longest a shutdown waits for a spare still launching (Chromium's own launch timeout is 30 s).
const SHUTDOWN_WAIT: Duration = Duration::from_secs(40);
/// A spare taken is replaced after this: the launch would otherwise compete for the CPU with the
/// page load of the connection that took it.
const REFILL_AFTER: Duration = Duration::from_secs(3);
/// Headless Chromium opens its own new-tab page about 0.5 s after launch; closed after this.
const NEW_TAB_AFTER: Duration = Duration::from_millis(1500);
/// In a spare's profile folder while no connection owns it.
const UNCLAIMED: &str = ".wa-spare";

#[derive(Default)]
struct Pool {
    /// Ready, not yet handed out.
    ready: Vec<(String, WarmBrowser)>,
    /// Handed out by `take_spare`, waiting for the session's `start`.
    taken: Vec<(String, WarmBrowser)>,
    /// Launches in flight.
    launching: usize,
    closed: bool,
}

/// The production [`Launcher`]: Chromium, with `size` warm spares kept ready.
pub struct SpareLauncher {
    size: usize,
    template: LaunchSpec,
    session_dir: PathBuf,
    pool: Mutex<Pool>,
    /// Set at shutdown: cuts the waits of launches not started yet.
    closing: watch::Sender<bool>,
    /// `wa_spare_browsers`: how many are ready.
    ready_gauge: Gauge,
}

impl SpareLauncher {
    pub fn new(config: &Config, ready_gauge: Gauge) -> Arc<Self> {
        Arc::new(Self {
            size: config.spare_browsers,
            template: LaunchSpec {
                chrome_path: config.chrome_path.clone(),
                profile_dir: PathBuf::new(),
                url: config.wa_web_url.clone(),
                flags: config.chrome_flags,
            },
            session_dir: config.session_dir.clone(),
            pool: Mutex::default(),
            closing: watch::channel(false).0,
            ready_gauge,
        })
    }

    /// Starts launches until `size` spares are ready or launching (from a Tokio runtime).
    pub fn fill(self: &Arc<Self>) {
        self.fill_after(Duration::ZERO);
    }

    fn fill_after(self: &Arc<Self>, delay: Duration) {
        let wanted = {
            let mut pool = self.pool.lock().unwrap();
            let have = pool.ready.len() + pool.launching;
            let wanted = if pool.closed {
                0
            } else {
                self.size.saturating_sub(have)
            };
            pool.launching += wanted;
            wanted
        };
        for _ in 0..wanted {
            tokio::spawn(self.clone().launch_one(delay));
        }
    }

    async fn launch_one(self: Arc<Self>, delay: Duration) {
        let mut closing = self.closing.subscribe();
        tokio::select! {
            _ = tokio::time::sleep(delay) => {}
            _ = closing.wait_for(|closed| *closed) => {}
        }
        let id = Uuid::new_v4().to_string();
        let spec = LaunchSpec {
            profile_dir: self.session_dir.join(&id),
            ..self.template.clone()
        };
        let launched = match self.is_closed() {
            true => None,
            false => Some(launch_marked(&spec).await),
        };
        let failed = match launched {
            Some(Ok(warm)) => {
                self.keep(id, warm).await;
                false
            }
            Some(Err(e)) => {
                tracing::warn!(error = %e, "spare browser failed to start; retrying later");
                remove_profile(&spec).await;
                true
            }
            None => false,
        };
        // Counted as launching until here, so that shutdown waits for the discard above.
        self.pool.lock().unwrap().launching -= 1;
        if failed {
            self.fill_after(RETRY_AFTER);
        }
    }

    /// Adds a launched spare to the pool, or closes it when the gateway is closing.
    async fn keep(&self, id: String, warm: WarmBrowser) {
        let refused = {
            let mut pool = self.pool.lock().unwrap();
            if pool.closed {
                Some(warm)
            } else {
                tracing::debug!(%id, "spare browser ready");
                pool.ready.push((id, warm));
                self.ready_gauge.set(pool.ready.len() as i64);
                None
            }
        };
        if let Some(warm) = refused {
            let spec = warm.spec().clone();
            discard(warm, &spec).await;
        }
    }

    fn is_closed(&self) -> bool {
        self.pool.lock().unwrap().closed
    }

    /// The spare taken for `spec`'s profile, if it is one.
    fn claim(&self, spec: &LaunchSpec) -> Option<WarmBrowser> {
        let mut pool = self.pool.lock().unwrap();
        let at = pool
            .taken
            .iter()
            .position(|(_, w)| w.spec().profile_dir == spec.profile_dir)?;
        Some(pool.taken.swap_remove(at).1)
    }
}

#[async_trait]
impl Launcher for Arc<SpareLauncher> {
    async fn start(
        &self,
        spec: &LaunchSpec,
        generation: u64,
        signals: mpsc::Sender<Signal>,
    ) -> Result<Box<dyn Driver>, DriverError> {
        if let Some(warm) = self.claim(spec) {
            let _ = tokio::fs::remove_file(spec.profile_dir.join(UNCLAIMED)).await;
            if warm.is_alive() && warm.spec().url == spec.url && warm.spec().flags == spec.flags {
                return Ok(ChromiumDriver::from_warm(warm, generation, signals).await?);
            }
            // Died while it waited: the profile is the session's own, so launch on it afresh.
            warm.close().await;
        }
        Ok(ChromiumDriver::start(spec, generation, signals).await?)
    }

    fn take_spare(&self) -> Option<String> {
        let mut pool = self.pool.lock().unwrap();
        // A spare that died while it waited is replaced, not handed out.
        while let Some(at) = pool.ready.iter().position(|(_, w)| !w.is_alive()) {
            let (_, dead) = pool.ready.swap_remove(at);
            tokio::spawn(async move {
                let spec = dead.spec().clone();
                discard(dead, &spec).await;
            });
            drop(pool);
            self.fill();
            pool = self.pool.lock().unwrap();
        }
        let at = pool.ready.iter().position(|(_, w)| w.is_alive())?;
        let spare = pool.ready.swap_remove(at);
        let id = spare.0.clone();
        pool.taken.push(spare);
        self.ready_gauge.set(pool.ready.len() as i64);
        drop(pool);
        self.fill_after(REFILL_AFTER);
        Some(id)
    }

    fn give_back(&self, id: &str) {
        let mut pool = self.pool.lock().unwrap();
        if let Some(at) = pool.taken.iter().position(|(taken, _)| taken == id) {
            let spare = pool.taken.swap_remove(at);
            pool.ready.push(spare);
            self.ready_gauge.set(pool.ready.len() as i64);
        }
    }

    async fn shutdown(&self) {
        let spares: Vec<(String, WarmBrowser)> = {
            let mut pool = self.pool.lock().unwrap();
            pool.closed = true;
            let mut all = std::mem::take(&mut pool.ready);
            all.append(&mut pool.taken);
            self.ready_gauge.set(0);
            all
        };
        self.closing.send_replace(true);
        let closing = spares.into_iter().map(|(_, warm)| async move {
            let spec = warm.spec().clone();
            discard(warm, &spec).await;
        });
        futures::future::join_all(closing).await;
        // Launches in flight close what they started themselves (see `keep`).
        let deadline = tokio::time::Instant::now() + SHUTDOWN_WAIT;
        while self.pool.lock().unwrap().launching > 0 && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

/// Marks the folder as a spare's, then launches on it.
async fn launch_marked(spec: &LaunchSpec) -> Result<WarmBrowser, DriverError> {
    let marker = spec.profile_dir.join(UNCLAIMED);
    let marked = match tokio::fs::create_dir_all(&spec.profile_dir).await {
        Ok(()) => tokio::fs::write(&marker, b"").await,
        Err(e) => Err(e),
    };
    if let Err(e) = marked {
        tracing::warn!(error = %e, dir = %spec.profile_dir.display(), "cannot mark a spare's folder");
    }
    launch_warm(spec).await
}

/// At start, after the sweep has ended every browser on our profiles: removes the folders of
/// spares that no connection claimed (left by a gateway that was killed).
pub async fn remove_unclaimed(session_dir: &std::path::Path) {
    let Ok(mut entries) = tokio::fs::read_dir(session_dir).await else {
        return;
    };
    while let Ok(Some(entry)) = entries.next_entry().await {
        let dir = entry.path();
        if tokio::fs::try_exists(dir.join(UNCLAIMED))
            .await
            .unwrap_or(false)
        {
            tracing::info!(dir = %dir.display(), "removing an unclaimed spare's profile");
            let _ = tokio::fs::remove_dir_all(&dir).await;
        }
    }
}

/// Launches a spare; with the tuned flags, waits for headless Chromium's own new-tab page and
/// closes it.
async fn launch_warm(spec: &LaunchSpec) -> Result<WarmBrowser, DriverError> {
    let warm = WarmBrowser::launch(spec).await?;
    if spec.flags == ChromeFlags::Tuned {
        tokio::time::sleep(NEW_TAB_AFTER).await;
        warm.close_other_tabs().await;
    }
    Ok(warm)
}

/// Closes a spare nobody used and removes its profile (no connection owns that folder).
async fn discard(warm: WarmBrowser, spec: &LaunchSpec) {
    warm.close().await;
    remove_profile(spec).await;
}

async fn remove_profile(spec: &LaunchSpec) {
    let _ = tokio::fs::remove_dir_all(&spec.profile_dir).await;
}
