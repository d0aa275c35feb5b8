//! Registering a case at the desk: the form, likely duplicates shown before
//! anything is written, then the new case's page with its tracking code.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chuangkou_domain::CaseId;
use chuangkou_domain::cases::{CaseKind, Channel};
use chuangkou_store::cases::Duplicate;
use chuangkou_store::org::Unit;
use serde::Deserialize;

use super::{Chrome, PageResult, render_with};
use crate::AppState;
use crate::api::cases::{CaseInput, duplicates_for, parse_case};
use crate::auth::{CurrentUser, PageUser};
use crate::cases_access::may_register;
use crate::csrf::CsrfForm;
use crate::csrf::CsrfToken;
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
    guides: Vec<(String, String)>,
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
    /// The matter (a service guide) it is registered for: its time limit.
    #[serde(default)]
    guide: String,
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
    let crate::OrgRules { org, rules } = state.org_rules(user).await?;
    let pair = |a: &str, zh: &str, en: &str| (a.to_string(), tr.pick(zh, en).to_string());
    let kinds = tr.choices(CaseKind::ALL);
    let channels = tr.choices(Channel::ALL);
    let categories =
        rules.pack.cases.categories.iter().map(|k| pair(&k.code, &k.title, &k.title_en)).collect();
    let tracks = rules.pack.cases.tracks.iter().map(|t| (t.code.clone(), t.title.clone())).collect();
    let guides = state.store.guides(org.id, None).await?.into_iter().map(|g| (g.code, g.title)).collect();
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
            guides,
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
    PageUser(user): PageUser,
    CsrfForm(f): CsrfForm<NewForm>,
) -> PageResult {
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
        guide: Some(f.guide.clone()),
    };
    let mut nc = match parse_case(&input, Channel::Hotline) {
        Ok(nc) => nc,
        Err(AppError::Validation(errs)) => {
            let errors = errs.into_iter().map(|e| format!("{}: {}", e.field, tr.msg(&e.message))).collect();
            return new_page(&state, tr, csrf, &user, f, vec![], errors).await;
        }
        Err(e) => return Err(e.into()),
    };
    nc.registered_by = Some(user.0.id);
    match crate::api::cases::apply_guide(&state, &user, Some(&f.guide), &mut nc).await {
        Ok(()) => {}
        Err(AppError::Validation(errs)) => {
            let errors = errs.into_iter().map(|e| tr.msg(&e.message)).collect();
            return new_page(&state, tr, csrf, &user, f, vec![], errors).await;
        }
        Err(e) => return Err(e.into()),
    }
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
        // The codes are for the reporter: shown once, on the case's page,
        // and never put in a URL. The page is reached by a redirect, so a
        // reload never registers the case again.
        Ok(r) => Ok(codes_then_case(&state, r.id, r.tracking_code, r.spoken_code)),
        Err(AppError::Validation(errs)) => {
            let errors = errs.into_iter().map(|e| format!("{}: {}", e.field, tr.msg(&e.message))).collect();
            new_page(&state, tr, csrf, &user, f, vec![], errors).await
        }
        Err(e) => Err(e.into()),
    }
}

/// The cookie that carries a new case's codes to its page, once.
const CODES_COOKIE: &str = "ck_codes";

fn codes_path(id: CaseId) -> String {
    format!("/console/cases/{id}")
}

/// A redirect to the new case's page with its codes sealed (encrypted with
/// the installation's key) in a cookie only that page receives, for five
/// minutes at most.
fn codes_then_case(state: &AppState, id: CaseId, code: Option<String>, spoken: Option<String>) -> Response {
    let sealed = state.store.encrypt(&serde_json::json!([id, code, spoken]).to_string());
    let value = hex::encode(sealed);
    let cookie = codes_cookie(state, id, &value, 300);
    let mut res =
        axum::response::Redirect::to(&format!("{}?done=registered", codes_path(id))).into_response();
    if let Ok(v) = axum::http::HeaderValue::from_str(&cookie) {
        res.headers_mut().append(axum::http::header::SET_COOKIE, v);
    }
    res
}

fn codes_cookie(state: &AppState, id: CaseId, value: &str, max_age_s: i64) -> String {
    format!(
        "{CODES_COOKIE}={value}; Path={}; HttpOnly; SameSite=Strict; Max-Age={max_age_s}{}",
        codes_path(id),
        if state.config.secure_cookies { "; Secure" } else { "" }
    )
}

/// The codes of case `id` when its registration just sealed them for this
/// browser: the tracking code and the spoken code.
pub(super) fn take_codes(
    state: &AppState,
    headers: &axum::http::HeaderMap,
    id: CaseId,
) -> Option<(Option<String>, Option<String>)> {
    let value = crate::cookies::cookie(headers, CODES_COOKIE)?;
    let sealed = hex::decode(value).ok()?;
    let plain = state.store.decrypt(&sealed).ok()?;
    let (case, code, spoken): (CaseId, Option<String>, Option<String>) = serde_json::from_str(&plain).ok()?;
    (case == id).then_some((code, spoken))
}

/// The case page, with the codes' cookie cleared: they are shown once.
pub(super) fn clear_codes(state: &AppState, id: CaseId, mut page: Response) -> Response {
    if let Ok(v) = axum::http::HeaderValue::from_str(&codes_cookie(state, id, "", 0)) {
        page.headers_mut().append(axum::http::header::SET_COOKIE, v);
    }
    page
}
