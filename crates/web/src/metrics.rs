//! `/metrics` in Prometheus text format, and one structured log line per
//! request. Neither records paths with ids or query strings: routes are
//! logged by their template (`/api/v1/staff/{id}`), never with personal data.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::header::CONTENT_TYPE;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use tower_http::request_id::RequestId;

use crate::AppState;

const BUCKETS_MS: [f64; 10] = [1.0, 2.5, 5.0, 10.0, 25.0, 50.0, 100.0, 250.0, 1000.0, 5000.0];

#[derive(Default)]
pub struct Metrics {
    inner: Mutex<Inner>,
}

#[derive(Default)]
struct Inner {
    /// (method, route, status) → count
    requests: BTreeMap<(String, String, u16), u64>,
    buckets: [u64; BUCKETS_MS.len()],
    count: u64,
    sum_ms: f64,
}

impl Metrics {
    fn observe(&self, method: &str, route: &str, status: u16, ms: f64) {
        let mut m = self.inner.lock().unwrap_or_else(|p| p.into_inner());
        *m.requests.entry((method.to_string(), route.to_string(), status)).or_default() += 1;
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
        for ((method, route, status), n) in &m.requests {
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

pub async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let start = Instant::now();
    let method = req.method().to_string();
    let route = req.extensions().get::<MatchedPath>().map_or("unmatched", |p| p.as_str()).to_string();
    let request_id = req
        .extensions()
        .get::<RequestId>()
        .and_then(|r| r.header_value().to_str().ok())
        .unwrap_or("")
        .to_string();
    let res = next.run(req).await;
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let status = res.status().as_u16();
    state.metrics.observe(&method, &route, status, ms);
    tracing::info!(target: "chuangkou::http", %request_id, %method, %route, status, ms = format!("{ms:.2}"), "request");
    res
}

pub async fn render(State(state): State<AppState>) -> Response {
    ([(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")], state.metrics.render()).into_response()
}
