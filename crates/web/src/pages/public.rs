//! Public pages: an organisation's landing page and the page a service
//! point's QR code opens. No sign-in, nothing personal, nothing internal.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::routing::get;
use chuangkou_domain::org::{ServicePointKind, UnitKind};
use chuangkou_store::org::{Organisation, ServicePoint};

use super::{Chrome, PageError, PageResult, render};
use crate::AppState;
use crate::csrf::CsrfToken;
use crate::error::AppError;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new().route("/o/{code}", get(organisation)).route("/p/{token}", get(point))
}

pub struct PublicUnit {
    pub name: String,
    pub kind_label: String,
}

#[derive(Template)]
#[template(path = "public_org.html")]
struct OrgPage {
    c: Chrome,
    org: Organisation,
    units: Vec<PublicUnit>,
}

async fn organisation(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    Path(code): Path<String>,
) -> PageResult {
    let org = state.store.organisation_by_code(&code).await?;
    // The public sees the service units, not the internal teams and offices.
    let units = state
        .store
        .units(org.id)
        .await?
        .into_iter()
        .filter_map(|u| {
            let k = UnitKind::parse(&u.kind)?;
            (!matches!(k, UnitKind::Team | UnitKind::Department))
                .then(|| PublicUnit { name: u.name, kind_label: tr.label(k).to_string() })
        })
        .collect();
    Ok(render(&OrgPage { c: Chrome::public(tr, csrf), org, units }))
}

#[derive(Template)]
#[template(path = "public_point.html")]
struct PointPage {
    c: Chrome,
    org: Organisation,
    point: ServicePoint,
    kind_label: String,
}

async fn point(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    Path(token): Path<String>,
) -> PageResult {
    let (point, org) = point_of(&state, &token).await?;
    let kind_label =
        ServicePointKind::parse(&point.kind).map_or(point.kind.clone(), |k| tr.label(k).to_string());
    Ok(render(&PointPage { c: Chrome::public(tr, csrf), org, point, kind_label }))
}

/// The service point a QR code's token names, and its organisation; a
/// malformed token is not looked up at all.
pub(super) async fn point_of(
    state: &AppState,
    token: &str,
) -> Result<(ServicePoint, Organisation), PageError> {
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound.into());
    }
    let point = state.store.service_point_by_token(token).await?;
    let org = state.store.organisation(point.org_id).await?;
    Ok((point, org))
}
