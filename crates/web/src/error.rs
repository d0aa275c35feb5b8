//! The one error type of the HTTP layer.
//!
//! Policy: every failure reaches the client as JSON `{code, message}` (plus
//! `details` for field errors) from the API, or as a readable page from the
//! console — never as SQL, a file path or a stack trace. Internal causes are
//! logged with their chain and the client gets `internal` and a plain
//! sentence. Records of another organisation answer exactly like missing
//! ones (`not_found`), so that ids cannot be probed.

use std::sync::atomic::{AtomicI64, Ordering};

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use chuangkou_domain::FieldError;
use chuangkou_store::StoreError;
use serde_json::json;

#[derive(Debug)]
pub enum AppError {
    /// 400: a request that cannot be read (malformed JSON, bad UTF-8, …).
    BadRequest { code: &'static str, message: String },
    /// 401: not signed in, or bad credentials.
    Unauthorized(String),
    /// 403: signed in, but the role may not do this.
    Forbidden,
    /// 403 with the reason the rules give.
    Refused(String),
    /// 404: no such record *in this organisation*.
    NotFound,
    /// 405
    MethodNotAllowed,
    /// 409: the write conflicts with what is stored.
    Conflict(String),
    /// 413
    TooLarge,
    /// 415
    UnsupportedMediaType(String),
    /// 422: fields that do not pass validation.
    Validation(Vec<FieldError>),
    /// 422 with a custom body (e.g. an import report).
    Unprocessable { code: &'static str, message: String, extra: serde_json::Value },
    /// 429
    TooManyRequests(String),
    /// 408
    Timeout,
    /// 503: something this installation lacks (e.g. a font for PDFs), or
    /// the database is down for now.
    Unavailable { code: &'static str, message: String },
    /// 507: the disk is full; the write was refused and nothing changed.
    InsufficientStorage,
    /// 500: logged, never shown.
    Internal(String),
}

impl AppError {
    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest { .. } => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden | AppError::Refused(_) => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
            AppError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            AppError::Validation(_) | AppError::Unprocessable { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests(_) => StatusCode::TOO_MANY_REQUESTS,
            AppError::Timeout => StatusCode::REQUEST_TIMEOUT,
            AppError::Unavailable { .. } => StatusCode::SERVICE_UNAVAILABLE,
            AppError::InsufficientStorage => StatusCode::INSUFFICIENT_STORAGE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            AppError::BadRequest { code, .. } => code,
            AppError::Unauthorized(_) => "unauthorized",
            AppError::Forbidden | AppError::Refused(_) => "forbidden",
            AppError::NotFound => "not_found",
            AppError::MethodNotAllowed => "method_not_allowed",
            AppError::Conflict(_) => "conflict",
            AppError::TooLarge => "payload_too_large",
            AppError::UnsupportedMediaType(_) => "unsupported_media_type",
            AppError::Validation(_) => "validation",
            AppError::Unprocessable { code, .. } | AppError::Unavailable { code, .. } => code,
            AppError::TooManyRequests(_) => "too_many_requests",
            AppError::Timeout => "timeout",
            AppError::InsufficientStorage => "insufficient_storage",
            AppError::Internal(_) => "internal",
        }
    }

    /// The sentence shown to people, Chinese first.
    pub fn message(&self) -> String {
        match self {
            AppError::BadRequest { message, .. }
            | AppError::Unauthorized(message)
            | AppError::Conflict(message)
            | AppError::Refused(message)
            | AppError::UnsupportedMediaType(message)
            | AppError::Unprocessable { message, .. }
            | AppError::Unavailable { message, .. }
            | AppError::TooManyRequests(message) => message.clone(),
            AppError::Forbidden => "无权执行此操作 / you may not do this".into(),
            AppError::NotFound => "未找到 / not found".into(),
            AppError::MethodNotAllowed => "不支持此方法 / method not allowed".into(),
            AppError::TooLarge => "请求内容过大 / the request body is too large".into(),
            AppError::Validation(_) => "输入有误 / some fields are not valid".into(),
            AppError::Timeout => "请求超时 / the request took too long".into(),
            AppError::InsufficientStorage => {
                "服务器存储空间已满，本次提交未保存，请稍后再试 / the server's disk is full: nothing was saved, please try again later".into()
            }
            AppError::Internal(_) => {
                "服务器内部错误，请稍后再试 / internal error, please try again later".into()
            }
        }
    }

    /// Bad input in one field (422, with the field named).
    pub fn field(name: &str, message: impl Into<String>) -> Self {
        AppError::Validation(vec![chuangkou_domain::FieldError::new(name, message)])
    }

    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        AppError::BadRequest { code, message: message.into() }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        if let AppError::Internal(cause) = &self {
            tracing::error!(%cause, "internal error");
        }
        let mut body = json!({"code": self.code(), "message": self.message()});
        match &self {
            AppError::Validation(details) => body["details"] = json!(details),
            AppError::Unprocessable { extra, .. } => {
                if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
                    b.extend(e.clone());
                }
            }
            _ => {}
        }
        let mut res = (self.status(), Json(body)).into_response();
        if matches!(
            self,
            AppError::Unavailable { code: "database_unavailable", .. } | AppError::InsufficientStorage
        ) {
            res.headers_mut()
                .insert(axum::http::header::RETRY_AFTER, axum::http::HeaderValue::from_static("5"));
        }
        res
    }
}

/// When each failure was last logged: a failing database or a full disk
/// is logged once a minute, not once a request.
static DOWN_LOGGED_AT: AtomicI64 = AtomicI64::new(0);
static FULL_LOGGED_AT: AtomicI64 = AtomicI64::new(0);

/// The process's wall time, for how often a failure is logged and how long
/// a full disk is reported: about this process, not about records.
#[allow(clippy::disallowed_methods)]
pub fn now_ms() -> i64 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_millis() as i64)
}

/// Logs a failure if it was not logged in the last minute.
fn note(logged: &AtomicI64, what: &str, cause: &StoreError) {
    let now = now_ms();
    let last = logged.load(Ordering::Relaxed);
    if now - last >= 60_000
        && logged.compare_exchange(last, now, Ordering::Relaxed, Ordering::Relaxed).is_ok()
    {
        tracing::warn!(cause = %cause, "{what} (logged once a minute while it lasts)");
    }
}

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => AppError::NotFound,
            StoreError::Conflict(m) => AppError::Conflict(m),
            StoreError::Invalid(f) => AppError::Validation(f),
            StoreError::Refused { conflict: true, message } => AppError::Conflict(message),
            StoreError::Refused { conflict: false, message } => AppError::Refused(message),
            e if e.is_disk_full() => {
                note(&FULL_LOGGED_AT, "the disk is full: writes are refused", &e);
                AppError::InsufficientStorage
            }
            e if e.is_unavailable() => {
                note(&DOWN_LOGGED_AT, "the database is unavailable", &e);
                AppError::Unavailable {
                    code: "database_unavailable",
                    message: "数据库暂时不可用，请稍后再试 / the database is unavailable for now, please try again shortly"
                        .into(),
                }
            }
            StoreError::Db(e) => AppError::Internal(format!("database: {e}")),
            StoreError::Other(m) => AppError::Internal(m),
        }
    }
}

impl From<Vec<FieldError>> for AppError {
    fn from(f: Vec<FieldError>) -> Self {
        AppError::Validation(f)
    }
}

impl From<tokio::task::JoinError> for AppError {
    fn from(e: tokio::task::JoinError) -> Self {
        AppError::Internal(format!("background task: {e}"))
    }
}

pub type ApiResult<T> = Result<T, AppError>;
