//! The counts the indicators are made of: for one subject, or for every
//! unit at once (one query a measure, grouped by unit, summed over each
//! unit's subtree afterwards), and how they make the indicators.

use chuangkou_domain::calendar::{Calendar, day_number};
use chuangkou_domain::kpi::{Period, compare, per_10k, rate};
use chuangkou_domain::satisfaction::Counts;
use chuangkou_domain::{Fen, OrgId};

use super::{Filters, Indicators, Volume};
use crate::ratings::Scope;
use crate::{Result, Store, on_replica};

impl Store {
    /// Every measure of the indicators over `p`, keyed as `per` says.
    pub(super) async fn measures(
        &self,
        org_id: OrgId,
        cal: &Calendar,
        f: &Filters,
        p: Period,
        per: Per,
    ) -> Result<std::collections::BTreeMap<Option<i64>, Measures>> {
        let span = |p: Period| {
            (cal.start_of_day_ms(p.from), cal.start_of_day_ms(p.to.succ_opt().expect("in range")))
        };
        let (from, to) = span(p);
        let (d0, d1) = (day_number(p.from), day_number(p.to));
        let (pf, pt) = span(p.previous());
        let (yf, yt) = span(p.year_earlier());
        let mut out: std::collections::BTreeMap<Option<i64>, Measures> = Default::default();
        let mut put = |rows: Keyed<i64>, set: fn(&mut Measures, i64)| {
            for (k, v) in rows {
                set(out.entry(k).or_default(), v);
            }
        };
        put(self.valid_complaints(org_id, f, from, to, per).await?, |m, v| m.valid = v);
        put(self.valid_complaints(org_id, f, pf, pt, per).await?, |m, v| m.previous = v);
        put(self.valid_complaints(org_id, f, yf, yt, per).await?, |m, v| m.year_earlier = v);
        for (k, v) in self.volume(org_id, f, d0, d1, per).await? {
            out.entry(k).or_default().volume = v;
        }
        for (k, v) in self.subject_ratings(org_id, f, d0, d1, per).await? {
            out.entry(k).or_default().ratings = v;
        }
        for (k, v) in self.case_measures(org_id, f, from, to, per).await? {
            out.entry(k).or_default().cases = v;
        }
        for (k, v) in self.inspection_measures(org_id, f, from, to, per).await? {
            out.entry(k).or_default().inspections = v;
        }
        for (k, v) in self.ledger_measures(org_id, f, from, to, per).await? {
            out.entry(k).or_default().ledger = v;
        }
        Ok(out)
    }

