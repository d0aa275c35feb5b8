//! Duty rosters and facilities in the console (issue 19 point 5): a
//! keeper sees the week's roster of their units, adds a shift or imports a
//! sheet of them, and keeps each service point's facilities — what is
//! expiring or out of use is marked, and an inspector can inspect a point
//! with its facilities listed.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chuangkou_domain::FieldError;
use chuangkou_domain::duty::{self, Condition, DutyKind, FacilityKind};
use chuangkou_store::StoreError;
use chuangkou_store::duty::{FacilityRow, NewShift, ShiftRow};
use serde::Deserialize;

use super::console::format_time;
use super::{Chrome, PageResult, Upload, render_with};
use crate::AppState;
use crate::api::duty::{import_file, keeper, kept_facilities, roster_for, warning};
use crate::auth::{CurrentUser, PageUser};
use crate::csrf::CsrfForm;
use crate::csrf::CsrfToken;
use crate::error::AppError;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/duty", get(list).post(add_shift))
        .route("/console/duty/import", post(import).layer(DefaultBodyLimit::max(crate::UPLOAD_LIMIT)))
        .route("/console/facilities", post(add_facility))
        .route("/console/facilities/{id}/retirement", post(retire_facility))
}

/// The add-a-shift and add-a-facility forms, as typed.
#[derive(Deserialize, Default, Clone)]
pub struct DutyForm {
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    staff_id: String,
    #[serde(default)]
    date: String,
    #[serde(default)]
    duty: String,
    #[serde(default)]
    from: String,
    #[serde(default)]
    to: String,
    #[serde(default)]
    note: String,
    #[serde(default)]
    service_point_id: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    quantity: String,
    #[serde(default)]
    expires_on: String,
}

#[derive(Template)]
#[template(path = "duty.html")]
struct DutyPage {
    c: Chrome,
    first_day: String,
    shifts: Vec<ShiftRow>,
    facilities: Vec<FacilityRow>,
    /// Facility ids expiring within the pack's warning days.
    expiring: Vec<i64>,
    warn_days: u32,
    units: Vec<(i64, String)>,
    staff: Vec<super::StaffGroup>,
    points: Vec<(i64, String)>,
    duties: Vec<(String, String)>,
    facility_kinds: Vec<(String, String)>,
    may_inspect: bool,
    form: DutyForm,
    errors: Vec<FieldError>,
    import_errors: Vec<(usize, String)>,
    done: Option<String>,
}

impl DutyPage {
    fn when(&self, ms: &i64) -> String {
        format_time(*ms)
    }
    fn duty(&self, code: &str) -> String {
        DutyKind::parse(code).map_or(code.to_string(), |k| self.c.tr.label(k).to_string())
    }
    fn kind(&self, code: &str) -> String {
        FacilityKind::parse(code).map_or(code.to_string(), |k| self.c.tr.label(k).to_string())
    }
    fn condition(&self, code: &str) -> String {
        Condition::parse(code).map_or(code.to_string(), |k| self.c.tr.label(k).to_string())
    }
    fn unusable(&self, f: &FacilityRow) -> bool {
        Condition::parse(&f.condition).is_some_and(|c| !c.usable())
    }
    fn error(&self, field: &str) -> Option<String> {
        self.errors.iter().find(|e| e.field == field).map(|e| self.c.tr.msg(&e.message))
    }
}

