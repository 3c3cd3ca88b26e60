//! The registry of running sessions and the only door HTTP handlers use to reach them.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, Semaphore};
use tokio::task::JoinHandle;
use uuid::Uuid;

use super::actor::{Deps, Mode, Session};
use super::handle::{Phase, SendError, Sent, SessionHandle};
use super::profile;
use crate::domain::ChatId;
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
    #[error("WhatsApp Web did not show a QR code: {0}")]
    NoQr(String),
    #[error(transparent)]
    Send(#[from] SendError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

struct Entry {
    handle: SessionHandle,
    task: JoinHandle<()>,
}

pub struct SessionManager {
    deps: Deps,
    sessions: Mutex<HashMap<String, Entry>>,
}

impl SessionManager {
    pub fn new(deps: Deps) -> Self {
        Self {
            deps,
            sessions: Mutex::new(HashMap::new()),
        }
    }

    /// Starts a new connection and waits for its first QR code.
    pub async fn create(
        &self,
        tenant: &str,
        webhook: Option<WebhookConfig>,
    ) -> Result<(Connection, Option<String>), ManagerError> {
        let id = Uuid::new_v4().to_string();
        let handle = {
            let mut sessions = self.sessions.lock().await;
            let active = sessions.values().filter(|e| !e.handle.is_ended()).count();
            let max = self.deps.config.max_sessions;
            if active >= max {
                return Err(ManagerError::LimitReached(max));
            }
            let record = Connection::new_pending(&id, tenant, crate::store::now());
            self.deps.store.insert_connection(&record).await?;
            // Before the session starts, so that even its first QR code reaches the webhook.
            if let Some(hook) = &webhook {
                self.deps.store.put_webhook(&id, hook).await?;
            }
            self.spawn_locked(&mut sessions, &id, Mode::New)
        };
        let phase = handle
            .wait_for(self.deps.config.qr_wait_timeout, |p| {
                matches!(
                    p,
                    Phase::AwaitingScan { .. } | Phase::Ready | Phase::Ended { .. }
                )
            })
            .await;
        let qr = match phase {
            Phase::AwaitingScan { qr } => Some(qr),
            Phase::Ready => None,
            Phase::Ended { reason } => return Err(ManagerError::NoQr(reason)),
            _ => {
                handle.disconnect().await;
                return Err(ManagerError::NoQr("timed out".into()));
            }
        };
        let record = self.get(&id).await?;
        Ok((record, qr))
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

    /// Sends through the connection, reviving its session first if it is linked but not running.
    pub async fn send(&self, id: &str, to: ChatId, body: String) -> Result<Sent, ManagerError> {
        let started = std::time::Instant::now();
        let result = self.send_inner(id, to, body).await;
        let failure = match &result {
            Ok(_) | Err(ManagerError::NotFound(_)) => None,
            Err(ManagerError::Send(e)) => Some(e.metric_reason()),
            Err(_) => Some("error"),
        };
        if !matches!(result, Err(ManagerError::NotFound(_))) {
            self.deps.metrics.observe_send(started.elapsed(), failure);
        }
        result
    }

    async fn send_inner(&self, id: &str, to: ChatId, body: String) -> Result<Sent, ManagerError> {
        let record = self.get(id).await?;
        if record.archived {
            return Err(ManagerError::NotFound(id.to_owned()));
        }
        let handle = self.running_or_revived(&record).await;
        match handle {
            Some(h) => Ok(h.send(to, body).await?),
            None => Err(SendError::NotReady(not_ready_reason(&record)).into()),
        }
    }

    async fn running_or_revived(&self, record: &Connection) -> Option<SessionHandle> {
        let mut sessions = self.sessions.lock().await;
        let id = &record.connection_id;
        if let Some(entry) = sessions.get(id) {
            if !entry.handle.is_ended() {
                return Some(entry.handle.clone());
            }
        }
        if record.status != ConnectionStatus::Connected {
            return None;
        }
        tracing::info!(connection_id = %id, "reviving a linked connection for a send");
        if !profile::dir(&self.deps, id).exists() {
            if let Err(e) = profile::unpack(&self.deps, id).await {
                tracing::warn!(connection_id = %id, error = %e, "could not unpack the login archive");
            }
        }
        Some(self.spawn_locked(&mut sessions, id, Mode::Restore))
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
        connected.into_iter().map(|r| r.connection_id).collect()
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

    /// Unpacks the archive (or keeps a profile folder that survived) and starts the session;
    /// returns once it is ready or has ended, so the next restore gets the CPU.
    async fn restore_one(&self, id: &str) {
        // A send may have revived it already: one browser per profile, never two.
        let running = self.running(id).await;
        let handle = match running {
            Some(handle) => handle,
            None => match self.unpack_and_spawn(id).await {
                Some(handle) => handle,
                None => return,
            },
        };
        let phase = handle
            .wait_for(RESTORE_WAIT, |p| {
                matches!(p, Phase::Ready | Phase::Ended { .. } | Phase::Dormant)
            })
            .await;
        tracing::info!(connection_id = %id, ?phase, "restore finished");
        self.deps.metrics.restored(match &phase {
            Phase::Ready => "ok",
            Phase::Ended { reason } if reason == "SESSION_EXPIRED" => "expired",
            _ => "failed",
        });
    }

    async fn running(&self, id: &str) -> Option<SessionHandle> {
        let sessions = self.sessions.lock().await;
        let entry = sessions.get(id).filter(|e| !e.handle.is_ended())?;
        Some(entry.handle.clone())
    }

    async fn unpack_and_spawn(&self, id: &str) -> Option<SessionHandle> {
        let has_profile = match profile::unpack(&self.deps, id).await {
            Ok(found) => found || profile::dir(&self.deps, id).exists(),
            Err(e @ profile::ProfileError::Sealed(_)) => {
                // The login may be fine and the key wrong: leave it for a restart with the key.
                tracing::error!(connection_id = %id, error = %e, "login archive cannot be opened; not restored");
                self.deps.metrics.restored("failed");
                return None;
            }
            Err(e) => {
                tracing::warn!(connection_id = %id, error = %e, "login archive unusable");
                false
            }
        };
        if !has_profile {
            self.deps.metrics.restored("expired");
            self.mark_ended(id, "SESSION_EXPIRED").await;
            return None;
        }
        let mut sessions = self.sessions.lock().await;
        if let Some(e) = sessions.get(id).filter(|e| !e.handle.is_ended()) {
            return Some(e.handle.clone());
        }
        Some(self.spawn_locked(&mut sessions, id, Mode::Restore))
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

    /// Logs out, closes the browser and archives the record. Idempotent.
    pub async fn disconnect(&self, id: &str) -> Result<(), ManagerError> {
        let record = self.get(id).await?;
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
    }
}

fn not_ready_reason(record: &Connection) -> String {
    match (&record.status, &record.reason) {
        (ConnectionStatus::Disconnected, Some(reason)) => {
            format!("the connection is disconnected ({reason})")
        }
        (ConnectionStatus::Disconnected, None) => "the connection is disconnected".into(),
        _ => "WhatsApp is not linked yet: scan the QR code first".into(),
    }
}

impl std::fmt::Debug for SessionManager {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SessionManager").finish_non_exhaustive()
    }
}
