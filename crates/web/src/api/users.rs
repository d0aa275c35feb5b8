//! Users, managed by admins (SPEC "Users and roles": create, link to a staff
//! record, change role, disable, reset): a new user and a forgotten
//! password both get a one-time link to set their own password, so no
//! password ever passes through an admin. A change of role or status ends
//! the user's sessions and API tokens; every change is an event.

use axum::Json;
use axum::extract::State;

use crate::extract::ApiPath as Path;
use axum::http::StatusCode;
use chuangkou_domain::{Permission, Role, StaffId, UserId, text};
use chuangkou_store::users::{NewUser, UserChange};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::{ApiResult, AppError};
use crate::extract::ApiJson;

/// The link a user opens to set a password.
pub fn reset_link(state: &AppState, token: &str) -> String {
    format!("{}/reset/{token}", state.config.public_url.trim_end_matches('/'))
}

pub async fn list(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    user.require(Permission::ManageUsers)?;
    Ok(Json(json!({"users": state.store.users(user.org_id()).await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NewUserInput {
    pub username: String,
    pub display_name: String,
    pub role: String,
    pub staff_id: Option<StaffId>,
}

fn role_of(r: &str) -> Result<Role, AppError> {
    Role::parse(r).ok_or_else(|| AppError::field("role", "未知角色 / unknown role"))
}

/// Creates a user who sets their own password through the link returned once.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<NewUserInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    user.require(Permission::ManageUsers)?;
    let username = text::code("username", &input.username).map_err(|e| vec![e])?.to_lowercase();
    let display_name = text::required("display_name", &input.display_name, 40).map_err(|e| vec![e])?;
    let role = role_of(&input.role)?;
    // Nobody knows this password: the user sets their own through the link.
    let unusable = crate::auth::hash_password(chuangkou_store::random_token(32)).await?;
    let org = user.org_id();
    let created = state
        .store
        .create_user(
            org,
            &user.actor(),
            &NewUser {
                username: &username,
                display_name: &display_name,
                password_hash: &unusable,
                role,
                staff_id: None,
            },
        )
        .await?;
    let created = match input.staff_id {
        Some(s) => {
            let change = UserChange { staff_id: Some(Some(s)), ..Default::default() };
            state.store.update_user(org, &user.actor(), created.id, &change).await?
        }
        None => created,
    };
    let (token, expires_at) = state.store.issue_password_reset(org, &user.actor(), created.id).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"user": created, "reset_link": reset_link(&state, &token), "expires_at": expires_at})),
    ))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UserChangeInput {
    pub role: Option<String>,
    /// A staff record's id, or null to unlink; absent leaves it.
    #[serde(default, deserialize_with = "some_null")]
    pub staff_id: Option<Option<StaffId>>,
    pub disabled: Option<bool>,
}

/// `"staff_id": null` is a change (unlink), a missing field is none.
fn some_null<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<Option<StaffId>>, D::Error> {
    Ok(Some(Option::deserialize(d)?))
}

/// Changes a user's role, staff record or status.
pub async fn update(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<UserId>,
    ApiJson(input): ApiJson<UserChangeInput>,
) -> ApiResult<Json<Value>> {
    user.require(Permission::ManageUsers)?;
    let change = UserChange {
        role: input.role.as_deref().map(role_of).transpose()?,
        staff_id: input.staff_id,
        disabled: input.disabled,
    };
    // An admin does not lock themselves out.
    if id == user.0.id && (change.role.is_some_and(|r| r != user.role()) || change.disabled == Some(true)) {
        return Err(AppError::Conflict(
            "不能更改自己的角色或停用自己 / you cannot change your own role or disable yourself".into(),
        ));
    }
    Ok(Json(json!({"user": state.store.update_user(user.org_id(), &user.actor(), id, &change).await?})))
}

/// A one-time link for the user to set a new password.
pub async fn reset(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<UserId>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    user.require(Permission::ManageUsers)?;
    let (token, expires_at) = state.store.issue_password_reset(user.org_id(), &user.actor(), id).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"reset_link": reset_link(&state, &token), "expires_at": expires_at})),
    ))
}
