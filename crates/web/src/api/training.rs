//! Training, exams and qualifications (SPEC CMP-2, issue 20 point 3). The
//! office plans and holds sessions, records attendance (entered, imported
//! from a sheet all or nothing, or by the session's QR code, which only
//! checks in the person signed in), exams and qualifications; a shift
//! leader follows their station's; everyone sees their own record. Nobody
//! records their own attendance by hand or their own score.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chuangkou_domain::access::about_themselves;
use chuangkou_domain::training::{self, AttendanceWay};
use chuangkou_domain::{Permission, StaffId};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiResult, AppError};
use crate::extract::{ApiJson, ApiPath};
use crate::ledger_access::{Reach, sight_reach};
use crate::{AppState, auth::CurrentUser};

/// How far `user` sees training records; the office, leaders and admin
/// everyone's, a shift leader their station's, everyone else their own.
pub async fn reach(state: &AppState, user: &CurrentUser) -> ApiResult<Reach> {
    sight_reach(state, user, user.role().training_sight()).await
}

/// The check-in address a session's QR code holds.
pub fn checkin_url(base: &str, code: &str) -> String {
    format!("{}/checkin/{code}", base.trim_end_matches('/'))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    pub year: i32,
    #[serde(default)]
    pub month: Option<u32>,
    pub title: String,
    pub topics: String,
    pub unit_id: i64,
    pub hours: u32,
}

/// `POST /api/v1/training-plans`
pub async fn create_plan(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<PlanInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    user.require(Permission::ManageTraining)?;
    let plan = training::check_plan(input.year, input.month, &input.title, &input.topics, input.hours)?;
    let id = state.store.create_training_plan(user.org_id(), &user.0, input.unit_id, &plan).await?;
    Ok((StatusCode::CREATED, Json(plan_detail(&state, &user, id).await?)))
}

/// `GET /api/v1/training-plans`
pub async fn plans(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    if matches!(reach(&state, &user).await?, Reach::Own(_)) {
        return Err(AppError::Forbidden);
    }
    Ok(Json(json!({"plans": state.store.training_plans(user.org_id()).await?})))
}

/// A plan with each unit's completion, as far as `user` sees.
pub async fn plan_detail(state: &AppState, user: &CurrentUser, id: i64) -> ApiResult<Value> {
    let reach = reach(state, user).await?;
    if matches!(reach, Reach::Own(_)) {
        return Err(AppError::Forbidden);
    }
    let plan = state.store.training_plan(user.org_id(), id).await?;
    let units: Vec<_> = state
        .store
        .plan_completion(user.org_id(), id)
        .await?
        .into_iter()
        .filter(|u| reach.sees_unit(u.unit_id))
        .collect();
    let (staff, done) = units.iter().fold((0, 0), |(s, d), u| (s + u.staff, d + u.completed));
    Ok(json!({"plan": plan, "completion": units,
        "total": {"staff": staff, "completed": done, "percent": training::percent(done, staff)}}))
}

