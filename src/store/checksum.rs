use sha2::{Digest, Sha256};

use super::{StoreError, StoreResult};

/// Lowercase hex SHA-256, the form `ArchiveInfo::checksum` holds.
pub(crate) fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// `Corrupt` unless `bytes` hash to `expected`.
pub(crate) fn verify(bytes: &[u8], expected: &str) -> StoreResult<()> {
    check_digest(&sha256_hex(bytes), expected)
}

/// `Corrupt` unless a computed digest matches the stored one.
pub(crate) fn check_digest(actual: &str, expected: &str) -> StoreResult<()> {
    if actual.eq_ignore_ascii_case(expected) {
        Ok(())
    } else {
        Err(StoreError::Corrupt(format!(
            "archive checksum mismatch: stored {expected}, computed {actual}"
        )))
    }
}
