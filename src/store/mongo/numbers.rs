//! Number checks: `{ connectionId, number, exists, id, lid, checkedAt }`, unique per
//! `(connectionId, number)`, replaced on every new answer.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{doc, Document};
use mongodb::options::{IndexOptions, ReplaceOptions};
use mongodb::{Collection, IndexModel};

use super::codec::{date, opt_str, required_date};
use super::{map_err, MongoStore};
use crate::store::{NumberCheck, NumberCheckRepo, StoreError, StoreResult};

impl MongoStore {
    fn number_checks(&self) -> Collection<Document> {
        self.db.collection("numberChecks")
    }

    pub(super) async fn ensure_number_check_indexes(&self) -> StoreResult<()> {
        let options = IndexOptions::builder().unique(true).build();
        let unique = IndexModel::builder()
            .keys(doc! { "connectionId": 1, "number": 1 })
            .options(options)
            .build();
        self.number_checks()
            .create_index(unique)
            .await
            .map_err(map_err)?;
        Ok(())
    }
}

fn decode(d: &Document) -> StoreResult<NumberCheck> {
    let bad = |f: &str| StoreError::Corrupt(format!("number check field {f:?} is malformed"));
    let text = |f: &str| d.get_str(f).ok().map(str::to_owned);
    Ok(NumberCheck {
        number: text("number").ok_or_else(|| bad("number"))?,
        exists: d.get_bool("exists").map_err(|_| bad("exists"))?,
        id: text("id"),
        lid: text("lid"),
        checked_at: required_date(d, "checkedAt")?,
    })
}

#[async_trait]
impl NumberCheckRepo for MongoStore {
    async fn put_number_checks(
        &self,
        connection_id: &str,
        checks: &[NumberCheck],
    ) -> StoreResult<()> {
        let upsert = ReplaceOptions::builder().upsert(true).build();
        for c in checks {
            let key = doc! { "connectionId": connection_id, "number": &c.number };
            let mut record = key.clone();
            record.extend(doc! {
                "exists": c.exists, "id": opt_str(c.id.as_deref()),
                "lid": opt_str(c.lid.as_deref()), "checkedAt": date(c.checked_at),
            });
            self.number_checks()
                .replace_one(key, record)
                .with_options(upsert.clone())
                .await
                .map_err(map_err)?;
        }
        Ok(())
    }

    async fn get_number_checks(
        &self,
        connection_id: &str,
        numbers: &[String],
        since: DateTime<Utc>,
    ) -> StoreResult<Vec<NumberCheck>> {
        let filter = doc! {
            "connectionId": connection_id,
            "number": { "$in": numbers },
            "checkedAt": { "$gte": date(since) },
        };
        let docs: Vec<Document> = self
            .number_checks()
            .find(filter)
            .await
            .map_err(map_err)?
            .try_collect()
            .await
            .map_err(map_err)?;
        docs.iter().map(decode).collect()
    }
}
