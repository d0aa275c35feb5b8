//! The case list: inbox tabs with their counts, filters, and a line per
//! case a desk can scan (a card per case on a phone).

use askama::Template;
use axum::Router;
use axum::extract::State;
use axum::routing::get;
use chuangkou_domain::cases::Channel;
use chuangkou_domain::cases::lifecycle::State as CaseState;

use super::console_cases::{CaseLine, Names, line};
use super::{Chrome, PageResult, render};
use crate::AppState;
use crate::api::cases::{ListQuery, filter_for};
use crate::auth::PageUser;
use crate::cases_access::may_register;
use crate::csrf::CsrfToken;
use crate::extract::ApiQuery;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new().route("/console/cases", get(list))
}

/// The list filters as the user set them, to keep them on the next page.
pub struct Sticky {
    pub category: String,
    pub channel: String,
    pub unit: String,
    pub since: String,
    pub until: String,
}

#[derive(Template)]
#[template(path = "cases.html")]
struct ListPage {
    c: Chrome,
    /// `(tab, count)` for the tabs that carry one.
    counts: Vec<(String, String)>,
    /// Whether a filter besides the search is set: the filters start unfolded.
    filtered: bool,
    inbox: String,
    q: String,
    state_filter: String,
    states: Vec<(String, String)>,
    categories: Vec<(String, String)>,
    channels: Vec<(String, String)>,
    units: Vec<(String, String)>,
    sticky: Sticky,
    cases: Vec<CaseLine>,
    next: Option<String>,
    can_register: bool,
}

async fn list(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> PageResult {
    let inbox = q.inbox.clone().unwrap_or_else(|| "all".into());
    let text = q.q.clone().unwrap_or_default();
    let state_filter = q.state.clone().unwrap_or_default();
    let sticky = Sticky {
        category: q.category.clone().unwrap_or_default(),
        channel: q.channel.clone().unwrap_or_default(),
        unit: q.unit_id.map(|u| u.to_string()).unwrap_or_default(),
        since: q.since.clone().unwrap_or_default(),
        until: q.until.clone().unwrap_or_default(),
    };
    // The next page keeps every filter of this one.
    let kept: Vec<(&str, String)> = [
        ("inbox", inbox.clone()),
        ("q", text.clone()),
        ("state", state_filter.clone()),
        ("category", sticky.category.clone()),
        ("channel", sticky.channel.clone()),
        ("kind", q.kind.clone().unwrap_or_default()),
        ("unit_id", sticky.unit.clone()),
        ("since", sticky.since.clone()),
        ("until", sticky.until.clone()),
        ("from", q.from.map(|v| v.to_string()).unwrap_or_default()),
        ("to", q.to.map(|v| v.to_string()).unwrap_or_default()),
        ("limit", q.limit.map(|v| v.to_string()).unwrap_or_default()),
    ]
    .into_iter()
    .filter(|(_, v)| !v.is_empty())
    .collect();
    let f = filter_for(&state, &user, q).await?;
    let org = state.store.organisation(user.org_id()).await?;
    let rows = state.store.cases(user.org_id(), &f).await?;
    let next = (rows.len() as i64 == f.limit).then(|| {
        let last = rows.last().map_or(0, |c| c.id.get());
        let query: Vec<String> =
            kept.iter().map(|(k, v)| format!("{k}={}", super::console::url_encode(v))).collect();
        format!("/console/cases?{}&before={last}", query.join("&"))
    });
    let unit_rows = state.store.units(org.id).await?;
    let names = Names::new(&unit_rows, &state.store.users(org.id).await?);
    let cases = rows.iter().map(|c| line(&state, &org.pack, c, tr, &names)).collect();
    let states = tr.choices(&CaseState::ALL);
    let rules = state.rules(&org.pack)?;
    let categories = rules
        .pack
        .cases
        .categories
        .iter()
        .map(|x| (x.code.clone(), tr.pick(&x.title, &x.title_en).to_string()))
        .collect();
    let channels = tr.choices(Channel::ALL);
    let filtered =
        [&sticky.category, &sticky.channel, &sticky.unit, &sticky.since, &sticky.until, &state_filter]
            .iter()
            .any(|v| !v.is_empty());
    let units = unit_rows.into_iter().map(|u| (u.id.to_string(), u.name)).collect();
    // The tabs that are work to do carry their counts (the lists' own queries).
    let mut counts = Vec::new();
    for tab in ["mine", "due", "overdue", "unassigned", "followup"] {
        counts.push((tab.to_string(), super::home::inbox_count(&state, &user, tab).await?.1));
    }
    let c = Chrome::for_user(&state, tr, csrf, &user, "cases").await?;
    Ok(render(&ListPage {
        counts,
        filtered,
        c,
        inbox,
        q: text,
        state_filter,
        states,
        categories,
        channels,
        units,
        sticky,
        cases,
        next,
        can_register: may_register(&user),
    }))
}

impl ListPage {
    /// The count a tab carries, if it carries one.
    fn count(&self, tab: &str) -> Option<&str> {
        self.counts.iter().find(|(t, _)| t == tab).map(|(_, n)| n.as_str())
    }
}
