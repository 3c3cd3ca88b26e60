//! The mimetype and WhatsApp type of a file: from what the client said, checked against what the
//! bytes are (a PDF sent as `image/png` is refused, not sent as a broken image).

use serde::Deserialize;
use utoipa::ToSchema;

use super::MediaError;

/// How to send a file other than by its type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum As {
    /// Any file as a document (with its filename).
    Document,
    /// Audio as a voice note (push-to-talk); ogg/opus plays best on phones.
    Voice,
    /// An image as a sticker (webp; other images are converted in the page).
    Sticker,
    /// An mp4 video shown as a looping gif.
    Gif,
}

impl As {
    pub fn parse(text: &str) -> Result<Self, MediaError> {
        match text {
            "document" => Ok(Self::Document),
            "voice" => Ok(Self::Voice),
            "sticker" => Ok(Self::Sticker),
            "gif" => Ok(Self::Gif),
            other => Err(MediaError::Invalid(format!(
                "`as` must be document, voice, sticker or gif, not {other:?}"
            ))),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Self::Document => "document",
            Self::Voice => "voice",
            Self::Sticker => "sticker",
            Self::Gif => "gif",
        }
    }
}

/// What the page is told to send.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Resolved {
    pub mimetype: String,
    /// WhatsApp's message type: image, video, audio, ptt, document or sticker.
    pub kind: &'static str,
}

fn essence(mimetype: &str) -> String {
    let e = mimetype
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    if e == "image/jpg" {
        "image/jpeg".into()
    } else {
        e
    }
}

fn major(essence: &str) -> &str {
    essence.split('/').next().unwrap_or("")
}

fn is_ogg(essence: &str) -> bool {
    essence.ends_with("/ogg") || essence.ends_with("/opus")
}

/// Whether bytes sniffed as `sniffed` may be sent as `claimed`.
fn compatible(claimed: &str, sniffed: Option<&str>) -> bool {
    let media = matches!(major(claimed), "image" | "video" | "audio");
    match sniffed {
        None => !media,
        Some(s) if is_ogg(s) && is_ogg(claimed) => true,
        Some(s) if media => {
            major(s) == major(claimed) && (major(claimed) != "image" || s == claimed)
        }
        Some(s) => claimed == "application/octet-stream" || major(s) == major(claimed),
    }
}

/// The mimetype (the client's, else sniffed) and the type to send as.
pub fn resolve(
    head: &[u8],
    claimed: Option<&str>,
    how: Option<As>,
) -> Result<Resolved, MediaError> {
    let sniffed = infer::get(head).map(|t| essence(t.mime_type()));
    let mimetype = match claimed.map(str::trim).filter(|m| !m.is_empty()) {
        Some(m) if !m.contains('/') || m.len() > 255 => {
            return Err(MediaError::Invalid(format!(
                "`mimetype` {m:?} is not a type/subtype"
            )));
        }
        Some(m) => m.to_owned(),
        None => sniffed
            .clone()
            .unwrap_or_else(|| "application/octet-stream".into()),
    };
    let claimed = essence(&mimetype);
    if !compatible(&claimed, sniffed.as_deref()) {
        let is = sniffed
            .as_deref()
            .unwrap_or("not a recognisable media format");
        return Err(MediaError::Unsupported(format!(
            "the bytes contradict the mimetype {claimed} (they are {is})"
        )));
    }
    let kind = kind_of(&claimed, sniffed.as_deref(), how)?;
    let mimetype = if kind == "ptt" && is_ogg(&claimed) {
        "audio/ogg; codecs=opus".to_owned()
    } else {
        mimetype
    };
    Ok(Resolved { mimetype, kind })
}

fn kind_of(
    claimed: &str,
    sniffed: Option<&str>,
    how: Option<As>,
) -> Result<&'static str, MediaError> {
    let unsupported = |what: &str| Err(MediaError::Unsupported(what.to_owned()));
    match how {
        Some(As::Document) => Ok("document"),
        Some(As::Voice) if major(claimed) == "audio" || is_ogg(claimed) => Ok("ptt"),
        Some(As::Voice) => unsupported("a voice note must be audio (ogg/opus plays best)"),
        Some(As::Sticker) if sniffed.is_some_and(|s| major(s) == "image") => Ok("sticker"),
        Some(As::Sticker) => unsupported("a sticker must be an image (webp, png, jpeg or gif)"),
        Some(As::Gif) if sniffed == Some("video/mp4") => Ok("video"),
        Some(As::Gif) => unsupported("a gif must be sent as an mp4 video"),
        None => Ok(match major(claimed) {
            "image" => "image",
            "video" => "video",
            "audio" => "audio",
            _ => "document",
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const PNG: &[u8] = b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR";
    const PDF: &[u8] = b"%PDF-1.7\n";

    #[test]
    fn sniffs_when_absent_and_refuses_contradictions() {
        assert_eq!(resolve(PNG, None, None).unwrap().mimetype, "image/png");
        assert_eq!(resolve(PDF, None, None).unwrap().kind, "document");
        assert!(matches!(
            resolve(PDF, Some("image/png"), None),
            Err(MediaError::Unsupported(_))
        ));
        assert!(matches!(
            resolve(b"hello", Some("image/png"), None),
            Err(MediaError::Unsupported(_))
        ));
        assert_eq!(
            resolve(b"hello", Some("text/plain"), None).unwrap().kind,
            "document"
        );
        assert!(matches!(
            resolve(PNG, Some("nonsense"), None),
            Err(MediaError::Invalid(_))
        ));
    }

    #[test]
    fn as_decides_the_type() {
        assert_eq!(
            resolve(PNG, None, Some(As::Sticker)).unwrap().kind,
            "sticker"
        );
        assert!(matches!(
            resolve(PDF, None, Some(As::Sticker)),
            Err(MediaError::Unsupported(_))
        ));
        assert_eq!(
            resolve(PNG, None, Some(As::Document)).unwrap().kind,
            "document"
        );
        let ogg = b"OggS\0\x02\0\0\0\0\0\0\0\0";
        let voice = resolve(ogg, None, Some(As::Voice)).unwrap();
        assert_eq!(
            (voice.kind, voice.mimetype.as_str()),
            ("ptt", "audio/ogg; codecs=opus")
        );
        assert!(As::parse("video").is_err());
    }
}
