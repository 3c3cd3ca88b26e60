//! What the document says about events beyond the routes: OpenAPI 3.1's top-level `webhooks`
//! (one entry per event: the POST a webhook receives) and the items of the SSE stream.

use serde_json::{json, Map, Value};
use utoipa::openapi::path::{OperationBuilder, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBodyBuilder;
use utoipa::openapi::{ContentBuilder, HttpMethod, ObjectBuilder, OpenApi as Document, PathItem};
use utoipa::openapi::{Ref, RefOr, Required, ResponseBuilder, ResponsesBuilder, Type};
use utoipa::{Modify, PartialSchema, ToSchema};

use crate::events::event::{Kind, KINDS};
use crate::events::schema::{self, envelope_name, EventEnvelope};

/// The SSE route, whose stream items are described here.
const SSE_PATH: &str = "/wa/events";

const DELIVERY: &str = "Sent to each webhook that takes this event (the connection's own and \
    the global `WEBHOOK_URL`), one at a time and in order per connection. Answer 2xx once you have it; 429 and 5xx \
    (and network errors) are retried with backoff, honouring `Retry-After`; any other 4xx \
    keeps the delivery as a dead letter.";

/// Adds the events' schemas, the `webhooks` and the SSE items; changes nothing already there.
pub(super) struct EventDocs;

impl Modify for EventDocs {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        let union = (EventEnvelope::name().into_owned(), EventEnvelope::schema());
        for (name, schema) in schema::schemas().into_iter().chain([union]) {
            components.schemas.entry(name).or_insert(schema);
        }
        let webhooks: Map<String, Value> = KINDS
            .iter()
            .map(|kind| (kind.name.to_owned(), to_json(&webhook(kind))))
            .collect();
        // utoipa 5 has no `webhooks` field; its extensions are written at the top level.
        doc.extensions
            .get_or_insert_with(Default::default)
            .insert("webhooks".to_owned(), Value::Object(webhooks));
        describe_sse_items(doc);
    }
}

fn to_json(item: &PathItem) -> Value {
    serde_json::to_value(item).expect("an OpenAPI path item is JSON")
}

/// The request a webhook receives for one event.
fn webhook(kind: &Kind) -> PathItem {
    let envelope = ContentBuilder::new()
        .schema(Some(Ref::from_schema_name(envelope_name(kind.name))))
        .build();
    let body = RequestBodyBuilder::new()
        .required(Some(Required::True))
        .content("application/json", envelope)
        .build();
    let operation = OperationBuilder::new()
        .tag("webhooks")
        .summary(Some(schema::summary(kind)))
        .description(Some(DELIVERY))
        .parameters(Some(delivery_headers(kind)))
        .request_body(Some(body))
        .responses(delivery_answers())
        // A receiver checks the signature; it is not called with an API key.
        .securities(Some(Vec::new()));
    PathItem::new(HttpMethod::Post, operation)
}

fn delivery_headers(kind: &Kind) -> Vec<utoipa::openapi::path::Parameter> {
    let string = || ObjectBuilder::new().schema_type(Type::String);
    let header = |name: &str, required, description: &str| {
        ParameterBuilder::new()
            .name(name)
            .parameter_in(ParameterIn::Header)
            .required(required)
            .description(Some(description))
            .schema(Some(string()))
            .build()
    };
    let mut event = header("X-Webhook-Event", Required::True, "The event name");
    event.schema = Some(string().enum_values(Some([kind.name])).into());
    vec![
        header(
            "X-Webhook-Id",
            Required::True,
            "The event id, the same on every retry: use it to drop duplicates",
        ),
        event,
        header(
            "X-Webhook-Timestamp",
            Required::True,
            "When this attempt was sent, in Unix seconds",
        ),
        header(
            "X-Hub-Signature-256",
            Required::False,
            "`sha256=<hex HMAC-SHA256 of the raw body>` keyed with the webhook's secret; \
             only when it has one",
        ),
    ]
}

fn delivery_answers() -> utoipa::openapi::Responses {
    let answer = |description: &str| ResponseBuilder::new().description(description).build();
    ResponsesBuilder::new()
        .response("2XX", answer("Delivered"))
        .response("429", answer("Retried later, after `Retry-After` if given"))
        .response(
            "4XX",
            answer("Refused: kept as a dead letter until replayed"),
        )
        .response("5XX", answer("Retried with exponential backoff"))
        .build()
}

/// Each SSE event, in the form OpenAPI 3.2 names `itemSchema` (3.1 has no place for it, hence
/// the `x-`): its `data` is one envelope as JSON.
fn describe_sse_items(doc: &mut Document) {
    let Some(op) = doc
        .paths
        .paths
        .get_mut(SSE_PATH)
        .and_then(|i| i.get.as_mut())
    else {
        return;
    };
    let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200") else {
        return;
    };
    let Some(stream) = ok.content.get_mut("text/event-stream") else {
        return;
    };
    let union = format!("#/components/schemas/{}", EventEnvelope::name());
    let item = json!({
        "type": "object",
        "required": ["id", "event", "data"],
        "properties": {
            "id": {"type": "string", "description": "The envelope's id"},
            "event": {"type": "string", "description": "The event name"},
            "data": {
                "type": "string",
                "contentMediaType": "application/json",
                "contentSchema": {"$ref": union},
            },
        },
    });
    stream
        .extensions
        .get_or_insert_with(Default::default)
        .insert("x-itemSchema".to_owned(), item);
}
