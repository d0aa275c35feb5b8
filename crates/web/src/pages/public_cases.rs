//! The public side of cases: the feedback form reached from a service
//! point's QR code (or the organisation's page), and tracking with number +
//! code, where the reporter gives the callback rating. Mobile-first, no
//! JavaScript, every post protected by the CSRF token.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use axum::routing::get;
use chuangkou_domain::cases::{CaseKind, Channel, Command, Satisfaction, State as CaseState};
use chuangkou_store::cases::{MAX_CASE_PHOTOS, NewCase, PublicView};
use chuangkou_store::org::{Organisation, ServicePoint};
use serde::Deserialize;

use super::public::point_of;
use super::{Chrome, PageError, PageResult, render, render_with};
use crate::AppState;
use crate::api::cases::{CaseInput, parse_case, tracking_error};
use crate::csrf::CsrfForm;
use crate::csrf::CsrfToken;
use crate::error::AppError;
use crate::extract::ClientAddr;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/p/{token}/feedback",
            get(point_form).post(point_submit).layer(axum::extract::DefaultBodyLimit::max(FEEDBACK_LIMIT)),
        )
        .route(
            "/o/{code}/feedback",
            get(org_form).post(org_submit).layer(axum::extract::DefaultBodyLimit::max(FEEDBACK_LIMIT)),
        )
        .route("/track", get(track_form).post(track))
}

pub struct Choice {
    pub value: String,
    pub label: String,
}

#[derive(Template)]
#[template(path = "public_feedback.html")]
struct FeedbackPage {
    c: Chrome,
    org: Organisation,
    point: Option<ServicePoint>,
    action: String,
    kinds: Vec<Choice>,
    categories: Vec<Choice>,
    form: FeedbackForm,
    errors: Vec<String>,
}

#[derive(Template)]
#[template(path = "public_received.html")]
struct ReceivedPage {
    c: Chrome,
    org: Organisation,
    number: String,
    code: Option<String>,
}

#[derive(Deserialize, Default, Clone)]
pub struct FeedbackForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    category: String,
    #[serde(default)]
    description: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    plate: String,
    /// A one-time token of this copy of the form: a second submission of
    /// the same copy (a double tap, a reload) registers nothing more.
    #[serde(default)]
    once: String,
}

fn choices(state: &AppState, org: &Organisation, tr: Tr) -> Result<(Vec<Choice>, Vec<Choice>), AppError> {
    let rules = state.rules(&org.pack)?;
    let kinds = CaseKind::ALL
        .iter()
        .map(|k| Choice { value: k.as_str().into(), label: tr.label(k).into() })
        .collect();
    let categories = rules
        .pack
        .cases
        .categories
        .iter()
        // Complaints about leaders are offered too: they go to the
        // discipline body alone (SPEC CASE-11).
        .map(|c| Choice { value: c.code.clone(), label: tr.pick(&c.title, &c.title_en).into() })
        .collect();
    Ok((kinds, categories))
}

/// Where a feedback form belongs: the organisation, the service point if
/// it came from a QR code, and the address it posts to.
struct Target {
    org: Organisation,
    point: Option<ServicePoint>,
    action: String,
}

fn form_page(
    state: &AppState,
    tr: Tr,
    csrf: CsrfToken,
    t: Target,
    form: FeedbackForm,
    errors: Vec<String>,
) -> PageResult {
    let Target { org, point, action } = t;
    let (kinds, categories) = choices(state, &org, tr)?;
    // A fresh copy of the form gets its own one-time token; a copy sent
    // back with errors keeps it.
    let form = if form.once.is_empty() {
        FeedbackForm { once: chuangkou_store::random_token(16), ..form }
    } else {
        form
    };
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(render_with(
        status,
        &FeedbackPage { c: Chrome::public(tr, csrf), org, point, action, kinds, categories, form, errors },
    ))
}

async fn point_form(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    Path(token): Path<String>,
) -> PageResult {
    let (point, org) = point_of(&state, &token).await?;
    let form = FeedbackForm { kind: "complaint".into(), ..Default::default() };
    form_page(
        &state,
        tr,
        csrf,
        Target { org, point: Some(point), action: format!("/p/{token}/feedback") },
        form,
        vec![],
    )
}

