//! `/wa/connections/:id/webhook` and `/wa/webhooks/deliveries*`.

use std::collections::BTreeMap;

use axum::extract::{Path, State};
use axum::http::{HeaderName, StatusCode};
use axum::Json;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};

use super::auth::Auth;
use super::json::ApiJson;
use super::query::ApiQuery;
use super::AppState;
use crate::error::ApiError;
use crate::events::EVENT_NAMES;
use crate::store::{Delivery, DeliveryFilter, DeliveryStatus, Role, WebhookConfig};

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
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    url: String,
    #[serde(default)]
    events: Vec<String>,
    #[serde(default)]
    secret: Option<String>,
    #[serde(default)]
    headers: BTreeMap<String, String>,
}

impl WebhookBody {
    /// Checks the URL, event names and headers once, at the edge.
    pub fn validate(self) -> Result<WebhookConfig, ApiError> {
        let url = reqwest::Url::parse(&self.url)
            .map_err(|e| ApiError::invalid(format!("webhook url: {e}")))?;
        if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
            return Err(ApiError::invalid("webhook url must be an http(s) URL"));
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
        })
    }
}

/// A webhook as the API shows it: secrets and header values stay hidden.
#[derive(Serialize)]
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

pub async fn get_webhook(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    state.owned(&caller, &id).await?;
    let hook = state.store.get_webhook(&id).await?.map(WebhookView::from);
    Ok(Json(json!({ "webhook": hook })))
}

pub async fn put_webhook(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<WebhookBody>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Role::Operator)?;
    let hook = body.validate()?;
    state.owned(&caller, &id).await?;
    state.store.put_webhook(&id, &hook).await?;
    Ok(Json(json!({ "webhook": WebhookView::from(hook) })))
}

pub async fn delete_webhook(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Role::Operator)?;
    state.owned(&caller, &id).await?;
    let deleted = state.store.delete_webhook(&id).await?;
    Ok(Json(json!({ "deleted": deleted })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeliveryQuery {
    connection_id: Option<String>,
    status: Option<DeliveryStatus>,
    limit: Option<usize>,
    /// A delivery id from the previous page: only older ones are listed.
    before: Option<String>,
}

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
pub async fn retry_delivery(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<(StatusCode, Json<Delivery>), ApiError> {
    caller.require(Role::Operator)?;
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
