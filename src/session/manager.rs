//! The registry of running sessions and the only door HTTP handlers use to reach them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, Semaphore};
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::actor::{Deps, Mode, Session, UNAVAILABLE};
use super::handle::{Phase, SendError, SessionHandle};
use super::hibernation::{Hibernation, SleepView};
use super::profile;
use crate::domain::PhoneNumber;
use crate::store::{
    Connection, ConnectionPatch, ConnectionStatus, StatusChange, StoreError, WebhookConfig,
};

/// A restore that takes longer than this no longer holds back the next one.
const RESTORE_WAIT: Duration = Duration::from_secs(90);

#[derive(Debug, thiserror::Error)]
pub enum ManagerError {
    #[error("no connection with id {0}")]
    NotFound(String),
    #[error("the limit of {0} active connections is reached")]
    LimitReached(usize),
    /// Also when a connection linking by phone got no pairing code.
    #[error("WhatsApp Web did not show a QR code: {0}")]
    NoQr(String),
    /// The page never loaded; the reason names the network error and the URL.
    #[error(
        "WhatsApp Web did not load ({0}); check that WA_WEB_URL is right and that this machine \
         can reach it (DNS, proxy, firewall)"
    )]
    WaWebUnavailable(String),
    #[error("A request with this Idempotency-Key is still in progress")]
    KeyInProgress,
    #[error("This Idempotency-Key was used with a different request")]
    KeyReused,
    #[error(transparent)]
    Send(#[from] SendError),
    #[error(transparent)]
    Page(#[from] super::page::PageError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// What a new connection shows first to be linked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LinkCode {
    /// A QR payload to scan.
    Qr(String),
    /// A pairing code (`ABCD-EFGH`) to type on the phone.
    Pairing(String),
}

struct Entry {
    handle: SessionHandle,
    task: JoinHandle<()>,
}

/// Why a linked connection could not be brought back.
#[derive(Debug, thiserror::Error)]
pub(super) enum Unrevivable {
    /// No saved login is left: the connection has ended as `SESSION_EXPIRED`.
    #[error("the connection is disconnected (SESSION_EXPIRED)")]
    Expired,
    /// The saved login is sealed with another key; it is kept for a restart with the right one.
    #[error("the connection's saved login cannot be opened")]
    Sealed,
}

impl Unrevivable {
    fn restore_result(&self) -> &'static str {
        match self {
            Self::Expired => "expired",
            Self::Sealed => "failed",
        }
    }
}

pub struct SessionManager {
    pub(super) deps: Deps,
    sessions: Mutex<HashMap<String, Entry>>,
    /// One revival at a time: two would unpack into the same profile folder.
    reviving: Mutex<()>,
    /// Idle numbers sleeping and waking (inert unless `HIBERNATE_AFTER` or `MAX_AWAKE` is set).
    pub(super) hibernation: Arc<Hibernation>,
}

impl SessionManager {
    pub fn new(deps: Deps) -> Self {
        let hibernation = Arc::new(Hibernation::new(deps.config.hibernation.clone()));
        Self {
            deps,
            sessions: Mutex::new(HashMap::new()),
            reviving: Mutex::new(()),
            hibernation,
        }
    }

    /// Starts a new connection and waits for its first QR code, or with `phone` for its first
    /// pairing code.
    pub async fn create(
        &self,
        tenant: &str,
        webhook: Option<WebhookConfig>,
        phone: Option<PhoneNumber>,
    ) -> Result<(Connection, Option<LinkCode>), ManagerError> {
        // A warm spare browser runs on the profile of the id it hands out (`SPARE_BROWSERS`).
        let spare = self.deps.launcher.take_spare();
        let id = spare.clone().unwrap_or_else(|| Uuid::new_v4().to_string());
        let mode = phone.map_or(Mode::New, Mode::ByPhone);
        let started = self.start_pending(&id, tenant, webhook, mode).await;
        if let (Err(_), Some(spare)) = (&started, &spare) {
            self.deps.launcher.give_back(spare);
        }
        let handle = started?;
        let code = self.first_code(&handle).await?;
        let record = self.get(&id).await?;
        Ok((record, code))
    }

