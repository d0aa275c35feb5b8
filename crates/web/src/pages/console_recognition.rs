//! Recognition and publicity in the console (SPEC CMP-1/2, issue 20 point
//! 4): certificates (issued for a closed period's awards or as a campaign
//! honour, printed as PDF, their rewards paid by finance), typical cases
//! written from records and published, and the media log. Everyone sees
//! their own certificates here.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chuangkou_domain::recognition::TypicalKind;
use chuangkou_domain::{Fen, Permission};
use chuangkou_store::recognition::{CertificateRow, MediaRow, TypicalCaseRow};
use serde::Deserialize;

use super::{Chrome, PageResult, render_with};
use crate::AppState;
use crate::api::recognition::{self as api, HonourInput, MediaInput, TypicalInput};
use crate::auth::{CurrentUser, PageUser};
use crate::csrf::CsrfForm;
use crate::csrf::CsrfToken;
use crate::error::AppError;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/recognition", get(index).post(act))
        .route("/console/recognition/typical/{id}", post(publish))
}

#[derive(Template)]
#[template(path = "recognition.html")]
struct RecognitionPage {
    c: Chrome,
    certificates: Vec<CertificateRow>,
    issues: bool,
    pays: bool,
    curates: bool,
    typical: Vec<TypicalCaseRow>,
    media: Vec<MediaRow>,
    campaigns: Vec<(i64, String)>,
    staff: Vec<super::StaffGroup>,
    kinds: Vec<(String, String)>,
    error: Option<String>,
    done: Option<String>,
}

impl RecognitionPage {
    fn yuan(&self, fen: &Fen) -> String {
        self.c.tr.f1("w.amount_yuan", fen.to_string())
    }
    fn kind(&self, code: &str) -> String {
        TypicalKind::parse(code).map_or(code.to_string(), |k| self.c.tr.label(k).to_string())
    }
}

#[derive(Deserialize, Default)]
struct Done {
    #[serde(default)]
    done: Option<String>,
}

const DONE: [&str; 6] = ["issued", "honoured", "paid", "written", "published", "media"];

async fn render_page(
    state: &AppState,
    (tr, csrf): (Tr, CsrfToken),
    user: &CurrentUser,
    done: Option<String>,
    error: Option<String>,
) -> PageResult {
    let curates = user.can(Permission::CurateTypicalCases);
    let issues = user.can(Permission::IssueCertificates);
    let (typical, media) = if curates {
        (
            state.store.typical_cases(user.org_id(), false).await?,
            state.store.media_items(user.org_id()).await?,
        )
    } else {
        (vec![], vec![])
    };
    let campaigns = if issues || curates {
        state.store.campaigns(user.org_id()).await?.into_iter().map(|c| (c.id, c.title)).collect()
    } else {
        vec![]
    };
    let staff = if issues { super::staff_groups(state, user.org_id(), None).await? } else { vec![] };
    let status = if error.is_some() { StatusCode::UNPROCESSABLE_ENTITY } else { StatusCode::OK };
    let page = RecognitionPage {
        certificates: api::visible_certificates(state, user).await?,
        issues,
        pays: user.can(Permission::PayRewards),
        curates,
        typical,
        media,
        campaigns,
        staff,
        kinds: tr.choices(TypicalKind::ALL),
        error,
        done: done.filter(|d| DONE.contains(&d.as_str())),
        c: Chrome::for_user(state, tr, csrf, user, "recognition").await?,
    };
    Ok(render_with(status, &page))
}

async fn index(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Query(q): Query<Done>,
) -> PageResult {
    render_page(&state, (tr, csrf), &user, q.done, None).await
}

/// The page's forms, told apart by `form`.
async fn act(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    CsrfForm(f): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let get = |k: &str| f.get(k).map(|v| v.trim().to_string()).unwrap_or_default();
    let num = |k: &str| get(k).parse::<i64>().ok();
    let result: Result<&str, AppError> = match get("form").as_str() {
        "issue" => api::issue_period(&state, &user, &get("period")).await.map(|_| "issued"),
        "honour" => {
            let input = HonourInput {
                campaign_id: num("campaign_id").unwrap_or(0),
                award_title: get("award_title"),
                staff_id: get("staff_id").parse().ok(),
                unit_id: None,
                reward: Some(get("reward")),
            };
            api::honour(&state, &user, &input).await.map(|_| "honoured")
        }
        "pay" => {
            user.require(Permission::PayRewards)?;
            state
                .store
                .pay_reward(user.org_id(), &user.0, num("id").unwrap_or(0), &get("receipt_no"))
                .await
                .map(|_| "paid")
                .map_err(AppError::from)
        }
        "typical" => {
            let input = TypicalInput {
                kind: get("kind"),
                title: get("title"),
                story: get("story"),
                happened_on: get("happened_on"),
                unit_id: None,
                source_type: Some(get("source_type")).filter(|s| !s.is_empty()),
                source_id: num("source_id"),
                campaign_id: num("campaign_id"),
            };
            api::write_typical(&state, &user, &input).await.map(|_| "written")
        }
        "media" => {
            let input = MediaInput {
                campaign_id: num("campaign_id"),
                outlet: get("outlet"),
                published_on: get("published_on"),
                title: get("title"),
                link: get("link"),
            };
            api::log_media(&state, &user, &input).await.map(|_| "media")
        }
        _ => Err(AppError::bad_request("bad_form", "未知表单 / unknown form")),
    };
    match result {
        Ok(done) => Ok(Redirect::to(&format!("/console/recognition?done={done}")).into_response()),
        Err(e @ (AppError::Validation(_) | AppError::Conflict(_) | AppError::Refused(_))) => {
            let m = super::form_error(&tr, &e);
            render_page(&state, (tr, csrf), &user, None, Some(m)).await
        }
        Err(e) => Err(e.into()),
    }
}

/// Publishes or withdraws a typical case.
async fn publish(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    CsrfForm(f): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    user.require(Permission::CurateTypicalCases)?;
    let up = f.get("action").map(String::as_str) == Some("publish");
    state.store.publish_typical_case(user.org_id(), &user.0, id, up).await?;
    Ok(Redirect::to("/console/recognition?done=published#typical").into_response())
}
