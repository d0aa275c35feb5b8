//! The JSON API, `/api/v1`. Described by `openapi.json` (served at
//! `/api/v1/openapi.json`); a test keeps the two in step.

use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chuangkou_domain::Permission;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, AppError};
use crate::extract::{ApiJson, ApiQuery};

pub mod annual;
pub mod campaign_group;
pub mod campaigns;
pub mod cases;
pub mod directory;
pub mod duty;
pub mod fines;
pub mod guides;
pub mod import;
pub mod indicators;
pub mod inspections;
pub mod ledger;
pub mod notices;
pub mod org;
pub mod recognition;
pub mod satisfaction;
pub mod shared;
pub mod training;
pub mod users;

pub const OPENAPI: &str = include_str!("openapi.json");

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(openapi))
        .route("/me", get(me))
        .route("/tokens", post(create_token))
        .route("/users", get(users::list).post(users::create))
        .route("/users/{id}", post(users::update))
        .route("/users/{id}/reset", post(users::reset))
        .route("/events", get(events))
        .route("/units", get(org::list_units).post(org::create_unit))
        .route("/units/{id}", get(org::get_unit))
        .route("/staff", get(org::list_staff).post(org::create_staff))
        .route("/staff/{id}", get(org::get_staff))
        .route("/vehicles", get(org::list_vehicles).post(org::create_vehicle))
        .route("/service-points", get(org::list_points).post(org::create_point))
        .route("/service-points/{id}", get(org::get_point))
        .route("/service-points/{id}/qr.svg", get(org::point_qr_svg))
        .route("/service-points/{id}/qr.png", get(org::point_qr_png))
        .route("/imports/{kind}", post(import::import).layer(DefaultBodyLimit::max(crate::UPLOAD_LIMIT)))
        .route("/exports/roster.xlsx", get(import::export_roster))
        .route("/cases", get(cases::list).post(cases::register))
        .route("/cases/duplicates", post(cases::probe))
        .route("/cases/{id}", get(cases::get))
        .route("/cases/{id}/actions", post(cases::act))
        .route("/cases/{id}/reveal", post(cases::reveal))
        .route("/notifications", get(cases::notifications))
        .route("/public/track", post(cases::public_track))
        .route("/public/checkpoints/{org}", get(public_checkpoint))
        .route("/units/{id}/manager", post(ledger::set_manager))
        .route("/codebook", get(ledger::codebook))
        .route("/ledger/facts", post(ledger::record_fact))
        .route("/ledger/entries", get(ledger::list_entries).post(ledger::propose))
        .route("/ledger/entries/{id}", get(ledger::get_entry))
        .route("/ledger/entries/{id}/decision", post(ledger::decide))
        .route("/ledger/entries/{id}/reversal", post(ledger::reverse))
        .route("/ledger/entries/{id}/appeal", post(ledger::appeal))
        .route("/ledger/entries/{id}/appeal/decision", post(ledger::decide_appeal))
        .route("/ledger/fines", get(fines::list_fines))
        .route("/ledger/fines/{id}/collection", post(fines::collect))
        .route("/ledger/fines/{id}/waiver", post(fines::waive))
        .route("/ledger/eligibility", get(ledger::eligibility))
        .route("/exports/fines.xlsx", get(fines::export_fines))
        .route(
            "/imports/attendance",
            post(ledger::import_attendance).layer(DefaultBodyLimit::max(crate::UPLOAD_LIMIT)),
        )
        .route("/inspection-plans", get(inspections::list_plans).post(inspections::create_plan))
        .route("/inspections", get(inspections::list).post(inspections::record))
        .route("/inspections/{id}", get(inspections::get))
        .route(
            "/inspections/{id}/items/{item}/photos",
            post(inspections::add_photo).layer(DefaultBodyLimit::max(crate::photos::MAX_PHOTO_BYTES + 1024)),
        )
        .route("/photos/{id}", get(inspections::photo))
        .route("/photos/{id}/thumb", get(inspections::thumb))
        .route("/rectifications", get(inspections::rectifications))
        .route("/rectifications/{id}/steps", post(inspections::rectification_step))
        .route("/reports", get(inspections::list_reports).post(inspections::submit_report))
        .route("/reports/{id}/decision", post(inspections::decide_report))
        .route("/indicators", get(indicators::indicators))
        .route("/assessment", get(indicators::assessment))
        .route("/assessment/close", post(indicators::close_month))
        .route("/assessment/year", get(annual::year))
        .route("/assessment/close-year", post(annual::close_year))
        .route("/exports/assessment-year.xlsx", get(annual::export))
        .route("/exports/annual-notice.pdf", get(annual::export_notice))
        .route("/exports/indicators.xlsx", get(indicators::export))
        .route("/exports/assessment.xlsx", get(indicators::export_assessment))
        .route("/exports/notice.pdf", get(indicators::export_notice))
        .route(
            "/imports/volumes",
            post(indicators::import_volumes).layer(DefaultBodyLimit::max(crate::UPLOAD_LIMIT)),
        )
        .route("/ratings", get(satisfaction::list).post(satisfaction::rate))
        .route("/ratings/summary", get(satisfaction::summary))
        .route("/ratings/{id}/appeal", post(satisfaction::appeal))
        .route("/rating-appeals", get(satisfaction::open_appeals))
        .route("/rating-appeals/{id}/decision", post(satisfaction::decide))
        .route("/questionnaires", get(satisfaction::list_questionnaires).post(satisfaction::publish))
        .route("/questionnaires/{id}/close", post(satisfaction::close))
        .route("/questionnaires/{id}/results", get(satisfaction::results))
        .route("/questionnaires/{id}/responses", post(satisfaction::answer))
        .route("/notices", get(notices::list).post(notices::create))
        .route("/notices/{id}/publication", post(notices::publish))
        .route("/notices/{id}/withdrawal", post(notices::withdraw))
        .route("/public/notices/{org}", get(notices::public_json))
        .route("/directory", get(directory::list).post(directory::add))
        .route("/directory/{id}/check", post(directory::check))
        .route("/directory/{id}/retirement", post(directory::retire))
        .route("/public/directory/{org}", get(directory::public_json))
        .route("/guides", post(guides::save))
        .route("/public/guides/{org}", get(guides::public_list))
        .route("/cases/{id}/one-time-notices", post(guides::notify))
        .route("/cases/{id}/one-time-notices/{file}", get(guides::notice_pdf))
        .route("/campaign-templates", get(campaigns::templates))
        .route("/campaigns", get(campaigns::list).post(campaigns::create))
        .route("/campaigns/{id}", get(campaigns::get))
        .route("/campaigns/{id}/phases.svg", get(campaigns::phases_svg))
        .route("/campaigns/{id}/evaluations", get(campaigns::evaluations).post(campaigns::evaluate))
        .route("/campaigns/{id}/review", post(campaigns::review))
        .route("/campaign-tasks/{id}/steps", post(campaigns::step))
        .route("/campaigns/{id}/members", post(campaign_group::add_member))
        .route("/campaigns/{id}/units", post(campaign_group::add_unit))
        .route(
            "/campaigns/{id}/files",
            post(campaign_group::add_file).layer(DefaultBodyLimit::max(crate::UPLOAD_LIMIT)),
        )
        .route("/campaign-files/{id}", get(campaign_group::file))
        .route("/campaign-tasks/{id}/assignment", post(campaign_group::assign))
        .route("/training-plans", get(training::plans).post(training::create_plan))
        .route("/training-plans/{id}", get(training::plan))
        .route("/training-sessions", get(training::sessions).post(training::create_session))
        .route("/training-sessions/{id}", get(training::session))
        .route("/training-sessions/{id}/attendance", post(training::attend))
        .route(
            "/training-sessions/{id}/attendance/import",
            post(training::import).layer(DefaultBodyLimit::max(crate::UPLOAD_LIMIT)),
        )
        .route("/training-sessions/{id}/close", post(training::close))
        .route("/check-in", post(training::check_in))
        .route("/exams", get(training::exams).post(training::create_exam))
        .route("/exams/{id}", get(training::exam))
        .route("/exams/{id}/results", post(training::results))
        .route("/qualifications", get(training::qualifications).post(training::create_qualification))
        .route("/training/me", get(training::mine))
        .route("/staff/{id}/training", get(training::of_staff))
        .route("/certificates", get(recognition::list).post(recognition::create))
        .route("/certificates/issue", post(recognition::issue))
        .route("/certificates/{id}/pdf", get(recognition::pdf))
        .route("/certificates/{id}/payment", post(recognition::pay))
        .route("/typical-cases", get(recognition::typical).post(recognition::create_typical))
        .route("/typical-cases/{id}/publication", post(recognition::publish))
        .route("/typical-cases/{id}/withdrawal", post(recognition::withdraw))
        .route("/media-items", get(recognition::media).post(recognition::create_media))
        .route("/duty", get(duty::list).post(duty::add))
        .route("/imports/duty", post(duty::import).layer(DefaultBodyLimit::max(crate::UPLOAD_LIMIT)))
        .route("/facilities", get(duty::facilities).post(duty::add_facility))
        .route("/facilities/{id}/retirement", post(duty::retire_facility))
        .route("/exports/directory.xlsx", get(directory::export))
        .route(
            "/imports/directory",
            post(directory::import).layer(DefaultBodyLimit::max(crate::UPLOAD_LIMIT)),
        )
        .fallback(api_not_found)
        .method_not_allowed_fallback(method_not_allowed)
}

