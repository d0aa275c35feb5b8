//! Chuangkou's storage: one interface over embedded SQLite and PostgreSQL.
//!
//! There is one implementation, not one per backend: every query is written
//! once in the SQL both dialects agree on (`$1` placeholders, `RETURNING`,
//! integer milliseconds for time, text for JSON), and the [`on_tx!`] /
//! [`on_read!`] macros run it on whichever pool is configured. Only DDL
//! (`migrations/sqlite`, `migrations/postgres`) and a few locking details
//! differ, and those are marked where they occur.
//!
//! Every write runs in a [`Tx`] together with the event that records it
//! (see [`events`]); nothing is acknowledged before the commit.
#![forbid(unsafe_code)]

use std::sync::Arc;
use std::sync::atomic::AtomicI64;

pub mod annual;
pub mod assessment;
pub mod bench;
pub mod campaign_group;
pub mod campaigns;
pub mod cases;
pub mod checkpoints;
mod clock;
pub mod codes;
mod crypto;
mod db;
pub mod directory;
pub mod duty;
mod error;
pub mod events;
pub mod group;
pub mod guides;
pub mod idempotency;
pub mod import;
pub mod indicators;
pub mod inspections;
pub mod ledger;
pub mod limits;
mod migrate;
pub mod moving;
pub mod notices;
pub mod org;
pub mod ratings;
pub mod recognition;
pub mod replica;
pub mod scratch;
pub mod seals;
mod sql;
pub mod surveys;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod training;
pub mod users;

pub use db::{Backend, CHECKPOINT_EVERY, Db, PG_CONNECTIONS, Snapshot, SqliteTx, Tx, Writer};
pub(crate) use error::required;
pub use error::{Result, StoreError};
pub use events::{EventRow, NewEvent, VerifyReport};
pub use migrate::{latest_migration, postgres_app_grants};
pub(crate) use sql::{few_shapes, id_list, insert_values, numbered, row_list};

/// Runs `$body` with `$c` bound to the transaction's connection, whichever
/// backend it is on. The body is compiled once per backend but written once.
#[macro_export]
macro_rules! on_tx {
    ($tx:expr, $c:ident => $body:expr) => {
        match $tx {
            $crate::Tx::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::Tx::Pg(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

/// Runs `$body` with `$c` bound to a [`Snapshot`]'s connection.
#[macro_export]
macro_rules! on_snapshot {
    ($snap:expr, $c:ident => $body:expr) => {
        match $snap {
            $crate::Snapshot::Sqlite(t) => {
                let $c = &mut **t;
                $body
            }
            $crate::Snapshot::Pg(t) => {
                let $c = &mut **t;
                $body
            }
        }
    };
}

/// Runs `$body` with `$c` bound to a reading pool.
#[macro_export]
macro_rules! on_read {
    ($store:expr, $c:ident => $body:expr) => {
        match &$store.db {
            $crate::Db::Sqlite { reader, .. } => {
                let $c = reader;
                $body
            }
            $crate::Db::Pg(pool) => {
                let $c = pool;
                $body
            }
        }
    };
}

/// The storage handle: cheap to clone, shared by every request.
#[derive(Clone)]
pub struct Store {
    pub db: Db,
    /// The installation secret, and the keys derived from it (`crypto`).
    key: Arc<Vec<u8>>,
    keys: Arc<crypto::Keys>,
    /// Added to the wall clock; tests move time forward with it.
    clock_offset_ms: Arc<AtomicI64>,
    /// Where it connected, so that [`Store::reopen`] can do it again.
    url: Arc<str>,
    /// Organisations already read. An organisation is never changed or
    /// deleted once created (no statement does), so a copy never goes stale;
    /// nearly every request needs its own, and reading it cost a round trip
    /// to a reader connection each time.
    orgs: Arc<std::sync::RwLock<std::collections::HashMap<chuangkou_domain::OrgId, org::Organisation>>>,
    /// A PostgreSQL hot standby for heavy reads ([`replica`]), if set.
    replica: Option<Arc<replica::Replica>>,
}

impl Store {
    /// The keys derived from the installation secret (`crypto`).
    pub(crate) fn keys(&self) -> &crypto::Keys {
        &self.keys
    }
}

/// A random token of `bytes` bytes, hex-encoded.
pub fn random_token(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}
