//! What can be wrong with media a send carries, and the API error each is.

use crate::error::{ApiError, ErrorCode};

#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// A bad request shape (unknown `as`, bad base64, two sources, …).
    #[error("{0}")]
    Invalid(String),
    #[error("the media is larger than MEDIA_MAX_BYTES ({limit} bytes)")]
    TooLarge { limit: u64 },
    /// Bytes that contradict the mimetype, a non-image as a sticker, …
    #[error("{0}")]
    Unsupported(String),
    #[error("the media URL could not be fetched: {0}")]
    FetchFailed(String),
    #[error("media spool: {0}")]
    Io(#[from] std::io::Error),
}

impl From<MediaError> for ApiError {
    fn from(err: MediaError) -> Self {
        let message = err.to_string();
        match err {
            MediaError::Invalid(_) => ApiError::invalid(message),
            MediaError::TooLarge { .. } => ApiError::new(ErrorCode::MediaTooLarge, message),
            MediaError::Unsupported(_) => ApiError::new(ErrorCode::MediaUnsupported, message),
            MediaError::FetchFailed(_) => ApiError::new(ErrorCode::MediaFetchFailed, message),
            MediaError::Io(_) => ApiError::internal(err),
        }
    }
}
