//! Inbound messages beyond text: locations, contact cards, polls, replies and mentions, as the
//! phones send them (`InboundMessage` fields), in the page wire form WhatsApp Web gives them.

use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use crate::error::SimError;
use crate::state::World;
use crate::types::{parse_number, InboundMessage};

/// WhatsApp's limits on poll options.
const POLL_OPTIONS: std::ops::RangeInclusive<usize> = 2..=12;

/// A shared location (`lat`, `lng`, `loc` = name and address on two lines, `clientUrl`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundLocation {
    pub latitude: f64,
    pub longitude: f64,
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub url: Option<String>,
}

/// A poll (`poll_creation`): single choice unless `multiple`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InboundPoll {
    pub name: String,
    pub options: Vec<String>,
    #[serde(default)]
    pub multiple: bool,
}

impl InboundMessage {
    /// A location instead of a text.
    pub fn location(mut self, location: InboundLocation) -> Self {
        self.location = Some(location);
        self
    }

    /// One contact card (`vcard`) or several (`multi_vcard`) instead of a text.
    pub fn vcards(mut self, cards: &[&str]) -> Self {
        self.vcards = cards.iter().map(|c| c.to_string()).collect();
        self
    }

    /// A poll instead of a text.
    pub fn poll(mut self, name: &str, options: &[&str], multiple: bool) -> Self {
        let options = options.iter().map(|o| o.to_string()).collect();
        self.poll = Some(InboundPoll {
            name: name.to_string(),
            options,
            multiple,
        });
        self
    }

    /// Quotes the message with this serialized id (one the account sent or received).
    pub fn reply_to(mut self, message_id: &str) -> Self {
        self.reply_to = Some(message_id.to_string());
        self
    }

    /// Mentions these numbers (`mentionedJidList`); the body should hold `@<number>`.
    pub fn mentions(mut self, numbers: &[&str]) -> Self {
        self.mentions = numbers.iter().map(|n| n.to_string()).collect();
        self
    }
}

/// Whether the message has content other than its body (then the body may be empty).
pub fn carries_content(m: &InboundMessage) -> bool {
    m.location.is_some() || !m.vcards.is_empty() || m.poll.is_some()
}

/// Turns the text message `msg` into what `m` asks for: its kind, its quote, its mentions.
pub fn decorate(
    world: &World,
    to: &str,
    m: &InboundMessage,
    msg: &mut Value,
) -> Result<(), SimError> {
    let kinds = [m.location.is_some(), !m.vcards.is_empty(), m.poll.is_some()];
    if kinds.iter().filter(|k| **k).count() > 1 {
        return Err(bad("send one of location, vcards or poll"));
    }
    if let Some(location) = &m.location {
        merge(msg, location_fields(location)?);
    } else if !m.vcards.is_empty() {
        merge(msg, vcard_fields(&m.vcards)?);
    } else if let Some(poll) = &m.poll {
        merge(msg, poll_fields(poll)?);
    }
    if let Some(id) = &m.reply_to {
        let quoted = find_message(world, to, id)
            .ok_or_else(|| bad(&format!("reply_to: account {to} has no message {id}")))?;
        merge(msg, context_info(&quoted));
    }
    if !m.mentions.is_empty() {
        let wids = m
            .mentions
            .iter()
            .map(|n| parse_number(n).map(|n| format!("{n}@c.us")))
            .collect::<Result<Vec<_>, _>>()?;
        msg["mentionedJidList"] = json!(wids);
    }
    Ok(())
}

fn bad(why: &str) -> SimError {
    SimError::BadRequest(why.to_string())
}

fn merge(msg: &mut Value, fields: Value) {
    if let (Some(target), Value::Object(fields)) = (msg.as_object_mut(), fields) {
        target.extend(fields);
    }
}

fn location_fields(l: &InboundLocation) -> Result<Value, SimError> {
    if !(-90.0..=90.0).contains(&l.latitude) || !(-180.0..=180.0).contains(&l.longitude) {
        return Err(bad("location: latitude -90..90, longitude -180..180"));
    }
    let loc: Vec<&str> = [&l.name, &l.address]
        .into_iter()
        .flatten()
        .map(String::as_str)
        .collect();
    Ok(
        json!({"type": "location", "body": "", "lat": l.latitude, "lng": l.longitude,
              "loc": loc.join("\n"), "clientUrl": l.url}),
    )
}

fn vcard_fields(cards: &[String]) -> Result<Value, SimError> {
    let names = cards
        .iter()
        .map(|c| {
            vcard_name(c).ok_or_else(|| bad("vcards: each card is BEGIN:VCARD … FN:… … END:VCARD"))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if let [card] = cards {
        return Ok(json!({"type": "vcard", "body": card, "vcardFormattedName": names[0]}));
    }
    let list: Vec<Value> = cards
        .iter()
        .zip(&names)
        .map(|(vcard, name)| json!({"vcard": vcard, "displayName": name}))
        .collect();
    Ok(json!({"type": "multi_vcard", "body": null, "vcardList": list}))
}

/// The card's formatted name, if it is a vCard with one.
fn vcard_name(card: &str) -> Option<String> {
    let lines: Vec<&str> = card
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    if lines.first() != Some(&"BEGIN:VCARD") || lines.last() != Some(&"END:VCARD") {
        return None;
    }
    lines
        .iter()
        .find_map(|l| l.strip_prefix("FN:"))
        .map(str::to_string)
}

fn poll_fields(p: &InboundPoll) -> Result<Value, SimError> {
    let mut unique = p.options.clone();
    unique.sort();
    unique.dedup();
    let blank = p.options.iter().any(|o| o.trim().is_empty());
    if p.name.trim().is_empty()
        || !POLL_OPTIONS.contains(&p.options.len())
        || blank
        || unique.len() != p.options.len()
    {
        return Err(bad("poll: a name and 2-12 different options"));
    }
    let options: Vec<Value> = p
        .options
        .iter()
        .enumerate()
        .map(|(i, name)| json!({"name": name, "localId": i}))
        .collect();
    Ok(
        json!({"type": "poll_creation", "kind": "pollCreation", "body": "", "pollName": p.name,
              "pollOptions": options, "pollSelectableOptionsCount": if p.multiple { 0 } else { 1 }}),
    )
}

/// A message the account sent or received, in its wire form.
pub fn find_message(world: &World, number: &str, id: &str) -> Option<Value> {
    let account = world.accounts.get(number)?;
    if let Some(r) = account.received.iter().find(|r| r.id == id) {
        return Some(r.msg["msg"].clone());
    }
    account
        .sent
        .iter()
        .find(|s| s.id == id)
        .map(|s| s.raw.clone())
}

/// What a reply to `quoted` carries (`msgContextInfo`): its data, stanza id and author.
fn context_info(quoted: &Value) -> Value {
    let mut data = serde_json::Map::new();
    for field in [
        "type",
        "body",
        "caption",
        "lat",
        "lng",
        "loc",
        "pollName",
        "pollOptions",
        "vcardFormattedName",
    ] {
        if let Some(v) = quoted.get(field).filter(|v| !v.is_null()) {
            data.insert(field.to_string(), v.clone());
        }
    }
    let author = if quoted["author"].is_null() {
        &quoted["from"]
    } else {
        &quoted["author"]
    };
    json!({"quotedMsg": data, "quotedStanzaID": quoted["id"]["id"],
           "quotedParticipant": crate::outbound::wid_string(author)})
}
