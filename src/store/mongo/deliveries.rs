//! Webhook deliveries: one document per `(eventId, target)`, enforced by a unique index.

use async_trait::async_trait;
use futures::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};

use super::codec::{
    corrupt, date, get_date, get_i64, get_str, opt_date, opt_str, require, required_date,
    required_str,
};
use super::{map_err, MongoStore};
use crate::store::names::parse_name;
use crate::store::{Delivery, DeliveryFilter, DeliveryRepo, StoreError, StoreResult};

fn delivery_doc(d: &Delivery) -> Document {
    doc! {
        "id": &d.id,
        "eventId": &d.event_id,
        "event": &d.event,
        "connectionId": &d.connection_id,
        "target": d.target.as_str(),
        "url": &d.url,
        "status": d.status.as_str(),
        "attempts": i64::from(d.attempts),
        "nextAttemptAt": date(d.next_attempt_at),
        "lastError": opt_str(d.last_error.as_deref()),
        "lastStatusCode": d.last_status_code.map_or(Bson::Null, |c| Bson::Int32(c.into())),
        "createdAt": date(d.created_at),
        "updatedAt": date(d.updated_at),
        "deliveredAt": opt_date(d.delivered_at),
    }
}

fn decode_delivery(d: &Document) -> StoreResult<Delivery> {
    let attempts = require(get_i64(d, "attempts")?, "attempts", d)?;
    let code = get_i64(d, "lastStatusCode")?;
    Ok(Delivery {
        id: required_str(d, "id")?,
        event_id: required_str(d, "eventId")?,
        event: required_str(d, "event")?,
        connection_id: required_str(d, "connectionId")?,
        target: parse_name("delivery target", &required_str(d, "target")?)?,
        url: required_str(d, "url")?,
        status: parse_name("delivery status", &required_str(d, "status")?)?,
        attempts: u32::try_from(attempts).map_err(|_| corrupt("attempts", d))?,
        next_attempt_at: required_date(d, "nextAttemptAt")?,
        last_error: get_str(d, "lastError")?,
        last_status_code: code
            .map(u16::try_from)
            .transpose()
            .map_err(|_| corrupt("lastStatusCode", d))?,
        created_at: required_date(d, "createdAt")?,
        updated_at: required_date(d, "updatedAt")?,
        delivered_at: get_date(d, "deliveredAt")?,
    })
}

impl MongoStore {
    async fn find_deliveries(
        &self,
        filter: Document,
        sort: Document,
        limit: usize,
    ) -> StoreResult<Vec<Delivery>> {
        // MongoDB reads a limit of 0 as "no limit".
        if limit == 0 {
            return Ok(Vec::new());
        }
        let docs: Vec<Document> = self
            .deliveries
            .find(filter)
            .sort(sort)
            .limit(i64::try_from(limit).unwrap_or(i64::MAX))
            .await
            .map_err(map_err)?
            .try_collect()
            .await
            .map_err(map_err)?;
        docs.iter().map(decode_delivery).collect()
    }
}

#[async_trait]
impl DeliveryRepo for MongoStore {
    async fn insert_delivery(&self, delivery: &Delivery) -> StoreResult<()> {
        self.deliveries
            .insert_one(delivery_doc(delivery))
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn update_delivery(&self, delivery: &Delivery) -> StoreResult<()> {
        let result = self
            .deliveries
            .replace_one(doc! { "id": &delivery.id }, delivery_doc(delivery))
            .await
            .map_err(map_err)?;
        match result.matched_count {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    async fn get_delivery(&self, id: &str) -> StoreResult<Option<Delivery>> {
        let found = self
            .deliveries
            .find_one(doc! { "id": id })
            .await
            .map_err(map_err)?;
        found.as_ref().map(decode_delivery).transpose()
    }

    async fn pending_deliveries(&self, limit: usize) -> StoreResult<Vec<Delivery>> {
        self.find_deliveries(
            doc! { "status": "pending" },
            doc! { "eventId": 1, "target": 1 },
            limit,
        )
        .await
    }

    async fn list_deliveries(&self, filter: &DeliveryFilter) -> StoreResult<Vec<Delivery>> {
        let mut query = Document::new();
        if let Some(c) = &filter.connection_id {
            query.insert("connectionId", c);
        }
        if let Some(s) = filter.status {
            query.insert("status", s.as_str());
        }
        if let Some(before) = &filter.before_id {
            query.insert("id", doc! { "$lt": before });
        }
        self.find_deliveries(query, doc! { "id": -1 }, filter.limit)
            .await
    }
}