async fn org_form(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    Path(code): Path<String>,
) -> PageResult {
    let org = state.store.organisation_by_code(&code).await?;
    let form = FeedbackForm { kind: "complaint".into(), ..Default::default() };
    form_page(
        &state,
        tr,
        csrf,
        Target { org, point: None, action: format!("/o/{code}/feedback") },
        form,
        vec![],
    )
}

/// The feedback form as posted, its CSRF token checked: a multipart form
/// with up to three photos from the page, or an urlencoded one without
/// photos from other clients.
struct Posted {
    form: FeedbackForm,
    photos: Vec<Vec<u8>>,
}

impl<S: Send + Sync> axum::extract::FromRequest<S> for Posted {
    type Rejection = PageError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        if !super::is_multipart(req.headers()) {
            let CsrfForm(form) = CsrfForm::<FeedbackForm>::from_request(req, state).await?;
            return Ok(Posted { form, photos: vec![] });
        }
        let headers = req.headers().clone();
        let parts = axum::extract::Multipart::from_request(req, state)
            .await
            .map_err(|e| AppError::bad_request("bad_form", e.body_text()))?;
        let up = super::Upload::read_form(&headers, parts).await?;
        let raw = |k: &str| up.fields.get(k).cloned().unwrap_or_default();
        let form = FeedbackForm {
            kind: raw("kind"),
            category: raw("category"),
            description: raw("description"),
            name: raw("name"),
            phone: raw("phone"),
            plate: raw("plate"),
            once: raw("once"),
        };
        let photos = up.files.into_iter().filter(|f| f.0 == "photos").map(|f| f.2).collect();
        Ok(Posted { form, photos })
    }
}

/// Three photos and the form's text fit.
const FEEDBACK_LIMIT: usize = MAX_CASE_PHOTOS * crate::photos::MAX_PHOTO_BYTES + 64 * 1024;

async fn point_submit(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    headers: HeaderMap,
    ClientAddr(addr): ClientAddr,
    Path(token): Path<String>,
    form: Posted,
) -> PageResult {
    let (point, org) = point_of(&state, &token).await?;
    let action = format!("/p/{token}/feedback");
    submit(&state, tr, csrf, &headers, &addr, Target { org, point: Some(point), action }, form).await
}

async fn org_submit(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    headers: HeaderMap,
    ClientAddr(addr): ClientAddr,
    Path(code): Path<String>,
    form: Posted,
) -> PageResult {
    let org = state.store.organisation_by_code(&code).await?;
    submit(
        &state,
        tr,
        csrf,
        &headers,
        &addr,
        Target { org, point: None, action: format!("/o/{code}/feedback") },
        form,
    )
    .await
}

