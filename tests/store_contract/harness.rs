//! Runs one contract case against a fresh store of each backend and cleans up afterwards.

use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::Arc;

use futures::FutureExt;
use mongodb::bson::{doc, Document};
use wa_gateway::store::mongo::MongoStore;
use wa_gateway::store::sqlite::SqliteStore;
use wa_gateway::store::Store;

/// Which backend a case runs against.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Sqlite,
    Mongo,
}

/// Backend handles a case may use to look under the store (blob counts, corruption).
#[derive(Clone)]
pub enum Backend {
    Sqlite(PathBuf),
    Mongo(mongodb::Database),
}

/// What each case gets: the store under test and a way to inspect its storage.
#[derive(Clone)]
pub struct Harness {
    pub store: Arc<dyn Store>,
    pub backend: Backend,
}

/// Builds a fresh store of `kind`, runs `case` on it, then drops the Mongo database even when the
/// case panicked.
pub async fn run<F, Fut>(kind: Kind, case: F)
where
    F: FnOnce(Harness) -> Fut,
    Fut: Future<Output = ()>,
{
    match kind {
        Kind::Sqlite => {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().to_owned();
            let store = tokio::task::spawn_blocking(move || SqliteStore::open(&path))
                .await
                .unwrap()
                .expect("open sqlite store");
            let backend = Backend::Sqlite(SqliteStore::file_path(dir.path()));
            case(Harness {
                store: Arc::new(store),
                backend,
            })
            .await;
        }
        Kind::Mongo => {
            let Some(uri) = crate::skip::mongo_uri() else {
                return;
            };
            let name = format!("wa_test_{}", uuid::Uuid::new_v4().simple());
            let store = MongoStore::connect(&uri, Some(&name))
                .await
                .unwrap_or_else(|e| panic!("connect to TEST_MONGO_URI ({uri}): {e}"));
            let db = inspection_database(&uri, &name).await;
            let harness = Harness {
                store: Arc::new(store),
                backend: Backend::Mongo(db.clone()),
            };
            let outcome = AssertUnwindSafe(case(harness)).catch_unwind().await;
            if let Err(e) = db.drop().await {
                eprintln!("could not drop test database {name}: {e}");
            }
            if let Err(panic) = outcome {
                std::panic::resume_unwind(panic);
            }
        }
    }
}

/// The case's database, through a client of the test's own. The URI must not name a database:
/// the store would use that one instead of the case's.
async fn inspection_database(uri: &str, name: &str) -> mongodb::Database {
    let options = mongodb::options::ClientOptions::parse(uri).await.unwrap();
    assert_eq!(
        options.default_database, None,
        "TEST_MONGO_URI must not name a database: every case uses a fresh one"
    );
    mongodb::Client::with_options(options)
        .unwrap()
        .database(name)
}

impl Harness {
    /// How many archive copies the backend holds for all connections.
    pub async fn stored_archive_count(&self) -> u64 {
        match &self.backend {
            Backend::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).unwrap();
                conn.query_row("SELECT count(*) FROM archives", [], |r| r.get(0))
                    .unwrap()
            }
            Backend::Mongo(db) => {
                let files = db.collection::<Document>("loginArchives.files");
                let chunks = db.collection::<Document>("loginArchives.chunks");
                let n = files.count_documents(doc! {}).await.unwrap();
                if n == 0 {
                    assert_eq!(
                        chunks.count_documents(doc! {}).await.unwrap(),
                        0,
                        "orphan chunks"
                    );
                }
                n
            }
        }
    }

    /// Flips one byte of the stored archive `archive_id` behind the store's back.
    pub async fn corrupt_archive(&self, archive_id: &str) {
        match &self.backend {
            Backend::Sqlite(path) => {
                let conn = rusqlite::Connection::open(path).unwrap();
                let id: i64 = archive_id.parse().unwrap();
                let mut data: Vec<u8> = conn
                    .query_row("SELECT data FROM archives WHERE id = ?1", [id], |r| {
                        r.get(0)
                    })
                    .unwrap();
                data[0] ^= 0xff;
                conn.execute(
                    "UPDATE archives SET data = ?2 WHERE id = ?1",
                    rusqlite::params![id, data],
                )
                .unwrap();
            }
            Backend::Mongo(db) => {
                let chunks = db.collection::<Document>("loginArchives.chunks");
                let filter = doc! { "files_id": archive_id, "n": 0 };
                let chunk = chunks.find_one(filter.clone()).await.unwrap().unwrap();
                let mut data = chunk.get_binary_generic("data").unwrap().clone();
                data[0] ^= 0xff;
                let bin = mongodb::bson::Binary {
                    subtype: mongodb::bson::spec::BinarySubtype::Generic,
                    bytes: data,
                };
                let res = chunks
                    .update_one(filter, doc! { "$set": { "data": bin } })
                    .await
                    .unwrap();
                assert_eq!(res.modified_count, 1);
            }
        }
    }
}
