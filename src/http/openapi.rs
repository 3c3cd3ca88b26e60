//! The OpenAPI 3.1 document, generated from the handlers' `#[utoipa::path]` attributes and served
//! at `GET /openapi.json`; Swagger UI, bundled into the binary, at `GET /docs`.

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
use super::{connections, events, health, keys, messages, metrics, webhooks};
use crate::error::ErrorBody;

/// Routes anyone may call, without an API key.
pub const PUBLIC_PATHS: &[&str] = &["/health", "/openapi.json"];

#[derive(OpenApi)]
#[openapi(
    info(
        title = "wa-gateway",
        description = "A self-hosted, multi-session WhatsApp REST gateway. Every error is \
            `{\"success\":false,\"error\":{\"code\",\"message\"}}`; see the README for the \
            events' envelopes.",
    ),
    paths(
        connections::add_number,
        connections::list,
        connections::get,
        connections::qr_code,
        connections::disconnect,
        metrics::connection_stats,
        metrics::metrics,
        webhooks::get_webhook,
        webhooks::put_webhook,
        webhooks::delete_webhook,
        messages::list_messages,
        messages::send,
        messages::get_message,
        webhooks::list_deliveries,
        webhooks::retry_delivery,
        events::sse,
        events::ws,
        keys::create,
        keys::list,
        keys::revoke,
        health::health,
        health::ready,
        openapi_json,
    ),
    components(schemas(ErrorBody)),
    modifiers(&Security, &OptionalBodies, &EventDocs),
    tags(
        (name = "connections", description = "Link WhatsApp numbers by QR and manage them"),
        (name = "messages", description = "Send messages and follow their delivery"),
        (name = "webhooks", description = "Per-connection webhooks and the delivery log"),
        (name = "events", description = "Live event streams (SSE, WebSocket)"),
        (name = "keys", description = "API keys (admin only)"),
        (name = "health", description = "Probes"),
    ),
)]
pub struct ApiDoc;

static DOCUMENT: LazyLock<Document> = LazyLock::new(ApiDoc::openapi);

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

/// Declares the API-key schemes, requires one of them everywhere but on [`PUBLIC_PATHS`], and
/// adds the responses every protected route can give (401, 403, 429) and every route can (500).
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
        for (path, item) in doc.paths.paths.iter_mut() {
            let public = PUBLIC_PATHS.contains(&path.as_str());
            for op in operations(item) {
                add_shared_responses(op, public);
            }
        }
    }
}

/// utoipa writes an optional body (`Option<T>`) as `oneOf: [null, T]`, which would allow a JSON
/// `null`. An optional body may be absent (`required` stays unset) but, when sent, is a `T`.
struct OptionalBodies;

impl Modify for OptionalBodies {
    fn modify(&self, doc: &mut Document) {
        for item in doc.paths.paths.values_mut() {
            for op in operations(item) {
                let Some(body) = op.request_body.as_mut() else {
                    continue;
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
        }
    }
}

fn is_null(schema: &RefOr<Schema>) -> bool {
    matches!(schema, RefOr::T(Schema::Object(o)) if o.schema_type == SchemaType::Type(Type::Null))
}

fn operations(item: &mut utoipa::openapi::PathItem) -> impl Iterator<Item = &mut Operation> {
    [
        &mut item.get,
        &mut item.put,
        &mut item.post,
        &mut item.delete,
        &mut item.patch,
    ]
    .into_iter()
    .filter_map(Option::as_mut)
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
    use crate::http::ROUTES;

    fn document() -> serde_json::Value {
        let text = serde_json::to_string(&*DOCUMENT).unwrap();
        serde_json::from_str(&text).expect("the document is JSON")
    }

    #[test]
    fn the_document_is_openapi_3_1_and_lists_every_route_of_the_router() {
        let doc = document();
        assert!(
            doc["openapi"].as_str().unwrap().starts_with("3.1."),
            "{}",
            doc["openapi"]
        );
        let mut documented = BTreeSet::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                documented.insert((method.to_uppercase(), path.clone()));
            }
        }
        let routed: BTreeSet<_> = ROUTES
            .iter()
            .filter(|(_, path)| *path != "/docs")
            .map(|(m, p)| (m.to_string(), p.to_string()))
            .collect();
        assert_eq!(documented, routed);
    }

    #[test]
    fn protected_operations_require_a_key_and_say_what_happens_without_one() {
        let doc = document();
        let schemes = &doc["components"]["securitySchemes"];
        assert_eq!(schemes["apiKey"]["name"], "X-Api-Key");
        assert_eq!(schemes["bearer"]["scheme"], "bearer");
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let public = PUBLIC_PATHS.contains(&path.as_str());
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
    }

    #[test]
    fn error_codes_are_the_documented_ones() {
        let doc = document();
        let codes = &doc["components"]["schemas"]["ErrorCode"]["enum"];
        let expected = "INVALID_REQUEST SESSION_NOT_FOUND WHATSAPP_NOT_READY MESSAGE_FAILED \
            SERVER_ERROR UNAUTHORIZED FORBIDDEN RATE_LIMITED CONFLICT LIMIT_REACHED NOT_FOUND";
        let expected: Vec<&str> = expected.split_whitespace().collect();
        assert_eq!(codes, &serde_json::json!(expected));
    }
}
