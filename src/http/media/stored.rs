//! The media store's side of `GET /wa/messages/{id}/media`: answer from the stored copy when there
//! is one, (what is downloaded from WhatsApp is kept by `media::inbound::keep`).

use axum::body::{Body, Bytes};
use futures::{StreamExt, TryStreamExt};
use tokio::io::AsyncReadExt;
use tokio_util::io::{ReaderStream, StreamReader};

use crate::error::ApiError;
use crate::http::AppState;
use crate::store::{MediaStream, StoreError, StoredMedia};

/// The stored copy of a message's media and its bytes, if the store has both.
pub async fn lookup(
    state: &AppState,
    connection_id: &str,
    message_id: &str,
) -> Result<Option<(StoredMedia, MediaStream)>, ApiError> {
    let Some(stored) = state.store.get_media(connection_id, message_id).await? else {
        return Ok(None);
    };
    match state.store.open_media(&stored.sha256).await {
        Ok(bytes) => Ok(Some((stored, bytes))),
        // Swept between the two reads: fetch it from WhatsApp again.
        Err(StoreError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Bytes `start..start+len` of a stored blob (the bytes before `start` are read and dropped:
/// GridFS streams cannot seek).
pub fn body(bytes: MediaStream, start: u64, len: u64) -> Body {
    let reader = StreamReader::new(bytes.map_ok(Bytes::from));
    let ranged = async move {
        let mut reader = Box::pin(reader);
        tokio::io::copy(&mut (&mut reader).take(start), &mut tokio::io::sink()).await?;
        Ok::<_, std::io::Error>(ReaderStream::new(reader.take(len)))
    };
    let stream = futures::stream::once(ranged)
        .map(|opened| match opened {
            Ok(reader) => reader.left_stream(),
            Err(e) => futures::stream::once(async move { Err(e) }).right_stream(),
        })
        .flatten();
    Body::from_stream(stream)
}
