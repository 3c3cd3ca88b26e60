//! `/wa/connections/:id/webhook` and `/wa/webhooks/deliveries*`.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{HeaderName, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use utoipa::openapi::schema::{ArrayBuilder, ObjectBuilder, Type};
use utoipa::{IntoParams, ToSchema};

use super::auth::{Auth, Principal};
use super::json::ApiJson;
use super::query::ApiQuery;
use super::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::events::EVENT_NAMES;
use crate::store::{Delivery, DeliveryFilter, DeliveryStatus, WebhookConfig};

const DEFAULT_PAGE: usize = 50;
const MAX_PAGE: usize = 500;
/// Headers the gateway sets itself; a webhook may not override them.
const RESERVED_HEADERS: &[&str] = &[
    "content-type",
    "content-length",
    "host",
    "x-webhook-id",
    "x-webhook-event",
    "x-webhook-timestamp",
    "x-hub-signature-256",
];

/// A webhook as clients send it (add-number's `webhook` field and `PUT .../webhook`).
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    /// An http(s) URL.
    #[schema(
        pattern = r"^https?://[a-z0-9]+(\.[a-z0-9]+)*(:[1-9][0-9]{0,3})?(/[!-~]*)?$",
        example = "https://example.com/hook"
    )]
    url: String,
    /// Event names to deliver; empty or absent means every event.
    #[serde(default)]
    #[schema(schema_with = event_names)]
    events: Vec<String>,
    /// Signs each delivery with `X-Hub-Signature-256`; not empty.
    #[serde(default)]
    #[schema(min_length = 1)]
    secret: Option<String>,
    /// Extra request headers (not `Content-Type`, `Content-Length`, `Host`, `X-Webhook-*` or
    /// `X-Hub-Signature-256`, which the gateway sets).
    #[serde(default)]
    #[schema(schema_with = header_map)]
    headers: BTreeMap<String, String>,
}

/// `headers`: header names (RFC 9110 tokens) to visible-ASCII values.
fn header_map() -> ObjectBuilder {
    let name = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$"));
    let value = ObjectBuilder::new()
        .schema_type(Type::String)
        .pattern(Some(r"^[\t -~]*$"));
    ObjectBuilder::new()
        .schema_type(Type::Object)
        .property_names(Some(name))
        .additional_properties(Some(value))
}

/// `events`: an array of the known event names.
fn event_names() -> ArrayBuilder {
    let name = ObjectBuilder::new()
        .schema_type(Type::String)
        .enum_values(Some(EVENT_NAMES.iter().copied()));
    ArrayBuilder::new().items(name)
}

impl WebhookBody {
    /// Checks the URL, event names and headers once, at the edge. A tenant key's webhook is
    /// `guarded`: its address must be public (unless the admin allows more), now and at every
    /// delivery.
    pub async fn validate(
        self,
        caller: &Principal,
        state: &AppState,
    ) -> Result<WebhookConfig, ApiError> {
        let url = reqwest::Url::parse(&self.url)
            .map_err(|e| ApiError::invalid(format!("webhook url: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(ApiError::invalid("webhook url must be an http(s) URL"));
        }
        let guarded = caller.tenant_scope().is_some();
        if guarded {
            let targets = &state.config.webhooks.targets;
            targets.check_host(&url).await.map_err(|why| {
                ApiError::invalid(format!(
                    "webhook url: {why} (a tenant key's webhook must reach a public address)"
                ))
            })?;
        }
        if let Some(bad) = self
            .events
            .iter()
            .find(|e| !EVENT_NAMES.contains(&e.as_str()))
        {
            return Err(ApiError::invalid(format!(
                "unknown event '{bad}'; known: {}",
                EVENT_NAMES.join(", ")
            )));
        }
        for (name, value) in &self.headers {
            let parsed = HeaderName::try_from(name.as_str())
                .map_err(|_| ApiError::invalid(format!("'{name}' is not a header name")))?;
            if RESERVED_HEADERS.contains(&parsed.as_str()) {
                return Err(ApiError::invalid(format!(
                    "header '{name}' is set by the gateway"
                )));
            }
            if axum::http::HeaderValue::from_str(value).is_err() {
                return Err(ApiError::invalid(format!(
                    "header '{name}' has an invalid value"
                )));
            }
        }
        if self.secret.as_deref().is_some_and(str::is_empty) {
            return Err(ApiError::invalid("webhook secret must not be empty"));
        }
        Ok(WebhookConfig {
            url: self.url,
            events: self.events,
            secret: self.secret,
            headers: self.headers,
            guarded,
        })
    }
}

/// A webhook as the API shows it: secrets and header values stay hidden.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WebhookView {
    url: String,
    events: Vec<String>,
    secret_set: bool,
    header_names: Vec<String>,
}

impl From<WebhookConfig> for WebhookView {
    fn from(w: WebhookConfig) -> Self {
        Self {
            url: w.url,
            events: w.events,
            secret_set: w.secret.is_some(),
            header_names: w.headers.into_keys().collect(),
        }
    }
}

#[derive(Serialize, ToSchema)]
pub struct WebhookEnvelope {
    /// `null` when the connection has no webhook of its own.
    webhook: Option<WebhookView>,
}

#[derive(Serialize, ToSchema)]
pub struct WebhookDeleted {
    /// Whether there was a webhook to delete.
    deleted: bool,
}

/// The connection's own webhook.
#[utoipa::path(
    get, path = "/wa/connections/{id}/webhook", tag = "webhooks", params(("id" = String, Path, description = "The connection id returned by `POST /wa/add-number`")),
    responses(
        (status = 200, body = WebhookEnvelope),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorBody),
    )
)]
pub async fn get_webhook(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Json<WebhookEnvelope>, ApiError> {
    state.owned(&caller, &id).await?;
    let webhook = state.store.get_webhook(&id).await?.map(WebhookView::from);
    Ok(Json(WebhookEnvelope { webhook }))
}

/// Sets (replaces) the connection's own webhook.
#[utoipa::path(
    put, path = "/wa/connections/{id}/webhook", tag = "webhooks", params(("id" = String, Path, description = "The connection id returned by `POST /wa/add-number`")),
    request_body = WebhookBody,
    responses(
        (status = 200, body = WebhookEnvelope),
        (status = 400, description = "`INVALID_REQUEST`: a bad URL, event name or header, or (with a tenant key) a URL that does not lead to a public address", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorBody),
        (status = 413, description = "`INVALID_REQUEST`: the body is too large", body = ErrorBody),
        (status = 415, description = "`INVALID_REQUEST`: not `Content-Type: application/json`", body = ErrorBody),
    )
)]
pub async fn put_webhook(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WebhookBody>,
) -> Result<Json<WebhookEnvelope>, ApiError> {
    state.owned(&caller, &id).await?;
    let hook = body.validate(&caller, &state).await?;
    state.store.put_webhook(&id, &hook).await?;
    let webhook = Some(WebhookView::from(hook));
    Ok(Json(WebhookEnvelope { webhook }))
}

