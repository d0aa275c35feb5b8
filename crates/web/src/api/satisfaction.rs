//! Satisfaction over HTTP (SPEC SAT-1..4): public quick ratings, the
//! rollup summaries, appeals against ratings, questionnaires and their
//! results, and staff answers to anonymous surveys.

use std::collections::BTreeMap;

use axum::Json;
use axum::extract::State;

use crate::extract::ApiPath as Path;
use axum::http::{HeaderMap, StatusCode};
use chrono::{Datelike, NaiveDate};
use chuangkou_domain::Permission;
use chuangkou_domain::satisfaction::{Audience, Counts, Question};
use chuangkou_store::ratings::{RatingFilter, RatingInput, RatingRow, Scope};
use chuangkou_store::surveys::{Origin, Questionnaire};
use serde::Deserialize;
use serde_json::{Value, json};

use super::shared::ReasonInput;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, AppError};
use crate::extract::{ApiJson, ApiQuery, ClientAddr};
use crate::ledger_access::{Reach, reach};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateInput {
    /// The service point's QR token.
    pub point: String,
    /// 1..5 or its label.
    pub level: serde_json::Value,
    #[serde(default)]
    pub tags: Vec<String>,
    pub comment: Option<String>,
    pub staff_no: Option<String>,
    pub phone: Option<String>,
    /// A stable id of the app or kiosk, when there is no cookie.
    pub device: Option<String>,
}

/// `POST /api/v1/ratings`: the public rates a service point; 201 after
/// the commit, with the case a bad rating opened.
pub async fn rate(
    State(state): State<AppState>,
    ClientAddr(addr): ClientAddr,
    headers: HeaderMap,
    ApiJson(r): ApiJson<RateInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let level = match &r.level {
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        _ => String::new(),
    };
    let device = crate::satisfaction::device_of(&headers, r.device.as_deref(), &addr);
    let input = RatingInput {
        level,
        tags: r.tags,
        comment: r.comment,
        staff_no: r.staff_no,
        phone: r.phone,
        device,
        address: Some(addr),
    };
    let (ack, _) = state.rate(&r.point, input).await?;
    let case = ack
        .case
        .as_ref()
        .map(|c| json!({"number": c.number, "tracking_code": c.tracking_code, "handle_due": c.handle_due}));
    Ok((StatusCode::CREATED, Json(json!({"id": ack.id, "replaced": ack.replaced, "case": case}))))
}

/// A period as `from`/`to` dates (`YYYY-MM-DD`); from the first of the
/// month to today when missing.
pub fn dates(from: Option<&str>, to: Option<&str>, today: NaiveDate) -> ApiResult<(NaiveDate, NaiveDate)> {
    let parse = |name: &str, v: Option<&str>| -> ApiResult<Option<NaiveDate>> {
        match v.map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => NaiveDate::parse_from_str(v, "%Y-%m-%d")
                .map(Some)
                .map_err(|_| AppError::field(name, "日期须为 YYYY-MM-DD / the date must be YYYY-MM-DD")),
        }
    };
    let first = today.with_day(1).expect("day 1");
    let from = parse("from", from)?.unwrap_or(first);
    let to = parse("to", to)?.unwrap_or(today);
    if to < from {
        return Err(AppError::field("to", "结束日期早于开始日期 / the period ends before it starts"));
    }
    Ok((from, to))
}

/// [`dates`] as yyyymmdd numbers.
pub fn period(from: Option<&str>, to: Option<&str>, today: NaiveDate) -> ApiResult<(i64, i64)> {
    let (from, to) = dates(from, to, today)?;
    Ok((day_number(from), day_number(to)))
}

pub use chuangkou_domain::calendar::day_number;

