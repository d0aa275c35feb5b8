//! Public pages: an organisation's landing page and the page a service
//! point's QR code opens. No sign-in, nothing personal, nothing internal.

use std::collections::BTreeMap;

use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use chuangkou_domain::org::{ServicePointKind, UnitKind};
use chuangkou_domain::satisfaction::{Audience, Level, Question};
use chuangkou_store::org::{Organisation, ServicePoint};
use chuangkou_store::ratings::RatingInput;
use chuangkou_store::surveys::{Origin, Questionnaire};
use serde::Deserialize;

use super::public_cases::Choice;
use super::{Chrome, PageError, PageResult, render, render_with};
use crate::AppState;
use crate::api::satisfaction::day_number;
use crate::cookies::{cookie, set_cookie};
use crate::csrf::{self, CsrfToken};
use crate::error::AppError;
use crate::extract::ClientAddr;
use crate::i18n::Tr;
use crate::satisfaction::{DEVICE_COOKIE, device_of};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/o/{code}", get(organisation))
        .route("/p/{token}", get(point))
        .route("/p/{token}/rate", post(rate))
        .route("/q/{token}", get(survey).post(answer_survey))
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
    levels: Vec<Choice>,
    tags: Vec<Choice>,
    staff_no: Option<String>,
    chosen: String,
    errors: Vec<String>,
}

#[derive(Deserialize, Default)]
struct PointQuery {
    /// A badge's QR names the person who serves.
    staff: Option<String>,
}

/// The QR page: rate in two taps (a level, then submit), or complain.
async fn point(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(q): Query<PointQuery>,
) -> PageResult {
    let found = state.points.get(&state, &token).await?;
    let staff_no = q.staff.filter(|s| chuangkou_domain::text::code("staff", s).is_ok());
    let page = point_page(&state, tr, csrf, &found, staff_no, String::new(), vec![])?;
    Ok(with_device_cookie(&state, &headers, render(&page)))
}

fn point_page(
    state: &AppState,
    tr: Tr,
    csrf: CsrfToken,
    found: &(ServicePoint, Organisation),
    staff_no: Option<String>,
    chosen: String,
    errors: Vec<String>,
) -> Result<PointPage, PageError> {
    let (point, org) = found.clone();
    let rules = state.rules(&org.pack)?;
    let kind_label =
        ServicePointKind::parse(&point.kind).map_or(point.kind.clone(), |k| tr.label(k).to_string());
    let levels =
        Level::ALL.iter().map(|l| Choice { value: l.as_str().into(), label: tr.label(l).into() }).collect();
    let tags = rules
        .pack
        .satisfaction
        .tags
        .iter()
        .map(|t| Choice { value: t.code.clone(), label: tr.pick(&t.title, &t.title_en).into() })
        .collect();
    Ok(PointPage {
        c: Chrome::public(tr, csrf),
        org,
        point,
        kind_label,
        levels,
        tags,
        staff_no,
        chosen,
        errors,
    })
}

/// Gives a browser without one a random device cookie for a year: it is
/// what "the same device" means for replacing and limiting ratings.
fn with_device_cookie(state: &AppState, headers: &HeaderMap, mut res: Response) -> Response {
    if cookie(headers, DEVICE_COOKIE).is_none()
        && let Ok(v) = HeaderValue::from_str(&set_cookie(
            DEVICE_COOKIE,
            &chuangkou_store::random_token(16),
            60 * 60 * 24 * 365,
            state.config.secure_cookies,
        ))
    {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Template)]
#[template(path = "public_rated.html")]
struct RatedPage {
    c: Chrome,
    org_name: String,
    replaced: bool,
    number: Option<String>,
    code: Option<String>,
    point_token: Option<String>,
}

/// Reads a form body with repeated fields (tags).
pub(super) fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body).into_owned().collect()
}

fn field(fields: &[(String, String)], name: &str) -> Option<String> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

