//! `Idempotency-Key` on the API's writes of cases, ratings and the ledger:
//! the same key and body answer the first answer again (a double submit, a
//! retry after a lost answer) instead of writing twice; the same key with
//! another body, or while the first is still being answered, is a 409. The
//! key is claimed in the database before the write, per organisation, so it
//! holds across instances; an answer of 5xx lets the key go again.

use axum::body::{Body, to_bytes};
use axum::extract::{FromRequestParts, Request, State};
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chuangkou_store::idempotency::Claim;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

/// The largest body an idempotent write may have (photos and imports are
/// not among them).
const MAX_BODY: usize = 1024 * 1024;

/// Which scope a write belongs to, if it takes a key: cases, ratings, the ledger.
fn scope(method: &Method, path: &str) -> Option<&'static str> {
    if method != Method::POST {
        return None;
    }
    let path = path.strip_prefix("/api/v1").unwrap_or(path);
    match path {
        "/cases" => Some("cases"),
        "/ratings" => Some("ratings"),
        p if p.starts_with("/cases/") && p.ends_with("/actions") => Some("cases"),
        p if p.starts_with("/ledger/") => Some("ledger"),
        _ => None,
    }
}

fn conflict(message: &str) -> Response {
    AppError::Conflict(message.to_string()).into_response()
}

pub async fn idempotency(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let Some(key) = req.headers().get("idempotency-key").and_then(|v| v.to_str().ok()).map(str::to_string)
    else {
        return next.run(req).await;
    };
    let Some(scope) = scope(req.method(), req.uri().path()) else { return next.run(req).await };
    if key.is_empty() || key.len() > 200 || !key.chars().all(|c| c.is_ascii_graphic()) {
        return AppError::bad_request(
            "bad_idempotency_key",
            "Idempotency-Key 须为 1–200 个可见 ASCII 字符 / 1–200 visible ASCII characters",
        )
        .into_response();
    }
    let path = req.uri().path().to_string();
    let (mut parts, body) = req.into_parts();
    let Ok(bytes) = to_bytes(body, MAX_BODY).await else { return AppError::TooLarge.into_response() };
    // The organisation: the signed-in user's, or for a public rating the
    // service point's.
    let org_id = if scope == "ratings" {
        let point = serde_json::from_slice::<serde_json::Value>(&bytes)
            .ok()
            .and_then(|v| v["point"].as_str().map(str::to_string));
        match point {
            Some(token) => match state.points.get(&state, &token).await {
                Ok(found) => Some(found.1.id),
                Err(_) => None,
            },
            None => None,
        }
    } else {
        CurrentUser::from_request_parts(&mut parts, &state).await.ok().map(|u| u.org_id())
    };
    // Without an organisation the request fails on its own (401, 404, 422).
    let Some(org_id) = org_id else { return next.run(Request::from_parts(parts, Body::from(bytes))).await };
    let mut fingerprint = path.into_bytes();
    fingerprint.push(0);
    fingerprint.extend_from_slice(&bytes);
    match state.store.claim_idempotency(org_id, scope, &key, &fingerprint).await {
        Err(e) => return AppError::from(e).into_response(),
        Ok(Claim::Mismatch) => {
            return conflict(
                "同一 Idempotency-Key 已用于另一个请求 / this Idempotency-Key was used for another request",
            );
        }
        Ok(Claim::InProgress) => {
            return conflict(
                "同一 Idempotency-Key 的请求正在处理 / a request with this Idempotency-Key is in progress",
            );
        }
        Ok(Claim::Replay { status, body }) => {
            let mut res = (StatusCode::from_u16(status).unwrap_or(StatusCode::OK), body).into_response();
            res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
            res.headers_mut().insert("idempotent-replayed", HeaderValue::from_static("true"));
            return res;
        }
        Ok(Claim::New) => {}
    }
    let res = next.run(Request::from_parts(parts, Body::from(bytes))).await;
    let (res_parts, res_body) = res.into_parts();
    let Ok(out) = to_bytes(res_body, 16 * MAX_BODY).await else {
        let _ = state.store.release_idempotency(org_id, scope, &key).await;
        return AppError::Internal("answer too large to keep".into()).into_response();
    };
    let kept = if res_parts.status.is_server_error() {
        state.store.release_idempotency(org_id, scope, &key).await
    } else {
        let text = String::from_utf8_lossy(&out);
        state.store.finish_idempotency(org_id, scope, &key, res_parts.status.as_u16(), &text).await
    };
    if let Err(e) = kept {
        tracing::error!(error = %e, "keeping an idempotent answer failed");
    }
    Response::from_parts(res_parts, Body::from(out))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn writes_of_cases_ratings_and_the_ledger_take_a_key() {
        assert_eq!(scope(&Method::POST, "/api/v1/cases"), Some("cases"));
        assert_eq!(scope(&Method::POST, "/api/v1/cases/7/actions"), Some("cases"));
        assert_eq!(scope(&Method::POST, "/api/v1/ratings"), Some("ratings"));
        assert_eq!(scope(&Method::POST, "/api/v1/ledger/entries/3/decision"), Some("ledger"));
        assert_eq!(scope(&Method::GET, "/api/v1/cases"), None);
        assert_eq!(scope(&Method::POST, "/api/v1/cases/duplicates"), None);
    }
}
