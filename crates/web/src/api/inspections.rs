//! The inspections API: plans, inspections with their items and photos,
//! rectification orders, and supervisors' written reports (SPEC INS-1..4).

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;

use crate::extract::ApiPath as Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chuangkou_domain::inspections::{
    InspectionKind, InspectionMode, ItemResult, RectificationStep, ReportOutcome, TargetKind,
};
use chuangkou_domain::{FieldError, Role, Sight, StaffId};
use chuangkou_store::inspections::{InspectionRow, NewInspection, NewItem, NewPlan};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, AppError};
use crate::extract::ApiJson;
use crate::ledger_access::{Reach, reach, sight_reach};

/// Whether `user` may see an inspection: the inspector, the office and
/// leaders, the unit's shift leader, the person inspected.
pub async fn may_see(state: &AppState, user: &CurrentUser, i: &InspectionRow) -> ApiResult<bool> {
    Ok(match user.role().inspection_sight() {
        Sight::Recorded => i.inspector_id == user.0.id,
        Sight::Themselves => user.0.staff_id.is_some() && i.staff_id == user.0.staff_id,
        Sight::Nothing => false,
        sight @ (Sight::Organisation | Sight::OwnUnits) => {
            i.inspector_id == user.0.id || sight_reach(state, user, sight).await?.sees_unit(i.unit_id)
        }
    })
}

/// The inspections a user may list.
pub async fn list_for(state: &AppState, user: &CurrentUser) -> ApiResult<Vec<InspectionRow>> {
    let org = user.org_id();
    Ok(match user.role().inspection_sight() {
        Sight::Recorded => state.store.inspections(org, Some(user.0.id), None).await?,
        Sight::Themselves | Sight::Nothing => return Err(AppError::Forbidden),
        sight @ (Sight::Organisation | Sight::OwnUnits) => {
            let units = sight_reach(state, user, sight).await?.unit_ids();
            state.store.inspections(org, None, units.as_deref()).await?
        }
    })
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PlanInput {
    pub title: String,
    pub kind: String,
    pub mode: String,
    pub checklist: Vec<String>,
    pub unit_id: Option<i64>,
}

pub async fn create_plan(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(p): ApiJson<PlanInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let rules = state.org_rules(&user).await?.rules;
    let plan = NewPlan {
        title: p.title,
        kind: InspectionKind::parse(&p.kind)
            .ok_or_else(|| AppError::field("kind", "须为 routine 或 special / routine or special"))?,
        mode: InspectionMode::parse(&p.mode)
            .ok_or_else(|| AppError::field("mode", "须为 open 或 secret / open or secret"))?,
        checklist: p.checklist,
        unit_id: p.unit_id,
    };
    let id = state.store.create_plan(user.org_id(), rules, &user.0, &plan).await?;
    Ok((StatusCode::CREATED, Json(json!({"plan": state.store.plan(user.org_id(), id).await?}))))
}

pub async fn list_plans(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    if !chuangkou_store::inspections::may_inspect(user.role()) {
        return Err(AppError::Forbidden);
    }
    Ok(Json(json!({"plans": state.store.plans(user.org_id()).await?})))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ItemInput {
    pub rule_code: String,
    pub result: String,
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct InspectionInput {
    pub plan_id: Option<i64>,
    pub kind: Option<String>,
    pub mode: Option<String>,
    pub target_kind: String,
    pub target_id: i64,
    pub staff_id: Option<StaffId>,
    /// `YYYY-MM-DD`; today when absent.
    pub date: Option<String>,
    #[serde(default)]
    pub summary: String,
    pub items: Vec<ItemInput>,
    /// The condition of the service point's facilities, as found.
    #[serde(default)]
    pub facilities: Vec<FacilityCheckInput>,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FacilityCheckInput {
    pub facility_id: i64,
    pub condition: String,
    #[serde(default)]
    pub note: String,
}

/// Checks an inspection as the API or a form describes it.
pub fn parse_inspection(i: &InspectionInput, visited_at: i64) -> ApiResult<NewInspection> {
    let mut errors = vec![];
    let kind = InspectionKind::parse(i.kind.as_deref().unwrap_or("routine"));
    if kind.is_none() {
        errors.push(FieldError::new("kind", "须为 routine 或 special / routine or special"));
    }
    let mode = InspectionMode::parse(i.mode.as_deref().unwrap_or("open"));
    if mode.is_none() {
        errors.push(FieldError::new("mode", "须为 open 或 secret / open or secret"));
    }
    let target_kind = TargetKind::parse(&i.target_kind);
    if target_kind.is_none() {
        errors.push(FieldError::new("target_kind", "未知检查对象类型 / unknown kind of target"));
    }
    let mut items = vec![];
    for (n, it) in i.items.iter().enumerate() {
        match ItemResult::parse(&it.result) {
            Some(result) => items.push(NewItem {
                rule_code: it.rule_code.clone(),
                result,
                note: it.note.clone(),
                photos: vec![],
            }),
            None => errors.push(FieldError::new(
                format!("items[{n}].result"),
                "须为 pass、fail 或 na / pass, fail or na",
            )),
        }
    }
    let mut facilities = vec![];
    for (n, f) in i.facilities.iter().enumerate() {
        match chuangkou_domain::duty::Condition::parse(&f.condition) {
            Some(condition) => facilities.push(chuangkou_store::duty::FacilityCheck {
                facility_id: f.facility_id,
                condition,
                note: f.note.clone(),
            }),
            None => errors.push(FieldError::new(
                format!("facilities[{n}].condition"),
                "须为 good、worn、broken 或 missing / good, worn, broken or missing",
            )),
        }
    }
    match (kind, mode, target_kind) {
        (Some(kind), Some(mode), Some(target_kind)) if errors.is_empty() => Ok(NewInspection {
            plan_id: i.plan_id,
            kind,
            mode,
            target_kind,
            target_id: i.target_id,
            staff_id: i.staff_id,
            visited_at,
            summary: i.summary.clone(),
            items,
            facilities,
            campaign_id: None,
        }),
        _ => Err(AppError::Validation(errors)),
    }
}

pub async fn record(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(i): ApiJson<InspectionInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let rules = state.org_rules(&user).await?.rules;
    let at = super::shared::day_ms(rules, "date", i.date.as_deref(), state.store.now_ms())?;
    let n = parse_inspection(&i, at)?;
    let out = state.store.record_inspection(user.org_id(), rules, &user.0, &n).await?;
    Ok((StatusCode::CREATED, Json(json!(out))))
}

pub async fn list(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"inspections": list_for(&state, &user).await?})))
}

pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let (row, items, photos) = state.store.inspection(user.org_id(), id).await?;
    if !may_see(&state, &user, &row).await? {
        return Err(AppError::NotFound);
    }
    Ok(Json(json!({"inspection": row, "items": items, "photos": photos})))
}

pub async fn add_photo(
    State(state): State<AppState>,
    user: CurrentUser,
    Path((id, item)): Path<(i64, i64)>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    // Who may add it is settled before a byte of the image is decoded.
    let (row, items, _) = state.store.inspection(user.org_id(), id).await?;
    if !may_see(&state, &user, &row).await? || !items.iter().any(|i| i.id == item) {
        return Err(AppError::NotFound);
    }
    if row.inspector_id != user.0.id {
        return Err(AppError::Refused("只有检查人可以补充照片 / only the inspector may add photos".into()));
    }
    let photo = crate::photos::process(body.to_vec()).await?;
    let pid = state.store.add_photo(user.org_id(), &user.0, id, item, &photo).await?;
    Ok((StatusCode::CREATED, Json(json!({"id": pid, "width": photo.width, "height": photo.height}))))
}

/// Serves a photo to those who may see its inspection, with headers that
/// keep a browser from treating it as anything but an image.
pub async fn serve_photo(state: &AppState, user: &CurrentUser, id: i64, thumb: bool) -> ApiResult<Response> {
    let (ct, bytes, inspection) = state.store.photo(user.org_id(), id, thumb).await?;
    let (row, ..) = state.store.inspection(user.org_id(), inspection).await?;
    if !may_see(state, user, &row).await? {
        return Err(AppError::NotFound);
    }
    Ok(photo_response(id, &ct, bytes, thumb))
}

