//! Public notices in the console (SPEC PUB-2): the office writes a notice,
//! publishes it now or later, and withdraws it with a reason; the list says
//! which notices the public sees now and links the public feeds.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chuangkou_domain::notices::{self, NoticeKind, NoticeState};
use chuangkou_domain::{FieldError, Permission};
use chuangkou_store::StoreError;
use chuangkou_store::notices::NoticeRow;
use serde::Deserialize;

use super::console::format_time;
use super::{Chrome, PageResult, render_with};
use crate::AppState;
use crate::api::notices::{offset_of, parse_time};
use crate::auth::PageUser;
use crate::csrf::CsrfForm;
use crate::csrf::CsrfToken;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/notices", get(list).post(create))
        .route("/console/notices/{id}/publication", post(publish))
        .route("/console/notices/{id}/withdrawal", post(withdraw))
}

#[derive(Deserialize, Default, Clone)]
pub struct NoticeForm {
    #[serde(default)]
    kind: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    body: String,
    #[serde(default)]
    area: String,
    #[serde(default)]
    valid_from: String,
    #[serde(default)]
    valid_until: String,
    #[serde(default)]
    unit_id: String,
    #[serde(default)]
    publish: String,
}

#[derive(Template)]
#[template(path = "public_notices_console.html")]
struct NoticesPage {
    c: Chrome,
    rows: Vec<NoticeRow>,
    now: i64,
    kinds: Vec<(String, String)>,
    units: Vec<(i64, String, String)>,
    /// Units facing the public, each with a sign feed (a station, a
    /// terminal, a lock, a hall; not a team or a department).
    signs: Vec<(String, String)>,
    form: NoticeForm,
    errors: Vec<FieldError>,
    done: Option<String>,
}

impl NoticesPage {
    fn when(&self, ms: &i64) -> String {
        format_time(*ms)
    }
    fn kind(&self, code: &str) -> String {
        NoticeKind::parse(code).map_or(code.to_string(), |k| self.c.tr.label(k).to_string())
    }
    fn state(&self, n: &NoticeRow) -> String {
        // Past its window, a notice is expired even before the sweep writes it.
        let state = match NoticeState::parse(&n.state).unwrap_or(NoticeState::Draft) {
            NoticeState::Published if n.valid_until <= self.now => NoticeState::Expired,
            state => state,
        };
        self.c.tr.label(state).to_string()
    }
    fn public_now(&self, n: &NoticeRow) -> bool {
        NoticeState::parse(&n.state).is_some_and(|s| notices::shown(s, n.valid_from, n.valid_until, self.now))
    }
    fn can_publish(&self, n: &NoticeRow) -> bool {
        n.state == NoticeState::Draft.as_str()
    }
    fn can_withdraw(&self, n: &NoticeRow) -> bool {
        NoticeState::parse(&n.state).is_some_and(|s| s.may_move_to(NoticeState::Withdrawn))
            && n.valid_until > self.now
    }
    /// The message for `field` in the refused form, in the page's language.
    fn error(&self, field: &str) -> Option<String> {
        self.errors.iter().find(|e| e.field == field).map(|e| self.c.tr.msg(&e.message))
    }
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

async fn page(
    state: &AppState,
    tr: Tr,
    csrf: CsrfToken,
    user: &crate::auth::CurrentUser,
    form: NoticeForm,
    errors: Vec<FieldError>,
    done: Option<String>,
) -> PageResult {
    user.require(Permission::PublishNotices)?;
    use chuangkou_domain::org::UnitKind;
    let all = state.store.units(user.org_id()).await?;
    let public = |k: &str| {
        matches!(
            UnitKind::parse(k),
            Some(UnitKind::Station | UnitKind::Terminal | UnitKind::Lock | UnitKind::Hall)
        )
    };
    let signs = all.iter().filter(|u| public(&u.kind)).map(|u| (u.code.clone(), u.name.clone())).collect();
    let units = all.into_iter().map(|u| (u.id, u.code, u.name)).collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let done = done.filter(|d| ["created", "published", "withdrawn"].contains(&d.as_str()));
    Ok(render_with(
        status,
        &NoticesPage {
            rows: state.store.notices(user.org_id()).await?,
            now: state.store.now_ms(),
            kinds: tr.choices(NoticeKind::ALL),
            units,
            signs,
            form,
            errors,
            done,
            c: Chrome::for_user(state, tr, csrf, user, "public_notices").await?,
        },
    ))
}

async fn list(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Query(q): Query<Done>,
) -> PageResult {
    let form = NoticeForm { publish: "1".into(), ..Default::default() };
    page(&state, tr, csrf, &user, form, vec![], q.done).await
}

async fn create(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    CsrfForm(form): CsrfForm<NoticeForm>,
) -> PageResult {
    user.require(Permission::PublishNotices)?;
    let offset = offset_of(&state, user.org_id()).await?;
    let window = (parse_time(&form.valid_from, offset), parse_time(&form.valid_until, offset));
    let unit = form.unit_id.parse().ok();
    let checked = notices::check(&form.kind, &form.title, &form.body, &form.area, window, unit);
    let errors = match checked {
        Ok(n) => {
            match state.store.create_notice(user.org_id(), &user.0, &n, !form.publish.is_empty()).await {
                Ok(id) => {
                    return Ok(
                        Redirect::to(&format!("/console/notices?done=created#notice-{id}")).into_response()
                    );
                }
                Err(StoreError::Invalid(errors)) => errors,
                Err(e) => return Err(e.into()),
            }
        }
        Err(errors) => errors,
    };
    page(&state, tr, csrf, &user, form, errors, None).await
}

async fn publish(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    CsrfForm(_form): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    state.store.publish_notice(user.org_id(), &user.0, id).await?;
    Ok(Redirect::to(&format!("/console/notices?done=published#notice-{id}")).into_response())
}

async fn withdraw(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    if get("confirm").is_empty() {
        return Err(crate::error::AppError::field("confirm", "请勾选确认 / tick to confirm").into());
    }
    state.store.withdraw_notice(user.org_id(), &user.0, id, &get("reason")).await?;
    Ok(Redirect::to(&format!("/console/notices?done=withdrawn#notice-{id}")).into_response())
}
