//! Imports of units, staff and vehicles, and the roster export.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;

use crate::extract::ApiPath as Path;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use chuangkou_domain::Permission;
use chuangkou_domain::roster::{self, ImportKind};
use chuangkou_store::import::{ImportMode, ImportOutcome};
use chuangkou_store::org::StaffQuery;
use chuangkou_tabular::Sheet;
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, AppError};
use crate::extract::ApiQuery;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ImportQuery {
    mode: Option<String>,
    file_name: Option<String>,
}

pub fn parse_mode(mode: Option<&str>) -> Result<ImportMode, AppError> {
    match mode.unwrap_or("all_or_nothing") {
        "all_or_nothing" | "" => Ok(ImportMode::AllOrNothing),
        "valid_rows" => Ok(ImportMode::ValidRows),
        _ => Err(AppError::Validation(vec![chuangkou_domain::FieldError::new(
            "mode",
            "须为 all_or_nothing 或 valid_rows / must be all_or_nothing or valid_rows",
        )])),
    }
}

/// Reads, checks and applies one file. Shared by the API and the console.
pub async fn run_import(
    state: &AppState,
    user: &CurrentUser,
    kind: ImportKind,
    mode: ImportMode,
    bytes: Vec<u8>,
    file_name: String,
) -> ApiResult<ImportOutcome> {
    user.require(Permission::ManageOrganisation)?;
    let sheets = tokio::task::spawn_blocking(move || chuangkou_tabular::read(&bytes, &file_name))
        .await?
        .map_err(|e| AppError::bad_request("unreadable_file", e.to_string()))?;
    // The sheet named for the kind, else the first.
    let sheet =
        sheets.iter().find(|s| s.name == kind.sheet_name()).or_else(|| sheets.first()).ok_or_else(|| {
            AppError::bad_request("unreadable_file", "文件中没有工作表 / the file has no sheet")
        })?;
    let known = state.store.known(user.org_id()).await?;
    let plan = roster::plan(kind, &sheet.name, &sheet.rows, &known);
    Ok(state.store.apply_import(user.org_id(), &user.actor(), plan, mode).await?)
}

pub async fn import(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(kind): Path<String>,
    ApiQuery(q): ApiQuery<ImportQuery>,
    headers: HeaderMap,
    body: Result<Bytes, axum::extract::rejection::BytesRejection>,
) -> ApiResult<Response> {
    let kind = ImportKind::parse(&kind).ok_or(AppError::NotFound)?;
    let mode = parse_mode(q.mode.as_deref())?;
    let body = body.map_err(|e| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            AppError::TooLarge
        } else {
            AppError::bad_request("bad_body", e.body_text())
        }
    })?;
    let file_name = q
        .file_name
        .or_else(|| headers.get("x-file-name").and_then(|v| v.to_str().ok()).map(str::to_string))
        .unwrap_or_else(|| "upload.csv".into());
    let out = run_import(&state, &user, kind, mode, body.to_vec(), file_name).await?;
    if !out.applied && !out.errors.is_empty() {
        return Err(AppError::Unprocessable {
            code: "import_rejected",
            message: format!(
                "文件有 {} 处错误，未导入 / {} problems; nothing was imported",
                out.errors.len(),
                out.errors.len()
            ),
            extra: json!({"errors": out.errors}),
        });
    }
    Ok((StatusCode::OK, Json(json!(out))).into_response())
}

/// Units, staff and vehicles as one workbook, in the import's own columns so
/// that an export can be edited and imported back.
pub async fn roster_workbook(state: &AppState, user: &CurrentUser) -> ApiResult<Vec<u8>> {
    user.require(Permission::ViewOrganisation)?;
    let org = user.org_id();
    let header = |k: ImportKind| k.columns().iter().map(|c| c.1.to_string()).collect::<Vec<_>>();
    let units = state.store.units(org).await?;
    let code_of = |id: Option<i64>| {
        id.and_then(|id| units.iter().find(|u| u.id == id)).map(|u| u.code.clone()).unwrap_or_default()
    };
    let mut unit_rows = vec![header(ImportKind::Units)];
    for u in &units {
        let kind = chuangkou_domain::org::UnitKind::parse(&u.kind).map(|k| k.label_zh()).unwrap_or(&u.kind);
        unit_rows.push(vec![u.code.clone(), u.name.clone(), kind.to_string(), code_of(u.parent_id)]);
    }
    let mut staff_rows = vec![header(ImportKind::Staff)];
    let mut after = None;
    loop {
        let page = state
            .store
            .staff_list(org, &StaffQuery { after_id: after, limit: 500, ..Default::default() })
            .await?;
        for s in &page {
            let s = crate::api::org::staff_view(user, s.clone());
            staff_rows.push(vec![
                s.employee_no,
                s.name,
                s.unit_code,
                s.position.unwrap_or_default(),
                s.phone.unwrap_or_default(),
                s.certificate_no.unwrap_or_default(),
            ]);
        }
        if page.len() < 500 {
            break;
        }
        after = page.last().map(|s| s.id);
    }
    let mut vehicle_rows = vec![header(ImportKind::Vehicles)];
    for v in state.store.vehicles(org).await? {
        vehicle_rows.push(vec![v.plate, v.unit_code, v.driver_employee_no.unwrap_or_default()]);
    }
    let sheets = vec![
        Sheet { name: ImportKind::Units.sheet_name().into(), rows: unit_rows },
        Sheet { name: ImportKind::Staff.sheet_name().into(), rows: staff_rows },
        Sheet { name: ImportKind::Vehicles.sheet_name().into(), rows: vehicle_rows },
    ];
    tokio::task::spawn_blocking(move || chuangkou_tabular::write_xlsx(&sheets))
        .await?
        .map_err(|e| AppError::Internal(e.to_string()))
}

pub fn xlsx_response(bytes: Vec<u8>, name: &str) -> Response {
    (
        [
            (CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (CONTENT_DISPOSITION, format!("attachment; filename=\"{name}\"")),
        ],
        bytes,
    )
        .into_response()
}

pub async fn export_roster(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Response> {
    Ok(xlsx_response(roster_workbook(&state, &user).await?, "roster.xlsx"))
}
