//! The router: the WhatsApp Web page and its socket, plus the control API under `/__sim/`.

use std::sync::Arc;

use axum::extract::ws::WebSocketUpgrade;
use axum::extract::State;
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::Router;
use serde_json::json;
use tokio::sync::watch;

use crate::assets;
use crate::core::Core;

/// What every handler gets.
#[derive(Clone)]
pub struct AppState {
    pub core: Arc<Core>,
    pub stop: watch::Receiver<bool>,
}

/// All routes of the simulator.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(index))
        .route("/static/app.js", get(app_js))
        .route("/static/style.css", get(style_css))
        .route("/favicon.ico", get(|| async { StatusCode::NO_CONTENT }))
        .route("/ws/chat", get(socket))
        .merge(crate::control::routes())
        .merge(crate::fidelity::routes())
        .merge(crate::group_control::routes())
        .merge(crate::people_api::routes())
        .merge(crate::rich_control::routes())
        .merge(crate::media::routes())
        .with_state(state)
}

/// What a `HeadlessChrome` user agent gets instead of WhatsApp Web.
const UNSUPPORTED_HTML: &str = "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>WhatsApp</title></head>\
<body><div id=\"app\"><h1>WhatsApp works with Google Chrome 85+</h1>\
<p>This browser is not supported. To use WhatsApp, update Chrome or use Mozilla Firefox, Safari, Microsoft Edge or Opera.</p>\
</div></body></html>";

/// The WhatsApp Web page, with this load's boot settings (timing, module overrides).
async fn index(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let core = &state.core;
    core.count(|c| c.page_loads += 1);
    let agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    // The real site refuses automated-looking browsers: a page with no modules at all.
    if agent.contains("HeadlessChrome") {
        return (
            [(header::CACHE_CONTROL, "no-store")],
            Html(UNSUPPORTED_HTML),
        )
            .into_response();
    }
    let modules = core.world().modules.clone();
    let boot = json!({
        "version": core.config.version,
        "bundleMs": core.config.timing.bundle_load.as_millis() as u64,
        "renamed": modules.renamed,
        "removed": modules.removed,
        "renamedMembers": modules.renamed_members,
        "oldSendSeen": modules.old_forms.contains("sendSeen"),
        "advOldHome": modules.old_forms.contains("advSecret"),
        "noKeySerialized": modules.no_key_serialized,
        "weightMib": core.config.page_weight_mib,
    });
    // `</` cannot end the JSON script element early once escaped.
    let boot = boot.to_string().replace("</", "<\\/");
    let html = assets::INDEX_HTML.replace("__BOOT__", &boot);
    ([(header::CACHE_CONTROL, "no-store")], Html(html)).into_response()
}

async fn app_js() -> Response {
    let js = assets::app_js();
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "no-store"),
        ],
        js,
    )
        .into_response()
}

async fn style_css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8")],
        assets::STYLE_CSS,
    )
        .into_response()
}

async fn socket(State(state): State<AppState>, upgrade: WebSocketUpgrade) -> Response {
    upgrade.on_upgrade(move |socket| crate::page_socket::run(state.core, socket, state.stop))
}
