//! Monthly assessment (SPEC KPI-3): every active staff member's score from
//! the pack's base, deductions and bonuses, teams by their members' mean,
//! rankings, star grades, and award candidates that honour the ledger's
//! eligibility (anyone who lost it this year is shown, with the reason, and
//! never selected).

use std::collections::HashMap;

use chrono::Datelike;
use chuangkou_domain::calendar::day_number;
use chuangkou_domain::kpi::Period;
use chuangkou_domain::org::UnitKind;
use chuangkou_domain::policy::{AwardLevel, Rules, Tally};
use serde::Serialize;

use crate::{Result, Store, on_read};

#[derive(Debug, Clone, Serialize)]
pub struct StaffScore {
    pub rank: usize,
    pub staff_id: i64,
    pub employee_no: String,
    pub name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub tally: Tally,
    pub score: f64,
    pub stars: u8,
    pub eligible: bool,
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Serialize)]
pub struct TeamScore {
    pub rank: usize,
    pub unit_id: i64,
    pub name: String,
    pub members: usize,
    pub score: f64,
}

#[derive(Debug, Clone, Serialize)]
pub struct AwardResult {
    pub code: String,
    pub title: String,
    pub level: AwardLevel,
    /// Selected: staff or team ids with names, best first.
    pub winners: Vec<(i64, String, f64)>,
    /// Would have qualified by score but lost eligibility this year.
    pub ineligible: Vec<(i64, String, f64, Vec<String>)>,
}

#[derive(Debug, Clone, Serialize)]
pub struct Assessment {
    pub month: String,
    pub staff: Vec<StaffScore>,
    pub teams: Vec<TeamScore>,
    pub awards: Vec<AwardResult>,
}

/// Sorts by score, best first (ties by the given name), and numbers ranks;
/// equal scores share a rank.
fn rank<T>(
    items: &mut [T],
    score: impl Fn(&T) -> f64,
    name: impl Fn(&T) -> &str,
    set: impl Fn(&mut T, usize),
) {
    items.sort_by(|a, b| score(b).total_cmp(&score(a)).then_with(|| name(a).cmp(name(b))));
    let mut prev: Option<(f64, usize)> = None;
    for (i, item) in items.iter_mut().enumerate() {
        let s = score(item);
        let r = match prev {
            Some((p, r)) if p == s => r,
            _ => i + 1,
        };
        prev = Some((s, r));
        set(item, r);
    }
}

