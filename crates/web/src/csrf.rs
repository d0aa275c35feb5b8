//! CSRF protection for forms: a double-submit token.
//!
//! Every response to a browser without a `ck_csrf` cookie sets one (random,
//! HttpOnly, SameSite=Lax); every form carries the same value in a hidden
//! `_csrf` field, and every form post is refused unless the two match. A
//! cross-site page can make the browser send the cookie but cannot read it
//! to fill in the field. Requests the browser marks `Sec-Fetch-Site:
//! cross-site` are refused outright.

use axum::body::Bytes;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::Response;
use serde::de::DeserializeOwned;

use crate::AppState;
use crate::cookies::{cookie, set_cookie};
use crate::error::AppError;
use crate::pages::PageError;

const COOKIE: &str = "ck_csrf";

/// A second layer beside the token: a state-changing request that names an
/// `Origin` must come from this site — the configured public URL, or the
/// host it was sent to. Requests without one (API clients, older browsers)
/// rely on the token or their bearer token alone.
pub fn origin_allowed(origin: &str, host: Option<&str>, public_url: &str) -> bool {
    let origin = origin.trim_end_matches('/');
    let public = public_url.trim_end_matches('/');
    let public_origin = public.split_once("://").map_or(public, |(scheme, rest)| {
        let host = rest.split('/').next().unwrap_or(rest);
        &public[..scheme.len() + 3 + host.len()]
    });
    origin == public_origin
        || host.is_some_and(|h| origin == format!("http://{h}") || origin == format!("https://{h}"))
}

/// The token to put in this page's forms.
#[derive(Clone, Debug)]
pub struct CsrfToken(pub String);

impl<S: Send + Sync> FromRequestParts<S> for CsrfToken {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, AppError> {
        parts
            .extensions
            .get::<CsrfToken>()
            .cloned()
            .ok_or_else(|| AppError::Internal("csrf layer missing".into()))
    }
}

/// Puts the page's form token in the request; returns a new token when the
/// browser has none yet, for [`after`] to set as its cookie. The JSON API
/// takes no forms: its callers need no form token.
pub fn before(req: &mut Request) -> Option<String> {
    if req.uri().path().starts_with("/api/") {
        req.extensions_mut().insert(CsrfToken(String::new()));
        return None;
    }
    let existing =
        cookie(req.headers(), COOKIE).filter(|t| t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit()));
    let (token, new) = match existing {
        Some(t) => (t, None),
        None => {
            let t = chuangkou_store::random_token(32);
            (t.clone(), Some(t))
        }
    };
    req.extensions_mut().insert(CsrfToken(token));
    new
}

/// Sets the cookie of a token [`before`] made.
pub fn after(state: &AppState, res: &mut Response, token: &str) {
    if let Ok(v) =
        HeaderValue::from_str(&set_cookie(COOKIE, token, 60 * 60 * 24 * 30, state.config.secure_cookies))
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
}

/// Refuses a state-changing request whose submitted token does not match
/// the cookie, or that the browser says comes from another site.
pub fn check(headers: &HeaderMap, submitted: &str) -> Result<(), AppError> {
    if headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) == Some("cross-site") {
        return Err(forbidden());
    }
    match cookie(headers, COOKIE) {
        Some(c) if !submitted.is_empty() && constant_time_eq(c.as_bytes(), submitted.as_bytes()) => Ok(()),
        _ => Err(forbidden()),
    }
}

/// A page's urlencoded form, read only once its `_csrf` field matched the
/// cookie ([`check`]): a handler that takes its form as this cannot forget
/// the check. A missing or wrong token is refused with the page that says
/// the form expired; a form that does not fit `T` with a readable message.
/// (Forms that upload are multipart and check the token from their fields.)
pub struct CsrfForm<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for CsrfForm<T> {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, PageError> {
        let headers = req.headers().clone();
        // Too large is 413, as for an upload (`pages::Upload`).
        let bytes = Bytes::from_request(req, state).await.map_err(|e| match e.status() {
            axum::http::StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge,
            _ => AppError::bad_request("bad_form", format!("表单无法读取 / the form could not be read: {e}")),
        })?;
        let token = form_urlencoded::parse(&bytes).find(|(k, _)| k == "_csrf").map(|(_, v)| v.into_owned());
        check(&headers, token.as_deref().unwrap_or(""))?;
        serde_urlencoded::from_bytes(&bytes).map(CsrfForm).map_err(|e| {
            PageError(AppError::bad_request("bad_form", format!("表单有误 / the form is not right: {e}")))
        })
    }
}

fn forbidden() -> AppError {
    AppError::BadRequest {
        code: "csrf",
        message: "表单已过期，请刷新页面后重试 / the form has expired; reload the page and try again".into(),
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::origin_allowed;

    #[test]
    fn only_this_sites_origin_may_change_anything() {
        let public = "https://ck.example.gov.cn";
        assert!(origin_allowed("https://ck.example.gov.cn", None, public));
        assert!(
            origin_allowed("http://127.0.0.1:8080", Some("127.0.0.1:8080"), public),
            "the host it was sent to"
        );
        assert!(!origin_allowed("https://evil.example", Some("ck.example.gov.cn"), public));
        assert!(!origin_allowed("null", Some("ck.example.gov.cn"), public));
        assert!(!origin_allowed("https://ck.example.gov.cn.evil.example", None, public));
        assert!(origin_allowed("http://ck.test", None, "http://ck.test/some/path"));
    }
}
