//! Group commit (DESIGN decision 4): many writes, one transaction, one
//! fsync. Every caller still gets its answer only after the commit that made
//! its write durable.
//!
//! One task owns the queue. It takes the first waiting job,
//! then everything else already waiting (up to `max_batch`), and commits
//! them together; while that commit runs, the next batch queues up. With one
//! client a batch is one job; under a rush the batch grows by itself, with
//! no timer to tune. If a batch fails for one of its jobs (a constraint, a
//! refusal), its jobs are retried one by one so that one bad job does not
//! fail the others.
//!
//! If it fails because the connection or the database went away, the batch
//! may or may not have committed (the connection can die after COMMIT was
//! sent). Each batch carries a token and keeps its answers (encrypted)
//! under it in its own transaction, so the queue then *looks it up*: once
//! the database answers again, a stored token means the batch committed and
//! its callers get the stored answers; no token means nothing was written
//! and the batch runs again. Only when the database stays away longer than
//! [`RESOLVE_FOR`] does a caller get 503 with the outcome unknown. The
//! lookup takes the chain heads' locks first, so that it cannot run while
//! the lost transaction is still being committed or rolled back.
//!
//! One queue, not several in parallel, on both backends: every batch
//! appends to its organisation's event chain, whose head row is locked until
//! commit, so parallel batches would only wait for each other.
//!
//! On SQLite both intake queues run on a thread of their own. A batch is a
//! dozen round trips between the queue and the connection's thread; on the
//! shared runtime each answer waited behind every HTTP task that was ready
//! (BEGIN alone took 0.35 ms under load, 0.07 ms on its own thread), and
//! with the queue on its own thread more clients make bigger batches
//! instead of longer waits. The thread is started from the thread that
//! builds the application (`serve`'s main thread), so it keeps that
//! thread's priority, above the runtime's workers (`--worker-nice`).
//! Rating intake once measured slower on its own thread, while the workers
//! ran at the queue's priority; with them below it, it measures faster
//! (256 clients: 20,200–22,200 against 19,700–20,600 ratings/s).
//!
//! On PostgreSQL the same holds, and more: a batch is a dozen round trips
//! to the server, and on the shared runtime each answer waited for a
//! worker. A connection belongs to the runtime that opened it, so the
//! queue's thread opens its own ([`Store::on_own_pool`]) and keeps them.

use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::{mpsc, oneshot};

use crate::{Result, Store, StoreError, Tx, on_tx};

/// How long a batch whose outcome was lost waits for the database to answer
/// the lookup before its callers are told the outcome is unknown.
pub const RESOLVE_FOR: Duration = Duration::from_secs(20);

/// How long a batch's answers are kept for a lookup.
const KEEP_ANSWERS_MS: i64 = 10 * 60 * 1000;

/// How many times a batch that certainly did not commit runs again.
const RUNS: usize = 3;

type Job<J, R> = (J, oneshot::Sender<Result<R>>);

/// A handle to the queue; cheap to clone.
pub struct GroupCommit<J, R> {
    tx: mpsc::Sender<Job<J, R>>,
    what: &'static str,
}

impl<J, R> Clone for GroupCommit<J, R> {
    fn clone(&self) -> Self {
        GroupCommit { tx: self.tx.clone(), what: self.what }
    }
}

impl<J, R> GroupCommit<J, R>
where
    J: Send + Sync + Clone + 'static,
    R: Send + Serialize + DeserializeOwned + 'static,
{
    /// Starts the queue — on a thread of its own when `own_thread`, else as
    /// a task of the current runtime; `commit` writes a batch in one
    /// transaction through the store it is given (the queue's own), keeping
    /// its answers under the token it is given ([`Store::keep_answers`]),
    /// and answers for each job in order. The queue stops when the last
    /// handle is dropped.
    pub fn start<F, Fut>(
        store: Store,
        what: &'static str,
        max_batch: usize,
        own_thread: bool,
        commit: F,
    ) -> Self
    where
        F: Fn(Store, Arc<Vec<J>>, String) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<R>>> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel::<Job<J, R>>(max_batch * 16);
        if own_thread {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("cannot start the {what} queue's runtime: {e}"));
            std::thread::Builder::new()
                .name(format!("{what} queue"))
                .spawn(move || {
                    rt.block_on(async move { run(store.on_own_pool(), what, max_batch, rx, commit).await });
                })
                .unwrap_or_else(|e| panic!("cannot start the {what} queue's thread: {e}"));
        } else {
            tokio::spawn(run(store, what, max_batch, rx, commit));
        }
        GroupCommit { tx, what }
    }

    /// Jobs waiting for a batch (those in the batch being written not counted).
    pub fn depth(&self) -> usize {
        self.tx.max_capacity() - self.tx.capacity()
    }

    /// Submits a job; returns after the batch that holds it has committed.
    pub async fn submit(&self, job: J) -> Result<R> {
        let (reply, wait) = oneshot::channel();
        self.tx
            .send((job, reply))
            .await
            .map_err(|_| StoreError::Other(format!("the {} queue has stopped", self.what)))?;
        wait.await.map_err(|_| {
            StoreError::Other(format!("the {} queue dropped a job before committing it", self.what))
        })?
    }
}

