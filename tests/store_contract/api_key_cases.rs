//! API keys; each case runs once per backend (see `contract!`), except the document check.

use mongodb::bson::{doc, Bson, Document};
use sha2::Digest;
use wa_gateway::store::{ApiKeyRecord, Role};

use super::harness::Backend;
use super::*;

/// A key named `id`, created `minutes_ago`; its hash and prefix derive from the id.
pub fn api_key(id: &str, tenant: &str, role: Role, minutes_ago: i64) -> ApiKeyRecord {
    let secret = format!("wag_secret_{id}");
    ApiKeyRecord {
        id: id.into(),
        tenant: tenant.into(),
        role,
        name: Some(format!("{id} key")),
        key_hash: hex::encode(sha2::Sha256::digest(secret.as_bytes())),
        key_prefix: secret[..8].to_owned(),
        created_at: now() - TimeDelta::minutes(minutes_ago),
        revoked_at: None,
    }
}

fn key_ids(keys: &[ApiKeyRecord]) -> Vec<&str> {
    keys.iter().map(|k| k.id.as_str()).collect()
}

pub async fn an_inserted_api_key_is_found_by_its_hash_revoked_or_not(h: Harness) {
    let live = api_key("live", "acme", Role::Operator, 0);
    let mut nameless = api_key("nameless", "acme", Role::Viewer, 0);
    nameless.name = None;
    nameless.revoked_at = Some(now());
    for key in [&live, &nameless] {
        h.store.insert_api_key(key).await.unwrap();
    }

    assert_eq!(
        h.store.find_api_key(&live.key_hash).await.unwrap(),
        Some(live)
    );
    let found = h.store.find_api_key(&nameless.key_hash).await.unwrap();
    assert_eq!(found, Some(nameless));
    let unknown = api_key("unknown", "acme", Role::Admin, 0);
    assert_eq!(h.store.find_api_key(&unknown.key_hash).await.unwrap(), None);
}

pub async fn a_second_key_with_the_same_id_or_hash_is_a_conflict(h: Harness) {
    let first = api_key("k1", "acme", Role::Sender, 0);
    h.store.insert_api_key(&first).await.unwrap();

    let same_id = api_key("k1", "globex", Role::Viewer, 0);
    let same_id = ApiKeyRecord {
        key_hash: api_key("other", "globex", Role::Viewer, 0).key_hash,
        ..same_id
    };
    let same_hash = ApiKeyRecord {
        id: "k2".into(),
        ..api_key("k1", "globex", Role::Admin, 0)
    };
    for duplicate in [same_id, same_hash] {
        let err = h.store.insert_api_key(&duplicate).await.unwrap_err();
        assert!(matches!(err, StoreError::Conflict(_)), "got {err:?}");
    }
    assert_eq!(h.store.list_api_keys(None).await.unwrap(), [first]);
}

pub async fn api_keys_list_in_creation_order_for_one_tenant_or_all(h: Harness) {
    for (id, tenant, age) in [
        ("middle", "acme", 2),
        ("newest", "globex", 1),
        ("oldest", "acme", 3),
        ("admin", DEFAULT_TENANT, 4),
    ] {
        let key = api_key(id, tenant, Role::Sender, age);
        h.store.insert_api_key(&key).await.unwrap();
    }
    h.store.revoke_api_key("middle", now()).await.unwrap();

    let all = h.store.list_api_keys(None).await.unwrap();
    assert_eq!(key_ids(&all), ["admin", "oldest", "middle", "newest"]);
    let acme = h.store.list_api_keys(Some("acme")).await.unwrap();
    assert_eq!(key_ids(&acme), ["oldest", "middle"]);
    assert!(acme[1].revoked_at.is_some(), "revoked keys are listed too");
    let default = h.store.list_api_keys(Some(DEFAULT_TENANT)).await.unwrap();
    assert_eq!(key_ids(&default), ["admin"]);
    assert!(h
        .store
        .list_api_keys(Some("nobody"))
        .await
        .unwrap()
        .is_empty());
}

pub async fn revoking_keeps_the_first_time_and_an_unknown_id_is_none(h: Harness) {
    let key = api_key("k", "acme", Role::Operator, 5);
    let bystander = api_key("b", "acme", Role::Operator, 5);
    h.store.insert_api_key(&key).await.unwrap();
    h.store.insert_api_key(&bystander).await.unwrap();

    let first = now() - TimeDelta::minutes(1);
    let revoked = h.store.revoke_api_key("k", first).await.unwrap().unwrap();
    assert_eq!(revoked.revoked_at, Some(first));
    assert_eq!(revoked.key_hash, key.key_hash);
    let again = h.store.revoke_api_key("k", now()).await.unwrap();
    assert_eq!(again.as_ref(), Some(&revoked));
    let found = h.store.find_api_key(&key.key_hash).await.unwrap();
    assert_eq!(found, Some(revoked));

    assert_eq!(h.store.revoke_api_key("ghost", now()).await.unwrap(), None);
    let untouched = h.store.find_api_key(&bystander.key_hash).await.unwrap();
    assert_eq!(untouched, Some(bystander));
}