async fn rate(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    headers: HeaderMap,
    ClientAddr(addr): ClientAddr,
    Path(token): Path<String>,
    body: Bytes,
) -> PageResult {
    let found = state.points.get(&state, &token).await?;
    let fields = form_fields(&body);
    csrf::check(&headers, &field(&fields, "_csrf").unwrap_or_default())?;
    let input = RatingInput {
        level: field(&fields, "level").unwrap_or_default(),
        tags: fields.iter().filter(|(k, _)| k == "tags").map(|(_, v)| v.clone()).collect(),
        comment: field(&fields, "comment"),
        staff_no: field(&fields, "staff_no").filter(|s| !s.is_empty()),
        phone: field(&fields, "phone"),
        device: device_of(&headers, None, &addr),
    };
    let staff_no = input.staff_no.clone();
    let chosen = input.level.clone();
    match state.rate(&token, input, &addr).await {
        Ok((ack, found)) => Ok(render(&RatedPage {
            c: Chrome::public(tr, csrf),
            org_name: found.1.name.clone(),
            replaced: ack.replaced.is_some(),
            number: ack.case.as_ref().map(|c| c.number.clone()),
            code: ack.case.and_then(|c| c.tracking_code),
            point_token: Some(token),
        })),
        Err(AppError::Validation(errs)) => {
            let page = point_page(
                &state,
                tr,
                csrf,
                &found,
                staff_no,
                chosen,
                errs.into_iter().map(|e| e.message).collect(),
            )?;
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(AppError::TooManyRequests(m)) => {
            let page = point_page(&state, tr, csrf, &found, staff_no, chosen, vec![m])?;
            Ok(render_with(StatusCode::TOO_MANY_REQUESTS, &page))
        }
        Err(e) => Err(e.into()),
    }
}

// ---- public questionnaires (SAT-2) ----

pub struct QuestionView {
    pub index: usize,
    pub kind: &'static str,
    pub text: String,
    pub dimension: Option<String>,
    pub options: Vec<String>,
}

#[derive(Template)]
#[template(path = "survey_form.html")]
pub(super) struct SurveyPage {
    pub c: Chrome,
    pub title: String,
    pub anonymous: bool,
    pub action: String,
    pub questions: Vec<QuestionView>,
    pub levels: Vec<Choice>,
    pub errors: Vec<String>,
}

impl SurveyPage {
    pub fn new(c: Chrome, q: &Questionnaire, action: String, errors: Vec<String>) -> Self {
        let tr = c.tr;
        let questions = q
            .questions
            .iter()
            .enumerate()
            .map(|(index, q)| match q {
                Question::Scale { text, dimension } => QuestionView {
                    index,
                    kind: "scale",
                    text: text.clone(),
                    dimension: Some(tr.label(dimension).to_string()),
                    options: vec![],
                },
                Question::Choice { text, options } => QuestionView {
                    index,
                    kind: "choice",
                    text: text.clone(),
                    dimension: None,
                    options: options.clone(),
                },
                Question::Text { text } => {
                    QuestionView { index, kind: "text", text: text.clone(), dimension: None, options: vec![] }
                }
            })
            .collect();
        let levels = Level::ALL
            .iter()
            .map(|l| Choice { value: l.as_str().into(), label: tr.label(l).into() })
            .collect();
        SurveyPage {
            c,
            title: q.title.clone(),
            anonymous: q.audience == Audience::Staff,
            action,
            questions,
            levels,
            errors,
        }
    }
}

/// Answers from a survey form: `q_<n>` fields by question position.
pub(super) fn survey_answers(fields: &[(String, String)]) -> BTreeMap<usize, String> {
    fields
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("q_").and_then(|n| n.parse().ok()).map(|n| (n, v.clone())))
        .collect()
}

#[derive(Deserialize, Default)]
struct SurveyQuery {
    /// The service point's token, when the survey was reached from its QR page.
    p: Option<String>,
}

async fn public_survey(state: &AppState, token: &str) -> Result<Questionnaire, PageError> {
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound.into());
    }
    let q = state.store.questionnaire_by_token(token).await?;
    if q.audience != Audience::Public {
        return Err(AppError::NotFound.into());
    }
    Ok(q)
}

async fn survey(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    Path(token): Path<String>,
    Query(sq): Query<SurveyQuery>,
) -> PageResult {
    let q = public_survey(&state, &token).await?;
    let action = match sq.p.filter(|p| p.len() == 32 && p.bytes().all(|b| b.is_ascii_hexdigit())) {
        Some(p) => format!("/q/{token}?p={p}"),
        None => format!("/q/{token}"),
    };
    Ok(render(&SurveyPage::new(Chrome::public(tr, csrf), &q, action, vec![])))
}

async fn answer_survey(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    headers: HeaderMap,
    Path(token): Path<String>,
    Query(sq): Query<SurveyQuery>,
    body: Bytes,
) -> PageResult {
    let q = public_survey(&state, &token).await?;
    let fields = form_fields(&body);
    csrf::check(&headers, &field(&fields, "_csrf").unwrap_or_default())?;
    let point = match sq.p.as_deref() {
        Some(p) => Some(state.points.get(&state, p).await?),
        None => None,
    };
    let origin =
        Origin { unit_id: point.as_ref().map(|f| f.0.unit_id), point_id: point.as_ref().map(|f| f.0.id) };
    let org = state.store.organisation(q.org_id).await?;
    let today = state.rules(&org.pack)?.calendar.local_date(state.store.now_ms());
    match state
        .store
        .answer_questionnaire(&q, None, origin, &survey_answers(&fields), day_number(today))
        .await
    {
        Ok(()) => Ok(render(&RatedPage {
            c: Chrome::public(tr, csrf),
            org_name: org.name,
            replaced: false,
            number: None,
            code: None,
            point_token: point.map(|f| f.0.public_token.clone()),
        })),
        Err(chuangkou_store::StoreError::Invalid(errs)) => {
            let action = match &sq.p {
                Some(p) => format!("/q/{token}?p={p}"),
                None => format!("/q/{token}"),
            };
            let page = SurveyPage::new(
                Chrome::public(tr, csrf),
                &q,
                action,
                errs.into_iter().map(|e| e.message).collect(),
            );
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
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
