//! Inspections in the console (SPEC INS): the list and plans, a phone-first
//! form that records a whole inspection with photos in one post, the
//! inspection page, rectification orders, and written reports.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chuangkou_domain::inspections::{
    InspectionKind, InspectionMode, ItemResult, RectificationState, ReportOutcome, TargetKind,
};
use chuangkou_domain::{Permission, Sight};
use chuangkou_store::inspections::NewPlan;
use serde::Deserialize;

use super::console::format_time;
use super::{Chrome, PageResult, render};
use crate::AppState;
use crate::api::inspections::{
    InspectionInput, StepInput, list_for, may_see, parse_inspection, rectifications_for, reports_for,
    serve_photo, step_for,
};
use crate::api::shared::day_ms;
use crate::auth::PageUser;
use crate::csrf::CsrfForm;
use crate::csrf::CsrfToken;
use crate::error::AppError;
use crate::i18n::Tr;

/// A whole inspection with its photos may be large.
const FORM_LIMIT: usize = 40 * 1024 * 1024;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/inspections", get(list).post(record).layer(DefaultBodyLimit::max(FORM_LIMIT)))
        .route("/console/inspections/new", get(new_page))
        .route("/console/inspections/plans", post(create_plan))
        .route("/console/inspections/{id}", get(page))
        .route("/console/photos/{id}", get(photo))
        .route("/console/photos/{id}/thumb", get(thumb))
        .route("/console/rectifications", get(rectifications))
        .route("/console/rectifications/{id}/act", post(rectification_act))
        .route("/console/reports", get(reports).post(submit_report))
        .route("/console/reports/{id}/decision", post(decide_report))
}

pub struct Row {
    pub id: i64,
    pub date: String,
    pub kind: String,
    pub mode: String,
    pub target: String,
    pub inspector: String,
    pub failed: i64,
}

#[derive(Template)]
#[template(path = "inspections.html")]
struct ListPage {
    c: Chrome,
    rows: Vec<Row>,
    plans: Vec<(i64, String, String)>,
    can_plan: bool,
    codebook: Vec<(String, String)>,
    kinds: Vec<(String, String)>,
    modes: Vec<(String, String)>,
}

async fn list(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
) -> PageResult {
    let rows = list_for(&state, &user)
        .await?
        .into_iter()
        .map(|i| Row {
            id: i.id,
            date: format_time(i.visited_at).chars().take(10).collect(),
            kind: InspectionKind::parse(&i.kind).map_or(i.kind.clone(), |k| tr.label(k).into()),
            mode: InspectionMode::parse(&i.mode).map_or(i.mode.clone(), |k| tr.label(k).into()),
            target: match &i.staff_name {
                Some(s) => format!("{} · {s}", i.unit_name),
                None => i.unit_name.clone(),
            },
            inspector: i.inspector_name,
            failed: i.failed,
        })
        .collect();
    let rules = state.org_rules(&user).await?.rules;
    let plans = state
        .store
        .plans(user.org_id())
        .await?
        .into_iter()
        .map(|p| {
            let mode = InspectionMode::parse(&p.mode).map_or("", |m| tr.label(m));
            (p.id, p.title, mode.to_string())
        })
        .collect();
    Ok(render(&ListPage {
        rows,
        plans,
        can_plan: user.can(Permission::PlanInspections),
        codebook: rules
            .pack
            .codebook
            .iter()
            .map(|r| (r.code.clone(), format!("{} {}", r.code, r.title)))
            .collect(),
        kinds: tr.choices(InspectionKind::ALL),
        modes: tr.choices(InspectionMode::ALL),
        c: Chrome::for_user(&state, tr, csrf, &user, "inspections").await?,
    }))
}