    /// Records a pending connection (and its webhook) and starts its session, within the limit.
    async fn start_pending(
        &self,
        id: &str,
        tenant: &str,
        webhook: Option<WebhookConfig>,
        mode: Mode,
    ) -> Result<SessionHandle, ManagerError> {
        let mut sessions = self.sessions.lock().await;
        let active = sessions.values().filter(|e| !e.handle.is_ended()).count();
        let max = self.deps.config.max_sessions;
        if active >= max {
            return Err(ManagerError::LimitReached(max));
        }
        let record = Connection::new_pending(id, tenant, crate::store::now());
        self.deps.store.insert_connection(&record).await?;
        // Before the session starts, so that even its first QR code reaches the webhook.
        if let Some(hook) = &webhook {
            self.deps.store.put_webhook(id, hook).await?;
        }
        Ok(self.spawn_locked(&mut sessions, id, mode))
    }

    /// The new connection's first QR or pairing code (none if it linked at once), or why not.
    async fn first_code(&self, handle: &SessionHandle) -> Result<Option<LinkCode>, ManagerError> {
        let phase = handle
            .wait_for(self.deps.config.qr_wait_timeout, |p| {
                matches!(
                    p,
                    Phase::AwaitingScan { .. }
                        | Phase::AwaitingCode { .. }
                        | Phase::Ready
                        | Phase::Ended { .. }
                )
            })
            .await;
        match phase {
            Phase::AwaitingScan { qr } => Ok(Some(LinkCode::Qr(qr))),
            Phase::AwaitingCode { code } => Ok(Some(LinkCode::Pairing(code))),
            Phase::Ready => Ok(None),
            Phase::Ended { reason } => Err(no_qr(reason)),
            _ => {
                // The session ends as it judges: a page that never loaded says why.
                handle.give_up().await;
                Err(match handle.live().phase {
                    Phase::Ended { reason } if reason.starts_with(UNAVAILABLE) => {
                        ManagerError::WaWebUnavailable(reason)
                    }
                    _ => ManagerError::NoQr("timed out".into()),
                })
            }
        }
    }

    fn spawn_locked(
        &self,
        sessions: &mut HashMap<String, Entry>,
        id: &str,
        mode: Mode,
    ) -> SessionHandle {
        let (handle, task) = Session::spawn(self.deps.clone(), id.to_owned(), mode);
        let task =
            crate::supervisor::notice("session", id.to_owned(), task, self.deps.metrics.clone());
        sessions.insert(
            id.to_owned(),
            Entry {
                handle: handle.clone(),
                task,
            },
        );
        handle
    }

    /// The stored record; archived ones too.
    pub async fn get(&self, id: &str) -> Result<Connection, ManagerError> {
        self.deps
            .store
            .get_connection(id)
            .await?
            .ok_or_else(|| ManagerError::NotFound(id.to_owned()))
    }

    /// The QR string a pending connection shows right now.
    pub async fn current_qr(&self, id: &str) -> Option<String> {
        let sessions = self.sessions.lock().await;
        match sessions.get(id)?.handle.live().phase {
            Phase::AwaitingScan { qr } => Some(qr),
            _ => None,
        }
    }

    /// The pairing code a pending connection linking by phone shows right now (`ABCD-EFGH`).
    pub async fn current_pairing_code(&self, id: &str) -> Option<String> {
        let sessions = self.sessions.lock().await;
        match sessions.get(id)?.handle.live().phase {
            Phase::AwaitingCode { code } => Some(code),
            _ => None,
        }
    }

    /// The PID of the connection's browser, if one runs (tests and stats use it).
    pub async fn browser_pid(&self, id: &str) -> Option<u32> {
        let sessions = self.sessions.lock().await;
        sessions.get(id)?.handle.live().pid
    }

