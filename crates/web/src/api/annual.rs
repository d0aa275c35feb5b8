//! The annual review over HTTP (SPEC KPI-3; seed 002 §5.3): the year's
//! results, a leader closing the year, the `.xlsx` export with the
//! star-rated vehicles, and the printable annual notice. The office,
//! leaders and admins see it; only a leader closes a year.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chrono::Datelike;
use chuangkou_domain::Permission;
use chuangkou_domain::kpi::Period;
use chuangkou_domain::policy::Rules;
use chuangkou_store::assessment::MonthResults;
use serde::Deserialize;
use serde_json::{Value, json};

use super::indicators::{assessment_sheet, notice_pdf};
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, AppError};
use crate::extract::{ApiJson, ApiQuery};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct YearQuery {
    /// `YYYY`; the current year when missing.
    pub year: Option<String>,
}

/// The pack's rules and the year asked for, for the office, leaders and admins.
pub async fn year_for<'a>(
    state: &'a AppState,
    user: &CurrentUser,
    year: Option<&str>,
) -> ApiResult<(Rules<'a>, i32)> {
    user.require(Permission::ViewAssessment)?;
    let rules = state.org_rules(user).await?.rules;
    let this = rules.calendar.local_date(state.store.now_ms()).year();
    let year = year_of(year, this)?;
    Ok((rules, year))
}

/// A year as `YYYY` (2000–2100); `this` when missing.
pub fn year_of(y: Option<&str>, this: i32) -> ApiResult<i32> {
    match y.map(str::trim).filter(|y| !y.is_empty()) {
        None => Ok(this),
        Some(y) => {
            y.parse::<i32>().ok().filter(|y| (2000..=2100).contains(y) && *y <= this).ok_or_else(|| {
                AppError::field(
                    "year",
                    "年度须为 YYYY，且不晚于今年 / the year must be YYYY, not after this one",
                )
            })
        }
    }
}

/// A month's or a year's results as the API answers them.
pub(super) fn results_json(r: MonthResults) -> Value {
    match r {
        MonthResults::Closed(c) => json!({"closed": true, "closed_at": c.closed_at, "results": c.results,
            "differences": c.differences}),
        MonthResults::Open(a) => json!({"closed": false, "results": a}),
    }
}

/// `GET /api/v1/assessment/year?year=YYYY`: the year's scores (the mean of
/// its monthly scores), tallies, rankings, annual awards and star-rated
/// vehicles — frozen once closed, with today's differences.
pub async fn year(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<Json<Value>> {
    let (rules, year) = year_for(&state, &user, q.year.as_deref()).await?;
    Ok(Json(results_json(state.store.year_results(user.org_id(), rules, year).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseYearInput {
    pub year: i32,
}

/// `POST /api/v1/assessment/close-year`: a leader closes a year (once).
pub async fn close_year(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(c): ApiJson<CloseYearInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    user.require(Permission::CloseAssessment)?;
    let (rules, year) = year_for(&state, &user, Some(&c.year.to_string())).await?;
    let closed = state.store.close_year(user.org_id(), rules, year, user.0.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"closed": true, "year": closed.month, "closed_at": closed.closed_at})),
    ))
}

/// `GET /api/v1/exports/assessment-year.xlsx?year=YYYY`.
pub async fn export(
    State(state): State<AppState>,
    tr: crate::i18n::Tr,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<axum::response::Response> {
    let (rules, year) = year_for(&state, &user, q.year.as_deref()).await?;
    assessment_sheet(tr, &state.store.year_results(user.org_id(), rules, year).await?).await
}

/// `GET /api/v1/exports/annual-notice.pdf?year=YYYY`: the annual notice.
pub async fn export_notice(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<YearQuery>,
) -> ApiResult<axum::response::Response> {
    let (rules, year) = year_for(&state, &user, q.year.as_deref()).await?;
    let m = state.store.year_results(user.org_id(), rules, year).await?;
    let period = Period::year(year).ok_or_else(|| AppError::field("year", "no such year"))?;
    notice_pdf(&state, &user, rules, crate::notice::NoticePeriod::Year(year), period, &m).await
}
