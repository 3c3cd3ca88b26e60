//! Idempotency keys; each case runs once per backend (see `contract!`).

use wa_gateway::store::IdempotencyClaim;

use super::*;

pub async fn a_key_is_claimed_once_then_reports_in_progress_completed_or_mismatch(h: Harness) {
    let claim = |fingerprint: &'static str| {
        let store = h.store.clone();
        async move {
            store
                .claim_idempotency("c1", "k1", fingerprint)
                .await
                .unwrap()
        }
    };
    assert_eq!(claim("fp-a").await, IdempotencyClaim::Claimed);
    assert_eq!(claim("fp-a").await, IdempotencyClaim::InProgress);
    assert_eq!(claim("fp-b").await, IdempotencyClaim::Mismatch);

    let response = json!({ "messageId": "true_1@c.us_X", "status": "sent", "nested": [1, null] });
    h.store
        .complete_idempotency("c1", "k1", &response)
        .await
        .unwrap();
    assert_eq!(claim("fp-a").await, IdempotencyClaim::Completed(response));
    assert_eq!(claim("fp-b").await, IdempotencyClaim::Mismatch);

    // A JSON null response is still a finished request, not a running one.
    h.store.claim_idempotency("c1", "k2", "fp").await.unwrap();
    h.store
        .complete_idempotency("c1", "k2", &serde_json::Value::Null)
        .await
        .unwrap();
    let again = h.store.claim_idempotency("c1", "k2", "fp").await.unwrap();
    assert_eq!(again, IdempotencyClaim::Completed(serde_json::Value::Null));
}

pub async fn a_released_claim_can_be_claimed_again_but_a_completed_key_stays(h: Harness) {
    let store = &h.store;
    store.claim_idempotency("c1", "k", "fp-a").await.unwrap();
    store.release_idempotency("c1", "k").await.unwrap();
    // After a release the key is free, whatever the next request looks like.
    let next = store.claim_idempotency("c1", "k", "fp-b").await.unwrap();
    assert_eq!(next, IdempotencyClaim::Claimed);

    store
        .complete_idempotency("c1", "k", &json!({ "ok": true }))
        .await
        .unwrap();
    store.release_idempotency("c1", "k").await.unwrap();
    let kept = store.claim_idempotency("c1", "k", "fp-b").await.unwrap();
    assert_eq!(kept, IdempotencyClaim::Completed(json!({ "ok": true })));
    store.release_idempotency("c1", "never").await.unwrap();
}

pub async fn keys_on_different_connections_are_independent(h: Harness) {
    let store = &h.store;
    let first = store.claim_idempotency("c1", "k", "fp-a").await.unwrap();
    let second = store.claim_idempotency("c2", "k", "fp-b").await.unwrap();
    assert_eq!(
        (first, second),
        (IdempotencyClaim::Claimed, IdempotencyClaim::Claimed)
    );

    store
        .complete_idempotency("c1", "k", &json!(1))
        .await
        .unwrap();
    let on_c2 = store.claim_idempotency("c2", "k", "fp-b").await.unwrap();
    assert_eq!(on_c2, IdempotencyClaim::InProgress);
    store.release_idempotency("c2", "k").await.unwrap();
    let on_c1 = store.claim_idempotency("c1", "k", "fp-a").await.unwrap();
    assert_eq!(on_c1, IdempotencyClaim::Completed(json!(1)));
}

pub async fn concurrent_claims_of_one_key_have_exactly_one_winner(h: Harness) {
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let store = h.store.clone();
        tasks.spawn(async move { store.claim_idempotency("c1", "race", "fp").await.unwrap() });
    }
    let claims = tokio::time::timeout(Duration::from_secs(60), tasks.join_all())
        .await
        .expect("10 concurrent claims did not finish within 60 s");
    let won = claims
        .iter()
        .filter(|c| **c == IdempotencyClaim::Claimed)
        .count();
    assert_eq!(won, 1, "{claims:?}");
    assert!(claims
        .iter()
        .all(|c| matches!(c, IdempotencyClaim::Claimed | IdempotencyClaim::InProgress)));
}

pub async fn completing_an_unclaimed_key_is_not_found(h: Harness) {
    let err = h
        .store
        .complete_idempotency("c1", "ghost", &json!({}))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::NotFound), "got {err:?}");
}
