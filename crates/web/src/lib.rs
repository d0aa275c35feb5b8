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
use axum::extract::DefaultBodyLimit;
use axum::http::StatusCode;
use axum::middleware;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chuangkou_domain::policy::{PolicySet, Rules};
use chuangkou_store::Store;
use chuangkou_store::cases::Intake;

pub mod api;
pub mod auth;
pub mod cases_access;
pub mod charts;
mod cookies;
pub mod csrf;
pub mod error;
mod extract;
mod frame;
pub mod i18n;
mod idempotency;
pub mod ledger_access;
pub mod metrics;
pub mod notice;
pub mod open311;
pub mod pages;
pub mod photos;
pub mod qr;
pub mod satisfaction;
mod words;

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
    /// `/metrics` answers a scraper that sends `Authorization: Bearer` this
    /// token; without one it answers loopback callers only (its route
    /// inventory and latencies are not for the public).
    pub metrics_token: Option<String>,
    /// A connection that has not sent a request's headers in this time is
    /// closed (a client dripping a header a byte at a time).
    pub header_read_timeout: Duration,
    /// Signs the checkpoints the auditor's endpoint and the notices carry
    /// (never stored in the database); without one they carry none.
    pub checkpoint_key: Option<Arc<ed25519_dalek::SigningKey>>,
    /// Reverse proxies whose `X-Forwarded-For` names the client (see
    /// `extract::ClientAddr`); none by default.
    pub trusted_proxies: Vec<std::net::IpAddr>,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            public_url: "http://127.0.0.1:8080".into(),
            secure_cookies: false,
            login_delay_ms: 250,
            request_timeout: Duration::from_secs(30),
            pdf_font: None,
            metrics_token: None,
            header_read_timeout: Duration::from_secs(10),
            checkpoint_key: None,
            trusted_proxies: Vec::new(),
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
    pub request_ids: frame::RequestIds,
    /// When a write last found the disk full (ms since the epoch; 0: never),
    /// for `/healthz`.
    pub disk_full_at: std::sync::atomic::AtomicI64,
    /// The policy packs and calendars, checked at start-up.
    pub policies: Arc<PolicySet>,
    /// Case intake with group commit.
    pub intake: Intake,
    /// Rating intake with group commit.
    pub ratings: chuangkou_store::ratings::RatingIntake,
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
            request_ids: Default::default(),
            disk_full_at: Default::default(),
            policies: Arc::new(policies),
            intake: Intake::start(store.clone()),
            ratings: store.rating_intake(),
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

    /// The signed-in user's organisation with the rules of its pack: what
    /// most use cases start from.
    pub async fn org_rules(&self, user: &auth::CurrentUser) -> Result<OrgRules<'_>, AppError> {
        let org = self.store.organisation(user.org_id()).await?;
        let rules = self.rules(&org.pack)?;
        Ok(OrgRules { org, rules })
    }
}

/// An organisation and the rules of its pack (see [`AppState::org_rules`]).
pub struct OrgRules<'a> {
    pub org: chuangkou_store::org::Organisation,
    pub rules: Rules<'a>,
}

/// The largest JSON or form body accepted; imports have their own limit.
pub const BODY_LIMIT: usize = 256 * 1024;
pub const UPLOAD_LIMIT: usize = 10 * 1024 * 1024;

/// The whole application.
pub fn app(state: AppState) -> Router {
    Router::new()
        .merge(pages::router())
        .nest(
            "/api/v1",
            api::router()
                .layer(axum::middleware::from_fn_with_state(state.clone(), idempotency::idempotency)),
        )
        .merge(open311::router())
        .route("/healthz", get(healthz))
        .route("/metrics", get(metrics::render))
        .fallback(pages::not_found)
        .layer(DefaultBodyLimit::max(BODY_LIMIT))
        .layer(middleware::from_fn_with_state(state.clone(), frame::frame))
        .with_state(state)
}

/// `ok`, or 503 with what is wrong: the database unreachable, or the disk
/// found full by a write in the last minute (it recovers by itself once
/// writes succeed again).
async fn healthz(axum::extract::State(state): axum::extract::State<AppState>) -> Response {
    let database = state.store.ping().await;
    let now = error::now_ms();
    let disk_full = now - state.disk_full_at.load(std::sync::atomic::Ordering::Relaxed) < 60_000;
    match (database, disk_full) {
        (Ok(()), false) => (StatusCode::OK, "ok").into_response(),
        (db, disk) => (
            StatusCode::SERVICE_UNAVAILABLE,
            axum::Json(serde_json::json!({
                "status": "degraded",
                "database": if db.is_ok() { "ok" } else { "unavailable" },
                "disk": if disk { "full" } else { "ok" },
            })),
        )
            .into_response(),
    }
}

/// Serves on `listener` until Ctrl-C / SIGTERM, then lets open requests
/// finish. Our own accept loop rather than `axum::serve`, which gives hyper
/// no timer, so that a client dripping its headers a byte at a time
/// (slowloris) is cut off after `header_read_timeout`; each request carries
/// its peer address as `ConnectInfo`.
pub async fn serve(listener: tokio::net::TcpListener, state: AppState) -> std::io::Result<()> {
    use hyper_util::rt::{TokioExecutor, TokioIo, TokioTimer};
    use tower::ServiceExt;

    let header_timeout = state.config.header_read_timeout;
    let app = app(state);
    let (stop, stopping) = tokio::sync::watch::channel(());
    let shutdown = shutdown_signal();
    tokio::pin!(shutdown);
    loop {
        let (io, peer) = tokio::select! {
            accepted = listener.accept() => match accepted {
                Ok(c) => c,
                Err(e) => {
                    // Out of file descriptors and the like: wait, then go on.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
                    continue;
                }
            },
            _ = &mut shutdown => break,
        };
        let _ = io.set_nodelay(true);
        let app = app.clone();
        let service =
            hyper::service::service_fn(move |mut req: axum::http::Request<hyper::body::Incoming>| {
                req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
                app.clone().oneshot(req.map(axum::body::Body::new))
            });
        let mut stopping = stopping.clone();
        tokio::spawn(async move {
            let mut builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            builder.http1().timer(TokioTimer::new()).header_read_timeout(header_timeout);
            let conn = builder.serve_connection_with_upgrades(TokioIo::new(io), service);
            tokio::pin!(conn);
            tokio::select! {
                _ = conn.as_mut() => {}
                _ = stopping.changed() => {
                    conn.as_mut().graceful_shutdown();
                    let _ = conn.await;
                }
            }
        });
    }
    drop(listener);
    let _ = stop.send(());
    drop(stopping);
    // Every connection holds a receiver; wait for the last to finish.
    stop.closed().await;
    Ok(())
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
