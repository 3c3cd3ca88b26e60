//! The OpenAPI 3.1 document, generated from the routes declared in [`super::routes`] (each
//! handler's `#[utoipa::path]`) and served at `GET /openapi.json`; Swagger UI, bundled into the
//! binary, at `GET /docs`.

mod event_docs;

use std::sync::LazyLock;

use axum::Json;
use utoipa::openapi::header::HeaderBuilder;
use utoipa::openapi::path::Operation;
use utoipa::openapi::response::{Response, ResponseBuilder};
use utoipa::openapi::schema::{ObjectBuilder, Schema, SchemaType, Type};
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder};
use utoipa::openapi::security::{SecurityRequirement, SecurityScheme};
use utoipa::openapi::{ContentBuilder, OpenApi as Document, Ref, RefOr};
use utoipa::{Modify, OpenApi};
use utoipa_swagger_ui::SwaggerUi;

use self::event_docs::EventDocs;
use super::routes;
use crate::error::ErrorBody;

#[derive(OpenApi)]
#[openapi(
    info(
        title = "wa-gateway",
        description = "A self-hosted, multi-session WhatsApp REST gateway. Every error is \
            `{\"success\":false,\"error\":{\"code\",\"message\"}}`; see the README for the \
            events' envelopes.",
    ),
    components(schemas(ErrorBody)),
    modifiers(&Security),
    tags(
        (name = "connections", description = "Link WhatsApp numbers by QR and manage them"),
        (name = "messages", description = "Send messages and follow their delivery"),
        (name = "groups", description = "WhatsApp groups: create, read, change, members, invites, join requests"),
        (name = "numbers", description = "Which numbers are on WhatsApp"),
        (name = "chats", description = "Chats, their history from the phone, archive / pin"),
        (name = "contacts", description = "Contacts and the block list"),
        (name = "profile", description = "The linked account's own profile"),
        (name = "message actions", description = "React to, edit, delete and vote on messages; their receipts"),
        (name = "chat actions", description = "Mark chats read, show typing, set presence"),
        (name = "webhooks", description = "Per-connection webhooks and the delivery log"),
        (name = "events", description = "Live event streams (SSE, WebSocket)"),
        (name = "keys", description = "API keys (admin only)"),
        (name = "health", description = "Probes"),
    ),
)]
pub struct ApiDoc;

static DOCUMENT: LazyLock<Document> = LazyLock::new(document);

/// The whole document: this file's frame (info, tags, security schemes, shared responses)
/// around the declared routes, then the events (they annotate the stream routes, so they come
/// last).
pub fn document() -> Document {
    let mut doc = ApiDoc::openapi();
    doc.merge(routes::api(std::convert::identity).into_openapi());
    EventDocs.modify(&mut doc);
    doc
}

/// This document.
#[utoipa::path(
    get, path = "/openapi.json", tag = "health",
    responses((status = 200, description = "The OpenAPI 3.1 document", content_type = "application/json"))
)]
pub async fn openapi_json() -> Json<&'static Document> {
    Json(&DOCUMENT)
}

/// Swagger UI at `/docs`, reading `/openapi.json`; its assets are compiled in.
pub fn docs<S: Clone + Send + Sync + 'static>() -> axum::Router<S> {
    SwaggerUi::new("/docs")
        .config(utoipa_swagger_ui::Config::from("/openapi.json"))
        .into()
}

/// Declares the API-key schemes, requires one of them by default, and the responses every
/// protected route can give (401, 403, 429) and every route can (500); see [`describe_operation`].
struct Security;

impl Modify for Security {
    fn modify(&self, doc: &mut Document) {
        let components = doc.components.get_or_insert_with(Default::default);
        let header = ApiKey::Header(ApiKeyValue::with_description(
            "X-Api-Key",
            "An API key created with `POST /wa/keys` (or the `API_KEY` of the environment)",
        ));
        components.add_security_scheme("apiKey", SecurityScheme::ApiKey(header));
        let bearer = HttpBuilder::new()
            .scheme(HttpAuthScheme::Bearer)
            .description(Some("The same API key as `Authorization: Bearer <key>`"))
            .build();
        components.add_security_scheme("bearer", SecurityScheme::Http(bearer));
        for (name, response) in shared_responses() {
            components
                .responses
                .insert(name.to_owned(), response.into());
        }
        let none: [&str; 0] = [];
        doc.security = Some(vec![
            SecurityRequirement::new("apiKey", none),
            SecurityRequirement::new("bearer", none),
        ]);
    }
}

/// What every operation says besides its own `#[utoipa::path]`: whether it needs a key (a public
/// one needs none), the shared responses, and its optional body as what it is when sent.
pub(super) fn describe_operation(op: &mut Operation, public: bool) {
    add_shared_responses(op, public);
    optional_body(op);
}

/// utoipa writes an optional body (`Option<T>`) as `oneOf: [null, T]`, which would allow a JSON
/// `null`. An optional body may be absent (`required` stays unset) but, when sent, is a `T`.
fn optional_body(op: &mut Operation) {
    let Some(body) = op.request_body.as_mut() else {
        return;
    };
    for content in body.content.values_mut() {
        if let Some(RefOr::T(Schema::OneOf(one_of))) = &content.schema {
            let mut rest = one_of.items.iter().filter(|s| !is_null(s));
            if let (Some(only), None) = (rest.next(), rest.next()) {
                content.schema = Some(only.clone());
            }
        }
    }
}

