//! `GET /wa/connections` under load: requests that arrive while a listing query runs share the
//! next one instead of queueing one query each on the store (SQLite serves one query at a time).
//! No answer is older than its request: a request only joins a query that has not started yet,
//! so every write that finished before the request was sent is in what it gets.

use std::sync::{Arc, Mutex};

use tokio::sync::watch;

use crate::store::{Connection, Store, StoreResult};

/// What a query gave its batch: the list, or `None` when it failed (each member then asks the
/// store itself, so that each gets the error in full).
type Shared = Option<Arc<Vec<Connection>>>;

#[derive(Default)]
pub struct ListBatcher {
    /// One per `archived` flag.
    lanes: [Lane; 2],
}

#[derive(Default)]
struct Lane {
    /// The next query, not started yet: requests arriving now join it.
    waiting: Mutex<Option<watch::Receiver<Option<Shared>>>>,
    /// Held by the query that runs; the next batch's leader waits for it, gathering its batch.
    running: tokio::sync::Mutex<()>,
}

impl ListBatcher {
    pub async fn list(
        &self,
        store: &Arc<dyn Store>,
        archived: bool,
    ) -> StoreResult<Arc<Vec<Connection>>> {
        let lane = &self.lanes[usize::from(archived)];
        let joined = {
            let mut waiting = lane.waiting.lock().unwrap();
            match waiting.as_ref() {
                Some(rx) => Err(rx.clone()),
                None => {
                    let (tx, rx) = watch::channel(None);
                    *waiting = Some(rx);
                    Ok(tx)
                }
            }
        };
        match joined {
            Ok(tx) => lead(lane, tx, store, archived).await,
            Err(mut rx) => match rx.wait_for(Option::is_some).await.map(|r| r.clone()) {
                Ok(Some(Some(list))) => Ok(list),
                // The query failed (or its leader was cancelled): ask on our own.
                _ => Ok(Arc::new(store.list_connections(archived).await?)),
            },
        }
    }
}

/// Waits for the running query, closes the batch (later requests start the next one), runs the
/// query and hands its result to the batch.
async fn lead(
    lane: &Lane,
    tx: watch::Sender<Option<Shared>>,
    store: &Arc<dyn Store>,
    archived: bool,
) -> StoreResult<Arc<Vec<Connection>>> {
    // Cancelled here (the client went away), the batch must not stay open with no leader.
    let close = CloseBatch { lane, tx: &tx };
    let _running = lane.running.lock().await;
    drop(close);
    let result = store.list_connections(archived).await.map(Arc::new);
    tx.send_replace(Some(result.as_ref().ok().cloned()));
    result
}

/// Closes the lane's open batch if it is still this leader's.
struct CloseBatch<'a> {
    lane: &'a Lane,
    tx: &'a watch::Sender<Option<Shared>>,
}

impl Drop for CloseBatch<'_> {
    fn drop(&mut self) {
        let mut waiting = self.lane.waiting.lock().unwrap();
        if waiting
            .as_ref()
            .is_some_and(|rx| rx.same_channel(&self.tx.subscribe()))
        {
            waiting.take();
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::ListBatcher;
    use crate::store::sqlite::SqliteStore;
    use crate::store::{now, Connection, Store};

    /// Many concurrent listings against the real SQLite store: each sees every connection inserted
    /// before it was asked, whether it led a query or joined one.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn concurrent_listings_share_queries_and_see_every_earlier_write() {
        let dir = tempfile::tempdir().unwrap();
        let store: Arc<dyn Store> = Arc::new(SqliteStore::open(dir.path()).unwrap());
        let batcher = Arc::new(ListBatcher::default());
        for round in 0..20 {
            let id = format!("c{round}");
            store
                .insert_connection(&Connection::new_pending(&id, "t", now()))
                .await
                .unwrap();
            let asks = (0..32).map(|_| {
                let (store, batcher) = (store.clone(), batcher.clone());
                tokio::spawn(async move { batcher.list(&store, false).await.unwrap().len() })
            });
            for ask in asks {
                assert_eq!(
                    ask.await.unwrap(),
                    round + 1,
                    "a listing missed an earlier write"
                );
            }
        }
    }
}
