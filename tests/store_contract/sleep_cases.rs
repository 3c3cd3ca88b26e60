//! Hibernation's sleep states; each case runs once per backend (see `contract!`).

use wa_gateway::store::SleepRecord;

use super::*;

fn asleep(id: &str, minutes: i64) -> SleepRecord {
    SleepRecord {
        connection_id: id.into(),
        asleep: true,
        last_awake: Some(now() - TimeDelta::minutes(minutes)),
        next_wake: Some(now() + TimeDelta::minutes(30 - minutes)),
    }
}

fn sorted(mut records: Vec<SleepRecord>) -> Vec<SleepRecord> {
    records.sort_by(|a, b| a.connection_id.cmp(&b.connection_id));
    records
}

pub async fn sleep_states_read_back_equal(h: Harness) {
    assert!(h.store.list_sleep().await.unwrap().is_empty());
    let states = [asleep("c1", 5), asleep("c2", 10)];
    for s in &states {
        h.store.put_sleep(s).await.unwrap();
    }
    assert_eq!(sorted(h.store.list_sleep().await.unwrap()), states.to_vec());
}

pub async fn a_wake_replaces_the_sleep_state(h: Harness) {
    h.store.put_sleep(&asleep("c1", 5)).await.unwrap();
    let awake = SleepRecord {
        connection_id: "c1".into(),
        asleep: false,
        last_awake: Some(now()),
        next_wake: None,
    };
    h.store.put_sleep(&awake).await.unwrap();
    assert_eq!(h.store.list_sleep().await.unwrap(), vec![awake]);
}
