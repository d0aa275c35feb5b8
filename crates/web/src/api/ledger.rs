//! The ledger API: facts, entries and their decisions, appeals, the fines
//! register and its export, award eligibility, attendance imports and the
//! codebook.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;

use crate::extract::ApiPath as Path;
use axum::http::StatusCode;
use chrono::Datelike;
use chuangkou_domain::ledger::{
    AppealOutcome, AttendanceKind, EntryKind, EntryStatus, FactKind, GoodDeedKind, parse_attendance,
};
use chuangkou_domain::{CaseId, Fen, Labelled, Permission, StaffId};
use chuangkou_store::ledger::{EntryDecision, EntryFilter, NewEntry, NewFact, Proposer};
use serde::Deserialize;
use serde_json::{Value, json};

use super::shared::{FileQuery, ReasonInput, day_ms};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, AppError};
use crate::extract::{ApiJson, ApiQuery};
use crate::ledger_access::{Reach, reach, visible_entry};

/// Office, leaders and admins record facts and propose entries.
pub fn may_record(user: &CurrentUser) -> bool {
    user.can(Permission::RecordLedger)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FactInput {
    pub kind: String,
    pub staff_id: Option<StaffId>,
    pub unit_id: Option<i64>,
    pub rule_code: Option<String>,
    pub detail: Option<String>,
    /// `YYYY-MM-DD`; today when absent.
    pub date: Option<String>,
    #[serde(default)]
    pub note: String,
    pub case_id: Option<CaseId>,
}

pub async fn record_fact_for(state: &AppState, user: &CurrentUser, input: &FactInput) -> ApiResult<Value> {
    if !may_record(user) {
        return Err(AppError::Forbidden);
    }
    let rules = state.org_rules(user).await?.rules;
    let kind = FactKind::parse(&input.kind)
        .ok_or_else(|| AppError::field("kind", "未知事实类型 / unknown kind of fact"))?;
    let detail = match input.detail.as_deref().filter(|d| !d.is_empty()) {
        Some(d) => Some(
            AttendanceKind::parse(d)
                .ok_or_else(|| AppError::field("detail", "未知考勤类型 / unknown attendance kind"))?,
        ),
        None => None,
    };
    if let Some(case) = input.case_id {
        state
            .store
            .case(user.org_id(), case)
            .await
            .map_err(|_| AppError::field("case_id", "案件不存在 / no such case"))?;
    }
    let mut f = NewFact::new(
        kind,
        input.staff_id,
        day_ms(rules, "date", input.date.as_deref(), state.store.now_ms())?,
    );
    f.unit_id = input.unit_id;
    f.rule_code = input.rule_code.clone().filter(|r| !r.trim().is_empty());
    f.detail = detail;
    f.note = input.note.clone();
    f.case_id = input.case_id;
    let out = state.store.record_fact(user.org_id(), rules, &Proposer::user(&user.0), &f).await?;
    Ok(json!(out))
}

pub async fn record_fact(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<FactInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    Ok((StatusCode::CREATED, Json(record_fact_for(&state, &user, &input).await?)))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct EntriesQuery {
    pub staff_id: Option<StaffId>,
    pub status: Option<String>,
    pub year: Option<i32>,
    pub before: Option<i64>,
    pub limit: Option<i64>,
}

/// The entry filter for a user's reach and a query.
pub async fn entry_filter(state: &AppState, user: &CurrentUser, q: &EntriesQuery) -> ApiResult<EntryFilter> {
    let r = reach(state, user).await?;
    let mut f = EntryFilter {
        staff_id: q.staff_id,
        before: q.before,
        limit: q.limit.unwrap_or(100),
        ..Default::default()
    };
    match r {
        Reach::Nothing => return Err(AppError::Forbidden),
        Reach::Own(me) => f.staff_id = Some(me.unwrap_or(chuangkou_domain::StaffId::new(-1))),
        Reach::Units(u) => f.unit_ids = Some(u),
        Reach::All => {}
    }
    if let Some(s) = q.status.as_deref().filter(|s| !s.is_empty()) {
        f.status = Some(
            EntryStatus::parse(s).ok_or_else(|| AppError::field("status", "未知状态 / unknown status"))?,
        );
    }
    if let Some(y) = q.year {
        let y = year_in_range(y)?;
        let rules = state.org_rules(user).await?.rules;
        let (start, end) = chuangkou_domain::ledger::year_bounds(rules.calendar, y);
        (f.since, f.until) = (Some(start), Some(end));
    }
    Ok(f)
}

pub async fn list_entries(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<EntriesQuery>,
) -> ApiResult<Json<Value>> {
    let f = entry_filter(&state, &user, &q).await?;
    let rows = state.store.entries(user.org_id(), &f).await?;
    let next = (rows.len() as i64 == f.limit).then(|| rows.last().map(|e| e.id)).flatten();
    Ok(Json(json!({"entries": rows, "next_before": next})))
}

pub async fn get_entry(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
) -> ApiResult<Json<Value>> {
    let e = visible_entry(&state, &user, id).await?;
    let facts = state.store.facts_of(user.org_id(), &e).await?;
    let history = state.store.history(user.org_id(), "ledger_entry", id).await?;
    Ok(Json(json!({"entry": e, "facts": facts, "history": history})))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct EntryInput {
    pub kind: String,
    pub staff_id: Option<StaffId>,
    pub unit_id: Option<i64>,
    /// Yuan, for fines.
    pub amount: Option<String>,
    pub date: Option<String>,
    #[serde(default)]
    pub note: String,
    /// Good deeds: lost_property, helping, bravery …
    pub deed: Option<String>,
    /// … the item returned and its value in yuan.
    pub item: Option<String>,
    pub item_value: Option<String>,
}

pub async fn propose_for(state: &AppState, user: &CurrentUser, input: &EntryInput) -> ApiResult<i64> {
    let rules = state.org_rules(user).await?.rules;
    let kind = EntryKind::parse(&input.kind)
        .ok_or_else(|| AppError::field("kind", "未知条目类型 / unknown kind"))?;
    let yuan = |name: &str, v: &Option<String>| -> ApiResult<Option<Fen>> {
        match v.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
            None => Ok(None),
            Some(v) => Fen::parse_yuan(v)
                .map(Some)
                .ok_or_else(|| AppError::field(name, "金额须为元，如 200 或 200.50 / an amount in yuan")),
        }
    };
    let detail = if kind == EntryKind::GoodDeed {
        let deed = input
            .deed
            .as_deref()
            .and_then(GoodDeedKind::parse)
            .ok_or_else(|| AppError::field("deed", "请选择好人好事类型 / choose the kind of deed"))?;
        Some(json!({"deed": deed.as_str(), "item": input.item.as_deref().map(str::trim).unwrap_or(""),
            "value_fen": yuan("item_value", &input.item_value)?}))
    } else {
        None
    };
    let e = NewEntry {
        kind,
        staff_id: input.staff_id,
        unit_id: input.unit_id,
        amount: yuan("amount", &input.amount)?,
        occurred_at: day_ms(rules, "date", input.date.as_deref(), state.store.now_ms())?,
        note: input.note.clone(),
        detail,
    };
    Ok(state.store.propose_entry(user.org_id(), rules, &user.0, &e).await?)
}

pub async fn propose(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<EntryInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = propose_for(&state, &user, &input).await?;
    Ok((StatusCode::CREATED, Json(json!({"entry": state.store.entry(user.org_id(), id).await?}))))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DecisionInput {
    pub approve: bool,
    pub kind: Option<String>,
    /// Yuan, within the proposed range.
    pub amount: Option<String>,
    #[serde(default)]
    pub note: String,
}

pub async fn decide_for(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    d: &DecisionInput,
) -> ApiResult<Value> {
    visible_entry(state, user, id).await?;
    let rules = state.org_rules(user).await?.rules;
    let kind = match d.kind.as_deref().filter(|k| !k.is_empty()) {
        Some(k) => {
            Some(EntryKind::parse(k).ok_or_else(|| AppError::field("kind", "未知条目类型 / unknown kind"))?)
        }
        None => None,
    };
    let amount = match d.amount.as_deref().map(str::trim).filter(|a| !a.is_empty()) {
        Some(a) => Some(
            Fen::parse_yuan(a)
                .ok_or_else(|| AppError::field("amount", "金额须为元，如 300 / an amount in yuan"))?,
        ),
        None => None,
    };
    let decision = EntryDecision { approve: d.approve, kind, amount, note: d.note.clone() };
    let e = state.store.decide_entry(user.org_id(), rules, &user.0, id, &decision).await?;
    Ok(json!({"entry": e}))
}

pub async fn decide(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(d): ApiJson<DecisionInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(decide_for(&state, &user, id, &d).await?))
}

pub async fn reverse(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(r): ApiJson<ReasonInput>,
) -> ApiResult<Json<Value>> {
    visible_entry(&state, &user, id).await?;
    let rules = state.org_rules(&user).await?.rules;
    let e = state.store.reverse_entry(user.org_id(), rules, &user.0, id, &r.reason).await?;
    Ok(Json(json!({"entry": e})))
}

pub async fn appeal(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(r): ApiJson<ReasonInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    visible_entry(&state, &user, id).await?;
    let rules = state.org_rules(&user).await?.rules;
    let e = state.store.appeal(user.org_id(), rules, &user.0, id, &r.reason).await?;
    Ok((StatusCode::CREATED, Json(json!({"entry": e}))))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AppealDecisionInput {
    pub outcome: String,
    #[serde(default)]
    pub decision: String,
}

pub async fn decide_appeal_for(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    d: &AppealDecisionInput,
) -> ApiResult<Value> {
    visible_entry(state, user, id).await?;
    let rules = state.org_rules(user).await?.rules;
    let outcome = AppealOutcome::parse(&d.outcome)
        .ok_or_else(|| AppError::field("outcome", "须为 upheld 或 granted / upheld or granted"))?;
    let e = state.store.decide_appeal(user.org_id(), rules, &user.0, id, outcome, &d.decision).await?;
    Ok(json!({"entry": e}))
}

pub async fn decide_appeal(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(d): ApiJson<AppealDecisionInput>,
) -> ApiResult<Json<Value>> {
    Ok(Json(decide_appeal_for(&state, &user, id, &d).await?))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct YearQuery {
    pub year: Option<i32>,
}

/// A year a register can hold: 2000 to 2100 (the calendar's own range is
/// far wider, and a year like 2111750 has no 1 January to count from).
pub fn year_in_range(y: i32) -> ApiResult<i32> {
    if (2000..=2100).contains(&y) {
        Ok(y)
    } else {
        Err(AppError::field("year", "年份须在 2000–2100 之间 / the year must be 2000 to 2100"))
    }
}

pub async fn eligibility_for(
    state: &AppState,
    user: &CurrentUser,
    year: Option<i32>,
) -> ApiResult<(i32, Vec<chuangkou_store::ledger::Eligibility>)> {
    let r = reach(state, user).await?;
    if matches!(r, Reach::Nothing | Reach::Own(_)) || !user.can(Permission::ViewEligibility) {
        return Err(AppError::Forbidden);
    }
    let rules = state.org_rules(user).await?.rules;
    let year = match year {
        Some(y) => year_in_range(y)?,
        None => rules.calendar.local_date(state.store.now_ms()).year(),
    };
    let units = r.unit_ids();
    Ok((year, state.store.eligibility(user.org_id(), rules, year, units.as_deref()).await?))
}

pub async fn eligibility(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<Json<Value>> {
    let (year, rows) = eligibility_for(&state, &user, q.year).await?;
    Ok(Json(json!({"year": year, "staff": rows})))
}

/// Imports attendance facts from `.xlsx`/`.csv`, all or nothing, with a
/// report of every bad row (SPEC LED-5).
pub async fn import_attendance_for(
    state: &AppState,
    user: &CurrentUser,
    bytes: Vec<u8>,
    file_name: String,
) -> ApiResult<Value> {
    if !may_record(user) {
        return Err(AppError::Forbidden);
    }
    let sheets = tokio::task::spawn_blocking(move || chuangkou_tabular::read(&bytes, &file_name))
        .await?
        .map_err(|e| AppError::bad_request("unreadable_file", e.to_string()))?;
    let sheet = sheets.first().ok_or_else(|| {
        AppError::bad_request("unreadable_file", "文件中没有工作表 / the file has no sheet")
    })?;
    let (rows, mut errors) = parse_attendance(&sheet.name, &sheet.rows);
    let rules = state.org_rules(user).await?.rules;
    let known = state.store.staff_ids_by_number(user.org_id()).await?;
    let mut facts = vec![];
    for r in &rows {
        match known.get(&r.employee_no) {
            None => errors.push(chuangkou_domain::roster::ImportError {
                sheet: sheet.name.clone(),
                row: r.row,
                column: "工号".into(),
                reason: format!("工号 {} 不存在 / unknown employee number", r.employee_no),
            }),
            Some(id) => {
                let mut f = NewFact::new(
                    FactKind::Attendance,
                    Some(*id),
                    rules.calendar.start_of_day_ms(r.date) + 12 * 3_600_000,
                );
                f.detail = Some(r.kind);
                f.note = r.note.clone();
                facts.push(f);
            }
        }
    }
    if !errors.is_empty() {
        errors.sort_by_key(|e| e.row);
        return Ok(json!({"applied": false, "facts": 0, "proposed": 0, "errors": errors}));
    }
    let out = state.store.record_facts(user.org_id(), rules, &Proposer::user(&user.0), &facts).await?;
    let proposed: usize = out.iter().map(|o| o.proposed.len()).sum();
    Ok(json!({"applied": true, "facts": out.len(), "proposed": proposed, "errors": []}))
}

pub async fn import_attendance(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<FileQuery>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let out = import_attendance_for(
        &state,
        &user,
        body.to_vec(),
        q.file_name.unwrap_or_else(|| "attendance.csv".into()),
    )
    .await?;
    let status = if out["applied"] == true { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok((status, Json(out)))
}

/// The codebook of the organisation's pack (SPEC STD-1), for checklists and forms.
pub async fn codebook(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    let crate::OrgRules { org, rules } = state.org_rules(&user).await?;
    let items: Vec<Value> = rules
        .pack
        .codebook
        .iter()
        .map(|r| json!({"code": r.code, "title": r.title, "category": r.category, "severity": r.severity.code(), "consequence": r.consequence}))
        .collect();
    let ledger_rules: Vec<Value> = rules
        .pack
        .ledger
        .rules
        .iter()
        .map(|r| json!({"code": r.code, "title": r.title, "source": r.source}))
        .collect();
    Ok(Json(json!({"pack": org.pack, "codebook": items, "rules": ledger_rules})))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ManagerInput {
    pub staff_id: Option<StaffId>,
}

pub async fn set_manager(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(m): ApiJson<ManagerInput>,
) -> ApiResult<Json<Value>> {
    user.require(chuangkou_domain::Permission::ManageOrganisation)?;
    state.store.set_unit_manager(user.org_id(), &user.actor(), id, m.staff_id).await?;
    Ok(Json(json!({"unit": state.store.unit(user.org_id(), id).await?})))
}
