//! Server-rendered pages: the staff console and the public pages.
//!
//! Templates are askama files under `templates/`, compiled into the binary
//! and auto-escaped. Forms post and redirect (303); GET never changes state.

use askama::Template;
use axum::Router;
use axum::http::request::Parts;
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use chuangkou_domain::OrgId;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::csrf::CsrfToken;
use crate::error::AppError;
use crate::i18n::Tr;

mod annual;
mod console;
mod console_campaigns;
mod console_case_list;
mod console_case_new;
mod console_cases;
mod console_directory;
mod console_duty;
mod console_guides;
mod console_inspections;
mod console_ledger;
mod console_notices;
mod console_recognition;
mod console_satisfaction;
mod console_training;
mod console_users;
pub(crate) mod dashboard;
mod home;
mod public;
mod public_cases;
mod public_surveys;
mod session;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(session::home))
        .route("/login", get(session::login_page).post(session::login))
        .route("/logout", post(session::logout))
        .route("/reset/{token}", get(session::reset_page).post(session::reset))
        .route("/lang/{code}", get(session::switch_lang))
        .route("/static/app.css", get(css))
        .route("/static/track.js", get(track_js))
        .merge(console::router())
        .merge(home::router())
        .merge(console_cases::router())
        .merge(console_case_list::router())
        .merge(console_case_new::router())
        .merge(console_ledger::router())
        .merge(console_inspections::router())
        .merge(console_notices::router())
        .merge(console_campaigns::router())
        .merge(console_directory::router())
        .merge(console_duty::router())
        .merge(console_training::router())
        .merge(console_recognition::router())
        .merge(console_guides::router())
        .merge(console_satisfaction::router())
        .merge(dashboard::router())
        .merge(annual::router())
        .merge(console_users::router())
        .merge(public::router())
        .merge(public_cases::router())
}

/// What every page's frame needs: words, the form token, who is signed in.
pub struct Chrome {
    pub tr: Tr,
    pub csrf: String,
    pub user_name: Option<String>,
    pub role_label: String,
    pub org_name: String,
    pub org_code: String,
    /// The signed-in user's role code, to show only what they may use.
    pub role: &'static str,
    /// The navigation entry to highlight.
    pub nav: &'static str,
    /// Unread notifications, for the header's badge.
    pub unread: i64,
}

impl Chrome {
    pub fn public(tr: Tr, csrf: CsrfToken) -> Self {
        Chrome {
            tr,
            csrf: csrf.0,
            user_name: None,
            role_label: String::new(),
            org_name: String::new(),
            org_code: String::new(),
            role: "",
            nav: "",
            unread: 0,
        }
    }

    pub async fn for_user(
        state: &AppState,
        tr: Tr,
        csrf: CsrfToken,
        user: &CurrentUser,
        nav: &'static str,
    ) -> Result<Self, PageError> {
        let org = state.store.organisation(user.org_id()).await?;
        let role = user.role();
        Ok(Chrome {
            tr,
            csrf: csrf.0,
            user_name: Some(user.0.display_name.clone()),
            role_label: tr.label(role).to_string(),
            org_name: org.name,
            org_code: org.code,
            role: role.as_str(),
            nav,
            unread: state.store.unread_notifications(user.org_id(), user.0.id).await?,
        })
    }

    pub fn is(&self, nav: &str) -> bool {
        self.nav == nav
    }

    /// The unread count as the badge shows it: "99+" past what is counted.
    pub fn unread_shown(&self) -> String {
        if self.unread >= chuangkou_store::cases::UNREAD_COUNTED {
            format!("{}+", chuangkou_store::cases::UNREAD_COUNTED - 1)
        } else {
            self.unread.to_string()
        }
    }

    /// Whether the user sees any record of a kind (`"cases"`, `"ledger"`,
    /// `"inspections"`, `"reports"`): a menu offers only pages that open.
    pub fn sees(&self, kind: &str) -> bool {
        use chuangkou_domain::access::Sight;
        let Some(role) = chuangkou_domain::Role::parse(self.role) else { return false };
        let sight = match kind {
            "cases" => role.case_sight(),
            "ledger" => role.ledger_sight(),
            "inspections" => role.inspection_sight(),
            "reports" => role.report_sight(),
            "directory" => role.keeping_sight(),
            _ => {
                debug_assert!(false, "no kind of record named {kind}");
                Sight::Nothing
            }
        };
        sight != Sight::Nothing
    }

