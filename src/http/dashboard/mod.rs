//! The dashboard at `/dashboard`: a static page and its modules, compiled into the binary, that
//! call the API with the key the user signs in with. Every response carries a strict
//! Content-Security-Policy; the files are served gzipped when the browser takes it, with an
//! ETag, and under a versioned path that browsers may cache for good.

mod assets;

use axum::extract::Path;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use self::assets::{Prepared, ASSETS};
use crate::error::ApiError;

/// Only our own files and API; images also as `data:` URLs (the QR codes); no inline code, no
/// framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
    style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
    object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

const NO_CACHE: &str = "no-cache";
const FOREVER: &str = "public, max-age=31536000, immutable";

/// `/dashboard` (the page) and `/dashboard/static/<version>/<file>`.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new()
        .route("/dashboard", get(index))
        .route("/dashboard/", get(index))
        .route("/dashboard/static/{version}/{*file}", get(file))
}

async fn index(headers: HeaderMap) -> Response {
    serve(&ASSETS.index, NO_CACHE, &headers)
}

async fn file(Path((version, name)): Path<(String, String)>, headers: HeaderMap) -> Response {
    match ASSETS.files.get(name.as_str()) {
        Some(prepared) if version == ASSETS.version => serve(prepared, FOREVER, &headers),
        _ => secured(
            ApiError::not_found(format!("No dashboard file {version}/{name}")).into_response(),
        ),
    }
}

/// The file, gzipped if the browser accepts it, or `304` when the browser has it already.
fn serve(prepared: &Prepared, cache: &'static str, request: &HeaderMap) -> Response {
    let etag = HeaderValue::from_str(&prepared.etag).expect("a hex ETag");
    let cached = request
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == prepared.etag));
    let mut response = if cached {
        StatusCode::NOT_MODIFIED.into_response()
    } else if accepts_gzip(request) {
        let mut r = prepared.gzip.clone().into_response();
        let gzip = HeaderValue::from_static("gzip");
        r.headers_mut().insert(header::CONTENT_ENCODING, gzip);
        r
    } else {
        prepared.plain.clone().into_response()
    };
    let h = response.headers_mut();
    let content_type = HeaderValue::from_static(prepared.content_type);
    h.insert(header::CONTENT_TYPE, content_type);
    h.insert(header::ETAG, etag);
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    h.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
    secured(response)
}

/// Whether `Accept-Encoding` lists gzip without refusing it (`q=0`).
fn accepts_gzip(request: &HeaderMap) -> bool {
    let Some(accepted) = request
        .get(header::ACCEPT_ENCODING)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    accepted.split(',').any(|item| {
        let mut parts = item.split(';').map(str::trim);
        let coding = parts.next().unwrap_or_default();
        let refused = parts.any(|p| p.replace(' ', "").eq_ignore_ascii_case("q=0"));
        (coding.eq_ignore_ascii_case("gzip") || coding == "*") && !refused
    })
}

/// The headers every dashboard response carries.
fn secured(mut response: Response) -> Response {
    let h = response.headers_mut();
    let csp = HeaderValue::from_static(CONTENT_SECURITY_POLICY);
    h.insert(header::CONTENT_SECURITY_POLICY, csp);
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    let coop = HeaderValue::from_static("same-origin");
    h.insert("cross-origin-opener-policy", coop);
    response
}

#[cfg(test)]
mod tests {
    use super::*;

    fn with(accept: &str) -> HeaderMap {
        let mut h = HeaderMap::new();
        h.insert(header::ACCEPT_ENCODING, accept.parse().unwrap());
        h
    }

    #[test]
    fn gzip_is_sent_only_when_accepted() {
        assert!(accepts_gzip(&with("gzip, deflate, br")));
        assert!(accepts_gzip(&with("br;q=1.0, gzip;q=0.8")));
        assert!(accepts_gzip(&with("*")));
        assert!(!accepts_gzip(&with("gzip;q=0")));
        assert!(!accepts_gzip(&with("br")));
        assert!(!accepts_gzip(&HeaderMap::new()));
    }

    #[test]
    fn the_pages_know_every_event_the_gateway_sends() {
        let stream = include_str!(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/assets/dashboard/stream.js"
        ));
        let line = stream
            .lines()
            .find(|l| l.starts_with("export const EVENT_NAMES = ["))
            .expect("stream.js exports EVENT_NAMES");
        let names: Vec<&str> = line.split('\'').skip(1).step_by(2).collect();
        assert_eq!(names, crate::events::EVENT_NAMES);
    }
}
