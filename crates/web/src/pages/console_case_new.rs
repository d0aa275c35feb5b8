//! Registering a case at the desk: the form, likely duplicates shown before
//! anything is written, then the new case's page with its tracking code.

use askama::Template;
use axum::Router;
use axum::extract::{Form, State};
use axum::http::HeaderMap;
use axum::routing::get;
use chuangkou_domain::cases::{CaseKind, Channel};
use chuangkou_store::cases::Duplicate;
use chuangkou_store::org::Unit;
use serde::Deserialize;

use super::console_cases::case_page;
use super::{Chrome, PageResult, render_with};
use crate::AppState;
use crate::api::cases::{CaseInput, duplicates_for, parse_case};
use crate::auth::{CurrentUser, PageUser};
use crate::cases_access::may_register;
use crate::csrf::{self, CsrfToken};
use crate::error::AppError;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new().route("/console/cases/new", get(new_form).post(register))
}

#[derive(Template)]
#[template(path = "case_new.html")]
struct NewPage {
    c: Chrome,
    form: NewForm,
    kinds: Vec<(String, String)>,
    channels: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    tracks: Vec<(String, String)>,
    units: Vec<Unit>,
    points: Vec<(i64, String)>,
    duplicates: Vec<Duplicate>,
    errors: Vec<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct NewForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    channel: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    track: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    service_point_id: String,
    #[serde(default)]
    plate: String,
    #[serde(default)]
    reporter_name: String,
    #[serde(default)]
    reporter_phone: String,
    /// Set when the staff member has seen the likely duplicates.
    #[serde(default)]
    confirm: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
}

async fn new_page(
    state: &AppState,
    tr: Tr,
    csrf: CsrfToken,
    user: &CurrentUser,
    form: NewForm,
    duplicates: Vec<Duplicate>,
    errors: Vec<String>,
) -> PageResult {
    let org = state.store.organisation(user.org_id()).await?;
    let rules = state.rules(&org.pack)?;
    let pair = |a: &str, zh: &str, en: &str| (a.to_string(), tr.pick(zh, en).to_string());
    let kinds = tr.choices(CaseKind::ALL);
    let channels = tr.choices(Channel::ALL);
    let categories =
        rules.pack.cases.categories.iter().map(|k| pair(&k.code, &k.title, &k.title_en)).collect();
    let tracks = rules.pack.cases.tracks.iter().map(|t| (t.code.clone(), t.title.clone())).collect();
    let points = state
        .store
        .service_points(org.id)
        .await?
        .into_iter()
        .map(|p| (p.id, format!("{} · {}", p.unit_name, p.name)))
        .collect();
    let status = if errors.is_empty() && duplicates.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    let c = Chrome::for_user(state, tr, csrf, user, "cases").await?;
    Ok(render_with(
        status,
        &NewPage {
            c,
            form,
            kinds,
            channels,
            categories,
            tracks,
            units: state.store.units(org.id).await?,
            points,
            duplicates,
            errors,
        },
    ))
}

async fn new_form(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
) -> PageResult {
    if !may_register(&user) {
        return Err(AppError::Forbidden.into());
    }
    let form = NewForm { kind: "complaint".into(), channel: "hotline".into(), ..Default::default() };
    new_page(&state, tr, csrf, &user, form, vec![], vec![]).await
}

async fn register(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    headers: HeaderMap,
    PageUser(user): PageUser,
    form: Result<Form<NewForm>, axum::extract::rejection::FormRejection>,
) -> PageResult {
    let Form(f) = form.map_err(|e| AppError::bad_request("bad_form", e.body_text()))?;
    csrf::check(&headers, &f.csrf)?;
    if !may_register(&user) {
        return Err(AppError::Forbidden.into());
    }
    let input = CaseInput {
        kind: Some(f.kind.clone()),
        channel: Some(f.channel.clone()),
        category: Some(f.category.clone()),
        track: Some(f.track.clone()),
        description: Some(f.description.clone()),
        unit_id: f.unit_id.parse().ok(),
        service_point_id: f.service_point_id.parse().ok(),
        subject_staff_id: None,
        plate: Some(f.plate.clone()),
        reporter_name: Some(f.reporter_name.clone()),
        reporter_phone: Some(f.reporter_phone.clone()),
        tracking_code: Some(true),
    };
    let mut nc = match parse_case(&input, Channel::Hotline) {
        Ok(nc) => nc,
        Err(AppError::Validation(errs)) => {
            let errors = errs.into_iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
            return new_page(&state, tr, csrf, &user, f, vec![], errors).await;
        }
        Err(e) => return Err(e.into()),
    };
    nc.registered_by = Some(user.0.id);
    let org = state.store.organisation(user.org_id()).await?;
    if f.confirm.is_empty() {
        let dups = duplicates_for(&state, &user, &org.pack, &nc, None).await?;
        if !dups.is_empty() {
            // Show them first; the staff member decides to merge later or register anyway.
            let form = NewForm { confirm: "1".into(), ..f };
            return new_page(&state, tr, csrf, &user, form, dups, vec![]).await;
        }
    }
    match state.register_case(&org, &nc, &user.actor()).await {
        // The tracking code is for the reporter: shown once, on this page,
        // and never put in a URL.
        Ok(r) => {
            let outcome = super::console_cases::Outcome { new_code: r.tracking_code, ..Default::default() };
            case_page(&state, tr, csrf, &user, r.id, outcome).await
        }
        Err(AppError::Validation(errs)) => {
            let errors = errs.into_iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
            new_page(&state, tr, csrf, &user, f, vec![], errors).await
        }
        Err(e) => Err(e.into()),
    }
}