    /// Whether the user may do what the permission `name` (as in the
    /// table: `"ViewAssessment"`) allows; an unknown name is a bug.
    pub fn can(&self, name: &str) -> bool {
        let p = chuangkou_domain::Permission::parse(name);
        debug_assert!(p.is_some(), "no permission named {name}");
        let role = chuangkou_domain::Role::parse(self.role);
        p.zip(role).is_some_and(|(p, r)| r.can(p))
    }
}

/// A field of a posted form; empty when missing.
/// An event's actor as people read it: a user by name, not `user:7`;
/// the public and the system in words; anything else as recorded.
pub(crate) fn actor_label(actor: &str, users: &[chuangkou_store::users::User], tr: Tr) -> String {
    user_name(actor, users).unwrap_or_else(|| match actor {
        "public" => tr.t("actor.public").into(),
        "system" => tr.t("actor.system").into(),
        other => other.into(),
    })
}

/// The name of the user an event's actor names, if it names one of `users`.
pub(crate) fn user_name(actor: &str, users: &[chuangkou_store::users::User]) -> Option<String> {
    let id = chuangkou_store::users::User::of_actor(actor)?;
    users.iter().find(|u| u.id == id).map(|u| u.display_name.clone())
}

pub fn form_value(form: &std::collections::HashMap<String, String>, key: &str) -> String {
    form.get(key).cloned().unwrap_or_default()
}

pub fn render(t: &impl Template) -> Response {
    render_with(StatusCode::OK, t)
}

pub fn render_with(status: StatusCode, t: &impl Template) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => AppError::Internal(format!("template: {e}")).into_response(),
    }
}

/// An error on a page: the same codes as the API, shown as a page.
#[derive(Debug)]
pub struct PageError(pub AppError);

impl<E: Into<AppError>> From<E> for PageError {
    fn from(e: E) -> Self {
        PageError(e.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    tr: Tr,
    status: u16,
    message: String,
    code: &'static str,
    /// What is wrong with each field, for a form that did not pass.
    fields: Vec<chuangkou_domain::FieldError>,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        if let AppError::Internal(cause) = &self.0 {
            tracing::error!(%cause, "internal error on a page");
        }
        let status = self.0.status();
        let tr = Tr::current();
        let fields = match &self.0 {
            AppError::Validation(errors) => errors
                .iter()
                .map(|f| chuangkou_domain::FieldError { field: f.field.clone(), message: tr.msg(&f.message) })
                .collect(),
            _ => vec![],
        };
        render_with(
            status,
            &ErrorPage {
                tr,
                status: status.as_u16(),
                message: tr.msg(&self.0.message()),
                code: self.0.code(),
                fields,
            },
        )
    }
}

pub fn error_page(_parts: &Parts, e: AppError) -> Response {
    PageError(e).into_response()
}

pub async fn not_found(uri: axum::http::Uri) -> Response {
    if uri.path().starts_with("/api/") {
        AppError::NotFound.into_response()
    } else {
        PageError(AppError::NotFound).into_response()
    }
}

async fn css() -> Response {
    (
        [(header::CONTENT_TYPE, "text/css; charset=utf-8"), (header::CACHE_CONTROL, "public, max-age=3600")],
        include_str!("../../static/app.css"),
    )
        .into_response()
}

async fn track_js() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/track.js"),
    )
        .into_response()
}

pub type PageResult = Result<Response, PageError>;

/// A refused form's error as the person reads it: each bad field with its
/// message, or the refusal's message.
pub(crate) fn form_error(tr: &crate::i18n::Tr, e: &AppError) -> String {
    match e {
        AppError::Validation(fields) => fields
            .iter()
            .map(|f| format!("{}: {}", f.field, tr.msg(&f.message)))
            .collect::<Vec<_>>()
            .join("; "),
        other => tr.msg(&other.message()),
    }
}

/// Supervisors record inspections and reports, and nothing else: a page of
/// the organisation (the home, the tree) sends them to their inspections.
pub(super) fn supervisor_elsewhere(user: &crate::auth::CurrentUser) -> Option<Response> {
    (!user.can(chuangkou_domain::Permission::ViewOrganisation)).then(|| {
        axum::response::IntoResponse::into_response(axum::response::Redirect::to("/console/inspections"))
    })
}

/// Whether a request carries a multipart form (files), not an urlencoded one.
pub fn is_multipart(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("multipart/form-data"))
}

/// A multipart form as posted: its text fields and its non-empty files as
/// `(field, file name, bytes)`. A page reads it with [`Upload::read_form`],
/// which checks its CSRF field; the API, whose callers send no form token,
/// with [`Upload::read`].
pub struct Upload {
    pub fields: std::collections::HashMap<String, String>,
    pub files: Vec<(String, String, Vec<u8>)>,
}

