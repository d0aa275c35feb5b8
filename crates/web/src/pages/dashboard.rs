//! The dashboard for leaders and the office (SPEC KPI-4): the month's
//! indicators for the organisation and each service unit, twelve months of
//! trends drawn as SVG on the server, and what needs attention now.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::routing::{get, post};
use chrono::{Datelike, Months};
use chuangkou_domain::Permission;
use chuangkou_domain::kpi::Period;
use chuangkou_domain::policy::Indicator;
use chuangkou_store::indicators::{Indicators, Subject};

use crate::api::indicators::{by_unit, month_for, month_of};
use crate::csrf::CsrfForm;
use serde::Deserialize;

use super::{Chrome, PageResult, render};
use crate::AppState;
use crate::auth::PageUser;
use crate::charts;
use crate::csrf::CsrfToken;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new().route("/console/dashboard", get(dashboard)).route("/console/dashboard/close", post(close))
}

/// A leader closes the month shown: its results are frozen.
async fn close(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    CsrfForm(form): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    user.require(Permission::CloseAssessment)?;
    let rules = state.org_rules(&user).await?.rules;
    let month =
        month_of(form.get("month").map(|s| s.as_str()), rules.calendar.local_date(state.store.now_ms()))?;
    state.store.close_month(user.org_id(), rules, month, user.0.id).await?;
    let to = format!("/console/dashboard?month={:04}-{:02}", month.from.year(), month.from.month());
    Ok(axum::response::IntoResponse::into_response(axum::response::Redirect::to(&to)))
}

pub struct Card {
    pub label: &'static str,
    pub value: String,
    pub note: String,
    /// How the figure is counted ("及时率 = 按时办结 / 到期案件").
    pub explain: &'static str,
}

pub struct UnitLine {
    pub name: String,
    pub complaints: i64,
    pub per_10k: String,
    pub satisfaction: String,
    pub timely: String,
    pub compliance: String,
    pub violations: i64,
    pub good_deeds: i64,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    c: Chrome,
    month: String,
    export: String,
    cards: Vec<Card>,
    units: Vec<UnitLine>,
    complaints_chart: String,
    satisfaction_chart: String,
    overdue_cases: i64,
    open_rectifications: i64,
    late_rectifications: i64,
    ranking: Vec<RankLine>,
    teams: Vec<(usize, String, String)>,
    awards: Vec<(String, String, String)>,
    /// The pack's targets against the month.
    targets: Vec<TargetLine>,
    /// When the month was closed, and how many scores differ since.
    closed: Option<(String, usize)>,
    may_close: bool,
}

pub struct RankLine {
    pub rank: usize,
    pub name: String,
    pub unit: String,
    pub score: String,
    pub stars: String,
    pub note: String,
}

#[derive(Deserialize, Default)]
struct MonthQuery {
    /// `YYYY-MM`; the current month when missing.
    month: Option<String>,
}

fn pct(r: Option<f64>) -> String {
    r.map_or("—".into(), |r| format!("{:.1}%", r * 100.0))
}

fn change(tr: Tr, c: &chuangkou_domain::kpi::Compared) -> String {
    match c.change {
        Some(x) => format!("{:+.1}%{}", x * 100.0, tr.paren(tr.f1("dash.previous", c.previous))),
        None => tr.f1("dash.previous", c.previous),
    }
}

/// The month's indicators as cards, each with how it is counted in plain words.
fn cards(tr: Tr, i: &Indicators) -> Vec<Card> {
    let card = |key: &str, value: String, note: String| Card {
        label: tr.t(key),
        value,
        note,
        explain: tr.t(&format!("{key}.how")),
    };
    vec![
        card(
            "dash.complaints",
            i.valid_complaints.to_string(),
            tr.f2("dash.complaints.note", change(tr, &i.month_on_month), change(tr, &i.year_on_year)),
        ),
        card(
            "dash.per_10k",
            i.complaints_per_10k.map_or("—".into(), |x| format!("{x:.2}")),
            tr.f1("dash.per_10k.note", i.volume.vehicles),
        ),
        card(
            "dash.satisfaction",
            pct(i.satisfaction_rate),
            tr.f1("dash.satisfaction.note", i.ratings.total()),
        ),
        card("dash.handling", pct(i.handling_satisfaction), tr.f1("dash.handling.note", i.callbacks)),
        card("dash.timely", pct(i.timely_rate), format!("{} / {}", i.cases_on_time, i.cases_due)),
        card(
            "dash.rectified",
            pct(i.rectification_rate),
            format!("{} / {}", i.rectifications_verified, i.rectifications_due),
        ),
        card("dash.on_site", pct(i.compliance_rate), format!("{} / {}", i.items_passed, i.items_checked)),
        card(
            "dash.deeds",
            format!("{} / {}", i.good_deeds, i.violations),
            tr.f1("dash.deeds.note", i.fines.to_string()),
        ),
    ]
}