async fn submit(
    state: &AppState,
    tr: Tr,
    csrf: CsrfToken,
    _headers: &HeaderMap,
    addr: &str,
    t: Target,
    posted: Posted,
) -> PageResult {
    let Posted { form: f, photos } = posted;
    // Per network address and per service point (or organisation), each hour.
    let cases = &state.rules(&t.org.pack)?.pack.cases;
    // Counted in the database, so that the limits hold across instances.
    let place =
        t.point.as_ref().map_or(format!("feedback-org:{}", t.org.id), |p| format!("feedback-point:{}", p.id));
    let keys = vec![
        (state.store.limit_key("feedback-address", addr), cases.feedback_per_address_per_hour),
        (place, cases.feedback_per_point_per_hour),
    ];
    if state.store.take_attempt(&keys).await?.is_some() {
        return Err(AppError::TooManyRequests(
            "提交太频繁，请稍后再试；紧急情况请拨打监督电话 / too many submissions, please try again later or call the hotline"
                .into(),
        )
        .into());
    }
    // Photos are checked (and re-encoded, dropping their metadata) before
    // anything is written; a refused one sends the form back.
    if photos.len() > MAX_CASE_PHOTOS {
        let why = tr.f1("fb.too_many_photos", MAX_CASE_PHOTOS);
        return form_page(state, tr, csrf, t, f, vec![why]);
    }
    let mut checked = Vec::with_capacity(photos.len());
    for bytes in photos {
        match crate::photos::process(bytes).await {
            Ok(p) => checked.push(p),
            Err(AppError::Internal(e)) => return Err(AppError::Internal(e).into()),
            Err(e) => {
                let why = format!("{}{}{}", tr.t("fb.photos"), tr.colon(), tr.msg(&e.message()));
                return form_page(state, tr, csrf, t, f, vec![why]);
            }
        }
    }
    let input = CaseInput {
        kind: Some(f.kind.clone()),
        category: Some(f.category.clone()),
        description: Some(f.description.clone()),
        service_point_id: t.point.as_ref().map(|p| p.id),
        plate: t.point.as_ref().and_then(|p| p.plate.clone()).or_else(|| Some(f.plate.clone())),
        reporter_name: Some(f.name.clone()),
        reporter_phone: Some(f.phone.clone()),
        ..Default::default()
    };
    // The form's one-time token: a second submission of the same copy
    // answers with the case the first one registered.
    let once = (!f.once.is_empty()).then(|| f.once.clone());
    if let Some(token) = &once {
        let fingerprint = format!("{}\u{0}{}", t.action, f.description);
        match state.store.claim_idempotency(t.org.id, "form", token, fingerprint.as_bytes()).await? {
            chuangkou_store::idempotency::Claim::New => {}
            chuangkou_store::idempotency::Claim::Replay { body, .. } => {
                return Ok(render(&ReceivedPage {
                    c: Chrome::public(tr, csrf),
                    org: t.org,
                    number: body,
                    code: None,
                }));
            }
            _ => {
                return Err(AppError::Conflict(
                    "这份表单已经提交过 / this form has already been submitted".into(),
                )
                .into());
            }
        }
    }
    // Checked, then registered; a field the checks refuse goes back to the
    // form with the reason, anything else is an error page.
    let registered = match parse_case(&input, Channel::Web) {
        Ok(nc) => state.register_case(&t.org, &NewCase { photos: checked, ..nc }, "public").await,
        Err(e) => Err(e),
    };
    if let Some(token) = &once {
        // Only a registered case is kept for the token (its number, never
        // the tracking code); a refused form may be corrected and sent again.
        match &registered {
            Ok(r) => state.store.finish_idempotency(t.org.id, "form", token, 201, &r.number).await?,
            Err(_) => state.store.release_idempotency(t.org.id, "form", token).await?,
        }
    }
    let r = match registered {
        Ok(r) => r,
        Err(AppError::Validation(errs)) => {
            let errors = errs
                .into_iter()
                .map(|e| format!("{}{}{}", field_label(&e.field, tr), tr.colon(), tr.msg(&e.message)))
                .collect();
            return form_page(state, tr, csrf, t, f, errors);
        }
        Err(e) => return Err(e.into()),
    };
    // Shown only now that the case is committed, and only this once.
    Ok(render(&ReceivedPage {
        c: Chrome::public(tr, csrf),
        org: t.org,
        number: r.number,
        code: r.tracking_code,
    }))
}

fn field_label(field: &str, tr: Tr) -> &'static str {
    match field {
        "description" => tr.pick("内容", "Details"),
        "reporter_phone" => tr.pick("电话", "Phone"),
        "reporter_name" => tr.pick("姓名", "Name"),
        "plate" => tr.pick("车牌号", "Plate"),
        "category" => tr.pick("类别", "Category"),
        "kind" => tr.pick("类型", "Kind"),
        _ => tr.pick("输入", "Input"),
    }
}

// ---- tracking ----

#[derive(Template)]
#[template(path = "track.html")]
struct TrackPage {
    c: Chrome,
    number: String,
    code: String,
    error: Option<String>,
    view: Option<TrackView>,
}

pub struct TrackStep {
    pub at: String,
    pub label: String,
    pub detail: Option<String>,
}

pub struct TrackView {
    pub state_label: String,
    pub kind_label: String,
    pub registered: String,
    pub due: String,
    pub reply: Option<String>,
    pub master_number: Option<String>,
    pub steps: Vec<TrackStep>,
    pub can_call_back: bool,
    pub can_withdraw: bool,
    pub can_undo_withdrawal: bool,
    pub satisfaction: Option<String>,
}

fn step_label(kind: &str, tr: Tr) -> String {
    let (zh, en) = match kind {
        "case.registered" => ("已受理", "Registered"),
        "case.investigation_started" => ("开始调查", "Investigation started"),
        "case.concluded" => ("调查完毕", "Investigated"),
        "case.replied" => ("已答复", "Replied"),
        "case.called_back" => ("已回访", "Callback recorded"),
        "case.reopened" => ("重新办理", "Reopened"),
        "case.closed" => ("已办结", "Closed"),
        "case.withdrawn" => ("已撤回", "Withdrawn"),
        "case.reinstated" => ("撤销撤回，恢复办理", "Withdrawal undone: handling resumes"),
        "case.merged" => ("与同一事件合并办理", "Merged with the same matter"),
        "case.extension_approved" => ("经批准延期办理", "Extended with approval"),
        _ => ("处理中", "In progress"),
    };
    tr.pick(zh, en).to_string()
}