/// `GET /api/v1/training-plans/{id}`
pub async fn plan(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(plan_detail(&state, &user, id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SessionInput {
    #[serde(default)]
    pub plan_id: Option<i64>,
    pub unit_id: i64,
    pub topic: String,
    pub place: String,
    pub trainer: String,
    #[serde(default)]
    pub materials: String,
    /// `YYYY-MM-DD`
    pub date: String,
    /// `HH:MM`
    pub from: String,
    pub to: String,
    #[serde(default)]
    pub required: bool,
}

/// Schedules a session from its input; the id.
pub async fn schedule(state: &AppState, user: &CurrentUser, input: &SessionInput) -> ApiResult<i64> {
    user.require(Permission::ManageTraining)?;
    let offset = crate::api::notices::offset_of(state, user.org_id()).await?;
    let s = training::check_session(
        &input.topic,
        &input.place,
        &input.trainer,
        &input.materials,
        &input.date,
        &input.from,
        &input.to,
        input.required,
        offset,
    )?;
    Ok(state.store.create_training_session(user.org_id(), &user.0, input.plan_id, input.unit_id, &s).await?)
}

/// `POST /api/v1/training-sessions`
pub async fn create_session(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<SessionInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = schedule(&state, &user, &input).await?;
    Ok((StatusCode::CREATED, Json(session_detail(&state, &user, id).await?)))
}

/// `GET /api/v1/training-sessions`: the last year's sessions and those to come.
pub async fn sessions(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    let reach = reach(&state, &user).await?;
    if matches!(reach, Reach::Own(_)) {
        return Err(AppError::Forbidden);
    }
    let now = state.store.now_ms();
    let rows = state.store.training_sessions(user.org_id(), now - 366 * 86_400_000, i64::MAX).await?;
    Ok(Json(json!({"sessions": rows})))
}

/// A session with its attendance; its check-in address for those who run it.
pub async fn session_detail(state: &AppState, user: &CurrentUser, id: i64) -> ApiResult<Value> {
    let reach = reach(state, user).await?;
    if matches!(reach, Reach::Own(_)) {
        return Err(AppError::Forbidden);
    }
    let s = state.store.training_session(user.org_id(), id).await?;
    let attendance = state.store.session_attendance(user.org_id(), id).await?;
    let checkin =
        user.can(Permission::ManageTraining).then(|| checkin_url(&state.config.public_url, &s.checkin_code));
    Ok(json!({"session": s, "attendance": attendance, "checkin_url": checkin}))
}

/// `GET /api/v1/training-sessions/{id}`
pub async fn session(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(session_detail(&state, &user, id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AttendanceInput {
    pub staff_ids: Vec<StaffId>,
}

/// Records attendance entered by hand: never one's own.
pub async fn enter(
    state: &AppState,
    user: &CurrentUser,
    session: i64,
    staff: &[StaffId],
    way: AttendanceWay,
) -> ApiResult<usize> {
    user.require(Permission::ManageTraining)?;
    if staff.is_empty() || staff.len() > 2_000 {
        return Err(AppError::field("staff_ids", "请列出 1–2000 人 / list 1 to 2,000 people"));
    }
    if staff.iter().any(|s| about_themselves(user.0.staff_id, Some(*s)).is_some()) {
        return Err(AppError::Refused(
            "不能为本人登记出勤，请扫码签到 / check yourself in by the QR code".into(),
        ));
    }
    Ok(state.store.record_attendance(user.org_id(), &user.0, session, staff, way).await?)
}

/// `POST /api/v1/training-sessions/{id}/attendance`
pub async fn attend(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<AttendanceInput>,
) -> ApiResult<Json<Value>> {
    let added = enter(&state, &user, id, &input.staff_ids, AttendanceWay::Entered).await?;
    Ok(Json(json!({"added": added})))
}

/// The columns of an attendance sheet, in order.
pub const COLUMNS: [&str; 2] = ["工号", "姓名"];

/// `POST /api/v1/training-sessions/{id}/attendance/import`: a sheet of
/// [`COLUMNS`], all or nothing.
pub async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let name = super::sheet_name(&headers, "attendance");
    Ok(super::import_answer(import_file(&state, &user, id, &body, &name).await?))
}

/// Records the attendance of a sheet: the number added, or every bad row
/// (its number as Excel shows it, what is wrong) and nothing recorded.
pub async fn import_file(
    state: &AppState,
    user: &CurrentUser,
    session: i64,
    bytes: &[u8],
    file_name: &str,
) -> ApiResult<Result<usize, Vec<(usize, String)>>> {
    user.require(Permission::ManageTraining)?;
    state.store.training_session(user.org_id(), session).await?;
    let sheets =
        chuangkou_tabular::read(bytes, file_name).map_err(|e| AppError::field("file", e.to_string()))?;
    let sheet = sheets.into_iter().next().ok_or_else(|| AppError::field("file", "空文件 / an empty file"))?;
    let mut staff = vec![];
    let mut errors = vec![];
    for (i, row) in sheet.rows.iter().enumerate().skip(1) {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |c: usize| row.get(c).map(|s| s.trim().to_string()).unwrap_or_default();
        match state.store.staff_id_by_number(user.org_id(), &cell(0)).await? {
            None => errors.push((i + 1, "工号不存在 / no staff with this number".to_string())),
            Some(id) if about_themselves(user.0.staff_id, Some(id)).is_some() => {
                errors.push((i + 1, "不能为本人登记出勤 / not your own attendance".to_string()));
            }
            Some(id) => {
                let who = state.store.staff(user.org_id(), id).await?;
                if !cell(1).is_empty() && cell(1) != who.name {
                    errors.push((i + 1, "姓名与工号不符 / the name does not match the number".to_string()));
                } else if !staff.contains(&id) {
                    staff.push(id);
                }
            }
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    if staff.is_empty() {
        return Ok(Err(vec![(1, "表中没有出勤记录 / the sheet lists nobody".to_string())]));
    }
    Ok(Ok(state
        .store
        .record_attendance(user.org_id(), &user.0, session, &staff, AttendanceWay::Imported)
        .await?))
}

/// `POST /api/v1/training-sessions/{id}/close`: closes attendance; a
/// required session's absentees become facts for the pack's rules.
pub async fn close(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Value>> {
    let absent = close_session(&state, &user, id).await?;
    Ok(Json(json!({"absent": absent})))
}

pub async fn close_session(state: &AppState, user: &CurrentUser, id: i64) -> ApiResult<Vec<StaffId>> {
    user.require(Permission::ManageTraining)?;
    let rules = state.org_rules(user).await?.rules;
    Ok(state.store.close_training_session(user.org_id(), rules, &user.0, id).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CheckInInput {
    pub code: String,
}

/// Checks the signed-in person in to the session `code` opens, while it is
/// open; the session.
pub async fn check_in_with(
    state: &AppState,
    user: &CurrentUser,
    code: &str,
) -> ApiResult<chuangkou_store::training::SessionRow> {
    let (org, s) = state.store.session_by_code(code.trim()).await.map_err(|_| AppError::NotFound)?;
    if org != user.org_id() {
        return Err(AppError::NotFound);
    }
    let Some(me) = user.0.staff_id else {
        return Err(AppError::Refused("账号未关联员工，不能签到 / only staff check in".into()));
    };
    if s.closed_at.is_some() || !training::checkin_open(state.store.now_ms(), s.starts_at, s.ends_at) {
        return Err(AppError::Conflict("不在签到时间内 / check-in is not open now".into()));
    }
    let added = state.store.record_attendance(org, &user.0, s.id, &[me], AttendanceWay::CheckIn).await?;
    if added == 0 {
        return Err(AppError::Conflict("您已签到 / you are already checked in".into()));
    }
    Ok(s)
}

/// `POST /api/v1/check-in`: checks me in by a session's code.
pub async fn check_in(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<CheckInInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let s = check_in_with(&state, &user, &input.code).await?;
    Ok((StatusCode::CREATED, Json(json!({"session": s}))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExamInput {
    #[serde(default)]
    pub plan_id: Option<i64>,
    /// `exam` or `competition`
    pub kind: String,
    pub title: String,
    /// `YYYY-MM-DD`
    pub held_on: String,
    /// The pack's pass mark when absent.
    #[serde(default)]
    pub pass_mark: Option<u32>,
    /// 100 when absent.
    #[serde(default)]
    pub max_score: Option<u32>,
}

/// Creates an exam from its input; the id.
pub async fn set_exam(state: &AppState, user: &CurrentUser, input: &ExamInput) -> ApiResult<i64> {
    user.require(Permission::ManageTraining)?;
    let rules = state.org_rules(user).await?.rules;
    let pass = input.pass_mark.unwrap_or(rules.pack.training.pass_mark);
    let e = training::check_exam(
        &input.kind,
        &input.title,
        &input.held_on,
        pass,
        input.max_score.unwrap_or(100),
    )?;
    Ok(state.store.create_exam(user.org_id(), &user.0, input.plan_id, &e).await?)
}

/// `POST /api/v1/exams`
pub async fn create_exam(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<ExamInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = set_exam(&state, &user, &input).await?;
    Ok((StatusCode::CREATED, Json(exam_detail(&state, &user, id).await?)))
}

/// `GET /api/v1/exams`
pub async fn exams(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    if matches!(reach(&state, &user).await?, Reach::Own(_)) {
        return Err(AppError::Forbidden);
    }
    Ok(Json(json!({"exams": state.store.exams(user.org_id()).await?})))
}

/// An exam with the results `user` sees.
pub async fn exam_detail(state: &AppState, user: &CurrentUser, id: i64) -> ApiResult<Value> {
    let (exam, results) = visible_results(state, user, id).await?;
    Ok(json!({"exam": exam, "results": results}))
}

/// An exam and the results of the people `user` sees.
pub async fn visible_results(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
) -> ApiResult<(chuangkou_store::training::ExamRow, Vec<chuangkou_store::training::ResultRow>)> {
    let reach = reach(state, user).await?;
    if matches!(reach, Reach::Own(_)) {
        return Err(AppError::Forbidden);
    }
    let exam = state.store.exam(user.org_id(), id).await?;
    let staff_units = staff_units(state, user).await?;
    let results: Vec<_> = state
        .store
        .exam_results(user.org_id(), id)
        .await?
        .into_iter()
        .filter(|r| staff_units.get(&r.staff_id).is_some_and(|u| reach.sees_unit(*u)))
        .collect();
    Ok((exam, results))
}

async fn staff_units(
    state: &AppState,
    user: &CurrentUser,
) -> ApiResult<std::collections::HashMap<StaffId, i64>> {
    let all = state.store.staff_list(user.org_id(), &Default::default()).await?;
    Ok(all.into_iter().map(|s| (s.id, s.unit_id)).collect())
}

/// `GET /api/v1/exams/{id}`
pub async fn exam(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Value>> {
    Ok(Json(exam_detail(&state, &user, id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Score {
    pub staff_id: StaffId,
    pub score: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResultsInput {
    pub results: Vec<Score>,
}

/// Records scores, all or nothing; a failed exam proposes what the pack's
/// rules say.
pub async fn score(
    state: &AppState,
    user: &CurrentUser,
    exam: i64,
    scores: &[(StaffId, i64)],
) -> ApiResult<usize> {
    user.require(Permission::ManageTraining)?;
    if scores.is_empty() || scores.len() > 2_000 {
        return Err(AppError::field("results", "请列出 1–2000 个成绩 / list 1 to 2,000 scores"));
    }
    if scores.iter().any(|(s, _)| about_themselves(user.0.staff_id, Some(*s)).is_some()) {
        return Err(AppError::Refused("不能登记本人的成绩 / nobody records their own score".into()));
    }
    let rules = state.org_rules(user).await?.rules;
    Ok(state.store.record_exam_results(user.org_id(), rules, &user.0, exam, scores).await?)
}

/// `POST /api/v1/exams/{id}/results`
pub async fn results(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<ResultsInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let scores: Vec<(StaffId, i64)> = input.results.iter().map(|s| (s.staff_id, s.score)).collect();
    score(&state, &user, id, &scores).await?;
    Ok((StatusCode::CREATED, Json(exam_detail(&state, &user, id).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QualificationInput {
    pub staff_id: StaffId,
    pub kind: String,
    pub number: String,
    /// `YYYY-MM-DD`
    pub issued_on: String,
    /// `YYYY-MM-DD`, the last day it is valid.
    pub expires_on: String,
}

/// Records a qualification, reminded of the pack's warning days before it
/// expires; the id.
pub async fn qualify(state: &AppState, user: &CurrentUser, input: &QualificationInput) -> ApiResult<i64> {
    user.require(Permission::ManageTraining)?;
    let q = training::check_qualification(&input.kind, &input.number, &input.issued_on, &input.expires_on)?;
    let rules = state.org_rules(user).await?.rules;
    let warn = rules.pack.training.qualification_warning_days;
    let remind_at = rules.calendar.start_of_day_ms(training::remind_on(q.expires_on, warn)) + 9 * 3_600_000;
    Ok(state.store.add_qualification(user.org_id(), &user.0, input.staff_id, &q, remind_at).await?)
}

/// `POST /api/v1/qualifications`
pub async fn create_qualification(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<QualificationInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = qualify(&state, &user, &input).await?;
    let row = state
        .store
        .qualifications(user.org_id(), Some(input.staff_id))
        .await?
        .into_iter()
        .find(|q| q.id == id);
    Ok((StatusCode::CREATED, Json(json!({"qualification": row}))))
}

/// `GET /api/v1/qualifications`: those `user` sees, the soonest to expire first.
pub async fn qualifications(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    let reach = reach(&state, &user).await?;
    let rows: Vec<_> = state
        .store
        .qualifications(user.org_id(), None)
        .await?
        .into_iter()
        .filter(|q| match &reach {
            Reach::Own(me) => *me == Some(q.staff_id),
            r => r.sees_unit(q.unit_id),
        })
        .collect();
    Ok(Json(json!({"qualifications": rows})))
}

/// `GET /api/v1/training/me`: my training record.
pub async fn mine(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    let Some(me) = user.0.staff_id else {
        return Err(AppError::Refused("账号未关联员工 / this account is not a staff member's".into()));
    };
    Ok(Json(json!(state.store.training_record(user.org_id(), me).await?)))
}

/// `GET /api/v1/staff/{id}/training`: a staff member's record, as far as I see.
pub async fn of_staff(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<StaffId>,
) -> ApiResult<Json<Value>> {
    let reach = reach(&state, &user).await?;
    let who = state.store.staff(user.org_id(), id).await.map_err(|_| AppError::NotFound)?;
    let sees = match &reach {
        Reach::Own(me) => *me == Some(id),
        r => r.sees_unit(who.unit_id),
    };
    if !sees {
        return Err(AppError::NotFound);
    }
    Ok(Json(json!(state.store.training_record(user.org_id(), id).await?)))
}
