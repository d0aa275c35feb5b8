//! The annual review's page for leaders and the office (seed 002 §5.3):
//! the year's ranking (the mean of the monthly scores), teams, annual
//! awards with who is not eligible and why, the star-rated vehicles, the
//! exports, and the leader's button that closes the year.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use chuangkou_domain::Permission;
use serde::Deserialize;

use super::dashboard::RankLine;
use super::{Chrome, PageResult, render};
use crate::AppState;
use crate::api::annual::year_for;
use crate::auth::PageUser;
use crate::csrf::CsrfForm;
use crate::csrf::CsrfToken;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new().route("/console/annual", get(annual)).route("/console/annual/close", post(close))
}

#[derive(Deserialize, Default)]
struct YearQuery {
    year: Option<String>,
}

/// A vehicle's line: plate, driver, score, stars, why not rated.
pub struct VehicleLine {
    pub plate: String,
    pub driver: String,
    pub score: String,
    pub stars: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "annual.html")]
struct AnnualPage {
    c: Chrome,
    year: i32,
    ranking: Vec<RankLine>,
    teams: Vec<(usize, String, String)>,
    awards: Vec<(String, String, String)>,
    vehicles: Vec<VehicleLine>,
    /// When the year was closed, and how many scores differ since.
    closed: Option<(String, usize)>,
    may_close: bool,
}

async fn annual(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Query(q): Query<YearQuery>,
) -> PageResult {
    let (rules, year) = year_for(&state, &user, q.year.as_deref()).await?;
    let r = state.store.year_results(user.org_id(), rules, year).await?;
    let closed = r.closed().map(|c| (super::console::format_time(c.closed_at), c.differences.len()));
    let a = r.results();
    let ranking = a.staff.iter().map(|s| super::dashboard::rank_line(tr, s)).collect();
    let vehicles = a
        .vehicles
        .iter()
        .map(|v| VehicleLine {
            plate: v.plate.clone(),
            driver: v.driver_name.clone().unwrap_or_default(),
            score: v.score.map_or("—".into(), |x| format!("{x:.2}")),
            stars: if v.stars > 0 { "★".repeat(v.stars as usize) } else { "—".into() },
            note: v.reasons.join("；"),
        })
        .collect();
    Ok(render(&AnnualPage {
        c: Chrome::for_user(&state, tr, csrf, &user, "dashboard").await?,
        year,
        ranking,
        teams: super::dashboard::team_lines(a),
        awards: super::dashboard::award_lines(a),
        vehicles,
        may_close: user.can(Permission::CloseAssessment) && closed.is_none(),
        closed,
    }))
}

/// A leader closes the year shown: its results are frozen.
async fn close(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    CsrfForm(form): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    user.require(Permission::CloseAssessment)?;
    let (rules, year) = year_for(&state, &user, form.get("year").map(|s| s.as_str())).await?;
    state.store.close_year(user.org_id(), rules, year, user.0.id).await?;
    Ok(axum::response::IntoResponse::into_response(axum::response::Redirect::to(&format!(
        "/console/annual?year={year}"
    ))))
}
