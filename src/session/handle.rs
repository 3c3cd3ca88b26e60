//! The public face of a session: its live state and the handle everything else talks to it with.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot, watch};

use crate::domain::ChatId;
use crate::whatsapp::{OutgoingMessage, PageCaller};

/// What the session is doing, published on a watch channel for the manager and the API.
#[derive(Debug, Clone, PartialEq)]
pub enum Phase {
    Starting,
    AwaitingScan {
        qr: String,
    },
    /// Linking by phone number: `code` (`ABCD-EFGH`) is to be typed on the phone.
    AwaitingCode {
        code: String,
    },
    /// Linked (or restoring); WhatsApp Web is connecting and syncing.
    Syncing,
    Ready,
    /// The browser runs but WhatsApp Web does not load (`cause`); it is tried again with backoff.
    Unreachable {
        cause: String,
    },
    /// The browser died; a relaunch is scheduled.
    Restarting,
    /// Linked, but the browser could not be kept alive; the next send tries again.
    Dormant,
    Ended {
        reason: String,
    },
}

#[derive(Debug, Clone)]
pub struct Live {
    pub phase: Phase,
    pub pid: Option<u32>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Sent {
    pub message_id: String,
    pub timestamp: i64,
}

#[derive(Debug, Clone, thiserror::Error)]
pub enum SendError {
    #[error("{0}")]
    NotReady(String),
    #[error("the recipient is not on WhatsApp")]
    NotOnWhatsapp,
    #[error("WhatsApp did not accept the message: {0}")]
    Refused(String),
    #[error("sending failed: {0}")]
    Failed(String),
    #[error("too many messages are waiting to be sent on this connection; retry later")]
    QueueFull,
    /// A part of the message that cannot be sent (a quoted message that does not exist…), with
    /// the page's code, mapped to the API as a page operation's refusal is.
    #[error("{message}")]
    Rejected { code: String, message: String },
}

impl SendError {
    /// A short label for metrics.
    pub fn metric_reason(&self) -> &'static str {
        match self {
            Self::NotReady(_) => "not_ready",
            Self::NotOnWhatsapp => "not_on_whatsapp",
            Self::Refused(_) => "refused",
            Self::Failed(_) => "failed",
            Self::QueueFull => "queue_full",
            Self::Rejected { .. } => "rejected",
        }
    }
}

pub enum Command {
    Send {
        to: ChatId,
        message: OutgoingMessage,
        reply: oneshot::Sender<Result<Sent, SendError>>,
    },
    /// Log out of WhatsApp, close the browser, end with `API_DISCONNECT`.
    Disconnect { reply: oneshot::Sender<()> },
    /// add-number stopped waiting for the first QR code: end with `WA_WEB_UNAVAILABLE` if the
    /// page never loaded, else as `Disconnect` does.
    GiveUp { reply: oneshot::Sender<()> },
    /// Close the browser and stop; the connection stays as it is in the store (gateway shutdown).
    Shutdown { reply: oneshot::Sender<()> },
    /// The page's caller for feature operations, once the connection is ready.
    Page { reply: oneshot::Sender<PageReply> },
}

/// What a page request gets: the running page, or why there is none.
pub type PageReply = Result<Arc<dyn PageCaller>, SendError>;

/// The cheap, cloneable way in to a session.
#[derive(Clone)]
pub struct SessionHandle {
    tx: mpsc::Sender<Command>,
    live: watch::Receiver<Live>,
}

impl SessionHandle {
    pub(super) fn new(tx: mpsc::Sender<Command>, live: watch::Receiver<Live>) -> Self {
        Self { tx, live }
    }

    pub fn live(&self) -> Live {
        self.live.borrow().clone()
    }

    pub fn is_ended(&self) -> bool {
        // A closed channel is an actor that stopped without saying so (a panic): as good as ended,
        // so that the next send or restore starts a new one.
        self.live.has_changed().is_err() || matches!(self.live.borrow().phase, Phase::Ended { .. })
    }

    /// Waits until `pred` holds for the phase, or `limit` passes; returns the last phase seen.
    pub async fn wait_for(&self, limit: Duration, pred: impl Fn(&Phase) -> bool) -> Phase {
        let mut rx = self.live.clone();
        let waited = tokio::time::timeout(limit, rx.wait_for(|l| pred(&l.phase)))
            .await
            .ok()
            .and_then(Result::ok)
            .map(|live| live.phase.clone());
        waited.unwrap_or_else(|| self.live.borrow().phase.clone())
    }

    pub async fn send(&self, to: ChatId, message: OutgoingMessage) -> Result<Sent, SendError> {
        let (reply, rx) = oneshot::channel();
        let ended = || SendError::NotReady("the connection has ended".into());
        self.tx
            .send(Command::Send { to, message, reply })
            .await
            .map_err(|_| ended())?;
        rx.await.map_err(|_| ended())?
    }

    /// The running page, waiting (bounded) while a linked connection gets ready.
    pub async fn page(&self) -> PageReply {
        let (reply, rx) = oneshot::channel();
        let ended = || SendError::NotReady("the connection has ended".into());
        self.tx
            .send(Command::Page { reply })
            .await
            .map_err(|_| ended())?;
        rx.await.map_err(|_| ended())?
    }

    pub async fn disconnect(&self) {
        self.request(|reply| Command::Disconnect { reply }).await
    }

    /// See [`Command::GiveUp`]; the phase says afterwards how the connection ended.
    pub async fn give_up(&self) {
        self.request(|reply| Command::GiveUp { reply }).await
    }

    pub async fn shutdown(&self) {
        self.request(|reply| Command::Shutdown { reply }).await
    }

    async fn request(&self, make: impl FnOnce(oneshot::Sender<()>) -> Command) {
        let (reply, rx) = oneshot::channel();
        if self.tx.send(make(reply)).await.is_ok() {
            let _ = rx.await;
        }
    }

    /// Puts a send in the mailbox and returns once the actor has taken it, so that whatever the
    /// test plays next happens after it; the answer comes on the receiver.
    #[cfg(test)]
    pub(crate) async fn send_taken(
        &self,
        to: ChatId,
        body: String,
    ) -> oneshot::Receiver<Result<Sent, SendError>> {
        let (reply, rx) = oneshot::channel();
        let message = OutgoingMessage::text(body);
        let cmd = Command::Send { to, message, reply };
        assert!(self.tx.send(cmd).await.is_ok(), "the session stopped");
        for _ in 0..10_000 {
            if self.tx.capacity() == self.tx.max_capacity() {
                return rx;
            }
            tokio::task::yield_now().await;
        }
        panic!("the session never took the send");
    }
}
