//! A PostgreSQL hot standby for the heavy reads (issue 23): the dashboard,
//! indicators and their exports, and searches of the case list. Anything a
//! user writes and reads back in the same flow (a case after its action, a
//! form after saving, the inbox tabs) stays on the primary, so that
//! replication lag is never seen as a lost write. When the standby cannot
//! be reached, reads go to the primary and the standby is left alone for a
//! while before it is tried again.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use sqlx::postgres::{PgPool, PgPoolOptions};

use crate::{Result, Store, StoreError};

/// How long an unreachable standby is left alone.
const RETRY_AFTER: Duration = Duration::from_secs(10);

pub struct Replica {
    pool: PgPool,
    /// Until when the standby is taken to be down.
    down_until: Mutex<Option<Instant>>,
}

impl Store {
    /// Sends the heavy reads to the hot standby at `url` (a PostgreSQL
    /// primary only). Connects lazily: a standby that is down at start-up
    /// is tried again later, and reads go to the primary meanwhile.
    pub fn with_read_replica(mut self, url: &str, connections: u32) -> Result<Store> {
        if self.backend() != crate::Backend::Postgres {
            return Err(StoreError::Other("a read replica needs a PostgreSQL primary".into()));
        }
        let pool = PgPoolOptions::new()
            .max_connections(connections)
            // A standby that does not answer soon is taken to be down.
            .acquire_timeout(Duration::from_secs(2))
            .connect_lazy(url)?;
        self.replica = Some(std::sync::Arc::new(Replica { pool, down_until: Mutex::new(None) }));
        Ok(self)
    }

    /// The standby's pool, unless there is none or it is taken to be down.
    pub fn replica_pool(&self) -> Option<&PgPool> {
        let r = self.replica.as_deref()?;
        let down = r.down_until.lock().map(|d| d.is_some_and(|t| Instant::now() < t)).unwrap_or(false);
        (!down).then_some(&r.pool)
    }

    /// Whether `e` says the standby could not be reached (rather than that
    /// the statement failed there); if so it is taken to be down for a while.
    pub fn replica_failed(&self, e: &sqlx::Error) -> bool {
        let unreachable = match e {
            sqlx::Error::Io(_)
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::PoolClosed
            | sqlx::Error::Tls(_) => true,
            // Connection exceptions (08…), shutdown (57P…), and recovery
            // conflicts with the standby's replay (40001).
            sqlx::Error::Database(d) => {
                d.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57P") || c == "40001")
            }
            _ => false,
        };
        if let (true, Some(r)) = (unreachable, self.replica.as_deref()) {
            tracing::warn!(error = %e, "the read replica failed; reading from the primary");
            if let Ok(mut d) = r.down_until.lock() {
                *d = Some(Instant::now() + RETRY_AFTER);
            }
        }
        unreachable
    }

    /// The standby as `/metrics` shows it: `None` without one, else whether
    /// it answers and how far its replay is behind the primary, in seconds
    /// (0 when it has replayed all it has received).
    pub async fn replica_status(&self) -> Option<(bool, f64)> {
        let r = self.replica.as_deref()?;
        let lag: std::result::Result<f64, sqlx::Error> = sqlx::query_scalar(
            "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0
                    ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0) END::float8",
        )
        .fetch_one(&r.pool)
        .await;
        Some(match lag {
            Ok(lag) => (true, lag),
            Err(e) => {
                self.replica_failed(&e);
                (false, 0.0)
            }
        })
    }
}

/// Runs `$body` with `$c` bound to the read replica's pool if there is one
/// and it answers, else (and when it fails to answer) to the reading pool
/// of [`on_read!`]. For heavy reads only: see the `replica` module.
#[macro_export]
macro_rules! on_replica {
    ($store:expr, $c:ident => $body:expr) => {{
        let on_replica = match $store.replica_pool() {
            Some(pool) => {
                let $c = pool;
                match $body {
                    Err(e) if $store.replica_failed(&e) => None,
                    r => Some(r),
                }
            }
            None => None,
        };
        match on_replica {
            Some(r) => r,
            None => $crate::on_read!($store, $c => $body),
        }
    }};
}