async fn run<J, R, F, Fut>(
    store: Store,
    what: &'static str,
    max_batch: usize,
    mut rx: mpsc::Receiver<Job<J, R>>,
    commit: F,
) where
    J: Clone,
    R: DeserializeOwned,
    F: Fn(Store, Arc<Vec<J>>, String) -> Fut,
    Fut: Future<Output = Result<Vec<R>>>,
{
    while let Some(first) = rx.recv().await {
        let mut jobs = vec![first];
        while jobs.len() < max_batch {
            match rx.try_recv() {
                Ok(j) => jobs.push(j),
                Err(_) => break,
            }
        }
        let (items, replies): (Vec<J>, Vec<oneshot::Sender<Result<R>>>) = jobs.into_iter().unzip();
        let items = Arc::new(items);
        let started = std::time::Instant::now();
        let result = run_batch(&store, what, &items, &commit).await;
        tracing::debug!(
            what,
            batch = items.len(),
            ms = started.elapsed().as_secs_f64() * 1000.0,
            "batch committed"
        );
        match result {
            Ok(done) => {
                for (reply, r) in replies.into_iter().zip(done) {
                    let _ = reply.send(Ok(r));
                }
            }
            Err(e) if items.len() > 1 && !outcome_unknown(&e) => {
                // A refusal that may lie with one job: each alone.
                for (item, reply) in items.iter().zip(replies) {
                    let one = run_batch(&store, what, &Arc::new(vec![item.clone()]), &commit).await;
                    let _ = reply.send(one.and_then(|mut v| {
                        v.pop().ok_or_else(|| StoreError::Other("a batch of one answered nothing".into()))
                    }));
                }
            }
            Err(e) => {
                let message = e.to_string();
                let mut first = Some(e);
                for reply in replies {
                    // Every job gets the same failure; the first the error itself.
                    let err = first
                        .take()
                        .unwrap_or_else(|| StoreError::Db(sqlx::Error::Protocol(message.clone())));
                    let _ = reply.send(Err(err));
                }
            }
        }
    }
}

/// Commits one batch under a fresh token; when its outcome is lost, looks
/// it up, and runs it again only when it certainly did not commit.
async fn run_batch<J, R, F, Fut>(
    store: &Store,
    what: &'static str,
    items: &Arc<Vec<J>>,
    commit: &F,
) -> Result<Vec<R>>
where
    R: DeserializeOwned,
    F: Fn(Store, Arc<Vec<J>>, String) -> Fut,
    Fut: Future<Output = Result<Vec<R>>>,
{
    let mut last = None;
    for _ in 0..RUNS {
        let token = crate::random_token(16);
        let e = match commit(store.clone(), items.clone(), token.clone()).await {
            Ok(done) => return Ok(done),
            Err(e) if !outcome_unknown(&e) => return Err(e),
            Err(e) => e,
        };
        tracing::warn!(what, batch = items.len(), error = %e, "a batch's commit outcome was lost; looking it up");
        match resolve::<R>(store, &token).await {
            Resolved::Committed(answers) if answers.len() == items.len() => {
                tracing::warn!(
                    what,
                    batch = items.len(),
                    "the batch had committed; answering from what is stored"
                );
                return Ok(answers);
            }
            Resolved::Committed(_) => {
                return Err(StoreError::Other(format!("the {what} batch's stored answers do not match it")));
            }
            Resolved::NotCommitted => {
                tracing::warn!(what, batch = items.len(), "the batch had not committed; running it again");
                last = Some(e);
            }
            Resolved::Unknown(why) => return Err(why),
        }
    }
    Err(last.unwrap_or_else(|| StoreError::Other("no run".into())))
}

