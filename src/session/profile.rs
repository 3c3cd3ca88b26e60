//! A connection's Chromium profile and its copy in the store: archived while connected, unpacked
//! before a restore. `SESSION_DIR` is only a cache of what the store holds.

use std::path::PathBuf;

use crate::store::{archive, ArchiveInfo, StoreError};

use super::actor::Deps;

#[derive(Debug, thiserror::Error)]
pub enum ProfileError {
    #[error("profile archive: {0}")]
    Io(#[from] std::io::Error),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("archive task failed: {0}")]
    Task(String),
    /// Sealed with another key (or tampered with): kept, never deleted, so fixing the key helps.
    #[error("login archive: {0}")]
    Sealed(String),
}

pub fn dir(deps: &Deps, id: &str) -> PathBuf {
    deps.config.session_dir.join(id)
}

/// Packs the profile's durable parts and replaces the stored archive with them.
pub async fn save(deps: &Deps, id: &str) -> Result<ArchiveInfo, ProfileError> {
    let path = dir(deps, id);
    let bytes = tokio::task::spawn_blocking(move || archive::pack_profile(&path))
        .await
        .map_err(|e| ProfileError::Task(e.to_string()))??;
    let stored = match &deps.archive_key {
        Some(key) => key.seal(&bytes),
        None => bytes,
    };
    Ok(deps.store.save_archive(id, &stored).await?)
}

/// Replaces the profile folder with the stored archive; `false` when the store holds none.
pub async fn unpack(deps: &Deps, id: &str) -> Result<bool, ProfileError> {
    let Some(stored) = deps.store.load_archive(id).await? else {
        return Ok(false);
    };
    let bytes = match &deps.archive_key {
        Some(key) => key.open(&stored).map_err(ProfileError::Sealed)?,
        None if crate::crypto::is_sealed(&stored) => {
            return Err(ProfileError::Sealed(
                "sealed, but SESSION_ENCRYPTION_KEY is not set".into(),
            ))
        }
        None => stored,
    };
    let path = dir(deps, id);
    tokio::task::spawn_blocking(move || archive::unpack_profile(&bytes, &path))
        .await
        .map_err(|e| ProfileError::Task(e.to_string()))??;
    Ok(true)
}

/// Removes the folder; a login that ended is worth nothing on disk.
pub async fn remove(deps: &Deps, id: &str) {
    if let Err(e) = tokio::fs::remove_dir_all(dir(deps, id)).await {
        if e.kind() != std::io::ErrorKind::NotFound {
            tracing::warn!(error = %e, "could not remove the profile folder");
        }
    }
}
