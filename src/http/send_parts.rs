//! The parts of `POST /wa/send/{id}` beyond the text: `location`, `contacts`, `poll`, `replyTo`,
//! `mentions` and `linkPreview` — their types, their checks, and the part each gives the page
//! (`page/rich.js`). [`text`] is the one rule for what a send must carry.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::messages::validate_message;
use crate::error::ApiError;
use crate::whatsapp::OutgoingMessage;

/// WhatsApp's poll limits: 2-12 options.
const POLL_OPTIONS: std::ops::RangeInclusive<usize> = 2..=12;
/// Our cap on cards in one send (WhatsApp's share sheet allows a few hundred).
const MAX_CONTACTS: usize = 100;
const MAX_VCARD_BYTES: usize = 65_536;
const MAX_NAME_CHARS: usize = 256;

/// A content part: the message *is* this part (a location, cards, a poll; or media, which other
/// parts add) rather than a text.
#[derive(Debug, Clone, Copy)]
pub struct Content {
    /// The field's name, for errors.
    pub name: &'static str,
    /// Whether `message` may come with it (a caption does; a location does not).
    pub takes_text: bool,
}

/// What a send carries as its text: `message`, required unless one content part carries the
/// message, and then only if that part takes a text. Every rule about `message` lives here.
pub fn text(message: Option<String>, content: &[Content]) -> Result<String, ApiError> {
    if let [first, second, ..] = content {
        let (a, b) = (first.name, second.name);
        return Err(ApiError::invalid(format!("send `{a}` or `{b}`, not both")));
    }
    match (message, content.first()) {
        (None, None) => Err(ApiError::invalid("`message` is required")),
        (None, Some(_)) => Ok(String::new()),
        (Some(_), Some(part)) if !part.takes_text => Err(ApiError::invalid(format!(
            "`message` cannot go with `{}`: WhatsApp sends it as its own message",
            part.name
        ))),
        (Some(text), _) => validate_message(&text).map(|()| text),
    }
}

/// The parts of this module, as `SendRequest` carries them (flattened into its body).
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RichParts {
    /// Sends a location instead of a text (`message` must then be absent).
    location: Option<LocationPart>,
    /// Sends one contact card, or several, instead of a text (`message` must then be absent).
    #[schema(min_items = 1, max_items = 100)]
    contacts: Option<Vec<ContactPart>>,
    /// Sends a poll instead of a text (`message` must then be absent).
    poll: Option<PollPart>,
    /// Quotes this message (an id from a send or an event). `404 NOT_FOUND` if WhatsApp Web does
    /// not know it, `409 CONFLICT` if WhatsApp does not allow replying to it.
    #[schema(
        min_length = 1,
        max_length = 255,
        pattern = r"\S",
        example = "false_923007654321@c.us_3A0123456789ABCDEF"
    )]
    reply_to: Option<String>,
    /// Numbers to mention (digits, international format); each must appear as `@<number>` in
    /// `message`.
    #[schema(max_items = 256)]
    mentions: Option<Vec<String>>,
    /// Shows a preview of the first link in `message` when WhatsApp has one (sent without a preview
    /// otherwise).
    link_preview: Option<bool>,
}

/// A location.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct LocationPart {
    #[schema(minimum = -90, maximum = 90, example = 24.8607)]
    latitude: f64,
    #[schema(minimum = -180, maximum = 180, example = 67.0011)]
    longitude: f64,
    #[schema(max_length = 256, example = "Quaid's Mausoleum")]
    name: Option<String>,
    #[schema(max_length = 256, example = "M.A. Jinnah Rd, Karachi")]
    address: Option<String>,
    /// An `http(s)` link shown with the location.
    #[schema(max_length = 2048, pattern = "^https?://")]
    url: Option<String>,
}

/// One contact card: a name and a number, or a vCard as it is.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ContactPart {
    Card(CardPart),
    Vcard(VcardPart),
}

/// A card made from a name and a number.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CardPart {
    #[schema(min_length = 1, max_length = 256, example = "Bob")]
    name: String,
    /// Digits in international format (`+`, spaces and dashes are ignored).
    #[schema(example = "+92 300 7654321")]
    phone: String,
}

/// A card given as vCard text.
#[derive(Debug, Clone, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VcardPart {
    #[schema(
        max_length = 65536,
        example = "BEGIN:VCARD\nVERSION:3.0\nFN:Bob\nTEL;type=CELL;waid=923007654321:+923007654321\nEND:VCARD"
    )]
    vcard: String,
}

