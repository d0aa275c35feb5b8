//! Who is asking: sessions for people, bearer tokens for machines.
//!
//! [`CurrentUser`] is the extractor every protected handler takes; it
//! answers 401 in JSON for the API. [`PageUser`] is the same for console
//! pages and sends the browser to the sign-in page instead. Cookie-signed
//! API writes must also carry the CSRF token in `X-CSRF-Token`.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::Method;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use chuangkou_domain::{OrgId, Permission, Role};
use chuangkou_store::StoreError;
use chuangkou_store::users::User;

use crate::AppState;
use crate::cookies::cookie;
use crate::error::AppError;

pub const SESSION_COOKIE: &str = "ck_session";

/// The signed-in user of this request.
#[derive(Debug, Clone)]
pub struct CurrentUser(pub User);

impl CurrentUser {
    pub fn org_id(&self) -> OrgId {
        self.0.org_id
    }

    pub fn role(&self) -> Role {
        self.0.role()
    }

    /// The actor string recorded in events.
    pub fn actor(&self) -> String {
        self.0.actor()
    }

    pub fn require(&self, p: Permission) -> Result<(), AppError> {
        if self.can(p) { Ok(()) } else { Err(AppError::Forbidden) }
    }

    /// What the user's role may do (the table in `domain::access`).
    pub fn can(&self, p: Permission) -> bool {
        self.role().can(p)
    }
}

async fn authenticate(parts: &Parts, state: &AppState) -> Result<CurrentUser, AppError> {
    if let Some(auth) = parts.headers.get(AUTHORIZATION) {
        let token = auth.to_str().ok().and_then(|v| v.strip_prefix("Bearer ")).ok_or_else(|| {
            AppError::Unauthorized("Authorization 须为 Bearer 令牌 / use a Bearer token".into())
        })?;
        return state.store.api_token_user(token.trim()).await.map(CurrentUser).map_err(|e| match e {
            // The database being down is not a bad token: 503, not 401.
            StoreError::NotFound => AppError::Unauthorized("令牌无效 / invalid token".into()),
            e => AppError::from(e),
        });
    }
    let token = cookie(&parts.headers, SESSION_COOKIE)
        .ok_or_else(|| AppError::Unauthorized("请先登录 / please sign in".into()))?;
    let user = state.store.session_user(&token).await.map_err(|e| match e {
        StoreError::NotFound => AppError::Unauthorized("登录已过期 / your session has ended".into()),
        e => AppError::from(e),
    })?;
    let unsafe_method = !matches!(parts.method, Method::GET | Method::HEAD | Method::OPTIONS);
    // Nested routers see a shortened path; the original tells API from pages.
    let path = parts.extensions.get::<axum::extract::OriginalUri>().map_or(parts.uri.path(), |u| u.0.path());
    if unsafe_method && path.starts_with("/api/") {
        let sent = parts.headers.get("x-csrf-token").and_then(|v| v.to_str().ok()).unwrap_or("");
        crate::csrf::check(&parts.headers, sent)?;
    }
    Ok(CurrentUser(user))
}

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        authenticate(parts, state).await
    }
}

/// A signed-in user on a console page; others are sent to sign in.
#[derive(Debug, Clone)]
pub struct PageUser(pub CurrentUser);

impl FromRequestParts<AppState> for PageUser {
    type Rejection = Response;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, Response> {
        match authenticate(parts, state).await {
            Ok(u) => Ok(PageUser(u)),
            Err(AppError::Unauthorized(_)) => Err(Redirect::to("/login").into_response()),
            Err(e) => Err(crate::pages::error_page(parts, e)),
        }
    }
}

/// Hashes a password with Argon2id on a blocking thread.
pub async fn hash_password(password: String) -> Result<String, AppError> {
    tokio::task::spawn_blocking(move || hash_password_blocking(&password)).await?
}

pub fn hash_password_blocking(password: &str) -> Result<String, AppError> {
    use rand::RngCore;
    let mut raw = [0u8; 16];
    rand::rng().fill_bytes(&mut raw);
    let salt = SaltString::encode_b64(&raw).map_err(|e| AppError::Internal(format!("salt: {e}")))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| AppError::Internal(format!("argon2: {e}")))
}

/// Checks a password on a blocking thread. With no stored hash (unknown
/// user) it still spends the same time, so that timing does not tell
/// whether a username exists.
pub async fn verify_password(password: String, stored: Option<String>) -> Result<bool, AppError> {
    tokio::task::spawn_blocking(move || {
        let dummy;
        let hash = match &stored {
            Some(h) => h.as_str(),
            None => {
                dummy = dummy_hash();
                dummy.as_str()
            }
        };
        let ok = PasswordHash::new(hash)
            .map(|parsed| Argon2::default().verify_password(password.as_bytes(), &parsed).is_ok())
            .unwrap_or(false);
        ok && stored.is_some()
    })
    .await
    .map_err(AppError::from)
}

fn dummy_hash() -> String {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    DUMMY.get_or_init(|| hash_password_blocking("not a real password").unwrap_or_default()).clone()
}

/// The outcome of a sign-in attempt, for the page or the API to render.
pub enum SignIn {
    Ok {
        user: User,
        session_token: String,
    },
    /// Same answer for an unknown user and a wrong password.
    Failed,
    Locked,
}

/// Signs in with the throttle: each failure in a row adds a delay, the
/// `MAX_FAILURES`th locks the name for a while — known or unknown alike.
pub async fn sign_in(state: &AppState, username: &str, password: &str) -> Result<SignIn, AppError> {
    let username = username.trim().to_lowercase();
    let store = &state.store;
    // The attempt is counted before its password is checked: of a burst of
    // parallel attempts, only the first MAX_FAILURES are ever checked.
    let attempt = store.take_sign_in_attempt(&username).await?;
    if attempt.locked_until > store.now_ms() || attempt.failures > chuangkou_store::users::MAX_FAILURES {
        return Ok(SignIn::Locked);
    }
    if attempt.failures > 1 {
        let delay = state.config.login_delay_ms * (attempt.failures - 1).min(8) as u64;
        tokio::time::sleep(std::time::Duration::from_millis(delay)).await;
    }
    let user = store.user_by_username(&username).await.ok().filter(|u| !u.disabled);
    let ok = verify_password(password.to_string(), user.as_ref().map(|u| u.password_hash.clone())).await?;
    match (ok, user) {
        (true, Some(user)) => {
            store.clear_failures(&username).await?;
            let session_token = store.create_session(&user).await?;
            tracing::info!(user_id = user.id.get(), "signed in");
            Ok(SignIn::Ok { user, session_token })
        }
        _ => {
            tracing::info!(failures = attempt.failures, "sign-in failed");
            if attempt.failures >= chuangkou_store::users::MAX_FAILURES {
                store.lock_sign_in(&username).await?;
                return Ok(SignIn::Locked);
            }
            Ok(SignIn::Failed)
        }
    }
}