/// A target of the pack against the month: indicator, target, actual, met
/// in words, and whether it was missed.
pub struct TargetLine {
    pub indicator: &'static str,
    pub target: String,
    pub actual: String,
    pub met: &'static str,
    pub missed: bool,
}

fn target_line(tr: Tr, t: &chuangkou_store::indicators::TargetCheck) -> TargetLine {
    let row = crate::notice::target_row(t);
    TargetLine {
        indicator: tr.label(t.indicator),
        target: row[1].clone(),
        actual: row[2].clone(),
        met: match t.met {
            Some(true) => tr.t("dash.met"),
            Some(false) => tr.t("dash.missed"),
            None => tr.t("dash.no_data"),
        },
        missed: t.met == Some(false),
    }
}

/// "1月" or "Jan".
fn month_label(tr: Tr, m: u32) -> String {
    const EN: [&str; 12] =
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];
    if tr.is_en() { EN[(m as usize + 11) % 12].to_string() } else { format!("{m}月") }
}

async fn dashboard(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Query(q): Query<MonthQuery>,
) -> PageResult {
    let org = user.org_id();
    let (rules, month) = month_for(&state, &user, q.month.as_deref()).await?;
    let cal = rules.calendar;
    let first = month.from;
    let mut lines = by_unit(&state, org, cal, month).await?;
    let whole = lines.remove(0).1;
    let units = lines
        .into_iter()
        .map(|(name, i)| UnitLine {
            name,
            complaints: i.valid_complaints,
            per_10k: i.complaints_per_10k.map_or("—".into(), |x| format!("{x:.2}")),
            satisfaction: pct(i.satisfaction_rate),
            timely: pct(i.timely_rate),
            compliance: pct(i.compliance_rate),
            violations: i.violations,
            good_deeds: i.good_deeds,
        })
        .collect();
    // Twelve months to this one.
    let months: Vec<Period> = (0..12)
        .rev()
        .map(|k| {
            let d = first.checked_sub_months(Months::new(k)).expect("in range");
            Period::month(d.year(), d.month()).expect("a month")
        })
        .collect();
    let labels: Vec<String> = months.iter().map(|p| month_label(tr, p.from.month())).collect();
    let complaints = state.store.valid_complaints_by_period(org, cal, Subject::Organisation, &months).await?;
    let by_month = state
        .store
        .ratings_by_month(
            org,
            chuangkou_domain::calendar::day_number(months[0].from),
            chuangkou_domain::calendar::day_number(month.to),
        )
        .await?;
    let rates: Vec<Option<f64>> = months
        .iter()
        .map(|p| {
            let key = p.from.year() as i64 * 100 + p.from.month() as i64;
            by_month.iter().find(|(m, _)| *m == key).and_then(|(_, c)| c.satisfaction_rate())
        })
        .collect();
    let (overdue_cases, open_rectifications, late_rectifications) = state.store.attention(org).await?;
    // A closed month shows its frozen results; today's differences are counted beside them.
    let m = state.store.month_results(org, rules, month).await?;
    let closed = m.closed().map(|c| (super::console::format_time(c.closed_at), c.differences.len()));
    let assessed = m.results();
    // The top ten and, in a larger organisation, the five at the bottom.
    let n = assessed.staff.len();
    let shown: Vec<&chuangkou_store::assessment::StaffScore> = if n <= 15 {
        assessed.staff.iter().collect()
    } else {
        assessed.staff.iter().take(10).chain(assessed.staff.iter().skip(n - 5)).collect()
    };
    let ranking = shown.into_iter().map(|s| rank_line(tr, s)).collect();
    let teams = team_lines(assessed).into_iter().take(5).collect();
    let awards = award_lines(assessed);
    Ok(render(&DashboardPage {
        c: Chrome::for_user(&state, tr, csrf, &user, "dashboard").await?,
        month: format!("{:04}-{:02}", first.year(), first.month()),
        export: format!("/api/v1/exports/indicators.xlsx?month={:04}-{:02}", first.year(), first.month()),
        targets: whole.against(&rules.pack.assessment.targets).iter().map(|t| target_line(tr, t)).collect(),
        cards: {
            let mut cards = cards(tr, &whole);
            // 两个满意度 (seed 003): staff satisfaction beside service satisfaction.
            let staff = staff_satisfaction(&state, org, rules, month).await?;
            cards.insert(3, staff_card(tr, staff, rules.pack.satisfaction.survey_min_answers));
            cards
        },
        units,
        complaints_chart: charts::bars(
            &charts::Chart {
                id: "chart-complaints",
                title: tr.t("dash.chart.complaints"),
                unit: tr.t("dash.unit.cases"),
                labels: &labels,
                target: target_of(tr, &rules, Indicator::ValidComplaints),
            },
            &complaints,
        ),
        satisfaction_chart: charts::rate_line(
            &charts::Chart {
                id: "chart-satisfaction",
                title: tr.t("dash.chart.satisfaction"),
                unit: "%",
                labels: &labels,
                target: target_of(tr, &rules, Indicator::SatisfactionRate),
            },
            &rates,
        ),
        overdue_cases,
        open_rectifications,
        late_rectifications,
        ranking,
        teams,
        awards,
        may_close: user.can(Permission::CloseAssessment)
            && closed.is_none()
            && month.from <= today_of(&state, cal),
        closed,
    }))
}

