//! Training in the console (SPEC CMP-2, issue 20 point 3): everyone sees
//! their own record (sessions, hours, scores, qualifications); the office
//! plans, schedules sessions with a QR code to check in by, records
//! attendance (by 工号, or a sheet) and scores; a shift leader follows
//! their station's. `/checkin/{code}` is what the session's QR code opens
//! on a phone: it checks in the person signed in, and no one else.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chuangkou_domain::Permission;
use chuangkou_domain::training::{AttendanceWay, ExamKind};
use chuangkou_store::training::{
    AttendanceRow, ExamRow, PlanRow, QualificationRow, ResultRow, SessionRow, TrainingRecord,
};
use serde::Deserialize;

use super::console::format_time;
use super::{Chrome, PageResult, Upload, render_with};
use crate::AppState;
use crate::api::training::{
    self as api, ExamInput, PlanInput, QualificationInput, SessionInput, checkin_url,
};
use crate::auth::{CurrentUser, PageUser};
use crate::csrf::CsrfForm;
use crate::csrf::CsrfToken;
use crate::error::AppError;
use crate::i18n::Tr;
use crate::ledger_access::Reach;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/training", get(index).post(create))
        .route("/console/training/sessions/{id}", get(session).post(session_action))
        .route(
            "/console/training/sessions/{id}/import",
            post(import).layer(DefaultBodyLimit::max(crate::UPLOAD_LIMIT)),
        )
        .route("/console/training/sessions/{id}/qr.svg", get(qr))
        .route("/console/training/exams/{id}", get(exam).post(exam_scores))
        .route("/checkin/{code}", get(checkin_page).post(checkin))
}

#[derive(Template)]
#[template(path = "training.html")]
struct TrainingPage {
    c: Chrome,
    mine: Option<TrainingRecord>,
    /// Whether the page shows the organisation's (or a station's) training.
    follows: bool,
    manages: bool,
    plans: Vec<(PlanRow, usize, usize, u32)>,
    sessions: Vec<SessionRow>,
    exams: Vec<ExamRow>,
    qualifications: Vec<QualificationRow>,
    units: Vec<(i64, String)>,
    staff: Vec<super::StaffGroup>,
    kinds: Vec<(String, String)>,
    known_qualifications: Vec<String>,
    warn_days: u32,
    error: Option<String>,
    done: Option<String>,
}

impl TrainingPage {
    fn when(&self, ms: &i64) -> String {
        format_time(*ms)
    }
    fn hours(&self, minutes: &i64) -> String {
        format!("{:.1}", *minutes as f64 / 60.0)
    }
    fn kind(&self, code: &str) -> String {
        ExamKind::parse(code).map_or(code.to_string(), |k| self.c.tr.label(k).to_string())
    }
    fn way(&self, code: &str) -> String {
        AttendanceWay::parse(code).map_or(code.to_string(), |k| self.c.tr.label(k).to_string())
    }
}

#[derive(Deserialize, Default)]
struct Done {
    #[serde(default)]
    done: Option<String>,
}

const DONE: [&str; 6] = ["plan", "session", "exam", "qualification", "checked_in", "closed"];

