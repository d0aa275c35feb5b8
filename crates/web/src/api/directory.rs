//! The convenience directory API (SPEC PUB-1): keepers (the office, admin,
//! a shift leader for their own station) add, check and retire entries and
//! import or export them as a spreadsheet; anyone reads the entries in use.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use chuangkou_domain::OrgId;
use chuangkou_domain::directory::{self, DirectoryKind, NewEntry};
use chuangkou_store::directory::DirectoryRow;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiResult, AppError};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::ledger_access::{Reach, sight_reach};
use crate::{AppState, auth::CurrentUser};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct EntryInput {
    pub kind: String,
    pub name: String,
    #[serde(default)]
    pub address: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
    #[serde(default)]
    pub hours: Option<String>,
    /// Kilometres from the unit, as text or a number.
    #[serde(default)]
    pub distance_km: Option<Value>,
    #[serde(default)]
    pub unit_id: Option<i64>,
}

impl EntryInput {
    pub fn check(&self) -> Result<NewEntry, AppError> {
        let distance = match &self.distance_km {
            None | Some(Value::Null) => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(other) => other.to_string(),
        };
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        directory::check(
            &self.kind,
            &self.name,
            &opt(&self.address),
            &opt(&self.phone),
            &opt(&self.hours),
            &distance,
        )
        .map_err(AppError::from)
    }
}

/// How far `user` keeps the directory; `Nothing` is refused.
pub async fn keeper(state: &AppState, user: &CurrentUser) -> ApiResult<Reach> {
    match sight_reach(state, user, user.role().keeping_sight()).await? {
        Reach::Nothing | Reach::Own(_) => Err(AppError::Forbidden),
        reach => Ok(reach),
    }
}

/// Whether `reach` keeps entries of `unit` (`None`: the whole
/// organisation's, which only the office and admin keep).
pub fn keeps(reach: &Reach, unit: Option<i64>) -> bool {
    match unit {
        Some(u) => reach.sees_unit(u),
        None => *reach == Reach::All,
    }
}

/// The entry if `user` keeps it, else 404 (as if missing).
async fn kept(state: &AppState, user: &CurrentUser, id: i64) -> ApiResult<DirectoryRow> {
    let reach = keeper(state, user).await?;
    let e = state.store.directory_entry(user.org_id(), id).await?;
    if keeps(&reach, e.unit_id) { Ok(e) } else { Err(AppError::NotFound) }
}

/// An entry with whether it is due to be checked again.
pub fn with_stale(e: &DirectoryRow, now: i64, review_days: u32) -> Value {
    let mut v = json!(e);
    v["stale"] = json!(e.retired_at.is_none() && directory::stale(e.checked_at, now, review_days));
    v
}

pub async fn review_days(state: &AppState, user: &CurrentUser) -> ApiResult<u32> {
    let rules = state.org_rules(user).await?.rules;
    Ok(rules.pack.public.directory_review_days)
}

/// The entries `user` keeps, in use.
pub async fn kept_entries(state: &AppState, user: &CurrentUser) -> ApiResult<Vec<DirectoryRow>> {
    let reach = keeper(state, user).await?;
    let rows = state.store.directory(user.org_id(), None).await?;
    Ok(rows.into_iter().filter(|e| keeps(&reach, e.unit_id)).collect())
}

pub async fn list(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    let rows = kept_entries(&state, &user).await?;
    let (now, days) = (state.store.now_ms(), review_days(&state, &user).await?);
    Ok(Json(json!({"entries": rows.iter().map(|e| with_stale(e, now, days)).collect::<Vec<_>>()})))
}

pub async fn add(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<EntryInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let reach = keeper(&state, &user).await?;
    let e = input.check()?;
    if !keeps(&reach, input.unit_id) {
        return Err(AppError::Forbidden);
    }
    let id = state.store.add_directory_entry(user.org_id(), &user.0, input.unit_id, &e).await?;
    Ok((StatusCode::CREATED, Json(json!({"entry": state.store.directory_entry(user.org_id(), id).await?}))))
}

pub async fn check(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<EntryInput>,
) -> ApiResult<Json<Value>> {
    kept(&state, &user, id).await?;
    let e = input.check()?;
    Ok(Json(json!({"entry": state.store.check_directory_entry(user.org_id(), &user.0, id, &e).await?})))
}

