//! What every handler shares, and the one way a handler reads a connection on a caller's behalf.

use std::sync::Arc;

use super::auth::{Principal, SharedSecurity};
use crate::config::Config;
use crate::error::ApiError;
use crate::events::EventBus;
use crate::metrics::Metrics;
use crate::session::{ManagerError, SessionManager};
use crate::store::{Connection, Store};

/// The handlers' shared state: one handle per collaborator.
#[derive(Clone)]
pub struct AppState {
    pub config: Arc<Config>,
    pub store: Arc<dyn Store>,
    pub manager: Arc<SessionManager>,
    pub bus: Arc<EventBus>,
    /// Wakes the webhook dispatcher (after a replay).
    pub webhooks: Arc<tokio::sync::Notify>,
    pub security: SharedSecurity,
    pub metrics: Arc<Metrics>,
    /// The supervised background tasks, for `/ready`.
    pub tasks: Arc<crate::supervisor::Board>,
    /// Whether `WA_WEB_URL` answers, for `/ready`.
    pub wa_web: Arc<crate::whatsapp::WaWebProbe>,
    /// Paces each connection's number look-ups.
    pub lookups: Arc<super::numbers::LookupPacer>,
    /// Shares one store query between concurrent `GET /wa/connections`.
    pub connection_lists: Arc<super::list_batch::ListBatcher>,
}

impl AppState {
    /// The connection, if it exists and the caller may see it; otherwise `SESSION_NOT_FOUND`, so
    /// another tenant's connections are indistinguishable from missing ones.
    pub async fn owned(&self, caller: &Principal, id: &str) -> Result<Connection, ApiError> {
        match self.manager.get(id).await {
            Ok(c) if caller.owns(&c) => Ok(c),
            Ok(_) | Err(ManagerError::NotFound(_)) => Err(ApiError::session_not_found(id)),
            Err(e) => Err(e.into()),
        }
    }
}
