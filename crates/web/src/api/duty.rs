//! Duty rosters and facilities (issue 19 point 5): those who keep a unit's
//! public information (the office and admin all units, a shift leader their
//! station and its teams) roster its duties — entered or imported from a
//! spreadsheet, all or nothing — and keep its service points' facilities.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use chuangkou_domain::duty::{self, Shift};
use chuangkou_domain::{OrgId, StaffId};
use chuangkou_store::duty::{FacilityRow, NewShift};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiResult, AppError};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::ledger_access::Reach;
use crate::{AppState, auth::CurrentUser};

/// How far `user` keeps rosters and facilities; `Nothing` is refused.
pub use crate::api::directory::keeper;

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ShiftInput {
    pub unit_id: i64,
    pub staff_id: StaffId,
    /// `YYYY-MM-DD`
    pub date: String,
    /// A duty's code or Chinese name.
    pub duty: String,
    /// `HH:MM`; the whole day without `from` and `to`.
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub note: String,
}

async fn offset(state: &AppState, user: &CurrentUser) -> ApiResult<chrono::FixedOffset> {
    crate::api::notices::offset_of(state, user.org_id()).await
}

/// `POST /api/v1/duty`: rosters one shift.
pub async fn add(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<ShiftInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let reach = keeper(&state, &user).await?;
    let shift = duty::check_shift(
        &input.date,
        &input.duty,
        &input.from,
        &input.to,
        &input.note,
        offset(&state, &user).await?,
    )
    .map_err(AppError::from)?;
    if !reach.sees_unit(input.unit_id) {
        return Err(AppError::Forbidden);
    }
    let line = NewShift { unit_id: input.unit_id, staff_id: input.staff_id, shift };
    let id = state.store.roster(user.org_id(), &user.0, &[line]).await?[0];
    let row = state.store.shifts(user.org_id(), None, 0, i64::MAX).await?.into_iter().find(|s| s.id == id);
    Ok((StatusCode::CREATED, Json(json!({"shift": row}))))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RosterQuery {
    /// The first day, `YYYY-MM-DD`; today by default.
    #[serde(default)]
    pub from: Option<String>,
    /// How many days, 1–31; 7 by default.
    #[serde(default)]
    pub days: Option<u32>,
}

/// The shifts of the units `user` keeps from the local day `from` for
/// `days` days.
pub async fn roster_for(
    state: &AppState,
    user: &CurrentUser,
    from: Option<&str>,
    days: u32,
) -> ApiResult<(chrono::NaiveDate, Vec<chuangkou_store::duty::ShiftRow>)> {
    let reach = keeper(state, user).await?;
    let rules = state.org_rules(user).await?.rules;
    let cal = rules.calendar;
    let first = match from.map(str::trim).filter(|s| !s.is_empty()) {
        Some(d) => duty::parse_date(d)
            .ok_or_else(|| AppError::field("from", "日期格式应为 2026-12-03 / a date like 2026-12-03"))?,
        None => cal.local_date(state.store.now_ms()),
    };
    let days = days.clamp(1, 31);
    let start = cal.start_of_day_ms(first);
    let end = cal.start_of_day_ms(first + chrono::Duration::days(i64::from(days)));
    let units = match &reach {
        Reach::Units(u) => Some(u.as_slice()),
        _ => None,
    };
    Ok((first, state.store.shifts(user.org_id(), units, start, end).await?))
}

/// `GET /api/v1/duty?from=&days=`: the roster of the units I keep.
pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<RosterQuery>,
) -> ApiResult<Json<Value>> {
    let (_, rows) = roster_for(&state, &user, q.from.as_deref(), q.days.unwrap_or(7)).await?;
    Ok(Json(json!({"shifts": rows})))
}

/// The columns of the roster's spreadsheet, in order.
pub const COLUMNS: [&str; 7] = ["日期", "单位编码", "值守类别", "工号", "开始", "结束", "备注"];

/// `POST /api/v1/imports/duty`: the rows of a roster sheet (`.xlsx`, or
/// CSV by its content type), all or nothing.
pub async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let name = super::sheet_name(&headers, "duty");
    Ok(super::import_answer(import_file(&state, &user, &body, &name).await?))
}

