//! Quick ratings as the web receives them (SPEC SAT-1, SAT-4): the service
//! point behind a QR token (cached: the busiest path of the system), the
//! device's identity, and the group-commit queue; the limits per device and
//! per address are [`crate::limits`]. The public page and the API both rate through [`AppState::rate`].

use std::collections::HashMap;
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
    /// Rates the service point behind `token`: checks, then the
    /// group-commit queue, which counts the hourly limits per network and
    /// per device (`input.address`) in the database, in the batch's
    /// transaction, so that they hold across every instance; returns after
    /// the commit.
    pub async fn rate(&self, token: &str, input: RatingInput) -> Result<(RatingAck, Found), AppError> {
        let found = self.points.get(self, token).await?;
        let (point, org) = (&found.0, &found.1);
        let rules = self.rules(&org.pack)?;
        let rating = self.store.prepare_rating(org, rules, point, &input).await?;
        let ack = self.ratings.submit(rating).await?;
        match &ack.limited {
            Some(l) if l.kind == "address" => Err(AppError::TooManyRequests(
                "这个网络的评价太多了，请稍后再试 / too many ratings from this network, please try again later".into(),
            )),
            Some(l) => Err(AppError::TooManyRequests(format!(
                "感谢您的热心！每台设备每小时最多评价 {} 次，请稍后再试 / thank you — a device can rate at most {} times an hour",
                l.limit, l.limit
            ))),
            None => Ok(()),
        }?;
        Ok((ack, found))
    }
}
