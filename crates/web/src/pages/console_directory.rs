//! The convenience directory in the console (SPEC PUB-1): keepers add an
//! entry, say an entry is still right or correct it (either way it is
//! checked now), retire it, and import or export the lot; entries due for
//! a check are marked and can be listed alone (the home page's tile).

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chuangkou_domain::FieldError;
use chuangkou_domain::directory::{self, DirectoryKind};
use chuangkou_store::StoreError;
use chuangkou_store::directory::DirectoryRow;
use serde::Deserialize;

use super::console::format_time;
use super::{Chrome, PageResult, Upload, render_with};
use crate::AppState;
use crate::api::directory::{import_file, keeper, keeps, kept_entries, review_days};
use crate::auth::{CurrentUser, PageUser};
use crate::csrf::CsrfForm;
use crate::csrf::CsrfToken;
use crate::error::AppError;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/directory", get(list).post(add))
        .route("/console/directory/{id}/check", post(check))
        .route("/console/directory/{id}/retirement", post(retire))
        .route("/console/directory/import", post(import).layer(DefaultBodyLimit::max(crate::UPLOAD_LIMIT)))
}

#[derive(Deserialize, Default, Clone)]
pub struct EntryForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    address: String,
    #[serde(default)]
    phone: String,
    #[serde(default)]
    hours: String,
    #[serde(default)]
    distance_km: String,
    #[serde(default)]
    unit_id: String,
}

#[derive(Template)]
#[template(path = "directory.html")]
struct DirectoryPage {
    c: Chrome,
    rows: Vec<DirectoryRow>,
    stale_before: i64,
    only_stale: bool,
    kinds: Vec<(String, String)>,
    units: Vec<(i64, String)>,
    /// Whether the user keeps the organisation-wide entries.
    whole_org: bool,
    form: EntryForm,
    errors: Vec<FieldError>,
    /// Refused spreadsheet rows: (row, what is wrong).
    import_errors: Vec<(usize, String)>,
    done: Option<String>,
}

impl DirectoryPage {
    fn when(&self, ms: &i64) -> String {
        format_time(*ms)
    }
    fn kind(&self, code: &str) -> String {
        DirectoryKind::parse(code).map_or(code.to_string(), |k| self.c.tr.label(k).to_string())
    }
    fn stale(&self, e: &DirectoryRow) -> bool {
        e.checked_at <= self.stale_before
    }
    fn km(&self, e: &DirectoryRow) -> String {
        e.distance_m.map(|m| format!("{}", m as f64 / 1000.0)).unwrap_or_default()
    }
    fn distance(&self, e: &DirectoryRow) -> String {
        e.distance_m.map(directory::distance_words).unwrap_or_default()
    }
    fn error(&self, field: &str) -> Option<String> {
        self.errors.iter().find(|e| e.field == field).map(|e| self.c.tr.msg(&e.message))
    }
}

#[derive(Deserialize, Default)]
struct ListQuery {
    #[serde(default)]
    stale: Option<String>,
    #[serde(default)]
    done: Option<String>,
}

#[allow(clippy::too_many_arguments)]
async fn page(
    state: &AppState,
    tr: Tr,
    csrf: CsrfToken,
    user: &CurrentUser,
    q: ListQuery,
    form: EntryForm,
    errors: Vec<FieldError>,
    import_errors: Vec<(usize, String)>,
) -> PageResult {
    let reach = keeper(state, user).await?;
    let now = state.store.now_ms();
    let stale_before = now - i64::from(review_days(state, user).await?) * 86_400_000;
    let only_stale = q.stale.is_some_and(|s| !s.is_empty());
    let rows = kept_entries(state, user)
        .await?
        .into_iter()
        .filter(|e| !only_stale || e.checked_at <= stale_before)
        .collect();
    let units = state
        .store
        .units(user.org_id())
        .await?
        .into_iter()
        .filter(|u| keeps(&reach, Some(u.id)))
        .map(|u| (u.id, u.name))
        .collect();
    let failed = !errors.is_empty() || !import_errors.is_empty();
    let done = q.done.filter(|d| ["added", "checked", "retired", "imported"].contains(&d.as_str()));
    Ok(render_with(
        if failed { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK },
        &DirectoryPage {
            rows,
            stale_before,
            only_stale,
            kinds: tr.choices(DirectoryKind::ALL),
            units,
            whole_org: keeps(&reach, None),
            form,
            errors,
            import_errors,
            done,
            c: Chrome::for_user(state, tr, csrf, user, "directory").await?,
        },
    ))
}

async fn list(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Query(q): Query<ListQuery>,
) -> PageResult {
    page(&state, tr, csrf, &user, q, EntryForm::default(), vec![], vec![]).await
}

fn checked(form: &EntryForm) -> Result<directory::NewEntry, Vec<FieldError>> {
    directory::check(&form.kind, &form.name, &form.address, &form.phone, &form.hours, &form.distance_km)
}

async fn add(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    CsrfForm(form): CsrfForm<EntryForm>,
) -> PageResult {
    let reach = keeper(&state, &user).await?;
    let unit = form.unit_id.parse().ok();
    if !keeps(&reach, unit) {
        return Err(AppError::Forbidden.into());
    }
    let errors = match checked(&form) {
        Ok(e) => match state.store.add_directory_entry(user.org_id(), &user.0, unit, &e).await {
            Ok(id) => {
                return Ok(Redirect::to(&format!("/console/directory?done=added#entry-{id}")).into_response());
            }
            Err(StoreError::Invalid(errors)) => errors,
            Err(e) => return Err(e.into()),
        },
        Err(errors) => errors,
    };
    page(&state, tr, csrf, &user, ListQuery::default(), form, errors, vec![]).await
}

/// "Still right" posts the entry's own values, "correct it" new ones:
/// either way it is checked now, by this user.
async fn check(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<EntryForm>,
) -> PageResult {
    let reach = keeper(&state, &user).await?;
    let entry = state.store.directory_entry(user.org_id(), id).await?;
    if !keeps(&reach, entry.unit_id) {
        return Err(AppError::NotFound.into());
    }
    let e = checked(&form).map_err(AppError::from)?;
    state.store.check_directory_entry(user.org_id(), &user.0, id, &e).await?;
    Ok(Redirect::to(&format!("/console/directory?done=checked#entry-{id}")).into_response())
}

async fn retire(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    if get("confirm").is_empty() {
        return Err(AppError::field("confirm", "请勾选确认 / tick to confirm").into());
    }
    let reach = keeper(&state, &user).await?;
    let entry = state.store.directory_entry(user.org_id(), id).await?;
    if !keeps(&reach, entry.unit_id) {
        return Err(AppError::NotFound.into());
    }
    state.store.retire_directory_entry(user.org_id(), &user.0, id).await?;
    Ok(Redirect::to("/console/directory?done=retired").into_response())
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
        Ok(_) => Ok(Redirect::to("/console/directory?done=imported").into_response()),
        Err(rows) => {
            page(&state, tr, csrf, &user, ListQuery::default(), EntryForm::default(), vec![], rows).await
        }
    }
}
