//! Connection tenants; each case runs once per backend (see `contract!`), except the
//! MongoDB-only check of documents from before tenants.

use mongodb::bson::{doc, Document};

use super::harness::Backend;
use super::*;

fn owned_by(id: &str, tenant: &str, minutes_ago: i64) -> Connection {
    Connection::new_pending(id, tenant, now() - TimeDelta::minutes(minutes_ago))
}

pub async fn a_connection_keeps_its_tenant_through_reads_and_updates(h: Harness) {
    let acme = owned_by("a", "acme", 3);
    let globex = owned_by("g", "globex", 2);
    let admin = owned_by("d", DEFAULT_TENANT, 1);
    for conn in [&acme, &globex, &admin] {
        h.store.insert_connection(conn).await.unwrap();
    }

    assert_eq!(h.store.get_connection("a").await.unwrap(), Some(acme));
    let tenants: Vec<String> = h
        .store
        .list_connections(false)
        .await
        .unwrap()
        .into_iter()
        .map(|c| c.tenant)
        .collect();
    assert_eq!(tenants, ["acme", "globex", DEFAULT_TENANT]);

    let down = h
        .store
        .update_connection("g", disconnect("LOGGED_OUT"))
        .await
        .unwrap();
    assert_eq!(down.tenant, "globex");
    let archived = h
        .store
        .update_connection("g", archive_patch(true))
        .await
        .unwrap();
    assert_eq!(archived.tenant, "globex");
    let pending = h
        .store
        .connections_with_status(ConnectionStatus::Pending)
        .await
        .unwrap();
    assert_eq!(
        pending,
        [h.store.get_connection("a").await.unwrap().unwrap(), admin]
    );
}

/// MongoDB only: a document written before tenants existed has no `tenant` field.
pub async fn mongo_a_document_without_a_tenant_reads_as_the_default(h: Harness) {
    let Backend::Mongo(db) = &h.backend else {
        unreachable!("a MongoDB-only check")
    };
    h.store
        .insert_connection(&owned_by("old", "acme", 0))
        .await
        .unwrap();
    let connections = db.collection::<Document>("connections");
    connections
        .update_one(
            doc! { "connectionId": "old" },
            doc! { "$unset": { "tenant": "" } },
        )
        .await
        .unwrap();

    let old = h.store.get_connection("old").await.unwrap().unwrap();
    assert_eq!(old.tenant, DEFAULT_TENANT);
    let listed = h.store.list_connections(false).await.unwrap();
    assert_eq!(listed, std::slice::from_ref(&old));
    let patched = h
        .store
        .update_connection("old", disconnect("LOGGED_OUT"))
        .await
        .unwrap();
    assert_eq!(patched.tenant, DEFAULT_TENANT);

    let names = connections.list_index_names().await.unwrap();
    assert!(names.iter().any(|n| n == "tenant_1"), "{names:?}");
}
