//! Satisfaction in the console (SPEC SAT-1..3): ratings per unit from the
//! rollups, bad ratings with the units' appeals and their decisions,
//! questionnaires (publish, link and QR, results by unit and dimension),
//! and the anonymous staff surveys to answer.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use chuangkou_domain::satisfaction::{
    Audience, Counts, Dimension, Level, QuestionResult, QuestionRow, parse_question_lines, question_lines,
    questions_from_rows,
};
use chuangkou_domain::{CaseId, Permission, Sight};
use chuangkou_store::ratings::Scope;
use chuangkou_store::surveys::GroupResults;
use serde::Deserialize;

use super::console::format_time;
use super::public_surveys::{SurveyPage, survey_answers};
use super::{Chrome, PageResult, form_value, render, render_with};
use crate::AppState;
use crate::api::satisfaction::{
    RatingsQuery, answer_staff_survey, appeal_rating, decide_appeal, may_manage_surveys, may_read_results,
    period, ratings_for, summary_for, today,
};
use crate::auth::PageUser;
use crate::csrf::CsrfForm;
use crate::csrf::CsrfToken;
use crate::error::AppError;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/ratings", get(ratings))
        .route("/console/ratings/{id}/appeal", post(appeal))
        .route("/console/rating-appeals/{id}/decision", post(decide))
        .route("/console/surveys", get(surveys).post(publish))
        .route("/console/surveys/{id}", get(results))
        .route("/console/surveys/{id}/answer", get(answer_page).post(answer))
        .route("/console/surveys/{id}/close", post(close))
        .route("/console/surveys/{id}/qr.svg", get(qr))
}

/// One line of a summary table.
pub struct Line {
    pub name: String,
    pub total: i64,
    pub counts: [i64; 5],
    pub rate: String,
}

fn line(name: String, c: &Counts) -> Line {
    Line {
        name,
        total: c.total(),
        counts: [c.n[4], c.n[3], c.n[2], c.n[1], c.n[0]],
        rate: c.satisfaction_rate().map_or("—".into(), |r| format!("{:.1}%", r * 100.0)),
    }
}

pub struct BadRow {
    pub id: i64,
    pub when: String,
    pub point: String,
    pub unit: String,
    pub level: String,
    pub comment: String,
    pub status: String,
    pub case_id: Option<CaseId>,
    pub can_appeal: bool,
    pub appeal: String,
}

pub struct AppealRow {
    pub id: i64,
    pub rating_id: i64,
    pub unit: String,
    pub reason: String,
    pub filed: String,
}

#[derive(Template)]
#[template(path = "ratings.html")]
struct RatingsPage {
    c: Chrome,
    from: String,
    to: String,
    units: Vec<Line>,
    total: Line,
    bad: Vec<BadRow>,
    appeals: Vec<AppealRow>,
    decider: bool,
}

#[derive(Deserialize, Default)]
struct PeriodForm {
    from: Option<String>,
    to: Option<String>,
}

fn date_text(day: i64) -> String {
    format!("{:04}-{:02}-{:02}", day / 10_000, day / 100 % 100, day % 100)
}

async fn ratings(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Query(p): Query<PeriodForm>,
) -> PageResult {
    user.require(Permission::ViewSatisfaction)?;
    let (from, to) = period(p.from.as_deref(), p.to.as_deref(), today(&state, &user).await?)?;
    let scope = if user.role().ledger_sight() == Sight::Themselves { Scope::Staff } else { Scope::Unit };
    let lines = summary_for(&state, &user, scope, from, to).await?;
    let mut total = Counts::default();
    for (_, _, c) in &lines {
        total.merge(c);
    }
    let units: Vec<Line> = lines.iter().map(|(_, name, c)| line(name.clone(), c)).collect();
    let may_appeal = user.can(Permission::AppealRatings);
    let q = RatingsQuery { bad_only: Some(true), limit: Some(50), ..Default::default() };
    let bad = ratings_for(&state, &user, &q)
        .await?
        .into_iter()
        .map(|r| BadRow {
            id: r.id,
            when: format_time(r.created_at),
            point: r.point_name,
            unit: r.unit_name,
            level: Level::from_number(r.level).map_or(String::new(), |l| tr.label(l).to_string()),
            comment: r.comment.unwrap_or_default(),
            status: chuangkou_domain::satisfaction::RatingStatus::parse(&r.status)
                .map_or(r.status.clone(), |s| tr.label(s).to_string()),
            case_id: r.case_id,
            can_appeal: may_appeal && r.appeal_id.is_none() && r.status == "counted",
            appeal: match r.appeal_outcome.as_deref() {
                Some("upheld") => tr.t("rating.appeal_upheld").into(),
                Some("rejected") => tr.t("rating.appeal_rejected").into(),
                _ if r.appeal_id.is_some() => tr.t("rating.appeal_pending").into(),
                _ => String::new(),
            },
        })
        .collect();
    let rules = state.org_rules(&user).await?.rules;
    let decider = rules.pack.ledger.appeal_deciders.contains(&user.role());
    let appeals = if decider || user.can(Permission::ViewRatingAppeals) {
        let names: HashMap<i64, String> =
            state.store.units(user.org_id()).await?.into_iter().map(|u| (u.id, u.name)).collect();
        state
            .store
            .open_rating_appeals(user.org_id())
            .await?
            .into_iter()
            .map(|a| AppealRow {
                id: a.id,
                rating_id: a.rating_id,
                unit: names.get(&a.unit_id).cloned().unwrap_or_default(),
                reason: a.reason,
                filed: format_time(a.filed_at),
            })
            .collect()
    } else {
        vec![]
    };
    Ok(render(&RatingsPage {
        c: Chrome::for_user(&state, tr, csrf, &user, "ratings").await?,
        from: date_text(from),
        to: date_text(to),
        units,
        total: line(tr.t("w.total").into(), &total),
        bad,
        appeals,
        decider,
    }))
}

