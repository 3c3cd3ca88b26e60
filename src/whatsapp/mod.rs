//! The WhatsApp Web driver: a real Chromium per connection, driven over CDP through the documented
//! WhatsApp Web surface only.

pub mod action_events;
mod browser;
mod caller;
mod driver;
pub mod events;
pub mod group_notice;
pub mod guard;
mod guarded;
mod load;
mod outgoing;
mod port;
pub mod probe;
pub mod spare;
pub mod sweep;

pub use browser::BrowserProcess;
pub use driver::{ChromiumLauncher, DriverError, LaunchSpec, SendReply, Signal, SignalKind};
pub use events::{ack_name, is_fatal_state, PageEvent, WaMessage};
pub use outgoing::OutgoingMessage;
pub use port::{Driver, Launcher, PageCaller};
pub use probe::{public_url, WaWebProbe};