    /// Volume of the subject's units (the organisation: all); none for a
    /// person or a vehicle.
    async fn volume(&self, org_id: OrgId, f: &Filters, d0: i64, d1: i64, per: Per) -> Result<Keyed<Volume>> {
        if f.staff.is_some() && f.units.is_none() || f.vehicle_points.is_some() {
            return Ok(vec![]);
        }
        let narrow =
            f.units.as_ref().map_or(String::new(), |u| format!(" AND unit_id IN ({})", crate::id_list(u)));
        let sql = format!(
            "SELECT {}, CAST(COALESCE(SUM(vehicles), 0) AS BIGINT), CAST(COALESCE(SUM(passengers), 0) AS BIGINT),
                    CAST(COALESCE(SUM(transactions), 0) AS BIGINT)
             FROM volumes WHERE org_id = $1 AND day BETWEEN $2 AND $3{narrow}{}",
            per.key("unit_id"),
            per.group("unit_id")
        );
        let rows: Vec<(Option<i64>, i64, i64, i64)> = on_replica!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(org_id).bind(d0).bind(d1).fetch_all(c).await)?;
        Ok(rows
            .into_iter()
            .map(|(k, vehicles, passengers, transactions)| (k, Volume { vehicles, passengers, transactions }))
            .collect())
    }

    /// The subject's ratings, from the rollups (by unit: each unit's own).
    async fn subject_ratings(
        &self,
        org_id: OrgId,
        f: &Filters,
        d0: i64,
        d1: i64,
        per: Per,
    ) -> Result<Keyed<Counts>> {
        let counts = match (&f.units, f.staff, &f.vehicle_points) {
            (_, _, Some(points)) => self.rating_counts(org_id, Scope::Point, Some(points), d0, d1).await?,
            (Some(units), _, _) => self.rating_counts(org_id, Scope::Unit, Some(units), d0, d1).await?,
            (None, Some(staff), None) => {
                self.rating_counts(org_id, Scope::Staff, Some(&[staff.get()]), d0, d1).await?
            }
            (None, None, None) => self.rating_counts(org_id, Scope::Unit, None, d0, d1).await?,
        };
        if let Per::Unit = per {
            return Ok(counts.into_iter().map(|(k, c)| (Some(k), c)).collect());
        }
        let mut ratings = Counts::default();
        for c in counts.values() {
            ratings.merge(c);
        }
        Ok(vec![(None, ratings)])
    }

    /// Cases: callbacks (of which satisfied) and cases due (of which on time).
    async fn case_measures(
        &self,
        org_id: OrgId,
        f: &Filters,
        from: i64,
        to: i64,
        per: Per,
    ) -> Result<Keyed<[i64; 4]>> {
        let (key, group) = (per.key("unit_id"), per.group("unit_id"));
        let sql = format!(
            "SELECT {key}, COUNT(*), CAST(COALESCE(SUM(CASE WHEN satisfaction IN ('satisfied', 'basic') THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM cases WHERE org_id = $1 AND satisfaction IS NOT NULL AND master_case_id IS NULL
               AND registered_at >= $2 AND registered_at < $3{}{group}",
            f.cases
        );
        let callbacks = self.pairs_of(&sql, org_id, from, to).await?;
        let sql = format!(
            "SELECT {key}, COUNT(*), CAST(COALESCE(SUM(CASE WHEN NOT overdue AND handled_at IS NOT NULL AND handled_at <= handle_due THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM cases WHERE org_id = $1 AND master_case_id IS NULL AND state <> 'withdrawn'
               AND handle_due >= $2 AND handle_due < $3{}{group}",
            f.cases
        );
        let due = self.pairs_of(&sql, org_id, from, to).await?;
        Ok(pairs(callbacks, due))
    }

    /// Inspections: rectifications due (of which verified) and items
    /// checked on site (of which passed).
    async fn inspection_measures(
        &self,
        org_id: OrgId,
        f: &Filters,
        from: i64,
        to: i64,
        per: Per,
    ) -> Result<Keyed<[i64; 4]>> {
        let (insp_filter, rect_filter) = match (&f.units, f.staff, &f.vehicle_points) {
            (Some(u), _, _) => {
                let l = crate::id_list(u);
                (format!(" AND i.unit_id IN ({l})"), format!(" AND unit_id IN ({l})"))
            }
            (None, Some(s), _) => (format!(" AND i.staff_id = {s}"), " AND 1 = 0".to_string()),
            (None, None, Some(_)) => (" AND 1 = 0".to_string(), " AND 1 = 0".to_string()),
            (None, None, None) => (String::new(), String::new()),
        };
        let sql = format!(
            "SELECT {}, COUNT(*), CAST(COALESCE(SUM(CASE WHEN state = 'verified' THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM rectifications WHERE org_id = $1 AND due_at >= $2 AND due_at < $3{rect_filter}{}",
            per.key("unit_id"),
            per.group("unit_id")
        );
        let rectifications = self.pairs_of(&sql, org_id, from, to).await?;
        let sql = format!(
            "SELECT {}, CAST(COALESCE(SUM(CASE WHEN it.result IN ('pass', 'fail') THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN it.result = 'pass' THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM inspection_items it JOIN inspections i ON i.id = it.inspection_id
             WHERE i.org_id = $1 AND i.visited_at >= $2 AND i.visited_at < $3{insp_filter}{}",
            per.key("i.unit_id"),
            per.group("i.unit_id")
        );
        let items = self.pairs_of(&sql, org_id, from, to).await?;
        Ok(pairs(rectifications, items))
    }

    /// The keyed pairs of counts `sql` answers for the organisation over `from..to`.
    async fn pairs_of(&self, sql: &str, org_id: OrgId, from: i64, to: i64) -> Result<Vec<Pair>> {
        Ok(on_replica!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(from).bind(to).fetch_all(c).await)?)
    }

    /// The ledger: good deeds, fines (fen) and violations. Approved entries,
    /// not reversal entries (a reversed entry is no longer approved): a
    /// violation counts whatever fact produced it.
    async fn ledger_measures(
        &self,
        org_id: OrgId,
        f: &Filters,
        from: i64,
        to: i64,
        per: Per,
    ) -> Result<Keyed<[i64; 3]>> {
        let who = match (&f.units, f.staff, &f.vehicle_points) {
            (Some(u), _, _) => format!(" AND unit_id IN ({})", crate::id_list(u)),
            (None, Some(s), _) => format!(" AND staff_id = {s}"),
            (None, None, Some(_)) => " AND 1 = 0".to_string(),
            (None, None, None) => String::new(),
        };
        let sql = format!(
            "SELECT {}, CAST(COALESCE(SUM(CASE WHEN COALESCE(decided_kind, kind) = 'good_deed' THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN COALESCE(decided_kind, kind) = 'fine' THEN COALESCE(amount, 0) ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN COALESCE(decided_kind, kind) = 'violation' THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM ledger_entries WHERE org_id = $1 AND status = 'approved' AND reverses_id IS NULL
               AND occurred_at >= $2 AND occurred_at < $3{who}{}",
            per.key("unit_id"),
            per.group("unit_id")
        );
        let rows: Vec<(Option<i64>, i64, i64, i64)> = on_replica!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(org_id).bind(from).bind(to).fetch_all(c).await)?;
        Ok(rows.into_iter().map(|(k, a, b, c)| (k, [a, b, c])).collect())
    }
}

