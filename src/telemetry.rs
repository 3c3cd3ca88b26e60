//! Logging setup: text for people, JSON for log pipelines; `RUST_LOG` filters our own targets.

use tracing_subscriber::filter::{Directive, EnvFilter};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;

/// chromiumoxide warns about every CDP message newer than its protocol tables; those are noise.
const DEFAULT_FILTER: &str = "info,chromiumoxide=error,tower_http=info";

/// Libraries that log what crosses the wire at debug/trace level: CDP traffic carries message
/// bodies and QR codes, driver commands the documents we store, HTTP clients the webhook bodies.
/// They are capped whatever `RUST_LOG` says, so no log level can leak a secret.
const WIRE_LEVEL_CAPS: &[&str] = &[
    "chromiumoxide=error",
    "chromiumoxide_cdp=error",
    "tungstenite=warn",
    "tokio_tungstenite=warn",
    "mongodb=warn",
    "hyper=warn",
    "hyper_util=warn",
    "h2=warn",
    "reqwest=warn",
    "rustls=warn",
];

/// Installs the global subscriber once; later calls (tests) are ignored.
pub fn init(format: LogFormat) {
    let mut filter =
        EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(DEFAULT_FILTER));
    for cap in WIRE_LEVEL_CAPS {
        filter = filter.add_directive(cap.parse::<Directive>().expect("valid directive"));
    }
    let registry = tracing_subscriber::registry().with(filter);
    let _ = match format {
        LogFormat::Text => registry.with(tracing_subscriber::fmt::layer()).try_init(),
        LogFormat::Json => registry
            .with(tracing_subscriber::fmt::layer().json())
            .try_init(),
    };
}
