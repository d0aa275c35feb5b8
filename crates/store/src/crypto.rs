//! Encryption of reporters' personal data (SPEC CASE-9, DESIGN decision 10).
//!
//! AES-256-GCM with a key derived from the installation secret; each value
//! gets its own random nonce, stored in front of the ciphertext. Phones are
//! also stored as a keyed hash so that duplicates can be found without
//! decrypting anything.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{Store, StoreError};

fn cipher(secret: &[u8]) -> Aes256Gcm {
    let key = Sha256::new().chain_update(b"chuangkou/reporter-data/v1").chain_update(secret).finalize();
    Aes256Gcm::new_from_slice(&key).expect("32-byte key")
}

impl Store {
    pub fn encrypt(&self, plaintext: &str) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        out.extend(
            cipher(self.key())
                .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
                .expect("encryption cannot fail"),
        );
        out
    }

    pub fn decrypt(&self, blob: &[u8]) -> Result<String, StoreError> {
        if blob.len() < 13 {
            return Err(StoreError::Other("encrypted value too short".into()));
        }
        let (nonce, body) = blob.split_at(12);
        let plain = cipher(self.key())
            .decrypt(Nonce::from_slice(nonce), body)
            .map_err(|_| StoreError::Other("cannot decrypt personal data: wrong secret?".into()))?;
        String::from_utf8(plain).map_err(|_| StoreError::Other("decrypted value is not text".into()))
    }

    /// A keyed hash of a phone number's digits.
    pub fn phone_hash(&self, digits: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.key()).expect("any key length");
        mac.update(b"phone:");
        mac.update(digits.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}
