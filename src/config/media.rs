//! Media settings: how large a file a send may carry.

use super::parse::Env;
use super::table as t;
use super::ConfigError;

#[derive(Debug, Clone)]
pub struct MediaSettings {
    /// Largest media file a send accepts (checked while it streams in).
    pub max_bytes: u64,
}

impl MediaSettings {
    pub(super) fn read(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            max_bytes: env.get(&t::MEDIA_MAX_BYTES)? as u64,
        })
    }
}