pub async fn retire(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Value>> {
    kept(&state, &user, id).await?;
    Ok(Json(json!({"entry": state.store.retire_directory_entry(user.org_id(), &user.0, id).await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicQuery {
    #[serde(default)]
    pub unit: Option<String>,
}

/// What the public reads: the entries in use, for the organisation or one
/// unit of it (with the organisation's), without who checked them.
pub async fn public_rows(state: &AppState, org_id: OrgId, unit_id: Option<i64>) -> ApiResult<Vec<Value>> {
    let rows = state.store.directory(org_id, unit_id).await?;
    Ok(rows.iter().map(public_view).collect())
}

pub fn public_view(e: &DirectoryRow) -> Value {
    json!({"kind": e.kind, "name": e.name, "address": e.address, "phone": e.phone, "hours": e.hours,
        "distance_m": e.distance_m, "unit_name": e.unit_name, "checked_at": e.checked_at})
}

pub async fn public_json(
    State(state): State<AppState>,
    ApiPath(org): ApiPath<String>,
    ApiQuery(q): ApiQuery<PublicQuery>,
) -> ApiResult<Json<Value>> {
    let org = state.store.organisation_by_code(&org).await?;
    let unit = crate::api::notices::unit_by_code(&state, org.id, q.unit.as_deref()).await?;
    Ok(Json(json!({"entries": public_rows(&state, org.id, unit).await?})))
}

/// The columns of the directory's spreadsheet, in order.
pub const COLUMNS: [&str; 7] = ["单位编码", "类别", "名称", "地址", "电话", "营业时间", "距离(公里)"];

/// `GET /api/v1/exports/directory.xlsx`: the entries the user keeps, in
/// the columns the import reads back.
pub async fn export(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Response> {
    let rows = kept_entries(&state, &user).await?;
    let units = state.store.units(user.org_id()).await?;
    let code = |id: Option<i64>| {
        id.and_then(|id| units.iter().find(|u| u.id == id)).map(|u| u.code.clone()).unwrap_or_default()
    };
    let mut sheet = vec![COLUMNS.iter().map(|c| c.to_string()).collect::<Vec<_>>()];
    for e in &rows {
        let kind = DirectoryKind::parse(&e.kind).map_or(e.kind.clone(), |k| k.label_zh().to_string());
        let km = e.distance_m.map(|m| format!("{}", m as f64 / 1000.0)).unwrap_or_default();
        let opt = |v: &Option<String>| v.clone().unwrap_or_default();
        sheet.push(vec![
            code(e.unit_id),
            kind,
            e.name.clone(),
            opt(&e.address),
            opt(&e.phone),
            opt(&e.hours),
            km,
        ]);
    }
    crate::api::xlsx(chuangkou_tabular::Sheet { name: "便民信息".into(), rows: sheet }, "directory.xlsx")
        .await
}

/// `POST /api/v1/imports/directory`: adds the rows of a sheet (`.xlsx`,
/// or CSV by its content type) in the export's columns, all or nothing.
pub async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    headers: axum::http::HeaderMap,
    body: axum::body::Bytes,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let name = super::sheet_name(&headers, "directory");
    Ok(super::import_answer(import_file(&state, &user, &body, &name).await?))
}

/// Adds the rows of a spreadsheet in the export's columns, all or
/// nothing: the number added, or every bad row (its number, what is
/// wrong) and nothing added.
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
    let mut entries = vec![];
    let mut errors = vec![];
    for (i, row) in sheet.rows.iter().enumerate().skip(1) {
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let cell = |c: usize| row.get(c).map(|s| s.trim().to_string()).unwrap_or_default();
        let unit = match cell(0).as_str() {
            "" => Ok(None),
            code => units
                .iter()
                .find(|u| u.code == code)
                .map(|u| Some(u.id))
                .ok_or("单位编码不存在 / no such unit"),
        };
        match (unit, directory::check(&cell(1), &cell(2), &cell(3), &cell(4), &cell(5), &cell(6))) {
            (Ok(unit), Ok(e)) if keeps(&reach, unit) => entries.push((unit, e)),
            (Ok(_), Ok(_)) => errors.push((i + 1, "无权维护该单位 / not a unit you keep".to_string())),
            (Err(m), _) => errors.push((i + 1, m.to_string())),
            (_, Err(es)) => {
                let m: Vec<String> = es.iter().map(|e| format!("{}: {}", e.field, e.message)).collect();
                errors.push((i + 1, m.join("; ")));
            }
        }
    }
    if !errors.is_empty() {
        return Ok(Err(errors));
    }
    Ok(Ok(state.store.add_directory_entries(user.org_id(), &user.0, &entries).await?.len()))
}
