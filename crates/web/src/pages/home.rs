//! 工作台, the home a role lands on: its work now, not the organisation tree
//! (issue 18, point 1). Each count comes from the same query as the list it
//! links to, so a number and its list always agree and show only what the
//! viewer may see.

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chuangkou_domain::Permission;
use chuangkou_domain::ledger::EntryStatus;
use chuangkou_store::ledger::EntryFilter;

use super::{Chrome, PageResult, render};
use crate::AppState;
use crate::api::cases::{ListQuery, filter_for};
use crate::auth::PageUser;
use crate::csrf::CsrfToken;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new().route("/console/home", get(home))
}

/// One tile: what, how many, where the list is, and whether it is urgent.
pub struct Tile {
    pub id: &'static str,
    pub label: &'static str,
    /// As shown: `12`, or `500+`.
    pub count: String,
    pub href: String,
    pub urgent: bool,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    c: Chrome,
    mine: Vec<Tile>,
    desk: Vec<Tile>,
}

/// How many of a list to count at most; more shows as "N+".
const COUNT_UP_TO: i64 = 500;

/// A count as a tile or tab shows it: `500+` once it reaches the cap.
fn shown(n: i64) -> String {
    if n >= COUNT_UP_TO { format!("{n}+") } else { n.to_string() }
}

/// How many cases an inbox of the case list shows the user (a count
/// query with the list's own filter), as a number and as shown.
pub(super) async fn inbox_count(
    state: &AppState,
    user: &crate::auth::CurrentUser,
    inbox: &str,
) -> Result<(i64, String), super::PageError> {
    let f = filter_for(state, user, ListQuery { inbox: Some(inbox.into()), ..Default::default() }).await?;
    let n = state.store.count_cases(user.org_id(), &f, COUNT_UP_TO).await?;
    Ok((n, shown(n)))
}

async fn home(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
) -> PageResult {
    if let Some(away) = super::supervisor_elsewhere(&user) {
        return Ok(away);
    }
    let crate::OrgRules { org, rules } = state.org_rules(&user).await?;
    let cal = rules.calendar;
    let now = state.store.now_ms();
    let tomorrow = cal.start_of_day_ms(cal.local_date(now) + chrono::Duration::days(1));
    let mut mine = Vec::new();
    let mut desk = Vec::new();
    let sees_cases = user.role().case_sight() != chuangkou_domain::access::Sight::Nothing;
    if sees_cases {
        // My open cases by urgency: past the deadline, due today, within three days.
        let f =
            filter_for(&state, &user, ListQuery { inbox: Some("mine".into()), ..Default::default() }).await?;
        let [overdue, today, soon, open] =
            state.store.count_by_urgency(user.org_id(), &f, now, tomorrow, now + 3 * 86_400_000).await?;
        let mine_href = "/console/cases?inbox=mine".to_string();
        mine.push(Tile {
            id: "mine-overdue",
            label: tr.t("home.overdue"),
            count: overdue.to_string(),
            href: mine_href.clone(),
            urgent: overdue > 0,
        });
        mine.push(Tile {
            id: "mine-today",
            label: tr.t("home.today"),
            count: today.to_string(),
            href: mine_href.clone(),
            urgent: today > 0,
        });
        mine.push(Tile {
            id: "mine-soon",
            label: tr.t("home.soon"),
            count: soon.to_string(),
            href: mine_href.clone(),
            urgent: false,
        });
        mine.push(Tile {
            id: "mine-open",
            label: tr.t("home.mine_open"),
            count: open.to_string(),
            href: mine_href,
            urgent: false,
        });
        if user.can(Permission::ViewAllCases) {
            for (id, inbox, label) in [
                ("desk-unassigned", "unassigned", "cases.unassigned"),
                ("desk-followup", "followup", "cases.followup"),
                ("desk-overdue", "overdue", "cases.overdue"),
            ] {
                let (n, count) = inbox_count(&state, &user, inbox).await?;
                desk.push(Tile {
                    id,
                    label: tr.t(label),
                    count,
                    href: format!("/console/cases?inbox={inbox}"),
                    urgent: n > 0 && inbox != "unassigned",
                });
            }
        }
    }
    if user.can(Permission::RecordLedger) {
        let f = EntryFilter { status: Some(EntryStatus::Proposed), limit: COUNT_UP_TO, ..Default::default() };
        let waiting = state.store.entries(user.org_id(), &f).await?;
        // Not those about themselves: nobody decides an entry about themselves.
        let n = waiting.iter().filter(|e| user.0.staff_id.is_none() || e.staff_id != user.0.staff_id).count();
        desk.push(Tile {
            id: "approvals",
            label: tr.t("home.approvals"),
            count: shown(n as i64),
            href: "/console/ledger?status=proposed".into(),
            urgent: n > 0,
        });
    }
    if user.can(Permission::ReportRectification) || user.can(Permission::VerifyRectification) {
        let open = crate::api::inspections::rectifications_for(&state, &user, true).await?;
        let late = open.iter().filter(|r| r.overdue || r.due_at < now).count();
        desk.push(Tile {
            id: "rectifications",
            label: tr.t("home.rectifications"),
            count: shown(open.len() as i64),
            href: "/console/rectifications".into(),
            urgent: late > 0,
        });
    }
    if user.role().keeping_sight() != chuangkou_domain::access::Sight::Nothing {
        // Directory entries of the units I keep, due to be checked again (PUB-1).
        let days = state.rules(&org.pack)?.pack.public.directory_review_days;
        let reach = crate::api::directory::keeper(&state, &user).await?;
        let stale = state.store.stale_directory(user.org_id(), now - i64::from(days) * 86_400_000).await?;
        let n = stale.iter().filter(|e| crate::api::directory::keeps(&reach, e.unit_id)).count();
        desk.push(Tile {
            id: "directory-stale",
            label: tr.t("home.directory_stale"),
            count: shown(n as i64),
            href: "/console/directory?stale=1".into(),
            urgent: n > 0,
        });
        // Facilities of the points I keep to renew (expiring) or repair.
        let (today, warn_days) = crate::api::duty::warning(&state, user.org_id()).await?;
        let due = crate::api::duty::kept_facilities(&state, &user, None)
            .await?
            .iter()
            .filter(|f| {
                let expires = f.expires_on.as_deref().and_then(chuangkou_domain::duty::parse_date);
                chuangkou_domain::duty::expiring(expires, today, warn_days)
                    || chuangkou_domain::duty::Condition::parse(&f.condition).is_some_and(|c| !c.usable())
            })
            .count();
        desk.push(Tile {
            id: "facilities-due",
            label: tr.t("home.facilities"),
            count: shown(due as i64),
            href: "/console/duty#facilities".into(),
            urgent: due > 0,
        });
    }
    let c = Chrome::for_user(&state, tr, csrf, &user, "home").await?;
    Ok(render(&HomePage { c, mine, desk }))
}
