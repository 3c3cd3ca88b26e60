//! API keys: `{ id, tenant, role, name, keyHash, keyPrefix, createdAt, revokedAt }` in `apiKeys`;
//! unique indexes on `id` and `keyHash` carry the `Conflict` rules.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use futures::TryStreamExt;
use mongodb::bson::{doc, Bson, Document};
use mongodb::options::ReturnDocument;

use super::codec::{date, get_date, get_str, opt_date, opt_str, required_date, required_str};
use super::{map_err, MongoStore};
use crate::store::names::{name_of, parse_name};
use crate::store::{ApiKeyRecord, ApiKeyRepo, StoreResult};

fn api_key_doc(k: &ApiKeyRecord) -> Document {
    doc! {
        "id": &k.id,
        "tenant": &k.tenant,
        "role": name_of(&k.role),
        "name": opt_str(k.name.as_deref()),
        "keyHash": &k.key_hash,
        "keyPrefix": &k.key_prefix,
        "createdAt": date(k.created_at),
        "revokedAt": opt_date(k.revoked_at),
    }
}

fn decode_api_key(d: &Document) -> StoreResult<ApiKeyRecord> {
    Ok(ApiKeyRecord {
        id: required_str(d, "id")?,
        tenant: required_str(d, "tenant")?,
        role: parse_name("role", &required_str(d, "role")?)?,
        name: get_str(d, "name")?,
        key_hash: required_str(d, "keyHash")?,
        key_prefix: required_str(d, "keyPrefix")?,
        created_at: required_date(d, "createdAt")?,
        revoked_at: get_date(d, "revokedAt")?,
    })
}

#[async_trait]
impl ApiKeyRepo for MongoStore {
    async fn insert_api_key(&self, key: &ApiKeyRecord) -> StoreResult<()> {
        self.api_keys
            .insert_one(api_key_doc(key))
            .await
            .map_err(map_err)?;
        Ok(())
    }

    async fn find_api_key(&self, key_hash: &str) -> StoreResult<Option<ApiKeyRecord>> {
        let found = self
            .api_keys
            .find_one(doc! { "keyHash": key_hash })
            .await
            .map_err(map_err)?;
        found.as_ref().map(decode_api_key).transpose()
    }

    async fn list_api_keys(&self, tenant: Option<&str>) -> StoreResult<Vec<ApiKeyRecord>> {
        let filter = tenant.map_or_else(Document::new, |t| doc! { "tenant": t });
        let docs: Vec<Document> = self
            .api_keys
            .find(filter)
            // Ties on the millisecond break by id, as in SQLite.
            .sort(doc! { "createdAt": 1, "id": 1 })
            .await
            .map_err(map_err)?
            .try_collect()
            .await
            .map_err(map_err)?;
        docs.iter().map(decode_api_key).collect()
    }

    async fn revoke_api_key(
        &self,
        id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<ApiKeyRecord>> {
        // Only an unrevoked key takes the time (`null` also matches a missing field); when the
        // filter misses, the key is unknown or already revoked, and reading it tells which.
        let revoked = self
            .api_keys
            .find_one_and_update(
                doc! { "id": id, "revokedAt": Bson::Null },
                doc! { "$set": { "revokedAt": date(at) } },
            )
            .return_document(ReturnDocument::After)
            .await
            .map_err(map_err)?;
        let found = match revoked {
            Some(d) => Some(d),
            None => self
                .api_keys
                .find_one(doc! { "id": id })
                .await
                .map_err(map_err)?,
        };
        found.as_ref().map(decode_api_key).transpose()
    }
}
