//! Webhook settings and named cursors; each case runs once per backend (see `contract!`).

use std::collections::BTreeMap;

use wa_gateway::store::WebhookConfig;

use super::*;

fn webhook(url: &str) -> WebhookConfig {
    WebhookConfig {
        url: url.into(),
        events: vec!["message".into(), "message_ack".into()],
        secret: Some("s3cret".into()),
        // Header names may hold '.' and '$', which BSON keys handle badly.
        headers: BTreeMap::from([
            ("Authorization".to_owned(), "Bearer abc".to_owned()),
            ("X-Trace.Id".to_owned(), "t-1".to_owned()),
            ("X-$Tenant".to_owned(), "acme".to_owned()),
        ]),
        guarded: true,
    }
}

pub async fn a_webhook_reads_back_equal_and_a_second_put_replaces_it(h: Harness) {
    let first = webhook("https://example.test/hook");
    h.store.put_webhook("c1", &first).await.unwrap();
    assert_eq!(h.store.get_webhook("c1").await.unwrap(), Some(first));

    let bare = WebhookConfig {
        url: "https://example.test/other".into(),
        events: Vec::new(),
        secret: None,
        headers: BTreeMap::new(),
        guarded: false,
    };
    h.store.put_webhook("c1", &bare).await.unwrap();
    assert_eq!(h.store.get_webhook("c1").await.unwrap(), Some(bare));
    assert_eq!(h.store.get_webhook("c2").await.unwrap(), None);
}

pub async fn deleting_a_webhook_reports_whether_there_was_one(h: Harness) {
    h.store
        .put_webhook("c1", &webhook("https://example.test/a"))
        .await
        .unwrap();
    h.store
        .put_webhook("c2", &webhook("https://example.test/b"))
        .await
        .unwrap();

    assert!(h.store.delete_webhook("c1").await.unwrap());
    assert_eq!(h.store.get_webhook("c1").await.unwrap(), None);
    assert!(!h.store.delete_webhook("c1").await.unwrap());
    assert!(!h.store.delete_webhook("never").await.unwrap());
    assert!(h.store.get_webhook("c2").await.unwrap().is_some());
}

pub async fn a_cursor_is_absent_until_set_and_a_second_set_overwrites_it(h: Harness) {
    assert_eq!(h.store.get_cursor("fanout").await.unwrap(), None);
    h.store.set_cursor("fanout", "0001").await.unwrap();
    h.store.set_cursor("other", "zzz").await.unwrap();
    assert_eq!(
        h.store.get_cursor("fanout").await.unwrap().as_deref(),
        Some("0001")
    );
    h.store.set_cursor("fanout", "0002").await.unwrap();
    assert_eq!(
        h.store.get_cursor("fanout").await.unwrap().as_deref(),
        Some("0002")
    );
    assert_eq!(
        h.store.get_cursor("other").await.unwrap().as_deref(),
        Some("zzz")
    );
}
