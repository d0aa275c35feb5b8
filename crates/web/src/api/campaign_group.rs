//! A campaign's people and papers (SPEC CMP-1, issue 20 point 1): the
//! campaign office names the leading group (people from the roster, each
//! with their campaign role), the units taking part, the basis documents
//! (a PDF each) and the brand's logo (an image, checked and re-encoded as
//! inspection photos are). Everyone who sees campaigns sees them.

use axum::Json;
use axum::extract::{Multipart, State};
use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, HeaderValue, X_CONTENT_TYPE_OPTIONS};
use axum::response::{IntoResponse, Response};
use chuangkou_domain::recognition::MemberRole;
use chuangkou_domain::{Permission, StaffId};
use chuangkou_store::campaign_group::NewFile;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiResult, AppError};
use crate::extract::{ApiJson, ApiPath};
use crate::{AppState, auth::CurrentUser};

/// The largest basis document accepted.
const MAX_DOCUMENT: usize = 10 * 1024 * 1024;

/// The leading group, the units and the files of a campaign.
pub async fn group(state: &AppState, user: &CurrentUser, id: i64) -> ApiResult<Value> {
    let members = state.store.campaign_members(user.org_id(), id).await?;
    let units: Vec<Value> = state
        .store
        .campaign_units(user.org_id(), id)
        .await?
        .into_iter()
        .map(|(id, name)| json!({"unit_id": id, "unit_name": name}))
        .collect();
    let files = state.store.campaign_files(user.org_id(), id).await?;
    Ok(json!({"members": members, "participants": units, "files": files}))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MemberInput {
    pub staff_id: StaffId,
    /// `leader`, `deputy`, `member`, `office_head` or `team_head`
    pub role: String,
}

/// Names a person to the leading group.
pub async fn name_member(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    staff_id: StaffId,
    role: &str,
) -> ApiResult<()> {
    user.require(Permission::ManageCampaigns)?;
    let role = MemberRole::parse(role).ok_or_else(|| AppError::field("role", "未知职务 / unknown role"))?;
    Ok(state.store.add_campaign_member(user.org_id(), &user.0, id, staff_id, role).await?)
}

/// `POST /api/v1/campaigns/{id}/members`
pub async fn add_member(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<MemberInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    name_member(&state, &user, id, input.staff_id, &input.role).await?;
    Ok((StatusCode::CREATED, Json(group(&state, &user, id).await?)))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitInput {
    pub unit_id: i64,
}

/// `POST /api/v1/campaigns/{id}/units`
pub async fn add_unit(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<UnitInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    user.require(Permission::ManageCampaigns)?;
    state.store.add_campaign_unit(user.org_id(), &user.0, id, input.unit_id).await?;
    Ok((StatusCode::CREATED, Json(group(&state, &user, id).await?)))
}

/// Attaches a file as read from a form: `kind` (`logo` or `basis`),
/// `title`, `number` and `dated_on` for a basis document, and `file`.
pub async fn attach(
    state: &AppState,
    user: &CurrentUser,
    id: i64,
    up: &crate::pages::Upload,
) -> ApiResult<i64> {
    user.require(Permission::ManageCampaigns)?;
    let (_, bytes) = up
        .file("file")
        .filter(|(_, b)| !b.is_empty())
        .ok_or_else(|| AppError::field("file", "请选择文件 / choose a file"))?;
    let opt = |k: &str| Some(up.get(k)).filter(|v| !v.is_empty());
    let (number, dated) = (opt("number"), opt("dated_on"));
    if let Some(d) = &dated
        && chuangkou_domain::duty::parse_date(d).is_none()
    {
        return Err(AppError::field("dated_on", "日期格式应为 2026-12-03 / a date like 2026-12-03"));
    }
    let title = up.get("title");
    match up.get("kind").as_str() {
        "logo" => {
            let p = crate::photos::process(bytes).await?;
            let f = NewFile {
                kind: "logo",
                title: &title,
                number: None,
                dated_on: None,
                content_type: p.content_type,
                bytes: &p.bytes,
            };
            Ok(state.store.add_campaign_file(user.org_id(), &user.0, id, &f).await?)
        }
        "basis" => {
            if bytes.len() > MAX_DOCUMENT {
                return Err(AppError::TooLarge);
            }
            if !bytes.starts_with(b"%PDF-") {
                return Err(AppError::field("file", "依据文件须为 PDF / a basis document is a PDF"));
            }
            let f = NewFile {
                kind: "basis",
                title: &title,
                number: number.as_deref(),
                dated_on: dated.as_deref(),
                content_type: "application/pdf",
                bytes: &bytes,
            };
            Ok(state.store.add_campaign_file(user.org_id(), &user.0, id, &f).await?)
        }
        _ => Err(AppError::field("kind", "应为 logo 或 basis / logo or basis")),
    }
}

/// `POST /api/v1/campaigns/{id}/files` (multipart)
pub async fn add_file(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    multipart: Multipart,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let up = crate::pages::Upload::read(multipart).await?;
    attach(&state, &user, id, &up).await?;
    Ok((StatusCode::CREATED, Json(group(&state, &user, id).await?)))
}

/// `GET /api/v1/campaign-files/{id}`: the file, for those who see campaigns.
pub async fn file(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    user.require(Permission::ViewCampaigns)?;
    let (ct, bytes) = state.store.campaign_file(user.org_id(), id).await?;
    let ct = HeaderValue::from_str(&ct).map_err(|e| AppError::Internal(e.to_string()))?;
    Ok(([(CONTENT_TYPE, ct), (X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"))], bytes)
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AssignInput {
    /// A person of the roster who answers for the task.
    #[serde(default)]
    pub owner_staff_id: Option<StaffId>,
    /// Units co-operating with the lead unit (never the lead unit itself).
    #[serde(default)]
    pub co_unit_ids: Vec<i64>,
}

/// `POST /api/v1/campaign-tasks/{id}/assignment`: the campaign office names
/// a task's owner and its co-operating units.
pub async fn assign(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<AssignInput>,
) -> ApiResult<Json<Value>> {
    user.require(Permission::ManageCampaigns)?;
    if input.co_unit_ids.len() > 50 {
        return Err(AppError::field("co_unit_ids", "最多 50 个单位 / at most 50 units"));
    }
    let task = state
        .store
        .assign_campaign_task(user.org_id(), &user.0, id, input.owner_staff_id, &input.co_unit_ids)
        .await?;
    Ok(Json(json!({"task": task})))
}
