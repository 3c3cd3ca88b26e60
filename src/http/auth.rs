//! Who is calling: the admin key from `API_KEY`, a stored key (by its SHA-256), or nobody when no
//! key is configured (allowed on loopback only). Also the network checks and the rate limit, all
//! in one middleware in front of every protected route.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;

use axum::extract::{ConnectInfo, FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, HeaderValue};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::limits::RateLimiter;
use super::AppState;
use crate::config::SecuritySettings;
use crate::error::ApiError;
use crate::store::{Connection, Role, DEFAULT_TENANT};

/// The caller, as every protected handler sees it.
#[derive(Debug, Clone)]
pub struct Principal {
    /// Stored key id; `None` for the admin key (or when keys are off).
    pub key_id: Option<String>,
    pub tenant: String,
    pub role: Role,
}

impl Principal {
    fn admin() -> Self {
        Self {
            key_id: None,
            tenant: DEFAULT_TENANT.to_owned(),
            role: Role::Admin,
        }
    }

    /// `FORBIDDEN` unless the role includes `needed`.
    pub fn require(&self, needed: Role) -> Result<(), ApiError> {
        if self.role >= needed {
            Ok(())
        } else {
            Err(ApiError::forbidden(
                format!("This key's role ({:?}) may not do this", self.role).to_lowercase(),
            ))
        }
    }

    /// Whether the connection belongs to the caller's tenant (admins see every tenant).
    pub fn owns(&self, connection: &Connection) -> bool {
        self.role == Role::Admin || connection.tenant == self.tenant
    }

    /// The tenant whose data the caller may see; `None` for all of them.
    pub fn tenant_scope(&self) -> Option<&str> {
        (self.role != Role::Admin).then_some(self.tenant.as_str())
    }
}

/// Extracts the [`Principal`] the middleware attached.
pub struct Auth(pub Principal);

impl<S: Send + Sync> FromRequestParts<S> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        principal(&parts.extensions).map(Auth)
    }
}

fn principal(extensions: &Extensions) -> Result<Principal, ApiError> {
    extensions
        .get::<Principal>()
        .cloned()
        .ok_or_else(|| ApiError::internal("a protected route has no authentication layer"))
}

/// In front of each protected route, inside [`authenticate`]: `FORBIDDEN` unless the caller's
/// role includes the least one the route declares.
pub async fn authorize(State(least): State<Role>, request: Request, next: Next) -> Response {
    match principal(request.extensions()).and_then(|caller| caller.require(least)) {
        Ok(()) => next.run(request).await,
        Err(e) => e.into_response(),
    }
}

/// What the middleware needs, built once from the configuration.
pub struct Security {
    admin_key_hash: Option<[u8; 32]>,
    settings: SecuritySettings,
    limiter: RateLimiter,
}

impl Security {
    pub fn new(settings: SecuritySettings) -> Self {
        Self {
            admin_key_hash: settings.admin_key.as_ref().map(|k| digest(k.expose())),
            limiter: RateLimiter::new(settings.rate_limit_per_minute),
            settings,
        }
    }

    /// The client's address: the peer, or what a trusted proxy says it forwarded for.
    fn client_ip(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let trusted = |ip: &IpAddr| self.settings.trusted_proxies.iter().any(|n| n.contains(ip));
        if !trusted(&peer) {
            return peer;
        }
        let forwarded: Vec<IpAddr> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|ip| ip.trim().parse().ok())
            .collect();
        // The nearest address our proxies did not add is the client.
        forwarded
            .into_iter()
            .rev()
            .find(|ip| !trusted(ip))
            .unwrap_or(peer)
    }
}

/// SHA-256 of a key: how keys are stored and compared.
pub fn digest(key: &str) -> [u8; 32] {
    Sha256::digest(key.as_bytes()).into()
}

pub async fn authenticate(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    mut request: Request,
    next: Next,
) -> Response {
    match identify(&state, peer.ip(), request.headers()).await {
        Ok(principal) => {
            request.extensions_mut().insert(principal);
            next.run(request).await
        }
        Err(rejection) => rejection.into_response(),
    }
}

async fn identify(
    state: &AppState,
    peer: IpAddr,
    headers: &HeaderMap,
) -> Result<Principal, ApiError> {
    let security = &state.security;
    let client = security.client_ip(peer, headers);
    let allow = &security.settings.ip_allowlist;
    if !allow.is_empty() && !allow.iter().any(|n| n.contains(&client)) {
        return Err(ApiError::forbidden("This address may not use the API"));
    }
    let Some(admin_hash) = &security.admin_key_hash else {
        return Ok(Principal::admin());
    };
    let key = presented_key(headers).ok_or_else(|| {
        ApiError::unauthorized("An API key is required: X-Api-Key or Authorization: Bearer")
    })?;
    let hash = digest(key);
    let principal = if bool::from(hash.ct_eq(admin_hash)) {
        Principal::admin()
    } else {
        let stored = state.store.find_api_key(&hex::encode(hash)).await?;
        match stored {
            Some(k) if k.revoked_at.is_none() => Principal {
                key_id: Some(k.id),
                tenant: k.tenant,
                role: k.role,
            },
            _ => return Err(ApiError::unauthorized("The API key is not valid")),
        }
    };
    let bucket = principal.key_id.as_deref().unwrap_or("admin");
    security.limiter.check(bucket).map_err(|wait| {
        let secs = wait.as_secs().max(1);
        let message = format!("Too many requests for this key; retry in {secs} s");
        ApiError::rate_limited(message, Some(secs))
    })?;
    Ok(principal)
}

fn presented_key(headers: &HeaderMap) -> Option<&str> {
    let header = |name| {
        headers
            .get(name)
            .and_then(|v: &HeaderValue| v.to_str().ok())
    };
    header("x-api-key")
        .or_else(|| header("authorization").and_then(|v| v.strip_prefix("Bearer ")))
        .map(str::trim)
        .filter(|k| !k.is_empty())
}

/// Shared handle used by `AppState`.
pub type SharedSecurity = Arc<Security>;
