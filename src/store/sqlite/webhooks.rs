//! Per-connection webhook settings; the event list and headers are JSON text.

use async_trait::async_trait;
use rusqlite::{params, OptionalExtension};

use super::rows::{from_json, millis, to_json};
use super::{map_err, SqliteStore};
use crate::store::{now, StoreResult, WebhookConfig, WebhookRepo};

#[async_trait]
impl WebhookRepo for SqliteStore {
    async fn put_webhook(&self, connection_id: &str, webhook: &WebhookConfig) -> StoreResult<()> {
        let id = connection_id.to_owned();
        let w = webhook.clone();
        let events = to_json(&w.events)?;
        let headers = to_json(&w.headers)?;
        self.call(move |db| {
            db.execute(
                "INSERT INTO webhooks (connection_id, url, events, secret, headers, updated_at,
                    guarded)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (connection_id) DO UPDATE SET url = excluded.url,
                    events = excluded.events, secret = excluded.secret,
                    headers = excluded.headers, updated_at = excluded.updated_at,
                    guarded = excluded.guarded",
                params![
                    id,
                    w.url,
                    events,
                    w.secret,
                    headers,
                    millis(now()),
                    w.guarded
                ],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn get_webhook(&self, connection_id: &str) -> StoreResult<Option<WebhookConfig>> {
        let id = connection_id.to_owned();
        let raw = self
            .call(move |db| {
                db.query_row(
                    "SELECT url, events, secret, headers, guarded FROM webhooks
                     WHERE connection_id = ?1",
                    [id],
                    |row| {
                        Ok((
                            row.get::<_, String>(0)?,
                            row.get::<_, String>(1)?,
                            row.get::<_, Option<String>>(2)?,
                            row.get::<_, String>(3)?,
                            row.get::<_, bool>(4)?,
                        ))
                    },
                )
                .optional()
                .map_err(map_err)
            })
            .await?;
        raw.map(|(url, events, secret, headers, guarded)| {
            Ok(WebhookConfig {
                url,
                events: from_json("events", &events)?,
                secret,
                headers: from_json("headers", &headers)?,
                guarded,
            })
        })
        .transpose()
    }

    async fn delete_webhook(&self, connection_id: &str) -> StoreResult<bool> {
        let id = connection_id.to_owned();
        self.call(move |db| {
            let n = db
                .execute("DELETE FROM webhooks WHERE connection_id = ?1", [id])
                .map_err(map_err)?;
            Ok(n > 0)
        })
        .await
    }
}
