//! Prometheus metrics: counters the session layer bumps as things happen, and figures read at
//! scrape time (connections by status from the store, each browser's memory and CPU from `/proc`).

use std::time::Duration;

use prometheus_client::encoding::text::{encode_eof, encode_registry};
use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;
use std::sync::atomic::AtomicU64;

use crate::procstats::TreeStats;

mod hibernation;
pub use hibernation::HibernationMetrics;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ReasonLabel {
    pub reason: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct ResultLabel {
    pub result: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TaskLabel {
    pub task: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct TaskFailureLabel {
    pub task: &'static str,
    /// `panic` or `error`.
    pub kind: &'static str,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct StatusLabel {
    status: String,
}

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
struct ConnectionLabel {
    connection_id: String,
}

/// The counters of one gateway; cheap to bump from any task.
pub struct Metrics {
    registry: Registry,
    pub qr_codes_shown: Counter,
    pub scans: Counter,
    pub messages_sent: Counter,
    pub messages_received: Counter,
    pub messages_failed: Family<ReasonLabel, Counter>,
    pub send_duration: Histogram,
    pub restores: Family<ResultLabel, Counter>,
    /// Webhook delivery attempts by outcome: `delivered`, `retry`, `dead_letter`.
    pub webhook_attempts: Family<ResultLabel, Counter>,
    /// Deliveries waiting (pending) at the dispatcher's last pass.
    pub webhook_queue_depth: Gauge,
    /// Background tasks that panicked or failed, by task and kind.
    pub task_failures: Family<TaskFailureLabel, Counter>,
    /// Restarts of supervised background tasks, by task.
    pub task_restarts: Family<TaskLabel, Counter>,
    /// Sleeping and waking numbers (hibernation).
    pub hibernation: HibernationMetrics,
    /// Warm spare browsers ready for add-number (`SPARE_BROWSERS`).
    pub spare_browsers: Gauge,
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}

impl Metrics {
    pub fn new() -> Self {
        let mut m = Self {
            registry: Registry::with_prefix("wa"),
            qr_codes_shown: Counter::default(),
            scans: Counter::default(),
            messages_sent: Counter::default(),
            messages_received: Counter::default(),
            messages_failed: Family::default(),
            // 1 ms .. ~16 s
            send_duration: Histogram::new(exponential_buckets(0.001, 2.0, 15)),
            restores: Family::default(),
            webhook_attempts: Family::default(),
            webhook_queue_depth: Gauge::default(),
            task_failures: Family::default(),
            task_restarts: Family::default(),
            hibernation: HibernationMetrics::new(),
            spare_browsers: Gauge::default(),
        };
        m.register_sessions();
        m.hibernation.register(&mut m.registry);
        m.register_background();
        m
    }

    fn register_sessions(&mut self) {
        let r = &mut self.registry;
        r.register(
            "qr_codes_shown",
            "QR codes shown",
            self.qr_codes_shown.clone(),
        );
        r.register(
            "scans",
            "Connections linked by a scan and ready",
            self.scans.clone(),
        );
        r.register("messages_sent", "Messages sent", self.messages_sent.clone());
        r.register(
            "messages_received",
            "Incoming messages",
            self.messages_received.clone(),
        );
        r.register(
            "messages_failed",
            "Sends that failed, by reason",
            self.messages_failed.clone(),
        );
        r.register(
            "send_duration_seconds",
            "Send API latency inside the gateway",
            self.send_duration.clone(),
        );
        r.register(
            "restores",
            "Linked connections restored at boot, by result (ok, expired, unavailable, failed)",
            self.restores.clone(),
        );
    }

    fn register_background(&mut self) {
        let r = &mut self.registry;
        r.register(
            "webhook_attempts",
            "Webhook delivery attempts, by outcome (delivered, retry, dead_letter)",
            self.webhook_attempts.clone(),
        );
        r.register(
            "webhook_queue_depth",
            "Webhook deliveries pending at the dispatcher's last pass",
            self.webhook_queue_depth.clone(),
        );
        r.register(
            "task_failures",
            "Background tasks that panicked or returned an error, by task and kind",
            self.task_failures.clone(),
        );
        r.register(
            "task_restarts",
            "Restarts of supervised background tasks, by task",
            self.task_restarts.clone(),
        );
        r.register(
            "spare_browsers",
            "Warm spare browsers ready for add-number (SPARE_BROWSERS)",
            self.spare_browsers.clone(),
        );
    }

    /// A background task panicked or returned an error (`kind`).
    pub fn task_failed(&self, task: &'static str, kind: &'static str) {
        self.task_failures
            .get_or_create(&TaskFailureLabel { task, kind })
            .inc();
    }

    /// The supervisor restarted a failed task.
    pub fn task_restarted(&self, task: &'static str) {
        self.task_restarts.get_or_create(&TaskLabel { task }).inc();
    }

    pub fn webhook_attempt(&self, outcome: &'static str) {
        self.webhook_attempts
            .get_or_create(&ResultLabel { result: outcome })
            .inc();
    }

    pub fn observe_send(&self, took: Duration, failure: Option<&str>) {
        self.send_duration.observe(took.as_secs_f64());
        match failure {
            None => self.messages_sent.inc(),
            Some(reason) => self
                .messages_failed
                .get_or_create(&ReasonLabel {
                    reason: reason.to_owned(),
                })
                .inc(),
        };
    }

    pub fn restored(&self, result: &'static str) {
        self.restores.get_or_create(&ResultLabel { result }).inc();
    }

    /// The text exposition: the counters, then what was read at scrape time.
    pub fn render(&self, scrape: &Scrape) -> String {
        let mut out = String::new();
        let live = scrape.registry();
        // Writing to a String cannot fail.
        let _ = encode_registry(&mut out, &self.registry);
        let _ = encode_registry(&mut out, &live);
        let _ = encode_eof(&mut out);
        out
    }
}

/// Figures read at scrape time.
#[derive(Default)]
pub struct Scrape {
    /// Connection count by store status.
    pub by_status: Vec<(String, i64)>,
    /// Each running browser's process tree.
    pub browsers: Vec<(String, TreeStats)>,
    /// The gateway process alone (its browsers excluded).
    pub gateway: Option<TreeStats>,
}

impl Scrape {
    fn registry(&self) -> Registry {
        let mut r = Registry::with_prefix("wa");
        let status: Family<StatusLabel, Gauge> = Family::default();
        for (s, n) in &self.by_status {
            status
                .get_or_create(&StatusLabel { status: s.clone() })
                .set(*n);
        }
        r.register("connections", "Connections by status", status);
        self.register_browsers(&mut r);
        self.register_gateway(&mut r);
        r
    }

    fn register_browsers(&self, r: &mut Registry) {
        let pss: Family<ConnectionLabel, Gauge> = Family::default();
        let rss: Family<ConnectionLabel, Gauge> = Family::default();
        let procs: Family<ConnectionLabel, Gauge> = Family::default();
        let cpu: Family<ConnectionLabel, Counter<f64, AtomicU64>> = Family::default();
        for (id, t) in &self.browsers {
            let l = ConnectionLabel {
                connection_id: id.clone(),
            };
            pss.get_or_create(&l).set(clamp(t.pss_bytes));
            rss.get_or_create(&l).set(clamp(t.rss_bytes));
            procs.get_or_create(&l).set(clamp(t.processes as u64));
            cpu.get_or_create(&l).inc_by(t.cpu_seconds);
        }
        r.register(
            "browser_pss_bytes",
            "PSS of the connection's Chromium process tree",
            pss,
        );
        r.register(
            "browser_rss_bytes",
            "RSS of the connection's Chromium process tree (shared pages counted per process)",
            rss,
        );
        r.register(
            "browser_processes",
            "Processes in the connection's Chromium tree",
            procs,
        );
        r.register(
            "browser_cpu_seconds",
            "CPU time of the connection's live Chromium processes",
            cpu,
        );
    }

    fn register_gateway(&self, r: &mut Registry) {
        let Some(g) = &self.gateway else { return };
        let pss: Gauge = Gauge::default();
        pss.set(clamp(g.pss_bytes));
        r.register("gateway_pss_bytes", "PSS of the gateway process alone", pss);
        let cpu: Counter<f64, AtomicU64> = Counter::default();
        cpu.inc_by(g.cpu_seconds);
        r.register(
            "gateway_cpu_seconds",
            "CPU time of the gateway process alone",
            cpu,
        );
    }
}

fn clamp(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_exposition_names_counters_and_live_figures() {
        let m = Metrics::new();
        m.observe_send(Duration::from_millis(12), None);
        m.observe_send(Duration::from_millis(3), Some("not_ready"));
        m.restored("ok");
        m.task_failed("webhook_fanout", "panic");
        m.task_restarted("webhook_fanout");
        let scrape = Scrape {
            by_status: vec![("connected".into(), 2)],
            browsers: vec![(
                "abc".into(),
                TreeStats {
                    pid: 1,
                    processes: 4,
                    pss_bytes: 1000,
                    rss_bytes: 2000,
                    cpu_seconds: 1.5,
                    uptime_seconds: 3.0,
                },
            )],
            gateway: None,
        };
        let text = m.render(&scrape);
        for needle in [
            "wa_messages_sent_total 1",
            "wa_messages_failed_total{reason=\"not_ready\"} 1",
            "wa_send_duration_seconds_count 2",
            "wa_restores_total{result=\"ok\"} 1",
            "wa_task_failures_total{task=\"webhook_fanout\",kind=\"panic\"} 1",
            "wa_task_restarts_total{task=\"webhook_fanout\"} 1",
            "wa_connections{status=\"connected\"} 2",
            "wa_browser_pss_bytes{connection_id=\"abc\"} 1000",
            "wa_browser_cpu_seconds_total{connection_id=\"abc\"} 1.5",
        ] {
            assert!(text.contains(needle), "{needle} missing in\n{text}");
        }
        assert_eq!(text.matches("# EOF").count(), 1);
    }
}