/// Removes the connection's own webhook (the global one is not affected).
#[utoipa::path(
    delete, path = "/wa/connections/{id}/webhook", tag = "webhooks", params(("id" = String, Path, description = "The connection id returned by `POST /wa/add-number`")),
    responses(
        (status = 200, body = WebhookDeleted),
        (status = 404, description = "`SESSION_NOT_FOUND`", body = ErrorBody),
    )
)]
pub async fn delete_webhook(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Json<WebhookDeleted>, ApiError> {
    state.owned(&caller, &id).await?;
    let deleted = state.store.delete_webhook(&id).await?;
    Ok(Json(WebhookDeleted { deleted }))
}

#[derive(Deserialize, IntoParams)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct DeliveryQuery {
    connection_id: Option<String>,
    #[param(inline)]
    status: Option<DeliveryStatus>,
    /// Page size, 1-500 (50 by default).
    #[param(minimum = 1, maximum = 500)]
    limit: Option<usize>,
    /// A delivery id from the previous page: only older ones are listed.
    before: Option<String>,
}

/// Webhook deliveries, newest first (e.g. `?status=failed` for the dead letters).
#[utoipa::path(
    get, path = "/wa/webhooks/deliveries", tag = "webhooks", params(DeliveryQuery),
    responses(
        (status = 200, body = Vec<Delivery>),
        (status = 400, description = "`INVALID_REQUEST`: a bad query parameter", body = ErrorBody),
        (status = 404, description = "`SESSION_NOT_FOUND`: `connectionId` names no connection of the caller", body = ErrorBody),
    )
)]
pub async fn list_deliveries(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiQuery(q): ApiQuery<DeliveryQuery>,
) -> Result<Json<Vec<Delivery>>, ApiError> {
    if let Some(id) = &q.connection_id {
        state.owned(&caller, id).await?;
    }
    let filter = DeliveryFilter {
        connection_id: q.connection_id,
        status: q.status,
        before_id: q.before,
        limit: page_size(q.limit)?,
    };
    let deliveries = state.store.list_deliveries(&filter).await?;
    if caller.tenant_scope().is_none() || filter.connection_id.is_some() {
        return Ok(Json(deliveries));
    }
    // Without a connection filter a tenant sees its own connections' deliveries only.
    let mut mine = Vec::with_capacity(deliveries.len());
    let mut owners = std::collections::HashMap::new();
    for d in deliveries {
        if !owners.contains_key(&d.connection_id) {
            let owned = state.owned(&caller, &d.connection_id).await.is_ok();
            owners.insert(d.connection_id.clone(), owned);
        }
        if owners[&d.connection_id] {
            mine.push(d);
        }
    }
    Ok(Json(mine))
}

/// Puts a delivery (typically a dead letter) back in line for an immediate attempt.
#[utoipa::path(
    post, path = "/wa/webhooks/deliveries/{id}/retry", tag = "webhooks",
    params(("id" = String, Path, description = "The delivery id")),
    responses(
        (status = 202, description = "Queued for an attempt now", body = Delivery),
        (status = 404, description = "`NOT_FOUND`: no such delivery", body = ErrorBody),
    )
)]
pub async fn retry_delivery(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Delivery>), ApiError> {
    let missing = || ApiError::not_found(format!("No delivery with id {id}"));
    let mut delivery = state.store.get_delivery(&id).await?.ok_or_else(missing)?;
    if state.owned(&caller, &delivery.connection_id).await.is_err() {
        return Err(missing());
    }
    let now = crate::store::now();
    delivery.status = DeliveryStatus::Pending;
    delivery.attempts = 0;
    delivery.next_attempt_at = now;
    delivery.updated_at = now;
    state.store.update_delivery(&delivery).await?;
    state.webhooks.notify_one();
    Ok((StatusCode::ACCEPTED, Json(delivery)))
}

/// `limit` in 1..=500, 50 by default.
pub fn page_size(limit: Option<usize>) -> Result<usize, ApiError> {
    match limit {
        None => Ok(DEFAULT_PAGE),
        Some(n) if (1..=MAX_PAGE).contains(&n) => Ok(n),
        Some(_) => Err(ApiError::invalid(format!("limit must be 1-{MAX_PAGE}"))),
    }
}
