//! Public pages: an organisation's landing page and the page a service
//! point's QR code opens. No sign-in, nothing personal, nothing internal.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::Response;
use axum::routing::{get, post};
use chuangkou_domain::org::{ServicePointKind, UnitKind};
use chuangkou_domain::satisfaction::Level;
use chuangkou_store::org::{Organisation, ServicePoint, Staff};
use chuangkou_store::ratings::RatingInput;
use serde::Deserialize;

use super::public_cases::Choice;
use super::{Chrome, PageError, PageResult, render, render_with};
use crate::AppState;
use crate::cookies::{cookie, set_cookie};
use crate::csrf::CsrfForm;
use crate::csrf::CsrfToken;
use crate::error::AppError;
use crate::extract::ClientAddr;
use crate::i18n::Tr;
use crate::satisfaction::{DEVICE_COOKIE, device_of};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/o/{code}", get(organisation))
        .route("/o/{code}/notices.rss", get(notices_rss))
        .route("/o/{code}/notices.atom", get(notices_atom))
        .route("/o/{code}/guides", get(guides_page))
        .route("/o/{code}/news", get(news_page))
        .route("/verify/{serial}", get(verify_page))
        .route("/o/{code}/guides/{guide}", get(guide_page))
        .route("/o/{code}/units/{unit}/sign.txt", get(sign_txt))
        .route("/p/{token}", get(point))
        .route("/p/{token}/rate", post(rate))
        .route("/q/{token}", get(super::public_surveys::survey).post(super::public_surveys::answer_survey))
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
    /// The notices valid now (PUB-2).
    notices: Vec<chuangkou_store::notices::NoticeRow>,
    /// The pack's published commitments and opening hours (PUB-4).
    promises: Promises,
    /// The convenience directory in use (PUB-1).
    directory: Vec<chuangkou_store::directory::DirectoryRow>,
    /// The sector's regulator (name, hotline), from the pack.
    regulator: Option<(String, String)>,
    on_duty: Vec<OnDuty>,
}

/// What the organisation publishes it will do (PUB-4): commitments as
/// (title, text) and opening hours as (kind of unit, hours), in the
/// page's language.
pub struct Promises {
    pub commitments: Vec<(String, String)>,
    pub hours: Vec<(String, String)>,
    /// Fee standards as (item, standard, basis).
    pub fees: Vec<(String, String, String)>,
}

/// Who is on duty now, as the public sees them (PUB-4, where the pack
/// publishes it): unit, duty, name, 工号.
pub struct OnDuty {
    pub unit: String,
    pub duty: String,
    pub name: String,
    pub staff_no: String,
}

/// The staff on duty now at `unit` (and the units above it), or at every
/// unit of the organisation; empty unless the pack publishes them.
async fn on_duty_now(
    state: &AppState,
    org: &Organisation,
    unit: Option<i64>,
    tr: Tr,
) -> Result<Vec<OnDuty>, AppError> {
    if !state.rules(&org.pack)?.pack.public.publish_on_duty {
        return Ok(vec![]);
    }
    let now = state.store.now_ms();
    let rows = match unit {
        Some(u) => state.store.on_duty(org.id, u, now).await?,
        None => state.store.shifts(org.id, None, now, now + 1).await?,
    };
    Ok(rows
        .into_iter()
        .map(|s| OnDuty {
            unit: s.unit_name,
            duty: chuangkou_domain::duty::DutyKind::parse(&s.kind)
                .map_or(s.kind.clone(), |k| tr.label(k).to_string()),
            name: s.staff_name,
            staff_no: s.staff_no,
        })
        .collect())
}

