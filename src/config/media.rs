//! Media settings: how large a file a send may carry, how long inbound media is kept.

use std::time::Duration;

use super::parse::{Env, FromSetting};
use super::table as t;
use super::table::Setting;
use super::ConfigError;

#[derive(Debug, Clone)]
pub struct MediaSettings {
    /// Largest media file a send accepts (checked while it streams in).
    pub max_bytes: u64,
    /// How long stored inbound media is kept (`MEDIA_RETENTION`).
    pub retention: Duration,
    /// What is fetched on arrival (`MEDIA_AUTO_DOWNLOAD`).
    pub auto_download: AutoDownload,
}

impl MediaSettings {
    pub(super) fn read(env: &Env) -> Result<Self, ConfigError> {
        Ok(Self {
            max_bytes: env.get(&t::MEDIA_MAX_BYTES)? as u64,
            retention: env.get(&t::MEDIA_RETENTION)?,
            auto_download: env.get(&t::MEDIA_AUTO_DOWNLOAD)?,
        })
    }
}

/// `MEDIA_AUTO_DOWNLOAD`: which inbound media is fetched and stored as soon as it arrives (the
/// rest on its first `GET /wa/messages/{id}/media`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum AutoDownload {
    All,
    None,
    /// Message types, as in the `message` event's `type` (`image`, `ptt`, …).
    Kinds(Vec<String>),
}

/// The message types that carry media.
const MEDIA_KINDS: &[&str] = &["image", "video", "audio", "ptt", "sticker", "document"];

impl AutoDownload {
    pub fn wants(&self, kind: &str) -> bool {
        match self {
            Self::All => true,
            Self::None => false,
            Self::Kinds(kinds) => kinds.iter().any(|k| k == kind),
        }
    }
}

impl FromSetting for AutoDownload {
    fn from_setting(raw: &str, _: &Setting) -> Result<Self, String> {
        match raw {
            "all" => return Ok(Self::All),
            "none" => return Ok(Self::None),
            _ => {}
        }
        let kinds: Vec<String> = raw
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect();
        match kinds.iter().find(|k| !MEDIA_KINDS.contains(&k.as_str())) {
            Some(bad) => Err(format!(
                "`{bad}` is not a media type (all, none, or a list of {})",
                MEDIA_KINDS.join(", ")
            )),
            None => Ok(Self::Kinds(kinds)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::table as t;

    #[test]
    fn auto_download_reads_all_none_and_type_lists() {
        let s = &t::MEDIA_AUTO_DOWNLOAD.setting;
        assert_eq!(AutoDownload::from_setting("all", s), Ok(AutoDownload::All));
        assert_eq!(
            AutoDownload::from_setting("none", s),
            Ok(AutoDownload::None)
        );
        let some = AutoDownload::from_setting("image, ptt", s).unwrap();
        assert!(some.wants("image") && some.wants("ptt") && !some.wants("video"));
        assert!(AutoDownload::from_setting("image,gif", s).is_err());
    }
}
