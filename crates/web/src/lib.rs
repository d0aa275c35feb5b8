//! Chuangkou's HTTP layer: the JSON API under `/api/v1`, the staff console,
//! and the public pages that QR codes lead to.
//!
//! Handlers are thin: extract → domain → store → render. Authorisation is
//! the [`auth::CurrentUser`] extractor plus a permission check, and every
//! store call names the user's organisation.
#![forbid(unsafe_code)]

use std::sync::Arc;
use std::time::Duration;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chuangkou_domain::policy::{PolicySet, Rules};
use chuangkou_store::Store;
use chuangkou_store::cases::Intake;
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::request_id::{MakeRequestId, PropagateRequestIdLayer, RequestId, SetRequestIdLayer};
use tower_http::set_header::SetResponseHeaderLayer;

pub mod api;
pub mod auth;
pub mod cases_access;
pub mod charts;
mod cookies;
pub mod csrf;
pub mod error;
mod extract;
pub mod i18n;
pub mod ledger_access;
pub mod metrics;
pub mod notice;
pub mod open311;
pub mod pages;
pub mod photos;
pub mod qr;
pub mod satisfaction;

pub use error::AppError;

/// Settings of the web layer, from the command line or environment.
#[derive(Debug, Clone)]
pub struct WebConfig {
    /// Where the public reaches this server; QR codes point here.
    pub public_url: String,
    /// Mark cookies `Secure` (set when served over HTTPS).
    pub secure_cookies: bool,
    /// Base delay added per earlier failure before checking a password.
    pub login_delay_ms: u64,
    /// Requests taking longer are answered 408.
    pub request_timeout: Duration,
    /// The CJK TrueType font PDF documents are set in; a system font when
    /// `None` (see `chuangkou_notice::Font::discover`).
    pub pdf_font: Option<std::path::PathBuf>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            public_url: "http://127.0.0.1:8080".into(),
            secure_cookies: false,
            login_delay_ms: 250,
            request_timeout: Duration::from_secs(30),
            pdf_font: None,
        }
    }
}

/// Everything a request may need. Cloned by every middleware layer and
/// handler, so it is one `Arc`: a clone is one atomic increment.
#[derive(Clone)]
pub struct AppState(Arc<Shared>);

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

pub struct Shared {
    pub store: Store,
    pub config: Arc<WebConfig>,
    pub metrics: Arc<metrics::Metrics>,
    /// The policy packs and calendars, checked at start-up.
    pub policies: Arc<PolicySet>,
    /// Case intake with group commit.
    pub intake: Intake,
    /// Rating intake with group commit.
    pub ratings: chuangkou_store::ratings::RatingIntake,
    /// Limits on ratings per device and address.
    pub limits: Arc<satisfaction::RateLimiter>,
    /// Service points by QR token.
    pub points: Arc<satisfaction::PointCache>,
    /// The font for PDF documents, read on first use.
    pub pdf_font: tokio::sync::OnceCell<Arc<chuangkou_notice::Font>>,
}

impl AppState {
    pub fn new(store: Store, config: WebConfig, policies: PolicySet) -> Self {
        AppState(Arc::new(Shared {
            config: Arc::new(config),
            metrics: Arc::new(metrics::Metrics::default()),
            policies: Arc::new(policies),
            intake: Intake::start(store.clone()),
            ratings: store.rating_intake(),
            limits: Default::default(),
            points: Default::default(),
            pdf_font: Default::default(),
            store,
        }))
    }

