//! API keys: one row per key; the primary key on `id` and the unique `key_hash` carry the
//! `Conflict` rules. A revoke is one `UPDATE ... RETURNING`, so it cannot race another.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use rusqlite::types::Value;
use rusqlite::{params, params_from_iter, OptionalExtension, Row};

use super::rows::{from_millis, millis};
use super::{map_err, SqliteStore};
use crate::store::names::{name_of, parse_name};
use crate::store::{ApiKeyRecord, ApiKeyRepo, StoreResult};

const COLUMNS: &str = "id, tenant, role, name, key_hash, key_prefix, created_at, revoked_at";

#[async_trait]
impl ApiKeyRepo for SqliteStore {
    async fn insert_api_key(&self, key: &ApiKeyRecord) -> StoreResult<()> {
        let k = key.clone();
        self.call(move |db| {
            db.execute(
                &format!(
                    "INSERT INTO api_keys ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)"
                ),
                params![
                    k.id,
                    k.tenant,
                    name_of(&k.role),
                    k.name,
                    k.key_hash,
                    k.key_prefix,
                    millis(k.created_at),
                    k.revoked_at.map(millis),
                ],
            )
            .map_err(map_err)?;
            Ok(())
        })
        .await
    }

    async fn find_api_key(&self, key_hash: &str) -> StoreResult<Option<ApiKeyRecord>> {
        let sql = format!("SELECT {COLUMNS} FROM api_keys WHERE key_hash = ?1");
        self.query_api_key(sql, vec![Value::Text(key_hash.to_owned())])
            .await
    }

    async fn list_api_keys(&self, tenant: Option<&str>) -> StoreResult<Vec<ApiKeyRecord>> {
        let (filter, params) = match tenant {
            Some(t) => ("WHERE tenant = ?1", vec![Value::Text(t.to_owned())]),
            None => ("", Vec::new()),
        };
        // Ties on the millisecond break by id, as in MongoDB.
        let sql = format!("SELECT {COLUMNS} FROM api_keys {filter} ORDER BY created_at, id");
        self.call(move |db| {
            let mut stmt = db.prepare_cached(&sql).map_err(map_err)?;
            let raws = stmt
                .query_map(params_from_iter(params), RawApiKey::from_row)
                .map_err(map_err)?
                .collect::<Result<Vec<_>, _>>()
                .map_err(map_err)?;
            raws.into_iter().map(RawApiKey::decode).collect()
        })
        .await
    }

    async fn revoke_api_key(
        &self,
        id: &str,
        at: DateTime<Utc>,
    ) -> StoreResult<Option<ApiKeyRecord>> {
        let sql = format!(
            "UPDATE api_keys SET revoked_at = coalesce(revoked_at, ?2) WHERE id = ?1
             RETURNING {COLUMNS}"
        );
        let params = vec![Value::Text(id.to_owned()), Value::Integer(millis(at))];
        self.query_api_key(sql, params).await
    }
}

impl SqliteStore {
    /// The key `sql` selects or returns, if any.
    async fn query_api_key(
        &self,
        sql: String,
        params: Vec<Value>,
    ) -> StoreResult<Option<ApiKeyRecord>> {
        self.call(move |db| {
            db.query_row(&sql, params_from_iter(params), RawApiKey::from_row)
                .optional()
                .map_err(map_err)?
                .map(RawApiKey::decode)
                .transpose()
        })
        .await
    }
}

/// The columns of `COLUMNS`, read raw so that decoding errors become `Corrupt`.
struct RawApiKey {
    id: String,
    tenant: String,
    role: String,
    name: Option<String>,
    key_hash: String,
    key_prefix: String,
    created_at: i64,
    revoked_at: Option<i64>,
}

impl RawApiKey {
    fn from_row(row: &Row<'_>) -> rusqlite::Result<Self> {
        Ok(Self {
            id: row.get(0)?,
            tenant: row.get(1)?,
            role: row.get(2)?,
            name: row.get(3)?,
            key_hash: row.get(4)?,
            key_prefix: row.get(5)?,
            created_at: row.get(6)?,
            revoked_at: row.get(7)?,
        })
    }

    fn decode(self) -> StoreResult<ApiKeyRecord> {
        Ok(ApiKeyRecord {
            role: parse_name("role", &self.role)?,
            created_at: from_millis(self.created_at)?,
            revoked_at: self.revoked_at.map(from_millis).transpose()?,
            id: self.id,
            tenant: self.tenant,
            name: self.name,
            key_hash: self.key_hash,
            key_prefix: self.key_prefix,
        })
    }
}
