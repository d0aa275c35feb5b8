//! The store's clock: every stored time is milliseconds since the Unix
//! epoch, read here. Tests and the dashboard benchmark move it.

use std::sync::atomic::Ordering;

use crate::Store;

impl Store {
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
}
