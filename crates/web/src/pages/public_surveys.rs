//! Public questionnaires (SPEC SAT-2), reached by link or QR: the form
//! (no sign-in, no JavaScript) and its answers, attributed to a service
//! point's unit when reached from the point's page. The form itself is
//! shared with the staff surveys of the console.

use std::collections::BTreeMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use chuangkou_domain::satisfaction::{Audience, Level, Question};
use chuangkou_store::surveys::{Origin, Questionnaire};
use serde::Deserialize;

use super::public::RatedPage;
use super::public_cases::Choice;
use super::{Chrome, PageError, PageResult, render, render_with};
use crate::AppState;
use crate::api::satisfaction::day_number;
use crate::csrf::CsrfForm;
use crate::csrf::CsrfToken;
use crate::error::AppError;
use crate::i18n::Tr;

pub struct QuestionView {
    pub index: usize,
    pub kind: &'static str,
    pub text: String,
    pub dimension: Option<String>,
    pub options: Vec<String>,
}

#[derive(Template)]
#[template(path = "survey_form.html")]
pub(super) struct SurveyPage {
    pub c: Chrome,
    pub title: String,
    pub anonymous: bool,
    pub action: String,
    pub questions: Vec<QuestionView>,
    pub levels: Vec<Choice>,
    pub errors: Vec<String>,
}

impl SurveyPage {
    pub fn new(c: Chrome, q: &Questionnaire, action: String, errors: Vec<String>) -> Self {
        let tr = c.tr;
        let questions = q
            .questions
            .iter()
            .enumerate()
            .map(|(index, q)| match q {
                Question::Scale { text, dimension } => QuestionView {
                    index,
                    kind: "scale",
                    text: text.clone(),
                    dimension: Some(tr.label(dimension).to_string()),
                    options: vec![],
                },
                Question::Choice { text, options } => QuestionView {
                    index,
                    kind: "choice",
                    text: text.clone(),
                    dimension: None,
                    options: options.clone(),
                },
                Question::Text { text } => {
                    QuestionView { index, kind: "text", text: text.clone(), dimension: None, options: vec![] }
                }
            })
            .collect();
        let levels = Level::ALL
            .iter()
            .map(|l| Choice { value: l.as_str().into(), label: tr.label(l).into() })
            .collect();
        SurveyPage {
            c,
            title: q.title.clone(),
            anonymous: q.audience == Audience::Staff,
            action,
            questions,
            levels,
            errors,
        }
    }
}

/// Answers from a survey form: `q_<n>` fields by question position.
pub(super) fn survey_answers(fields: &[(String, String)]) -> BTreeMap<usize, String> {
    fields
        .iter()
        .filter_map(|(k, v)| k.strip_prefix("q_").and_then(|n| n.parse().ok()).map(|n| (n, v.clone())))
        .collect()
}

#[derive(Deserialize, Default)]
pub(super) struct SurveyQuery {
    /// The service point's token, when the survey was reached from its QR page.
    p: Option<String>,
}

async fn public_survey(state: &AppState, token: &str) -> Result<Questionnaire, PageError> {
    if token.len() != 32 || !token.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(AppError::NotFound.into());
    }
    let q = state.store.questionnaire_by_token(token).await?;
    if q.audience != Audience::Public {
        return Err(AppError::NotFound.into());
    }
    Ok(q)
}

pub(super) async fn survey(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    Path(token): Path<String>,
    Query(sq): Query<SurveyQuery>,
) -> PageResult {
    let q = public_survey(&state, &token).await?;
    let action = match sq.p.filter(|p| p.len() == 32 && p.bytes().all(|b| b.is_ascii_hexdigit())) {
        Some(p) => format!("/q/{token}?p={p}"),
        None => format!("/q/{token}"),
    };
    Ok(render(&SurveyPage::new(Chrome::public(tr, csrf), &q, action, vec![])))
}

pub(super) async fn answer_survey(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    Path(token): Path<String>,
    Query(sq): Query<SurveyQuery>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> PageResult {
    let q = public_survey(&state, &token).await?;
    let point = match sq.p.as_deref() {
        Some(p) => Some(state.points.get(&state, p).await?),
        None => None,
    };
    let origin =
        Origin { unit_id: point.as_ref().map(|f| f.0.unit_id), point_id: point.as_ref().map(|f| f.0.id) };
    let org = state.store.organisation(q.org_id).await?;
    let today = state.rules(&org.pack)?.calendar.local_date(state.store.now_ms());
    match state
        .store
        .answer_questionnaire(&q, None, origin, &survey_answers(&fields), day_number(today))
        .await
    {
        Ok(()) => Ok(render(&RatedPage {
            c: Chrome::public(tr, csrf),
            org_name: org.name,
            replaced: false,
            number: None,
            code: None,
            point_token: point.map(|f| f.0.public_token.clone()),
        })),
        Err(chuangkou_store::StoreError::Invalid(errs)) => {
            let action = match &sq.p {
                Some(p) => format!("/q/{token}?p={p}"),
                None => format!("/q/{token}"),
            };
            let page = SurveyPage::new(
                Chrome::public(tr, csrf),
                &q,
                action,
                errs.into_iter().map(|e| tr.msg(&e.message)).collect(),
            );
            Ok(render_with(StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}