fn view(v: PublicView, tr: Tr) -> TrackView {
    let time = |ms: i64| super::console::format_time(ms);
    let state = CaseState::parse(&v.state).unwrap_or(CaseState::Registered);
    TrackView {
        state_label: tr.label(state).into(),
        kind_label: CaseKind::parse(&v.kind).map_or(v.kind.clone(), |k| tr.label(k).into()),
        registered: time(v.registered_at),
        due: time(v.handle_due),
        reply: v.reply,
        master_number: v.master_number,
        steps: v
            .timeline
            .into_iter()
            .map(|s| TrackStep {
                at: time(s.at),
                label: step_label(&s.kind, tr),
                detail: if s.kind == "case.extension_approved" {
                    s.detail
                        .and_then(|d| d.parse().ok())
                        .map(|ms| format!("{} {}", tr.pick("新的办结期限", "New deadline"), time(ms)))
                } else {
                    s.detail
                },
            })
            .collect(),
        can_call_back: v.can_call_back,
        can_withdraw: v.can_withdraw,
        can_undo_withdrawal: v.can_undo_withdrawal,
        satisfaction: v.satisfaction.map(|s| tr.label(s).into()),
    }
}

async fn track_form(tr: Tr, csrf: CsrfToken) -> Response {
    render(&TrackPage {
        c: Chrome::public(tr, csrf),
        number: String::new(),
        code: String::new(),
        error: None,
        view: None,
    })
}

#[derive(Deserialize)]
pub struct TrackForm {
    #[serde(default)]
    number: String,
    #[serde(default)]
    code: String,
    #[serde(default)]
    action: String,
    #[serde(default)]
    confirm: String,
}

async fn track(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    ClientAddr(client): ClientAddr,
    CsrfForm(f): CsrfForm<TrackForm>,
) -> PageResult {
    let store = &state.store;
    let result = match f.action.as_str() {
        "" => store.track(&f.number, &f.code, &client).await,
        // Withdrawing is confirmed with a tick (it can be undone for a day);
        // without it the page comes back saying so, and nothing changes.
        "withdraw" if f.confirm != "1" => match store.track(&f.number, &f.code, &client).await {
            Ok(v) => {
                let page = TrackPage {
                    c: Chrome::public(tr, csrf.clone()),
                    number: f.number.clone(),
                    code: f.code.clone(),
                    error: Some(tr.t("track.confirm_withdraw").to_string()),
                    view: Some(view(v, tr)),
                };
                return Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page));
            }
            Err(e) => Err(e),
        },
        "withdraw" => {
            store.reporter_acts(&f.number, &f.code, &client, Command::Withdraw, &state.policies).await
        }
        "undo_withdrawal" => {
            store.reporter_acts(&f.number, &f.code, &client, Command::UndoWithdrawal, &state.policies).await
        }
        s => match Satisfaction::parse(s) {
            Some(sat) => {
                store
                    .reporter_acts(&f.number, &f.code, &client, Command::Callback(sat), &state.policies)
                    .await
            }
            None => return Err(AppError::bad_request("bad_form", "unknown action").into()),
        },
    };
    let page = |status, error: Option<String>, v: Option<TrackView>| {
        render_with(
            status,
            &TrackPage {
                c: Chrome::public(tr, csrf.clone()),
                number: f.number.clone(),
                code: f.code.clone(),
                error,
                view: v,
            },
        )
    };
    Ok(match result {
        Ok(v) => page(StatusCode::OK, None, Some(view(v, tr))),
        Err(e) => {
            let e = tracking_error(e);
            let (status, msg) = match &e {
                AppError::NotFound => (
                    StatusCode::NOT_FOUND,
                    tr.pick("编号或查询码不正确", "The number or code is not right").to_string(),
                ),
                AppError::Internal(_) => return Err(e.into()),
                other => (other.status(), tr.msg(&other.message())),
            };
            page(status, Some(msg), None)
        }
    })
}
