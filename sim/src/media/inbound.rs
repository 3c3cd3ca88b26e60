//! Inbound media: a phone encrypts its media, uploads it to the CDN and sends the message that
//! points at it; the receiving page downloads and decrypts it itself.

use std::sync::Arc;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use serde_json::{json, Map, Value};

use super::crypto::{b64_sha256, hex_sha256, MediaKeys};
use super::types::InboundMedia;
use crate::core::{now_secs, Core};
use crate::error::SimError;
use crate::types::InboundMessage;

const KINDS: &[&str] = &["image", "video", "audio", "ptt", "document", "sticker"];

impl Core {
    /// Uploads the media as the sender's phone would and delivers the message; answers its id,
    /// `directPath` and the plain bytes' hex SHA-256.
    pub fn send_inbound_media(self: &Arc<Self>, m: InboundMedia) -> Result<Value, SimError> {
        if !KINDS.contains(&m.kind.as_str()) {
            return Err(SimError::BadRequest(format!(
                "kind must be one of {KINDS:?}, not {:?}",
                m.kind
            )));
        }
        let plain = STANDARD
            .decode(m.data.as_bytes())
            .map_err(|e| SimError::BadRequest(format!("data is not base64: {e}")))?;
        if plain.is_empty() {
            return Err(SimError::BadRequest("data must not be empty".into()));
        }
        let media_key: [u8; 32] = rand::random();
        let blob = MediaKeys::expand(&media_key, &m.kind).encrypt(&plain);
        let enc_filehash = b64_sha256(&blob);
        let direct_path = self.media.put(blob);
        let fields = media_fields(&m, &plain, &media_key, &direct_path, &enc_filehash);
        let mut frame = Map::new();
        if let Some(stage) = &m.stage {
            frame.insert("mediaStage".into(), json!(stage));
        }
        let mut text = InboundMessage::text(&m.to, &m.from, "media");
        text.group = m.group.clone();
        text.push_name = m.push_name.clone();
        let id = self.send_inbound_with(text, fields, frame)?;
        Ok(json!({"id": id, "directPath": direct_path, "sha256": hex_sha256(&plain)}))
    }
}

/// The fields a received media message carries (WA_WEB_FEATURES.md §2).
fn media_fields(
    m: &InboundMedia,
    plain: &[u8],
    key: &[u8],
    direct_path: &str,
    enc_filehash: &str,
) -> Map<String, Value> {
    let mut f = json!({
        "type": m.kind, "mimetype": m.mimetype, "size": plain.len(),
        // The body of a media message is its preview; the simulator sends no thumbnail.
        "body": "", "caption": m.caption,
        "directPath": direct_path, "mediaKey": STANDARD.encode(key),
        "mediaKeyTimestamp": now_secs(), "filehash": b64_sha256(plain), "encFilehash": enc_filehash,
        "isViewOnce": m.view_once,
    });
    let extras = [
        ("filename", m.filename.as_ref().map(|v| json!(v))),
        ("duration", m.duration.map(|v| json!(v))),
        ("width", m.width.map(|v| json!(v))),
        ("height", m.height.map(|v| json!(v))),
    ];
    for (name, value) in extras {
        if let Some(v) = value {
            f[name] = v;
        }
    }
    if m.kind == "video" && m.mimetype == "image/gif" {
        f["isGif"] = json!(true);
    }
    match f {
        Value::Object(map) => map,
        _ => Map::new(),
    }
}
