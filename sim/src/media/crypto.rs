//! Media encryption as WhatsApp does it: the 32-byte media key is expanded with HKDF-SHA256
//! (no salt, a per-type info string) into 112 bytes: iv (16), cipher key (32), mac key (32) and
//! a ref key (32, unused). The blob is AES-256-CBC (PKCS#7) ciphertext followed by the first 10
//! bytes of HMAC-SHA256(macKey, iv || ciphertext).

use aes::cipher::{block_padding::Pkcs7, BlockDecryptMut, BlockEncryptMut, KeyIvInit};
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use hmac::{Hmac, Mac};
use sha2::{Digest, Sha256};

type Enc = cbc::Encryptor<aes::Aes256>;
type Dec = cbc::Decryptor<aes::Aes256>;

/// Length of the MAC appended to a blob.
pub const MAC_LEN: usize = 10;

/// The HKDF info string of a message type (`image`, `ptt`, `sticker`, ...).
pub fn info_for(kind: &str) -> &'static str {
    match kind {
        "image" | "sticker" => "WhatsApp Image Keys",
        "video" | "gif" => "WhatsApp Video Keys",
        "audio" | "ptt" => "WhatsApp Audio Keys",
        _ => "WhatsApp Document Keys",
    }
}

/// The keys one media key expands to for one type.
pub struct MediaKeys {
    iv: [u8; 16],
    cipher: [u8; 32],
    mac: [u8; 32],
}

impl MediaKeys {
    pub fn expand(media_key: &[u8], kind: &str) -> Self {
        let mut okm = [0u8; 112];
        hkdf::Hkdf::<Sha256>::new(None, media_key)
            .expand(info_for(kind).as_bytes(), &mut okm)
            .expect("112 bytes is a valid HKDF-SHA256 length");
        let mut keys = MediaKeys {
            iv: [0; 16],
            cipher: [0; 32],
            mac: [0; 32],
        };
        keys.iv.copy_from_slice(&okm[..16]);
        keys.cipher.copy_from_slice(&okm[16..48]);
        keys.mac.copy_from_slice(&okm[48..80]);
        keys
    }

    fn mac_of(&self, ciphertext: &[u8]) -> [u8; MAC_LEN] {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.mac).expect("any key length");
        mac.update(&self.iv);
        mac.update(ciphertext);
        let full = mac.finalize().into_bytes();
        let mut out = [0u8; MAC_LEN];
        out.copy_from_slice(&full[..MAC_LEN]);
        out
    }

    /// The blob the CDN holds: ciphertext plus the truncated MAC.
    pub fn encrypt(&self, plain: &[u8]) -> Vec<u8> {
        let mut blob =
            Enc::new(&self.cipher.into(), &self.iv.into()).encrypt_padded_vec_mut::<Pkcs7>(plain);
        let mac = self.mac_of(&blob);
        blob.extend_from_slice(&mac);
        blob
    }

    /// The plain bytes of a blob, if its MAC and padding are right.
    pub fn decrypt(&self, blob: &[u8]) -> Result<Vec<u8>, &'static str> {
        if blob.len() < MAC_LEN + 16 {
            return Err("blob too short");
        }
        let (ciphertext, mac) = blob.split_at(blob.len() - MAC_LEN);
        if self.mac_of(ciphertext) != mac {
            return Err("media MAC mismatch");
        }
        Dec::new(&self.cipher.into(), &self.iv.into())
            .decrypt_padded_vec_mut::<Pkcs7>(ciphertext)
            .map_err(|_| "bad padding")
    }
}

/// Base64 SHA-256, the form of `filehash` and `encFilehash`.
pub fn b64_sha256(bytes: &[u8]) -> String {
    STANDARD.encode(Sha256::digest(bytes))
}

/// Hex SHA-256, the form tests compare.
pub fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_tamper() {
        let keys = MediaKeys::expand(&[7u8; 32], "image");
        let blob = keys.encrypt(b"hello media");
        assert_eq!(blob.len(), 16 + MAC_LEN);
        assert_eq!(keys.decrypt(&blob).unwrap(), b"hello media");
        let mut bad = blob.clone();
        bad[0] ^= 1;
        assert_eq!(keys.decrypt(&bad), Err("media MAC mismatch"));
        // Another type's keys do not open the blob.
        assert!(MediaKeys::expand(&[7u8; 32], "document")
            .decrypt(&blob)
            .is_err());
    }
}
