//! Service guides in the console (SPEC PUB-3): the office writes a guide
//! per matter — materials one per line as `名称|必需|原件|1` — and sees the
//! catalogue the public reads; saving a code again writes a new version.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::get;
use chuangkou_domain::{FieldError, Permission, guides};
use chuangkou_store::StoreError;
use chuangkou_store::guides::Guide;
use serde::Deserialize;

use super::{Chrome, PageResult, render_with};
use crate::AppState;
use crate::auth::{CurrentUser, PageUser};
use crate::csrf::CsrfForm;
use crate::csrf::CsrfToken;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new().route("/console/guides", get(list).post(save))
}

#[derive(Deserialize, Default, Clone)]
pub struct GuideForm {
    #[serde(default)]
    code: String,
    #[serde(default)]
    title: String,
    #[serde(default)]
    basis: String,
    #[serde(default)]
    track: String,
    #[serde(default)]
    steps: String,
    #[serde(default)]
    materials: String,
    #[serde(default)]
    fees: String,
    #[serde(default)]
    place: String,
    #[serde(default)]
    refusals: String,
}

#[derive(Template)]
#[template(path = "guides.html")]
struct GuidesPage {
    c: Chrome,
    rows: Vec<Guide>,
    tracks: Vec<(String, String)>,
    form: GuideForm,
    errors: Vec<FieldError>,
    done: bool,
}

impl GuidesPage {
    fn error(&self, field: &str) -> Option<String> {
        self.errors.iter().find(|e| e.field == field).map(|e| self.c.tr.msg(&e.message))
    }
}

#[derive(Deserialize, Default)]
struct Done {
    #[serde(default)]
    done: Option<String>,
}

async fn page(
    state: &AppState,
    tr: Tr,
    csrf: CsrfToken,
    user: &CurrentUser,
    form: GuideForm,
    errors: Vec<FieldError>,
    done: bool,
) -> PageResult {
    user.require(Permission::PublishNotices)?;
    let crate::OrgRules { org, rules } = state.org_rules(user).await?;
    let tracks = rules.pack.cases.tracks.iter().map(|t| (t.code.clone(), t.title.clone())).collect();
    let status = if errors.is_empty() { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    Ok(render_with(
        status,
        &GuidesPage {
            rows: state.store.guides(org.id, None).await?,
            tracks,
            form,
            errors,
            done,
            c: Chrome::for_user(state, tr, csrf, user, "guides").await?,
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
    page(&state, tr, csrf, &user, GuideForm::default(), vec![], q.done.is_some()).await
}

async fn save(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    CsrfForm(f): CsrfForm<GuideForm>,
) -> PageResult {
    user.require(Permission::PublishNotices)?;
    let org = state.store.organisation(user.org_id()).await?;
    let checked = guides::check(
        &f.code,
        &f.title,
        &f.basis,
        &f.track,
        &f.steps,
        &f.materials,
        &f.fees,
        &f.place,
        &f.refusals,
    );
    let errors = match checked {
        Ok(g)
            if g.track.as_deref().is_some_and(|t| {
                state.rules(&org.pack).ok().and_then(|r| r.pack.cases.track(t)).is_none()
            }) =>
        {
            vec![FieldError::new("track", "不是本单位的办理时限 / not a track of the pack")]
        }
        Ok(g) => match state.store.save_guide(org.id, &user.0, &g).await {
            Ok(_) => return Ok(Redirect::to("/console/guides?done=1").into_response()),
            Err(StoreError::Invalid(errors)) => errors,
            Err(e) => return Err(e.into()),
        },
        Err(errors) => errors,
    };
    page(&state, tr, csrf, &user, f, errors, false).await
}
