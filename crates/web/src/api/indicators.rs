//! Indicators over HTTP (SPEC KPI-1, KPI-2): the daily volume import and
//! the indicators of the organisation, a unit, a staff member or a vehicle
//! over a period. Office, leaders and admins see every subject; a shift
//! leader their units; staff themselves.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use chuangkou_domain::Role;
use chuangkou_domain::kpi::{Period, parse_volumes};
use chuangkou_store::indicators::Subject;
use serde::Deserialize;
use serde_json::{Value, json};

use super::ledger::{FileQuery, org_pack};
use super::satisfaction::dates;
use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, AppError};
use crate::ledger_access::{Reach, reach};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct IndicatorQuery {
    pub unit_id: Option<i64>,
    pub staff_id: Option<i64>,
    pub vehicle_id: Option<i64>,
    /// `YYYY-MM-DD`; the month so far when missing.
    pub from: Option<String>,
    pub to: Option<String>,
}

pub async fn indicators(
    State(state): State<AppState>,
    user: CurrentUser,
    q: Result<Query<IndicatorQuery>, axum::extract::rejection::QueryRejection>,
) -> ApiResult<Json<Value>> {
    let Query(q) = q.map_err(|e| AppError::bad_request("bad_query", e.body_text()))?;
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
        _ if user.role() == Role::Supervisor => return Err(AppError::Forbidden),
        _ => return Err(AppError::NotFound),
    }
    let pack = org_pack(&state, &user).await?;
    let cal = state.rules(&pack)?.calendar;
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
    q: Result<Query<FileQuery>, axum::extract::rejection::QueryRejection>,
    body: Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let Query(q) = q.map_err(|e| AppError::bad_request("bad_query", e.body_text()))?;
    if !matches!(user.role(), Role::Office | Role::Admin) {
        return Err(AppError::Forbidden);
    }
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