async fn render_index(
    state: &AppState,
    (tr, csrf): (Tr, CsrfToken),
    user: &CurrentUser,
    done: Option<String>,
    error: Option<String>,
) -> PageResult {
    let reach = api::reach(state, user).await?;
    let follows = !matches!(reach, Reach::Own(_));
    let crate::OrgRules { org, rules } = state.org_rules(user).await?;
    let policy = rules.pack.training.clone();
    let mine = match user.0.staff_id {
        Some(me) => Some(state.store.training_record(user.org_id(), me).await?),
        None => None,
    };
    let (mut plans, mut sessions, mut exams, mut qualifications, mut units) =
        (vec![], vec![], vec![], vec![], vec![]);
    if follows {
        for p in state.store.training_plans(user.org_id()).await?.into_iter().take(20) {
            let c: Vec<_> = state
                .store
                .plan_completion(user.org_id(), p.id)
                .await?
                .into_iter()
                .filter(|u| reach.sees_unit(u.unit_id))
                .collect();
            let (staff, done) = c.iter().fold((0, 0), |(s, d), u| (s + u.staff, d + u.completed));
            plans.push((p, staff, done, chuangkou_domain::training::percent(done, staff)));
        }
        let now = state.store.now_ms();
        sessions = state.store.training_sessions(user.org_id(), now - 92 * 86_400_000, i64::MAX).await?;
        exams = state.store.exams(user.org_id()).await?;
        let today = state.rules(&org.pack)?.calendar.local_date(now);
        let horizon =
            (today + chrono::Duration::days(i64::from(policy.qualification_warning_days))).to_string();
        qualifications = state
            .store
            .qualifications(user.org_id(), None)
            .await?
            .into_iter()
            .filter(|q| q.expires_on <= horizon && reach.sees_unit(q.unit_id))
            .collect();
        let names = chuangkou_store::org::full_names(&state.store.units(user.org_id()).await?);
        units = names.into_iter().collect();
        units.sort();
    }
    let manages = user.can(Permission::ManageTraining);
    let staff = if manages { super::staff_groups(state, user.org_id(), None).await? } else { vec![] };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = TrainingPage {
        mine,
        follows,
        manages,
        plans,
        sessions,
        exams,
        qualifications,
        units,
        staff,
        kinds: tr.choices(ExamKind::ALL),
        known_qualifications: policy.qualifications,
        warn_days: policy.qualification_warning_days,
        error,
        done: done.filter(|d| DONE.contains(&d.as_str())),
        c: Chrome::for_user(state, tr, csrf, user, "training").await?,
    };
    Ok(render_with(status, &page))
}

async fn index(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Query(q): Query<Done>,
) -> PageResult {
    render_index(&state, (tr, csrf), &user, q.done, None).await
}

use super::form_error as message;

/// The plan, session, exam and qualification forms, told apart by `form`.
async fn create(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    CsrfForm(f): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    user.require(Permission::ManageTraining)?;
    let num = |k: &str| get(k).parse::<i64>().ok();
    let result: Result<(String, i64), AppError> = match get("form").as_str() {
        "plan" => {
            let input = PlanInput {
                year: num("year").unwrap_or(0) as i32,
                month: num("month").map(|m| m as u32),
                title: get("title"),
                topics: get("topics"),
                unit_id: num("unit_id").unwrap_or(0),
                hours: num("hours").unwrap_or(0).clamp(0, 100_000) as u32,
            };
            match chuangkou_domain::training::check_plan(
                input.year,
                input.month,
                &input.title,
                &input.topics,
                input.hours,
            ) {
                Ok(p) => state
                    .store
                    .create_training_plan(user.org_id(), &user.0, input.unit_id, &p)
                    .await
                    .map(|id| ("plan".to_string(), id))
                    .map_err(AppError::from),
                Err(e) => Err(e.into()),
            }
        }
        "session" => {
            let input = SessionInput {
                plan_id: num("plan_id"),
                unit_id: num("unit_id").unwrap_or(0),
                topic: get("topic"),
                place: get("place"),
                trainer: get("trainer"),
                materials: get("materials"),
                date: get("date"),
                from: get("from"),
                to: get("to"),
                required: get("required") == "on",
            };
            match api::schedule(&state, &user, &input).await {
                Ok(id) => {
                    return Ok(Redirect::to(&format!("/console/training/sessions/{id}")).into_response());
                }
                Err(e) => Err(e),
            }
        }
        "exam" => {
            let input = ExamInput {
                plan_id: num("plan_id"),
                kind: get("kind"),
                title: get("title"),
                held_on: get("held_on"),
                pass_mark: num("pass_mark").map(|n| n.clamp(0, 100_000) as u32),
                max_score: num("max_score").map(|n| n.clamp(0, 100_000) as u32),
            };
            match api::set_exam(&state, &user, &input).await {
                Ok(id) => return Ok(Redirect::to(&format!("/console/training/exams/{id}")).into_response()),
                Err(e) => Err(e),
            }
        }
        "qualification" => {
            let input = QualificationInput {
                staff_id: get("staff_id").parse().unwrap_or_default(),
                kind: get("kind"),
                number: get("number"),
                issued_on: get("issued_on"),
                expires_on: get("expires_on"),
            };
            api::qualify(&state, &user, &input).await.map(|id| ("qualification".to_string(), id))
        }
        _ => Err(AppError::bad_request("bad_form", "未知表单 / unknown form")),
    };
    match result {
        Ok((done, _)) => Ok(Redirect::to(&format!("/console/training?done={done}")).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_) | AppError::Refused(_))) => {
            let m = message(&tr, &e);
            render_index(&state, (tr, csrf), &user, None, Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "training_session.html")]
