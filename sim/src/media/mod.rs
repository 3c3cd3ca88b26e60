//! Media the way WhatsApp moves it: the page encrypts and uploads, the CDN keeps the blob by
//! `directPath`, the receiving page downloads and decrypts. The servers only ever see blobs,
//! except when the simulator opens one to record what a linked device sent (for tests).

pub mod cdn;
pub mod crypto;
pub mod files;
mod inbound;
mod record;
mod routes;
mod types;

pub use cdn::{Cdn, MediaLimits};
pub use record::phone_view;
pub use routes::routes;
pub use types::{InboundMedia, SentMedia};