impl Upload {
    pub async fn read(mut multipart: axum::extract::Multipart) -> Result<Upload, AppError> {
        let bad = |e: axum::extract::multipart::MultipartError| {
            if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
                AppError::TooLarge
            } else {
                AppError::bad_request("bad_form", e.body_text())
            }
        };
        let mut up = Upload { fields: Default::default(), files: vec![] };
        while let Some(field) = multipart.next_field().await.map_err(bad)? {
            let name = field.name().unwrap_or("").to_string();
            match field.file_name().map(str::to_string) {
                Some(file_name) => {
                    let bytes = field.bytes().await.map_err(bad)?;
                    if !bytes.is_empty() {
                        up.files.push((name, file_name, bytes.to_vec()));
                    }
                }
                None => {
                    let text = field.text().await.map_err(bad)?;
                    up.fields.insert(name, text);
                }
            }
        }
        Ok(up)
    }

    /// A page's upload form, refused unless its `_csrf` field matches the
    /// cookie (as [`crate::csrf::CsrfForm`] does for the other forms).
    pub async fn read_form(
        headers: &axum::http::HeaderMap,
        multipart: axum::extract::Multipart,
    ) -> Result<Upload, AppError> {
        let up = Upload::read(multipart).await?;
        crate::csrf::check(headers, &up.get("_csrf"))?;
        Ok(up)
    }

    /// A text field, trimmed; empty when absent.
    pub fn get(&self, name: &str) -> String {
        self.fields.get(name).map(|v| v.trim().to_string()).unwrap_or_default()
    }

    /// The first file of a field, with its name.
    pub fn file(&self, name: &str) -> Option<(String, Vec<u8>)> {
        self.files.iter().find(|f| f.0 == name).map(|f| (f.1.clone(), f.2.clone()))
    }
}

/// The result page of a spreadsheet import (rosters, attendance).
#[derive(Template)]
#[template(path = "import_result.html")]
pub struct ImportResultPage {
    pub c: Chrome,
    pub applied: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub errors: Vec<chuangkou_domain::roster::ImportError>,
}

/// A picker's group: the unit's name and its people `(id, "工号 姓名")`.
pub type StaffGroup = (String, Vec<(chuangkou_domain::StaffId, String)>);

/// A staff picker's options in groups by unit, `(unit name, [(id, "工号 姓名")])`,
/// the unit concerned (and the teams under it) first, so that the person
/// looked for is near the top; a browser's select finds them by typing the
/// 工号.
pub async fn staff_groups(
    state: &AppState,
    org_id: OrgId,
    concerned: Option<i64>,
) -> Result<Vec<StaffGroup>, AppError> {
    let q = chuangkou_store::org::StaffQuery { limit: 500, ..Default::default() };
    let staff = state.store.staff_list(org_id, &q).await?;
    let units = state.store.units(org_id).await?;
    let under = |mut u: Option<i64>| {
        while let Some(id) = u {
            if Some(id) == concerned {
                return true;
            }
            u = units.iter().find(|x| x.id == id).and_then(|x| x.parent_id);
        }
        false
    };
    // (the unit concerned?, the group)
    let mut groups: Vec<(bool, StaffGroup)> = vec![];
    for s in staff.into_iter().filter(|s| s.active) {
        let label = format!("{} {}", s.employee_no, s.name);
        match groups.iter_mut().find(|g| g.1.0 == s.unit_name) {
            Some(g) => g.1.1.push((s.id, label)),
            None => groups.push((under(Some(s.unit_id)), (s.unit_name.clone(), vec![(s.id, label)]))),
        }
    }
    // The unit concerned first; the others in the roster's order.
    groups.sort_by_key(|g| !g.0);
    Ok(groups.into_iter().map(|(_, g)| g).collect())
}

/// Staff of the organisation for a form's picker: `(id, "工号 姓名（单位）")`.
pub async fn staff_choices(
    state: &AppState,
    org_id: OrgId,
) -> Result<Vec<(chuangkou_domain::StaffId, String)>, AppError> {
    let q = chuangkou_store::org::StaffQuery { limit: 500, ..Default::default() };
    Ok(state
        .store
        .staff_list(org_id, &q)
        .await?
        .into_iter()
        .map(|s| (s.id, format!("{} {}（{}）", s.employee_no, s.name, s.unit_name)))
        .collect())
}
