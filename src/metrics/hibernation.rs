//! Hibernation's figures: numbers awake and asleep, wakes by reason, and how long a wake takes.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::{exponential_buckets, Histogram};
use prometheus_client::registry::Registry;

#[derive(Clone, Debug, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct WakeLabel {
    pub reason: &'static str,
}

pub struct HibernationMetrics {
    /// Linked numbers whose browser runs.
    pub awake: Gauge,
    /// Linked numbers asleep (browser closed on purpose).
    pub asleep: Gauge,
    /// Wakes by reason: `demand`, `schedule`.
    pub wakes: Family<WakeLabel, Counter>,
    /// Sleeps by reason: `idle`, `scheduled`, `evicted`.
    pub sleeps: Family<WakeLabel, Counter>,
    /// From a wake's start until the number is ready.
    pub wake_latency: Histogram,
}

impl HibernationMetrics {
    pub(super) fn new() -> Self {
        Self {
            awake: Gauge::default(),
            asleep: Gauge::default(),
            wakes: Family::default(),
            sleeps: Family::default(),
            // 50 ms .. ~100 s
            wake_latency: Histogram::new(exponential_buckets(0.05, 2.0, 12)),
        }
    }

    pub(super) fn register(&self, r: &mut Registry) {
        r.register(
            "numbers_awake",
            "Linked numbers whose browser runs",
            self.awake.clone(),
        );
        r.register(
            "numbers_asleep",
            "Linked numbers asleep (hibernation)",
            self.asleep.clone(),
        );
        r.register(
            "wakes",
            "Sleeping numbers woken, by reason (demand, schedule)",
            self.wakes.clone(),
        );
        r.register(
            "sleeps",
            "Numbers put to sleep, by reason (idle, scheduled, evicted)",
            self.sleeps.clone(),
        );
        r.register(
            "wake_duration_seconds",
            "From a wake's start until the number is ready",
            self.wake_latency.clone(),
        );
    }

    pub fn woke(&self, reason: &'static str, took: std::time::Duration) {
        self.wakes.get_or_create(&WakeLabel { reason }).inc();
        self.wake_latency.observe(took.as_secs_f64());
    }

    pub fn slept(&self, reason: &'static str) {
        self.sleeps.get_or_create(&WakeLabel { reason }).inc();
    }

    /// The counts after a change.
    pub fn set_counts(&self, awake: usize, asleep: usize) {
        self.awake.set(awake as i64);
        self.asleep.set(asleep as i64);
    }
}
