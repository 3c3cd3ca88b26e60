//! Whether `WA_WEB_URL` answers, for `/ready`: a plain GET every 30 s (sooner when asked, at most
//! once per 5 s), kept, so that an operator sees an unreachable WhatsApp Web before the first
//! add-number fails, and no request to `/ready` waits on the network.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use serde::Serialize;
use tokio::sync::watch;
use tokio::time::Instant;
use utoipa::ToSchema;

use crate::supervisor::{CancellationToken, Spec, Supervisor};

/// The supervised task's name, as `/ready` lists it.
pub const PROBE_TASK: &str = "wa_web_probe";
const INTERVAL: Duration = Duration::from_secs(30);
/// The least time between two probes, however often one is asked for.
const MIN_GAP: Duration = Duration::from_secs(5);
const TIMEOUT: Duration = Duration::from_secs(10);
/// web.whatsapp.com serves its page to a browser; a bare client may be told to update instead.
const USER_AGENT: &str = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) \
                          Chrome/131.0.0.0 Safari/537.36";

/// One probe's result.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Reachability {
    /// Any HTTP answer below 500 counts: the page is there, whatever it says to a bare GET.
    pub reachable: bool,
    /// `HTTP 200`, or why there was no answer (`dns error: …`, `Connection refused …`).
    #[schema(example = "HTTP 200")]
    pub detail: String,
    pub checked_at: DateTime<Utc>,
}

/// The latest answer of `WA_WEB_URL`, kept up to date by the task [`start`] runs.
#[derive(Debug)]
pub struct WaWebProbe {
    url: String,
    latest: watch::Sender<Option<Reachability>>,
    /// Bumped by [`WaWebProbe::ask`]; a probe answers every ask made before it started.
    asked: watch::Sender<u64>,
}

impl WaWebProbe {
    pub fn new(url: &str) -> Self {
        Self {
            url: url.to_owned(),
            latest: watch::Sender::new(None),
            asked: watch::Sender::new(0),
        }
    }

    /// The probed URL, without credentials.
    pub fn url(&self) -> String {
        public_url(&self.url)
    }

    /// The last result; `None` before the first probe finished.
    pub fn latest(&self) -> Option<Reachability> {
        self.latest.borrow().clone()
    }

    /// Asks for a fresh probe; it comes at most [`MIN_GAP`] after the last one.
    pub fn ask(&self) {
        self.asked.send_modify(|n| *n += 1);
    }

    /// Probes with `check` until `stop`: every [`INTERVAL`], and sooner when asked.
    async fn watch<F, Fut>(&self, check: F, stop: CancellationToken)
    where
        F: Fn() -> Fut,
        Fut: Future<Output = Reachability>,
    {
        let mut asks = self.asked.subscribe();
        loop {
            asks.mark_unchanged();
            let result = tokio::select! {
                result = check() => result,
                () = stop.cancelled() => return,
            };
            self.record(result);
            let (next, earliest) = (Instant::now() + INTERVAL, Instant::now() + MIN_GAP);
            let asked = async {
                // The sender lives in `self`: `changed` cannot fail.
                let _ = asks.changed().await;
                tokio::time::sleep_until(earliest).await;
            };
            tokio::select! {
                () = tokio::time::sleep_until(next) => {}
                () = asked => {}
                () = stop.cancelled() => return,
            }
        }
    }

    /// Keeps `result`; a change is logged, an outage as a warning that says what to check.
    fn record(&self, result: Reachability) {
        let was = self.latest().map(|r| r.reachable);
        let url = self.url();
        match (was, result.reachable) {
            (Some(false), false) => tracing::debug!(url, detail = result.detail, "still no answer"),
            (_, false) => tracing::warn!(
                url,
                detail = result.detail,
                "WhatsApp Web does not answer: check WA_WEB_URL, the proxy and DNS"
            ),
            (Some(false), true) => tracing::info!(url, "WhatsApp Web answers again"),
            _ => tracing::debug!(url, detail = result.detail, "WhatsApp Web answers"),
        }
        self.latest.send_replace(Some(result));
    }
}

/// Runs the probe under the supervisor; it is not required: `/ready` shows it, nothing waits on it.
pub fn start(tasks: &mut Supervisor, probe: Arc<WaWebProbe>) {
    let client = reqwest::Client::builder()
        .user_agent(USER_AGENT)
        .timeout(TIMEOUT)
        .build();
    let client = match client {
        Ok(client) => client,
        Err(e) => return tracing::error!(error = %e, "no HTTP client for the WhatsApp Web probe"),
    };
    let spec = Spec {
        name: PROBE_TASK,
        required: false,
    };
    tasks.spawn(spec, move |stop| {
        let (probe, client) = (probe.clone(), client.clone());
        async move {
            let url = probe.url.clone();
            probe.watch(|| check(&client, &url), stop).await;
            Ok(())
        }
    });
}

async fn check(client: &reqwest::Client, url: &str) -> Reachability {
    let answer = client.get(url).send().await;
    verdict(
        answer
            .map(|r| r.status().as_u16())
            .map_err(|e| describe(&e)),
    )
}

fn verdict(answer: Result<u16, String>) -> Reachability {
    let (reachable, detail) = match answer {
        Ok(status) => (status < 500, format!("HTTP {status}")),
        Err(why) => (false, why),
    };
    Reachability {
        reachable,
        detail,
        checked_at: Utc::now(),
    }
}

/// The innermost cause says it best (`Connection refused`, `failed to lookup address`); the URL
/// is shown next to it already.
fn describe(e: &reqwest::Error) -> String {
    if e.is_timeout() {
        return format!("no answer within {} s", TIMEOUT.as_secs());
    }
    let mut cause: &dyn std::error::Error = e;
    while let Some(inner) = cause.source() {
        cause = inner;
    }
    cause.to_string()
}

/// `url` as it may be shown: without a user name or password.
pub fn public_url(url: &str) -> String {
    match reqwest::Url::parse(url) {
        Ok(mut parsed) => {
            let _ = parsed.set_username("");
            let _ = parsed.set_password(None);
            parsed.to_string()
        }
        Err(_) => url.to_owned(),
    }
}

#[cfg(test)]
mod tests;