/// Rosters the rows of a sheet in [`COLUMNS`]: the number added, or every
/// bad row (its number as Excel shows it, what is wrong) and nothing added.
pub async fn import_file(
    state: &AppState,
    user: &CurrentUser,
    bytes: &[u8],
    file_name: &str,
) -> ApiResult<Result<usize, Vec<(usize, String)>>> {
    let reach = keeper(state, user).await?;
    let sheets =
        chuangkou_tabular::read(bytes, file_name).map_err(|e| AppError::field("file", e.to_string()))?;
    let sheet = sheets.into_iter().next().ok_or_else(|| AppError::field("file", "空文件 / an empty file"))?;
    let units = state.store.units(user.org_id()).await?;
    let offset = offset(state, user).await?;
    let mut lines = vec![];
    let mut errors = vec![];
    for (i, row) in sheet.rows.iter().enumerate().skip(1) {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |c: usize| row.get(c).map(|s| s.trim().to_string()).unwrap_or_default();
        let unit = units.iter().find(|u| u.code == cell(1)).map(|u| u.id);
        let staff = state.store.staff_id_by_number(user.org_id(), &cell(3)).await?;
        let shift: Result<Shift, String> =
            duty::check_shift(&cell(0), &cell(2), &cell(4), &cell(5), &cell(6), offset).map_err(|es| {
                es.iter().map(|e| format!("{}: {}", e.field, e.message)).collect::<Vec<_>>().join("; ")
            });
        match (unit, staff, shift) {
            (None, _, _) => errors.push((i + 1, "单位编码不存在 / no such unit".to_string())),
            (_, None, _) => errors.push((i + 1, "工号不存在 / no staff with this number".to_string())),
            (_, _, Err(m)) => errors.push((i + 1, m)),
            (Some(u), _, _) if !reach.sees_unit(u) => {
                errors.push((i + 1, "无权维护该单位 / not a unit you keep".to_string()));
            }
            (Some(unit_id), Some(staff_id), Ok(shift)) => lines.push(NewShift { unit_id, staff_id, shift }),
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    Ok(Ok(state.store.roster(user.org_id(), &user.0, &lines).await?.len()))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FacilityInput {
    pub service_point_id: i64,
    pub kind: String,
    pub name: String,
    /// 1 by default.
    #[serde(default)]
    pub quantity: Option<i64>,
    /// `YYYY-MM-DD`, required for medicine.
    #[serde(default)]
    pub expires_on: Option<String>,
}

/// The facilities in use at the service points of the units `user` keeps.
pub async fn kept_facilities(
    state: &AppState,
    user: &CurrentUser,
    point: Option<i64>,
) -> ApiResult<Vec<FacilityRow>> {
    let reach = keeper(state, user).await?;
    let rows = state.store.facilities(user.org_id(), point).await?;
    Ok(rows.into_iter().filter(|f| reach.sees_unit(f.unit_id)).collect())
}

/// A facility with whether it is to be renewed (expiring within the pack's
/// warning days, or expired) or repaired (broken, missing).
pub fn with_flags(f: &FacilityRow, today: chrono::NaiveDate, warn_days: u32) -> Value {
    let mut v = json!(f);
    let expires = f.expires_on.as_deref().and_then(duty::parse_date);
    v["expiring"] = json!(duty::expiring(expires, today, warn_days));
    v["usable"] = json!(duty::Condition::parse(&f.condition).is_none_or(duty::Condition::usable));
    v
}

/// Today's local date and the pack's facility warning days.
pub async fn warning(state: &AppState, org_id: OrgId) -> ApiResult<(chrono::NaiveDate, u32)> {
    let org = state.store.organisation(org_id).await?;
    let rules = state.rules(&org.pack)?;
    Ok((rules.calendar.local_date(state.store.now_ms()), rules.pack.public.facility_warning_days))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FacilityQuery {
    #[serde(default)]
    pub service_point_id: Option<i64>,
}

/// `GET /api/v1/facilities?service_point_id=`
pub async fn facilities(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<FacilityQuery>,
) -> ApiResult<Json<Value>> {
    let rows = kept_facilities(&state, &user, q.service_point_id).await?;
    let (today, days) = warning(&state, user.org_id()).await?;
    Ok(Json(json!({"facilities": rows.iter().map(|f| with_flags(f, today, days)).collect::<Vec<_>>()})))
}

/// `POST /api/v1/facilities`
pub async fn add_facility(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<FacilityInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let reach = keeper(&state, &user).await?;
    let quantity = input.quantity.map(|q| q.to_string()).unwrap_or_default();
    let f =
        duty::check_facility(&input.kind, &input.name, &quantity, input.expires_on.as_deref().unwrap_or(""))
            .map_err(AppError::from)?;
    let points = state.store.service_points(user.org_id()).await?;
    let point = points
        .iter()
        .find(|p| p.id == input.service_point_id)
        .ok_or_else(|| AppError::field("service_point_id", "服务点不存在 / no such service point"))?;
    if !reach.sees_unit(point.unit_id) {
        return Err(AppError::Forbidden);
    }
    let id = state.store.add_facility(user.org_id(), &user.0, point.id, &f).await?;
    Ok((StatusCode::CREATED, Json(json!({"facility": state.store.facility(user.org_id(), id).await?}))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetireInput {
    pub reason: String,
}

/// `POST /api/v1/facilities/{id}/retirement`
pub async fn retire_facility(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<RetireInput>,
) -> ApiResult<Json<Value>> {
    let reach = keeper(&state, &user).await?;
    let f = state.store.facility(user.org_id(), id).await?;
    if !reach.sees_unit(f.unit_id) {
        return Err(AppError::NotFound);
    }
    Ok(Json(
        json!({"facility": state.store.retire_facility(user.org_id(), &user.0, id, &input.reason).await?}),
    ))
}
