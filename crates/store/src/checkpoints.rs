//! Signed checkpoints of the event chains (issue 17, SPEC REL-1): the
//! keyed chain shows an event altered in place, but not its tail cut and
//! its head rewritten, a restore of an old copy, or a forgery by whoever
//! holds the chain's key. A checkpoint — organisation, sequence number,
//! chain head, time — signed with an Ed25519 key that is not the chain's
//! and never stored in the database, and kept outside it (a folder, an
//! auditor's copy, the notice's footer), lets `verify --checkpoints` tell
//! when the database is behind a checkpoint or diverges from it.

use chuangkou_domain::OrgId;
use ed25519_dalek::{Signature, Signer, SigningKey, Verifier, VerifyingKey};
use serde::{Deserialize, Serialize};

use crate::{Result, Store, StoreError, on_read};

/// One organisation's chain as it stood, signed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Checkpoint {
    pub org_id: OrgId,
    pub org_code: String,
    pub seq: i64,
    pub head_hash: String,
    /// When it was taken, ms since the epoch.
    pub at: i64,
    /// The signer's public key, hex.
    pub public_key: String,
    /// Ed25519 over [`Checkpoint::message`], hex.
    pub signature: String,
}

impl Checkpoint {
    /// What is signed: the fields, length-prefixed so none can run into another.
    pub fn message(org_id: OrgId, org_code: &str, seq: i64, head_hash: &str, at: i64) -> Vec<u8> {
        let mut m = b"chuangkou/checkpoint/v1".to_vec();
        for part in
            [org_id.to_string(), org_code.to_string(), seq.to_string(), head_hash.to_string(), at.to_string()]
        {
            m.extend_from_slice(&(part.len() as u64).to_be_bytes());
            m.extend_from_slice(part.as_bytes());
        }
        m
    }

    /// Whether the signature is `key`'s over these fields.
    pub fn signed_by(&self, key: &VerifyingKey) -> bool {
        let Ok(bytes) = hex::decode(&self.signature) else { return false };
        let Ok(sig) = Signature::from_slice(&bytes) else { return false };
        let m = Checkpoint::message(self.org_id, &self.org_code, self.seq, &self.head_hash, self.at);
        key.verify(&m, &sig).is_ok()
    }
}

/// A signing key from its 32-byte seed, hex.
pub fn signing_key(seed_hex: &str) -> Result<SigningKey> {
    let bytes = hex::decode(seed_hex.trim())
        .map_err(|_| StoreError::Other("the checkpoint key is not hex".into()))?;
    let seed: [u8; 32] =
        bytes.try_into().map_err(|_| StoreError::Other("the checkpoint key is not 32 bytes".into()))?;
    Ok(SigningKey::from_bytes(&seed))
}

/// A public key from hex.
pub fn verifying_key(hex_key: &str) -> Result<VerifyingKey> {
    let bytes =
        hex::decode(hex_key.trim()).map_err(|_| StoreError::Other("the public key is not hex".into()))?;
    let raw: [u8; 32] =
        bytes.try_into().map_err(|_| StoreError::Other("the public key is not 32 bytes".into()))?;
    VerifyingKey::from_bytes(&raw).map_err(|e| StoreError::Other(format!("the public key is not valid: {e}")))
}

impl Store {
    /// A checkpoint of every organisation's chain as it stands now.
    pub async fn checkpoints(&self, key: &SigningKey) -> Result<Vec<Checkpoint>> {
        self.sign_heads(key, None).await
    }

    /// A checkpoint of one organisation's chain as it stands now (for the
    /// auditor's endpoint and the notice's footer).
    pub async fn checkpoint(&self, key: &SigningKey, org_id: OrgId) -> Result<Checkpoint> {
        self.sign_heads(key, Some(org_id)).await?.pop().ok_or(StoreError::NotFound)
    }

    async fn sign_heads(&self, key: &SigningKey, org: Option<OrgId>) -> Result<Vec<Checkpoint>> {
        let heads: Vec<(OrgId, String, i64, String)> = on_read!(self, c => sqlx::query_as(
            "SELECT h.org_id, o.code, h.seq, h.head_hash FROM chain_heads h JOIN organisations o ON o.id = h.org_id
              WHERE $1 = 0 OR h.org_id = $1 ORDER BY h.org_id").bind(org.map_or(0, OrgId::get)).fetch_all(c).await)?;
        let at = self.now_ms();
        let public_key = hex::encode(key.verifying_key().to_bytes());
        Ok(heads
            .into_iter()
            .map(|(org_id, org_code, seq, head_hash)| {
                let m = Checkpoint::message(org_id, &org_code, seq, &head_hash, at);
                Checkpoint {
                    signature: hex::encode(key.sign(&m).to_bytes()),
                    public_key: public_key.clone(),
                    org_id,
                    org_code,
                    seq,
                    head_hash,
                    at,
                }
            })
            .collect())
    }

    /// What is wrong with the database against a checkpoint signed by
    /// `key`; `None` when the database holds the checkpointed event with
    /// the same hash and is not behind it.
    pub async fn check_checkpoint(&self, cp: &Checkpoint, key: &VerifyingKey) -> Result<Option<String>> {
        if !cp.signed_by(key) {
            return Ok(Some(format!(
                "checkpoint of {} at seq {} is not signed by the installation's checkpoint key",
                cp.org_code, cp.seq
            )));
        }
        let head: Option<i64> = on_read!(self, c => sqlx::query_scalar("SELECT seq FROM chain_heads WHERE org_id = $1")
            .bind(cp.org_id).fetch_optional(c).await)?;
        let at: Option<String> = on_read!(self, c => sqlx::query_scalar("SELECT hash FROM events WHERE org_id = $1 AND seq = $2")
            .bind(cp.org_id).bind(cp.seq).fetch_optional(c).await)?;
        Ok(match (head, at) {
            (Some(h), _) if h < cp.seq => Some(format!(
                "{} is behind its checkpoint: the chain ends at seq {h}, the checkpoint signed seq {} (events were removed or an old copy was restored)",
                cp.org_code, cp.seq
            )),
            (None, _) | (_, None) => {
                Some(format!("{}: the checkpointed event seq {} is missing", cp.org_code, cp.seq))
            }
            (_, Some(hash)) if hash != cp.head_hash => Some(format!(
                "{} diverges from its checkpoint at seq {}: the stored event's hash differs from the signed one",
                cp.org_code, cp.seq
            )),
            _ => None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_verifies_under_its_key_and_not_when_altered() {
        let key = signing_key(&"07".repeat(32)).unwrap();
        let m = Checkpoint::message(OrgId::new(1), "TY", 42, "abc", 1000);
        let mut cp = Checkpoint {
            org_id: OrgId::new(1),
            org_code: "TY".into(),
            seq: 42,
            head_hash: "abc".into(),
            at: 1000,
            public_key: hex::encode(key.verifying_key().to_bytes()),
            signature: hex::encode(key.sign(&m).to_bytes()),
        };
        assert!(cp.signed_by(&key.verifying_key()));
        cp.seq = 41;
        assert!(!cp.signed_by(&key.verifying_key()), "a lowered seq breaks the signature");
        let other = signing_key(&"08".repeat(32)).unwrap();
        cp.seq = 42;
        assert!(!cp.signed_by(&other.verifying_key()));
    }
}
