//! Keys and encryption (SPEC CASE-9, DESIGN decision 10, issue 17).
//!
//! The installation secret is never used as a key itself: HKDF-SHA256
//! derives one key per purpose — the event chain's HMAC, the encryption of
//! reporters' personal data, and the keyed hashes that find a phone or a
//! device again without storing it — so that a key handed to one purpose
//! says nothing of the others. These are key version 2. Version 1, before,
//! used the secret itself for the chain and the hashes and a SHA-256 of it
//! for the data: events keep the version they were written with (their
//! `key_version`), and migration 22 re-encrypted and re-hashed the personal
//! data written under version 1 (see [`Store::rekey_personal_data`]).
//!
//! Personal data is AES-256-GCM; each value gets its own random nonce,
//! stored in front of the ciphertext. Phones are also stored as a keyed
//! hash so that duplicates can be found without decrypting anything.

use aes_gcm::aead::{Aead, KeyInit};
use aes_gcm::{Aes256Gcm, Nonce};
use chuangkou_domain::events::EventKind;
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};

use crate::{Result, Store, StoreError, Tx, on_tx};

/// The key version new events are chained with.
pub const CHAIN_KEY_VERSION: i64 = 2;

/// The keys derived from the installation secret.
pub(crate) struct Keys {
    /// The secret itself: version 1's chain key, kept to verify old events.
    secret: Vec<u8>,
    chain: [u8; 32],
    data: Aes256Gcm,
    lookup: [u8; 32],
    /// Version 1's data key, to read what was written before migration 22.
    data_v1: Aes256Gcm,
}

fn derive(secret: &[u8], purpose: &str) -> [u8; 32] {
    let mut okm = [0u8; 32];
    hkdf::Hkdf::<Sha256>::new(Some(b"chuangkou installation secret"), secret)
        .expand(purpose.as_bytes(), &mut okm)
        .expect("32 bytes is a valid HKDF-SHA256 length");
    okm
}

impl Keys {
    pub(crate) fn derive(secret: &[u8]) -> Keys {
        let v1 = Sha256::new().chain_update(b"chuangkou/reporter-data/v1").chain_update(secret).finalize();
        Keys {
            secret: secret.to_vec(),
            chain: derive(secret, "chuangkou/chain/v2"),
            data: Aes256Gcm::new_from_slice(&derive(secret, "chuangkou/personal-data/v2"))
                .expect("32-byte key"),
            lookup: derive(secret, "chuangkou/lookup-hash/v2"),
            data_v1: Aes256Gcm::new_from_slice(&v1).expect("32-byte key"),
        }
    }

    /// The chain's key of a version; `None` for a version this build does not know.
    pub(crate) fn chain(&self, version: i64) -> Option<&[u8]> {
        match version {
            1 => Some(&self.secret),
            2 => Some(&self.chain),
            _ => None,
        }
    }

    fn lookup_hash(&self, key: &[u8], tag: &[u8], value: &str) -> [u8; 32] {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(key).expect("any key length");
        mac.update(tag);
        mac.update(value.as_bytes());
        mac.finalize().into_bytes().into()
    }
}

/// A reporter's id, organisation, and encrypted name and phone.
type SealedReporter = (i64, chuangkou_domain::OrgId, Option<Vec<u8>>, Option<Vec<u8>>);

fn open(cipher: &Aes256Gcm, blob: &[u8]) -> Option<Vec<u8>> {
    let (nonce, body) = blob.split_at(12);
    cipher.decrypt(Nonce::from_slice(nonce), body).ok()
}

impl Store {
    pub fn encrypt(&self, plaintext: &str) -> Vec<u8> {
        let mut nonce = [0u8; 12];
        rand::rng().fill_bytes(&mut nonce);
        let mut out = nonce.to_vec();
        out.extend(
            self.keys()
                .data
                .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
                .expect("encryption cannot fail"),
        );
        out
    }

    /// Decrypts a value written with this version's key, or with version
    /// 1's (a kept answer written just before the upgrade, say).
    pub fn decrypt(&self, blob: &[u8]) -> Result<String> {
        if blob.len() < 13 {
            return Err(StoreError::Other("encrypted value too short".into()));
        }
        let keys = self.keys();
        let plain = open(&keys.data, blob)
            .or_else(|| open(&keys.data_v1, blob))
            .ok_or_else(|| StoreError::Other("cannot decrypt personal data: wrong secret?".into()))?;
        String::from_utf8(plain).map_err(|_| StoreError::Other("decrypted value is not text".into()))
    }

    /// A keyed hash of a phone number's digits.
    pub fn phone_hash(&self, digits: &str) -> String {
        let keys = self.keys();
        hex::encode(keys.lookup_hash(&keys.lookup, b"phone:", digits))
    }

    /// The keyed hash of a case's spoken code, bound to its number: eight
    /// digits are few, so a plain hash in a stolen copy would give them all.
    pub fn spoken_hash(&self, number: &str, digits: &str) -> String {
        let keys = self.keys();
        hex::encode(keys.lookup_hash(&keys.lookup, b"spoken:", &format!("{number}:{digits}")))
    }

    /// The keyed hash that stands for a device (its cookie, or its address
    /// and browser): the same device gives the same value, and nothing can
    /// be learnt from it.
    pub fn device_hash(&self, raw: &str) -> String {
        let keys = self.keys();
        hex::encode(&keys.lookup_hash(&keys.lookup, b"device:", raw)[..16])
    }

