//! Our own extractors, so that bad input gets our error format.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::CONTENT_TYPE;
use chuangkou_domain::FieldError;
use serde::de::DeserializeOwned;

use crate::error::AppError;

/// JSON body: malformed JSON or bad UTF-8 → 400 `malformed_json`; wrong
/// types, missing or unknown fields → 422 `validation` naming the field;
/// too large → 413; not JSON → 415.
pub struct ApiJson<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> FromRequest<S> for ApiJson<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        let is_json = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| {
            v.split(';').next().is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
        });
        if !is_json {
            return Err(AppError::UnsupportedMediaType(
                "请使用 Content-Type: application/json / send application/json".into(),
            ));
        }
        let bytes = read_body(req, state).await?;
        let de = &mut serde_json::Deserializer::from_slice(&bytes);
        match serde_path_to_error::deserialize(de) {
            Ok(v) => Ok(ApiJson(v)),
            Err(e) => {
                let path = e.path().to_string();
                let inner = e.into_inner();
                if inner.is_data() {
                    let field = if path == "." { String::new() } else { path };
                    Err(AppError::Validation(vec![FieldError::new(field, inner.to_string())]))
                } else {
                    Err(AppError::bad_request(
                        "malformed_json",
                        format!("JSON 格式错误 / malformed JSON: {inner}"),
                    ))
                }
            }
        }
    }
}

/// Path: a segment of the wrong type (`/ratings/x/appeal`) → 400
/// `bad_path` in our JSON error format, never axum's plain text. Handlers
/// import it as `Path`.
pub struct ApiPath<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned + Send> axum::extract::FromRequestParts<S> for ApiPath<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Path::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Path(p)| ApiPath(p))
            .map_err(|e| {
                AppError::bad_request("bad_path", format!("路径参数有误 / bad path: {}", e.body_text()))
            })
    }
}

/// Query string: a parameter of the wrong type or an unknown one → 400
/// `bad_query` with axum's explanation.
pub struct ApiQuery<T>(pub T);

impl<S: Send + Sync, T: DeserializeOwned> axum::extract::FromRequestParts<S> for ApiQuery<T> {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut axum::http::request::Parts, state: &S) -> Result<Self, AppError> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|axum::extract::Query(q)| ApiQuery(q))
            .map_err(|e| AppError::bad_request("bad_query", e.body_text()))
    }
}

/// The request body as bytes, with a too-large body answered 413.
pub async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, AppError> {
    Bytes::from_request(req, state).await.map_err(|rejection| {
        if rejection.status() == axum::http::StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge
        } else {
            AppError::bad_request("bad_body", "无法读取请求内容 / the request body cannot be read")
        }
    })
}

/// Implements `chuangkou_domain::org::Fields` for an input struct whose
/// fields are all `Option<String>`.
macro_rules! input_fields {
    ($ty:ty { $($f:ident),+ }) => {
        impl chuangkou_domain::org::Fields for $ty {
            fn get(&self, field: &str) -> &str {
                match field {
                    $(stringify!($f) => self.$f.as_deref().unwrap_or(""),)+
                    _ => "",
                }
            }
        }
    };
}
pub(crate) use input_fields;

/// The client's address for rate limits and the loopback check of
/// `/metrics`: the socket's peer, unless the peer is one of the configured
/// trusted proxies (`--trusted-proxy`); then the nearest address in
/// `X-Forwarded-For` that is not a trusted proxy. A client's own
/// `X-Forwarded-For` is believed only as far as a proxy of ours passed it
/// on, so it cannot forge its way past a limit.
pub struct ClientAddr(pub String);

impl axum::extract::FromRequestParts<crate::AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &crate::AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<axum::extract::ConnectInfo<std::net::SocketAddr>>();
        let Some(peer) = peer.map(|c| c.0.ip()) else { return Ok(ClientAddr("unknown".into())) };
        let forwarded: Vec<&str> =
            parts.headers.get_all("x-forwarded-for").iter().filter_map(|v| v.to_str().ok()).collect();
        Ok(ClientAddr(client_of(peer, &forwarded.join(","), &state.config.trusted_proxies).to_string()))
    }
}

/// The client behind `peer`: `peer` itself unless it is `trusted`, else the
/// rightmost address of `forwarded` (the `X-Forwarded-For` list, each proxy
/// appending its peer) that is not trusted. An entry that is not an address
/// stops the walk at the last trusted hop.
pub fn client_of(peer: std::net::IpAddr, forwarded: &str, trusted: &[std::net::IpAddr]) -> std::net::IpAddr {
    if !trusted.contains(&peer) {
        return peer;
    }
    let mut nearest = peer;
    for hop in forwarded.rsplit(',').map(str::trim).filter(|h| !h.is_empty()) {
        match hop.parse::<std::net::IpAddr>() {
            Ok(ip) if trusted.contains(&ip) => nearest = ip,
            Ok(ip) => return ip,
            Err(_) => break,
        }
    }
    nearest
}

/// For query strings from HTML forms, where an unset field arrives empty:
/// `""` is `None`, anything else must be a number.
pub fn opt_i64<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let s: Option<String> = serde::Deserialize::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

/// A record's id from a path segment. A non-numeric id names no record:
/// the same 404 as a missing one.
pub(crate) fn parse_id<T: std::str::FromStr>(raw: &str) -> Result<T, AppError> {
    raw.parse::<T>().map_err(|_| AppError::NotFound)
}

#[cfg(test)]
mod client_tests {
    use super::client_of;

    #[test]
    fn only_a_trusted_proxy_may_name_the_client() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let proxy = [ip("127.0.0.1"), ip("10.0.0.2")];
        // Straight from the internet: the header is the client's own word.
        assert_eq!(client_of(ip("203.0.113.7"), "1.2.3.4", &proxy), ip("203.0.113.7"));
        // Through our proxy: the address it appended.
        assert_eq!(client_of(ip("127.0.0.1"), "198.51.100.9", &proxy), ip("198.51.100.9"));
        // A forged entry before it is not believed; nor past two proxies of ours.
        assert_eq!(client_of(ip("127.0.0.1"), "1.2.3.4, 198.51.100.9", &proxy), ip("198.51.100.9"));
        assert_eq!(client_of(ip("127.0.0.1"), "198.51.100.9, 10.0.0.2", &proxy), ip("198.51.100.9"));
        // No header, or garbage: the proxy itself (all its clients share a limit).
        assert_eq!(client_of(ip("127.0.0.1"), "", &proxy), ip("127.0.0.1"));
        assert_eq!(client_of(ip("127.0.0.1"), "unknown", &proxy), ip("127.0.0.1"));
        // Nothing trusted (the default): the peer, whatever the header says.
        assert_eq!(client_of(ip("127.0.0.1"), "198.51.100.9", &[]), ip("127.0.0.1"));
    }
}
