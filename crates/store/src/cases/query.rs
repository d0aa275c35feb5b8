//! Reading cases: the staff inbox and search (SPEC CASE-11 console), and a
//! case's timeline.

use chuangkou_domain::events::EventKind;
use chuangkou_domain::{CaseId, OrgId, UserId};
use serde::Serialize;

use super::{CASE_COLUMNS, CaseRow};
use crate::{Backend, Result, Store, StoreError, on_read, on_replica};

/// Which slice of the organisation's cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Inbox {
    /// Open cases I handle, or that are being handed to me, until they are
    /// answered (then they are the office's: [`Inbox::FollowUp`]).
    Mine,
    /// Open cases of my unit.
    MyUnit,
    /// Open cases due within 24 hours.
    DueSoon,
    /// Cases that missed a deadline, open or not.
    Overdue,
    /// Open cases nobody handles yet (public and Open311 intake).
    Unassigned,
    /// Answered cases waiting for the office's callback and closing
    /// (replied, called back): after the handler replies, the case is the
    /// office's to do, so that no case is stranded.
    FollowUp,
    /// Everything, newest first.
    #[default]
    All,
    /// The half of [`Inbox::Mine`] I handle. The store lists the two
    /// halves apart and merges them, so that each walks its own index.
    MineHandled,
    /// The half of [`Inbox::Mine`] being handed to me.
    MineHandedOver,
}

impl Inbox {
    pub fn parse(s: &str) -> Option<Inbox> {
        Some(match s {
            "mine" => Inbox::Mine,
            "unit" => Inbox::MyUnit,
            "due" => Inbox::DueSoon,
            "overdue" => Inbox::Overdue,
            "unassigned" => Inbox::Unassigned,
            "followup" => Inbox::FollowUp,
            "all" | "" => Inbox::All,
            _ => return None,
        })
    }
}

#[derive(Debug, Clone, Default)]
pub struct CaseFilter {
    pub inbox: Inbox,
    /// The viewer, for `Mine`.
    pub user_id: Option<UserId>,
    /// The viewer's unit, for `MyUnit`.
    pub user_unit_id: Option<i64>,
    /// Staff see only cases they handle, registered or are about.
    pub only_involving: Option<(UserId, Option<chuangkou_domain::StaffId>)>,
    /// With `only_involving`: complaints about leaders too (the discipline body).
    pub or_about_leaders: bool,
    /// Complaints about leaders are hidden except from the discipline body:
    /// `Some(user)` hides them, but for those `user` registered.
    pub hide_leader_complaints: Option<UserId>,
    pub q: Option<String>,
    pub unit_id: Option<i64>,
    pub category: Option<String>,
    pub state: Option<String>,
    pub channel: Option<String>,
    pub kind: Option<String>,
    pub registered_from: Option<i64>,
    pub registered_to: Option<i64>,
    /// Keyset: the id of the last case of the previous page.
    pub before_id: Option<CaseId>,
    pub limit: i64,
}

/// One line of a case's history.
#[derive(Debug, Clone, Serialize)]
pub struct TimelineEntry {
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub kind: String,
    pub reason: String,
    pub payload: serde_json::Value,
}

/// Events the public may see on the tracking page, and nothing else.
pub const PUBLIC_EVENTS: &[EventKind] = &[
    EventKind::CaseRegistered,
    EventKind::CaseInvestigationStarted,
    EventKind::CaseConcluded,
    EventKind::CaseReplied,
    EventKind::CaseCalledBack,
    EventKind::CaseReopened,
    EventKind::CaseClosed,
    EventKind::CaseWithdrawn,
    EventKind::CaseReinstated,
    EventKind::CaseMerged,
    EventKind::CaseExtensionApproved,
];

impl Store {
    /// The ids of the organisation's complaints about leaders (routed to
    /// the discipline body), which only that body sees.
    pub async fn leader_complaint_ids(&self, org_id: OrgId) -> Result<std::collections::HashSet<i64>> {
        let ids: Vec<i64> = on_read!(self, c => sqlx::query_scalar(
            "SELECT id FROM cases WHERE org_id = $1 AND routed_to <> 'office'")
            .bind(org_id).fetch_all(c).await)?;
        Ok(ids.into_iter().collect())
    }