    /// Migration 22's step: re-encrypts reporters' names and phones with
    /// the version 2 data key and re-hashes their phones (on the reporter
    /// and its cases) with the version 2 lookup key, in the migration's
    /// transaction, with one `records.rekeyed` event per organisation. The
    /// triggers that fix these columns are lifted for the step only. A
    /// device's hash cannot be redone (the device is not stored): a device
    /// that rated in the day before the upgrade may rate once more.
    pub(crate) async fn rekey_personal_data(&self, tx: &mut Tx) -> Result<()> {
        let keys = self.keys();
        let legacy_phone_hash = |digits: &str| hex::encode(keys.lookup_hash(&keys.secret, b"phone:", digits));
        let rows: Vec<SealedReporter> = on_tx!(tx, c => sqlx::query_as(
            "SELECT id, org_id, name_enc, phone_enc FROM reporters ORDER BY id").fetch_all(c).await)?;
        if rows.is_empty() {
            return Ok(());
        }
        let guarded = self.lift_guards(tx, &["reporters_fixed", "cases_fixed"]).await?;
        let mut per_org: std::collections::BTreeMap<chuangkou_domain::OrgId, i64> = Default::default();
        for (id, org_id, name, phone) in rows {
            let reseal = |b: Option<Vec<u8>>| -> Result<Option<Vec<u8>>> {
                b.map(|b| {
                    let plain = open(&keys.data_v1, &b).ok_or_else(|| {
                        StoreError::Other(format!("reporter {id}: cannot decrypt with the secret"))
                    })?;
                    Ok(self.encrypt(&String::from_utf8_lossy(&plain)))
                })
                .transpose()
            };
            let phone_plain = phone
                .as_ref()
                .and_then(|b| open(&keys.data_v1, b))
                .map(|p| String::from_utf8_lossy(&p).into_owned());
            let hash = phone_plain.as_deref().map(|p| self.phone_hash(p));
            let (name, phone) = (reseal(name)?, reseal(phone)?);
            on_tx!(tx, c => sqlx::query("UPDATE reporters SET name_enc = $1, phone_enc = $2, phone_hash = $3 WHERE id = $4")
                .bind(name).bind(phone).bind(&hash).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
            if let (Some(new), Some(old)) = (&hash, phone_plain.as_deref().map(legacy_phone_hash)) {
                let cases: Vec<i64> = on_tx!(tx, c => sqlx::query_scalar(
                    "UPDATE cases SET phone_hash = $1 WHERE reporter_id = $2 AND phone_hash = $3 RETURNING id")
                    .bind(new).bind(id).bind(&old).fetch_all(c).await)?;
                for case in cases {
                    self.changed(tx, org_id, "cases", case).await?;
                }
            }
            self.changed(tx, org_id, "reporters", id).await?;
            *per_org.entry(org_id).or_default() += 1;
        }
        self.restore_guards(tx, guarded).await?;
        for (org_id, n) in per_org {
            self.append(
                tx,
                crate::NewEvent {
                    org_id,
                    actor: "system",
                    kind: EventKind::RecordsRekeyed,
                    subject_type: "organisation",
                    subject_id: org_id.get(),
                    payload: serde_json::json!({"reporters": n, "key_version": CHAIN_KEY_VERSION}),
                    reason: "",
                },
            )
            .await?;
        }
        Ok(())
    }

    /// Lifts triggers for a step of a migration; returns what restores them.
    async fn lift_guards(&self, tx: &mut Tx, names: &[&str]) -> Result<Vec<(String, String)>> {
        let mut lifted = Vec::new();
        for name in names {
            match tx {
                Tx::Sqlite(c) => {
                    let sql: String = sqlx::query_scalar(
                        "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = $1",
                    )
                    .bind(name)
                    .fetch_one(&mut **c)
                    .await?;
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP TRIGGER {name}")))
                        .execute(&mut **c)
                        .await?;
                    lifted.push((name.to_string(), sql));
                }
                Tx::Pg(c) => {
                    let table = name.rsplit_once('_').map_or(*name, |(t, _)| t);
                    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("ALTER TABLE {table} DISABLE TRIGGER {name}")))
                        .execute(&mut **c)
                        .await?;
                    lifted.push((name.to_string(), format!("ALTER TABLE {table} ENABLE TRIGGER {name}")));
                }
            }
        }
        Ok(lifted)
    }

    async fn restore_guards(&self, tx: &mut Tx, lifted: Vec<(String, String)>) -> Result<()> {
        for (_, sql) in lifted {
            on_tx!(tx, c => sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(c).await.map(|r| r.rows_affected()))?;
        }
        Ok(())
    }
}

/// What version 1 wrote, for tests of the upgrade to derived keys.
#[doc(hidden)]
impl Store {
    pub fn encrypt_v1_for_test(&self, plaintext: &str) -> Vec<u8> {
        let nonce = [9u8; 12];
        let mut out = nonce.to_vec();
        out.extend(
            self.keys()
                .data_v1
                .encrypt(Nonce::from_slice(&nonce), plaintext.as_bytes())
                .expect("AES-GCM encrypts any plaintext held in memory"),
        );
        out
    }

    pub fn decrypts_with_v1_for_test(&self, blob: &[u8]) -> bool {
        open(&self.keys().data_v1, blob).is_some()
    }

    pub fn phone_hash_v1_for_test(&self, digits: &str) -> String {
        let keys = self.keys();
        hex::encode(keys.lookup_hash(&keys.secret, b"phone:", digits))
    }
}