    /// Every running browser: `(connection id, browser pid)`.
    pub async fn browser_pids(&self) -> Vec<(String, u32)> {
        let sessions = self.sessions.lock().await;
        sessions
            .iter()
            .filter_map(|(id, e)| Some((id.clone(), e.handle.live().pid?)))
            .collect()
    }

    /// Boot, before the API serves anything (so no new connection can be mistaken for an old
    /// one): `pending` connections lost their browser and end as `INTERRUPTED`; the ids of the
    /// `connected` ones are returned for [`Self::restore`].
    pub async fn prepare_restore(&self) -> Vec<String> {
        let store = &self.deps.store;
        let listed = async {
            let pending = store
                .connections_with_status(ConnectionStatus::Pending)
                .await?;
            let connected = store
                .connections_with_status(ConnectionStatus::Connected)
                .await?;
            Ok::<_, StoreError>((pending, connected))
        };
        let (pending, connected) = match listed.await {
            Ok(lists) => lists,
            Err(e) => {
                tracing::error!(error = %e, "could not list connections to restore");
                return Vec::new();
            }
        };
        for r in pending {
            self.mark_ended(&r.connection_id, "INTERRUPTED").await;
        }
        let connected = connected.into_iter().map(|r| r.connection_id).collect();
        self.keep_sleeping(connected).await
    }

    /// Brings back linked connections, a few at a time so a small machine is not swamped.
    pub async fn restore(self: &Arc<Self>, ids: Vec<String>) {
        tracing::info!(count = ids.len(), "restoring linked connections");
        let permits = Arc::new(Semaphore::new(self.deps.config.restore_concurrency.max(1)));
        let restores = ids.into_iter().map(|id| {
            let (manager, permits) = (self.clone(), permits.clone());
            async move {
                let _permit = permits.acquire().await;
                manager.restore_one(&id).await;
            }
        });
        futures::future::join_all(restores).await;
    }

    /// Starts the session from its saved login (see [`Self::revive`]); returns once it is ready
    /// or has ended, so the next restore gets the CPU.
    async fn restore_one(&self, id: &str) {
        let handle = match self.revive(id).await {
            Ok(handle) => handle,
            Err(why) => return self.deps.metrics.restored(why.restore_result()),
        };
        let phase = handle
            .wait_for(RESTORE_WAIT, |p| {
                use Phase::{Dormant, Ended, Ready, Unreachable};
                matches!(p, Ready | Ended { .. } | Dormant | Unreachable { .. })
            })
            .await;
        tracing::info!(connection_id = %id, ?phase, "restore finished");
        // An unreachable page keeps its session trying; the next restore need not wait for it.
        self.deps.metrics.restored(match &phase {
            Phase::Ready => "ok",
            Phase::Ended { reason } if reason == "SESSION_EXPIRED" => "expired",
            Phase::Unreachable { .. } => "unavailable",
            _ => "failed",
        });
    }

    /// The connection's session if it runs.
    pub(super) async fn running(&self, id: &str) -> Option<SessionHandle> {
        let sessions = self.sessions.lock().await;
        let entry = sessions.get(id).filter(|e| !e.handle.is_ended())?;
        Some(entry.handle.clone())
    }

    /// Closes the session of a number falling asleep, as a gateway shutdown does (the login is
    /// archived once more). Only a ready (or dormant) session is closed: one that is starting
    /// or syncing has no fresh login to archive; `false` then, and it runs on.
    pub(super) async fn close_for_sleep(&self, id: &str) -> bool {
        let entry = {
            let mut sessions = self.sessions.lock().await;
            let phase = sessions.get(id).map(|e| e.handle.live().phase);
            match phase {
                None => return true,
                Some(Phase::Ready | Phase::Dormant) => sessions.remove(id),
                Some(Phase::Ended { .. }) => sessions.remove(id),
                Some(_) => return false,
            }
        };
        if let Some(entry) = entry {
            entry.handle.shutdown().await;
            let _ = entry.task.await;
        }
        true
    }