    /// Cases matching `f`, newest first, keyset-paginated by id.
    ///
    /// A search runs as two queries merged: the cases whose texts hold the
    /// search's terms, walked newest first from the text index itself
    /// (a term in one case of three finds its page at once, instead of
    /// listing all its cases first), and the case whose number it is.
    ///
    /// "Mine" is the same: the cases I handle, walked on the owner index,
    /// and those being handed to me, on theirs. (As one condition, SQLite
    /// walked every open case to find those of a user who has few.)
    pub async fn cases(&self, org_id: OrgId, f: &CaseFilter) -> Result<Vec<CaseRow>> {
        let limit = f.limit.clamp(1, 200);
        let searching = self.search_terms(f).is_some();
        let parts = parts(f);
        let mut rows = Vec::new();
        for part in &parts {
            rows.extend(self.fetch_cases(org_id, &self.case_conditions(part, Search::Terms), limit).await?);
            if searching {
                rows.extend(
                    self.fetch_cases(org_id, &self.case_conditions(part, Search::Number), limit).await?,
                );
            }
        }
        if searching || parts.len() > 1 {
            rows.sort_by_key(|c| std::cmp::Reverse(c.id));
            rows.dedup_by_key(|c| c.id);
            rows.truncate(limit as usize);
        }
        Ok(rows)
    }

    async fn fetch_cases(&self, org_id: OrgId, c: &Conditions, limit: i64) -> Result<Vec<CaseRow>> {
        let Conditions { from, wh, order, ints, texts, by_text } = c;
        let sql = format!("SELECT {CASE_COLUMNS} FROM {from} WHERE {wh} ORDER BY {order} LIMIT {limit}");
        // A search reads from the replica, if there is one; the inbox's
        // tabs show what was just done, so they read from the primary.
        macro_rules! fetch {
            ($c:ident) => {
                bound!(sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(org_id), ints, texts)
                    .fetch_all($c)
                    .await
            };
        }
        Ok(if *by_text { on_replica!(self, c => fetch!(c)) } else { on_read!(self, c => fetch!(c)) }?)
    }

