//! `WEBHOOK_INLINE_MEDIA_MAX`: a `message` webhook carries small media inline (`media.data`,
//! base64) once the media store holds it. The event is reported before its media is downloaded
//! (`MEDIA_AUTO_DOWNLOAD` runs beside the session), so the delivery waits a bounded time for the
//! stored copy; without one it goes out as it is, and the receiver fetches `media.url`.

use std::time::Duration;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use futures::TryStreamExt;
use tokio::time::Instant;

use crate::config::WebhookSettings;
use crate::store::{Store, StoreResult, StoredEvent};

/// How long a delivery waits for the auto-download to store the media.
const STORED_WAIT: Duration = Duration::from_secs(20);
const POLL_EVERY: Duration = Duration::from_millis(100);

/// Adds `media.data` to a `message` event whose media qualifies; the event is unchanged otherwise.
pub async fn inline(
    store: &dyn Store,
    settings: &WebhookSettings,
    event: &mut StoredEvent,
) -> StoreResult<()> {
    let Some(message_id) = wanted(settings, event) else {
        return Ok(());
    };
    let Some(bytes) = stored_bytes(store, settings, &event.connection_id, &message_id).await?
    else {
        return Ok(());
    };
    event.data["media"]["data"] = STANDARD.encode(bytes).into();
    Ok(())
}

/// The message id of an inbound `message` whose media is small enough and downloaded on arrival.
fn wanted(settings: &WebhookSettings, event: &StoredEvent) -> Option<String> {
    let data = &event.data;
    let media = data.get("media").filter(|m| m.is_object())?;
    let size = media["size"].as_u64()?;
    let kind = data["type"].as_str().unwrap_or("");
    let wanted = settings.inline_media_max > 0
        && event.event == "message"
        && size <= settings.inline_media_max
        && settings.auto_download.wants(kind);
    wanted.then(|| data["id"].as_str().map(str::to_owned))?
}

/// The stored bytes, once the auto-download has stored them (within [`STORED_WAIT`]).
async fn stored_bytes(
    store: &dyn Store,
    settings: &WebhookSettings,
    connection_id: &str,
    message_id: &str,
) -> StoreResult<Option<Vec<u8>>> {
    let deadline = Instant::now() + STORED_WAIT;
    let row = loop {
        if let Some(row) = store.get_media(connection_id, message_id).await? {
            break row;
        }
        if Instant::now() >= deadline {
            tracing::debug!(
                message_id,
                "media not stored in time; delivered without data"
            );
            return Ok(None);
        }
        tokio::time::sleep(POLL_EVERY).await;
    };
    if row.size > settings.inline_media_max {
        return Ok(None);
    }
    let Ok(stream) = store.open_media(&row.sha256).await else {
        // Swept meanwhile: the receiver can still ask for it by URL.
        return Ok(None);
    };
    let chunks: Vec<Vec<u8>> = match stream.try_collect().await {
        Ok(chunks) => chunks,
        Err(e) => {
            tracing::warn!(message_id, error = %e, "stored media unreadable; delivered without data");
            return Ok(None);
        }
    };
    Ok(Some(chunks.concat()))
}
