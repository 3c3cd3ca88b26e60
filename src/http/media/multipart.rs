//! `multipart/form-data` sends: text fields become the JSON request, the `file` part is streamed
//! to a temp file (its size checked as it arrives).

use axum::body::Body;
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use super::body::SendBody;
use super::AppState;
use crate::error::ApiError;
use crate::media::{self, MediaError, Spool};

/// The multipart form of a send (`curl -F file=@invoice.pdf -F to=… -F caption=…`).
#[allow(dead_code)]
#[derive(ToSchema)]
pub struct SendForm {
    /// The recipient, as in the JSON body.
    #[schema(
        pattern = r"^(\+?[ ()\-.]*[1-9]([ ()\-.]*[0-9]){5,14}[ ()\-.]*|[1-9][0-9]{5,14}@c\.us|[0-9]+(-[0-9]+)?@g\.us)$"
    )]
    to: String,
    /// The file.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// The caption (`message` works too); at most 65536 characters.
    #[schema(max_length = 65536)]
    caption: Option<String>,
    #[schema(max_length = 65536)]
    message: Option<String>,
    /// Sniffed from the bytes when absent.
    mimetype: Option<String>,
    /// Defaults to the file part's filename.
    filename: Option<String>,
    /// `document`, `voice`, `sticker` or `gif`.
    #[schema(rename = "as", pattern = "^(document|voice|sticker|gif)$")]
    as_: Option<String>,
    /// `true` to send view-once.
    #[schema(rename = "viewOnce")]
    view_once: Option<bool>,
}

/// Text fields longer than this are refused (a caption is at most 65536 characters).
const TEXT_FIELD_BYTES: u64 = 512 * 1024;
const MEDIA_FIELDS: &[&str] = &["mimetype", "filename", "caption", "as", "viewOnce"];

fn bad(e: multer::Error, limit: u64) -> ApiError {
    match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            MediaError::TooLarge { limit }.into()
        }
        other => ApiError::invalid(format!("bad multipart body: {other}")),
    }
}

pub async fn read<T: DeserializeOwned>(
    state: &AppState,
    content_type: &str,
    body: Body,
) -> Result<SendBody<T>, ApiError> {
    let limit = state.config.media.max_bytes;
    let boundary = multer::parse_boundary(content_type)
        .map_err(|e| ApiError::invalid(format!("bad multipart body: {e}")))?;
    let constraints = multer::Constraints::new().size_limit(
        multer::SizeLimit::new()
            .whole_stream(limit + 4 * TEXT_FIELD_BYTES)
            .per_field(TEXT_FIELD_BYTES)
            .for_field("file", limit + 1),
    );
    let stream = body.into_data_stream();
    let mut form = multer::Multipart::with_constraints(stream, boundary, constraints);
    let (mut fields, mut media, mut upload) = (Map::new(), Map::new(), None);
    while let Some(mut field) = form.next_field().await.map_err(|e| bad(e, limit))? {
        let name = field.name().unwrap_or_default().to_owned();
        if name == "file" {
            if upload.is_some() {
                return Err(ApiError::invalid("only one `file` part is allowed"));
            }
            let filename = field.file_name().map(str::to_owned);
            let mut spool = Spool::new(&media::spool_dir(&state.config.data_dir), limit).await?;
            while let Some(chunk) = field.chunk().await.map_err(|e| bad(e, limit))? {
                spool.write(&chunk).await?;
            }
            upload = Some((spool.finish().await?, filename));
            continue;
        }
        let text = field.text().await.map_err(|e| bad(e, limit))?;
        let value = if name == "viewOnce" {
            Value::Bool(matches!(text.as_str(), "true" | "1" | "on"))
        } else {
            Value::String(text)
        };
        let target = if MEDIA_FIELDS.contains(&name.as_str()) {
            &mut media
        } else {
            &mut fields
        };
        target.insert(name, value);
    }
    let upload = upload.ok_or_else(|| ApiError::invalid("a multipart send needs a `file` part"))?;
    // The file is described by the `media` member, as in a JSON send.
    fields.insert("media".into(), Value::Object(media));
    let request = serde_json::from_value(Value::Object(fields))
        .map_err(|e| ApiError::invalid(format!("bad multipart fields: {e}")))?;
    Ok(SendBody {
        request,
        upload: Some(upload),
    })
}