    /// How many cases the filter finds, counting no further than `up_to`
    /// (an inbox tab's count: "500+" is enough to say).
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    pub async fn count_cases(&self, org_id: OrgId, f: &CaseFilter, up_to: i64) -> Result<i64> {
        let mut n = 0;
        // The halves of "mine" hold different cases (one owner, another
        // taking it over), so their counts add up.
        for part in parts(f) {
            let Conditions { from, wh, ints, texts, .. } = self.case_conditions(&part, Search::Either);
            let sql = format!(
                "SELECT COUNT(*) FROM (SELECT 1 FROM {from} WHERE {wh} LIMIT {}) AS found",
                up_to.max(1)
            );
            let found: i64 = on_read!(self, c => {
                bound!(sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str())).bind(org_id), &ints, &texts).fetch_one(c).await
            })?;
            n += found;
        }
        Ok(n.min(up_to.max(1)))
    }

    /// A filter's cases by urgency (the home page's tiles of "mine"):
    /// `[past the deadline, due before tomorrow, due before soon, all]`; a
    /// case past its deadline counts in the first only. Counted here
    /// rather than from a page of rows, which held 200 of a desk's
    /// thousands.
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    pub async fn count_by_urgency(
        &self,
        org_id: OrgId,
        f: &CaseFilter,
        now: i64,
        tomorrow: i64,
        soon: i64,
    ) -> Result<[i64; 4]> {
        let mut n = [0; 4];
        for part in parts(f) {
            let Conditions { from, wh, ints, texts, .. } = self.case_conditions(&part, Search::Either);
            let sum = |cond: String| {
                format!("CAST(COALESCE(SUM(CASE WHEN {cond} THEN 1 ELSE 0 END), 0) AS BIGINT)")
            };
            let sql = format!(
                "SELECT {}, {}, {}, COUNT(*) FROM {from} WHERE {wh}",
                sum(format!("k.overdue OR k.handle_due < {now}")),
                sum(format!("NOT k.overdue AND k.handle_due >= {now} AND k.handle_due < {tomorrow}")),
                sum(format!("NOT k.overdue AND k.handle_due >= {tomorrow} AND k.handle_due < {soon}")),
            );
            let got: (i64, i64, i64, i64) = on_read!(self, c => {
                bound!(sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(org_id), &ints, &texts).fetch_one(c).await
            })?;
            for (total, x) in n.iter_mut().zip([got.0, got.1, got.2, got.3]) {
                *total += x;
            }
        }
        Ok(n)
    }

    /// The search text of `f`, when it has one with terms to look up (two
    /// characters or more).
    fn search_terms<'a>(&self, f: &'a CaseFilter) -> Option<&'a str> {
        f.q.as_deref().map(str::trim).filter(|q| q.chars().filter(|c| c.is_alphanumeric()).count() >= 2)
    }

    /// The `FROM` and `WHERE` of a case filter, with its integer parameters
    /// ($2…) and then its text parameters; $1 is the organisation.
    fn case_conditions(&self, f: &CaseFilter, search: Search) -> Conditions {
        let mut wh: Vec<String> = vec!["k.org_id = $1".into()];
        let mut ints: Vec<Option<i64>> = vec![];
        let mut texts: Vec<Option<String>> = vec![];
        // Placeholders: $1 org; then the integers; then the texts.
        let int = |v: Option<i64>, ints: &mut Vec<Option<i64>>| {
            ints.push(v);
            format!("${}", ints.len() + 1)
        };
        let backend = self.backend();
        let terms = self.search_terms(f).is_some() && search == Search::Terms;
        let period = f.registered_from.is_some() || f.registered_to.is_some();
        let (from, order, after) = walk(backend, terms, period);
        wh.extend(inbox_clause(f, self.now_ms(), &mut ints));
        if let Some((user, staff)) = f.only_involving {
            let u = int(Some(user.get()), &mut ints);
            let s = int(Some(staff.map_or(-1, chuangkou_domain::StaffId::get)), &mut ints);
            let leaders = if f.or_about_leaders { " OR k.routed_to <> 'office'" } else { "" };
            wh.push(format!(
                "(k.owner_id = {u} OR k.pending_owner_id = {u} OR k.first_responsible_id = {u} OR k.subject_staff_id = {s}{leaders})"
            ));
        }
        if let Some(user) = f.hide_leader_complaints {
            let u = int(Some(user.get()), &mut ints);
            wh.push(format!("(k.routed_to = 'office' OR k.first_responsible_id = {u})"));
        }
        if f.unit_id.is_some() {
            wh.push(format!("k.unit_id = {}", int(f.unit_id, &mut ints)));
        }
        if f.registered_from.is_some() {
            wh.push(format!("k.registered_at >= {}", int(f.registered_from, &mut ints)));
        }
        if f.registered_to.is_some() {
            wh.push(format!("k.registered_at < {}", int(f.registered_to, &mut ints)));
        }
        if f.before_id.is_some() {
            wh.push(after.replace('#', &int(f.before_id.map(CaseId::get), &mut ints)));
        }
        let base = 2 + ints.len();
        let text = |v: &Option<String>, texts: &mut Vec<Option<String>>| {
            texts.push(v.clone());
            format!("${}", base + texts.len() - 1)
        };
        for (col, v) in
            [("category", &f.category), ("state", &f.state), ("channel", &f.channel), ("kind", &f.kind)]
        {
            if v.is_some() {
                wh.push(format!("k.{col} = {}", text(v, &mut texts)));
            }
        }
        if let Some(q) = f.q.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
            let mut param = |v: String| text(&Some(v), &mut texts);
            let query = super::search::TermQuery::new(backend, q);
            wh.push(match (search, self.search_terms(f)) {
                // One character: no bigram to look up; a scan of this
                // organisation's texts.
                (_, None) => format!("(k.description LIKE {} OR k.number LIKE {0})", param(format!("%{q}%"))),
                (Search::Number, Some(_)) => format!("k.number = {}", param(q.to_string())),
                (Search::Terms, Some(_)) => {
                    let ph: Vec<String> = query.values.iter().map(|t| param(t.clone())).collect();
                    query.driving_clause(backend, &ph)
                }
                (Search::Either, Some(_)) => {
                    let ph: Vec<String> = query.values.iter().map(|t| param(t.clone())).collect();
                    let number = param(q.to_string());
                    format!("(k.number = {number} OR {})", query.clause(backend, &ph))
                }
            });
        }
        Conditions { from, wh: wh.join(" AND "), order, ints, texts, by_text: terms }
    }

    /// A case's whole history, oldest first.
    /// Where another system said a case happened, and who sent it, with the
    /// sender's e-mail and names decrypted; `None` for a case of our own.
    pub async fn case_origin(&self, org_id: OrgId, case_id: CaseId) -> Result<Option<super::Origin>> {
        type Row = (
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<String>,
            Option<Vec<u8>>,
            Option<Vec<u8>>,
            Option<Vec<u8>>,
        );
        let row: Option<Row> = on_read!(self, c => sqlx::query_as(
            "SELECT address, address_id, lat, long, media_url, device_id, account_id, email_enc, first_name_enc, last_name_enc
             FROM case_origins WHERE org_id = $1 AND case_id = $2")
            .bind(org_id).bind(case_id).fetch_optional(c).await)?;
        let Some((address, address_id, lat, long, media_url, device_id, account_id, email, first, last)) =
            row
        else {
            return Ok(None);
        };
        let dec = |b: Option<Vec<u8>>| b.map(|b| self.decrypt(&b)).transpose();
        Ok(Some(super::Origin {
            address,
            address_id,
            lat: lat.and_then(|x| x.parse().ok()),
            long: long.and_then(|x| x.parse().ok()),
            media_url,
            device_id,
            account_id,
            email: dec(email)?,
            first_name: dec(first)?,
            last_name: dec(last)?,
        }))
    }

    /// A case's photos, oldest first: id, content type, width, height.
    pub async fn case_photos(&self, org_id: OrgId, case_id: CaseId) -> Result<Vec<(i64, String, i64, i64)>> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT id, content_type, width, height FROM case_photos WHERE org_id = $1 AND case_id = $2 ORDER BY id")
            .bind(org_id).bind(case_id).fetch_all(c).await)?)
    }

    /// One photo of a case (or its thumbnail): content type, bytes, and the
    /// case it belongs to, for the caller to check who may see it.
    pub async fn case_photo(&self, org_id: OrgId, id: i64, thumb: bool) -> Result<(String, Vec<u8>, CaseId)> {
        let sql = format!(
            "SELECT content_type, {}, case_id FROM case_photos WHERE org_id = $1 AND id = $2",
            if thumb { "thumb" } else { "bytes" }
        );
        on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(id).fetch_optional(c).await)?
            .ok_or(StoreError::NotFound)
    }

    pub async fn timeline(&self, org_id: OrgId, case_id: CaseId) -> Result<Vec<TimelineEntry>> {
        Ok(self
            .history(org_id, "case", case_id.get())
            .await?
            .into_iter()
            .map(|e| TimelineEntry {
                seq: e.seq,
                at: e.at,
                actor: e.actor,
                kind: e.kind,
                reason: e.reason,
                payload: serde_json::from_str(&e.payload).unwrap_or_default(),
            })
            .collect())
    }
}

