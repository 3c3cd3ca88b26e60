//! `GET /wa/messages/{id}/media`: the media of a message, served from the media store when it is
//! there; otherwise downloaded and decrypted by the page (through WhatsApp's own download
//! manager), read out in chunks into a spooled file, stored, and served with its type, name and
//! length; one `Range` is honoured either way.

use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncReadExt, AsyncSeekExt};
use tokio_util::io::ReaderStream;

use super::stored;
use crate::error::{ApiError, ErrorBody};
use crate::http::auth::Auth;
use crate::http::AppState;
use crate::media::{inbound, MediaFile};

/// The media of a message (an image, a voice note, a document, …).
#[utoipa::path(
    get, path = "/wa/messages/{id}/media", tag = "messages",
    params(
        ("id" = String, Path, description = "WhatsApp's message id, as in the `message` event"),
        ("Range" = Option<String>, Header, description = "One byte range, `bytes=0-1023`"),
    ),
    responses(
        (status = 200, description = "The bytes, with `Content-Type`, `Content-Length` and `Content-Disposition` (the file name); from the media store when stored (on arrival per `MEDIA_AUTO_DOWNLOAD`, or by an earlier request, kept `MEDIA_RETENTION`), else downloaded from WhatsApp now and stored", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 206, description = "The requested range, with `Content-Range`", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, description = "`NOT_FOUND`: no such message, or it has no media", body = ErrorBody),
        (status = 409, description = "`WHATSAPP_NOT_READY`: the connection is not linked", body = ErrorBody),
        (status = 410, description = "`MEDIA_EXPIRED`: WhatsApp no longer has the media and it is not (or no longer) stored", body = ErrorBody),
        (status = 416, description = "`INVALID_REQUEST`: the range is outside the file", body = ErrorBody),
    )
)]
pub async fn get_media(
    State(state): State<AppState>,
    Auth(caller): Auth,
    Path(message_id): Path<String>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let missing = || ApiError::not_found(format!("No message with id {message_id}"));
    let record = state
        .store
        .get_message(&message_id, None)
        .await?
        .ok_or_else(missing)?;
    let connection = state
        .owned(&caller, &record.connection_id)
        .await
        .map_err(|_| missing())?;
    let range_header = headers.get(header::RANGE);
    let conn_id = &connection.connection_id;
    if let Some((row, bytes)) = stored::lookup(&state, conn_id, &message_id).await? {
        let head = Head {
            len: row.size,
            mimetype: row.mimetype,
            filename: row.filename,
        };
        return serve(head, range_header, |start, len| {
            stored::body(bytes, start, len)
        });
    }
    let data_dir = &state.config.data_dir;
    let (file, meta) =
        inbound::download(&state.manager, data_dir, &connection, &message_id).await?;
    inbound::keep(state.store.as_ref(), conn_id, &message_id, &file, &meta).await;
    let head = Head {
        len: file.len,
        mimetype: meta.mimetype,
        filename: meta.filename,
    };
    serve(head, range_header, |start, len| {
        Body::from_stream(body_stream(file, start, len))
    })
}

/// What the response says about the file.
struct Head {
    len: u64,
    mimetype: Option<String>,
    filename: Option<String>,
}

/// `bytes=a-b`, `bytes=a-`, `bytes=-n` within `len`; `None` when absent.
fn range(value: Option<&HeaderValue>, len: u64) -> Result<Option<(u64, u64)>, ApiError> {
    let Some(value) = value else { return Ok(None) };
    let unsatisfiable = || {
        ApiError::invalid(format!("the range is not within the {len} bytes"))
            .with_status(StatusCode::RANGE_NOT_SATISFIABLE)
    };
    let spec = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("bytes="))
        .filter(|v| !v.contains(','))
        .ok_or_else(unsatisfiable)?;
    let (start, end) = spec.split_once('-').ok_or_else(unsatisfiable)?;
    let (start, end) = match (start.trim(), end.trim()) {
        ("", n) => {
            let n: u64 = n.parse().map_err(|_| unsatisfiable())?;
            (len.saturating_sub(n), len.saturating_sub(1))
        }
        (a, "") => (
            a.parse().map_err(|_| unsatisfiable())?,
            len.saturating_sub(1),
        ),
        (a, b) => (
            a.parse().map_err(|_| unsatisfiable())?,
            b.parse::<u64>()
                .map_err(|_| unsatisfiable())?
                .min(len.saturating_sub(1)),
        ),
    };
    if start > end || start >= len {
        return Err(unsatisfiable());
    }
    Ok(Some((start, end)))
}

fn serve(
    meta: Head,
    range_header: Option<&HeaderValue>,
    body: impl FnOnce(u64, u64) -> Body,
) -> Result<Response, ApiError> {
    let len = meta.len;
    let span = range(range_header, len)?;
    let (start, end) = span.unwrap_or((0, len - 1));
    let mimetype = meta
        .mimetype
        .unwrap_or_else(|| "application/octet-stream".into());
    let mut response = Response::builder()
        .status(if span.is_some() {
            StatusCode::PARTIAL_CONTENT
        } else {
            StatusCode::OK
        })
        .header(header::CONTENT_TYPE, mimetype)
        .header(header::CONTENT_LENGTH, end - start + 1)
        .header(header::ACCEPT_RANGES, "bytes");
    if span.is_some() {
        response = response.header(header::CONTENT_RANGE, format!("bytes {start}-{end}/{len}"));
    }
    if let Some(name) = meta.filename {
        let safe: String = name
            .chars()
            .filter(|c| !c.is_control() && *c != '"')
            .collect();
        response = response.header(
            header::CONTENT_DISPOSITION,
            format!("inline; filename=\"{safe}\""),
        );
    }
    let body = body(start, end - start + 1);
    response
        .body(body)
        .map_err(ApiError::internal)
        .map(IntoResponse::into_response)
}

/// The file's bytes `start..start+len`; the spooled file lives until the stream ends.
fn body_stream(
    file: MediaFile,
    start: u64,
    len: u64,
) -> impl futures::Stream<Item = std::io::Result<axum::body::Bytes>> {
    use futures::StreamExt;
    let open = async move {
        let mut f = tokio::fs::File::open(&file.path).await?;
        f.seek(std::io::SeekFrom::Start(start)).await?;
        // The temp file goes when the stream is dropped (after the last byte or a hang-up).
        Ok::<_, std::io::Error>((ReaderStream::new(f.take(len)), file))
    };
    futures::stream::once(open)
        .map(|opened| match opened {
            Ok((reader, file)) => reader
                .map(move |chunk| {
                    let _keep = &file;
                    chunk
                })
                .left_stream(),
            Err(e) => futures::stream::once(async move { Err(e) }).right_stream(),
        })
        .flatten()
}