async fn appeal(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> PageResult {
    appeal_rating(&state, &user, id, &form_value(&form, "reason")).await?;
    Ok(Redirect::to("/console/ratings").into_response())
}

async fn decide(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> PageResult {
    let upheld = match form_value(&form, "outcome").as_str() {
        "upheld" => true,
        "rejected" => false,
        _ => return Err(AppError::field("outcome", "请选择决定 / choose a decision").into()),
    };
    decide_appeal(&state, &user, id, upheld, &form_value(&form, "note")).await?;
    Ok(Redirect::to("/console/ratings").into_response())
}

// ---- questionnaires ----

pub struct SurveyRow {
    pub id: i64,
    pub code: String,
    pub version: i64,
    pub title: String,
    pub audience: String,
    pub open: bool,
    pub link: Option<String>,
    pub answered: bool,
}

#[derive(Template)]
#[template(path = "surveys.html")]
struct SurveysPage {
    c: Chrome,
    rows: Vec<SurveyRow>,
    manage: bool,
    read: bool,
    audiences: Vec<(String, String)>,
    /// The questionnaire being written, as typed.
    draft: Draft,
    /// The editor's choices: kinds of question and SERVQUAL dimensions.
    kinds: Vec<(&'static str, &'static str)>,
    dimensions: Vec<(String, String)>,
    errors: Vec<String>,
    answered: bool,
}

/// The editor's contents: code, title, audience and the question rows,
/// each with the message for what is wrong in it.
#[derive(Default)]
pub struct Draft {
    pub code: String,
    pub title: String,
    pub audience: String,
    pub questions: Vec<EditorRow>,
}

pub struct EditorRow {
    pub n: usize,
    pub row: QuestionRow,
    pub error: Option<String>,
}

/// Rows the editor starts with, and adds at a time.
const EDITOR_ROWS: usize = 8;
const MORE_ROWS: usize = 4;

impl Draft {
    /// A new questionnaire: the example questions and a few blank rows.
    fn example() -> Draft {
        let qs = parse_question_lines(EXAMPLE).expect("the example parses");
        let mut rows: Vec<QuestionRow> = qs.iter().map(QuestionRow::of).collect();
        rows.resize(rows.len().max(EDITOR_ROWS) + 1, QuestionRow::default());
        Draft { questions: Draft::numbered(rows), ..Draft::default() }
    }

    fn numbered(rows: Vec<QuestionRow>) -> Vec<EditorRow> {
        rows.into_iter().enumerate().map(|(i, row)| EditorRow { n: i + 1, row, error: None }).collect()
    }

    /// What the form posted: `q{n}_kind`, `q{n}_text`, `q{n}_dim`, `q{n}_opts`.
    fn posted(form: &HashMap<String, String>) -> Draft {
        let count: usize = form_value(form, "rows").parse().unwrap_or(EDITOR_ROWS).clamp(1, 50);
        let rows = (1..=count)
            .map(|n| QuestionRow {
                kind: form_value(form, &format!("q{n}_kind")),
                text: form_value(form, &format!("q{n}_text")),
                dimension: form_value(form, &format!("q{n}_dim")),
                options: form_value(form, &format!("q{n}_opts")),
            })
            .collect();
        Draft {
            code: form_value(form, "code"),
            title: form_value(form, "title"),
            audience: form_value(form, "audience"),
            questions: Draft::numbered(rows),
        }
    }

    fn rows(&self) -> Vec<QuestionRow> {
        self.questions.iter().map(|r| r.row.clone()).collect()
    }
}

async fn surveys_page(
    state: &AppState,
    tr: Tr,
    csrf: CsrfToken,
    user: &crate::auth::CurrentUser,
    draft: Draft,
    errors: Vec<String>,
    answered: bool,
) -> PageResult {
    let read = may_read_results(user);
    let mut rows = Vec::new();
    for q in state.store.questionnaires(user.org_id()).await? {
        let staff_open = q.audience == Audience::Staff && q.status == "open";
        if !read && !staff_open {
            continue;
        }
        rows.push(SurveyRow {
            answered: staff_open && state.store.has_answered(q.id, user.0.id).await?,
            id: q.id,
            code: q.code,
            version: q.version,
            title: q.title,
            audience: tr.label(q.audience).to_string(),
            open: q.status == "open",
            link: (q.audience == Audience::Public)
                .then(|| format!("{}/q/{}", state.config.public_url, q.public_token)),
        });
    }
    let status = if errors.is_empty() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    };
    Ok(render_with(
        status,
        &SurveysPage {
            c: Chrome::for_user(state, tr, csrf, user, "ratings").await?,
            rows,
            manage: may_manage_surveys(user),
            read,
            audiences: tr.choices(Audience::ALL),
            draft,
            kinds: vec![
                ("scale", tr.t("survey.kind.scale")),
                ("choice", tr.t("survey.kind.choice")),
                ("text", tr.t("survey.kind.text")),
            ],
            dimensions: tr.choices(Dimension::ALL),
            errors,
            answered,
        },
    ))
}

const EXAMPLE: &str = "scale | tangibles | 服务环境是否整洁舒适？
scale | reliability | 业务是否一次办结、准确无误？
scale | responsiveness | 等候时间是否可以接受？
scale | assurance | 工作人员是否专业、让您放心？
scale | empathy | 工作人员是否耐心、体谅您的需要？
choice | 您今天办理的业务 | 缴费; 咨询; 投诉; 其他
text | 您还有什么意见和建议？";

#[derive(Deserialize, Default)]
struct SurveysQuery {
    answered: Option<u8>,
}

async fn surveys(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Query(q): Query<SurveysQuery>,
) -> PageResult {
    user.require(Permission::ViewSatisfaction)?;
    surveys_page(&state, tr, csrf, &user, Draft::example(), vec![], q.answered == Some(1)).await
}

async fn publish(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> PageResult {
    if !may_manage_surveys(&user) {
        return Err(AppError::Forbidden.into());
    }
    let mut draft = Draft::posted(&form);
    // "More rows" keeps what was typed and adds blank rows; nothing is published.
    if !form_value(&form, "more").is_empty() {
        let n = draft.questions.len();
        let blank = (n + 1..=(n + MORE_ROWS).min(50)).map(|n| EditorRow {
            n,
            row: QuestionRow::default(),
            error: None,
        });
        draft.questions.extend(blank);
        return surveys_page(&state, tr, csrf, &user, draft, vec![], false).await;
    }
    let audience = Audience::parse(&draft.audience).unwrap_or(Audience::Public);
    let result = match questions_from_rows(&draft.rows()) {
        Ok(qs) => state
            .store
            .publish_questionnaire(user.org_id(), user.0.id, &draft.code, &draft.title, audience, &qs)
            .await
            .map_err(AppError::from),
        Err(e) => Err(AppError::Validation(vec![e])),
    };
    match result {
        Ok(q) => Ok(Redirect::to(&format!("/console/surveys/{}", q.id)).into_response()),
        Err(AppError::Validation(errs)) => {
            // A message about one row goes beside it; the rest above the form.
            let mut general = vec![];
            for e in errs {
                let row = e.field.strip_prefix('q').and_then(|n| n.parse::<usize>().ok());
                match row.and_then(|n| draft.questions.get_mut(n.wrapping_sub(1))) {
                    Some(r) => r.error = Some(tr.msg(&e.message)),
                    None => general.push(tr.msg(&e.message)),
                }
            }
            surveys_page(&state, tr, csrf, &user, draft, general, false).await
        }
        Err(e) => Err(e.into()),
    }
}

pub struct GroupView {
    pub name: String,
    pub responses: i64,
    pub shown: bool,
    pub dimensions: Vec<(String, String)>,
    pub questions: Vec<(String, String)>,
}

fn group_view(tr: Tr, g: &GroupResults) -> GroupView {
    let (dimensions, questions) = match &g.results {
        None => (vec![], vec![]),
        Some(r) => (
            r.dimensions.iter().map(|(d, m)| (tr.label(d).to_string(), format!("{m:.2}"))).collect(),
            r.questions
                .iter()
                .map(|q| match q {
                    QuestionResult::Scale { text, mean, counts, .. } => (
                        text.clone(),
                        format!(
                            "{}{}",
                            mean.map_or("—".into(), |m| format!("{m:.2}")),
                            tr.paren(
                                tr.f2(
                                    "survey.scale_result",
                                    counts.total(),
                                    counts
                                        .satisfaction_rate()
                                        .map_or("—".into(), |r| format!("{:.1}%", r * 100.0))
                                )
                            )
                        ),
                    ),
                    QuestionResult::Choice { text, counts } => (
                        text.clone(),
                        counts
                            .iter()
                            .map(|(o, n)| format!("{o}{}{n}", tr.colon()))
                            .collect::<Vec<_>>()
                            .join(tr.pick("；", "; ")),
                    ),
                    QuestionResult::Text { text, answers } => (text.clone(), answers.join(" ｜ ")),
                })
                .collect(),
        ),
    };
    GroupView {
        name: tr.msg(&g.unit_name),
        responses: g.responses,
        shown: g.results.is_some(),
        dimensions,
        questions,
    }
}

#[derive(Template)]
#[template(path = "survey_results.html")]
struct ResultsPage {
    c: Chrome,
    id: i64,
    title: String,
    version: i64,
    audience: String,
    open: bool,
    manage: bool,
    link: Option<String>,
    from: String,
    to: String,
    min: u32,
    groups: Vec<GroupView>,
    lines: String,
}

async fn results(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    Query(p): Query<PeriodForm>,
) -> PageResult {
    if !may_read_results(&user) {
        return Err(AppError::NotFound.into());
    }
    let q = state.store.questionnaire(user.org_id(), id).await?;
    let today = today(&state, &user).await?;
    let (from, to) =
        match (p.from.as_deref().filter(|f| !f.is_empty()), p.to.as_deref().filter(|t| !t.is_empty())) {
            (None, None) => (20000101, crate::api::satisfaction::day_number(today)),
            (f, t) => period(f, t, today)?,
        };
    let rules = state.org_rules(&user).await?.rules;
    let min = rules.pack.satisfaction.survey_min_answers;
    let groups = state.store.questionnaire_results(&q, from, to, min).await?;
    Ok(render(&ResultsPage {
        c: Chrome::for_user(&state, tr, csrf, &user, "ratings").await?,
        id: q.id,
        title: q.title.clone(),
        version: q.version,
        audience: tr.label(q.audience).to_string(),
        open: q.status == "open",
        manage: may_manage_surveys(&user),
        link: (q.audience == Audience::Public)
            .then(|| format!("{}/q/{}", state.config.public_url, q.public_token)),
        from: date_text(from),
        to: date_text(to),
        min,
        groups: groups.iter().map(|g| group_view(tr, g)).collect(),
        lines: question_lines(&q.questions),
    }))
}

async fn staff_survey(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    id: i64,
) -> Result<chuangkou_store::surveys::Questionnaire, AppError> {
    let q = state.store.questionnaire(user.org_id(), id).await?;
    if q.audience != Audience::Staff || q.status != "open" {
        return Err(AppError::NotFound);
    }
    Ok(q)
}

async fn answer_page(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    let q = staff_survey(&state, &user, id).await?;
    let c = Chrome::for_user(&state, tr, csrf, &user, "ratings").await?;
    Ok(render(&SurveyPage::new(c, &q, format!("/console/surveys/{id}/answer"), vec![])))
}

async fn answer(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> PageResult {
    let q = staff_survey(&state, &user, id).await?;
    match answer_staff_survey(&state, &user, id, &survey_answers(&fields)).await {
        Ok(()) => Ok(Redirect::to("/console/surveys?answered=1").into_response()),
        Err(AppError::Validation(errs)) => {
            let c = Chrome::for_user(&state, tr, csrf, &user, "ratings").await?;
            let page = SurveyPage::new(
                c,
                &q,
                format!("/console/surveys/{id}/answer"),
                errs.into_iter().map(|e| tr.msg(&e.message)).collect(),
            );
            Ok(render_with(axum::http::StatusCode::UNPROCESSABLE_ENTITY, &page))
        }
        Err(e) => Err(e.into()),
    }
}

async fn close(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    CsrfForm(_form): CsrfForm<HashMap<String, String>>,
) -> PageResult {
    if !may_manage_surveys(&user) {
        return Err(AppError::Forbidden.into());
    }
    state.store.close_questionnaire(user.org_id(), id, user.0.id).await?;
    Ok(Redirect::to(&format!("/console/surveys/{id}")).into_response())
}

/// The QR code of a public questionnaire's link, to print.
async fn qr(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
) -> Result<Response, super::PageError> {
    if !may_read_results(&user) {
        return Err(AppError::NotFound.into());
    }
    let q = state.store.questionnaire(user.org_id(), id).await?;
    if q.audience != Audience::Public {
        return Err(AppError::NotFound.into());
    }
    let svg = crate::qr::svg(&format!("{}/q/{}", state.config.public_url, q.public_token))?;
    Ok(([(CONTENT_TYPE, "image/svg+xml")], svg).into_response())
}
