//! Indicators over HTTP (SPEC KPI-1, KPI-2): the daily volume import and
//! the indicators of the organisation, a unit, a staff member or a vehicle
//! over a period. Office, leaders and admins see every subject; a shift
//! leader their units; staff themselves.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use chrono::{Datelike, NaiveDate};
use chuangkou_domain::kpi::{Period, parse_volumes};
use chuangkou_domain::org::UnitKind;
use chuangkou_domain::{Permission, StaffId};
use chuangkou_store::assessment::MonthResults;
use chuangkou_store::indicators::{Indicators, Subject};
use serde::Deserialize;
use serde_json::{Value, json};

use super::satisfaction::dates;
use super::shared::FileQuery;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, AppError};
use crate::extract::ApiQuery;
use crate::i18n::Tr;
use crate::ledger_access::{Reach, reach};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct IndicatorQuery {
    pub unit_id: Option<i64>,
    pub staff_id: Option<StaffId>,
    pub vehicle_id: Option<i64>,
    /// `YYYY-MM-DD`; the month so far when missing.
    pub from: Option<String>,
    pub to: Option<String>,
}

pub async fn indicators(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<IndicatorQuery>,
) -> ApiResult<Json<Value>> {
    let subject = match (q.unit_id, q.staff_id, q.vehicle_id) {
        (None, None, None) => Subject::Organisation,
        (Some(u), None, None) => Subject::Unit(u),
        (None, Some(s), None) => Subject::Staff(s),
        (None, None, Some(v)) => Subject::Vehicle(v),
        _ => {
            return Err(AppError::field(
                "unit_id",
                "只能选择一个对象 / choose one of unit, staff or vehicle",
            ));
        }
    };
    // Who may see whose figures.
    match (reach(&state, &user).await?, subject) {
        (Reach::All, _) => {}
        (Reach::Units(mine), Subject::Unit(u)) if mine.contains(&u) => {}
        (Reach::Units(mine), Subject::Staff(s))
            if mine.contains(&state.store.staff(user.org_id(), s).await?.unit_id) => {}
        (Reach::Own(Some(me)), Subject::Staff(s)) if me == s => {}
        _ if !user.can(Permission::ViewOrganisation) => return Err(AppError::Forbidden),
        _ => return Err(AppError::NotFound),
    }
    let rules = state.org_rules(&user).await?.rules;
    let cal = rules.calendar;
    let (from, to) = dates(q.from.as_deref(), q.to.as_deref(), cal.local_date(state.store.now_ms()))?;
    let period = Period::new(from, to).expect("dates checks the order");
    let out = state.store.indicators(user.org_id(), cal, subject, period).await?;
    Ok(Json(json!(out)))
}

/// `POST /api/v1/imports/volumes`: a `.xlsx`/`.csv` of daily volume per
/// unit; all rows or none, with every bad cell named by row and column.
pub async fn import_volumes(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<FileQuery>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    user.require(Permission::ImportVolumes)?;
    let name = q.file_name.unwrap_or_else(|| "volumes.csv".into());
    let bytes = body.to_vec();
    let sheets = tokio::task::spawn_blocking(move || chuangkou_tabular::read(&bytes, &name))
        .await?
        .map_err(|e| AppError::bad_request("unreadable_file", e.to_string()))?;
    let sheet = sheets.first().ok_or_else(|| {
        AppError::bad_request("unreadable_file", "文件中没有工作表 / the file has no sheet")
    })?;
    let (rows, errors) = parse_volumes(&sheet.name, &sheet.rows);
    if !errors.is_empty() {
        return Ok((
            StatusCode::UNPROCESSABLE_ENTITY,
            Json(json!({"applied": false, "rows": 0, "errors": errors})),
        ));
    }
    let n = state.store.record_volumes(user.org_id(), &user.0.actor(), &rows).await?;
    Ok((StatusCode::OK, Json(json!({"applied": true, "rows": n, "errors": []}))))
}