/// The file name an uploaded sheet is read as: CSV when the request says
/// `text/csv`, else `.xlsx`.
pub fn sheet_name(headers: &axum::http::HeaderMap, stem: &str) -> String {
    match headers.get(axum::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok()) {
        Some(ct) if ct.starts_with("text/csv") => format!("{stem}.csv"),
        _ => format!("{stem}.xlsx"),
    }
}

/// The answer to an all-or-nothing sheet import: 201 with how many were
/// added, or 422 with every bad row (its number, what is wrong) and none added.
pub fn import_answer(result: Result<usize, Vec<(usize, String)>>) -> (StatusCode, Json<Value>) {
    match result {
        Ok(added) => (StatusCode::CREATED, Json(json!({"added": added, "errors": []}))),
        Err(errors) => {
            let errors: Vec<Value> =
                errors.iter().map(|(row, m)| json!({"row": row, "message": m})).collect();
            (StatusCode::UNPROCESSABLE_ENTITY, Json(json!({"added": 0, "errors": errors})))
        }
    }
}

/// A sheet as an `.xlsx` download; every cell is written as text, so a
/// cell starting with `=`, `+`, `-` or `@` is never a formula.
pub async fn xlsx(sheet: chuangkou_tabular::Sheet, file_name: &'static str) -> ApiResult<Response> {
    let bytes = tokio::task::spawn_blocking(move || chuangkou_tabular::write_xlsx(&[sheet]))
        .await?
        .map_err(|e| AppError::Internal(e.to_string()))?;
    Ok((
        [
            (CONTENT_TYPE, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet".to_string()),
            (axum::http::header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
        ],
        bytes,
    )
        .into_response())
}

async fn api_not_found() -> AppError {
    AppError::NotFound
}

async fn method_not_allowed() -> AppError {
    AppError::MethodNotAllowed
}

async fn openapi() -> Response {
    ([(CONTENT_TYPE, "application/json")], OPENAPI).into_response()
}

async fn me(user: CurrentUser) -> ApiResult<Json<serde_json::Value>> {
    let u = &user.0;
    Ok(Json(json!({
        "id": u.id, "org_id": u.org_id, "username": u.username,
        "display_name": u.display_name, "role": u.role, "staff_id": u.staff_id,
    })))
}

/// The organisation's event chain as it stands, signed with the
/// installation's checkpoint key, for an auditor to poll and keep outside
/// the database (`chuangkou verify --checkpoints` reads a folder of them).
/// Public: it names a sequence number and a hash, nothing recorded.
async fn public_checkpoint(
    State(state): State<AppState>,
    crate::extract::ApiPath(code): crate::extract::ApiPath<String>,
) -> ApiResult<Json<chuangkou_store::checkpoints::Checkpoint>> {
    let key = state.config.checkpoint_key.as_ref().ok_or(AppError::NotFound)?;
    let org = state.store.organisation_by_code(&code).await?;
    Ok(Json(state.store.checkpoint(key, org.id).await?))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenInput {
    name: String,
}

async fn create_token(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<TokenInput>,
) -> ApiResult<(axum::http::StatusCode, Json<serde_json::Value>)> {
    let name = chuangkou_domain::text::required("name", &input.name, 60).map_err(|e| vec![e])?;
    let (id, token) = state.store.create_api_token(&user.0, &name).await?;
    Ok((axum::http::StatusCode::CREATED, Json(json!({"id": id, "name": name, "token": token}))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct EventsQuery {
    before: Option<i64>,
    limit: Option<i64>,
}

async fn events(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<EventsQuery>,
) -> ApiResult<Json<serde_json::Value>> {
    user.require(Permission::ViewEventLog)?;
    let rows = state.store.events(user.org_id(), q.before, q.limit.unwrap_or(50)).await?;
    let next = rows.last().map(|e| e.seq);
    let rows = crate::cases_access::visible_events(&state, &user, rows).await?;
    Ok(Json(json!({"events": rows, "next_before": next})))
}
