//! Sends pending webhook deliveries: each connection's events to each webhook strictly in order,
//! different connections in parallel, retried with exponential backoff and jitter on network
//! errors, 5xx and 429, and kept as dead letters when a receiver refuses them or never recovers.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use rand::Rng;
use tokio::sync::{Notify, Semaphore};
use tokio::task::{JoinError, JoinSet};
use tokio_util::sync::CancellationToken;

use super::signature;
use crate::config::WebhookSettings;
use crate::metrics::Metrics;
use crate::store::{Delivery, DeliveryStatus, Store, StoreResult, WebhookTarget};

/// Pending deliveries read per scheduling pass; each lane's head is all that can be sent.
const PAGE: usize = 10_000;
const IDLE_PASS: Duration = Duration::from_secs(1);
const ERROR_TEXT_MAX: usize = 300;
/// How long a stopping dispatcher lets the attempts in flight finish.
const DRAIN_LIMIT: Duration = Duration::from_secs(15);

/// Deliveries of one connection to one webhook: sent one at a time, in event order.
type Lane = (String, WebhookTarget);

pub struct Dispatcher {
    store: Arc<dyn Store>,
    settings: Arc<WebhookSettings>,
    http: reqwest::Client,
    /// For webhooks set with a tenant key: public addresses only, on every hop.
    guarded_http: reqwest::Client,
    wake: Arc<Notify>,
    busy: Mutex<HashSet<Lane>>,
    /// The attempts started and not yet reaped; they outlive a restart of [`Self::run`].
    inflight: Mutex<JoinSet<()>>,
    permits: Arc<Semaphore>,
    metrics: Arc<Metrics>,
}

/// What one attempt came to.
enum Outcome {
    Delivered(u16),
    Retry {
        status: Option<u16>,
        error: String,
        after: Option<Duration>,
    },
    Refused {
        status: Option<u16>,
        error: String,
    },
}

impl Dispatcher {
    pub fn new(
        store: Arc<dyn Store>,
        settings: Arc<WebhookSettings>,
        wake: Arc<Notify>,
        metrics: Arc<Metrics>,
    ) -> Arc<Self> {
        let builder = || {
            reqwest::Client::builder()
                .timeout(settings.timeout)
                .user_agent(concat!("wa-gateway/", env!("CARGO_PKG_VERSION")))
        };
        let http = builder().build().expect("a TLS backend is compiled in");
        let guarded_http = settings.targets.client(builder());
        Arc::new(Self {
            permits: Arc::new(Semaphore::new(settings.concurrency.max(1))),
            store,
            settings,
            http,
            guarded_http,
            wake,
            busy: Mutex::new(HashSet::new()),
            inflight: Mutex::new(JoinSet::new()),
            metrics,
        })
    }

