//! The connection to the database: SQLite's one writer and its readers,
//! or a PostgreSQL pool; write transactions on either; WAL checkpoints,
//! backups, health and closing.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

use crate::{Result, Store, StoreError, crypto, on_read};

/// The configured database.
#[derive(Clone, Debug)]
pub enum Db {
    /// One writer connection (SQLite allows one writer; a queue of one beats
    /// lock contention) and a pool of readers, both on the same WAL file.
    ///
    /// The writer is one connection behind a mutex rather than a pool of
    /// one: a pool pings a returned connection from a task of its own
    /// before the next writer may have it, and under load that task waits
    /// behind the HTTP tasks — half a millisecond of every group commit.
    /// The connection is opened once, at start, and never replaced, so its
    /// thread keeps the priority of the thread that opened it (see the
    /// binary's runtime, whose workers run at a lower priority).
    Sqlite {
        writer: Writer,
        reader: SqlitePool,
    },
    Pg(PgPool),
}

/// SQLite's one writing connection; `None` once the store is closed.
pub type Writer = Arc<tokio::sync::Mutex<Option<sqlx::SqliteConnection>>>;

/// A write transaction on either backend.
pub enum Tx {
    Sqlite(SqliteTx),
    Pg(sqlx::Transaction<'static, sqlx::Postgres>),
}

impl Tx {
    pub async fn commit(self) -> Result<()> {
        match self {
            Tx::Sqlite(t) => t.commit().await?,
            Tx::Pg(t) => t.commit().await?,
        }
        Ok(())
    }
}

/// A read-only view of one moment of the database: every statement run
/// through it sees the same committed state, whatever is written meanwhile.
/// A walk over many statements that compares one table with another (the
/// chain's head with its events, a row with its seal) needs one; read
/// statement by statement beside live writers, it would see a head from
/// before an append and the events from after it. On SQLite a read
/// transaction on a reader (WAL keeps its snapshot); on PostgreSQL a
/// `REPEATABLE READ READ ONLY` transaction. Either holds old versions of
/// rows for as long as it lasts, so it is for a bounded walk, not a session.
pub enum Snapshot {
    Sqlite(sqlx::Transaction<'static, sqlx::Sqlite>),
    Pg(sqlx::Transaction<'static, sqlx::Postgres>),
}

/// The most connections a queue's own pool opens ([`Store::on_own_pool`]).
pub const OWN_POOL: u32 = 2;

/// How long a writer waits for another process's write lock on SQLite.
const WRITE_WAIT: Duration = Duration::from_secs(10);

/// Whether SQLite answered that another connection holds the lock.
fn is_busy(e: &sqlx::Error) -> bool {
    // SQLITE_BUSY and its extended codes (recovery, snapshot, timeout).
    matches!(e, sqlx::Error::Database(d) if d.code().is_some_and(|c| matches!(c.as_ref(), "5" | "261" | "517" | "773")))
}

/// A write transaction on SQLite's writer: holds the writer until it is
/// committed or dropped; dropped uncommitted, it is rolled back before the
/// writer is anyone else's.
pub struct SqliteTx {
    conn: Option<tokio::sync::OwnedMutexGuard<Option<sqlx::SqliteConnection>>>,
}

impl SqliteTx {
    async fn begin(writer: &Writer) -> Result<SqliteTx> {
        let mut guard = writer.clone().lock_owned().await;
        let conn = guard.as_mut().ok_or_else(|| StoreError::Other("the store is closed".into()))?;
        // IMMEDIATE takes the write lock up front, so that a second
        // process on the same file (a CLI command while `serve` runs)
        // waits its turn instead of failing to upgrade a read lock. The
        // wait is polled here every millisecond rather than by SQLite's
        // busy handler, which sleeps up to 100 ms between tries: a
        // process that commits batch after batch (the sweep) leaves the
        // lock free for a few milliseconds between them, which a 100 ms
        // poll rarely finds — a CLI command beside a busy `serve` waited
        // seconds and failed after its ten.
        let started = std::time::Instant::now();
        loop {
            match sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut *conn).await {
                Ok(_) => break,
                Err(e) if is_busy(&e) && started.elapsed() < WRITE_WAIT => {
                    tokio::time::sleep(std::time::Duration::from_millis(1)).await;
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(SqliteTx { conn: Some(guard) })
    }

    async fn commit(mut self) -> Result<()> {
        sqlx::raw_sql("COMMIT").execute(&mut *self).await?;
        self.conn = None;
        Ok(())
    }
}

impl std::ops::Deref for SqliteTx {
    type Target = sqlx::SqliteConnection;
    fn deref(&self) -> &Self::Target {
        self.conn.as_ref().and_then(|g| g.as_ref()).expect("an open transaction has its connection")
    }
}

impl std::ops::DerefMut for SqliteTx {
    fn deref_mut(&mut self) -> &mut Self::Target {
        self.conn.as_mut().and_then(|g| g.as_mut()).expect("an open transaction has its connection")
    }
}

impl Drop for SqliteTx {
    fn drop(&mut self) {
        let Some(mut guard) = self.conn.take() else { return };
        let rollback = async move {
            if let Some(conn) = guard.as_mut()
                && let Err(e) = sqlx::raw_sql("ROLLBACK").execute(conn).await
            {
                tracing::error!(error = %e, "rolling back an abandoned write transaction failed");
            }
        };
        match tokio::runtime::Handle::try_current() {
            Ok(rt) => {
                rt.spawn(rollback);
            }
            Err(_) => tracing::error!("a write transaction was abandoned outside the runtime"),
        }
    }
}

/// How often `serve` checkpoints SQLite's WAL beside the writer
/// ([`Store::checkpoint_in_background`]).
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Most connections a store opens to PostgreSQL unless told otherwise.
pub const PG_CONNECTIONS: u32 = 16;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

impl Store {
    /// Connects to `url`: `sqlite://path/to/file.db` (created if missing) or
    /// `postgres://…`. Does not migrate; call [`Store::migrate`].
    pub async fn connect(url: &str, key: Vec<u8>) -> Result<Store> {
        Store::connect_with(url, key, PG_CONNECTIONS).await
    }

    /// [`Store::connect`], opening at most `pg_connections` connections on
    /// PostgreSQL (SQLite's are fixed: one writer and its readers).
    pub async fn connect_with(url: &str, key: Vec<u8>, pg_connections: u32) -> Result<Store> {
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(pg_connections)
                .acquire_timeout(Duration::from_secs(10))
                .connect(url)
                .await?;
            Db::Pg(pool)
        } else {
            let path = url.strip_prefix("sqlite://").or_else(|| url.strip_prefix("sqlite:")).unwrap_or(url);
            if let Some(dir) = std::path::Path::new(path).parent()
                && !dir.as_os_str().is_empty()
            {
                std::fs::create_dir_all(dir)
                    .map_err(|e| StoreError::Other(format!("cannot create {}: {e}", dir.display())))?;
            }
            let opts = SqliteConnectOptions::from_str(&format!("sqlite://{path}"))?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Full)
                .foreign_keys(true)
                .busy_timeout(Duration::from_secs(10))
                // Checkpoint the WAL less often: a page written many times
                // between checkpoints is copied to the database once.
                .pragma("wal_autocheckpoint", "10000")
                // Statement journals and sorts in memory, not in temp files.
                .pragma("temp_store", "MEMORY");
            // Page caches: 32 MB for the writer, 4 MB for each of four
            // readers. A reader's page comes from the OS's file cache for
            // the price of a copy, so a large reader cache buys little
            // and holds the process over DESIGN's 200 MB resident under a
            // reading load at 10 M ratings (16 MB each: see PERFORMANCE.md).
            // The writer keeps more prepared statements than sqlx's 100: the
            // multi-row statements of group commit come in a few dozen shapes
            // a table (`few_shapes`).
            let writer = sqlx::ConnectOptions::connect(
                &opts
                    .clone()
                    // The wait for the write lock is polled in `SqliteTx::begin`.
                    .busy_timeout(Duration::from_millis(2))
                    .pragma("cache_size", "-32768")
                    .statement_cache_capacity(400)
                    .thread_name(|_| "sqlite-writer".into()),
            )
            .await?;
            let writer = Arc::new(tokio::sync::Mutex::new(Some(writer)));
            let reader = SqlitePoolOptions::new()
                .max_connections(4)
                .test_before_acquire(false)
                .acquire_timeout(Duration::from_secs(30))
                .connect_with(opts.read_only(false).pragma("cache_size", "-4096"))
                .await?;
            Db::Sqlite { writer, reader }
        };
        Ok(Store {
            db,
            keys: Arc::new(crypto::Keys::derive(&key)),
            key: Arc::new(key),
            clock_offset_ms: Arc::new(AtomicI64::new(0)),
            url: url.into(),
            orgs: Arc::default(),
            replica: None,
        })
    }

    /// A new, independent handle on the same database — new pools, as a
    /// second instance or a restarted process would have — keeping this
    /// handle's clock.
    pub async fn reopen(&self) -> Result<Store> {
        let other = Store::connect(&self.url, self.key.to_vec()).await?;
        other.clock_offset_ms.store(self.clock_offset_ms.load(Ordering::Relaxed), Ordering::Relaxed);
        Ok(other)
    }

    pub fn backend(&self) -> Backend {
        match self.db {
            Db::Sqlite { .. } => Backend::Sqlite,
            Db::Pg(_) => Backend::Postgres,
        }
    }

    pub async fn begin(&self) -> Result<Tx> {
        Ok(match &self.db {
            Db::Sqlite { writer, .. } => Tx::Sqlite(SqliteTx::begin(writer).await?),
            Db::Pg(pool) => Tx::Pg(pool.begin().await?),
        })
    }

    /// This store on connections of its own, opened by the runtime that
    /// first uses them: a group-commit queue on a thread of its own
    /// (`crate::group`) talks to PostgreSQL through them, since a
    /// connection belongs to the runtime that opened it. At most
    /// [`OWN_POOL`] connections, opened on demand (a queue holds one).
    /// SQLite's writer is not tied to a runtime, and is shared as it is.
    pub(crate) fn on_own_pool(&self) -> Store {
        let mut store = self.clone();
        if let Db::Pg(pool) = &self.db {
            let options = (*pool.connect_options()).clone();
            store.db = Db::Pg(
                PgPoolOptions::new()
                    .max_connections(OWN_POOL)
                    .min_connections(0)
                    .acquire_timeout(Duration::from_secs(10))
                    .connect_lazy_with(options),
            );
        }
        store
    }

    /// A consistent read of the database as it is now (see [`Snapshot`]).
    pub async fn snapshot(&self) -> Result<Snapshot> {
        Ok(match &self.db {
            Db::Sqlite { reader, .. } => Snapshot::Sqlite(reader.begin().await?),
            Db::Pg(pool) => {
                let mut tx = pool.begin().await?;
                sqlx::query("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
                    .execute(&mut *tx)
                    .await?;
                Snapshot::Pg(tx)
            }
        })
    }

    /// The reading pool's connections: `(in use, open, most allowed)`
    /// (on PostgreSQL the one pool reads and writes; SQLite's single writer
    /// is apart from it).
    pub fn pool_use(&self) -> (u32, u32, u32) {
        let (size, idle, max) = match &self.db {
            Db::Sqlite { reader, .. } => {
                (reader.size(), reader.num_idle(), reader.options().get_max_connections())
            }
            Db::Pg(pool) => (pool.size(), pool.num_idle(), pool.options().get_max_connections()),
        };
        (size.saturating_sub(idle as u32), size, max)
    }

    /// `FOR UPDATE` where the backend locks rows; SQLite's single writer
    /// already serialises every write transaction.
    pub(crate) fn lock_rows(&self) -> &'static str {
        match self.db {
            Db::Sqlite { .. } => "",
            Db::Pg(_) => " FOR UPDATE",
        }
    }

    /// `FOR UPDATE SKIP LOCKED` where the backend has it, so that several
    /// instances sweeping timers each take different rows.
    pub(crate) fn claim_rows(&self) -> &'static str {
        match self.db {
            Db::Sqlite { .. } => "",
            Db::Pg(_) => " FOR UPDATE SKIP LOCKED",
        }
    }

    /// On SQLite, checkpoints the WAL from a reader connection every
    /// `every`, instead of on the writer at the commit that crosses the
    /// threshold. Under a rush each batch dirties a leaf of the device index
    /// per rating, the WAL reaches the threshold every half second, and the
    /// commit that ran the checkpoint — copying 40 MB and syncing — took
    /// 30–70 ms: the p99 of a minute's rush. A passive checkpoint runs
    /// beside the writer and never waits for it. The writer keeps a
    /// checkpoint of its own for a WAL ten times as long (400 MB): under a
    /// rush that never pauses, the WAL can only start over once everything
    /// in it is copied, which the writer's own checkpoint then finishes (a
    /// safety net of 80 MB, hit five times as often, measured p99 54 ms
    /// against 32). Nothing to do on PostgreSQL.
    pub async fn checkpoint_in_background(&self, every: Duration) -> Result<()> {
        let Db::Sqlite { writer, reader } = &self.db else {
            return Ok(());
        };
        if let Some(c) = writer.lock().await.as_mut() {
            sqlx::query("PRAGMA wal_autocheckpoint = 100000").execute(&mut *c).await?;
        }
        let reader = reader.clone();
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            while !reader.is_closed() {
                tick.tick().await;
                if let Err(e) = sqlx::query("PRAGMA wal_checkpoint(PASSIVE)").execute(&reader).await
                    && !reader.is_closed()
                {
                    tracing::warn!(error = %e, "WAL checkpoint failed");
                }
            }
        });
        Ok(())
    }

