//! Login archives at rest: sealed with XChaCha20-Poly1305 when `SESSION_ENCRYPTION_KEY` is set.
//! A sealed archive starts with a magic tag, so plain archives written before a key was set still
//! restore.

use base64::Engine;
use chacha20poly1305::aead::{Aead, AeadCore, KeyInit, OsRng};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};

const MAGIC: &[u8] = b"WAGWENC1";
const NONCE_LEN: usize = 24;

#[derive(Clone)]
pub struct ArchiveKey(XChaCha20Poly1305);

impl std::fmt::Debug for ArchiveKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ArchiveKey([redacted])")
    }
}

impl ArchiveKey {
    /// 32 bytes as 64 hex digits or as base64.
    pub fn parse(raw: &str) -> Result<Self, String> {
        let raw = raw.trim();
        let bytes = hex::decode(raw)
            .ok()
            .filter(|b| b.len() == 32)
            .or_else(|| base64::engine::general_purpose::STANDARD.decode(raw).ok())
            .filter(|b| b.len() == 32)
            .ok_or("must be 32 bytes: 64 hex digits or base64 (e.g. `openssl rand -hex 32`)")?;
        Ok(Self(
            XChaCha20Poly1305::new_from_slice(&bytes).map_err(|e| e.to_string())?,
        ))
    }

    pub fn seal(&self, plain: &[u8]) -> Vec<u8> {
        let nonce = XChaCha20Poly1305::generate_nonce(&mut OsRng);
        let sealed = self
            .0
            .encrypt(&nonce, plain)
            .expect("encryption cannot fail");
        [MAGIC, nonce.as_slice(), &sealed].concat()
    }

    /// Opens a sealed archive; a plain one (no magic) is returned as it is.
    pub fn open(&self, stored: &[u8]) -> Result<Vec<u8>, String> {
        let Some(rest) = stored.strip_prefix(MAGIC) else {
            return Ok(stored.to_vec());
        };
        if rest.len() < NONCE_LEN {
            return Err("sealed archive is truncated".into());
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        self.0
            .decrypt(XNonce::from_slice(nonce), sealed)
            .map_err(|_| "the archive does not open with SESSION_ENCRYPTION_KEY".into())
    }
}

/// Whether stored bytes are a sealed archive.
pub fn is_sealed(stored: &[u8]) -> bool {
    stored.starts_with(MAGIC)
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEY: &str = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";

    #[test]
    fn sealing_round_trips_and_hides_the_bytes() {
        let key = ArchiveKey::parse(KEY).unwrap();
        let sealed = key.seal(b"login state");
        assert!(is_sealed(&sealed));
        assert!(!sealed.windows(11).any(|w| w == b"login state"));
        assert_eq!(key.open(&sealed).unwrap(), b"login state");
    }

    #[test]
    fn a_wrong_key_or_tampering_is_refused() {
        let sealed = ArchiveKey::parse(KEY).unwrap().seal(b"x");
        let other = ArchiveKey::parse(&"ab".repeat(32)).unwrap();
        assert!(other.open(&sealed).is_err());
        let mut tampered = sealed.clone();
        *tampered.last_mut().unwrap() ^= 1;
        assert!(ArchiveKey::parse(KEY).unwrap().open(&tampered).is_err());
    }

    #[test]
    fn plain_archives_pass_through_and_bad_keys_are_rejected() {
        let key = ArchiveKey::parse(KEY).unwrap();
        assert_eq!(key.open(b"plain").unwrap(), b"plain");
        assert!(ArchiveKey::parse("short").is_err());
    }
}