/// Rows of a measure: by unit (`Some(id)`, `None` for records of no unit)
/// or one for the whole subject (`None`).
pub(super) type Keyed<T> = Vec<(Option<i64>, T)>;

/// How a measure's rows are keyed.
#[derive(Debug, Clone, Copy)]
pub(super) enum Per {
    /// One row for the whole subject.
    Subject,
    /// A row per unit, summed over subtrees afterwards.
    Unit,
}

impl Per {
    pub(super) fn key(self, column: &str) -> String {
        match self {
            Per::Subject => "CAST(NULL AS BIGINT)".into(),
            Per::Unit => column.into(),
        }
    }

    pub(super) fn group(self, column: &str) -> String {
        match self {
            Per::Subject => String::new(),
            Per::Unit => format!(" GROUP BY {column}"),
        }
    }
}

/// A keyed pair of counts, as a query answers it.
type Pair = (Option<i64>, i64, i64);

/// Two keyed pairs of counts as one keyed row of four.
fn pairs(a: Vec<Pair>, b: Vec<Pair>) -> Keyed<[i64; 4]> {
    let mut out: std::collections::BTreeMap<Option<i64>, [i64; 4]> = Default::default();
    for (k, x, y) in a {
        let e = out.entry(k).or_default();
        (e[0], e[1]) = (x, y);
    }
    for (k, x, y) in b {
        let e = out.entry(k).or_default();
        (e[2], e[3]) = (x, y);
    }
    out.into_iter().collect()
}

/// A unit and every unit under it, from the organisation's units.
pub(super) fn subtree(units: &[crate::org::Unit], unit_id: i64) -> Vec<i64> {
    let mut out = vec![unit_id];
    let mut i = 0;
    while i < out.len() {
        let parent = out[i];
        out.extend(units.iter().filter(|u| u.parent_id == Some(parent)).map(|u| u.id));
        i += 1;
    }
    out
}

/// The counts the indicators are made of, for one subject or one unit;
/// they add up over units.
#[derive(Debug, Clone, Default)]
pub(super) struct Measures {
    valid: i64,
    previous: i64,
    year_earlier: i64,
    volume: Volume,
    ratings: Counts,
    /// Callbacks, satisfied, due, on time.
    cases: [i64; 4],
    /// Rectifications due, verified; items checked, passed.
    inspections: [i64; 4],
    /// Good deeds, fines, violations.
    ledger: [i64; 3],
}

impl Measures {
    pub(super) fn add(&mut self, o: &Measures) {
        self.valid += o.valid;
        self.previous += o.previous;
        self.year_earlier += o.year_earlier;
        self.volume.vehicles += o.volume.vehicles;
        self.volume.passengers += o.volume.passengers;
        self.volume.transactions += o.volume.transactions;
        self.ratings.merge(&o.ratings);
        for (a, b) in self.cases.iter_mut().zip(o.cases) {
            *a += b;
        }
        for (a, b) in self.inspections.iter_mut().zip(o.inspections) {
            *a += b;
        }
        for (a, b) in self.ledger.iter_mut().zip(o.ledger) {
            *a += b;
        }
    }

    pub(super) fn indicators(self, p: Period) -> Indicators {
        let v = self.volume;
        let base = [v.vehicles, v.passengers, v.transactions].into_iter().find(|v| *v > 0).unwrap_or(0);
        let [callbacks, satisfied, cases_due, cases_on_time] = self.cases;
        let [rectifications_due, rectifications_verified, items_checked, items_passed] = self.inspections;
        let [good_deeds, fines, violations] = self.ledger;
        Indicators {
            from: day_number(p.from),
            to: day_number(p.to),
            valid_complaints: self.valid,
            month_on_month: compare(self.valid, self.previous),
            year_on_year: compare(self.valid, self.year_earlier),
            volume: v,
            complaints_per_10k: per_10k(self.valid, base),
            satisfaction_rate: self.ratings.satisfaction_rate(),
            ratings: self.ratings,
            callbacks,
            handling_satisfaction: rate(satisfied, callbacks),
            cases_due,
            cases_on_time,
            timely_rate: rate(cases_on_time, cases_due),
            rectifications_due,
            rectifications_verified,
            rectification_rate: rate(rectifications_verified, rectifications_due),
            items_checked,
            items_passed,
            compliance_rate: rate(items_passed, items_checked),
            good_deeds,
            violations,
            fines: Fen::new(fines),
        }
    }
}
