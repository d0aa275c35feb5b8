//! Case intake through group commit (`crate::group`): many registrations,
//! one transaction, one fsync; each caller gets its number only after the
//! commit that made its case durable.

use super::intake::{Prepared, Registered};
use crate::group::GroupCommit;
use crate::{Result, Store};

pub const MAX_BATCH: usize = 256;

/// A handle to the intake queue; cheap to clone.
#[derive(Clone)]
pub struct Intake {
    queue: GroupCommit<Prepared, Registered>,
}

impl Intake {
    /// Cases waiting for a batch.
    pub fn depth(&self) -> usize {
        self.queue.depth()
    }

    /// Starts the queue on a thread of its own (see `crate::group`).
    pub fn start(store: Store) -> Intake {
        let queue =
            GroupCommit::start(store, "case intake", MAX_BATCH, true, |store, items, token| async move {
                store.register_batch_keeping(&items, Some(&token)).await
            });
        Intake { queue }
    }

    /// Registers a prepared case; returns after its batch has committed.
    pub async fn register(&self, p: Prepared) -> Result<Registered> {
        self.queue.submit(p).await
    }
}
