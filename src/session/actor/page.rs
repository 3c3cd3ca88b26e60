//! Page requests: a feature operation (a group change, a history page, a download) gets the
//! page's caller once the connection is ready. A linked connection that is not ready yet is
//! revived and the request waits for it, as a send does, until `SEND_READY_TIMEOUT_SECS`.

use std::sync::Arc;

use tokio::sync::oneshot;
use tokio::time::Instant;

use super::state::State;
use super::Session;
use crate::session::handle::{PageReply, SendError};
use crate::whatsapp::PageCaller;

pub(super) struct PendingPage {
    reply: oneshot::Sender<PageReply>,
    deadline: Instant,
}

impl Session {
    pub(super) fn on_page(&mut self, reply: oneshot::Sender<PageReply>) {
        if !self.state.is_linked() {
            let why = "WhatsApp is not linked yet: scan the QR code first";
            let _ = reply.send(Err(SendError::NotReady(why.into())));
            return;
        }
        if let Some(caller) = self.ready_caller() {
            let _ = reply.send(Ok(caller));
            return;
        }
        self.revive();
        let deadline = Instant::now() + self.deps.config.send_ready_timeout;
        self.pages.push(PendingPage { reply, deadline });
    }

    /// Hands the page to every request that waited for the connection to be ready.
    pub(super) fn answer_pages(&mut self) {
        let Some(caller) = self.ready_caller() else {
            return;
        };
        for p in self.pages.drain(..) {
            let _ = p.reply.send(Ok(caller.clone()));
        }
    }

    pub(super) fn page_deadline(&self) -> Option<Instant> {
        self.pages.iter().map(|p| p.deadline).min()
    }

    pub(super) fn expire_pages(&mut self, now: Instant, why: &str) {
        let (expired, kept) = self.pages.drain(..).partition(|p| p.deadline <= now);
        self.pages = kept;
        for p in expired {
            let _ = p.reply.send(Err(SendError::NotReady(why.to_owned())));
        }
    }

    fn ready_caller(&self) -> Option<Arc<dyn PageCaller>> {
        match &self.state {
            State::Ready { browser, .. } => Some(browser.caller()),
            _ => None,
        }
    }
}