/// A poll.
#[derive(Debug, Clone, Deserialize, Serialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PollPart {
    #[schema(min_length = 1, max_length = 255, example = "Lunch?")]
    name: String,
    /// 2-12 different options.
    #[schema(min_items = 2, max_items = 12, example = json!(["Biryani", "Karahi"]))]
    options: Vec<String>,
    /// Several options may be chosen (one only by default).
    #[serde(default)]
    multiple: bool,
}

impl RichParts {
    /// The content parts present (see [`text`]).
    pub fn content(&self) -> Vec<Content> {
        let present = [
            ("location", self.location.is_some()),
            ("contacts", self.contacts.is_some()),
            ("poll", self.poll.is_some()),
        ];
        present
            .into_iter()
            .filter(|(_, on)| *on)
            .map(|(name, _)| Content {
                name,
                takes_text: false,
            })
            .collect()
    }

    /// Checks every part against the text and adds it to the message for the page.
    pub fn apply(self, mut out: OutgoingMessage) -> Result<OutgoingMessage, ApiError> {
        if let Some(location) = self.location {
            out = out.with("location", checked_location(location)?);
        }
        if let Some(contacts) = self.contacts {
            out = out.with("contacts", vcards(contacts)?);
        }
        if let Some(poll) = self.poll {
            out = out.with("poll", checked_poll(poll)?);
        }
        if let Some(id) = self.reply_to {
            if id.trim().is_empty() || id.len() > 255 {
                return Err(ApiError::invalid("`replyTo` must be a message id"));
            }
            out = out.with("quotedMsgId", id);
        }
        if let Some(numbers) = self.mentions {
            let numbers = mentioned(&numbers, &out.text)?;
            out = out.with("mentions", numbers);
        }
        if self.link_preview == Some(true) {
            if out.text.is_empty() {
                return Err(ApiError::invalid(
                    "`linkPreview` needs a `message` with a link",
                ));
            }
            out = out.with("linkPreview", true);
        }
        Ok(out)
    }
}

fn too_long(text: &Option<String>, max: usize) -> bool {
    text.as_ref().is_some_and(|t| t.chars().count() > max)
}

fn checked_location(l: LocationPart) -> Result<LocationPart, ApiError> {
    let lat_ok = l.latitude.is_finite() && (-90.0..=90.0).contains(&l.latitude);
    let lng_ok = l.longitude.is_finite() && (-180.0..=180.0).contains(&l.longitude);
    if !lat_ok || !lng_ok {
        return Err(ApiError::invalid(
            "`location`: latitude -90..90 and longitude -180..180",
        ));
    }
    if too_long(&l.name, MAX_NAME_CHARS) || too_long(&l.address, MAX_NAME_CHARS) {
        return Err(ApiError::invalid(
            "`location`: name and address at most 256 characters",
        ));
    }
    let url_ok = l.url.as_ref().is_none_or(|u| {
        u.len() <= 2048
            && reqwest::Url::parse(u).is_ok_and(|p| matches!(p.scheme(), "http" | "https"))
    });
    if !url_ok {
        return Err(ApiError::invalid("`location.url` must be an http(s) URL"));
    }
    Ok(l)
}

/// The digits of an international number, or why not.
fn digits(phone: &str, field: &str) -> Result<String, ApiError> {
    let digits: String = phone
        .chars()
        .filter(|c| !matches!(c, '+' | ' ' | '-' | '(' | ')' | '.'))
        .collect();
    let ok = (6..=15).contains(&digits.len())
        && digits.bytes().all(|b| b.is_ascii_digit())
        && !digits.starts_with('0');
    if ok {
        Ok(digits)
    } else {
        Err(ApiError::invalid(format!(
            "`{field}`: {phone:?} is not a phone number in international format"
        )))
    }
}

/// vCard 3.0 text values escape `\`, `,`, `;` and line breaks.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '\\' | ',' | ';' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push_str("\\n"),
            '\r' => {}
            _ => out.push(c),
        }
    }
    out
}

/// The card WhatsApp makes for a contact: its name and its number with the `waid` WhatsApp reads.
fn vcard_of(name: &str, phone: &str) -> String {
    let name = escape(name.trim());
    format!(
        "BEGIN:VCARD\nVERSION:3.0\nN:;{name};;;\nFN:{name}\nTEL;type=CELL;type=VOICE;waid={phone}:+{phone}\nEND:VCARD"
    )
}

