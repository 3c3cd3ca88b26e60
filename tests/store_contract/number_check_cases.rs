//! Cached number checks; each case runs once per backend (see `contract!`).

use wa_gateway::store::NumberCheck;

use super::*;

fn check(number: &str, exists: bool, minutes_ago: i64) -> NumberCheck {
    NumberCheck {
        number: number.into(),
        exists,
        id: exists.then(|| format!("{number}@c.us")),
        lid: exists.then(|| "123456789012345@lid".to_owned()),
        checked_at: now() - TimeDelta::minutes(minutes_ago),
    }
}

pub async fn stored_checks_read_back_equal_and_only_for_the_asked_numbers(h: Harness) {
    let checks = [
        check("923001111111", true, 1),
        check("923002222222", false, 1),
    ];
    h.store.put_number_checks("c1", &checks).await.unwrap();
    let asked = vec!["923001111111".to_owned(), "923009999999".to_owned()];
    let since = now() - TimeDelta::hours(1);
    let found = h
        .store
        .get_number_checks("c1", &asked, since)
        .await
        .unwrap();
    assert_eq!(found, vec![checks[0].clone()]);
    let all = vec!["923001111111".to_owned(), "923002222222".to_owned()];
    let mut found = h.store.get_number_checks("c1", &all, since).await.unwrap();
    found.sort_by(|a, b| a.number.cmp(&b.number));
    assert_eq!(found, checks.to_vec());
}

pub async fn checks_older_than_since_are_left_out_and_a_new_answer_replaces_the_old(h: Harness) {
    let numbers = vec!["923001111111".to_owned()];
    let old = check("923001111111", false, 120);
    h.store.put_number_checks("c1", &[old]).await.unwrap();
    let since = now() - TimeDelta::hours(1);
    let found = h
        .store
        .get_number_checks("c1", &numbers, since)
        .await
        .unwrap();
    assert!(found.is_empty(), "{found:?}");
    let fresh = check("923001111111", true, 0);
    h.store
        .put_number_checks("c1", std::slice::from_ref(&fresh))
        .await
        .unwrap();
    let found = h
        .store
        .get_number_checks("c1", &numbers, since)
        .await
        .unwrap();
    assert_eq!(found, vec![fresh]);
}

pub async fn checks_of_different_connections_are_independent(h: Harness) {
    let numbers = vec!["923001111111".to_owned()];
    h.store
        .put_number_checks("c1", &[check("923001111111", true, 0)])
        .await
        .unwrap();
    let since = now() - TimeDelta::hours(1);
    let other = h
        .store
        .get_number_checks("c2", &numbers, since)
        .await
        .unwrap();
    assert!(other.is_empty(), "{other:?}");
}
