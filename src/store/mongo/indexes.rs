//! Indexes, created at connect (a no-op when they exist). The unique ones carry the store's
//! `Conflict` rules; the rest serve the listings.

use mongodb::bson::{doc, Document};
use mongodb::options::IndexOptions;
use mongodb::{Collection, IndexModel};

use super::{map_err, MongoStore};
use crate::store::StoreResult;

fn unique(keys: Document) -> IndexModel {
    let options = IndexOptions::builder().unique(true).build();
    IndexModel::builder().keys(keys).options(options).build()
}

fn plain(keys: Document) -> IndexModel {
    IndexModel::builder().keys(keys).build()
}

async fn create(
    collection: &Collection<Document>,
    models: impl IntoIterator<Item = IndexModel>,
) -> StoreResult<()> {
    collection.create_indexes(models).await.map_err(map_err)?;
    Ok(())
}

impl MongoStore {
    pub(super) async fn ensure_indexes(&self) -> StoreResult<()> {
        self.ensure_connection_indexes().await?;
        self.ensure_event_indexes().await?;
        self.ensure_message_indexes().await?;
        self.ensure_number_check_indexes().await?;
        create(
            &self.media_index,
            [
                unique(doc! { "connectionId": 1, "messageId": 1 }),
                plain(doc! { "storedAt": 1 }),
                plain(doc! { "sha256": 1 }),
            ],
        )
        .await?;
        create(
            &self.api_keys,
            [
                unique(doc! { "id": 1 }),
                unique(doc! { "keyHash": 1 }),
                plain(doc! { "tenant": 1, "createdAt": 1, "id": 1 }),
            ],
        )
        .await
    }

    async fn ensure_connection_indexes(&self) -> StoreResult<()> {
        create(
            &self.connections,
            [
                unique(doc! { "connectionId": 1 }),
                plain(doc! { "status": 1 }),
                plain(doc! { "tenant": 1 }),
            ],
        )
        .await?;
        create(&self.webhooks, [unique(doc! { "connectionId": 1 })]).await
    }

    /// The outbox, its deliveries and the fan-out's cursor.
    async fn ensure_event_indexes(&self) -> StoreResult<()> {
        create(
            &self.events,
            [
                unique(doc! { "id": 1 }),
                plain(doc! { "connectionId": 1, "id": 1 }),
            ],
        )
        .await?;
        create(
            &self.deliveries,
            [
                unique(doc! { "id": 1 }),
                unique(doc! { "eventId": 1, "target": 1 }),
                plain(doc! { "status": 1, "eventId": 1 }),
                plain(doc! { "connectionId": 1 }),
            ],
        )
        .await?;
        create(&self.cursors, [unique(doc! { "name": 1 })]).await
    }

    async fn ensure_message_indexes(&self) -> StoreResult<()> {
        create(
            &self.messages,
            [
                unique(doc! { "connectionId": 1, "messageId": 1 }),
                plain(doc! { "messageId": 1 }),
                plain(doc! { "connectionId": 1, "seq": 1 }),
            ],
        )
        .await?;
        create(
            &self.idempotency,
            [unique(doc! { "connectionId": 1, "key": 1 })],
        )
        .await
    }
}