/// A case query with its parameters after the organisation's bound: the
/// integers, then the texts ([`Conditions`]).
macro_rules! bound {
    ($q:expr, $ints:expr, $texts:expr) => {{
        let mut q = $q;
        for v in $ints {
            q = q.bind(*v);
        }
        for v in $texts {
            q = q.bind(v.clone());
        }
        q
    }};
}
use bound;

/// How a filter's search text is looked up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Search {
    /// Cases whose texts hold its terms, walked from the text index.
    Terms,
    /// The case whose number it is.
    Number,
    /// Either, in one condition (for counting).
    Either,
}

/// A case query's parts: `FROM`, `WHERE`, `ORDER BY` (which the keyset in
/// `WHERE` follows), and the parameters after the organisation's.
struct Conditions {
    from: &'static str,
    wh: String,
    order: &'static str,
    ints: Vec<Option<i64>>,
    texts: Vec<Option<String>>,
    /// Walked from the text index: a search, which may read the replica.
    by_text: bool,
}

/// How a case query walks: `FROM`, `ORDER BY`, and the keyset condition
/// after a page's last case (`#` its id). Walked from the text index, the
/// list is ordered (and paged) by the index's own id column, which the
/// database can seek. Within a period, by registration time: the period's
/// index is walked from its end (newest first by id, PostgreSQL would walk
/// every newer case before reaching an old period's).
fn walk(backend: Backend, terms: bool, period: bool) -> (&'static str, &'static str, &'static str) {
    match (terms, backend) {
        (false, _) if period => (
            "cases k",
            "k.registered_at DESC, k.id DESC",
            "(k.registered_at, k.id) < (SELECT b.registered_at, b.id FROM cases b WHERE b.id = #)",
        ),
        (false, _) => ("cases k", "k.id DESC", "k.id < #"),
        // SQLite takes a CROSS JOIN's left table as the outer loop.
        (true, Backend::Sqlite) => {
            ("case_search s CROSS JOIN cases k ON k.id = s.rowid", "s.rowid DESC", "s.rowid < #")
        }
        (true, Backend::Postgres) => {
            ("case_terms t JOIN cases k ON k.id = t.case_id", "t.case_id DESC", "t.case_id < #")
        }
    }
}

