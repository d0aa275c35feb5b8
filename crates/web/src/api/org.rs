//! Units, staff, vehicles and service points.

use axum::Json;
use axum::extract::State;

use crate::extract::ApiPath as Path;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use chuangkou_domain::{Permission, mask_phone, org};
use chuangkou_store::org::{Staff, StaffQuery};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::ApiResult;
use crate::extract::parse_id;
use crate::extract::{ApiJson, ApiQuery, input_fields};

type Created = (StatusCode, Json<Value>);

fn created(v: impl serde::Serialize) -> Created {
    (StatusCode::CREATED, Json(json!(v)))
}

// ---- units ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UnitInput {
    code: Option<String>,
    name: Option<String>,
    kind: Option<String>,
    parent_code: Option<String>,
}
input_fields!(UnitInput { code, name, kind, parent_code });

pub async fn list_units(State(s): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    user.require(Permission::ViewOrganisation)?;
    Ok(Json(json!({"units": s.store.units(user.org_id()).await?})))
}

pub async fn get_unit(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    user.require(Permission::ViewOrganisation)?;
    Ok(Json(json!(s.store.unit(user.org_id(), parse_id(&id)?).await?)))
}

pub async fn create_unit(
    State(s): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<UnitInput>,
) -> ApiResult<Created> {
    user.require(Permission::ManageOrganisation)?;
    let unit = org::parse_unit(&input)?;
    Ok(created(s.store.create_unit(user.org_id(), &user.actor(), &unit).await?))
}

// ---- staff ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffInput {
    employee_no: Option<String>,
    name: Option<String>,
    unit_code: Option<String>,
    position: Option<String>,
    phone: Option<String>,
    certificate_no: Option<String>,
}
input_fields!(StaffInput { employee_no, name, unit_code, position, phone, certificate_no });

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StaffListQuery {
    unit_id: Option<i64>,
    q: Option<String>,
    after: Option<chuangkou_domain::StaffId>,
    limit: Option<i64>,
}

/// Staff phone numbers are personal data: only the office, leaders and
/// admins see them whole.
pub fn staff_view(user: &CurrentUser, mut s: Staff) -> Staff {
    if !user.can(Permission::ViewStaffPhones) {
        s.phone = s.phone.as_deref().map(mask_phone);
    }
    s
}

pub async fn list_staff(
    State(s): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<StaffListQuery>,
) -> ApiResult<Json<Value>> {
    user.require(Permission::ViewOrganisation)?;
    let limit = q.limit.unwrap_or(50).clamp(1, 500);
    let rows = s
        .store
        .staff_list(
            user.org_id(),
            &StaffQuery {
                unit_id: q.unit_id,
                q: q.q.filter(|s| !s.trim().is_empty()),
                after_id: q.after,
                limit,
            },
        )
        .await?;
    let next = if rows.len() as i64 == limit { rows.last().map(|r| r.id) } else { None };
    let rows: Vec<Staff> = rows.into_iter().map(|r| staff_view(&user, r)).collect();
    Ok(Json(json!({"staff": rows, "next_after": next})))
}

pub async fn get_staff(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    user.require(Permission::ViewOrganisation)?;
    let staff = s.store.staff(user.org_id(), parse_id(&id)?).await?;
    Ok(Json(json!(staff_view(&user, staff))))
}

pub async fn create_staff(
    State(s): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<StaffInput>,
) -> ApiResult<Created> {
    user.require(Permission::ManageOrganisation)?;
    let staff = org::parse_staff(&input)?;
    Ok(created(s.store.create_staff(user.org_id(), &user.actor(), &staff).await?))
}

// ---- vehicles ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VehicleInput {
    plate: Option<String>,
    unit_code: Option<String>,
    driver_employee_no: Option<String>,
}
input_fields!(VehicleInput { plate, unit_code, driver_employee_no });

pub async fn list_vehicles(State(s): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    user.require(Permission::ViewOrganisation)?;
    Ok(Json(json!({"vehicles": s.store.vehicles(user.org_id()).await?})))
}

pub async fn create_vehicle(
    State(s): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<VehicleInput>,
) -> ApiResult<Created> {
    user.require(Permission::ManageOrganisation)?;
    let v = org::parse_vehicle(&input)?;
    Ok(created(s.store.create_vehicle(user.org_id(), &user.actor(), &v).await?))
}

// ---- service points ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PointInput {
    code: Option<String>,
    name: Option<String>,
    kind: Option<String>,
    unit_code: Option<String>,
    vehicle_plate: Option<String>,
}
input_fields!(PointInput { code, name, kind, unit_code, vehicle_plate });

fn point_json(s: &AppState, p: &chuangkou_store::org::ServicePoint) -> Value {
    let mut v = json!(p);
    v["public_url"] = json!(public_point_url(s, &p.public_token));
    v
}

pub fn public_point_url(s: &AppState, token: &str) -> String {
    format!("{}/p/{token}", s.config.public_url.trim_end_matches('/'))
}

pub async fn list_points(State(s): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    user.require(Permission::ViewOrganisation)?;
    let points = s.store.service_points(user.org_id()).await?;
    Ok(Json(json!({"service_points": points.iter().map(|p| point_json(&s, p)).collect::<Vec<_>>()})))
}

pub async fn get_point(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    user.require(Permission::ViewOrganisation)?;
    let p = s.store.service_point(user.org_id(), parse_id(&id)?).await?;
    Ok(Json(point_json(&s, &p)))
}

pub async fn create_point(
    State(s): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<PointInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    user.require(Permission::ManageOrganisation)?;
    let p = org::parse_service_point(&input)?;
    let point = s.store.create_service_point(user.org_id(), &user.actor(), &p).await?;
    Ok((StatusCode::CREATED, Json(point_json(&s, &point))))
}

/// The QR code of one service point, in the user's organisation only.
pub async fn point_qr(s: &AppState, user: &CurrentUser, id: &str, png: bool) -> ApiResult<Response> {
    user.require(Permission::ViewOrganisation)?;
    let p = s.store.service_point(user.org_id(), parse_id(id)?).await?;
    let url = public_point_url(s, &p.public_token);
    Ok(if png {
        ([(CONTENT_TYPE, "image/png")], crate::qr::png(&url)?).into_response()
    } else {
        ([(CONTENT_TYPE, "image/svg+xml")], crate::qr::svg(&url)?).into_response()
    })
}

pub async fn point_qr_svg(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    point_qr(&s, &user, &id, false).await
}

pub async fn point_qr_png(
    State(s): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    point_qr(&s, &user, &id, true).await
}
