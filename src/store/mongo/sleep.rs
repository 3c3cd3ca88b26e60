//! Sleep states: `{ connectionId, asleep, lastAwake, nextWake }` in `sleep`, one per connection
//! (`connectionId` is the `_id`), replaced on every change.

use async_trait::async_trait;
use futures::TryStreamExt;
use mongodb::bson::{doc, Document};
use mongodb::options::ReplaceOptions;
use mongodb::Collection;

use super::codec::{get_date, opt_date};
use super::{map_err, MongoStore};
use crate::store::{SleepRecord, SleepRepo, StoreError, StoreResult};

impl MongoStore {
    fn sleep_states(&self) -> Collection<Document> {
        self.db.collection("sleep")
    }
}

fn decode(d: &Document) -> StoreResult<SleepRecord> {
    let bad = |f: &str| StoreError::Corrupt(format!("sleep state field {f:?} is malformed"));
    Ok(SleepRecord {
        connection_id: d.get_str("_id").map_err(|_| bad("_id"))?.to_owned(),
        asleep: d.get_bool("asleep").map_err(|_| bad("asleep"))?,
        last_awake: get_date(d, "lastAwake")?,
        next_wake: get_date(d, "nextWake")?,
    })
}

#[async_trait]
impl SleepRepo for MongoStore {
    async fn put_sleep(&self, r: &SleepRecord) -> StoreResult<()> {
        let record = doc! {
            "_id": &r.connection_id, "asleep": r.asleep,
            "lastAwake": opt_date(r.last_awake), "nextWake": opt_date(r.next_wake),
        };
        self.sleep_states()
            .replace_one(doc! { "_id": &r.connection_id }, record)
            .with_options(ReplaceOptions::builder().upsert(true).build())
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn list_sleep(&self) -> StoreResult<Vec<SleepRecord>> {
        let docs: Vec<Document> = self
            .sleep_states()
            .find(doc! {})
            .await
            .map_err(map_err)?
            .try_collect()
            .await
            .map_err(map_err)?;
        docs.iter().map(decode).collect()
    }
}