struct SessionPage {
    c: Chrome,
    s: SessionRow,
    attendance: Vec<AttendanceRow>,
    /// The check-in address its QR code holds, for those who run it.
    checkin: Option<String>,
    manages: bool,
    error: Option<String>,
    import_errors: Vec<(usize, String)>,
    done: Option<String>,
}

impl SessionPage {
    fn when(&self, ms: &i64) -> String {
        format_time(*ms)
    }
    fn way(&self, code: &str) -> String {
        AttendanceWay::parse(code).map_or(code.to_string(), |k| self.c.tr.label(k).to_string())
    }
}

async fn render_session(
    state: &AppState,
    (tr, csrf): (Tr, CsrfToken),
    user: &CurrentUser,
    id: i64,
    (done, error, import_errors): (Option<String>, Option<String>, Vec<(usize, String)>),
) -> PageResult {
    if matches!(api::reach(state, user).await?, Reach::Own(_)) {
        return Err(AppError::Forbidden.into());
    }
    let s = state.store.training_session(user.org_id(), id).await?;
    let attendance = state.store.session_attendance(user.org_id(), id).await?;
    let manages = user.can(Permission::ManageTraining);
    let checkin =
        (manages && s.closed_at.is_none()).then(|| checkin_url(&state.config.public_url, &s.checkin_code));
    let failed = error.is_some() || !import_errors.is_empty();
    let page = SessionPage {
        s,
        attendance,
        checkin,
        manages,
        error,
        import_errors,
        done: done.filter(|d| ["entered", "imported", "closed"].contains(&d.as_str())),
        c: Chrome::for_user(state, tr, csrf, user, "training").await?,
    };
    Ok(render_with(if failed { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK }, &page))
}

