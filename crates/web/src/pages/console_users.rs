//! Users for admins (`/console/users`): create one (who then sets a
//! password through a one-time link), link to a staff record, change the
//! role, disable, and issue a reset link. The links are shown once, on the
//! page that made them.

use askama::Template;
use axum::Router;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chuangkou_domain::{Permission, Role, StaffId, UserId};
use chuangkou_store::users::{NewUser, UserChange};

use super::{Chrome, PageResult, form_value, render, staff_choices};
use crate::AppState;
use crate::api::users::reset_link;
use crate::auth::{CurrentUser, PageUser};
use crate::csrf::CsrfForm;
use crate::csrf::CsrfToken;
use crate::error::AppError;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/users", get(users).post(create))
        .route("/console/users/{id}", post(update))
        .route("/console/users/{id}/reset", post(reset))
}

pub struct UserLine {
    pub id: UserId,
    pub username: String,
    pub name: String,
    pub role: String,
    pub staff_id: Option<StaffId>,
    pub disabled: bool,
}

#[derive(Template)]
#[template(path = "users.html")]
struct UsersPage {
    c: Chrome,
    users: Vec<UserLine>,
    roles: Vec<(String, String)>,
    staff: Vec<(StaffId, String)>,
    /// A link just issued: (whose, link).
    link: Option<(String, String)>,
    me: UserId,
}

async fn page(
    state: &AppState,
    tr: Tr,
    csrf: CsrfToken,
    user: &CurrentUser,
    link: Option<(String, String)>,
) -> PageResult {
    user.require(Permission::ManageUsers)?;
    let users = state
        .store
        .users(user.org_id())
        .await?
        .into_iter()
        .map(|u| UserLine {
            id: u.id,
            username: u.username,
            name: u.display_name,
            role: u.role,
            staff_id: u.staff_id,
            disabled: u.disabled,
        })
        .collect();
    Ok(render(&UsersPage {
        c: Chrome::for_user(state, tr, csrf, user, "users").await?,
        users,
        roles: Role::ALL.iter().map(|r| (r.as_str().to_string(), tr.label(*r).to_string())).collect(),
        staff: staff_choices(state, user.org_id()).await?,
        link,
        me: user.0.id,
    }))
}

async fn users(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
) -> PageResult {
    page(&state, tr, csrf, &user, None).await
}

type FormFields = std::collections::HashMap<String, String>;

fn staff_of(form: &std::collections::HashMap<String, String>) -> Result<Option<StaffId>, AppError> {
    match form_value(form, "staff_id").trim() {
        "" => Ok(None),
        v => {
            v.parse().map(Some).map_err(|_| AppError::field("staff_id", "员工不存在 / no such staff member"))
        }
    }
}

fn role_of(form: &std::collections::HashMap<String, String>) -> Result<Role, AppError> {
    Role::parse(&form_value(form, "role")).ok_or_else(|| AppError::field("role", "未知角色 / unknown role"))
}

async fn create(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    CsrfForm(form): CsrfForm<FormFields>,
) -> PageResult {
    user.require(Permission::ManageUsers)?;
    let username = chuangkou_domain::text::code("username", &form_value(&form, "username"))
        .map_err(|e| AppError::Validation(vec![e]))?
        .to_lowercase();
    let name = chuangkou_domain::text::required("display_name", &form_value(&form, "display_name"), 40)
        .map_err(|e| AppError::Validation(vec![e]))?;
    let role = role_of(&form)?;
    let unusable = crate::auth::hash_password(chuangkou_store::random_token(32)).await?;
    let org = user.org_id();
    let new =
        NewUser { username: &username, display_name: &name, password_hash: &unusable, role, staff_id: None };
    let created = state.store.create_user(org, &user.actor(), &new).await?;
    if let Some(s) = staff_of(&form)? {
        let change = UserChange { staff_id: Some(Some(s)), ..Default::default() };
        state.store.update_user(org, &user.actor(), created.id, &change).await?;
    }
    let (token, _) = state.store.issue_password_reset(org, &user.actor(), created.id).await?;
    page(&state, tr, csrf, &user, Some((created.username, reset_link(&state, &token)))).await
}

async fn update(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<UserId>,
    CsrfForm(form): CsrfForm<FormFields>,
) -> Result<Response, super::PageError> {
    user.require(Permission::ManageUsers)?;
    let change = UserChange {
        role: Some(role_of(&form)?),
        staff_id: Some(staff_of(&form)?),
        disabled: Some(form_value(&form, "disabled") == "on"),
    };
    if id == user.0.id && (change.role != Some(user.role()) || change.disabled == Some(true)) {
        return Err(AppError::Conflict(
            "不能更改自己的角色或停用自己 / you cannot change your own role or disable yourself".into(),
        )
        .into());
    }
    state.store.update_user(user.org_id(), &user.actor(), id, &change).await?;
    Ok(Redirect::to("/console/users").into_response())
}

async fn reset(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Path(id): Path<UserId>,
    CsrfForm(_form): CsrfForm<FormFields>,
) -> PageResult {
    user.require(Permission::ManageUsers)?;
    let (token, _) = state.store.issue_password_reset(user.org_id(), &user.actor(), id).await?;
    let whose = state.store.users(user.org_id()).await?.into_iter().find(|u| u.id == id).map(|u| u.username);
    page(&state, tr, csrf, &user, Some((whose.unwrap_or_default(), reset_link(&state, &token)))).await
}
