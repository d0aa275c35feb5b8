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

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicI64, Ordering};
use std::time::Duration;

use sqlx::postgres::{PgPool, PgPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePool, SqlitePoolOptions, SqliteSynchronous,
};

pub mod annual;
pub mod assessment;
pub mod campaign_group;
pub mod campaigns;
pub mod cases;
pub mod checkpoints;
mod crypto;
pub mod directory;
pub mod duty;
pub mod events;
pub mod group;
pub mod guides;
pub mod idempotency;
pub mod import;
pub mod indicators;
pub mod inspections;
pub mod ledger;
mod migrate;
pub mod notices;
pub mod org;
pub mod ratings;
pub mod recognition;
pub mod scratch;
pub mod seals;
pub mod surveys;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod training;
pub mod users;

pub use events::{EventRow, NewEvent, VerifyReport};
pub use migrate::{MIGRATIONS, postgres_app_grants};

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

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness or reference constraint refused the write.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid input")]
    Invalid(Vec<chuangkou_domain::FieldError>),
    #[error("database error: {0}")]
    Db(#[source] sqlx::Error),
    /// The case lifecycle refused a command; `conflict` means the state was
    /// wrong (409), otherwise the actor may not do it (403).
    #[error("refused: {message}")]
    Refused { conflict: bool, message: String },
    #[error("{0}")]
    Other(String),
}

impl StoreError {
    /// The database could not be reached or answered no more (stopped,
    /// restarting, out of connections): nothing was written; try again.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Db(
                sqlx::Error::Io(_)
                    | sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::WorkerCrashed
                    | sqlx::Error::Tls(_)
            )
        ) || matches!(self, StoreError::Db(sqlx::Error::Database(d))
            // PostgreSQL: admin shutdown, crash shutdown, cannot connect now.
            if matches!(d.code().as_deref(), Some("57P01" | "57P02" | "57P03" | "08000" | "08003" | "08006")))
    }

    /// The disk (or the database's size limit) is full: the write was refused.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::Database(d))
            // SQLite SQLITE_FULL (13) and its extended codes; PostgreSQL disk_full.
            if matches!(d.code().as_deref(), Some("13" | "53100"))
                || d.message().contains("database or disk is full"))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Conflict("已存在 / already exists".into())
            }
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::Conflict("引用的记录不存在 / a referenced record does not exist".into())
            }
            _ => StoreError::Db(e),
        }
    }
}

impl StoreError {
    /// Bad input in one field (422, with the field named).
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        StoreError::Invalid(vec![chuangkou_domain::FieldError::new(field, message)])
    }

    /// A refused action: `conflict` when the record's state is wrong (409),
    /// otherwise the actor may not do it (403).
    pub fn refused(conflict: bool, message: impl Into<String>) -> Self {
        StoreError::Refused { conflict, message: message.into() }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Required, trimmed text of at most `max` characters, or a field error.
pub(crate) fn required(field: &str, s: &str, max: usize) -> Result<String> {
    chuangkou_domain::text::required(field, s, max).map_err(|e| StoreError::Invalid(vec![e]))
}

/// Splits `items` into slices for multi-row statements: as many of `max`
/// as fit, then the rest in at most two: a multiple of eight and fewer than
/// eight. A statement's text depends on its row count, and every distinct
/// text is prepared and cached apart; this keeps a busy writer to a few
/// dozen shapes instead of one per batch size, so its statements stay
/// prepared — and a batch to two or three statements a table, each a
/// round trip to the connection's thread. (Falling powers of two, as
/// before, made a batch of 31 five statements a table.)
pub(crate) fn few_shapes<T>(items: &[T], max: usize) -> Vec<&[T]> {
    let mut out = Vec::new();
    let mut rest = items;
    while rest.len() >= max {
        let (a, b) = rest.split_at(max);
        out.push(a);
        rest = b;
    }
    let eights = rest.len() / 8 * 8;
    for size in [eights, rest.len() - eights] {
        if size > 0 {
            let (a, b) = rest.split_at(size);
            out.push(a);
            rest = b;
        }
    }
    out
}

/// Numbers the parameters of a statement written with `#` for each one,
/// bound in order: `?` on SQLite, `$1, $2, …` on PostgreSQL. For the
/// multi-row statements of the write path: SQLite finds a numbered `$N`
/// parameter by scanning a list of names, so binding a statement of a few
/// hundred `$N` costs quadratically (8–9 % of the writer's time at intake);
/// anonymous `?` are bound by position. A statement written this way binds
/// a value per `#`, even when rows repeat one (the organisation's id).
pub(crate) fn numbered(backend: Backend, sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + sql.len() / 4);
    for (n, part) in sql.split('#').enumerate() {
        if n > 0 {
            match backend {
                Backend::Sqlite => out.push('?'),
                Backend::Postgres => {
                    out.push('$');
                    out.push_str(&n.to_string());
                }
            }
        }
        out.push_str(part);
    }
    out
}