    /// Whether any record was ever written (an event exists).
    pub async fn has_records(&self) -> Result<bool> {
        let n: i64 = on_read!(self, c => sqlx::query_scalar("SELECT COUNT(*) FROM (SELECT id FROM events LIMIT 1) e")
            .fetch_one(c).await)?;
        Ok(n > 0)
    }

    /// A consistent copy of a SQLite database into the new file `dest`,
    /// taken while writers go on (`VACUUM INTO` reads one snapshot).
    pub async fn backup_sqlite(&self, dest: &std::path::Path) -> Result<()> {
        if dest.exists() {
            return Err(StoreError::Other(format!("{} exists already", dest.display())));
        }
        let Db::Sqlite { reader, .. } = &self.db else {
            return Err(StoreError::Other("not a SQLite database".into()));
        };
        sqlx::query("VACUUM INTO $1").bind(dest.display().to_string()).execute(reader).await?;
        Ok(())
    }

    /// Whether the database answers a query now.
    pub async fn ping(&self) -> Result<()> {
        let _: i64 = on_read!(self, c => sqlx::query_scalar("SELECT CAST(1 AS BIGINT)").fetch_one(c).await)?;
        Ok(())
    }

    pub async fn close(&self) {
        match &self.db {
            Db::Sqlite { writer, reader } => {
                if let Some(conn) = writer.lock().await.take() {
                    let _ = sqlx::Connection::close(conn).await;
                }
                reader.close().await;
            }
            Db::Pg(p) => p.close().await,
        }
    }
}
