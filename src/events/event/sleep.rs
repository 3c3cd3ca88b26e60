//! The payloads of hibernation's events, `asleep` and `awake`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// The data of an `asleep` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AsleepData {
    /// `idle` (no activity for `HIBERNATE_AFTER`), `scheduled` (back to sleep after a scheduled
    /// wake) or `evicted` (made room within `MAX_AWAKE`).
    pub reason: String,
    /// When it is due to wake at the latest.
    #[schema(value_type = String, format = DateTime)]
    pub next_wake: DateTime<Utc>,
}

/// The data of an `awake` event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AwakeData {
    /// `demand` (a send or a request that needs the live page) or `schedule` (to take the
    /// messages WhatsApp held; it sleeps again afterwards).
    pub reason: String,
    /// From the wake's start until the number was ready, in milliseconds.
    pub latency_ms: u64,
}