#[derive(Deserialize, Default)]
struct DutyQuery {
    #[serde(default)]
    from: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

async fn page(
    state: &AppState,
    (tr, csrf): (Tr, CsrfToken),
    user: &CurrentUser,
    q: DutyQuery,
    form: DutyForm,
    (errors, import_errors): (Vec<FieldError>, Vec<(usize, String)>),
) -> PageResult {
    let reach = keeper(state, user).await?;
    let (first, shifts) = roster_for(state, user, q.from.as_deref(), 7).await?;
    let facilities = kept_facilities(state, user, None).await?;
    let (today, warn_days) = warning(state, user.org_id()).await?;
    let expiring = facilities
        .iter()
        .filter(|f| duty::expiring(f.expires_on.as_deref().and_then(duty::parse_date), today, warn_days))
        .map(|f| f.id)
        .collect();
    let units = state.store.units(user.org_id()).await?;
    let names = chuangkou_store::org::full_names(&units);
    let kept_units: Vec<(i64, String)> = units
        .iter()
        .filter(|u| reach.sees_unit(u.id))
        .map(|u| (u.id, names.get(&u.id).cloned().unwrap_or_else(|| u.name.clone())))
        .collect();
    let points = state
        .store
        .service_points(user.org_id())
        .await?
        .into_iter()
        .filter(|p| reach.sees_unit(p.unit_id))
        .map(|p| (p.id, format!("{} {}", p.unit_name, p.name)))
        .collect();
    let failed = !errors.is_empty() || !import_errors.is_empty();
    let done = q.done.filter(|d| ["shift", "imported", "facility", "retired"].contains(&d.as_str()));
    let page = DutyPage {
        first_day: first.to_string(),
        shifts,
        facilities,
        expiring,
        warn_days,
        units: kept_units,
        staff: super::staff_groups(state, user.org_id(), None).await?,
        points,
        duties: tr.choices(DutyKind::ALL),
        facility_kinds: tr.choices(FacilityKind::ALL),
        may_inspect: chuangkou_store::inspections::may_inspect(user.role()),
        form,
        errors,
        import_errors,
        done,
        c: Chrome::for_user(state, tr, csrf, user, "duty").await?,
    };
    Ok(render_with(if failed { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK }, &page))
}

async fn list(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Query(q): Query<DutyQuery>,
) -> PageResult {
    page(&state, (tr, csrf), &user, q, DutyForm::default(), (vec![], vec![])).await
}

/// Turns a refusal with field errors into the page shown again with them.
async fn again(
    state: &AppState,
    page_of: (Tr, CsrfToken),
    user: &CurrentUser,
    form: DutyForm,
    result: Result<String, StoreError>,
) -> PageResult {
    match result {
        Ok(to) => Ok(Redirect::to(&to).into_response()),
        Err(StoreError::Invalid(errors)) => {
            page(state, page_of, user, DutyQuery::default(), form, (errors, vec![])).await
        }
        Err(e) => Err(e.into()),
    }
}

async fn add_shift(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    CsrfForm(form): CsrfForm<DutyForm>,
) -> PageResult {
    let reach = keeper(&state, &user).await?;
    let offset = crate::api::notices::offset_of(&state, user.org_id()).await?;
    let mut checked = duty::check_shift(&form.date, &form.duty, &form.from, &form.to, &form.note, offset);
    let (unit, staff) =
        (form.unit_id.parse::<i64>().ok(), form.staff_id.parse::<chuangkou_domain::StaffId>().ok());
    if unit.is_some_and(|u| !reach.sees_unit(u)) {
        return Err(AppError::Forbidden.into());
    }
    let missing = |field: &str, m: &str| FieldError::new(field, m);
    let mut more = vec![];
    if unit.is_none() {
        more.push(missing("unit_id", "请选择单位 / choose a unit"));
    }
    if staff.is_none() {
        more.push(missing("staff_id", "请选择值班人员 / choose who is on duty"));
    }
    if !more.is_empty() {
        checked = Err(checked.err().unwrap_or_default().into_iter().chain(more).collect());
    }
    let result = match (checked, unit, staff) {
        (Ok(shift), Some(unit_id), Some(staff_id)) => state
            .store
            .roster(user.org_id(), &user.0, &[NewShift { unit_id, staff_id, shift }])
            .await
            .map(|ids| format!("/console/duty?done=shift&from={}#shift-{}", form.date.trim(), ids[0])),
        (Err(errors), ..) => Err(StoreError::Invalid(errors)),
        _ => unreachable!("a missing unit or person is an error above"),
    };
    again(&state, (tr, csrf), &user, form, result).await
}

async fn import(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    headers: HeaderMap,
    PageUser(user): PageUser,
    multipart: Multipart,
) -> PageResult {
    let up = Upload::read_form(&headers, multipart).await?;
    let (name, bytes) = up
        .file("file")
        .filter(|(_, b)| !b.is_empty())
        .ok_or_else(|| AppError::bad_request("bad_form", "请选择文件 / choose a file"))?;
    match import_file(&state, &user, &bytes, &name).await? {
        Ok(_) => Ok(Redirect::to("/console/duty?done=imported").into_response()),
        Err(rows) => {
            page(&state, (tr, csrf), &user, DutyQuery::default(), DutyForm::default(), (vec![], rows)).await
        }
    }
}

async fn add_facility(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    CsrfForm(form): CsrfForm<DutyForm>,
) -> PageResult {
    let reach = keeper(&state, &user).await?;
    let point = state
        .store
        .service_points(user.org_id())
        .await?
        .into_iter()
        .find(|p| Some(p.id) == form.service_point_id.parse().ok());
    let result = match (point, duty::check_facility(&form.kind, &form.name, &form.quantity, &form.expires_on))
    {
        (Some(p), _) if !reach.sees_unit(p.unit_id) => return Err(AppError::Forbidden.into()),
        (Some(p), Ok(f)) => state
            .store
            .add_facility(user.org_id(), &user.0, p.id, &f)
            .await
            .map(|id| format!("/console/duty?done=facility#facility-{id}")),
        (None, _) => Err(StoreError::field("service_point_id", "请选择服务点 / choose a service point")),
        (_, Err(errors)) => Err(StoreError::Invalid(errors)),
    };
    again(&state, (tr, csrf), &user, form, result).await
}

async fn retire_facility(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    let reach = keeper(&state, &user).await?;
    let f = state.store.facility(user.org_id(), id).await?;
    if !reach.sees_unit(f.unit_id) {
        return Err(AppError::NotFound.into());
    }
    state.store.retire_facility(user.org_id(), &user.0, id, &get("reason")).await?;
    Ok(Redirect::to("/console/duty?done=retired#facilities").into_response())
}