/// Today in the organisation's calendar.
pub async fn today(state: &AppState, user: &CurrentUser) -> ApiResult<NaiveDate> {
    let rules = state.org_rules(user).await?.rules;
    Ok(rules.calendar.local_date(state.store.now_ms()))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RatingsQuery {
    pub unit_id: Option<i64>,
    pub bad_only: Option<bool>,
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

/// The ratings a user may see, narrowed by their reach.
pub async fn ratings_for(
    state: &AppState,
    user: &CurrentUser,
    q: &RatingsQuery,
) -> ApiResult<Vec<RatingRow>> {
    let mut f = RatingFilter {
        bad_only: q.bad_only.unwrap_or(false),
        before_id: q.before,
        limit: q.limit.unwrap_or(100),
        ..Default::default()
    };
    match reach(state, user).await? {
        Reach::Nothing => return Err(AppError::Forbidden),
        Reach::Own(me) => f.staff_id = Some(me.unwrap_or(chuangkou_domain::StaffId::new(-1))),
        Reach::Units(u) => f.unit_ids = Some(u),
        Reach::All => {}
    }
    if let Some(u) = q.unit_id {
        f.unit_ids = Some(match f.unit_ids {
            Some(mine) => mine.into_iter().filter(|m| *m == u).collect(),
            None => vec![u],
        });
    }
    Ok(state.store.ratings(user.org_id(), &f).await?)
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<RatingsQuery>,
) -> ApiResult<Json<Value>> {
    let rows = ratings_for(&state, &user, &q).await?;
    let next = rows.last().map(|r| r.id);
    Ok(Json(json!({"ratings": rows, "next_before": next})))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SummaryQuery {
    pub scope: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
}

/// One line of a summary: counts by level and the satisfaction rate.
pub fn summary_line(id: i64, name: &str, c: &Counts) -> Value {
    json!({
        "id": id, "name": name, "counts": c.n, "total": c.total(), "satisfied": c.satisfied(),
        "bad": c.bad(), "satisfaction_rate": c.satisfaction_rate(), "mean": c.mean(),
    })
}

/// The counts of every unit, point or staff member the user may see over
/// a period, from the rollups.
pub async fn summary_for(
    state: &AppState,
    user: &CurrentUser,
    scope: Scope,
    from: i64,
    to: i64,
) -> ApiResult<Vec<(i64, String, Counts)>> {
    let org = user.org_id();
    let r = reach(state, user).await?;
    let names: Vec<(i64, String, i64)> = match scope {
        Scope::Unit => state.store.units(org).await?.into_iter().map(|u| (u.id, u.name, u.id)).collect(),
        Scope::Point => {
            state.store.service_points(org).await?.into_iter().map(|p| (p.id, p.name, p.unit_id)).collect()
        }
        Scope::Staff => {
            let q = chuangkou_store::org::StaffQuery { limit: 5000, ..Default::default() };
            state
                .store
                .staff_list(org, &q)
                .await?
                .into_iter()
                .map(|s| (s.id.get(), s.name, s.unit_id))
                .collect()
        }
    };
    let visible: Vec<(i64, String)> = names
        .into_iter()
        .filter(|(id, _, unit)| match &r {
            Reach::Own(me) => scope == Scope::Staff && me.is_some_and(|me| me.get() == *id),
            other => other.sees_unit(*unit),
        })
        .map(|(id, name, _)| (id, name))
        .collect();
    let ids: Vec<i64> = visible.iter().map(|(id, _)| *id).collect();
    let counts = state.store.rating_counts(org, scope, Some(&ids), from, to).await?;
    Ok(visible.into_iter().filter_map(|(id, name)| counts.get(&id).map(|c| (id, name, *c))).collect())
}

pub async fn summary(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<SummaryQuery>,
) -> ApiResult<Json<Value>> {
    let scope = match q.scope.as_deref().unwrap_or("unit") {
        "unit" => Scope::Unit,
        "point" => Scope::Point,
        "staff" => Scope::Staff,
        _ => return Err(AppError::field("scope", "scope 须为 unit、point 或 staff / unit, point or staff")),
    };
    let (from, to) = period(q.from.as_deref(), q.to.as_deref(), today(&state, &user).await?)?;
    let lines = summary_for(&state, &user, scope, from, to).await?;
    let mut total = Counts::default();
    for (_, _, c) in &lines {
        total.merge(c);
    }
    Ok(Json(json!({
        "scope": scope.as_str(), "from": from, "to": to,
        "lines": lines.iter().map(|(id, name, c)| summary_line(*id, name, c)).collect::<Vec<_>>(),
        "total": summary_line(0, "", &total),
    })))
}

/// A unit appeals a bad rating: its shift leader, or the office.
pub async fn appeal(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(a): ApiJson<ReasonInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let appeal = appeal_rating(&state, &user, id, &a.reason).await?;
    Ok((StatusCode::CREATED, Json(json!(appeal))))
}

pub async fn appeal_rating(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    reason: &str,
) -> ApiResult<chuangkou_store::ratings::RatingAppeal> {
    let rating = state.store.rating(user.org_id(), id).await?;
    let r = reach(state, user).await?;
    if !user.can(Permission::AppealRatings) || !r.sees_unit(rating.unit_id) {
        return Err(if r.sees_unit(rating.unit_id) { AppError::Forbidden } else { AppError::NotFound });
    }
    Ok(state.store.appeal_rating(user.org_id(), id, user.0.id, reason).await?)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    pub upheld: bool,
    pub note: String,
}

/// The pack's appeal deciders decide (toll: the leading group).
pub async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(d): ApiJson<DecisionInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!(decide_appeal(&state, &user, id, d.upheld, &d.note).await?)))
}

