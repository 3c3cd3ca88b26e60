//! The session layer: one task per connection owns its browser and state; the manager keeps the
//! registry and is the only way in for HTTP handlers.

mod manager;
mod payload;
mod actor;

pub use manager::{ManagerError, SessionManager};
pub use actor::{Deps as SessionsDeps, Phase, SendError, Sent};
