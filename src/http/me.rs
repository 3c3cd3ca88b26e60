//! `GET /wa/me`: who the presented key is (role and tenant), so a client such as the dashboard
//! can hide what the key may not do. The server still checks every call.

use axum::Json;
use serde::Serialize;
use utoipa::ToSchema;

use super::auth::Auth;
use crate::store::Role;

/// The calling key.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    /// The key's role; `admin` for the `API_KEY` key (or when no key is configured).
    role: Role,
    /// The tenant whose connections the key sees (`default` for the admin key, which sees all).
    tenant: String,
    /// The stored key's id; `null` for the `API_KEY` key.
    key_id: Option<String>,
}

/// The calling key's role and tenant (any role).
#[utoipa::path(
    get, path = "/wa/me", tag = "keys",
    responses((status = 200, description = "The key that made this request", body = Me))
)]
pub async fn me(Auth(caller): Auth) -> Json<Me> {
    Json(Me {
        role: caller.role,
        tenant: caller.tenant,
        key_id: caller.key_id,
    })
}