    /// Lays `doc` out as a PDF in the configured CJK font (read once, on
    /// first use), off the async threads.
    pub async fn pdf(&self, doc: chuangkou_notice::Document) -> Result<Vec<u8>, AppError> {
        let configured = self.config.pdf_font.clone();
        let font = self
            .pdf_font
            .get_or_try_init(|| async move {
                tokio::task::spawn_blocking(move || chuangkou_notice::Font::discover(configured.as_deref()))
                    .await
                    .map_err(|e| AppError::Internal(e.to_string()))?
                    .map(Arc::new)
                    .map_err(|e| {
                        tracing::error!(error = %e, "no font for PDF documents");
                        AppError::Unavailable {
                            code: "pdf_font_missing",
                            message: format!("无法生成 PDF：服务器缺少中文字体 / cannot make the PDF: {e}"),
                        }
                    })
            })
            .await?
            .clone();
        tokio::task::spawn_blocking(move || chuangkou_notice::render(&doc, &font))
            .await?
            .map_err(|e| AppError::Internal(e.to_string()))
    }

    /// Registers a case through the group-commit queue: checked first, then
    /// committed with whatever else is waiting; returns after the commit.
    pub async fn register_case(
        &self,
        org: &chuangkou_store::org::Organisation,
        nc: &chuangkou_store::cases::NewCase,
        actor: &str,
    ) -> Result<chuangkou_store::cases::Registered, AppError> {
        let prepared = self.store.prepare_case(org, self.rules(&org.pack)?, nc, actor).await?;
        Ok(self.intake.register(prepared).await?)
    }

    /// The rules of an organisation's pack.
    pub fn rules(&self, pack: &str) -> Result<Rules<'_>, AppError> {
        self.policies
            .rules(pack)
            .ok_or_else(|| AppError::Internal(format!("policy pack {pack} is not loaded")))
    }
}

/// The largest JSON or form body accepted; imports have their own limit.
pub const BODY_LIMIT: usize = 256 * 1024;
pub const UPLOAD_LIMIT: usize = 10 * 1024 * 1024;

/// The whole application.
pub fn app(state: AppState) -> Router {
    let x_request_id = HeaderName::from_static("x-request-id");
    Router::new()
        .merge(pages::router())
        .nest("/api/v1", api::router())
        .merge(open311::router())
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::render))
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(state.clone(), csrf::layer))
        .layer(middleware::from_fn_with_state(state.clone(), timeout))
        .layer(middleware::from_fn_with_state(state.clone(), metrics::track))
        .layer(CatchPanicLayer::custom(|_| AppError::Internal("handler panicked".into()).into_response()))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(
                "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'",
            ),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(PropagateRequestIdLayer::new(x_request_id.clone()))
        .layer(SetRequestIdLayer::new(x_request_id, NextRequestId::default()))
        .with_state(state)
}

async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    match state.store.organisations().await {
        Ok(_) => (StatusCode::OK, "ok").into_response(),
        Err(e) => AppError::from(e).into_response(),
    }
}

async fn timeout(
    axum::extract::State(state): axum::extract::State<AppState>,
    req: Request,
    next: Next,
) -> Response {
    match tokio::time::timeout(state.config.request_timeout, next.run(req)).await {
        Ok(r) => r,
        Err(_) => AppError::Timeout.into_response(),
    }
}

/// Request ids: a random per-process prefix and a counter — unique, short,
/// and free of anything about the request.
#[derive(Clone)]
struct NextRequestId {
    prefix: Arc<str>,
    n: Arc<std::sync::atomic::AtomicU64>,
}

impl Default for NextRequestId {
    fn default() -> Self {
        NextRequestId { prefix: chuangkou_store::random_token(4).into(), n: Default::default() }
    }
}

impl MakeRequestId for NextRequestId {
    fn make_request_id<B>(&mut self, _: &axum::http::Request<B>) -> Option<RequestId> {
        let n = self.n.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        HeaderValue::from_str(&format!("{}-{n}", self.prefix)).ok().map(RequestId::new)
    }
}

/// Binds `addr` and serves until Ctrl-C / SIGTERM.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    axum::serve(listener, app(state).into_make_service_with_connect_info::<std::net::SocketAddr>())
        .with_graceful_shutdown(shutdown_signal())
        .await
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        if let Ok(mut s) = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            s.recv().await;
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! { _ = ctrl_c => {}, _ = term => {} }
}
