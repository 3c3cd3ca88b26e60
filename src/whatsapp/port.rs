//! The seam between a session and its browser: the session drives a [`Driver`] that a
//! [`Launcher`] started, so its rules can be tested against a scripted fake in milliseconds
//! while production launches Chromium ([`super::ChromiumLauncher`]).

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use serde_json::Value;
use tokio::sync::mpsc;

#[cfg(doc)]
use super::driver::SignalKind;
use super::driver::{DriverError, LaunchSpec, SendReply, Signal};
use super::OutgoingMessage;

/// One running WhatsApp Web page. Page events arrive on the signal channel given at launch.
#[async_trait]
pub trait Driver: Send + Sync {
    /// The browser's process id, when there is a process.
    fn pid(&self) -> Option<u32>;

    /// A way to run feature operations in this page from outside the session's actor.
    fn caller(&self) -> Arc<dyn PageCaller>;

    /// Sends a message through WhatsApp Web; `to` is a serialized chat id.
    async fn send(&self, to: &str, message: &OutgoingMessage) -> Result<SendReply, DriverError>;

    /// Asks WhatsApp for a pairing code that links `phone` (digits) without a QR, and returns it
    /// as the page got it (8 characters). Later codes arrive as [`super::PageEvent::PairingCode`].
    async fn request_pairing_code(&self, phone: &str) -> Result<String, DriverError>;

    /// Logs the linked device out of WhatsApp (the phone sees it disappear).
    async fn logout(&self) -> Result<(), DriverError>;

    /// Loads WhatsApp Web in the page (again) and returns at once: how it went arrives as a
    /// [`SignalKind::Loaded`] or [`SignalKind::LoadFailed`] signal, or [`SignalKind::BrowserGone`]
    /// if the browser died meanwhile.
    fn open(&self);

    /// Reloads the page (after a renderer crash, or when WhatsApp Web did not boot).
    async fn reload(&self) -> Result<(), DriverError>;

    /// Closes the browser and waits for it; no process outlives this call.
    async fn close(self: Box<Self>);
}

/// Runs the driver's feature operations (`page/*.js` `defineOps`) in a running page. Cheap to
/// hold and independent of the session's mailbox, so that a long operation (an upload) never
/// holds up the session's other work; once the browser is gone every call fails.
#[async_trait]
pub trait PageCaller: Send + Sync {
    /// Runs operation `op` with JSON `args` within `limit`: its JSON value, or
    /// [`DriverError::Refused`] with the page's code, or [`DriverError::NotReady`] before sync.
    async fn call(&self, op: &str, args: Value, limit: Duration) -> Result<Value, DriverError>;
}

/// Starts a connection's browser: the factory a session holds.
#[async_trait]
pub trait Launcher: Send + Sync {
    /// Starts a browser on `spec` whose signals carry `generation`, so that a late signal from a
    /// replaced browser is recognised and ignored. The page is blank until [`Driver::open`].
    async fn start(
        &self,
        spec: &LaunchSpec,
        generation: u64,
        signals: mpsc::Sender<Signal>,
    ) -> Result<Box<dyn Driver>, DriverError>;

    /// A connection id whose browser is already running (a warm spare, launched on that id's
    /// profile), taken for a new connection; `None` when no spare is ready.
    fn take_spare(&self) -> Option<String> {
        None
    }

    /// Returns a spare taken for a connection that was not created after all.
    fn give_back(&self, _id: &str) {}

    /// Closes what the launcher holds besides the sessions' browsers (the spares), and waits.
    async fn shutdown(&self) {}
}
