//! The fines register over HTTP (SPEC LED-4): the list by reach, collection
//! by finance, waivers by decision, and the `.xlsx` export for finance.

use axum::Json;
use axum::extract::State;

use crate::extract::ApiPath as Path;
use axum::response::Response;
use chuangkou_domain::Permission;
use chuangkou_domain::ledger::FineStatus;
use chuangkou_store::ledger::{FineFilter, FineRow};
use chuangkou_tabular::Sheet;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, AppError};
use crate::extract::{ApiJson, ApiQuery};
use crate::ledger_access::{Reach, reach};

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FinesQuery {
    pub status: Option<String>,
}

pub async fn fines_for(
    state: &AppState,
    user: &CurrentUser,
    status: Option<&str>,
) -> ApiResult<Vec<FineRow>> {
    let mut f = FineFilter::default();
    match reach(state, user).await? {
        Reach::Nothing => return Err(AppError::Forbidden),
        Reach::Own(me) => f.staff_id = Some(me.unwrap_or(chuangkou_domain::StaffId::new(-1))),
        Reach::Units(u) => f.unit_ids = Some(u),
        Reach::All => {}
    }
    if let Some(s) = status.filter(|s| !s.is_empty()) {
        f.status =
            Some(FineStatus::parse(s).ok_or_else(|| AppError::field("status", "未知状态 / unknown status"))?);
    }
    Ok(state.store.fines(user.org_id(), &f).await?)
}

pub async fn list_fines(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<FinesQuery>,
) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"fines": fines_for(&state, &user, q.status.as_deref()).await?})))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CollectInput {
    #[serde(default)]
    pub receipt_no: String,
}

pub async fn collect(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(c): ApiJson<CollectInput>,
) -> ApiResult<Json<Value>> {
    state.store.collect_fine(user.org_id(), &user.0, id, &c.receipt_no).await?;
    Ok(Json(json!({"id": id, "status": "collected"})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WaiverInput {
    pub reason: String,
    /// A second approver confirms (true, the default) or declines (false)
    /// a proposed waiver; the first proposes it.
    #[serde(default = "yes")]
    pub approve: bool,
}

fn yes() -> bool {
    true
}

/// A waiver passes two approvers: the first call proposes it
/// (`waiver_proposed`), a second approver's confirms it (`waived`) or
/// declines it (`due`).
pub async fn waive(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<i64>,
    ApiJson(r): ApiJson<WaiverInput>,
) -> ApiResult<Json<Value>> {
    let rules = state.org_rules(&user).await?.rules;
    let to = state.store.waive_fine(user.org_id(), rules, &user.0, id, &r.reason, r.approve).await?;
    Ok(Json(json!({"id": id, "status": to.as_str()})))
}

/// The fines register as `.xlsx` for finance (SPEC LED-4).
pub async fn export_fines(
    State(state): State<AppState>,
    tr: crate::i18n::Tr,
    user: CurrentUser,
) -> ApiResult<Response> {
    user.require(Permission::ViewFines)?;
    let fines = fines_for(&state, &user, None).await?;
    let rules = state.org_rules(&user).await?.rules;
    let date = |ms: Option<i64>| ms.map(|m| rules.calendar.local_date(m).to_string()).unwrap_or_default();
    let mut rows = vec![super::indicators::header(
        tr,
        &[
            "xlsx.no",
            "xlsx.staff_no",
            "xlsx.name",
            "xlsx.dept",
            "xlsx.amount_yuan",
            "xlsx.status",
            "xlsx.basis",
            "xlsx.effective",
            "xlsx.collected",
            "xlsx.receipt_no",
            "xlsx.waiver_reason",
        ],
    )];
    for f in &fines {
        rows.push(vec![
            f.id.to_string(),
            f.employee_no.clone().unwrap_or_default(),
            f.staff_name.clone().unwrap_or_default(),
            f.unit_name.clone(),
            f.amount.to_string(),
            FineStatus::parse(&f.status).map_or(f.status.clone(), |s| tr.label(s).to_string()),
            f.explanation.clone(),
            date(Some(f.due_since)),
            date(f.collected_at),
            f.receipt_no.clone().unwrap_or_default(),
            f.waived_reason.clone().unwrap_or_default(),
        ]);
    }
    super::xlsx(Sheet { name: tr.t("xlsx.fines_sheet").into(), rows }, "fines.xlsx").await
}
