//! Webhook settings: one document per connection. Headers are stored as `[{ name, value }]`
//! because header names may contain `.` and `$`, which BSON keys handle badly.

use async_trait::async_trait;
use mongodb::bson::{doc, Bson, Document};

use super::codec::{corrupt, date, field, get_str, opt_str, required_str};
use super::{map_err, MongoStore};
use crate::store::{now, StoreResult, WebhookConfig, WebhookRepo};

fn webhook_doc(connection_id: &str, w: &WebhookConfig) -> Document {
    let headers: Vec<Bson> = w
        .headers
        .iter()
        .map(|(name, value)| Bson::Document(doc! { "name": name, "value": value }))
        .collect();
    doc! {
        "connectionId": connection_id,
        "url": &w.url,
        "events": &w.events,
        "secret": opt_str(w.secret.as_deref()),
        "headers": headers,
        "guarded": w.guarded,
        "updatedAt": date(now()),
    }
}

fn decode_webhook(d: &Document) -> StoreResult<WebhookConfig> {
    let events = match field(d, "events") {
        None => Vec::new(),
        Some(Bson::Array(items)) => items
            .iter()
            .map(|b| {
                b.as_str()
                    .map(str::to_owned)
                    .ok_or_else(|| corrupt("events", d))
            })
            .collect::<StoreResult<_>>()?,
        Some(_) => return Err(corrupt("events", d)),
    };
    let headers = match field(d, "headers") {
        None => Default::default(),
        Some(Bson::Array(items)) => items
            .iter()
            .map(|b| match b {
                Bson::Document(h) => Ok((required_str(h, "name")?, required_str(h, "value")?)),
                _ => Err(corrupt("headers", d)),
            })
            .collect::<StoreResult<_>>()?,
        Some(_) => return Err(corrupt("headers", d)),
    };
    Ok(WebhookConfig {
        url: required_str(d, "url")?,
        events,
        secret: get_str(d, "secret")?,
        headers,
        // Absent in documents from before the guard: those were not guarded.
        guarded: d.get_bool("guarded").unwrap_or(false),
    })
}

#[async_trait]
impl WebhookRepo for MongoStore {
    async fn put_webhook(&self, connection_id: &str, webhook: &WebhookConfig) -> StoreResult<()> {
        self.webhooks
            .replace_one(
                doc! { "connectionId": connection_id },
                webhook_doc(connection_id, webhook),
            )
            .upsert(true)
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn get_webhook(&self, connection_id: &str) -> StoreResult<Option<WebhookConfig>> {
        let found = self
            .webhooks
            .find_one(doc! { "connectionId": connection_id })
            .await
            .map_err(map_err)?;
        found.as_ref().map(decode_webhook).transpose()
    }

    async fn delete_webhook(&self, connection_id: &str) -> StoreResult<bool> {
        let result = self
            .webhooks
            .delete_one(doc! { "connectionId": connection_id })
            .await
            .map_err(map_err)?;
        Ok(result.deleted_count > 0)
    }
}