fn promises(p: &chuangkou_domain::policy::public::PublicPolicy, tr: Tr) -> Promises {
    Promises {
        commitments: p
            .commitments
            .iter()
            .map(|c| (tr.pick(&c.title, &c.title_en).to_string(), tr.pick(&c.text, &c.text_en).to_string()))
            .collect(),
        hours: p
            .hours
            .iter()
            .map(|h| {
                let kind =
                    UnitKind::parse(&h.unit_kind).map_or(h.unit_kind.clone(), |k| tr.label(k).to_string());
                (kind, h.words(tr.is_en()))
            })
            .collect(),
        fees: p
            .fees
            .iter()
            .map(|f| (tr.pick(&f.item, &f.item_en).to_string(), f.standard.clone(), f.basis.clone()))
            .collect(),
    }
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
    let notices = state.store.public_notices(org.id, None, state.store.now_ms()).await?;
    let rules = state.rules(&org.pack)?;
    let promises = promises(&rules.pack.public, tr);
    let regulator = rules.pack.regulator.as_ref().map(|r| (r.name.clone(), r.hotline.clone()));
    let directory = state.store.directory(org.id, None).await?;
    let on_duty = on_duty_now(&state, &org, None, tr).await?;
    Ok(render(&OrgPage {
        c: Chrome::public(tr, csrf),
        org,
        units,
        notices,
        promises,
        directory,
        regulator,
        on_duty,
    }))
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
    /// Whose service is rated when the QR code names a person (a badge's
    /// code): name and employee number, as 好差评 pages show them.
    server: Option<(String, String)>,
    /// A number in the link that names nobody serving now.
    unknown_staff: Option<String>,
    chosen: String,
    errors: Vec<String>,
    /// The sector's regulator (name, hotline), from the pack.
    regulator: Option<(String, String)>,
    /// The notices valid now for the point's unit (PUB-2); filled on the
    /// page's first view, not when a refused rating comes back.
    notices: Vec<chuangkou_store::notices::NoticeRow>,
    promises: Promises,
    directory: Vec<chuangkou_store::directory::DirectoryRow>,
    on_duty: Vec<OnDuty>,
    /// The point's facilities the public can use: kind, name, quantity.
    facilities: Vec<(String, String, i64)>,
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
    let server = server_of(&state, &found.1, staff_no.as_deref()).await?;
    let mut page = point_page(&state, tr, csrf, &found, staff_no, server, String::new(), vec![])?;
    page.notices =
        state.store.public_notices(found.1.id, Some(found.0.unit_id), state.store.now_ms()).await?;
    page.directory = state.store.directory(found.1.id, Some(found.0.unit_id)).await?;
    page.on_duty = on_duty_now(&state, &found.1, Some(found.0.unit_id), tr).await?;
    page.facilities = state
        .store
        .facilities(found.1.id, Some(found.0.id))
        .await?
        .into_iter()
        .filter(|f| chuangkou_domain::duty::Condition::parse(&f.condition).is_none_or(|c| c.usable()))
        .map(|f| {
            let kind = chuangkou_domain::duty::FacilityKind::parse(&f.kind)
                .map_or(f.kind.clone(), |k| tr.label(k).to_string());
            (kind, f.name, f.quantity)
        })
        .collect();
    Ok(with_device_cookie(&state, &headers, render(&page)))
}

/// The person a badge's number names, if they serve in the organisation now.
async fn server_of(
    state: &AppState,
    org: &Organisation,
    staff_no: Option<&str>,
) -> Result<Option<Staff>, AppError> {
    let Some(no) = staff_no else { return Ok(None) };
    let Some(id) = state.store.staff_id_by_number(org.id, no).await? else { return Ok(None) };
    let staff = state.store.staff(org.id, id).await?;
    Ok(staff.active.then_some(staff))
}

