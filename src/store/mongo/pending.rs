//! TEMPORARY: the delivery-tracking repos for MongoDB are being written; until then they answer
//! `Unavailable` so the crate builds and the SQLite backend can be used.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::MongoStore;
use crate::store::*;

fn later<T>() -> StoreResult<T> {
    Err(StoreError::Unavailable(
        "not implemented for MongoDB yet".into(),
    ))
}

#[async_trait]
impl WebhookRepo for MongoStore {
    async fn put_webhook(&self, _: &str, _: &WebhookConfig) -> StoreResult<()> {
        later()
    }
    async fn get_webhook(&self, _: &str) -> StoreResult<Option<WebhookConfig>> {
        later()
    }
    async fn delete_webhook(&self, _: &str) -> StoreResult<bool> {
        later()
    }
}
#[async_trait]
impl DeliveryRepo for MongoStore {
    async fn insert_delivery(&self, _: &Delivery) -> StoreResult<()> {
        later()
    }
    async fn update_delivery(&self, _: &Delivery) -> StoreResult<()> {
        later()
    }
    async fn get_delivery(&self, _: &str) -> StoreResult<Option<Delivery>> {
        later()
    }
    async fn pending_deliveries(&self, _: usize) -> StoreResult<Vec<Delivery>> {
        later()
    }
    async fn list_deliveries(&self, _: &DeliveryFilter) -> StoreResult<Vec<Delivery>> {
        later()
    }
}
#[async_trait]
impl CursorRepo for MongoStore {
    async fn get_cursor(&self, _: &str) -> StoreResult<Option<String>> {
        later()
    }
    async fn set_cursor(&self, _: &str, _: &str) -> StoreResult<()> {
        later()
    }
}
#[async_trait]
impl MessageRepo for MongoStore {
    async fn insert_message(&self, _: &MessageRecord) -> StoreResult<()> {
        later()
    }
    async fn apply_ack(
        &self,
        _: &str,
        _: &str,
        _: i64,
        _: DateTime<Utc>,
    ) -> StoreResult<Option<MessageRecord>> {
        later()
    }
    async fn get_message(&self, _: &str, _: Option<&str>) -> StoreResult<Option<MessageRecord>> {
        later()
    }
    async fn list_messages(&self, _: &MessageFilter) -> StoreResult<Vec<MessageRecord>> {
        later()
    }
}
#[async_trait]
impl IdempotencyRepo for MongoStore {
    async fn claim_idempotency(&self, _: &str, _: &str, _: &str) -> StoreResult<IdempotencyClaim> {
        later()
    }
    async fn complete_idempotency(
        &self,
        _: &str,
        _: &str,
        _: &serde_json::Value,
    ) -> StoreResult<()> {
        later()
    }
    async fn release_idempotency(&self, _: &str, _: &str) -> StoreResult<()> {
        later()
    }
}
