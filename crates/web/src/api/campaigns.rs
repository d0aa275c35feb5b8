//! Campaigns (SPEC CMP-1, issue 20): the office creates one from a pack's
//! template for a year; the lead units start and submit their tasks; the
//! campaign office accepts them or sends them back (never the person who
//! submitted); units evaluate themselves and each other, never themselves
//! in peer evaluation; leaders comment; the 回头看 review is an inspection
//! whose failed items become rectification orders.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use chuangkou_domain::campaigns::{self, EvaluationKind, Progress, TaskStatus, TaskStep};
use chuangkou_domain::{Permission, Role};
use chuangkou_store::campaigns::{NewEvaluation, PhaseRow, TaskRow};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiResult, AppError};
use crate::extract::{ApiJson, ApiPath};
use crate::ledger_access::{Reach, sight_reach};
use crate::{AppState, auth::CurrentUser};

/// The campaign templates of the organisation's pack.
async fn templates_of(
    state: &AppState,
    user: &CurrentUser,
) -> ApiResult<Vec<chuangkou_domain::policy::campaigns::CampaignTemplate>> {
    let rules = state.org_rules(user).await?.rules;
    Ok(rules.pack.campaigns.clone())
}

/// `GET /api/v1/campaign-templates`: the pack's campaign templates.
pub async fn templates(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    user.require(Permission::ViewCampaigns)?;
    let list: Vec<Value> = templates_of(&state, &user)
        .await?
        .iter()
        .map(|t| {
            json!({"code": t.code, "title": t.title, "brand": t.brand, "motto": t.motto,
                "phases": t.phases.iter().map(|p| json!({"code": p.code, "title": p.title, "from": p.from, "until": p.until})).collect::<Vec<_>>(),
                "tasks": t.tasks.len()})
        })
        .collect();
    Ok(Json(json!({"templates": list})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CreateInput {
    pub template: String,
    pub year: i32,
}

/// `POST /api/v1/campaigns`: a campaign of a template, its dates moved to `year`.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<CreateInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    user.require(Permission::ManageCampaigns)?;
    let id = create_campaign(&state, &user, &input.template, input.year).await?;
    Ok((StatusCode::CREATED, Json(detail(&state, &user, id).await?)))
}

/// Creates a campaign of `template` in `year`; the id.
pub async fn create_campaign(
    state: &AppState,
    user: &CurrentUser,
    template: &str,
    year: i32,
) -> ApiResult<i64> {
    let crate::OrgRules { org, rules } = state.org_rules(user).await?;
    let t = rules.pack.campaign(template.trim()).ok_or_else(|| {
        AppError::field("template", "本行业方案中没有这个活动模板 / no such campaign template")
    })?;
    let units: Vec<(i64, String)> =
        state.store.units(org.id).await?.into_iter().map(|u| (u.id, u.name)).collect();
    let plan = campaigns::plan(t, year, &units).map_err(AppError::from)?;
    let cal = rules.calendar;
    let end_of_day = |d: chrono::NaiveDate| cal.start_of_day_ms(d + chrono::Duration::days(1)) - 1;
    Ok(state.store.create_campaign(org.id, &user.0, &plan, end_of_day).await?)
}

/// `GET /api/v1/campaigns`
pub async fn list(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    user.require(Permission::ViewCampaigns)?;
    Ok(Json(json!({"campaigns": state.store.campaigns(user.org_id()).await?})))
}

/// `GET /api/v1/campaigns/{id}`: the campaign, its phases and tasks, and
/// progress overall, per phase and per lead unit, with the overdue tasks.
pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Value>> {
    user.require(Permission::ViewCampaigns)?;
    Ok(Json(detail(&state, &user, id).await?))
}

fn progress_of<'a>(tasks: impl IntoIterator<Item = &'a TaskRow>) -> Progress {
    Progress::of(
        tasks
            .into_iter()
            .map(|t| (TaskStatus::parse(&t.status).unwrap_or(TaskStatus::NotStarted), t.overdue)),
    )
}

pub async fn detail(state: &AppState, user: &CurrentUser, id: i64) -> ApiResult<Value> {
    let c = state.store.campaign(user.org_id(), id).await?;
    let phases = state.store.campaign_phases(user.org_id(), id).await?;
    let tasks = state.store.campaign_tasks(user.org_id(), id).await?;
    let per_phase: Vec<Value> = phases
        .iter()
        .map(|p| json!({"phase": p, "progress": progress_of(tasks.iter().filter(|t| t.phase_id == p.id))}))
        .collect();
    let mut units: Vec<(i64, String)> =
        tasks.iter().map(|t| (t.lead_unit_id, t.lead_unit_name.clone())).collect();
    units.sort();
    units.dedup();
    let per_unit: Vec<Value> = units
        .iter()
        .map(|(u, name)| json!({"unit_id": u, "unit_name": name, "progress": progress_of(tasks.iter().filter(|t| t.lead_unit_id == *u))}))
        .collect();
    let overdue: Vec<i64> = tasks
        .iter()
        .filter(|t| t.overdue && TaskStatus::parse(&t.status).is_some_and(TaskStatus::open))
        .map(|t| t.id)
        .collect();
    let group = super::campaign_group::group(state, user, id).await?;
    Ok(json!({"campaign": c, "progress": progress_of(&tasks), "phases": per_phase, "units": per_unit,
        "tasks": tasks, "overdue": overdue, "members": group["members"], "participants": group["participants"],
        "files": group["files"]}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    pub step: String,
    /// The evidence when submitting, the reason when sending back.
    #[serde(default)]
    pub text: String,
}

/// Whether `user` may take `step` on `task`: the campaign office reviews;
/// the lead unit's keepers (and the office) start and submit.
pub async fn may_step(state: &AppState, user: &CurrentUser, task: &TaskRow, step: TaskStep) -> ApiResult<()> {
    user.require(Permission::ViewCampaigns)?;
    if step.is_review() {
        return user.require(Permission::ManageCampaigns);
    }
    if user.can(Permission::ManageCampaigns) {
        return Ok(());
    }
    let reach = sight_reach(state, user, user.role().keeping_sight()).await?;
    if reach.sees_unit(task.lead_unit_id) { Ok(()) } else { Err(AppError::Forbidden) }
}

/// `POST /api/v1/campaign-tasks/{id}/steps`
pub async fn step(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<StepInput>,
) -> ApiResult<Json<Value>> {
    let step = TaskStep::parse(&input.step).ok_or_else(|| {
        AppError::field(
            "step",
            "须为 start、submit、accept 或 send_back / start, submit, accept or send_back",
        )
    })?;
    let task = state.store.campaign_task(user.org_id(), id).await?;
    may_step(&state, &user, &task, step).await?;
    Ok(Json(
        json!({"task": state.store.campaign_task_step(user.org_id(), &user.0, id, step, &input.text).await?}),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreInput {
    pub criterion: String,
    pub score: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EvaluationInput {
    pub phase_id: i64,
    pub kind: String,
    #[serde(default)]
    pub by_unit_id: Option<i64>,
    pub of_unit_id: i64,
    #[serde(default)]
    pub scores: Vec<ScoreInput>,
    #[serde(default)]
    pub comment: String,
}

/// `POST /api/v1/campaigns/{id}/evaluations`: a unit's self- or peer
/// evaluation (by whoever keeps the evaluating unit), or a leader's comment.
pub async fn evaluate(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<EvaluationInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    user.require(Permission::ViewCampaigns)?;
    let kind = EvaluationKind::parse(&input.kind)
        .ok_or_else(|| AppError::field("kind", "须为 self、peer 或 leader / self, peer or leader"))?;
    let c = state.store.campaign(user.org_id(), id).await?;
    match kind {
        EvaluationKind::Leader if user.role() != Role::Leader => return Err(AppError::Forbidden),
        EvaluationKind::Leader => {}
        _ => {
            let reach = sight_reach(&state, &user, user.role().keeping_sight()).await?;
            if !input.by_unit_id.is_some_and(|u| reach.sees_unit(u)) && reach != Reach::All {
                return Err(AppError::Forbidden);
            }
        }
    }
    let rules = state.org_rules(&user).await?.rules;
    let criteria = rules.pack.campaign(&c.template).map(|t| t.criteria.clone()).unwrap_or_default();
    let scores: Vec<(String, i64)> = input.scores.iter().map(|s| (s.criterion.clone(), s.score)).collect();
    let by = if kind == EvaluationKind::Leader { None } else { input.by_unit_id };
    let total = campaigns::check_evaluation(kind, by, input.of_unit_id, &scores, &criteria)
        .map_err(AppError::from)?;
    // A leader's comment is its text; an evaluation's comment is optional.
    let comment = if input.comment.trim().is_empty() && kind != EvaluationKind::Leader {
        String::new()
    } else {
        chuangkou_domain::text::multiline("comment", &input.comment, 2000)
            .map_err(|e| AppError::from(vec![e]))?
    };
    let e = NewEvaluation {
        phase_id: input.phase_id,
        kind,
        by_unit_id: by,
        of_unit_id: input.of_unit_id,
        scores,
        total,
        comment,
    };
    let eid = state.store.evaluate_in_campaign(user.org_id(), &user.0, id, &e).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": eid, "total": total}))))
}

/// `GET /api/v1/campaigns/{id}/evaluations`: every evaluation and each
/// unit's campaign score — the mean of its peers' totals where it has any,
/// else its own.
pub async fn evaluations(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Value>> {
    user.require(Permission::ViewCampaigns)?;
    state.store.campaign(user.org_id(), id).await?;
    let rows = state.store.campaign_evaluations(user.org_id(), id).await?;
    let mut units: Vec<i64> = rows.iter().map(|e| e.of_unit_id).collect();
    units.sort();
    units.dedup();
    let scores: Vec<Value> = units
        .iter()
        .map(|u| {
            let of =
                |k: EvaluationKind| rows.iter().filter(move |e| e.of_unit_id == *u && e.kind == k.as_str());
            let peers: Vec<i64> = of(EvaluationKind::Peer).map(|e| e.total).collect();
            let own: Vec<i64> = of(EvaluationKind::SelfEvaluation).map(|e| e.total).collect();
            let peer = campaigns::unit_score(&[], &peers).filter(|_| !peers.is_empty());
            json!({"unit_id": u, "self": own.last(), "peer": peer, "score": campaigns::unit_score(&own, &peers)})
        })
        .collect();
    Ok(Json(json!({"evaluations": rows, "scores": scores})))
}

/// `POST /api/v1/campaigns/{id}/review`: the 回头看 review of a unit, as an
/// inspection: failed items become rectification orders.
pub async fn review(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<crate::api::inspections::InspectionInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    user.require(Permission::ManageCampaigns)?;
    user.require(Permission::RecordInspections)?;
    state.store.campaign(user.org_id(), id).await?;
    let rules = state.org_rules(&user).await?.rules;
    let at = super::shared::day_ms(rules, "date", input.date.as_deref(), state.store.now_ms())?;
    let mut n = crate::api::inspections::parse_inspection(&input, at)?;
    n.kind = chuangkou_domain::inspections::InspectionKind::Special;
    n.campaign_id = Some(id);
    let out = state.store.record_inspection(user.org_id(), rules, &user.0, &n).await?;
    Ok((StatusCode::CREATED, Json(json!(out))))
}

/// `GET /api/v1/campaigns/{id}/phases.svg`: the phases as bars on a time
/// line, today marked, each bar filled by its share of accepted tasks.
pub async fn phases_svg(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    user.require(Permission::ViewCampaigns)?;
    let svg = phase_bars(&state, &user, id).await?;
    Ok(([(CONTENT_TYPE, "image/svg+xml; charset=utf-8")], svg).into_response())
}

/// The phase bar chart of campaign `id` as SVG text.
pub async fn phase_bars(state: &AppState, user: &CurrentUser, id: i64) -> ApiResult<String> {
    let phases = state.store.campaign_phases(user.org_id(), id).await?;
    let tasks = state.store.campaign_tasks(user.org_id(), id).await?;
    let rules = state.org_rules(user).await?.rules;
    let today = rules.calendar.local_date(state.store.now_ms());
    Ok(crate::charts::phase_bars(&phases_with_share(&phases, &tasks), today))
}

/// Each phase with its dates and the share of its tasks accepted.
fn phases_with_share(
    phases: &[PhaseRow],
    tasks: &[TaskRow],
) -> Vec<(String, chrono::NaiveDate, chrono::NaiveDate, u32)> {
    phases
        .iter()
        .filter_map(|p| {
            let from = chuangkou_domain::policy::campaigns::date(&p.starts_on)?;
            let until = chuangkou_domain::policy::campaigns::date(&p.ends_on)?;
            Some((
                p.title.clone(),
                from,
                until,
                progress_of(tasks.iter().filter(|t| t.phase_id == p.id)).percent,
            ))
        })
        .collect()
}