/// The filters whose lists, merged, are `f`'s: "mine" in its two halves.
fn parts(f: &CaseFilter) -> Vec<CaseFilter> {
    match f.inbox {
        Inbox::Mine => {
            [Inbox::MineHandled, Inbox::MineHandedOver].map(|inbox| CaseFilter { inbox, ..f.clone() }).into()
        }
        _ => vec![f.clone()],
    }
}

/// The `WHERE` of an inbox tab, binding its integers into `ints` ($2…).
fn inbox_clause(f: &CaseFilter, now: i64, ints: &mut Vec<Option<i64>>) -> Option<String> {
    let mut int = |v: Option<i64>| {
        ints.push(v);
        format!("${}", ints.len() + 1)
    };
    const OPEN: &str = "k.state NOT IN ('closed', 'withdrawn', 'merged')";
    const NOT_ANSWERED: &str = "k.state NOT IN ('replied', 'called_back')";
    Some(match f.inbox {
        Inbox::Mine => {
            let u = int(f.user_id.map(UserId::get));
            format!("{OPEN} AND {NOT_ANSWERED} AND (k.owner_id = {u} OR k.pending_owner_id = {u})")
        }
        Inbox::MineHandled => {
            format!("{OPEN} AND {NOT_ANSWERED} AND k.owner_id = {}", int(f.user_id.map(UserId::get)))
        }
        Inbox::MineHandedOver => {
            format!("{OPEN} AND {NOT_ANSWERED} AND k.pending_owner_id = {}", int(f.user_id.map(UserId::get)))
        }
        Inbox::MyUnit => format!("{OPEN} AND k.unit_id = {}", int(f.user_unit_id)),
        Inbox::DueSoon => format!("{OPEN} AND k.handle_due <= {}", int(Some(now + 24 * 3_600_000))),
        Inbox::Overdue => "k.overdue = TRUE".into(),
        Inbox::Unassigned => format!("{OPEN} AND k.owner_id IS NULL"),
        Inbox::FollowUp => "k.state IN ('replied', 'called_back')".into(),
        Inbox::All => return None,
    })
}
