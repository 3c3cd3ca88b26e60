//! A send as a client asks for it: at most once per idempotency key, through the connection's
//! session (revived first when the connection is linked but its browser is not running), or
//! refused as not ready.

use std::time::Instant;

use serde::de::DeserializeOwned;
use serde::Serialize;
use sha2::{Digest, Sha256};

use super::handle::{SendError, Sent, SessionHandle};
use super::manager::{ManagerError, SessionManager};
use crate::domain::ChatId;
use crate::store::{Connection, ConnectionStatus, IdempotencyClaim, StoreError};
use crate::whatsapp::OutgoingMessage;

/// A message for one chat, through a connection the caller may use.
pub struct Outgoing<'a> {
    /// The connection's record as the caller read it: it is not read again.
    pub connection: &'a Connection,
    pub to: ChatId,
    pub message: OutgoingMessage,
    /// The client's `Idempotency-Key`: a retry with the same key sends nothing twice.
    pub idempotency_key: Option<&'a str>,
}

/// What a send came to. `R` is the client's view of a [`Sent`], which is also what is kept for
/// a retry with the same idempotency key.
pub struct Receipt<R> {
    pub response: R,
    /// Sent by an earlier request with the same key: this is that request's response.
    pub replayed: bool,
}

impl SessionManager {
    /// Sends `out`. With an idempotency key, a retry with the same text gets the first response
    /// again; with another text, or while the first request still runs, it is refused.
    pub async fn send<R>(&self, out: Outgoing<'_>) -> Result<Receipt<R>, ManagerError>
    where
        R: From<Sent> + Serialize + DeserializeOwned,
    {
        let Some(key) = out.idempotency_key else {
            let sent = self.send_now(out.connection, out.to, out.message).await?;
            return Ok(Receipt {
                response: sent.into(),
                replayed: false,
            });
        };
        let id = &out.connection.connection_id;
        let fingerprint = fingerprint(&out.to, &out.message);
        match self
            .deps
            .store
            .claim_idempotency(id, key, &fingerprint)
            .await?
        {
            IdempotencyClaim::Claimed => self.send_claimed(out, key).await,
            IdempotencyClaim::Completed(first) => replay(first),
            IdempotencyClaim::InProgress => Err(ManagerError::KeyInProgress),
            IdempotencyClaim::Mismatch => Err(ManagerError::KeyReused),
        }
    }

    /// Sends under a claimed key, then keeps the response for retries or, if nothing was sent,
    /// lets the key go so that a retry may try again.
    async fn send_claimed<R>(
        &self,
        out: Outgoing<'_>,
        key: &str,
    ) -> Result<Receipt<R>, ManagerError>
    where
        R: From<Sent> + Serialize,
    {
        let (id, store) = (&out.connection.connection_id, &self.deps.store);
        match self.send_now(out.connection, out.to, out.message).await {
            Ok(sent) => {
                let response = R::from(sent);
                let kept = serde_json::to_value(&response).expect("responses serialize");
                store.complete_idempotency(id, key, &kept).await?;
                Ok(Receipt {
                    response,
                    replayed: false,
                })
            }
            Err(e) => {
                store.release_idempotency(id, key).await?;
                Err(e)
            }
        }
    }

    /// Sends through the connection's session and counts the attempt.
    async fn send_now(
        &self,
        connection: &Connection,
        to: ChatId,
        message: OutgoingMessage,
    ) -> Result<Sent, ManagerError> {
        let started = Instant::now();
        let result = self.deliver(connection, to, message).await;
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

    async fn deliver(
        &self,
        connection: &Connection,
        to: ChatId,
        message: OutgoingMessage,
    ) -> Result<Sent, ManagerError> {
        if connection.archived {
            return Err(ManagerError::NotFound(connection.connection_id.clone()));
        }
        let _busy = self.hibernation.busy(&connection.connection_id);
        let session = self.session_for(connection).await?;
        Ok(session.send(to, message).await?)
    }

    /// The not-ready decision: the running session; for a linked connection without one, a
    /// session revived from its saved login; otherwise why it cannot send.
    pub(super) async fn session_for(
        &self,
        connection: &Connection,
    ) -> Result<SessionHandle, SendError> {
        let id = &connection.connection_id;
        // A number falling asleep is waited for, then woken: never its closing session.
        let _gate = self.hibernation.enter(id).await;
        if let Some(session) = self.running(id).await {
            return Ok(session);
        }
        if connection.status != ConnectionStatus::Connected {
            return Err(SendError::NotReady(not_ready_reason(connection)));
        }
        tracing::info!(connection_id = %id, "reviving a linked connection for a send");
        let revived = self.wake_on_demand(id).await;
        revived.map_err(|why| SendError::NotReady(why.to_string()))
    }
}

/// The same recipient and message: what makes a retry the same request. A plain text keeps
/// the fingerprint it always had, so keys claimed before an upgrade still match.
fn fingerprint(to: &ChatId, message: &OutgoingMessage) -> String {
    let text = &message.text;
    let request = if message.parts.is_empty() {
        format!("{to}\n{text}")
    } else {
        let parts = serde_json::Value::Object(message.parts.clone());
        format!("{to}\n{text}\n{parts}")
    };
    hex::encode(Sha256::digest(request))
}

fn replay<R: DeserializeOwned>(first: serde_json::Value) -> Result<Receipt<R>, ManagerError> {
    let response = serde_json::from_value(first)
        .map_err(|e| StoreError::Corrupt(format!("idempotency response: {e}")))?;
    Ok(Receipt {
        response,
        replayed: true,
    })
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
