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
//! fail the others. If it fails because the database went away, the batch
//! may or may not have committed (the connection can die after COMMIT was
//! sent): retrying it job by job could write every job twice, so each job
//! is answered with the failure instead (503, try again) — never retried.
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
//! PostgreSQL connections belong to the runtime that opened them, so on
//! PostgreSQL both queues are tasks of the shared runtime.

use std::future::Future;
use std::sync::Arc;

use tokio::sync::{mpsc, oneshot};

use crate::{Result, StoreError};

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
    R: Send + 'static,
{
    /// Starts the queue — on a thread of its own when `own_thread`, else as
    /// a task of the current runtime; `commit` writes a batch in one
    /// transaction and answers for each job in order. The queue stops when
    /// the last handle is dropped.
    pub fn start<F, Fut>(what: &'static str, max_batch: usize, own_thread: bool, commit: F) -> Self
    where
        F: Fn(Arc<Vec<J>>) -> Fut + Send + 'static,
        Fut: Future<Output = Result<Vec<R>>> + Send + 'static,
    {
        let (tx, rx) = mpsc::channel::<Job<J, R>>(max_batch * 16);
        let queue = run(what, max_batch, rx, commit);
        if own_thread {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap_or_else(|e| panic!("cannot start the {what} queue's runtime: {e}"));
            std::thread::Builder::new()
                .name(format!("{what} queue"))
                .spawn(move || rt.block_on(queue))
                .unwrap_or_else(|e| panic!("cannot start the {what} queue's thread: {e}"));
        } else {
            tokio::spawn(queue);
        }
        GroupCommit { tx, what }
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

async fn run<J, R, F, Fut>(what: &'static str, max_batch: usize, mut rx: mpsc::Receiver<Job<J, R>>, commit: F)
where
    J: Clone,
    F: Fn(Arc<Vec<J>>) -> Fut,
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
        let result = commit(items.clone()).await;
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
            Err(e) if items.len() > 1 && retry_alone(&e) => {
                for (item, reply) in items.iter().zip(replies) {
                    let one = commit(Arc::new(vec![item.clone()])).await;
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

/// Whether a failed batch's jobs may be tried again one by one: only when
/// the failure certainly wrote nothing and may lie with one job (a
/// constraint, a refused write, bad input). A database that went away may
/// have committed the batch before it did.
fn retry_alone(e: &StoreError) -> bool {
    !e.is_unavailable()
        && !matches!(
            e,
            StoreError::Db(sqlx::Error::Protocol(_) | sqlx::Error::Io(_) | sqlx::Error::PoolClosed)
        )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_is_retried_job_by_job_only_when_nothing_can_have_been_written() {
        assert!(retry_alone(&StoreError::Conflict("duplicate".into())));
        assert!(retry_alone(&StoreError::Invalid(vec![])));
        let gone = StoreError::Db(sqlx::Error::Io(std::io::Error::from(std::io::ErrorKind::ConnectionReset)));
        assert!(!retry_alone(&gone), "the commit may have gone through");
        assert!(!retry_alone(&StoreError::Db(sqlx::Error::PoolClosed)));
    }
}
