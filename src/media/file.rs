//! A media file on its way to the page: spooled to a temp file (deleted when dropped) while its
//! size is checked and its SHA-256 computed, so the gateway never holds the whole file.

use std::path::Path;

use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use sha2::{Digest, Sha256};
use tempfile::TempPath;
use tokio::io::AsyncWriteExt;

use super::MediaError;

/// Bytes kept from the start of the file, for type sniffing.
const HEAD_BYTES: usize = 8192;
/// Base64 characters decoded at once (a multiple of 4).
const BASE64_STEP: usize = 1 << 20;

/// A complete spooled file.
#[derive(Debug)]
pub struct MediaFile {
    pub path: TempPath,
    pub len: u64,
    /// Hex SHA-256 of the bytes.
    pub sha256: String,
    /// The first bytes, for sniffing.
    pub head: Vec<u8>,
}

/// A file being written; `limit` is checked on every write, before the bytes land.
pub struct Spool {
    file: tokio::fs::File,
    path: TempPath,
    len: u64,
    limit: u64,
    hasher: Sha256,
    head: Vec<u8>,
}

impl Spool {
    pub async fn new(dir: &Path, limit: u64) -> Result<Self, MediaError> {
        tokio::fs::create_dir_all(dir).await?;
        let dir = dir.to_owned();
        let named = tokio::task::spawn_blocking(move || tempfile::NamedTempFile::new_in(dir))
            .await
            .map_err(std::io::Error::other)??;
        let (file, path) = named.into_parts();
        Ok(Self {
            file: tokio::fs::File::from_std(file),
            path,
            len: 0,
            limit,
            hasher: Sha256::new(),
            head: Vec::new(),
        })
    }

    pub async fn write(&mut self, chunk: &[u8]) -> Result<(), MediaError> {
        if self.len + chunk.len() as u64 > self.limit {
            return Err(MediaError::TooLarge { limit: self.limit });
        }
        self.len += chunk.len() as u64;
        self.hasher.update(chunk);
        if self.head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - self.head.len()).min(chunk.len());
            self.head.extend_from_slice(&chunk[..take]);
        }
        self.file.write_all(chunk).await?;
        Ok(())
    }

    pub async fn finish(mut self) -> Result<MediaFile, MediaError> {
        self.file.flush().await?;
        if self.len == 0 {
            return Err(MediaError::Invalid("the media is empty".into()));
        }
        Ok(MediaFile {
            path: self.path,
            len: self.len,
            sha256: hex::encode(self.hasher.finalize()),
            head: self.head,
        })
    }
}

/// A file someone else wrote (a fetched URL): hashed and its head read, a chunk at a time.
pub async fn from_path(path: TempPath, len: u64) -> Result<MediaFile, MediaError> {
    use tokio::io::AsyncReadExt;
    let mut file = tokio::fs::File::open(&path).await?;
    let (mut hasher, mut head) = (Sha256::new(), Vec::new());
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf).await?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        if head.len() < HEAD_BYTES {
            let take = (HEAD_BYTES - head.len()).min(n);
            head.extend_from_slice(&buf[..take]);
        }
    }
    if len == 0 {
        return Err(MediaError::Invalid("the media is empty".into()));
    }
    Ok(MediaFile {
        path,
        len,
        sha256: hex::encode(hasher.finalize()),
        head,
    })
}

/// Decodes base64 (optionally a `data:…;base64,` URL) into a spooled file, a slice at a time.
pub async fn from_base64(dir: &Path, limit: u64, text: &str) -> Result<MediaFile, MediaError> {
    let text = text.trim();
    let text = match text.strip_prefix("data:") {
        Some(rest) => rest.split_once(',').map(|(_, data)| data).unwrap_or(""),
        None => text,
    };
    // Three bytes for every four characters: refuse early what cannot fit.
    if (text.len() as u64 / 4) * 3 > limit + 3 {
        return Err(MediaError::TooLarge { limit });
    }
    let bad =
        |e: base64::DecodeError| MediaError::Invalid(format!("`media.base64` is not base64: {e}"));
    let mut spool = Spool::new(dir, limit).await?;
    let bytes = text.as_bytes();
    for slice in bytes.chunks(BASE64_STEP) {
        let decoded = STANDARD.decode(slice).map_err(bad)?;
        spool.write(&decoded).await?;
    }
    spool.finish().await
}
