//! `MEDIA_AUTO_DOWNLOAD`: a supervised task that listens on the event bus and fetches the media of
//! every inbound `message` of a wanted type into the media store as soon as it is reported. It runs
//! beside the session actors, never on their path: a slow CDN only delays the stored copy. At most
//! [`PARALLEL`] downloads run at once; a missed event (bus lag) is fetched on its first request.

use std::path::PathBuf;
use std::sync::Arc;

use tokio::sync::broadcast::error::RecvError;
use tokio::sync::Semaphore;

use super::inbound;
use crate::config::AutoDownload;
use crate::events::EventBus;
use crate::session::SessionManager;
use crate::store::{Store, StoredEvent};
use crate::supervisor::{Spec, Supervisor};

const TASK: &str = "media-auto-download";
/// Downloads at once: each holds a page busy reading chunks.
const PARALLEL: usize = 2;

/// What a download needs.
#[derive(Clone)]
pub struct Fetcher {
    pub manager: Arc<SessionManager>,
    pub store: Arc<dyn Store>,
    pub data_dir: PathBuf,
    pub wanted: AutoDownload,
}

pub fn start(tasks: &mut Supervisor, bus: Arc<EventBus>, fetcher: Fetcher) {
    if fetcher.wanted == AutoDownload::None {
        return;
    }
    let spec = Spec {
        name: TASK,
        required: false,
    };
    tasks.spawn(spec, move |stop| {
        let (mut events, fetcher) = (bus.subscribe(), fetcher.clone());
        let slots = Arc::new(Semaphore::new(PARALLEL));
        async move {
            loop {
                let event = tokio::select! {
                    () = stop.cancelled() => return Ok(()),
                    received = events.recv() => match received {
                        Ok(event) => event,
                        Err(RecvError::Lagged(missed)) => {
                            tracing::warn!(missed, "auto download missed events; fetched on request");
                            continue;
                        }
                        Err(RecvError::Closed) => return Ok(()),
                    },
                };
                if let Some(id) = fetcher.wants(&event) {
                    let (fetcher, slots) = (fetcher.clone(), slots.clone());
                    tokio::spawn(async move {
                        let _slot = slots.acquire().await;
                        fetcher.fetch(&event.connection_id, &id).await;
                    });
                }
            }
        }
    });
}

impl Fetcher {
    /// The message id of an inbound media message of a wanted type.
    fn wants(&self, event: &StoredEvent) -> Option<String> {
        let data = &event.data;
        let kind = data["type"].as_str().unwrap_or("");
        let wanted =
            event.event == "message" && data["hasMedia"] == true && self.wanted.wants(kind);
        wanted
            .then(|| data["id"].as_str().map(str::to_owned))
            .flatten()
    }

    async fn fetch(&self, connection_id: &str, message_id: &str) {
        let stored = self.store.get_media(connection_id, message_id).await;
        if matches!(stored, Ok(Some(_))) {
            return;
        }
        let connection = match self.store.get_connection(connection_id).await {
            Ok(Some(connection)) => connection,
            _ => return,
        };
        let got = inbound::download(&self.manager, &self.data_dir, &connection, message_id).await;
        match got {
            Ok((file, meta)) => {
                let store = self.store.as_ref();
                inbound::keep(store, connection_id, message_id, &file, &meta).await;
            }
            Err(e) => {
                tracing::info!(connection_id, message_id, error = ?e, "auto download failed; fetched on request")
            }
        }
    }
}
