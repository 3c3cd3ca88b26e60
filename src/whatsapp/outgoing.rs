//! What a send asks the page to send: a text (or a caption) and the parts features add to it.

use serde::Serialize;
use serde_json::{Map, Value};

/// A message to send, as the JSON that `page/sending.js` builds WhatsApp's message from:
/// `{"text": …}` plus one member per part (`media`, `location`, `quotedMsgId`, …), each read by
/// the driver file of its feature (`sendParts` in `page/prelude.js`).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct OutgoingMessage {
    pub text: String,
    #[serde(flatten)]
    pub parts: Map<String, Value>,
}

impl OutgoingMessage {
    pub fn text(text: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            parts: Map::new(),
        }
    }

    /// Adds the part `name`.
    pub fn with(mut self, name: &str, part: impl Serialize) -> Self {
        let value = serde_json::to_value(part).expect("message parts serialize");
        self.parts.insert(name.to_owned(), value);
        self
    }
}
