//! Idempotency keys: `{ connectionId, key, fingerprint, response, completedAt, createdAt }`.
//! A claim is an insert against the unique `(connectionId, key)` index, so racing requests cannot
//! both win; the loser reads what holds the key.

use async_trait::async_trait;
use mongodb::bson::{doc, Bson, Document};

use super::codec::{date, field, required_str};
use super::{map_err, MongoStore};
use crate::store::{now, IdempotencyClaim, IdempotencyRepo, StoreError, StoreResult};

/// A claim can lose its insert and then find the key released before it reads it; it tries again,
/// but not forever.
const CLAIM_ATTEMPTS: usize = 5;

/// What an existing key means for a request with `fingerprint`. `completedAt` marks completion,
/// since a response may itself be JSON null.
fn holder(d: &Document, fingerprint: &str) -> StoreResult<IdempotencyClaim> {
    if required_str(d, "fingerprint")? != fingerprint {
        return Ok(IdempotencyClaim::Mismatch);
    }
    if field(d, "completedAt").is_none() {
        return Ok(IdempotencyClaim::InProgress);
    }
    let response = d.get("response").cloned().unwrap_or(Bson::Null);
    mongodb::bson::from_bson(response)
        .map(IdempotencyClaim::Completed)
        .map_err(|e| StoreError::Corrupt(format!("idempotency response: {e}")))
}

#[async_trait]
impl IdempotencyRepo for MongoStore {
    async fn claim_idempotency(
        &self,
        connection_id: &str,
        key: &str,
        fingerprint: &str,
    ) -> StoreResult<IdempotencyClaim> {
        let claim = doc! {
            "connectionId": connection_id,
            "key": key,
            "fingerprint": fingerprint,
            "response": Bson::Null,
            "completedAt": Bson::Null,
            "createdAt": date(now()),
        };
        let id = doc! { "connectionId": connection_id, "key": key };
        for _ in 0..CLAIM_ATTEMPTS {
            match self
                .idempotency
                .insert_one(claim.clone())
                .await
                .map_err(map_err)
            {
                Ok(_) => return Ok(IdempotencyClaim::Claimed),
                Err(StoreError::Conflict(_)) => {}
                Err(e) => return Err(e),
            }
            let found = self
                .idempotency
                .find_one(id.clone())
                .await
                .map_err(map_err)?;
            if let Some(d) = found {
                return holder(&d, fingerprint);
            }
        }
        Err(StoreError::Unavailable(format!(
            "idempotency key kept changing hands over {CLAIM_ATTEMPTS} attempts"
        )))
    }

    async fn complete_idempotency(
        &self,
        connection_id: &str,
        key: &str,
        response: &serde_json::Value,
    ) -> StoreResult<()> {
        // Plain serde, not extended JSON: a response key like "$date" must stay a key.
        let response = mongodb::bson::to_bson(response)
            .map_err(|e| StoreError::Other(format!("encode idempotency response: {e}")))?;
        let result = self
            .idempotency
            .update_one(
                doc! { "connectionId": connection_id, "key": key },
                doc! { "$set": { "response": response, "completedAt": date(now()) } },
            )
            .await
            .map_err(map_err)?;
        match result.matched_count {
            0 => Err(StoreError::NotFound),
            _ => Ok(()),
        }
    }

    async fn release_idempotency(&self, connection_id: &str, key: &str) -> StoreResult<()> {
        // A completed key keeps its response: only a running claim can be given up.
        self.idempotency
            .delete_one(
                doc! { "connectionId": connection_id, "key": key, "completedAt": Bson::Null },
            )
            .await
            .map_err(map_err)?;
        Ok(())
    }
}