#[allow(clippy::too_many_arguments)]
fn point_page(
    state: &AppState,
    tr: Tr,
    csrf: CsrfToken,
    found: &(ServicePoint, Organisation),
    staff_no: Option<String>,
    server: Option<Staff>,
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
    let regulator = rules.pack.regulator.as_ref().map(|r| (r.name.clone(), r.hotline.clone()));
    Ok(PointPage {
        c: Chrome::public(tr, csrf),
        regulator,
        notices: vec![],
        directory: vec![],
        on_duty: vec![],
        facilities: vec![],
        promises: promises(&rules.pack.public, tr),
        org,
        point,
        kind_label,
        levels,
        tags,
        unknown_staff: staff_no.clone().filter(|_| server.is_none()),
        // A number that names nobody is not sent on: the rating counts for the point.
        staff_no: staff_no.filter(|_| server.is_some()),
        server: server.map(|s| (s.name, s.employee_no)),
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
pub(super) struct RatedPage {
    pub(super) c: Chrome,
    pub(super) org_name: String,
    pub(super) replaced: bool,
    pub(super) number: Option<String>,
    pub(super) code: Option<String>,
    pub(super) point_token: Option<String>,
}

/// Reads a form body with repeated fields (tags).
pub(super) fn field(fields: &[(String, String)], name: &str) -> Option<String> {
    fields.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
}

async fn rate(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    headers: HeaderMap,
    ClientAddr(addr): ClientAddr,
    Path(token): Path<String>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> PageResult {
    let found = state.points.get(&state, &token).await?;
    let input = RatingInput {
        level: field(&fields, "level").unwrap_or_default(),
        tags: fields.iter().filter(|(k, _)| k == "tags").map(|(_, v)| v.clone()).collect(),
        comment: field(&fields, "comment"),
        staff_no: field(&fields, "staff_no").filter(|s| !s.is_empty()),
        phone: field(&fields, "phone"),
        device: device_of(&headers, None, &addr),
        address: Some(addr),
    };
    let staff_no = input.staff_no.clone();
    let chosen = input.level.clone();
    let server = server_of(&state, &found.1, staff_no.as_deref()).await?;
    match state.rate(&token, input).await {
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
                server,
                chosen,
                errs.into_iter().map(|e| tr.msg(&e.message)).collect(),
            )?;
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(AppError::TooManyRequests(m)) => {
            let page = point_page(&state, tr, csrf, &found, staff_no, server, chosen, vec![m])?;
            Ok(render_with(StatusCode::TOO_MANY_REQUESTS, &page))
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

/// `GET /o/{ORG}/notices.rss`: the notices valid now as RSS 2.0, for a
/// news reader or a partner's site (PUB-2).
async fn notices_rss(State(state): State<AppState>, Path(code): Path<String>) -> Result<Response, AppError> {
    notices_feed(&state, &code, "application/rss+xml; charset=utf-8", crate::api::notices::rss).await
}

/// `GET /o/{ORG}/notices.atom`: the same as Atom (RFC 4287).
async fn notices_atom(State(state): State<AppState>, Path(code): Path<String>) -> Result<Response, AppError> {
    notices_feed(&state, &code, "application/atom+xml; charset=utf-8", crate::api::notices::atom).await
}

async fn notices_feed(
    state: &AppState,
    code: &str,
    content_type: &'static str,
    write: fn(&str, &str, &[chuangkou_store::notices::NoticeRow]) -> Vec<u8>,
) -> Result<Response, AppError> {
    let org = state.store.organisation_by_code(code).await?;
    let rows = crate::api::notices::current(state, code, None).await?;
    let base = state.config.public_url.trim_end_matches('/').to_string();
    let body = write(&org.name, &format!("{base}/o/{code}"), &rows);
    Ok(axum::response::IntoResponse::into_response((
        [(axum::http::header::CONTENT_TYPE, content_type)],
        body,
    )))
}

/// `GET /o/{ORG}/units/{UNIT}/sign.txt`: the plain text a unit's variable
/// message sign shows now (PUB-2): fixed line width, GB2312 only, newest
/// first; empty when nothing is valid.
async fn sign_txt(
    State(state): State<AppState>,
    Path((code, unit)): Path<(String, String)>,
) -> Result<Response, AppError> {
    let rows = crate::api::notices::current(&state, &code, Some(&unit)).await?;
    let org = state.store.organisation_by_code(&code).await?;
    let width = state.rules(&org.pack)?.pack.public.sign_width;
    Ok(crate::api::notices::text_response(crate::api::notices::sign_text(&rows, width)))
}

/// A directory entry's kind and distance in the page's language.
pub fn directory_kind(code: &str, tr: &Tr) -> String {
    chuangkou_domain::directory::DirectoryKind::parse(code)
        .map_or(code.to_string(), |k| tr.label(k).to_string())
}

#[derive(Template)]
#[template(path = "public_guides.html")]
struct GuidesPage {
    c: Chrome,
    org: Organisation,
    q: String,
    guides: Vec<chuangkou_store::guides::Guide>,
}

#[derive(Deserialize, Default)]
struct GuideSearch {
    #[serde(default)]
    q: String,
}

/// `GET /o/{ORG}/guides?q=`: the catalogue of matters, searchable by any
/// two characters of a title, a basis or a material (PUB-3).
async fn guides_page(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    Path(code): Path<String>,
    Query(s): Query<GuideSearch>,
) -> PageResult {
    let org = state.store.organisation_by_code(&code).await?;
    let guides = state.store.guides(org.id, Some(&s.q)).await?;
    Ok(render(&GuidesPage { c: Chrome::public(tr, csrf), org, q: s.q, guides }))
}

#[derive(Template)]
#[template(path = "public_guide.html")]
struct GuidePage {
    c: Chrome,
    org: Organisation,
    g: chuangkou_store::guides::Guide,
    /// The committed time limit, from the pack's track.
    limit: Option<String>,
}

/// `GET /o/{ORG}/guides/{CODE}`: one matter's guide, printable: basis,
/// time limit, procedure, every material, fees, where and when, and why
/// it may be refused (一次性告知).
async fn guide_page(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    Path((code, guide)): Path<(String, String)>,
) -> PageResult {
    let org = state.store.organisation_by_code(&code).await?;
    let g = state.store.guide(org.id, &guide).await?;
    let limit = g
        .track
        .as_deref()
        .and_then(|t| state.rules(&org.pack).ok()?.pack.cases.track(t).map(|t| t.title.clone()));
    Ok(render(&GuidePage { c: Chrome::public(tr, csrf), org, g, limit }))
}

#[derive(Template)]
#[template(path = "public_news.html")]
struct NewsPage {
    c: Chrome,
    org: Organisation,
    /// Published typical cases: (kind label, title, story with any long
    /// number masked, unit name, date).
    stories: Vec<(String, String, String, String, String)>,
    media: Vec<chuangkou_store::recognition::MediaRow>,
}

/// `GET /o/{ORG}/news`: the typical cases 典型案例 the office published and
/// the media's coverage (seed 004 七(四): 宣传专栏, 典型案例宣传). Only the
/// office's own words are shown — never a case number, a reporter or
/// anything else of the record they came from — and any long number in
/// them is masked as a phone is.
async fn news_page(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    Path(code): Path<String>,
) -> PageResult {
    use chuangkou_domain::recognition::TypicalKind;
    use chuangkou_domain::text::mask_numbers;
    let org = state.store.organisation_by_code(&code).await?;
    let units = state.store.units(org.id).await?;
    let stories = state
        .store
        .typical_cases(org.id, true)
        .await?
        .into_iter()
        .map(|t| {
            let kind = TypicalKind::parse(&t.kind).map_or(t.kind.clone(), |k| tr.label(k).to_string());
            let unit = t
                .unit_id
                .and_then(|u| units.iter().find(|x| x.id == u))
                .map(|u| u.name.clone())
                .unwrap_or_default();
            (kind, mask_numbers(&t.title), mask_numbers(&t.story), unit, t.happened_on)
        })
        .collect();
    let media = state.store.media_items(org.id).await?;
    Ok(render(&NewsPage { c: Chrome::public(tr, csrf), org, stories, media }))
}

#[derive(Template)]
#[template(path = "public_verify.html")]
struct VerifyPage {
    c: Chrome,
    found: Option<(String, chuangkou_store::recognition::CertificateRow, String)>,
    serial: String,
}

/// `GET /verify/{SERIAL}`: whether a certificate is genuine — who was
/// honoured, with what, by whom and when. Nothing else of the person.
async fn verify_page(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    Path(serial): Path<String>,
) -> PageResult {
    let found = match state.store.certificate_by_serial(serial.trim()).await {
        Ok((org_id, c)) => {
            let org = state.store.organisation(org_id).await?;
            let date = state.rules(&org.pack)?.calendar.local_date(c.issued_at).to_string();
            Some((org.name, c, date))
        }
        Err(_) => None,
    };
    let status = if found.is_some() { StatusCode::OK } else { StatusCode::NOT_FOUND };
    Ok(render_with(status, &VerifyPage { c: Chrome::public(tr, csrf), found, serial }))
}
