//! Group commit for case intake (DESIGN decision 4): many registrations,
//! one transaction, one fsync. Every caller still gets its number only
//! after the commit that made its case durable.
//!
//! One task owns the queue. It takes the first waiting registration, then
//! everything else already waiting (up to [`MAX_BATCH`]), and commits them
//! together; while that commit runs, the next batch queues up. With one
//! client a batch is one case; under a rush the batch grows by itself, with
//! no timer to tune. If a batch fails, its cases are retried one by one so
//! that one bad case does not fail the others.

use tokio::sync::{mpsc, oneshot};

use super::intake::{Prepared, Registered};
use crate::{Result, Store, StoreError};

pub const MAX_BATCH: usize = 256;

type Job = (Prepared, oneshot::Sender<Result<Registered>>);

/// A handle to the intake queue; cheap to clone.
#[derive(Clone)]
pub struct Intake {
    tx: mpsc::Sender<Job>,
}

impl Intake {
    /// Starts the queue's task on the current runtime.
    pub fn start(store: Store) -> Intake {
        let (tx, mut rx) = mpsc::channel::<Job>(MAX_BATCH * 16);
        tokio::spawn(async move {
            while let Some(first) = rx.recv().await {
                let mut jobs = vec![first];
                while jobs.len() < MAX_BATCH {
                    match rx.try_recv() {
                        Ok(j) => jobs.push(j),
                        Err(_) => break,
                    }
                }
                let items: Vec<Prepared> = jobs.iter().map(|(p, _)| p.clone()).collect();
                let started = std::time::Instant::now();
                let result = store.register_batch(&items).await;
                tracing::debug!(
                    batch = items.len(),
                    ms = started.elapsed().as_secs_f64() * 1000.0,
                    "intake batch committed"
                );
                match result {
                    Ok(done) => {
                        for ((_, reply), r) in jobs.into_iter().zip(done) {
                            let _ = reply.send(Ok(r));
                        }
                    }
                    Err(_) if jobs.len() > 1 => {
                        for (p, reply) in jobs {
                            let _ = reply.send(
                                store.register_batch(std::slice::from_ref(&p)).await.map(|mut v| v.remove(0)),
                            );
                        }
                    }
                    Err(e) => {
                        let (_, reply) = jobs.remove(0);
                        let _ = reply.send(Err(e));
                    }
                }
            }
        });
        Intake { tx }
    }

    /// Registers a prepared case; returns after its batch has committed.
    pub async fn register(&self, p: Prepared) -> Result<Registered> {
        let (reply, wait) = oneshot::channel();
        self.tx
            .send((p, reply))
            .await
            .map_err(|_| StoreError::Other("the intake queue has stopped".into()))?;
        wait.await
            .map_err(|_| StoreError::Other("the intake queue dropped a case before committing it".into()))?
    }
}