/// The month's indicators of the organisation and of each service unit
/// (not teams or departments), in tree order.
pub async fn by_unit(
    state: &AppState,
    org: chuangkou_domain::OrgId,
    cal: &chuangkou_domain::calendar::Calendar,
    month: Period,
) -> ApiResult<Vec<(String, Indicators)>> {
    let mut names = Vec::new();
    let mut ids = Vec::new();
    for u in state.store.units(org).await? {
        if !matches!(UnitKind::parse(&u.kind), Some(UnitKind::Team | UnitKind::Department)) {
            names.push(u.name);
            ids.push(u.id);
        }
    }
    let (whole, units) = state.store.indicators_by_unit(org, cal, &ids, month).await?;
    let mut out = vec![("全公司 / Organisation".to_string(), whole)];
    out.extend(names.into_iter().zip(units));
    Ok(out)
}

/// For the office and leaders: the pack's rules and the month asked for
/// (`YYYY-MM`, the current one when missing).
pub async fn month_for<'a>(
    state: &'a AppState,
    user: &CurrentUser,
    month: Option<&str>,
) -> ApiResult<(chuangkou_domain::policy::Rules<'a>, Period)> {
    user.require(Permission::ViewAssessment)?;
    let rules = state.org_rules(user).await?.rules;
    let month = month_of(month, rules.calendar.local_date(state.store.now_ms()))?;
    Ok((rules, month))
}