fn is_null(schema: &RefOr<Schema>) -> bool {
    matches!(schema, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null))
}

fn add_shared_responses(op: &mut Operation, public: bool) {
    let mut refs = vec![("500", "ServerError")];
    if public {
        op.security = Some(Vec::new());
    } else {
        refs.extend([
            ("401", "Unauthorized"),
            ("403", "Forbidden"),
            ("429", "RateLimited"),
        ]);
    }
    for (status, name) in refs {
        op.responses
            .responses
            .entry(status.to_owned())
            .or_insert_with(|| RefOr::Ref(Ref::from_response_name(name)));
    }
}

fn shared_responses() -> [(&'static str, Response); 4] {
    let error = |description: &str| {
        let body = ContentBuilder::new()
            .schema(Some(Ref::from_schema_name("ErrorBody")))
            .build();
        ResponseBuilder::new()
            .description(description)
            .content("application/json", body)
    };
    let retry_after = HeaderBuilder::new()
        .schema(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .minimum(Some(0)),
        )
        .description(Some("Seconds to wait before the next request"))
        .build();
    [
        (
            "Unauthorized",
            error("`UNAUTHORIZED`: no API key, or an unknown or revoked one").build(),
        ),
        (
            "Forbidden",
            error("`FORBIDDEN`: the key's role or tenant does not allow this").build(),
        ),
        (
            "RateLimited",
            error("`RATE_LIMITED`: too many requests for this key")
                .header("Retry-After", retry_after)
                .build(),
        ),
        (
            "ServerError",
            error("`SERVER_ERROR`: our fault (no details in the body; see the log)").build(),
        ),
    ]
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::http::routes::{self, Access};

    fn document() -> serde_json::Value {
        let text = serde_json::to_string(&*DOCUMENT).unwrap();
        serde_json::from_str(&text).expect("the document is JSON")
    }

    fn operations(doc: &serde_json::Value) -> Vec<(String, String, &serde_json::Value)> {
        let mut ops = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                ops.push((method.to_uppercase(), path.clone(), op));
            }
        }
        ops
    }

    #[test]
    fn the_document_is_openapi_3_1_and_lists_every_declared_route_once() {
        let doc = document();
        assert!(
            doc["openapi"].as_str().unwrap().starts_with("3.1."),
            "{}",
            doc["openapi"]
        );
        let documented: BTreeSet<_> = operations(&doc)
            .into_iter()
            .map(|(m, p, _)| (m, p))
            .collect();
        let declared = routes::list();
        let routed: BTreeSet<_> = declared
            .iter()
            .map(|r| (r.method.to_string(), r.path.clone()))
            .collect();
        assert_eq!(routed.len(), declared.len(), "a route is declared twice");
        assert_eq!(documented, routed);
    }

    #[test]
    fn each_operation_states_the_role_its_route_declares() {
        let doc = document();
        for route in routes::list() {
            let op = &doc["paths"][&route.path][route.method.as_str().to_lowercase()];
            let role = match route.access {
                Access::Public => serde_json::Value::Null,
                Access::Least(role) => serde_json::to_value(role).unwrap(),
            };
            assert_eq!(op["x-required-role"], role, "{route:?}");
        }
    }

    #[test]
    fn protected_operations_require_a_key_and_say_what_happens_without_one() {
        let doc = document();
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes["apiKey"]["name"], "X-Api-Key");
        assert_eq!(schemes["bearer"]["scheme"], "bearer");
        let public: Vec<(String, String)> = routes::list()
            .into_iter()
            .filter(|r| r.access == Access::Public)
            .map(|r| (r.method.to_string(), r.path))
            .collect();
        assert_eq!(public.len(), 2, "/health and /openapi.json: {public:?}");
        for (method, path, op) in operations(&doc) {
            let public = public.contains(&(method.clone(), path.clone()));
            assert_eq!(
                op["security"] == serde_json::json!([]),
                public,
                "{method} {path}"
            );
            for status in ["401", "403", "429"] {
                let listed = op["responses"].get(status).is_some();
                assert_eq!(listed, !public, "{method} {path} {status}");
            }
        }
    }

    #[test]
    fn error_codes_are_the_documented_ones() {
        let doc = document();
        let codes = &doc["components"]["schemas"]["ErrorCode"]["enum"];
        // The README's error table: rows "| `CODE` | status | when |" before the first blank line.
        let readme = include_str!("../../README.md");
        let table = &readme[readme.find("| code | status | when |").expect("the table")..];
        let table = &table[..table.find("\n\n").unwrap_or(table.len())];
        let mut documented: Vec<&str> = table
            .lines()
            .filter_map(|row| row.strip_prefix("| `")?.split('`').next())
            .collect();
        let mut served: Vec<&str> = codes
            .as_array()
            .expect("an enum")
            .iter()
            .filter_map(|c| c.as_str())
            .collect();
        documented.sort_unstable();
        served.sort_unstable();
        assert_eq!(served, documented);
    }
}