    /// Whether the number is awake (a browser runs for it), when it was last, when it wakes.
    pub async fn sleep_view(&self, id: &str) -> SleepView {
        let running = self.running(id).await.is_some();
        self.hibernation.view(id, running)
    }

    /// The one way a linked connection comes back, at boot or for a send: its running session
    /// if there is one (one browser per profile, never two), else a new one started from the
    /// saved login.
    pub(super) async fn revive(&self, id: &str) -> Result<SessionHandle, Unrevivable> {
        let _one_at_a_time = self.reviving.lock().await;
        if let Some(handle) = self.running(id).await {
            return Ok(handle);
        }
        self.unpack(id).await?;
        let mut sessions = self.sessions.lock().await;
        Ok(self.spawn_locked(&mut sessions, id, Mode::Restore))
    }

    /// Puts the saved login into the profile folder (a folder that survived serves when the
    /// store holds no archive). Without either the login is gone and the connection ends.
    async fn unpack(&self, id: &str) -> Result<(), Unrevivable> {
        let has_profile = match profile::unpack(&self.deps, id).await {
            Ok(found) => found || profile::dir(&self.deps, id).exists(),
            Err(e @ profile::ProfileError::Sealed(_)) => {
                // The login may be fine and the key wrong: leave it for a restart with the key.
                tracing::error!(connection_id = %id, error = %e, "login archive cannot be opened; not revived");
                return Err(Unrevivable::Sealed);
            }
            Err(e) => {
                tracing::warn!(connection_id = %id, error = %e, "login archive unusable");
                false
            }
        };
        if !has_profile {
            self.mark_ended(id, "SESSION_EXPIRED").await;
            return Err(Unrevivable::Expired);
        }
        Ok(())
    }

    async fn mark_ended(&self, id: &str, reason: &str) {
        let patch = ConnectionPatch {
            status: Some(StatusChange {
                status: ConnectionStatus::Disconnected,
                reason: Some(reason.to_owned()),
            }),
            ..Default::default()
        };
        if let Err(e) = self.deps.store.update_connection(id, patch).await {
            tracing::error!(connection_id = %id, error = %e, "could not mark the connection ended");
        }
        let _ = self.deps.store.delete_archive(id).await;
        profile::remove(&self.deps, id).await;
    }

    /// Logs out, closes the browser and archives the record (as the caller read it). Idempotent.
    pub async fn disconnect(&self, record: &Connection) -> Result<(), ManagerError> {
        let id = record.connection_id.as_str();
        self.hibernation.forget(id);
        let entry = self.sessions.lock().await.remove(id);
        if let Some(entry) = entry {
            entry.handle.disconnect().await;
            let _ = entry.task.await;
        }
        let status = match record.status {
            ConnectionStatus::Disconnected => None,
            _ => Some(StatusChange {
                status: ConnectionStatus::Disconnected,
                reason: Some("API_DISCONNECT".into()),
            }),
        };
        self.deps
            .store
            .update_connection(
                id,
                ConnectionPatch {
                    status,
                    archived: Some(true),
                    ..Default::default()
                },
            )
            .await?;
        self.deps.store.delete_archive(id).await?;
        Ok(())
    }

    /// Closes every browser and waits for each; records keep their status for the next start.
    pub async fn shutdown(&self) {
        let entries: Vec<Entry> = self.sessions.lock().await.drain().map(|(_, e)| e).collect();
        let closing = entries.into_iter().map(|e| async move {
            e.handle.shutdown().await;
            let _ = e.task.await;
        });
        futures::future::join_all(closing).await;
        self.deps.launcher.shutdown().await;
    }
}

fn no_qr(reason: String) -> ManagerError {
    if reason.starts_with(UNAVAILABLE) {
        ManagerError::WaWebUnavailable(reason)
    } else {
        ManagerError::NoQr(reason)
    }
}

impl std::fmt::Debug for SessionManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionManager").finish_non_exhaustive()
    }
}