async fn create_plan(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    // A multi-select posts `checklist` once per chosen item.
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> PageResult {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    let rules = state.org_rules(&user).await?.rules;
    let plan = NewPlan {
        title: get("title"),
        kind: InspectionKind::parse(&get("kind")).unwrap_or(InspectionKind::Routine),
        mode: InspectionMode::parse(&get("mode")).unwrap_or(InspectionMode::Open),
        checklist: pairs.iter().filter(|(n, _)| n == "checklist").map(|(_, v)| v.clone()).collect(),
        unit_id: None,
    };
    let id = state.store.create_plan(user.org_id(), rules, &user.0, &plan).await?;
    Ok(Redirect::to(&format!("/console/inspections/new?plan={id}")).into_response())
}

#[derive(Template)]
#[template(path = "inspection_new.html")]
struct NewPage {
    c: Chrome,
    plan: Option<(i64, String)>,
    kind: String,
    mode: String,
    kinds: Vec<(String, String)>,
    modes: Vec<(String, String)>,
    targets: Vec<(String, String)>,
    /// The staff picker's groups, by unit.
    staff: Vec<super::StaffGroup>,
    items: Vec<(String, String, String)>,
    today: String,
    /// The target chosen beforehand (`service_point:ID`), if any.
    target: String,
    /// That service point's facilities in use, to record their condition.
    facilities: Vec<chuangkou_store::duty::FacilityRow>,
    conditions: Vec<(String, String)>,
}

#[derive(Deserialize, Default)]
struct NewQuery {
    plan: Option<i64>,
    /// A service point: chosen as the target, its facilities listed.
    point: Option<i64>,
}

async fn new_page(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Query(q): Query<NewQuery>,
) -> PageResult {
    if !chuangkou_store::inspections::may_inspect(user.role()) {
        return Err(AppError::Forbidden.into());
    }
    let org = user.org_id();
    let rules = state.org_rules(&user).await?.rules;
    let plan = match q.plan {
        Some(id) => Some(state.store.plan(org, id).await?),
        None => None,
    };
    let chosen: Option<Vec<&str>> = plan.as_ref().map(|p| p.checklist.split(',').collect());
    let items = rules
        .pack
        .codebook
        .iter()
        .filter(|r| chosen.as_ref().is_none_or(|c| c.contains(&r.code.as_str())))
        .map(|r| (r.code.clone(), r.title.clone(), r.category.clone()))
        .collect();
    // Names of places and people to pick the target from: a supervisor needs
    // them to record a visit, and sees nothing else of the roster.
    let mut targets = vec![];
    for u in state.store.units(org).await? {
        targets.push((format!("unit:{}", u.id), format!("{} · {}", tr.label(TargetKind::Unit), u.name)));
    }
    for p in state.store.service_points(org).await? {
        targets.push((
            format!("service_point:{}", p.id),
            format!("{} · {} {}", tr.label(TargetKind::ServicePoint), p.unit_name, p.name),
        ));
    }
    for v in state.store.vehicles(org).await? {
        targets
            .push((format!("vehicle:{}", v.id), format!("{} · {}", tr.label(TargetKind::Vehicle), v.plate)));
    }
    let staff = super::staff_groups(&state, org, None).await?;
    let facilities = match q.point {
        Some(p) => state.store.facilities(org, Some(p)).await?,
        None => vec![],
    };
    Ok(render(&NewPage {
        target: q.point.map(|p| format!("service_point:{p}")).unwrap_or_default(),
        facilities,
        conditions: tr.choices(chuangkou_domain::duty::Condition::ALL),
        kind: plan.as_ref().map_or("routine".into(), |p| p.kind.clone()),
        mode: plan.as_ref().map_or(
            if user.role().inspection_sight() == Sight::Recorded { "secret" } else { "open" }.into(),
            |p| p.mode.clone(),
        ),
        plan: plan.map(|p| (p.id, p.title)),
        kinds: tr.choices(InspectionKind::ALL),
        modes: tr.choices(InspectionMode::ALL),
        targets,
        staff,
        items,
        today: rules.calendar.local_date(state.store.now_ms()).to_string(),
        c: Chrome::for_user(&state, tr, csrf, &user, "inspections").await?,
    }))
}

/// Records an inspection from the multipart form: `result_<code>`,
/// `note_<code>` and any number of `photo_<code>` files per item.
async fn record(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageUser(user): PageUser,
    multipart: Multipart,
) -> PageResult {
    // Who may record is settled before the upload is read, let alone decoded.
    user.require(Permission::RecordInspections)?;
    let up = super::Upload::read_form(&headers, multipart).await?;
    let fields = &up.fields;
    let get = |k: &str| fields.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let (target_kind, target_id) = get("target")
        .split_once(':')
        .and_then(|(k, id)| Some((k.to_string(), id.parse::<i64>().ok()?)))
        .ok_or_else(|| {
            AppError::Validation(vec![chuangkou_domain::FieldError::new(
                "target",
                "请选择检查对象 / choose what was inspected",
            )])
        })?;
    let mut codes: Vec<&String> = fields.keys().filter(|k| k.starts_with("result_")).collect();
    codes.sort();
    let items = codes
        .into_iter()
        .filter(|k| !fields[*k].is_empty())
        .map(|k| {
            let code = k.trim_start_matches("result_");
            crate::api::inspections::ItemInput {
                rule_code: code.to_string(),
                result: fields[k].clone(),
                note: get(&format!("note_{code}")),
            }
        })
        .collect();
    let input = InspectionInput {
        plan_id: get("plan_id").parse().ok(),
        kind: Some(get("kind")),
        mode: Some(get("mode")),
        target_kind,
        target_id,
        staff_id: get("staff_id").parse().ok(),
        date: Some(get("date")),
        summary: get("summary"),
        items,
        facilities: fields
            .iter()
            .filter(|(k, v)| k.starts_with("facility_") && !v.is_empty())
            .filter_map(|(k, v)| {
                Some(crate::api::inspections::FacilityCheckInput {
                    facility_id: k.trim_start_matches("facility_").parse().ok()?,
                    condition: v.clone(),
                    note: String::new(),
                })
            })
            .collect(),
    };
    let rules = state.org_rules(&user).await?.rules;
    let at = day_ms(rules, "date", input.date.as_deref(), state.store.now_ms())?;
    let mut n = parse_inspection(&input, at)?;
    for item in &mut n.items {
        let field = format!("photo_{}", item.rule_code);
        for (_, _, bytes) in up.files.iter().filter(|f| f.0 == field) {
            item.photos.push(crate::photos::process(bytes.clone()).await?);
        }
    }
    let out = state.store.record_inspection(user.org_id(), rules, &user.0, &n).await?;
    Ok(Redirect::to(&format!("/console/inspections/{}", out.id)).into_response())
}

#[derive(Template)]
#[template(path = "inspection.html")]
struct InspectionPage {
    c: Chrome,
    id: i64,
    date: String,
    kind: String,
    mode: String,
    target: String,
    inspector: String,
    summary: String,
    items: Vec<(String, String, String, String, Vec<i64>)>,
}

async fn page(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    let (row, items, photos) = state.store.inspection(user.org_id(), id).await?;
    if !may_see(&state, &user, &row).await? {
        return Err(AppError::NotFound.into());
    }
    let rules = state.org_rules(&user).await?.rules;
    let items = items
        .into_iter()
        .map(|it| {
            let title = rules.pack.codebook_rule(&it.rule_code).map_or(String::new(), |r| r.title.clone());
            let result = ItemResult::parse(&it.result).map_or(it.result.clone(), |r| tr.label(r).to_string());
            let pics = photos.iter().filter(|p| p.item_id == Some(it.id)).map(|p| p.id).collect();
            (format!("{} {title}", it.rule_code), it.result, result, it.note, pics)
        })
        .collect();
    Ok(render(&InspectionPage {
        id,
        date: format_time(row.visited_at).chars().take(10).collect(),
        kind: InspectionKind::parse(&row.kind).map_or(row.kind.clone(), |k| tr.label(k).into()),
        mode: InspectionMode::parse(&row.mode).map_or(row.mode.clone(), |k| tr.label(k).into()),
        target: match &row.staff_name {
            Some(s) => format!("{} · {s}", row.unit_name),
            None => row.unit_name.clone(),
        },
        inspector: row.inspector_name,
        summary: row.summary,
        items,
        c: Chrome::for_user(&state, tr, csrf, &user, "inspections").await?,
    }))
}

async fn photo(State(state): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>) -> Response {
    serve_photo(&state, &user, id, false).await.unwrap_or_else(IntoResponse::into_response)
}

async fn thumb(State(state): State<AppState>, PageUser(user): PageUser, Path(id): Path<i64>) -> Response {
    serve_photo(&state, &user, id, true).await.unwrap_or_else(IntoResponse::into_response)
}

/// id, inspection, unit, problem, due, state, overdue, notes, may report, may verify.
type RectLine = (i64, i64, String, String, String, String, bool, String, bool, bool);

#[derive(Template)]
#[template(path = "rectifications.html")]
struct RectPage {
    c: Chrome,
    rows: Vec<RectLine>,
}

async fn rectifications(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
) -> PageResult {
    let list = rectifications_for(&state, &user, false).await?;
    let reporter = user.can(Permission::ReportRectification);
    let rows = list
        .into_iter()
        .map(|r| {
            let st = RectificationState::parse(&r.state).unwrap_or(RectificationState::Open);
            let verifier = r.inspector_id == user.0.id || user.can(Permission::VerifyRectification);
            let notes = [r.report_note.clone(), r.verify_note.clone()]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" / ");
            (
                r.id,
                r.inspection_id,
                r.unit_name,
                r.description,
                format_time(r.due_at),
                tr.label(st).to_string(),
                r.overdue,
                notes,
                reporter && st == RectificationState::Open,
                verifier && st == RectificationState::Reported,
            )
        })
        .collect();
    Ok(render(&RectPage { rows, c: Chrome::for_user(&state, tr, csrf, &user, "inspections").await? }))
}

