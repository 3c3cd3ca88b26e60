//! `/wa/keys`: API keys for tenants and roles (admin only). A key is shown once, at creation;
//! the store keeps only its SHA-256.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use serde_json::{json, Value};
use uuid::Uuid;

use super::auth::{digest, Auth};
use super::json::ApiJson;
use super::AppState;
use crate::error::ApiError;
use crate::store::{ApiKeyRecord, Role};

const PREFIX_CHARS: usize = 12;
const MAX_LABEL: usize = 100;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    tenant: String,
    role: Role,
    #[serde(default)]
    name: Option<String>,
}

/// A key as listed: never the key itself.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct KeyView {
    id: String,
    tenant: String,
    role: Role,
    name: Option<String>,
    key_prefix: String,
    created_at: DateTime<Utc>,
    revoked_at: Option<DateTime<Utc>>,
}

impl From<ApiKeyRecord> for KeyView {
    fn from(k: ApiKeyRecord) -> Self {
        Self {
            id: k.id,
            tenant: k.tenant,
            role: k.role,
            name: k.name,
            key_prefix: k.key_prefix,
            created_at: k.created_at,
            revoked_at: k.revoked_at,
        }
    }
}

pub async fn create(
    State(state): State<AppState>,
    Auth(caller): Auth,
    ApiJson(req): ApiJson<CreateKey>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    caller.require(Role::Admin)?;
    validate_label("tenant", &req.tenant)?;
    if let Some(name) = &req.name {
        validate_label("name", name)?;
    }
    let key = new_key();
    let record = ApiKeyRecord {
        id: Uuid::now_v7().to_string(),
        tenant: req.tenant,
        role: req.role,
        name: req.name,
        key_hash: hex::encode(digest(&key)),
        key_prefix: key.chars().take(PREFIX_CHARS).collect(),
        created_at: crate::store::now(),
        revoked_at: None,
    };
    state.store.insert_api_key(&record).await?;
    tracing::info!(key_id = %record.id, tenant = %record.tenant, role = ?record.role, "API key created");
    let view = KeyView::from(record);
    let mut body = serde_json::to_value(&view).expect("keys serialize");
    body["key"] = json!(key);
    Ok((StatusCode::CREATED, Json(body)))
}

pub async fn list(
    State(state): State<AppState>,
    Auth(caller): Auth,
) -> Result<Json<Vec<KeyView>>, ApiError> {
    caller.require(Role::Admin)?;
    let keys = state.store.list_api_keys(None).await?;
    Ok(Json(keys.into_iter().map(KeyView::from).collect()))
}

pub async fn revoke(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    caller.require(Role::Admin)?;
    let record = state
        .store
        .revoke_api_key(&id, crate::store::now())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("No API key with id {id}")))?;
    tracing::info!(key_id = %id, "API key revoked");
    Ok(Json(
        json!({ "id": id, "revoked": true, "revokedAt": record.revoked_at }),
    ))
}

/// `wag_` and 32 random bytes: unguessable, and recognisable in a leaked-secret scan.
fn new_key() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    format!(
        "wag_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

fn validate_label(what: &str, value: &str) -> Result<(), ApiError> {
    let ok = !value.trim().is_empty()
        && value.chars().count() <= MAX_LABEL
        && !value.chars().any(char::is_control);
    if ok {
        Ok(())
    } else {
        Err(ApiError::invalid(format!(
            "`{what}` must be 1-{MAX_LABEL} printable characters"
        )))
    }
}