    /// Runs until `stop`: a pass whenever woken (new deliveries, a lane freed) or when the next
    /// retry falls due. Then lets the attempts in flight finish (up to a bound) and starts none.
    pub async fn run(self: Arc<Self>, stop: CancellationToken) {
        loop {
            let next_due = match self.schedule().await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "webhook scheduling failed; will retry");
                    None
                }
            };
            let pause = next_due
                .and_then(|at| (at - Utc::now()).to_std().ok())
                .map_or(IDLE_PASS, |d| d.min(IDLE_PASS));
            tokio::select! {
                _ = self.wake.notified() => {}
                _ = tokio::time::sleep(pause) => {}
                _ = stop.cancelled() => return self.drain().await,
            }
        }
    }

    /// Waits for the attempts in flight; what is still running at the limit is abandoned and
    /// stays pending, so the next start sends it.
    async fn drain(&self) {
        let mut inflight = std::mem::take(&mut *self.inflight.lock().unwrap());
        let count = inflight.len();
        let drained = tokio::time::timeout(DRAIN_LIMIT, async {
            while let Some(done) = inflight.join_next().await {
                self.reaped(done);
            }
        })
        .await;
        match drained {
            Ok(()) => tracing::debug!(count, "webhook attempts in flight finished"),
            Err(_) => tracing::warn!(
                left = inflight.len(),
                "webhook attempts still in flight at shutdown were stopped; they stay pending \
                 and are sent at the next start"
            ),
        }
    }

    /// Starts an attempt for every idle lane whose head is due; returns the earliest later due.
    async fn schedule(self: &Arc<Self>) -> StoreResult<Option<DateTime<Utc>>> {
        self.reap();
        let pending = self.store.pending_deliveries(PAGE).await?;
        self.metrics.webhook_queue_depth.set(pending.len() as i64);
        let now = Utc::now();
        let mut heads = HashSet::new();
        let mut next_due = None;
        for delivery in pending {
            let lane = (delivery.connection_id.clone(), delivery.target);
            if !heads.insert(lane.clone()) {
                continue;
            }
            if delivery.next_attempt_at > now {
                next_due = Some(
                    next_due.map_or(delivery.next_attempt_at, |d: DateTime<Utc>| {
                        d.min(delivery.next_attempt_at)
                    }),
                );
                continue;
            }
            if !self.busy.lock().unwrap().insert(lane.clone()) {
                continue;
            }
            self.start(lane, delivery);
        }
        Ok(next_due)
    }

    fn start(self: &Arc<Self>, lane: Lane, delivery: Delivery) {
        let guard = LaneGuard {
            dispatcher: self.clone(),
            lane,
        };
        self.inflight.lock().unwrap().spawn(async move {
            let this = &guard.dispatcher;
            let _permit = this.permits.clone().acquire_owned().await;
            if let Err(e) = this.attempt(delivery).await {
                tracing::warn!(error = %e, "webhook delivery not recorded; will retry");
            }
        });
    }

    /// Collects finished attempts so the set does not grow.
    fn reap(&self) {
        let mut inflight = self.inflight.lock().unwrap();
        while let Some(done) = inflight.try_join_next() {
            self.reaped(done);
        }
    }

    fn reaped(&self, done: Result<(), JoinError>) {
        if let Err(e) = done {
            if e.is_panic() {
                tracing::error!(error = ?e, "a webhook attempt panicked; its delivery stays pending");
                self.metrics.task_failed("webhook_attempt", "panic");
            }
        }
    }

    async fn attempt(&self, mut delivery: Delivery) -> StoreResult<()> {
        let outcome = self.post(&mut delivery).await?;
        delivery.attempts += 1;
        let now = crate::store::now();
        delivery.updated_at = now;
        match outcome {
            Outcome::Delivered(code) => {
                self.metrics.webhook_attempt("delivered");
                delivery.status = DeliveryStatus::Delivered;
                delivery.last_status_code = Some(code);
                delivery.last_error = None;
                delivery.delivered_at = Some(now);
            }
            Outcome::Refused { status, error } => {
                self.metrics.webhook_attempt("dead_letter");
                tracing::warn!(delivery = %delivery.id, ?status, "webhook refused an event; kept as a dead letter");
                delivery.status = DeliveryStatus::Failed;
                delivery.last_status_code = status;
                delivery.last_error = Some(error);
            }
            Outcome::Retry {
                status,
                error,
                after,
            } => {
                delivery.last_status_code = status;
                delivery.last_error = Some(error);
                let exhausted = delivery.attempts >= self.settings.max_attempts;
                self.metrics
                    .webhook_attempt(if exhausted { "dead_letter" } else { "retry" });
                if exhausted {
                    tracing::warn!(delivery = %delivery.id, "webhook retries exhausted; kept as a dead letter");
                    delivery.status = DeliveryStatus::Failed;
                } else {
                    let pause = after
                        .unwrap_or_default()
                        .max(self.backoff(delivery.attempts));
                    delivery.next_attempt_at =
                        now + chrono::Duration::from_std(pause).unwrap_or_default();
                }
            }
        }
        self.store.update_delivery(&delivery).await
    }

    /// One POST of the event to the delivery's webhook.
    async fn post(&self, delivery: &mut Delivery) -> StoreResult<Outcome> {
        let Some(mut event) = self.store.get_event(&delivery.event_id).await? else {
            return Ok(refused("the event is no longer stored"));
        };
        super::inline_media::inline(self.store.as_ref(), &self.settings, &mut event).await?;
        let (url, secret, headers, http) = match delivery.target {
            WebhookTarget::Global => match &self.settings.url {
                Some(url) => (
                    url.clone(),
                    self.settings.secret.as_ref().map(|s| s.expose().to_owned()),
                    Default::default(),
                    &self.http,
                ),
                None => return Ok(refused("WEBHOOK_URL is no longer set")),
            },
            WebhookTarget::Connection => {
                match self.store.get_webhook(&delivery.connection_id).await? {
                    Some(hook) if hook.guarded => {
                        // The resolver checks names; an address in the URL is checked here.
                        let url = reqwest::Url::parse(&hook.url);
                        let checked = url.map_err(|e| e.to_string()).and_then(|url| {
                            let targets = &self.settings.targets;
                            targets.check_url(&url).map_err(|blocked| blocked.0)
                        });
                        if let Err(why) = checked {
                            return Ok(refused(&format!(
                                "the webhook's address is refused: {why}"
                            )));
                        }
                        (hook.url, hook.secret, hook.headers, &self.guarded_http)
                    }
                    Some(hook) => (hook.url, hook.secret, hook.headers, &self.http),
                    None => return Ok(refused("the connection's webhook was removed")),
                }
            }
        };
        // A receiver fixed by changing the URL gets what is still pending.
        delivery.url = url.clone();
        let body = serde_json::to_vec(&event).expect("events serialize");
        let mut request = http
            .post(&url)
            .header("content-type", "application/json")
            .header("x-webhook-id", &event.id)
            .header("x-webhook-event", &event.event)
            .header("x-webhook-timestamp", Utc::now().timestamp().to_string());
        if let Some(secret) = secret {
            request = request.header("x-hub-signature-256", signature::sign(&secret, &body));
        }
        for (name, value) in &headers {
            request = request.header(name, value);
        }
        Ok(match request.body(body).send().await {
            Ok(response) => classify(&response),
            Err(e) => match crate::net::blocked_cause(&e) {
                Some(blocked) => refused(&format!("the webhook's address is refused: {blocked}")),
                None => Outcome::Retry {
                    status: None,
                    error: truncate(&e.to_string()),
                    after: None,
                },
            },
        })
    }

    /// `base * 2^(attempt-1)`, capped, then ±20 % so that many retries do not arrive together.
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .settings
            .retry_base
            .saturating_mul(1u32 << attempt.saturating_sub(1).min(20))
            .min(self.settings.retry_max);
        exp.mul_f64(rand::rng().random_range(0.8..1.2))
    }
}

/// Frees its lane when the attempt ends, however it ends (done, panicked, stopped at shutdown), and
/// wakes the scheduler for the lane's next delivery.
struct LaneGuard {
    dispatcher: Arc<Dispatcher>,
    lane: Lane,
}

impl Drop for LaneGuard {
    fn drop(&mut self) {
        let busy = &self.dispatcher.busy;
        busy.lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.lane);
        self.dispatcher.wake.notify_one();
    }
}

fn classify(response: &reqwest::Response) -> Outcome {
    let status = response.status();
    let code = status.as_u16();
    if status.is_success() {
        return Outcome::Delivered(code);
    }
    let error = format!("receiver answered {status}");
    if code == 429 || status.is_server_error() {
        let after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.trim().parse::<u64>().ok())
            .map(Duration::from_secs);
        return Outcome::Retry {
            status: Some(code),
            error,
            after,
        };
    }
    Outcome::Refused {
        status: Some(code),
        error,
    }
}

fn refused(why: &str) -> Outcome {
    Outcome::Refused {
        status: None,
        error: why.to_owned(),
    }
}

fn truncate(text: &str) -> String {
    text.chars().take(ERROR_TEXT_MAX).collect()
}
