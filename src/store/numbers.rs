//! WhatsApp's answers to number checks, kept per connection so that asking again within
//! `NUMBER_CHECK_TTL` costs WhatsApp nothing.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::StoreResult;

/// What WhatsApp answered about one number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NumberCheck {
    /// The number as checked (digits).
    pub number: String,
    pub exists: bool,
    /// WhatsApp's canonical id (`…@c.us`), which can differ from the number checked.
    pub id: Option<String>,
    /// The user's `@lid` when WhatsApp told it.
    pub lid: Option<String>,
    pub checked_at: DateTime<Utc>,
}

/// Cached number checks.
#[async_trait]
pub trait NumberCheckRepo: Send + Sync {
    /// Stores the answers, replacing earlier ones for the same numbers.
    async fn put_number_checks(
        &self,
        connection_id: &str,
        checks: &[NumberCheck],
    ) -> StoreResult<()>;
    /// The stored answers for these numbers checked at `since` or later (others are left out).
    async fn get_number_checks(
        &self,
        connection_id: &str,
        numbers: &[String],
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<NumberCheck>>;
}