pub async fn decide_appeal(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    upheld: bool,
    note: &str,
) -> ApiResult<chuangkou_store::ratings::RatingAppeal> {
    let rules = state.org_rules(user).await?.rules;
    if !rules.pack.ledger.appeal_deciders.contains(&user.role()) {
        return Err(AppError::Forbidden);
    }
    Ok(state.store.decide_rating_appeal(user.org_id(), id, user.0.id, upheld, note).await?)
}

pub async fn open_appeals(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    user.require(Permission::ViewRatingAppeals)?;
    Ok(Json(json!({"appeals": state.store.open_rating_appeals(user.org_id()).await?})))
}

// ---- questionnaires ----

/// Office and admins publish questionnaires; the leading group reads results too.
pub fn may_manage_surveys(user: &CurrentUser) -> bool {
    user.can(Permission::ManageQuestionnaires)
}

pub fn may_read_results(user: &CurrentUser) -> bool {
    user.can(Permission::ReadSurveyResults)
}

fn public_view(q: &Questionnaire, base: &str) -> Value {
    json!({
        "id": q.id, "code": q.code, "version": q.version, "title": q.title, "audience": q.audience,
        "questions": q.questions, "status": q.status, "created_at": q.created_at,
        "link": (q.audience == Audience::Public).then(|| format!("{base}/q/{}", q.public_token)),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuestionnaireInput {
    pub code: String,
    pub title: String,
    pub audience: Audience,
    pub questions: Vec<Question>,
}

pub async fn publish(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(q): ApiJson<QuestionnaireInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    if !may_manage_surveys(&user) {
        return Err(AppError::Forbidden);
    }
    let q = state
        .store
        .publish_questionnaire(user.org_id(), user.0.id, &q.code, &q.title, q.audience, &q.questions)
        .await?;
    Ok((StatusCode::CREATED, Json(public_view(&q, &state.config.public_url))))
}

pub async fn list_questionnaires(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    let all = state.store.questionnaires(user.org_id()).await?;
    // Everyone may see the staff surveys open to them; the rest is for those who run them.
    let shown: Vec<Value> = all
        .iter()
        .filter(|q| may_read_results(&user) || (q.audience == Audience::Staff && q.status == "open"))
        .map(|q| public_view(q, &state.config.public_url))
        .collect();
    Ok(Json(json!({"questionnaires": shown})))
}

pub async fn close(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    if !may_manage_surveys(&user) {
        return Err(AppError::Forbidden);
    }
    let q = state.store.close_questionnaire(user.org_id(), id, user.0.id).await?;
    Ok(Json(public_view(&q, &state.config.public_url)))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PeriodQuery {
    pub from: Option<String>,
    pub to: Option<String>,
}

pub async fn results(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiQuery(p): ApiQuery<PeriodQuery>,
) -> ApiResult<Json<Value>> {
    if !may_read_results(&user) {
        return Err(AppError::Forbidden);
    }
    let q = state.store.questionnaire(user.org_id(), id).await?;
    let today = today(&state, &user).await?;
    let (from, to) = match (p.from.as_deref(), p.to.as_deref()) {
        (None, None) => (20000101, day_number(today)),
        (f, t) => period(f, t, today)?,
    };
    let rules = state.org_rules(&user).await?.rules;
    let min = rules.pack.satisfaction.survey_min_answers;
    let groups = state.store.questionnaire_results(&q, from, to, min).await?;
    Ok(Json(
        json!({"questionnaire": public_view(&q, &state.config.public_url), "min_answers": min, "groups": groups}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnswerInput {
    /// Answers by question position (0-based), as text.
    pub answers: BTreeMap<usize, String>,
}

/// A signed-in staff member answers a staff survey, anonymously.
pub async fn answer(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(a): ApiJson<AnswerInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    answer_staff_survey(&state, &user, id, &a.answers).await?;
    Ok((StatusCode::CREATED, Json(json!({"answered": true}))))
}

pub async fn answer_staff_survey(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    answers: &BTreeMap<usize, String>,
) -> ApiResult<()> {
    let q = state.store.questionnaire(user.org_id(), id).await?;
    if q.audience != Audience::Staff {
        return Err(AppError::NotFound);
    }
    let unit_id = match user.0.staff_id {
        Some(s) => Some(state.store.staff(user.org_id(), s).await?.unit_id),
        None => None,
    };
    let day = day_number(today(state, user).await?);
    state
        .store
        .answer_questionnaire(&q, Some(user.0.id), Origin { unit_id, point_id: None }, answers, day)
        .await?;
    Ok(())
}
