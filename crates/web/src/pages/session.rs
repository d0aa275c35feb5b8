//! Signing in and out, and the language switch.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::{Chrome, PageError, PageResult, render_with};
use crate::AppState;
use crate::auth::{SESSION_COOKIE, SignIn, sign_in};
use crate::cookies::{cookie, set_cookie};
use crate::csrf::CsrfForm;
use crate::csrf::CsrfToken;
use crate::error::AppError;
use crate::i18n::Tr;

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    c: Chrome,
    username: String,
    error: Option<&'static str>,
    /// Where to go once signed in (a path on this site), e.g. a session's
    /// check-in page scanned before signing in.
    next: String,
}

#[derive(Template)]
#[template(path = "reset.html")]
struct ResetPage {
    c: Chrome,
    token: String,
    /// Whose link it is; `None` when it expired or was used.
    user_name: Option<String>,
    error: Option<&'static str>,
}

/// The page a one-time link opens: set a password.
pub async fn reset_page(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    axum::extract::Path(token): axum::extract::Path<String>,
) -> Response {
    let user_name = state.store.password_reset_user(&token).await.ok().map(|u| u.display_name);
    let status = if user_name.is_some() { StatusCode::OK } else { StatusCode::NOT_FOUND };
    super::render_with(status, &ResetPage { c: Chrome::public(tr, csrf), token, user_name, error: None })
}

#[derive(serde::Deserialize)]
pub struct ResetForm {
    password: String,
    again: String,
}

/// Sets the password once and ends every session and token of the old one.
pub async fn reset(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    axum::extract::Path(token): axum::extract::Path<String>,
    CsrfForm(f): CsrfForm<ResetForm>,
) -> Result<Response, super::PageError> {
    let again = |error: &'static str| async {
        let user_name = state.store.password_reset_user(&token).await.ok().map(|u| u.display_name);
        super::render_with(
            StatusCode::UNPROCESSABLE_ENTITY,
            &ResetPage {
                c: Chrome::public(tr, csrf.clone()),
                token: token.clone(),
                user_name,
                error: Some(error),
            },
        )
    };
    if f.password.chars().count() < 10 {
        return Ok(again("密码至少 10 位 / at least 10 characters").await);
    }
    if f.password != f.again {
        return Ok(again("两次输入不一致 / the two entries differ").await);
    }
    let hash = crate::auth::hash_password(f.password).await?;
    match state.store.use_password_reset(&token, &hash).await {
        Ok(_) => Ok(Redirect::to("/login").into_response()),
        Err(chuangkou_store::StoreError::NotFound) => Ok(super::render_with(
            StatusCode::NOT_FOUND,
            &ResetPage { c: Chrome::public(tr, csrf), token, user_name: None, error: None },
        )),
        Err(e) => Err(crate::error::AppError::from(e).into()),
    }
}

pub async fn home(headers: HeaderMap) -> Redirect {
    if cookie(&headers, SESSION_COOKIE).is_some() {
        Redirect::to("/console/home")
    } else {
        Redirect::to("/login")
    }
}

pub async fn login_page(tr: Tr, csrf: CsrfToken, Query(q): Query<LangQuery>) -> Response {
    let next = q.next.filter(|n| local_path(n)).unwrap_or_default();
    render_with(
        StatusCode::OK,
        &LoginPage { c: Chrome::public(tr, csrf), username: String::new(), error: None, next },
    )
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default)]
    next: String,
}

pub async fn login(
    State(state): State<AppState>,
    tr: Tr,
    token: CsrfToken,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> PageResult {
    let page = |status, error| {
        render_with(
            status,
            &LoginPage {
                c: Chrome::public(tr, token.clone()),
                username: form.username.clone(),
                error: Some(error),
                next: form.next.clone(),
            },
        )
    };
    Ok(match sign_in(&state, &form.username, &form.password).await? {
        SignIn::Ok { session_token, .. } => {
            let to = if local_path(&form.next) { form.next.as_str() } else { "/console/home" };
            let mut res = Redirect::to(to).into_response();
            let c = set_cookie(
                SESSION_COOKIE,
                &session_token,
                chuangkou_store::users::SESSION_MS / 1000,
                state.config.secure_cookies,
            );
            res.headers_mut().append(
                header::SET_COOKIE,
                HeaderValue::from_str(&c).map_err(|e| AppError::Internal(e.to_string()))?,
            );
            res
        }
        SignIn::Failed => page(StatusCode::UNAUTHORIZED, tr.t("login.failed")),
        SignIn::Locked => page(StatusCode::TOO_MANY_REQUESTS, tr.t("login.locked")),
    })
}

#[derive(Deserialize)]
pub struct LogoutForm {}

pub async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
    CsrfForm(_form): CsrfForm<LogoutForm>,
) -> PageResult {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        state.store.end_session(&token).await.map_err(PageError::from)?;
    }
    let mut res = Redirect::to("/login").into_response();
    res.headers_mut().append(
        header::SET_COOKIE,
        HeaderValue::from_str(&set_cookie(SESSION_COOKIE, "", 0, state.config.secure_cookies))
            .map_err(|e| AppError::Internal(e.to_string()))?,
    );
    Ok(res)
}

#[derive(Deserialize)]
pub struct LangQuery {
    next: Option<String>,
}

/// Whether `next` is a path on this site and nowhere else. Browsers drop
/// tabs and line breaks from URLs and read `\` as `/`, so `/%09/evil.example`
/// arrives as `/\t/evil.example` and leaves the site as `//evil.example`:
/// any control character, space or backslash is refused, and so is a second
/// leading slash.
pub fn local_path(next: &str) -> bool {
    next.starts_with('/')
        && !next.starts_with("//")
        && !next.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\')
        && !next.contains("/..")
}

/// Sets the language cookie and goes back — only to a path on this site.
pub async fn switch_lang(
    State(state): State<AppState>,
    Path(code): Path<String>,
    Query(q): Query<LangQuery>,
    headers: HeaderMap,
) -> Response {
    let lang = if code == "en" { "en" } else { "zh" };
    // Back to `next`, else to the page the link was on (the Referer's path).
    let referer = headers
        .get(header::REFERER)
        .and_then(|v| v.to_str().ok())
        .and_then(|r| r.split_once("://"))
        .and_then(|(_, rest)| rest.find('/').map(|i| rest[i..].to_string()));
    let next =
        q.next.filter(|n| local_path(n)).or(referer.filter(|n| local_path(n))).unwrap_or_else(|| "/".into());
    let mut res = Redirect::to(&next).into_response();
    if let Ok(v) =
        HeaderValue::from_str(&set_cookie("ck_lang", lang, 60 * 60 * 24 * 365, state.config.secure_cookies))
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[cfg(test)]
mod tests {
    use super::local_path;

    #[test]
    fn only_paths_of_this_site_are_followed() {
        for ok in ["/", "/console/cases?inbox=mine", "/p/abc#x"] {
            assert!(local_path(ok), "{ok}");
        }
        for bad in [
            "//evil.example",
            "/\t/evil.example",
            "/\n/evil.example",
            "/\\evil.example",
            "\\\\evil.example",
            "https://evil.example/",
            "/ /evil.example",
            "evil.example",
            "/\u{0}/x",
            "/console/../../x",
        ] {
            assert!(!local_path(bad), "{bad:?}");
        }
    }
}
