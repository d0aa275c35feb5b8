//! Counting attempts per key and hour, in a bounded amount of memory: the
//! limits on ratings per device and per address, and on public feedback.

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::Mutex;

const SHARDS: usize = 16;

/// Fixed one-hour windows of counts per key, in memory (each `serve`
/// instance keeps its own), in a bounded amount of it.
pub struct RateLimiter {
    shards: [Mutex<HashMap<String, (u64, u32)>>; SHARDS],
    /// Keys a shard holds before it forgets some.
    cap: usize,
}

impl Default for RateLimiter {
    fn default() -> Self {
        RateLimiter::with_capacity(50_000)
    }
}

impl RateLimiter {
    /// A limiter whose shards (sixteen) hold `per_shard` keys each.
    pub fn with_capacity(per_shard: usize) -> Self {
        RateLimiter { shards: Default::default(), cap: per_shard.max(2) }
    }

    /// Counts one attempt for `key` in the hour `hour`; false when `limit`
    /// attempts were already made in it.
    pub fn allow(&self, key: &str, hour: u64, limit: u32) -> bool {
        let mut h = std::collections::hash_map::DefaultHasher::new();
        key.hash(&mut h);
        let mut map = self.shards[(h.finish() as usize) % SHARDS].lock().expect("limiter lock");
        if map.len() >= self.cap {
            // Past hours go first, then keys seen once this hour (a key
            // forgotten so may try once more). A rush of new devices — each
            // rating once — is exactly this, and before, a full shard of
            // the current hour was kept whole and scanned again on every
            // attempt. If keys that came back still fill half the shard,
            // it starts the hour afresh rather than grow without bound (the
            // stored rule that a device's second rating of a point replaces
            // its first still holds). Either way a clean-up at least halves
            // the shard, so its scan is paid for by the inserts that filled it.
            map.retain(|_, (w, n)| *w == hour && *n > 1);
            if map.len() > self.cap / 2 {
                map.clear();
            }
        }
        let e = map.entry(key.to_string()).or_insert((hour, 0));
        if e.0 != hour {
            *e = (hour, 0);
        }
        if e.1 >= limit {
            return false;
        }
        e.1 += 1;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_limiter_counts_per_key_and_hour() {
        let l = RateLimiter::default();
        assert!((0..3).all(|_| l.allow("d:x", 1, 3)));
        assert!(!l.allow("d:x", 1, 3), "the fourth in the hour is refused");
        assert!(l.allow("d:y", 1, 3), "another device is not");
        assert!(l.allow("d:x", 2, 3), "the next hour starts afresh");
    }

    fn keys(l: &RateLimiter) -> usize {
        l.shards.iter().map(|s| s.lock().unwrap().len()).sum()
    }

    #[test]
    fn a_rush_of_new_devices_is_held_in_bounded_memory_and_keeps_returning_devices_counted() {
        let l = RateLimiter::with_capacity(64);
        assert!(l.allow("d:back", 7, 3) && l.allow("d:back", 7, 3));
        // 100,000 devices rating once each in the same hour.
        for i in 0..100_000 {
            assert!(l.allow(&format!("d:new-{i}"), 7, 3));
            assert!(keys(&l) <= SHARDS * 64);
        }
        assert!(l.allow("d:back", 7, 3), "its third attempt");
        assert!(!l.allow("d:back", 7, 3), "the device that came back is still counted");
        // Devices that each come back several times: the shard starts afresh
        // rather than grow.
        for i in 0..20_000 {
            let key = format!("d:again-{i}");
            assert!(l.allow(&key, 7, 3) && l.allow(&key, 7, 3));
            assert!(keys(&l) <= SHARDS * 64);
        }
    }
}
