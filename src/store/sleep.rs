//! Hibernation's memory across restarts: which linked numbers sleep, when each was last awake
//! and when it is due to wake, so that a restart keeps sleeping numbers asleep.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;

/// One connection's sleep state.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SleepRecord {
    pub connection_id: String,
    /// Its browser is closed on purpose; the login is in the archive.
    pub asleep: bool,
    /// When it was last online (awake and linked), if ever seen.
    pub last_awake: Option<DateTime<Utc>>,
    /// When a sleeping number is due to wake.
    pub next_wake: Option<DateTime<Utc>>,
}

/// Sleep states, one per connection.
#[async_trait]
pub trait SleepRepo: Send + Sync {
    /// Creates or replaces the connection's sleep state.
    async fn put_sleep(&self, record: &SleepRecord) -> StoreResult<()>;
    /// Every stored sleep state (the caller keeps those of connected numbers).
    async fn list_sleep(&self) -> StoreResult<Vec<SleepRecord>>;
}