/// The QR code of a session's check-in address, for the office to show or
/// print at the session.
async fn qr(State(state): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>) -> PageResult {
    user.require(Permission::ManageTraining)?;
    let s = state.store.training_session(user.org_id(), id).await?;
    let svg = crate::qr::svg(&checkin_url(&state.config.public_url, &s.checkin_code))?;
    Ok(([(axum::http::header::CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}

async fn session(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    Query(q): Query<Done>,
) -> PageResult {
    render_session(&state, (tr, csrf), &user, id, (q.done, None, vec![])).await
}

/// Attendance entered by 工号 (one per line or separated by spaces), or
/// closing the session.
async fn session_action(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    user.require(Permission::ManageTraining)?;
    let result = if get("action") == "close" {
        api::close_session(&state, &user, id).await.map(|_| "closed")
    } else {
        let mut ids = vec![];
        let mut unknown = vec![];
        for no in get("numbers")
            .split(|c: char| c.is_whitespace() || c == ',' || c == '，')
            .filter(|s| !s.is_empty())
        {
            match state.store.staff_id_by_number(user.org_id(), no).await? {
                Some(s) => ids.push(s),
                None => unknown.push(no.to_string()),
            }
        }
        if unknown.is_empty() {
            api::enter(&state, &user, id, &ids, AttendanceWay::Entered).await.map(|_| "entered")
        } else {
            Err(AppError::field(
                "numbers",
                format!("工号不存在 / no staff with number: {}", unknown.join(", ")),
            ))
        }
    };
    match result {
        Ok(done) => Ok(Redirect::to(&format!("/console/training/sessions/{id}?done={done}")).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_) | AppError::Refused(_))) => {
            let m = message(&tr, &e);
            render_session(&state, (tr, csrf), &user, id, (None, Some(m), vec![])).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn import(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    headers: HeaderMap,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> PageResult {
    let up = Upload::read_form(&headers, multipart).await?;
    let (name, bytes) = up
        .file("file")
        .filter(|(_, b)| !b.is_empty())
        .ok_or_else(|| AppError::bad_request("bad_form", "请选择文件 / choose a file"))?;
    match api::import_file(&state, &user, id, &bytes, &name).await? {
        Ok(_) => Ok(Redirect::to(&format!("/console/training/sessions/{id}?done=imported")).into_response()),
        Err(rows) => render_session(&state, (tr, csrf), &user, id, (None, None, rows)).await,
    }
}

#[derive(Template)]
#[template(path = "training_exam.html")]
struct ExamPage {
    c: Chrome,
    e: ExamRow,
    results: Vec<ResultRow>,
    manages: bool,
    error: Option<String>,
}

impl ExamPage {
    fn kind(&self, code: &str) -> String {
        ExamKind::parse(code).map_or(code.to_string(), |k| self.c.tr.label(k).to_string())
    }
}

async fn render_exam(
    state: &AppState,
    (tr, csrf): (Tr, CsrfToken),
    user: &CurrentUser,
    id: i64,
    error: Option<String>,
) -> PageResult {
    let (e, results) = api::visible_results(state, user, id).await?;
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = ExamPage {
        e,
        results,
        manages: user.can(Permission::ManageTraining),
        error,
        c: Chrome::for_user(state, tr, csrf, user, "training").await?,
    };
    Ok(render_with(status, &page))
}

async fn exam(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    render_exam(&state, (tr, csrf), &user, id, None).await
}

/// Scores as lines of `工号 分数`.
async fn exam_scores(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let mut scores = vec![];
    let mut bad = vec![];
    for (i, line) in get("scores").lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let mut parts =
            line.split(|c: char| c.is_whitespace() || c == ',' || c == '，').filter(|s| !s.is_empty());
        let (no, score) =
            (parts.next().unwrap_or_default(), parts.next().and_then(|s| s.parse::<i64>().ok()));
        match (state.store.staff_id_by_number(user.org_id(), no).await?, score) {
            (Some(s), Some(v)) => scores.push((s, v)),
            _ => bad.push((i + 1).to_string()),
        }
    }
    let result = if bad.is_empty() {
        api::score(&state, &user, id, &scores).await
    } else {
        Err(AppError::field(
            "scores",
            format!("第 {} 行应为「工号 分数」/ lines should read \"number score\"", bad.join(", ")),
        ))
    };
    match result {
        Ok(_) => Ok(Redirect::to(&format!("/console/training/exams/{id}")).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_) | AppError::Refused(_))) => {
            let m = message(&tr, &e);
            render_exam(&state, (tr, csrf), &user, id, Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "checkin.html")]
struct CheckinPage {
    c: Chrome,
    s: Option<SessionRow>,
    code: String,
    error: Option<String>,
}

impl CheckinPage {
    fn when(&self, ms: &i64) -> String {
        format_time(*ms)
    }
}

/// The page a session's QR code opens: who is signed in checks in with one
/// tap; someone not signed in signs in first and comes back here.
async fn checkin_page(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    user: Result<PageUser, Response>,
    Path(code): Path<String>,
) -> PageResult {
    let Ok(PageUser(user)) = user else {
        return Ok(Redirect::to(&format!("/login?next=/checkin/{}", urlencoding(&code))).into_response());
    };
    let s = match state.store.session_by_code(&code).await {
        Ok((org, s)) if org == user.org_id() => Some(s),
        _ => None,
    };
    let status = if s.is_some() { StatusCode::OK } else { StatusCode::NOT_FOUND };
    let page =
        CheckinPage { s, code, error: None, c: Chrome::for_user(&state, tr, csrf, &user, "training").await? };
    Ok(render_with(status, &page))
}

/// Only letters, digits, `-` and `_` make a code; anything else is dropped.
fn urlencoding(code: &str) -> String {
    code.chars().filter(|c| c.is_ascii_alphanumeric() || *c == '-' || *c == '_').collect()
}

async fn checkin(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Path(code): Path<String>,
    CsrfForm(_f): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    match api::check_in_with(&state, &user, &code).await {
        Ok(_) => Ok(Redirect::to("/console/training?done=checked_in#mine").into_response()),
        Err(e @ (AppError::Conflict(_) | AppError::Refused(_))) => {
            let s = state.store.session_by_code(&code).await.ok().map(|(_, s)| s);
            let error = Some(message(&tr, &e));
            let page = CheckinPage {
                s,
                code,
                error,
                c: Chrome::for_user(&state, tr, csrf, &user, "training").await?,
            };
            Ok(render_with(StatusCode::CONFLICT, &page))
        }
        Err(e) => Err(e.into()),
    }
}
