//! Every event is documented where consumers look: in `/openapi.json` (a `webhooks` entry whose
//! body is that event's envelope, the same envelopes the live streams name) and in the README.

use std::collections::BTreeSet;

use serde_json::Value;
use wa_gateway::events::EVENT_NAMES;
use wa_gateway::http::openapi;

fn document() -> Value {
    serde_json::to_value(openapi::document()).expect("the document is JSON")
}

/// The component a `{"$ref": "#/components/schemas/Name"}` points at.
fn resolve<'a>(doc: &'a Value, reference: &Value) -> &'a Value {
    let location = reference["$ref"].as_str().expect("a $ref");
    let name = location
        .strip_prefix("#/components/schemas/")
        .expect("a schema ref");
    let schema = &doc["components"]["schemas"][name];
    assert!(schema.is_object(), "{location} is in the document");
    schema
}

fn names() -> BTreeSet<String> {
    EVENT_NAMES.iter().map(|n| n.to_string()).collect()
}

#[test]
fn every_event_is_a_webhook_whose_body_is_its_envelope() {
    let doc = document();
    let webhooks = doc["webhooks"].as_object().expect("a webhooks section");
    assert_eq!(webhooks.keys().cloned().collect::<BTreeSet<_>>(), names());
    for (name, item) in webhooks {
        let body = &item["post"]["requestBody"];
        assert_eq!(body["required"], true, "{name}");
        let envelope = resolve(&doc, &body["content"]["application/json"]["schema"]);
        assert_eq!(
            envelope["properties"]["event"]["enum"],
            serde_json::json!([name])
        );
        let data = resolve(&doc, &envelope["properties"]["data"]);
        assert_eq!(data["type"], "object", "{name}'s data");
        let fields = data["properties"].as_object().map(|p| p.len()).unwrap_or(0);
        let present = data["required"].as_array().map(|r| r.len()).unwrap_or(0);
        assert_eq!(
            present, fields,
            "{name}: every data field is always written"
        );
        let required = envelope["required"].as_array().unwrap();
        for field in ["id", "event", "connectionId", "timestamp", "data"] {
            assert!(required.contains(&field.into()), "{name}: {field}");
        }
        let headers = item["post"]["parameters"].as_array().unwrap();
        assert!(headers.iter().any(|h| h["name"] == "X-Hub-Signature-256"));
    }
}

#[test]
fn the_live_streams_name_the_same_envelopes_as_the_webhooks() {
    let doc = document();
    let ws = &doc["paths"]["/wa/ws"]["get"]["responses"]["101"]["content"]["application/json"];
    let union = resolve(&doc, &ws["schema"]);
    let sse = &doc["paths"]["/wa/events"]["get"]["responses"]["200"]["content"];
    let item = &sse["text/event-stream"]["x-itemSchema"]["properties"]["data"];
    assert_eq!(item["contentMediaType"], "application/json");
    assert_eq!(
        item["contentSchema"], ws["schema"],
        "SSE and WS name one union"
    );
    let members: BTreeSet<&str> = union["oneOf"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["$ref"].as_str().unwrap())
        .collect();
    let hooks = doc["webhooks"].as_object().unwrap().values();
    let bodies: BTreeSet<&str> = hooks
        .map(|h| &h["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"])
        .map(|r| r.as_str().unwrap())
        .collect();
    assert_eq!(members, bodies);
    let mapping = union["discriminator"]["mapping"].as_object().unwrap();
    assert_eq!(mapping.keys().cloned().collect::<BTreeSet<_>>(), names());
}

#[test]
fn the_readme_lists_every_event_once() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("Events"))
        .expect("an Events section");
    let rows: Vec<&str> = section
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| l.split_once("` |").map(|(name, _)| name))
        .collect();
    let listed: BTreeSet<String> = rows.iter().map(|n| n.to_string()).collect();
    assert_eq!(listed.len(), rows.len(), "an event listed twice: {rows:?}");
    assert_eq!(listed, names());
}
