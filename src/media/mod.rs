//! Media for sends: files streamed to a temp file under `DATA_DIR` (never held whole in memory),
//! typed by their bytes, and handed to the page in chunks (`media.stage`) instead of one giant
//! CDP evaluate.

pub mod auto;
mod error;
mod file;
pub mod inbound;
mod info;
mod sniff;
mod stage;
pub mod sweeper;

pub use error::MediaError;
pub use file::{from_base64, from_path, MediaFile, Spool};
pub use info::MessageMedia;
pub use sniff::{resolve, As, Resolved};
pub use stage::{release, stage, CHUNK_BYTES};

/// The folder under `DATA_DIR` where media being sent is spooled.
pub fn spool_dir(data_dir: &std::path::Path) -> std::path::PathBuf {
    data_dir.join("media-spool")
}
