//! Idempotency keys: a write sent twice with the same key answers the first
//! answer again instead of writing twice (a double submit, a retry after a
//! lost answer). The key is claimed before the write; the first answer is
//! kept encrypted, since it may hold a tracking code shown once.

use crate::users::sha256_hex;
use crate::{Result, Store, on_read, on_tx};
use chuangkou_domain::OrgId;

/// What a claim found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// The key is new: do the write, then [`Store::finish_idempotency`].
    New,
    /// The same key and body were answered before: answer this again.
    Replay { status: u16, body: String },
    /// The same key came with another body.
    Mismatch,
    /// The first request with this key is still being answered.
    InProgress,
}

impl Store {
    /// Claims `key` in `scope` for a request whose body is `body`.
    pub async fn claim_idempotency(
        &self,
        org_id: OrgId,
        scope: &str,
        key: &str,
        body: &[u8],
    ) -> Result<Claim> {
        let digest = hex::encode(<sha2::Sha256 as sha2::Digest>::digest(body));
        let key = sha256_hex(key);
        let mut tx = self.begin().await?;
        let took: Option<String> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO idempotency_keys (org_id, scope, key, body_sha256, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (org_id, scope, key) DO NOTHING RETURNING key")
            .bind(org_id).bind(scope).bind(&key).bind(&digest).bind(self.now_ms()).fetch_optional(c).await)?;
        tx.commit().await?;
        if took.is_some() {
            return Ok(Claim::New);
        }
        let (was, status, response): (String, Option<i64>, Option<Vec<u8>>) = on_read!(self, c => sqlx::query_as(
            "SELECT body_sha256, status, response FROM idempotency_keys WHERE org_id = $1 AND scope = $2 AND key = $3")
            .bind(org_id).bind(scope).bind(&key).fetch_one(c).await)?;
        Ok(match (was == digest, status, response) {
            (false, ..) => Claim::Mismatch,
            (true, Some(s), Some(r)) => Claim::Replay { status: s as u16, body: self.decrypt(&r)? },
            (true, ..) => Claim::InProgress,
        })
    }

    /// Keeps the first answer to a claimed key.
    pub async fn finish_idempotency(
        &self,
        org_id: OrgId,
        scope: &str,
        key: &str,
        status: u16,
        body: &str,
    ) -> Result<()> {
        let key = sha256_hex(key);
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => sqlx::query(
            "UPDATE idempotency_keys SET status = $1, response = $2 WHERE org_id = $3 AND scope = $4 AND key = $5")
            .bind(i64::from(status)).bind(self.encrypt(body)).bind(org_id).bind(scope).bind(&key)
            .execute(c).await.map(|_| ()))?;
        tx.commit().await
    }

    /// Lets a key go again after an answer that wrote nothing and may
    /// succeed on retry (the database was down, say).
    pub async fn release_idempotency(&self, org_id: OrgId, scope: &str, key: &str) -> Result<()> {
        let key = sha256_hex(key);
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => sqlx::query(
            "DELETE FROM idempotency_keys WHERE org_id = $1 AND scope = $2 AND key = $3 AND status IS NULL")
            .bind(org_id).bind(scope).bind(&key).execute(c).await.map(|_| ()))?;
        tx.commit().await
    }
}