/// A stored photo as an answer: never run as a page, kept privately by
/// the browser; a thumbnail shows in a page, a full photo downloads.
pub fn photo_response(id: i64, ct: &str, bytes: Vec<u8>, thumb: bool) -> Response {
    let ct = if ct == "image/png" { "image/png" } else { "image/jpeg" };
    let mut res = (StatusCode::OK, bytes).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(ct));
    h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static("default-src 'none'; sandbox"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("private, max-age=3600"));
    // Thumbnails show in pages; a full photo is a download, never a page.
    let disposition =
        if thumb { "inline".to_string() } else { format!("attachment; filename=\"photo-{id}.jpg\"") };
    h.insert(header::CONTENT_DISPOSITION, HeaderValue::from_str(&disposition).expect("ASCII"));
    res
}

pub async fn photo(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    serve_photo(&state, &user, id, false).await
}

pub async fn thumb(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> ApiResult<Response> {
    serve_photo(&state, &user, id, true).await
}

/// The rectification orders a user may see: the unit's, the inspector's own.
pub async fn rectifications_for(
    state: &AppState,
    user: &CurrentUser,
    open_only: bool,
) -> ApiResult<Vec<chuangkou_store::inspections::RectificationRow>> {
    let org = user.org_id();
    Ok(match (user.role(), reach(state, user).await?) {
        (Role::Supervisor, _) => state
            .store
            .rectifications(org, None, open_only)
            .await?
            .into_iter()
            .filter(|r| r.inspector_id == user.0.id)
            .collect(),
        (Role::Staff | Role::Finance, _) | (_, Reach::Nothing | Reach::Own(_)) => {
            return Err(AppError::Forbidden);
        }
        (_, r) => state.store.rectifications(org, r.unit_ids().as_deref(), open_only).await?,
    })
}

pub async fn rectifications(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"rectifications": rectifications_for(&state, &user, false).await?})))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct StepInput {
    pub step: String,
    #[serde(default)]
    pub note: String,
}

pub async fn step_for(state: &AppState, user: &CurrentUser, id: i64, s: &StepInput) -> ApiResult<Value> {
    let visible = rectifications_for(state, user, false).await?.into_iter().any(|r| r.id == id);
    if !visible {
        return Err(AppError::NotFound);
    }
    let step = match s.step.as_str() {
        "report" => RectificationStep::Report,
        "accept" => RectificationStep::Accept,
        "reject" => RectificationStep::Reject,
        _ => return Err(AppError::field("step", "须为 report、accept 或 reject / report, accept or reject")),
    };
    let r = state.store.rectification_step(user.org_id(), &user.0, id, step, &s.note).await?;
    Ok(json!({"rectification": r}))
}

pub async fn rectification_step(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(s): ApiJson<StepInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(step_for(&state, &user, id, &s).await?))
}

/// Written reports: supervisors see their own; the office and leaders all.
pub async fn reports_for(
    state: &AppState,
    user: &CurrentUser,
) -> ApiResult<Vec<chuangkou_store::inspections::ReportRow>> {
    match user.role().report_sight() {
        Sight::Recorded => Ok(state.store.reports(user.org_id(), Some(user.0.id)).await?),
        Sight::Organisation => Ok(state.store.reports(user.org_id(), None).await?),
        _ => Err(AppError::Forbidden),
    }
}

pub async fn list_reports(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"reports": reports_for(&state, &user).await?})))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ReportInput {
    pub unit_id: Option<i64>,
    pub title: String,
    pub findings: String,
    #[serde(default)]
    pub proposals: String,
}

pub async fn submit_report(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(r): ApiJson<ReportInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = state
        .store
        .submit_report(user.org_id(), &user.0, r.unit_id, &r.title, &r.findings, &r.proposals)
        .await?;
    Ok((StatusCode::CREATED, Json(json!({"id": id}))))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ReportDecisionInput {
    pub outcome: String,
    #[serde(default)]
    pub decision: String,
}

pub async fn decide_report(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(d): ApiJson<ReportDecisionInput>,
) -> ApiResult<Json<Value>> {
    let outcome = ReportOutcome::parse(&d.outcome).ok_or_else(|| {
        AppError::field("outcome", "须为 adopted、partly 或 not_adopted / adopted, partly or not_adopted")
    })?;
    state.store.decide_report(user.org_id(), &user.0, id, outcome, &d.decision).await?;
    Ok(Json(json!({"id": id, "outcome": outcome.as_str()})))
}
