//! `/wa/keys`: API keys for tenants and roles (admin only). A key is shown once, at creation;
//! the store keeps only its SHA-256.

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::Json;
use base64::Engine;
use chrono::{DateTime, Utc};
use rand::RngCore;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use super::auth::digest;
use super::json::ApiJson;
use super::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::store::{ApiKeyRecord, Role};

const PREFIX_CHARS: usize = 12;
const MAX_LABEL: usize = 100;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateKey {
    /// 1-100 printable characters (no control characters, not only spaces).
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    tenant: String,
    role: Role,
    /// A label for people; 1-100 printable characters, like `tenant`.
    #[serde(default)]
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*[^\s\x00-\x1f\x7f-\x9f][^\x00-\x1f\x7f-\x9f]*$"
    )]
    name: Option<String>,
}

/// A key as listed: never the key itself.
#[derive(Serialize, ToSchema)]
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

/// A new key: `key` is shown in this response only.
#[derive(Serialize, ToSchema)]
pub struct CreatedKey {
    #[serde(flatten)]
    view: KeyView,
    /// The key itself, for `X-Api-Key` or `Authorization: Bearer`.
    key: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RevokedKey {
    id: String,
    /// Always `true`.
    revoked: bool,
    revoked_at: Option<DateTime<Utc>>,
}

/// Creates an API key for a tenant and role (admin only).
#[utoipa::path(
    post, path = "/wa/keys", tag = "keys", request_body = CreateKey,
    responses(
        (status = 201, description = "Created: keep `key`, it is not shown again", body = CreatedKey),
        (status = 400, description = "`INVALID_REQUEST`: a bad body", body = ErrorBody),
        (status = 413, description = "`INVALID_REQUEST`: the body is too large", body = ErrorBody),
        (status = 415, description = "`INVALID_REQUEST`: not `Content-Type: application/json`", body = ErrorBody),
    )
)]
pub async fn create(
    State(state): State<AppState>,
    ApiJson(req): ApiJson<CreateKey>,
) -> Result<(StatusCode, Json<CreatedKey>), ApiError> {
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
    Ok((StatusCode::CREATED, Json(CreatedKey { view, key })))
}

/// Every API key, revoked ones too; never the keys themselves (admin only).
#[utoipa::path(
    get, path = "/wa/keys", tag = "keys",
    responses((status = 200, body = Vec<KeyView>))
)]
pub async fn list(State(state): State<AppState>) -> Result<Json<Vec<KeyView>>, ApiError> {
    let keys = state.store.list_api_keys(None).await?;
    Ok(Json(keys.into_iter().map(KeyView::from).collect()))
}

/// Revokes an API key at once (admin only).
#[utoipa::path(
    delete, path = "/wa/keys/{id}", tag = "keys",
    params(("id" = String, Path, description = "The key's id")),
    responses(
        (status = 200, body = RevokedKey),
        (status = 404, description = "`NOT_FOUND`: no such key", body = ErrorBody),
    )
)]
pub async fn revoke(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<RevokedKey>, ApiError> {
    let record = state
        .store
        .revoke_api_key(&id, crate::store::now())
        .await?
        .ok_or_else(|| ApiError::not_found(format!("No API key with id {id}")))?;
    tracing::info!(key_id = %id, "API key revoked");
    Ok(Json(RevokedKey {
        id,
        revoked: true,
        revoked_at: record.revoked_at,
    }))
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