async fn rectification_act(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> PageResult {
    let s = StepInput {
        step: form.get("step").cloned().unwrap_or_default(),
        note: form.get("note").cloned().unwrap_or_default(),
    };
    step_for(&state, &user, id, &s).await?;
    Ok(Redirect::to("/console/rectifications").into_response())
}

#[derive(Template)]
#[template(path = "reports.html")]
struct ReportsPage {
    c: Chrome,
    rows: Vec<chuangkou_store::inspections::ReportRow>,
    outcomes: Vec<(String, String)>,
    can_submit: bool,
    can_decide: bool,
    units: Vec<(i64, String)>,
}

impl ReportsPage {
    fn outcome(&self, code: &Option<String>) -> String {
        code.as_deref()
            .and_then(ReportOutcome::parse)
            .map_or(String::new(), |o| format!("{} / {}", o.label_zh(), o.label_en()))
    }

    fn when(&self, ms: &i64) -> String {
        format_time(*ms)
    }
}

async fn reports(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
) -> PageResult {
    let rows = reports_for(&state, &user).await?;
    let units = state.store.units(user.org_id()).await?.into_iter().map(|u| (u.id, u.name)).collect();
    Ok(render(&ReportsPage {
        rows,
        outcomes: tr.choices(ReportOutcome::ALL),
        can_submit: user.can(Permission::SubmitReports),
        can_decide: user.can(Permission::DecideReports),
        units,
        c: Chrome::for_user(&state, tr, csrf, &user, "reports").await?,
    }))
}

async fn submit_report(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> PageResult {
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let unit = get("unit_id").parse().ok();
    state
        .store
        .submit_report(user.org_id(), &user.0, unit, &get("title"), &get("findings"), &get("proposals"))
        .await?;
    Ok(Redirect::to("/console/reports").into_response())
}

async fn decide_report(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> PageResult {
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let outcome = ReportOutcome::parse(&get("outcome"))
        .ok_or_else(|| AppError::bad_request("bad_form", "请选择决定 / choose an outcome"))?;
    state.store.decide_report(user.org_id(), &user.0, id, outcome, &get("decision")).await?;
    Ok(Redirect::to("/console/reports").into_response())
}
