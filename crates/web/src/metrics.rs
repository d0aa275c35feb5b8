//! `/metrics` in Prometheus text format, and one structured log line per
//! request. Neither records paths with ids or query strings: routes are
//! logged by their template (`/api/v1/staff/{id}`), never with personal data.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::extract::State;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};

use crate::AppState;

const BUCKETS_MS: [f64; 10] = [1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 1000.0, 5000.0];

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// route → (method, status, count); a route sees a handful of
    /// (method, status) pairs, and a known route costs no allocation.
    requests: HashMap<String, Vec<(String, u16, u64)>>,
    buckets: [u64; BUCKETS_MS.len()],
    count: u64,
    sum_ms: f64,
}

impl Metrics {
    pub(crate) fn observe(&self, method: &str, route: &str, status: u16, ms: f64) {
        let mut m = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let counts = match m.requests.get_mut(route) {
            Some(c) => c,
            None => m.requests.entry(route.to_string()).or_default(),
        };
        match counts.iter_mut().find(|(me, st, _)| me == method && *st == status) {
            Some((_, _, n)) => *n += 1,
            None => counts.push((method.to_string(), status, 1)),
        }
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            if ms <= *b {
                m.buckets[i] += 1;
            }
        }
        m.count += 1;
        m.sum_ms += ms;
    }

    pub fn render(&self) -> String {
        let m = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        let mut out = String::from(
            "# HELP chuangkou_http_requests_total HTTP requests by route and status.\n# TYPE chuangkou_http_requests_total counter\n",
        );
        let mut lines: Vec<(&str, &str, u16, u64)> = m
            .requests
            .iter()
            .flat_map(|(route, c)| {
                c.iter().map(move |(method, status, n)| (method.as_str(), route.as_str(), *status, *n))
            })
            .collect();
        lines.sort_unstable();
        for (method, route, status, n) in lines {
            out += &format!(
                "chuangkou_http_requests_total{{method=\"{method}\",route=\"{route}\",status=\"{status}\"}} {n}\n"
            );
        }
        out += "# HELP chuangkou_http_request_duration_seconds Time to answer a request.\n# TYPE chuangkou_http_request_duration_seconds histogram\n";
        for (i, b) in BUCKETS_MS.iter().enumerate() {
            out += &format!(
                "chuangkou_http_request_duration_seconds_bucket{{le=\"{}\"}} {}\n",
                b / 1000.0,
                m.buckets[i]
            );
        }
        out += &format!("chuangkou_http_request_duration_seconds_bucket{{le=\"+Inf\"}} {}\n", m.count);
        out += &format!("chuangkou_http_request_duration_seconds_sum {}\n", m.sum_ms / 1000.0);
        out += &format!("chuangkou_http_request_duration_seconds_count {}\n", m.count);
        out
    }
}

/// Compares in time independent of where the bytes differ.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The metrics, for the configured scraper token or a loopback caller;
/// anyone else gets the 404 of a route that does not exist.
pub async fn render(
    State(state): State<AppState>,
    crate::extract::ClientAddr(addr): crate::extract::ClientAddr,
    headers: axum::http::HeaderMap,
) -> Response {
    let bearer = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "));
    let allowed = match &state.config.metrics_token {
        Some(token) => bearer.is_some_and(|b| same(b.as_bytes(), token.as_bytes())),
        None => addr.parse::<std::net::IpAddr>().is_ok_and(|ip| ip.is_loopback()),
    };
    if !allowed {
        return crate::error::AppError::NotFound.into_response();
    }
    let mut text = state.metrics.render();
    // The background's backlog, read from the database: shared by every
    // instance on it.
    if let Ok(b) = state.store.backlog().await {
        use std::fmt::Write;
        let _ = write!(
            text,
            "# HELP chuangkou_sweep_lag_seconds How long the oldest due timer has waited to fire.\n# TYPE chuangkou_sweep_lag_seconds gauge\nchuangkou_sweep_lag_seconds {:.3}\n\
             # HELP chuangkou_outbox_pending Messages waiting to be sent.\n# TYPE chuangkou_outbox_pending gauge\nchuangkou_outbox_pending {}\n\
             # HELP chuangkou_outbox_undeliverable Messages that ran out of attempts.\n# TYPE chuangkou_outbox_undeliverable gauge\nchuangkou_outbox_undeliverable {}\n",
            b.sweep_lag_ms as f64 / 1000.0,
            b.outbox_pending,
            b.outbox_given_up
        );
    }
    // This instance's queues and connections: where a request waits.
    let (busy, open, max) = state.store.pool_use();
    {
        use std::fmt::Write;
        let _ = write!(
            text,
            "# HELP chuangkou_group_commit_waiting Writes waiting for their group commit's next batch.\n# TYPE chuangkou_group_commit_waiting gauge\n\
             chuangkou_group_commit_waiting{{queue=\"cases\"}} {}\nchuangkou_group_commit_waiting{{queue=\"ratings\"}} {}\n\
             # HELP chuangkou_db_connections Database connections of this instance's pool.\n# TYPE chuangkou_db_connections gauge\n\
             chuangkou_db_connections{{state=\"in_use\"}} {busy}\nchuangkou_db_connections{{state=\"open\"}} {open}\nchuangkou_db_connections{{state=\"max\"}} {max}\n",
            state.intake.depth(),
            state.ratings.depth(),
        );
    }
    // The read replica, if there is one: whether it answers, and its lag.
    if let Some((up, lag)) = state.store.replica_status().await {
        use std::fmt::Write;
        let _ = write!(
            text,
            "# HELP chuangkou_replica_up Whether the read replica answers (reads go to the primary while it does not).
# TYPE chuangkou_replica_up gauge
chuangkou_replica_up {}
             # HELP chuangkou_replica_lag_seconds How far the read replica's replay is behind.
# TYPE chuangkou_replica_lag_seconds gauge
chuangkou_replica_lag_seconds {lag:.3}
",
            u8::from(up)
        );
    }
    ([(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], text).into_response()
}