impl Store {
    /// Counts per staff member from `sql` (`staff id, count`), added into `tally`.
    async fn tally_by_staff(
        &self,
        sql: &str,
        org_id: i64,
        from: i64,
        to: i64,
        tally: &mut HashMap<i64, Tally>,
        add: fn(&mut Tally, i64),
    ) -> Result<()> {
        let rows: Vec<(i64, i64)> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(from).bind(to).fetch_all(c).await)?;
        for (staff, n) in rows {
            add(tally.entry(staff).or_default(), n);
        }
        Ok(())
    }

    /// The month's assessment of every active staff member and team.
    pub async fn assess_month(&self, org_id: i64, rules: Rules<'_>, month: Period) -> Result<Assessment> {
        let policy = &rules.pack.assessment;
        let cal = rules.calendar;
        let (from, to) =
            (cal.start_of_day_ms(month.from), cal.start_of_day_ms(month.to.succ_opt().expect("in range")));
        let mut tally: HashMap<i64, Tally> = HashMap::new();
        self.tally_by_staff(
            // A bad rating's own case is scored as the bad rating, not again as a complaint.
            "SELECT subject_staff_id, COUNT(*) FROM cases WHERE org_id = $1 AND kind = 'complaint' AND subject_staff_id IS NOT NULL
               AND channel <> 'rating'
               AND master_case_id IS NULL AND (finding IS NULL OR finding <> 'unfounded') AND state <> 'withdrawn'
               AND registered_at >= $2 AND registered_at < $3 GROUP BY subject_staff_id",
            org_id, from, to, &mut tally, |t, n| t.complaints += n,
        )
        .await?;
        self.tally_by_staff(
            "SELECT staff_id, COUNT(*) FROM facts WHERE org_id = $1 AND kind = 'violation' AND staff_id IS NOT NULL
               AND voided_at IS NULL AND occurred_at >= $2 AND occurred_at < $3 GROUP BY staff_id",
            org_id, from, to, &mut tally, |t, n| t.violations += n,
        )
        .await?;
        self.tally_by_staff(
            "SELECT staff_id, COUNT(*) FROM ledger_entries WHERE org_id = $1 AND staff_id IS NOT NULL AND status = 'approved'
               AND COALESCE(decided_kind, kind) = 'good_deed' AND occurred_at >= $2 AND occurred_at < $3 GROUP BY staff_id",
            org_id, from, to, &mut tally, |t, n| t.good_deeds += n,
        )
        .await?;
        self.tally_by_staff(
            "SELECT staff_id, COUNT(*) FROM ledger_entries WHERE org_id = $1 AND staff_id IS NOT NULL AND status = 'approved'
               AND COALESCE(decided_kind, kind) = 'commendation' AND occurred_at >= $2 AND occurred_at < $3 GROUP BY staff_id",
            org_id, from, to, &mut tally, |t, n| t.commendations += n,
        )
        .await?;
        self.tally_by_staff(
            "SELECT scope_id, CAST(SUM(n1 + n2) AS BIGINT) FROM rating_rollups WHERE org_id = $1 AND scope = 'staff'
               AND day BETWEEN $2 AND $3 GROUP BY scope_id",
            org_id, day_number(month.from), day_number(month.to), &mut tally, |t, n| t.bad_ratings += n,
        )
        .await?;

        let units = self.units(org_id).await?;
        let unit_name: HashMap<i64, String> = units.iter().map(|u| (u.id, u.name.clone())).collect();
        let eligibility = self.eligibility(org_id, rules, month.from.year(), None).await?;
        let staff_rows: Vec<(i64, i64)> = on_read!(self, c => sqlx::query_as(
            "SELECT id, unit_id FROM staff WHERE org_id = $1 AND active = TRUE")
            .bind(org_id).fetch_all(c).await)?;
        let unit_of: HashMap<i64, i64> = staff_rows.into_iter().collect();
        let mut staff: Vec<StaffScore> = eligibility
            .into_iter()
            .filter_map(|e| {
                let unit_id = *unit_of.get(&e.staff_id)?;
                let t = tally.get(&e.staff_id).copied().unwrap_or_default();
                let score = policy.score(&t);
                Some(StaffScore {
                    rank: 0,
                    staff_id: e.staff_id,
                    employee_no: e.employee_no,
                    name: e.name,
                    unit_id,
                    unit_name: unit_name.get(&unit_id).cloned().unwrap_or_default(),
                    tally: t,
                    score,
                    stars: policy.stars(score),
                    eligible: e.eligible,
                    reasons: e.reasons,
                })
            })
            .collect();
        rank(&mut staff, |s| s.score, |s| s.employee_no.as_str(), |s, r| s.rank = r);

        let mut teams: Vec<TeamScore> = units
            .iter()
            .filter(|u| UnitKind::parse(&u.kind) == Some(UnitKind::Team))
            .filter_map(|u| {
                let members: Vec<f64> = staff.iter().filter(|s| s.unit_id == u.id).map(|s| s.score).collect();
                (!members.is_empty()).then(|| TeamScore {
                    rank: 0,
                    unit_id: u.id,
                    name: u.name.clone(),
                    members: members.len(),
                    score: (members.iter().sum::<f64>() / members.len() as f64 * 100.0).round() / 100.0,
                })
            })
            .collect();
        rank(&mut teams, |t| t.score, |t| t.name.as_str(), |t, r| t.rank = r);

        let awards = policy
            .awards
            .iter()
            .map(|a| {
                let (winners, ineligible) = match a.level {
                    AwardLevel::Staff => {
                        let qualifying = staff.iter().filter(|s| s.score >= a.min_score);
                        let winners = qualifying
                            .clone()
                            .filter(|s| s.eligible)
                            .take(a.top as usize)
                            .map(|s| (s.staff_id, s.name.clone(), s.score))
                            .collect();
                        let ineligible = qualifying
                            .filter(|s| !s.eligible)
                            .map(|s| (s.staff_id, s.name.clone(), s.score, s.reasons.clone()))
                            .collect();
                        (winners, ineligible)
                    }
                    AwardLevel::Team => (
                        teams
                            .iter()
                            .filter(|t| t.score >= a.min_score)
                            .take(a.top as usize)
                            .map(|t| (t.unit_id, t.name.clone(), t.score))
                            .collect(),
                        vec![],
                    ),
                };
                AwardResult {
                    code: a.code.clone(),
                    title: a.title.clone(),
                    level: a.level,
                    winners,
                    ineligible,
                }
            })
            .collect();
        Ok(Assessment {
            month: format!("{:04}-{:02}", month.from.year(), month.from.month()),
            staff,
            teams,
            awards,
        })
    }
}
