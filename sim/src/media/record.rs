//! Opening what a linked device sent, so that tests compare media byte for byte.

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::Value;

use super::crypto::{b64_sha256, hex_sha256, MediaKeys};
use super::types::SentMedia;
use crate::core::Core;

/// What the phone page shows of a message's media: its type and mimetype (`null` without media).
pub fn phone_view(msg: &Value) -> Value {
    match msg["directPath"].as_str() {
        Some(p) if !p.is_empty() => {
            serde_json::json!({"type": msg["type"], "mimetype": msg["mimetype"], "filename": msg["filename"]})
        }
        _ => Value::Null,
    }
}

impl Core {
    /// The decrypted media of a message the account sent or received, and its mimetype; the
    /// phone holds the keys, so it can show both.
    pub fn phone_media(&self, number: &str, id: &str) -> Result<(String, Vec<u8>), String> {
        let msg = {
            let world = self.world();
            let account = world.accounts.get(number).ok_or("unknown account")?;
            account
                .received
                .iter()
                .find(|r| r.id == id)
                .map(|r| r.msg["msg"].clone())
                .or_else(|| {
                    account
                        .sent
                        .iter()
                        .find(|s| s.id == id)
                        .map(|s| s.raw.clone())
                })
                .ok_or("no such message")?
        };
        let path = msg["directPath"]
            .as_str()
            .filter(|p| !p.is_empty())
            .ok_or("no media")?;
        let plain = self.decrypt_sent(&msg, path)?;
        let mimetype = msg["mimetype"]
            .as_str()
            .unwrap_or("application/octet-stream");
        Ok((mimetype.to_string(), plain))
    }

    /// The media of a sent message (`None` when it has no `directPath`).
    pub fn open_sent_media(&self, msg: &Value) -> Option<SentMedia> {
        let direct_path = msg["directPath"].as_str().filter(|p| !p.is_empty())?;
        let mut media = SentMedia {
            sha256: String::new(),
            size: 0,
            mimetype: msg["mimetype"].as_str().map(str::to_string),
            filename: msg["filename"].as_str().map(str::to_string),
            direct_path: direct_path.to_string(),
            error: None,
        };
        match self.decrypt_sent(msg, direct_path) {
            Ok(plain) => {
                media.sha256 = hex_sha256(&plain);
                media.size = plain.len() as u64;
            }
            Err(e) => media.error = Some(e),
        }
        Some(media)
    }

    fn decrypt_sent(&self, msg: &Value, direct_path: &str) -> Result<Vec<u8>, String> {
        let blob = self
            .media
            .get(direct_path)
            .ok_or_else(|| format!("no blob at {direct_path}"))?;
        let key = msg["mediaKey"]
            .as_str()
            .and_then(|k| STANDARD.decode(k).ok())
            .ok_or("mediaKey missing or not base64")?;
        let kind = msg["type"].as_str().unwrap_or("document");
        let plain = MediaKeys::expand(&key, kind)
            .decrypt(&blob.bytes)
            .map_err(str::to_string)?;
        if msg["encFilehash"].as_str() != Some(b64_sha256(&blob.bytes).as_str()) {
            return Err("encFilehash does not match the blob".into());
        }
        if msg["filehash"].as_str() != Some(b64_sha256(&plain).as_str()) {
            return Err("filehash does not match the plain bytes".into());
        }
        Ok(plain)
    }
}
