//! What every request goes through, as one middleware: its request id, the
//! CSRF cookie of browser pages, the time limit, a guard against a
//! panicking handler, the security headers, and its line in `/metrics` and
//! the log. One layer instead of nine nested ones: each layer cloned the
//! boxed routes behind it and boxed a future of its own on every request,
//! which was about a seventh of the CPU of taking a rating.

use std::panic::AssertUnwindSafe;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderName, HeaderValue, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use tracing::Instrument;

use crate::{AppError, AppState, csrf};

const X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// Set on every response unless the handler set its own.
const SECURITY_HEADERS: [(HeaderName, &str); 4] = [
    (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
    (header::X_FRAME_OPTIONS, "DENY"),
    (
        header::CONTENT_SECURITY_POLICY,
        "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
    ),
    (header::REFERRER_POLICY, "same-origin"),
];

/// Request ids: a random per-process prefix and a counter — unique, short,
/// and free of anything about the request. An id the caller sent is kept.
pub struct RequestIds {
    prefix: String,
    n: AtomicU64,
}

impl Default for RequestIds {
    fn default() -> Self {
        RequestIds { prefix: chuangkou_store::random_token(4), n: AtomicU64::new(0) }
    }
}

impl RequestIds {
    fn next(&self) -> HeaderValue {
        let n = self.n.fetch_add(1, Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.prefix)).expect("hex and digits make a header value")
    }
}

pub async fn frame(State(state): State<AppState>, mut req: Request, next: Next) -> Response {
    let start = Instant::now();
    let id = match req.headers().get(&X_REQUEST_ID) {
        Some(v) => v.clone(),
        None => {
            let v = state.request_ids.next();
            req.headers_mut().insert(X_REQUEST_ID, v.clone());
            v
        }
    };
    let method = req.method().clone();
    let route = req.extensions().get::<MatchedPath>().cloned();
    if !method.is_safe()
        && let Some(origin) = req.headers().get(header::ORIGIN).and_then(|v| v.to_str().ok())
    {
        let host = req.headers().get(header::HOST).and_then(|v| v.to_str().ok());
        if !csrf::origin_allowed(origin, host, &state.config.public_url) {
            let mut res =
                AppError::Refused("跨站请求被拒绝 / a request from another site was refused".into())
                    .into_response();
            res.headers_mut().insert(X_REQUEST_ID, id);
            return res;
        }
    }
    let new_csrf = csrf::before(&mut req);
    // Error pages are drawn far from any extractor: the reader's language
    // travels with the request's task.
    let lang = crate::i18n::Tr::from_headers(req.headers()).lang;
    // The request's span, under which the store's use cases open theirs:
    // with `CHUANGKOU_LOG=chuangkou_web=debug,chuangkou_store=debug` each
    // closes with its time, so a slow request can be broken down from the
    // log. At debug level it costs nothing when the log is at info.
    let span = tracing::debug_span!(
        "request",
        request_id = id.to_str().unwrap_or(""),
        %method,
        route = route.as_ref().map_or("unmatched", MatchedPath::as_str),
    );
    let run = crate::i18n::LANG
        .scope(lang, tokio::time::timeout(state.config.request_timeout, next.run(req)))
        .instrument(span);
    let mut res = match AssertUnwindSafe(run).catch_unwind().await {
        Ok(Ok(res)) => res,
        Ok(Err(_)) => AppError::Timeout.into_response(),
        Err(_) => AppError::Internal("handler panicked".into()).into_response(),
    };
    if let Some(token) = new_csrf {
        csrf::after(&state, &mut res, &token);
    }
    if res.status() == axum::http::StatusCode::INSUFFICIENT_STORAGE {
        state.disk_full_at.store(crate::error::now_ms(), std::sync::atomic::Ordering::Relaxed);
    }
    let headers = res.headers_mut();
    for (name, value) in SECURITY_HEADERS {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    headers.insert(X_REQUEST_ID, id.clone());
    let ms = start.elapsed().as_secs_f64() * 1000.0;
    let status = res.status().as_u16();
    let route = route.as_ref().map_or("unmatched", MatchedPath::as_str);
    state.metrics.observe(method.as_str(), route, status, ms);
    tracing::info!(
        target: "chuangkou::http",
        request_id = id.to_str().unwrap_or(""),
        %method,
        route,
        status,
        ms = format!("{ms:.2}"),
        "request"
    );
    res
}