pub async fn concurrent_revokes_agree_on_one_time(h: Harness) {
    h.store
        .insert_api_key(&api_key("k", "acme", Role::Sender, 5))
        .await
        .unwrap();
    let base = now() - TimeDelta::minutes(1);
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..10 {
        let store = h.store.clone();
        let at = base + TimeDelta::seconds(i);
        tasks.spawn(async move { store.revoke_api_key("k", at).await.unwrap().unwrap() });
    }
    let results = tokio::time::timeout(Duration::from_secs(60), tasks.join_all())
        .await
        .expect("10 concurrent revokes did not finish within 60 s");
    let first = results[0].revoked_at.unwrap();
    assert!(
        results.iter().all(|k| k.revoked_at == Some(first)),
        "{results:?}"
    );
    assert!(first >= base && first <= base + TimeDelta::seconds(9));
}

pub async fn concurrent_inserts_of_distinct_keys_all_land(h: Harness) {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..20 {
        let store = h.store.clone();
        let tenant = if i % 2 == 0 { "even" } else { "odd" };
        let key = api_key(&format!("k{i:02}"), tenant, Role::Sender, 0);
        tasks.spawn(async move { store.insert_api_key(&key).await.unwrap() });
    }
    tokio::time::timeout(Duration::from_secs(60), tasks.join_all())
        .await
        .expect("20 concurrent inserts did not finish within 60 s");

    assert_eq!(h.store.list_api_keys(None).await.unwrap().len(), 20);
    assert_eq!(h.store.list_api_keys(Some("odd")).await.unwrap().len(), 10);
    let k07 = api_key("k07", "odd", Role::Sender, 0);
    let found = h.store.find_api_key(&k07.key_hash).await.unwrap().unwrap();
    assert_eq!(found.id, "k07");
}

pub async fn concurrent_inserts_of_one_hash_have_exactly_one_winner(h: Harness) {
    let mut tasks = tokio::task::JoinSet::new();
    for i in 0..10 {
        let store = h.store.clone();
        // Distinct ids, one secret: only the hash collides.
        let key = ApiKeyRecord {
            id: format!("k{i}"),
            ..api_key("shared", "acme", Role::Sender, 0)
        };
        tasks.spawn(async move { store.insert_api_key(&key).await });
    }
    let results = tokio::time::timeout(Duration::from_secs(60), tasks.join_all())
        .await
        .expect("10 concurrent inserts did not finish within 60 s");
    let won = results.iter().filter(|r| r.is_ok()).count();
    assert_eq!(won, 1, "{results:?}");
    assert!(results
        .iter()
        .all(|r| matches!(r, Ok(()) | Err(StoreError::Conflict(_)))));
    assert_eq!(h.store.list_api_keys(None).await.unwrap().len(), 1);
}

/// MongoDB only: camelCase names, BSON dates, the role's serde name, and the indexes.
pub async fn mongo_documents_use_camel_case_bson_dates_and_their_indexes(h: Harness) {
    let Backend::Mongo(db) = &h.backend else {
        unreachable!("a MongoDB-only check")
    };
    let key = api_key("doc", "acme", Role::Operator, 0);
    h.store.insert_api_key(&key).await.unwrap();
    h.store.revoke_api_key("doc", now()).await.unwrap();

    let keys = db.collection::<Document>("apiKeys");
    let raw = keys.find_one(doc! { "id": "doc" }).await.unwrap().unwrap();
    assert_eq!(raw.get_str("role").unwrap(), "operator");
    assert_eq!(raw.get_str("keyHash").unwrap(), key.key_hash);
    assert_eq!(raw.get_str("keyPrefix").unwrap(), key.key_prefix);
    assert_eq!(raw.get_str("tenant").unwrap(), "acme");
    for field in ["createdAt", "revokedAt"] {
        assert!(
            matches!(raw.get(field), Some(Bson::DateTime(_))),
            "{field}: {raw}"
        );
    }
    let names = keys.list_index_names().await.unwrap();
    for index in ["id_1", "keyHash_1"] {
        assert!(names.iter().any(|n| n == index), "apiKeys: {names:?}");
    }
}
