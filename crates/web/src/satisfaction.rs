//! Quick ratings as the web receives them (SPEC SAT-1, SAT-4): the service
//! point behind a QR token (cached: the busiest path of the system), limits
//! per device and per address, the device's identity, and the group-commit
//! queue. The public page and the API both rate through [`AppState::rate`].

use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::http::HeaderMap;
use chuangkou_store::org::{Organisation, ServicePoint};
use chuangkou_store::ratings::{RatingAck, RatingInput};

use crate::AppState;
use crate::error::AppError;

/// The device cookie: random, long-lived, nothing personal in it.
pub const DEVICE_COOKIE: &str = "ck_dev";

/// How long a looked-up service point is reused.
const POINT_TTL: Duration = Duration::from_secs(60);
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

/// A service point and its organisation.
pub type Found = Arc<(ServicePoint, Organisation)>;

/// Service points by QR token, for a minute.
#[derive(Default)]
pub struct PointCache {
    map: Mutex<HashMap<String, (Instant, Found)>>,
}

impl PointCache {
    pub async fn get(&self, state: &AppState, token: &str) -> Result<Found, AppError> {
        if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(AppError::NotFound);
        }
        if let Some((at, v)) = self.map.lock().expect("cache lock").get(token)
            && at.elapsed() < POINT_TTL
        {
            return Ok(v.clone());
        }
        let point = state.store.service_point_by_token(token).await?;
        let org = state.store.organisation(point.org_id).await?;
        let v = Arc::new((point, org));
        let mut map = self.map.lock().expect("cache lock");
        if map.len() > 100_000 {
            map.clear();
        }
        map.insert(token.to_string(), (Instant::now(), v.clone()));
        Ok(v)
    }
}

/// What stands for the device: its cookie when it has one, else what the
/// client says (an app or kiosk), else its address and browser.
pub fn device_of(headers: &HeaderMap, claimed: Option<&str>, address: &str) -> String {
    if let Some(c) = crate::cookies::cookie(headers, DEVICE_COOKIE).filter(|c| c.len() == 32) {
        return format!("cookie:{c}");
    }
    if let Some(d) = claimed.map(str::trim).filter(|d| !d.is_empty() && d.len() <= 128) {
        return format!("client:{d}");
    }
    let ua = headers.get(axum::http::header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("");
    format!("addr:{address}|ua:{ua}")
}

impl AppState {
    /// Rates the service point behind `token`: limits, checks, then the
    /// group-commit queue; returns after the commit.
    pub async fn rate(
        &self,
        token: &str,
        input: RatingInput,
        address: &str,
    ) -> Result<(RatingAck, Found), AppError> {
        let found = self.points.get(self, token).await?;
        let (point, org) = (&found.0, &found.1);
        let rules = self.rules(&org.pack)?;
        let policy = &rules.pack.satisfaction;
        let hour = (self.store.now_ms() / 3_600_000) as u64;
        // The limiter lives in memory only, so it keys by the raw device;
        // the keyed hash is computed once, by `prepare_rating`, for storage.
        let device = &input.device;
        if !self.limits.allow(&format!("a:{address}"), hour, policy.per_address_per_hour) {
            return Err(AppError::TooManyRequests(
                "这个网络的评价太多了，请稍后再试 / too many ratings from this network, please try again later".into(),
            ));
        }
        if !self.limits.allow(&format!("d:{device}"), hour, policy.per_device_per_hour) {
            return Err(AppError::TooManyRequests(format!(
                "感谢您的热心！每台设备每小时最多评价 {} 次，请稍后再试 / thank you — a device can rate at most {} times an hour",
                policy.per_device_per_hour, policy.per_device_per_hour
            )));
        }
        let rating = self.store.prepare_rating(org, rules, point, &input).await?;
        let ack = self.ratings.submit(rating).await?;
        Ok((ack, found))
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
