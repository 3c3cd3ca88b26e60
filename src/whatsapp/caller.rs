//! Feature operations in a running page: `window.__waGateway.call(name, args)` (see
//! `page/prelude.js`), answered with a value or with WhatsApp's refusal as a coded error.

use std::time::Duration;

use async_trait::async_trait;
use chromiumoxide::Page;
use serde::Deserialize;
use serde_json::Value;

use super::driver::DriverError;
use super::port::PageCaller;

/// Calls into one Chromium page; a clone of the page's CDP handle, so it works beside the
/// session's own commands and fails as "browser lost" once the browser is closed.
pub(super) struct ChromiumCaller {
    pub(super) page: Page,
}

/// What `call` answers in the page.
#[derive(Debug, Deserialize)]
struct Reply {
    ok: bool,
    #[serde(default)]
    value: Value,
    code: Option<String>,
    message: Option<String>,
}

#[async_trait]
impl PageCaller for ChromiumCaller {
    async fn call(&self, op: &str, args: Value, limit: Duration) -> Result<Value, DriverError> {
        // JSON is a JavaScript expression, so the arguments need no other encoding.
        let expr = format!(
            "window.__waGateway ? window.__waGateway.call({}, {}) : null",
            Value::String(op.to_owned()),
            args
        );
        let reply: Option<Reply> = evaluate(&self.page, &expr, limit, "page operation").await?;
        match reply.ok_or(DriverError::NotReady)? {
            Reply {
                ok: true, value, ..
            } => Ok(value),
            Reply { code, message, .. } => Err(DriverError::Refused {
                code: code.unwrap_or_else(|| "DRIVER_ERROR".into()),
                message: message.unwrap_or_default(),
            }),
        }
    }
}

/// Evaluates `expr` (awaiting a promise) and reads its JSON value, within `limit`.
pub(super) async fn evaluate<T: serde::de::DeserializeOwned>(
    page: &Page,
    expr: &str,
    limit: Duration,
    what: &'static str,
) -> Result<T, DriverError> {
    let result = tokio::time::timeout(limit, page.evaluate(expr))
        .await
        .map_err(|_| DriverError::Timeout(what))??;
    result
        .into_value()
        .map_err(|e| DriverError::BadReply(e.to_string()))
}