/// `rows` copies of a row template such as `"(#, #, 'registered', #)"`,
/// comma-separated: the `VALUES` list of a multi-row statement.
pub(crate) fn row_list(template: &str, rows: usize) -> String {
    vec![template; rows].join(", ")
}

/// A multi-row insert, numbered for `backend`: `INSERT INTO {into} VALUES`
/// `rows` copies of `row`, then `then` (`RETURNING …`, `ON CONFLICT …`).
pub(crate) fn insert_rows(backend: Backend, into: &str, row: &str, rows: usize, then: &str) -> String {
    numbered(backend, &format!("INSERT INTO {into} VALUES {} {then}", row_list(row, rows)))
}

#[cfg(test)]
mod tests {
    #[test]
    fn few_shapes_uses_full_chunks_then_eights_then_the_rest() {
        let v: Vec<u32> = (0..45).collect();
        let sizes: Vec<usize> = super::few_shapes(&v, 16).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [16, 16, 8, 5]);
        let sizes: Vec<usize> = super::few_shapes(&v[..7], 12).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [7]);
        let sizes: Vec<usize> = super::few_shapes(&v[..31], 64).iter().map(|c| c.len()).collect();
        assert_eq!(sizes, [24, 7]);
        assert!(super::few_shapes(&v[..0], 8).is_empty());
    }

    #[test]
    fn numbered_parameters_by_backend() {
        use super::{Backend, numbered, row_list};
        let sql = format!("INSERT INTO t (a, b, c) VALUES {}", row_list("(#, 'x', #)", 2));
        assert_eq!(
            numbered(Backend::Sqlite, &sql),
            "INSERT INTO t (a, b, c) VALUES (?, 'x', ?), (?, 'x', ?)"
        );
        assert_eq!(
            numbered(Backend::Postgres, &sql),
            "INSERT INTO t (a, b, c) VALUES ($1, 'x', $2), ($3, 'x', $4)"
        );
        assert_eq!(numbered(Backend::Postgres, "SELECT 1"), "SELECT 1");
        assert_eq!(
            super::insert_rows(Backend::Sqlite, "t (a, b)", "(#, #)", 2, "RETURNING id"),
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?) RETURNING id"
        );
    }
}

/// Ids for an SQL `IN (…)` list; `0` (which matches nothing) when empty.
/// Ids are integers, so the text is safe to splice into a statement.
pub(crate) fn id_list(ids: &[i64]) -> String {
    if ids.is_empty() {
        return "0".into();
    }
    ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}

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
        // waits its turn instead of failing to upgrade a read lock.
        sqlx::raw_sql("BEGIN IMMEDIATE").execute(&mut *conn).await?;
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

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
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
    orgs: Arc<std::sync::RwLock<std::collections::HashMap<i64, org::Organisation>>>,
}

impl Store {
    /// Connects to `url`: `sqlite://path/to/file.db` (created if missing) or
    /// `postgres://…`. Does not migrate; call [`Store::migrate`].
    pub async fn connect(url: &str, key: Vec<u8>) -> Result<Store> {
        let db = if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let pool = PgPoolOptions::new()
                .max_connections(16)
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
            // Page caches: 32 MB for the writer, 16 MB for each of four
            // readers (two cores; the OS keeps the file cached besides),
            // which holds the process under DESIGN's 200 MB resident at
            // 10 million ratings and a million cases.
            // The writer keeps more prepared statements than sqlx's 100: the
            // multi-row statements of group commit come in a few dozen shapes
            // a table (`few_shapes`).
            let writer = sqlx::ConnectOptions::connect(
                &opts
                    .clone()
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
                .connect_with(opts.read_only(false).pragma("cache_size", "-16384"))
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

    /// Milliseconds since the Unix epoch, as every stored time is.
    #[allow(clippy::disallowed_methods)] // This is the clock the others are sent to.
    pub fn now_ms(&self) -> i64 {
        let wall = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_millis() as i64)
            .unwrap_or(0);
        wall + self.clock_offset_ms.load(Ordering::Relaxed)
    }

    /// Sets this handle's clock to `ms` (tests of calendars use it).
    pub fn set_clock(&self, ms: i64) {
        let wall = self.now_ms() - self.clock_offset_ms.load(Ordering::Relaxed);
        self.clock_offset_ms.store(ms - wall, Ordering::Relaxed);
    }

    /// Moves this handle's clock forward (tests of deadlines use it).
    pub fn advance_clock(&self, ms: i64) {
        self.clock_offset_ms.fetch_add(ms, Ordering::Relaxed);
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

    pub(crate) fn keys(&self) -> &crypto::Keys {
        &self.keys
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

/// A random token of `bytes` bytes, hex-encoded.
pub fn random_token(bytes: usize) -> String {
    use rand::RngCore;
    let mut buf = vec![0u8; bytes];
    rand::rng().fill_bytes(&mut buf);
    hex::encode(buf)
}
