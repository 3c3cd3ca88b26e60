//! Named cursors: `{ name, value, updatedAt }`, upserted by name.

use async_trait::async_trait;
use mongodb::bson::doc;

use super::codec::{date, get_str};
use super::{map_err, MongoStore};
use crate::store::{now, CursorRepo, StoreResult};

#[async_trait]
impl CursorRepo for MongoStore {
    async fn get_cursor(&self, name: &str) -> StoreResult<Option<String>> {
        let found = self
            .cursors
            .find_one(doc! { "name": name })
            .await
            .map_err(map_err)?;
        match found {
            Some(d) => get_str(&d, "value"),
            None => Ok(None),
        }
    }

    async fn set_cursor(&self, name: &str, value: &str) -> StoreResult<()> {
        self.cursors
            .update_one(
                doc! { "name": name },
                doc! { "$set": { "value": value, "updatedAt": date(now()) } },
            )
            .upsert(true)
            .await
            .map_err(map_err)?;
        Ok(())
    }
}