fn vcards(contacts: Vec<ContactPart>) -> Result<Vec<String>, ApiError> {
    if contacts.is_empty() || contacts.len() > MAX_CONTACTS {
        return Err(ApiError::invalid(format!(
            "`contacts`: 1-{MAX_CONTACTS} cards"
        )));
    }
    contacts
        .into_iter()
        .map(|c| match c {
            ContactPart::Card(card) => {
                let name_ok =
                    !card.name.trim().is_empty() && card.name.chars().count() <= MAX_NAME_CHARS;
                if !name_ok {
                    return Err(ApiError::invalid("`contacts`: a name of 1-256 characters"));
                }
                Ok(vcard_of(
                    &card.name,
                    &digits(&card.phone, "contacts.phone")?,
                ))
            }
            ContactPart::Vcard(v) => checked_vcard(v.vcard),
        })
        .collect()
}

fn checked_vcard(vcard: String) -> Result<String, ApiError> {
    let trimmed = vcard.trim();
    let framed = trimmed.starts_with("BEGIN:VCARD") && trimmed.ends_with("END:VCARD");
    if !framed || vcard.len() > MAX_VCARD_BYTES {
        return Err(ApiError::invalid(
            "`contacts.vcard`: BEGIN:VCARD … END:VCARD, at most 64 KiB",
        ));
    }
    Ok(trimmed.replace("\r\n", "\n"))
}

fn checked_poll(p: PollPart) -> Result<PollPart, ApiError> {
    let name_ok = !p.name.trim().is_empty() && p.name.chars().count() <= 255;
    let options_ok = p
        .options
        .iter()
        .all(|o| !o.trim().is_empty() && o.chars().count() <= 100);
    let mut unique = p.options.clone();
    unique.sort();
    unique.dedup();
    if !name_ok
        || !POLL_OPTIONS.contains(&p.options.len())
        || !options_ok
        || unique.len() != p.options.len()
    {
        return Err(ApiError::invalid(
            "`poll`: a name (1-255 characters) and 2-12 different options (1-100 characters each)",
        ));
    }
    Ok(p)
}

/// Each mentioned number, as digits, present as `@<number>` in the text.
fn mentioned(numbers: &[String], text: &str) -> Result<Vec<String>, ApiError> {
    if text.is_empty() {
        return Err(ApiError::invalid(
            "`mentions` need a `message` that names them",
        ));
    }
    numbers
        .iter()
        .map(|n| {
            let n = digits(n, "mentions")?;
            if !text.contains(&format!("@{n}")) {
                return Err(ApiError::invalid(format!(
                    "`message` must contain @{n} to mention it"
                )));
            }
            Ok(n)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parts(v: serde_json::Value) -> RichParts {
        serde_json::from_value(v).unwrap()
    }

    #[test]
    fn a_location_is_the_message_itself() {
        let p = parts(json!({"location": {"latitude": 1.5, "longitude": 2.5}}));
        assert_eq!(text(None, &p.content()).unwrap(), "");
        assert!(text(Some("hi".into()), &p.content()).is_err());
        assert!(text(None, &[]).is_err());
        let two = parts(
            json!({"location": {"latitude": 1, "longitude": 2}, "poll": {"name": "a", "options": ["x", "y"]}}),
        );
        assert!(text(None, &two.content()).is_err());
    }

    #[test]
    fn a_card_from_a_name_and_a_number_names_the_whatsapp_id() {
        let p = parts(json!({"contacts": [{"name": "Bob; Jr", "phone": "+92 300 7654321"}]}));
        let out = p.apply(OutgoingMessage::text("")).unwrap();
        let card = out.parts["contacts"][0].as_str().unwrap();
        assert!(card.contains("FN:Bob\\; Jr\n"), "{card}");
        assert!(card.contains("waid=923007654321:+923007654321"), "{card}");
    }

    #[test]
    fn mentions_must_appear_in_the_text() {
        let p = parts(json!({"mentions": ["923007654321"]}));
        assert!(p.apply(OutgoingMessage::text("hi @923007654321")).is_ok());
        let p = parts(json!({"mentions": ["923007654321"]}));
        assert!(p.apply(OutgoingMessage::text("hi")).is_err());
    }

    #[test]
    fn a_poll_takes_two_to_twelve_different_options() {
        for options in [
            json!(["a"]),
            json!(["a", "a"]),
            json!((0..13).map(|i| i.to_string()).collect::<Vec<_>>()),
        ] {
            let p = parts(json!({"poll": {"name": "q", "options": options}}));
            assert!(p.apply(OutgoingMessage::text("")).is_err());
        }
    }
}