/// A month as `YYYY-MM`; the current month when missing.
pub fn month_of(m: Option<&str>, today: NaiveDate) -> ApiResult<Period> {
    let first = match m.map(str::trim).filter(|m| !m.is_empty()) {
        None => today.with_day(1).expect("day 1"),
        Some(m) => NaiveDate::parse_from_str(&format!("{m}-01"), "%Y-%m-%d")
            .map_err(|_| AppError::field("month", "月份须为 YYYY-MM / the month must be YYYY-MM"))?,
    };
    Ok(Period::month(first.year(), first.month()).expect("a month"))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MonthQuery {
    pub month: Option<String>,
}

/// `GET /api/v1/exports/indicators.xlsx?month=YYYY-MM`: the month's
/// indicators, one line per service unit, for the office and leaders.
pub async fn export(
    State(state): State<AppState>,
    tr: Tr,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> ApiResult<axum::response::Response> {
    let (rules, month) = month_for(&state, &user, q.month.as_deref()).await?;
    let cal = rules.calendar;
    let pct = |r: Option<f64>| r.map_or(String::new(), |r| format!("{:.1}%", r * 100.0));
    let change = |c: &chuangkou_domain::kpi::Compared| {
        c.change.map_or(String::new(), |x| format!("{:+.1}%", x * 100.0))
    };
    let mut rows = vec![header(
        tr,
        &[
            "xlsx.unit",
            "xlsx.valid_complaints",
            "xlsx.on_last_month",
            "xlsx.on_last_year",
            "xlsx.vehicles",
            "xlsx.complaints_per_10_000",
            "xlsx.satisfaction_rate",
            "xlsx.ratings",
            "xlsx.handling_satisfaction",
            "xlsx.timely_rate",
            "xlsx.rectification_rate",
            "xlsx.on_site_compliance",
            "xlsx.good_deeds",
            "xlsx.violations",
            "xlsx.fines_yuan",
        ],
    )];
    for (name, i) in by_unit(&state, user.org_id(), cal, month).await? {
        rows.push(vec![
            name,
            i.valid_complaints.to_string(),
            change(&i.month_on_month),
            change(&i.year_on_year),
            i.volume.vehicles.to_string(),
            i.complaints_per_10k.map_or(String::new(), |x| format!("{x:.2}")),
            pct(i.satisfaction_rate),
            i.ratings.total().to_string(),
            pct(i.handling_satisfaction),
            pct(i.timely_rate),
            pct(i.rectification_rate),
            pct(i.compliance_rate),
            i.good_deeds.to_string(),
            i.violations.to_string(),
            i.fines.to_string(),
        ]);
    }
    let name = tr.f2("xlsx.indicators_sheet", month.from.year(), month.from.month());
    super::xlsx(chuangkou_tabular::Sheet { name, rows }, "indicators.xlsx").await
}

/// `GET /api/v1/assessment?month=YYYY-MM`: the month's scores, rankings,
/// star grades and award candidates (KPI-3), for the office and leaders.
pub async fn assessment(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> ApiResult<Json<Value>> {
    let (rules, month) = month_for(&state, &user, q.month.as_deref()).await?;
    // A closed month answers with its frozen results and today's differences.
    Ok(Json(super::annual::results_json(state.store.month_results(user.org_id(), rules, month).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseInput {
    /// `YYYY-MM`.
    pub month: String,
}

/// `POST /api/v1/assessment/close`: a leader closes a month (once); its
/// results are frozen and the closing is an event.
pub async fn close_month(
    State(state): State<AppState>,
    user: CurrentUser,
    crate::extract::ApiJson(c): crate::extract::ApiJson<CloseInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    user.require(Permission::CloseAssessment)?;
    let rules = state.org_rules(&user).await?.rules;
    let today = rules.calendar.local_date(state.store.now_ms());
    let month = month_of(Some(&c.month), today)?;
    if month.from > today {
        return Err(AppError::field(
            "month",
            "不能关闭尚未开始的月份 / a month that has not begun cannot be closed",
        ));
    }
    let closed = state.store.close_month(user.org_id(), rules, month, user.0.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"closed": true, "month": closed.month, "closed_at": closed.closed_at})),
    ))
}

/// `GET /api/v1/exports/assessment.xlsx?month=YYYY-MM`: the month's
/// ranking with each person's tally, score, stars and eligibility, then the
/// teams and the awards — the frozen results once the month is closed.
pub async fn export_assessment(
    State(state): State<AppState>,
    tr: Tr,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> ApiResult<axum::response::Response> {
    let (rules, month) = month_for(&state, &user, q.month.as_deref()).await?;
    let m = state.store.month_results(user.org_id(), rules, month).await?;
    assessment_sheet(tr, &m).await
}

/// The results as a sheet: the ranking with each person's tally, score,
/// stars and eligibility, the teams, the awards and, for a year, the
/// star-rated vehicles.
pub(super) async fn assessment_sheet(tr: Tr, m: &MonthResults) -> ApiResult<axum::response::Response> {
    let (a, closed) = (m.results(), m.closed().is_some());
    let mut rows = vec![header(
        tr,
        &[
            "xlsx.rank",
            "xlsx.staff_no",
            "xlsx.name",
            "xlsx.unit",
            "xlsx.valid_complaints",
            "xlsx.violations",
            "xlsx.bad_ratings",
            "xlsx.good_deeds",
            "xlsx.commendations",
            "xlsx.efficiency_warnings",
            "xlsx.notices_of_criticism",
            "xlsx.score",
            "xlsx.stars",
            "xlsx.award_eligibility",
        ],
    )];
    for s in &a.staff {
        rows.push(vec![
            s.rank.to_string(),
            s.employee_no.clone(),
            s.name.clone(),
            s.unit_name.clone(),
            s.tally.complaints.to_string(),
            s.tally.violations.to_string(),
            s.tally.bad_ratings.to_string(),
            s.tally.good_deeds.to_string(),
            s.tally.commendations.to_string(),
            s.tally.warnings.to_string(),
            s.tally.criticisms.to_string(),
            format!("{:.2}", s.score),
            "★".repeat(s.stars as usize),
            if s.eligible {
                tr.t("xlsx.eligible").into()
            } else {
                tr.f1("xlsx.not_eligible", s.reasons.join("；"))
            },
        ]);
    }
    rows.push(vec![]);
    rows.push(header(tr, &["xlsx.team_rank", "xlsx.team", "xlsx.members", "xlsx.mean_score"]));
    for t in &a.teams {
        rows.push(vec![t.rank.to_string(), t.name.clone(), t.members.to_string(), format!("{:.2}", t.score)]);
    }
    rows.push(vec![]);
    rows.push(header(tr, &["xlsx.award", "xlsx.candidates", "xlsx.not_eligible_why"]));
    for w in &a.awards {
        rows.push(vec![
            w.title.clone(),
            w.winners.iter().map(|x| x.1.clone()).collect::<Vec<_>>().join("、"),
            w.ineligible
                .iter()
                .map(|x| format!("{}（{}）", x.1, x.3.join("；")))
                .collect::<Vec<_>>()
                .join("、"),
        ]);
    }
    if !a.vehicles.is_empty() {
        rows.push(vec![]);
        rows.push(header(
            tr,
            &["xlsx.plate", "xlsx.driver", "xlsx.score", "xlsx.star_rated_vehicle", "xlsx.note"],
        ));
        for v in &a.vehicles {
            rows.push(vec![
                v.plate.clone(),
                v.driver_name.clone().unwrap_or_default(),
                v.score.map_or(String::new(), |x| format!("{x:.2}")),
                "★".repeat(v.stars as usize),
                v.reasons.join("；"),
            ]);
        }
    }
    let name = format!(
        "{}{}",
        tr.f1("xlsx.assessment_sheet", &a.month),
        if closed { tr.t("xlsx.closed_suffix") } else { "" }
    );
    super::xlsx(chuangkou_tabular::Sheet { name, rows }, "assessment.xlsx").await
}

/// `GET /api/v1/exports/notice.pdf?month=YYYY-MM`: the month's printable
/// notice (通报) — overall figures, rankings, awards, commendations and
/// criticisms — from the same results as the `.xlsx` export: the frozen
/// ones once the month is closed, marked as a draft before.
pub async fn export_notice(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<MonthQuery>,
) -> ApiResult<axum::response::Response> {
    let (rules, month) = month_for(&state, &user, q.month.as_deref()).await?;
    let m = state.store.month_results(user.org_id(), rules, month).await?;
    notice_pdf(&state, &user, rules, crate::notice::NoticePeriod::Month(month.from), month, &m).await
}

/// The notice of a month or a year as a PDF, with the organisation's
/// indicators over `period` and the pack's targets.
pub(super) async fn notice_pdf(
    state: &AppState,
    user: &CurrentUser,
    rules: chuangkou_domain::policy::Rules<'_>,
    which: crate::notice::NoticePeriod,
    period: Period,
    m: &MonthResults,
) -> ApiResult<axum::response::Response> {
    let cal = rules.calendar;
    let figures = state.store.indicators(user.org_id(), cal, Subject::Organisation, period).await?;
    let org = state.store.organisation(user.org_id()).await?;
    let checkpoint = match &state.config.checkpoint_key {
        Some(key) => Some(state.store.checkpoint(key, org.id).await?),
        None => None,
    };
    let staff = crate::pages::dashboard::staff_satisfaction(state, org.id, rules, period).await?;
    let doc = crate::notice::assessment_notice(&crate::notice::NoticeData {
        staff_satisfaction: staff.map(|(rate, n)| (rate, n, rules.pack.satisfaction.survey_min_answers)),
        org_name: &org.name,
        period: which,
        results: m.results(),
        figures: &figures,
        targets: &figures.against(&rules.pack.assessment.targets),
        closed_on: m.closed().map(|c| cal.local_date(c.closed_at)),
        today: cal.local_date(state.store.now_ms()),
        checkpoint: checkpoint.as_ref(),
    });
    let pdf = state.pdf(doc).await?;
    let file = format!("notice-{}.pdf", which.key());
    Ok((
        [
            (axum::http::header::CONTENT_TYPE, "application/pdf".to_string()),
            (axum::http::header::CONTENT_DISPOSITION, format!("inline; filename=\"{file}\"")),
        ],
        pdf,
    )
        .into_response())
}

/// A sheet's header row in the reader's language (the catalogue's `xlsx.*`).
pub(super) fn header(tr: Tr, keys: &[&str]) -> Vec<String> {
    keys.iter().map(|k| tr.t(k).to_string()).collect()
}
