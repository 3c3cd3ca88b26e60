//! Webhook deliveries; each case runs once per backend (see `contract!`).

use wa_gateway::store::{Delivery, DeliveryFilter, DeliveryStatus, WebhookTarget};

use super::*;

fn uuid7() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// `n` ascending UUIDv7 strings (sorted, so the test does not rely on the generator's order).
fn ascending_ids(n: usize) -> Vec<String> {
    let mut ids: Vec<String> = (0..n).map(|_| uuid7()).collect();
    ids.sort();
    ids
}

fn delivery(event_id: &str, target: WebhookTarget, connection_id: &str) -> Delivery {
    let at = now();
    Delivery {
        id: uuid7(),
        event_id: event_id.into(),
        event: "message".into(),
        connection_id: connection_id.into(),
        target,
        url: "https://example.test/hook".into(),
        status: DeliveryStatus::Pending,
        attempts: 0,
        next_attempt_at: at,
        last_error: None,
        last_status_code: None,
        created_at: at,
        updated_at: at,
        delivered_at: None,
    }
}

fn delivery_ids(list: &[Delivery]) -> Vec<&str> {
    list.iter().map(|d| d.id.as_str()).collect()
}

pub async fn an_inserted_delivery_reads_back_equal_and_an_update_replaces_it(h: Harness) {
    let mut d = delivery(&uuid7(), WebhookTarget::Connection, "c1");
    h.store.insert_delivery(&d).await.unwrap();
    assert_eq!(h.store.get_delivery(&d.id).await.unwrap(), Some(d.clone()));

    d.attempts = 3;
    d.status = DeliveryStatus::Delivered;
    d.last_error = Some("HTTP 503".into());
    d.last_status_code = Some(200);
    d.next_attempt_at = now() + TimeDelta::seconds(30);
    d.updated_at = now();
    d.delivered_at = Some(now());
    h.store.update_delivery(&d).await.unwrap();
    assert_eq!(h.store.get_delivery(&d.id).await.unwrap(), Some(d));
    assert_eq!(h.store.get_delivery(&uuid7()).await.unwrap(), None);
}

pub async fn a_second_delivery_for_the_same_event_and_target_is_a_conflict(h: Harness) {
    let event_id = uuid7();
    let first = delivery(&event_id, WebhookTarget::Global, "c1");
    h.store.insert_delivery(&first).await.unwrap();

    let same_pair = delivery(&event_id, WebhookTarget::Global, "c1");
    let err = h.store.insert_delivery(&same_pair).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "got {err:?}");
    let mut same_id = delivery(&uuid7(), WebhookTarget::Global, "c1");
    same_id.id = first.id.clone();
    let err = h.store.insert_delivery(&same_id).await.unwrap_err();
    assert!(matches!(err, StoreError::Conflict(_)), "got {err:?}");

    let other_target = delivery(&event_id, WebhookTarget::Connection, "c1");
    h.store.insert_delivery(&other_target).await.unwrap();
    assert_eq!(h.store.get_delivery(&first.id).await.unwrap(), Some(first));
}

pub async fn updating_a_missing_delivery_is_not_found(h: Harness) {
    let d = delivery(&uuid7(), WebhookTarget::Global, "c1");
    let err = h.store.update_delivery(&d).await.unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "got {err:?}");
    assert_eq!(h.store.get_delivery(&d.id).await.unwrap(), None);
}

pub async fn pending_deliveries_come_in_event_order_without_finished_ones(h: Harness) {
    let events = ascending_ids(3);
    let mut expected = Vec::new();
    // Inserted newest event first: the order must come from the event ids, not insertion.
    for (i, event_id) in events.iter().enumerate().rev() {
        for target in [WebhookTarget::Global, WebhookTarget::Connection] {
            let mut d = delivery(event_id, target, "c1");
            if i == 1 && target == WebhookTarget::Global {
                d.status = DeliveryStatus::Delivered;
            } else if i == 2 && target == WebhookTarget::Connection {
                d.status = DeliveryStatus::Failed;
            } else {
                expected.push(d.clone());
            }
            h.store.insert_delivery(&d).await.unwrap();
        }
    }
    expected
        .sort_by(|a, b| (&a.event_id, a.target.as_str()).cmp(&(&b.event_id, b.target.as_str())));

    assert_eq!(h.store.pending_deliveries(100).await.unwrap(), expected);
    assert_eq!(h.store.pending_deliveries(2).await.unwrap(), expected[..2]);
    assert!(h.store.pending_deliveries(0).await.unwrap().is_empty());

    let mut done = expected[0].clone();
    done.status = DeliveryStatus::Delivered;
    h.store.update_delivery(&done).await.unwrap();
    assert_eq!(
        h.store.pending_deliveries(100).await.unwrap(),
        expected[1..]
    );
}

pub async fn deliveries_list_newest_first_filtered_and_paged(h: Harness) {
    let mut all = Vec::new();
    for (i, event_id) in ascending_ids(6).iter().enumerate() {
        let conn = if i % 2 == 0 { "even" } else { "odd" };
        let mut d = delivery(event_id, WebhookTarget::Global, conn);
        if i % 3 == 0 {
            d.status = DeliveryStatus::Failed;
        }
        all.push(d);
    }
    all.sort_by(|a, b| b.id.cmp(&a.id));
    for d in all.iter().rev() {
        h.store.insert_delivery(d).await.unwrap();
    }
    let list = |connection: Option<&str>, status, before: Option<&str>, limit| {
        let filter = DeliveryFilter {
            connection_id: connection.map(Into::into),
            status,
            before_id: before.map(Into::into),
            limit,
        };
        let store = h.store.clone();
        async move { store.list_deliveries(&filter).await.unwrap() }
    };

    assert_eq!(list(None, None, None, 100).await, all);
    let even: Vec<_> = all
        .iter()
        .filter(|d| d.connection_id == "even")
        .cloned()
        .collect();
    assert_eq!(list(Some("even"), None, None, 100).await, even);
    let failed = list(None, Some(DeliveryStatus::Failed), None, 100).await;
    assert_eq!(failed.len(), 2);
    assert!(failed.iter().all(|d| d.status == DeliveryStatus::Failed));
    assert_eq!(
        delivery_ids(&list(None, None, Some(&all[1].id), 2).await),
        delivery_ids(&all[2..4])
    );
    let even_failed = list(Some("even"), Some(DeliveryStatus::Failed), None, 100).await;
    assert_eq!(even_failed.len(), 1);
    assert_eq!(even_failed[0].connection_id, "even");
    assert!(list(None, None, Some(&all[5].id), 10).await.is_empty());
    assert!(list(None, None, None, 0).await.is_empty());
}
