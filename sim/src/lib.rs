//! wa-sim: a local WhatsApp Web simulator.
//!
//! It serves a page that imitates WhatsApp Web's injected-script surface (see
//! `WA_WEB_SURFACE.md`), plays the WhatsApp servers and the phones behind it, and offers a control
//! API under `/__sim/` plus a human "phone" page at `/__sim/phone`.
//!
//! ```no_run
//! # async fn demo() -> Result<(), wa_sim::SimError> {
//! let sim = wa_sim::Simulator::start(wa_sim::SimConfig::fast()).await?;
//! println!("open {}", sim.base_url());
//! sim.shutdown().await;
//! # Ok(()) }
//! ```

mod acts;
mod admin;
mod assets;
mod calls;
mod config;
mod control;
mod core;
mod device_actions;
mod error;
mod fidelity;
mod group_control;
mod group_iq;
mod group_notices;
mod groups;
mod history;
mod http;
mod inbound;
mod media;
mod offline;
mod outbound;
mod page_socket;
mod pairing;
mod people;
mod people_api;
mod phone_actions;
mod qr;
mod queries;
mod rich;
mod rich_control;
mod session;
mod simulator;
mod state;
mod types;

pub use calls::Call;
pub use config::{AckBehaviour, SimConfig, SimTiming};
pub use device_actions::{DeviceAction, MemberReceipt};
pub use error::SimError;
pub use group_control::GroupAction;
pub use media::{InboundMedia, MediaLimits, SentMedia};
pub use people::ContactSeed;
pub use phone_actions::{PhoneAction, EDIT_WINDOW_SECS, REVOKE_WINDOW_SECS};
pub use rich::{InboundLocation, InboundPoll};
pub use session::FORCIBLE_STATES;
pub use simulator::Simulator;
pub use types::{Counters, DeviceInfo, InboundKind, InboundMessage, ScanResult, SentMessage};
