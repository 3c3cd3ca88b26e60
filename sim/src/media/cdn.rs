//! The media servers: the upload server and the CDN holding encrypted blobs by `directPath`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde::{Deserialize, Serialize};

/// Upload size limits (WA_WEB_FEATURES.md §1 proposes 16 MiB media, 100 MiB documents).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct MediaLimits {
    /// Images, video, audio, voice notes and stickers.
    pub media_bytes: u64,
    /// Documents.
    pub document_bytes: u64,
}

impl Default for MediaLimits {
    fn default() -> Self {
        MediaLimits {
            media_bytes: 16 * 1024 * 1024,
            document_bytes: 100 * 1024 * 1024,
        }
    }
}

impl MediaLimits {
    /// The limit for an upload of the `mms` type (`image`, `document`, ...).
    pub fn for_kind(&self, kind: &str) -> u64 {
        if kind == "document" {
            self.document_bytes
        } else {
            self.media_bytes
        }
    }
}

/// One encrypted blob, as uploaded.
#[derive(Clone)]
pub struct Blob {
    pub bytes: Arc<Vec<u8>>,
}

/// The blobs by `directPath`; expired ones are gone (the CDN answers 404).
#[derive(Default)]
pub struct Cdn {
    blobs: Mutex<HashMap<String, Blob>>,
    limits: Mutex<MediaLimits>,
}

impl Cdn {
    fn blobs(&self) -> MutexGuard<'_, HashMap<String, Blob>> {
        self.blobs.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn limits(&self) -> MediaLimits {
        *self.limits.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn set_limits(&self, limits: MediaLimits) {
        *self.limits.lock().unwrap_or_else(|e| e.into_inner()) = limits;
    }

    /// Stores a blob under a fresh `directPath` and returns the path.
    pub fn put(&self, bytes: Vec<u8>) -> String {
        let path = format!(
            "/v/t62.7118-24/{}_{}_n.enc",
            rand::random_range(10_000_000u64..99_999_999),
            crate::core::random_hex(24).to_lowercase()
        );
        let blob = Blob {
            bytes: Arc::new(bytes),
        };
        self.blobs().insert(path.clone(), blob);
        path
    }

    pub fn get(&self, direct_path: &str) -> Option<Blob> {
        self.blobs().get(strip_query(direct_path)).cloned()
    }

    /// The media expired on the CDN: later downloads get 404. False when it was not there.
    pub fn expire(&self, direct_path: &str) -> bool {
        self.blobs().remove(strip_query(direct_path)).is_some()
    }
}

/// A `directPath` may carry `?ccb=…&oh=…`; the blob is keyed by the path alone.
pub fn strip_query(path: &str) -> &str {
    path.split('?').next().unwrap_or(path)
}