/// Staff satisfaction over `month` from the newest staff survey (seed
/// 003 两个满意度): the share of its scale answers at 4 or 5, as service
/// satisfaction is counted, and how many answered; `None` for the rate
/// while fewer than the pack's minimum have answered (anonymity), and
/// `None` altogether without a staff survey.
pub(crate) async fn staff_satisfaction(
    state: &AppState,
    org: chuangkou_domain::OrgId,
    rules: chuangkou_domain::policy::Rules<'_>,
    month: Period,
) -> Result<Option<(Option<f64>, i64)>, crate::error::AppError> {
    use chuangkou_domain::satisfaction::{Audience, Counts, QuestionResult};
    let surveys = state.store.questionnaires(org).await?;
    let Some(q) = surveys.iter().filter(|q| q.audience == Audience::Staff).max_by_key(|q| q.id) else {
        return Ok(None);
    };
    let (from, to) = (
        chuangkou_domain::calendar::day_number(month.from),
        chuangkou_domain::calendar::day_number(month.to),
    );
    let groups =
        state.store.questionnaire_results(q, from, to, rules.pack.satisfaction.survey_min_answers).await?;
    let whole = &groups[0];
    let rate = whole.results.as_ref().and_then(|r| {
        let mut all = Counts::default();
        for question in &r.questions {
            if let QuestionResult::Scale { counts, .. } = question {
                all.merge(counts);
            }
        }
        all.satisfaction_rate()
    });
    Ok(Some((rate, whole.responses)))
}

fn staff_card(tr: Tr, staff: Option<(Option<f64>, i64)>, min: u32) -> Card {
    let (value, note) = match staff {
        None => ("—".to_string(), tr.t("dash.staff_satisfaction.none").to_string()),
        Some((None, n)) if n > 0 => ("—".to_string(), tr.f2("dash.staff_satisfaction.withheld", n, min)),
        Some((rate, n)) => (pct(rate), tr.f1("dash.staff_satisfaction.note", n)),
    };
    Card { label: tr.t("dash.staff_satisfaction"), value, note, explain: tr.t("dash.staff_satisfaction.how") }
}

/// The pack's target for an indicator as a chart's line: its value on the
/// chart's scale (a fraction for rates) and its words.
fn target_of(tr: Tr, rules: &chuangkou_domain::policy::Rules, indicator: Indicator) -> Option<(f64, String)> {
    let t = rules.pack.assessment.targets.iter().find(|t| t.indicator == indicator)?;
    let value = if indicator.is_rate() { t.value / 100.0 } else { t.value };
    Some((value, format!("{} {}", tr.t("dash.target"), t.describe())))
}

/// A staff member's line in a ranking.
pub fn rank_line(tr: Tr, s: &chuangkou_store::assessment::StaffScore) -> RankLine {
    RankLine {
        rank: s.rank,
        name: s.name.clone(),
        unit: s.unit_name.clone(),
        score: format!("{:.2}", s.score),
        stars: "★".repeat(s.stars as usize),
        note: if s.eligible { String::new() } else { tr.t("dash.not_eligible").into() },
    }
}

/// Teams as (rank, name, score).
pub fn team_lines(a: &chuangkou_store::assessment::Assessment) -> Vec<(usize, String, String)> {
    a.teams.iter().map(|t| (t.rank, t.name.clone(), format!("{:.2}", t.score))).collect()
}

/// Awards as (title, winners, who is not eligible and why).
pub fn award_lines(a: &chuangkou_store::assessment::Assessment) -> Vec<(String, String, String)> {
    a.awards
        .iter()
        .map(|a| {
            let winners = a.winners.iter().map(|w| w.1.clone()).collect::<Vec<_>>().join("、");
            let out = a
                .ineligible
                .iter()
                .map(|i| format!("{}（{}）", i.1, i.3.join("；")))
                .collect::<Vec<_>>()
                .join("、");
            (a.title.clone(), if winners.is_empty() { "—".into() } else { winners }, out)
        })
        .collect()
}

fn today_of(state: &AppState, cal: &chuangkou_domain::calendar::Calendar) -> chrono::NaiveDate {
    cal.local_date(state.store.now_ms())
}