enum Resolved<R> {
    Committed(Vec<R>),
    NotCommitted,
    /// The database did not answer in time: the last error.
    Unknown(StoreError),
}

/// Asks the database, as soon as it answers again, whether `token` committed.
async fn resolve<R: DeserializeOwned>(store: &Store, token: &str) -> Resolved<R> {
    let until = std::time::Instant::now() + RESOLVE_FOR;
    let mut pause = Duration::from_millis(50);
    loop {
        match store.kept_answers::<R>(token).await {
            Ok(Some(answers)) => return Resolved::Committed(answers),
            Ok(None) => return Resolved::NotCommitted,
            Err(e) if outcome_unknown(&e) && std::time::Instant::now() + pause < until => {
                tokio::time::sleep(pause).await;
                pause = (pause * 2).min(Duration::from_secs(1));
            }
            Err(e) => return Resolved::Unknown(e),
        }
    }
}

/// Whether a failed batch may have committed: the connection or the
/// database went away (an I/O error, a closed or exhausted pool, a server
/// shutting down or refusing connections) — against a refusal that
/// certainly wrote nothing (a constraint, bad input, a state conflict).
fn outcome_unknown(e: &StoreError) -> bool {
    match e {
        StoreError::Db(
            sqlx::Error::Io(_)
            | sqlx::Error::Protocol(_)
            | sqlx::Error::PoolClosed
            | sqlx::Error::PoolTimedOut
            | sqlx::Error::WorkerCrashed
            | sqlx::Error::Tls(_),
        ) => true,
        // 08: connection exception; 57: operator intervention (shutdown,
        // crash recovery, cannot connect now).
        StoreError::Db(sqlx::Error::Database(d)) => {
            d.code().is_some_and(|c| c.starts_with("08") || c.starts_with("57"))
        }
        _ => false,
    }
}

impl Store {
    /// Keeps a batch's answers under `token` in its transaction, encrypted
    /// (a case's tracking code is among them), for [`GroupCommit`]'s lookup.
    pub(crate) async fn keep_answers<R: Serialize>(
        &self,
        tx: &mut Tx,
        token: &str,
        answers: &[R],
    ) -> Result<()> {
        let json = serde_json::to_string(answers).map_err(|e| StoreError::Other(e.to_string()))?;
        let sealed = self.encrypt(&json);
        on_tx!(tx, c => sqlx::query("INSERT INTO committed_batches (token, answers, at) VALUES ($1, $2, $3)")
            .bind(token).bind(sealed).bind(self.now_ms()).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// The answers kept under `token`, if its batch committed. Taken in a
    /// write transaction after the chain heads' locks (every batch holds
    /// its organisation's until it ends), so that a batch still being
    /// committed or rolled back is waited for, not missed.
    pub async fn kept_answers<R: DeserializeOwned>(&self, token: &str) -> Result<Option<Vec<R>>> {
        let mut tx = self.begin().await?;
        let lock = format!("SELECT org_id FROM chain_heads{}", self.lock_rows());
        on_tx!(&mut tx, c => sqlx::query_scalar::<_, i64>(sqlx::AssertSqlSafe(lock)).fetch_all(c).await)?;
        let kept: Option<Vec<u8>> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT answers FROM committed_batches WHERE token = $1").bind(token).fetch_optional(c).await)?;
        drop(tx);
        kept.map(|blob| {
            let json = self.decrypt(&blob)?;
            serde_json::from_str(&json).map_err(|e| StoreError::Other(format!("kept answers: {e}")))
        })
        .transpose()
    }

    /// Forgets answers kept longer than a lookup could need them.
    pub async fn forget_old_answers(&self) -> Result<u64> {
        let mut tx = self.begin().await?;
        let n = on_tx!(&mut tx, c => sqlx::query("DELETE FROM committed_batches WHERE at < $1")
            .bind(self.now_ms() - KEEP_ANSWERS_MS).execute(c).await.map(|r| r.rows_affected()))?;
        tx.commit().await?;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_lost_connection_leaves_the_outcome_unknown_and_a_refusal_does_not() {
        assert!(!outcome_unknown(&StoreError::Conflict("duplicate".into())));
        assert!(!outcome_unknown(&StoreError::Invalid(vec![])));
        let gone = StoreError::Db(sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset)));
        assert!(outcome_unknown(&gone), "the commit may have gone through");
        assert!(outcome_unknown(&StoreError::Db(sqlx::Error::PoolClosed)));
        assert!(outcome_unknown(&StoreError::Db(sqlx::Error::PoolTimedOut)));
    }
}
