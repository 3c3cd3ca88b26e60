//! The session layer: one task per connection owns its browser and state; the manager keeps the
//! registry and is the only way in for HTTP handlers.

mod action_payload;
mod actor;
mod handle;
mod hibernation;
mod ledger;
mod manager;
mod page;
mod payload;
mod profile;
mod send;
mod tracking;

pub use actor::Deps as SessionsDeps;
pub use handle::{Phase, SendError, Sent};
pub use hibernation::scheduler::start as start_hibernation;
pub use hibernation::SleepView;
pub use manager::{LinkCode, ManagerError, SessionManager};
pub use page::PageError;
pub use payload::message as message_payload;
pub use send::{Outgoing, Receipt};
