//! MongoDB for end-to-end tests: `TEST_MONGO_URI` names a server (CI starts one); every test gets
//! its own database, dropped afterwards.

/// The server to use; panics when none is configured unless `WA_SKIP_MONGO=1` says to skip.
pub fn uri() -> Option<String> {
    match std::env::var("TEST_MONGO_URI") {
        Ok(uri) if !uri.is_empty() => Some(uri),
        _ if std::env::var("WA_SKIP_MONGO").as_deref() == Ok("1") => None,
        _ => panic!(
            "TEST_MONGO_URI is not set: start a server with `.ci/mongo-test-server.sh start` \
             (or set WA_SKIP_MONGO=1 to skip the MongoDB half)"
        ),
    }
}

/// A fresh database name for one test.
pub fn database_name() -> String {
    format!("wa_e2e_{}", uuid::Uuid::new_v4().simple())
}

pub async fn drop_database(uri: &str, name: &str) {
    if let Ok(client) = mongodb::Client::with_uri_str(uri).await {
        let _ = client.database(name).drop().await;
    }
}
