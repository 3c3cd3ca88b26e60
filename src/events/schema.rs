//! The events as the API document shows them: one envelope schema per event name, built from
//! [`KINDS`], and [`EventEnvelope`], any one of them.

use utoipa::openapi::schema::{
    Discriminator, KnownFormat, ObjectBuilder, OneOfBuilder, Schema, SchemaFormat, Type,
};
use utoipa::openapi::{Ref, RefOr};
use utoipa::{PartialSchema, ToSchema};

use super::event::{Kind, Schemas, KINDS};

/// The name of an event's envelope schema: `message_ack` -> `MessageAckEnvelope`.
pub fn envelope_name(event: &str) -> String {
    let mut name: String = event.split('_').map(capitalised).collect();
    name.push_str("Envelope");
    name
}

fn capitalised(word: &str) -> String {
    let mut chars = word.chars();
    chars
        .next()
        .map(|first| first.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

/// Every schema the events need: the payloads (with what they refer to) and one envelope per
/// event name.
pub fn schemas() -> Schemas {
    let mut schemas = Vec::new();
    for kind in KINDS {
        let payload = (kind.payload)(&mut schemas);
        schemas.push((envelope_name(kind.name), envelope(kind, &payload).into()));
    }
    schemas
}

/// The envelope of one event, as webhooks, SSE and WebSocket clients receive it.
fn envelope(kind: &Kind, payload: &str) -> Schema {
    let string = || ObjectBuilder::new().schema_type(Type::String);
    let id = string()
        // utoipa knows `uuid` only with its `uuid` feature; the format is the standard one.
        .format(Some(SchemaFormat::Custom("uuid".to_owned())))
        .description(Some(
            "UUIDv7: unique, the same on every retry, ordered by time",
        ));
    let name = string().enum_values(Some([kind.name]));
    let timestamp = string()
        .format(Some(SchemaFormat::KnownFormat(KnownFormat::DateTime)))
        .description(Some("When the event happened"));
    ObjectBuilder::new()
        .description(Some(summary(kind)))
        .property("id", id)
        .property("event", name)
        .property("connectionId", string())
        .property("timestamp", timestamp)
        .property("data", Ref::from_schema_name(payload))
        .required("id")
        .required("event")
        .required("connectionId")
        .required("timestamp")
        .required("data")
        .into()
}

/// An event's doc comment on one line.
pub fn summary(kind: &Kind) -> String {
    let lines: Vec<&str> = kind.doc.lines().map(str::trim).collect();
    lines.join(" ").trim().to_owned()
}

/// Any one event's envelope, told apart by `event` (documents the live streams' messages).
pub struct EventEnvelope;

impl PartialSchema for EventEnvelope {
    fn schema() -> RefOr<Schema> {
        let names = KINDS.iter().map(|k| envelope_name(k.name));
        let mapping = KINDS.iter().map(|k| {
            (
                k.name,
                format!("#/components/schemas/{}", envelope_name(k.name)),
            )
        });
        let mut one_of = OneOfBuilder::new()
            .description(Some("One event's envelope; `event` tells which"))
            .discriminator(Some(Discriminator::with_mapping("event", mapping)));
        for name in names {
            one_of = one_of.item(Ref::from_schema_name(name));
        }
        one_of.into()
    }
}

impl ToSchema for EventEnvelope {
    fn schemas(schemas: &mut Schemas) {
        schemas.extend(self::schemas());
    }
}
