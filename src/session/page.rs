//! Feature operations on a connection's live page, for the routes beyond sending (groups,
//! chats, contacts, message actions): through the running session, reviving a linked
//! connection first as a send does, or refused as not ready.

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde_json::Value;

use super::manager::{ManagerError, SessionManager};
use crate::store::Connection;
use crate::whatsapp::{DriverError, PageCaller};

/// Why an operation on the page did not give a value.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PageError {
    /// WhatsApp (or the driver for it) said no; `code` is the page's (`NOT_FOUND`,
    /// `FORBIDDEN`, `INVALID_REQUEST`, `INCOMPATIBLE`, or WhatsApp's own).
    #[error("{message}")]
    Refused { code: String, message: String },
    /// The page did not answer in time, or the browser died meanwhile.
    #[error("WhatsApp Web did not complete the request: {0}")]
    Failed(String),
}

impl From<DriverError> for PageError {
    fn from(e: DriverError) -> Self {
        match e {
            DriverError::Refused { code, message } => Self::Refused { code, message },
            other => Self::Failed(other.to_string()),
        }
    }
}

impl SessionManager {
    /// The connection's live page; waits (up to `SEND_READY_TIMEOUT_SECS`) while a linked
    /// connection gets ready.
    pub async fn page(&self, connection: &Connection) -> Result<Arc<dyn PageCaller>, ManagerError> {
        if connection.archived {
            return Err(ManagerError::NotFound(connection.connection_id.clone()));
        }
        let _busy = self.hibernation.busy(&connection.connection_id);
        let session = self.session_for(connection).await?;
        Ok(session.page().await?)
    }

    /// Runs `op` with `args` on the connection's page within `limit` and reads its value as `T`.
    pub async fn call<T: DeserializeOwned>(
        &self,
        connection: &Connection,
        op: &str,
        args: Value,
        limit: Duration,
    ) -> Result<T, ManagerError> {
        let _busy = self.hibernation.busy(&connection.connection_id);
        let page = self.page(connection).await?;
        let value = page.call(op, args, limit).await.map_err(PageError::from)?;
        serde_json::from_value(value).map_err(|e| {
            let why = format!("{op} answered an unexpected shape: {e}");
            ManagerError::Page(PageError::Failed(why))
        })
    }
}
