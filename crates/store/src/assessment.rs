//! Monthly assessment (SPEC KPI-3): every active staff member's score from
//! the pack's base, deductions and bonuses, teams by their members' mean,
//! rankings, star grades, and award candidates that honour the ledger's
//! eligibility (anyone who lost it this year is shown, with the reason, and
//! never selected).

use chuangkou_domain::events::EventKind;
use std::collections::HashMap;

use chrono::Datelike;
use chuangkou_domain::calendar::day_number;
use chuangkou_domain::kpi::Period;
use chuangkou_domain::kpi::ranking::{rank, select_awards, team_scores};
use chuangkou_domain::org::UnitKind;
use chuangkou_domain::policy::{Rules, Tally};
use chuangkou_domain::{OrgId, Role, StaffId, UserId};
use serde::{Deserialize, Serialize};

use crate::users::sha256_hex;
use crate::{NewEvent, Result, Store, StoreError, on_read, on_tx};

pub use chuangkou_domain::kpi::ranking::{AwardResult, StaffScore, TeamScore};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Assessment {
    /// `YYYY-MM` for a month, `YYYY` for the annual review.
    pub month: String,
    pub staff: Vec<StaffScore>,
    pub teams: Vec<TeamScore>,
    pub awards: Vec<AwardResult>,
    /// The annual review's star-rated vehicles 星级服务车 (empty for a month).
    #[serde(default)]
    pub vehicles: Vec<crate::annual::VehicleStar>,
}

impl Store {
    /// Counts per staff member from `sql` (`staff id, count`), added into `tally`.
    async fn tally_by_staff(
        &self,
        sql: &str,
        org_id: OrgId,
        from: i64,
        to: i64,
        tally: &mut HashMap<StaffId, Tally>,
        add: fn(&mut Tally, i64),
    ) -> Result<()> {
        let rows: Vec<(StaffId, i64)> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(from).bind(to).fetch_all(c).await)?;
        for (staff, n) in rows {
            add(tally.entry(staff).or_default(), n);
        }
        Ok(())
    }

    /// Staff linked to a user whose role is not one of `ranked`: leaders,
    /// office clerks… are scored but do not compete for staff awards.
    async fn unranked_staff(
        &self,
        org_id: OrgId,
        ranked: &[Role],
    ) -> Result<std::collections::HashSet<StaffId>> {
        let rows: Vec<(StaffId, String)> = on_read!(self, c => sqlx::query_as(
            "SELECT staff_id, role FROM users WHERE org_id = $1 AND staff_id IS NOT NULL")
            .bind(org_id).fetch_all(c).await)?;
        Ok(rows
            .into_iter()
            .filter(|(_, role)| Role::parse(role).is_none_or(|r| !ranked.contains(&r)))
            .map(|(s, _)| s)
            .collect())
    }

    /// Entries about teams themselves (no person) that cost award
    /// eligibility this year, as reasons per team.
    async fn team_ineligibility(
        &self,
        org_id: OrgId,
        rules: Rules<'_>,
        year: i32,
    ) -> Result<HashMap<i64, Vec<String>>> {
        let kinds = crate::ledger::in_list(&rules.pack.ledger.ineligible_by);
        if kinds.is_empty() {
            return Ok(HashMap::new());
        }
        let (start, end) = chuangkou_domain::ledger::year_bounds(rules.calendar, year);
        let sql = format!(
            "SELECT unit_id, id, COALESCE(decided_kind, kind), status, explanation FROM ledger_entries
              WHERE org_id = $1 AND staff_id IS NULL AND status IN ('proposed', 'approved') AND reverses_id IS NULL
                AND COALESCE(decided_kind, kind) IN ({kinds}) AND occurred_at >= $2 AND occurred_at < $3 ORDER BY id"
        );
        let rows: Vec<(i64, i64, String, String, String)> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(start).bind(end).fetch_all(c).await)?;
        let mut out: HashMap<i64, Vec<String>> = HashMap::new();
        for (unit, entry, kind, status, why) in rows {
            out.entry(unit).or_default().push(crate::ledger::reason(entry, &kind, &status, &why));
        }
        Ok(out)
    }

    /// Each person's campaign score for the month (SPEC CMP-1): their
    /// unit's (or the nearest unit above it evaluated) score from the
    /// evaluations recorded in `[from, to)`, as the campaign page counts it.
    async fn campaign_scores(
        &self,
        org_id: OrgId,
        (from, to): (i64, i64),
        staff: &[(StaffId, i64)],
        tally: &mut HashMap<StaffId, Tally>,
    ) -> Result<()> {
        let rows: Vec<(i64, String, i64)> = on_read!(self, c => sqlx::query_as(
            "SELECT of_unit_id, kind, total FROM campaign_evaluations
              WHERE org_id = $1 AND created_at >= $2 AND created_at < $3 ORDER BY id")
            .bind(org_id).bind(from).bind(to).fetch_all(c).await)?;
        if rows.is_empty() {
            return Ok(());
        }
        let mut by_unit: HashMap<i64, (Vec<i64>, Vec<i64>)> = HashMap::new();
        for (unit, kind, total) in rows {
            let e = by_unit.entry(unit).or_default();
            match chuangkou_domain::campaigns::EvaluationKind::parse(&kind) {
                Some(chuangkou_domain::campaigns::EvaluationKind::SelfEvaluation) => e.0.push(total),
                Some(chuangkou_domain::campaigns::EvaluationKind::Peer) => e.1.push(total),
                _ => {}
            }
        }
        let means: HashMap<i64, f64> = by_unit
            .into_iter()
            .filter_map(|(u, (own, peers))| {
                chuangkou_domain::campaigns::unit_score(&own, &peers).map(|s| (u, s))
            })
            .collect();
        let parents: HashMap<i64, Option<i64>> =
            self.units(org_id).await?.into_iter().map(|u| (u.id, u.parent_id)).collect();
        for (id, unit) in staff {
            let mut at = Some(*unit);
            while let Some(u) = at {
                if let Some(m) = means.get(&u) {
                    tally.entry(*id).or_default().campaign = Some(*m);
                    break;
                }
                at = parents.get(&u).copied().flatten();
            }
        }
        Ok(())
    }

    /// The month's assessment of every active staff member and team.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()), err(level = "debug"))]
    pub async fn assess_month(&self, org_id: OrgId, rules: Rules<'_>, month: Period) -> Result<Assessment> {
        let policy = &rules.pack.assessment;
        let cal = rules.calendar;
        let (from, to) =
            (cal.start_of_day_ms(month.from), cal.start_of_day_ms(month.to.succ_opt().expect("in range")));
        let staff_rows: Vec<(StaffId, i64)> = on_read!(self, c => sqlx::query_as(
            "SELECT id, unit_id FROM staff WHERE org_id = $1 AND active = TRUE")
            .bind(org_id).fetch_all(c).await)?;
        let mut tally: HashMap<StaffId, Tally> = HashMap::new();
        self.tally_by_staff(
            // A bad rating's own case is scored as the bad rating, not again as a complaint.
            "SELECT subject_staff_id, COUNT(*) FROM cases WHERE org_id = $1 AND kind = 'complaint' AND subject_staff_id IS NOT NULL
               AND channel <> 'rating' AND routed_to = 'office'
               AND master_case_id IS NULL AND (finding IS NULL OR finding <> 'unfounded') AND state <> 'withdrawn'
               AND registered_at >= $2 AND registered_at < $3 GROUP BY subject_staff_id",
            org_id, from, to, &mut tally, |t, n| t.complaints += n,
        )
        .await?;
        // The ledger: approved entries (not reversal entries; a reversed
        // entry is no longer approved), whatever fact or inspection
        // produced them.
        let ledger: Vec<(StaffId, i64, i64, i64, i64, i64)> = on_read!(self, c => sqlx::query_as(
            "SELECT staff_id,
                    CAST(SUM(CASE WHEN k = 'violation' THEN 1 ELSE 0 END) AS BIGINT),
                    CAST(SUM(CASE WHEN k = 'good_deed' THEN 1 ELSE 0 END) AS BIGINT),
                    CAST(SUM(CASE WHEN k = 'commendation' THEN 1 ELSE 0 END) AS BIGINT),
                    CAST(SUM(CASE WHEN k = 'efficiency_warning' THEN 1 ELSE 0 END) AS BIGINT),
                    CAST(SUM(CASE WHEN k = 'criticism' THEN 1 ELSE 0 END) AS BIGINT)
             FROM (SELECT staff_id, COALESCE(decided_kind, kind) AS k FROM ledger_entries
                   WHERE org_id = $1 AND staff_id IS NOT NULL AND status = 'approved' AND reverses_id IS NULL
                     AND occurred_at >= $2 AND occurred_at < $3) e
             GROUP BY staff_id")
            .bind(org_id).bind(from).bind(to).fetch_all(c).await)?;
        for (staff, violations, good_deeds, commendations, warnings, criticisms) in ledger {
            let t = tally.entry(staff).or_default();
            t.violations += violations;
            t.good_deeds += good_deeds;
            t.commendations += commendations;
            t.warnings += warnings;
            t.criticisms += criticisms;
        }
        // Naming the staff lets the rollups' key (org, scope, staff, day) seek
        // each one's month instead of reading every staff day of the year:
        // 6 ms instead of 38 at 10 million ratings.
        let active = crate::id_list(&staff_rows.iter().map(|r| r.0).collect::<Vec<_>>());
        self.tally_by_staff(
            &format!(
                "SELECT scope_id, CAST(SUM(n1 + n2) AS BIGINT) FROM rating_rollups WHERE org_id = $1 AND scope = 'staff'
                   AND scope_id IN ({active}) AND day BETWEEN $2 AND $3 GROUP BY scope_id"
            ),
            org_id, day_number(month.from), day_number(month.to), &mut tally, |t, n| t.bad_ratings += n,
        )
        .await?;

        // Training attended in the month (SPEC CMP-2).
        self.tally_by_staff(
            "SELECT a.staff_id, CAST(SUM(s.ends_at - s.starts_at) / 60000 AS BIGINT)
               FROM training_attendance a JOIN training_sessions s ON s.id = a.session_id
              WHERE a.org_id = $1 AND s.starts_at >= $2 AND s.starts_at < $3 GROUP BY a.staff_id",
            org_id,
            from,
            to,
            &mut tally,
            |t, n| t.training_minutes += n,
        )
        .await?;
        if policy.campaign_weight > 0.0 {
            self.campaign_scores(org_id, (from, to), &staff_rows, &mut tally).await?;
        }
        let scores: HashMap<StaffId, (Tally, f64)> = staff_rows
            .iter()
            .map(|(id, _)| {
                let t = tally.get(id).copied().unwrap_or_default();
                (*id, (t, policy.score(&t)))
            })
            .collect();
        let key = format!("{:04}-{:02}", month.from.year(), month.from.month());
        self.rank_all(org_id, rules, month.from.year(), key, &scores, &policy.awards).await
    }

    /// Ranks every active staff member from their tally and score (staff
    /// missing from `scores` score as an empty tally), their teams by the
    /// members' mean, and selects `awards`, honouring the year's
    /// eligibility and the pack's ranked roles.
    pub(crate) async fn rank_all(
        &self,
        org_id: OrgId,
        rules: Rules<'_>,
        year: i32,
        key: String,
        scores: &HashMap<StaffId, (Tally, f64)>,
        awards: &[chuangkou_domain::policy::Award],
    ) -> Result<Assessment> {
        let policy = &rules.pack.assessment;
        let staff_rows: Vec<(StaffId, i64)> = on_read!(self, c => sqlx::query_as(
            "SELECT id, unit_id FROM staff WHERE org_id = $1 AND active = TRUE")
            .bind(org_id).fetch_all(c).await)?;
        let units = self.units(org_id).await?;
        let unit_name = crate::org::full_names(&units);
        let eligibility = self.eligibility(org_id, rules, year, None).await?;
        let unranked = self.unranked_staff(org_id, &policy.ranked_roles).await?;
        let unit_of: HashMap<StaffId, i64> = staff_rows.into_iter().collect();
        let kind_of: HashMap<i64, UnitKind> =
            units.iter().filter_map(|u| Some((u.id, UnitKind::parse(&u.kind)?))).collect();
        let mut staff: Vec<StaffScore> = eligibility
            .into_iter()
            .filter_map(|e| {
                let unit_id = *unit_of.get(&e.staff_id)?;
                let (t, score) = scores
                    .get(&e.staff_id)
                    .copied()
                    .unwrap_or_else(|| (Tally::default(), policy.score(&Tally::default())));
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
                    ranked: !unranked.contains(&e.staff_id)
                        && kind_of.get(&unit_id).is_some_and(|k| policy.ranked_unit_kinds.contains(k)),
                    reasons: e.reasons,
                })
            })
            .collect();
        rank(&mut staff, |s| s.score, |s| s.employee_no.as_str(), |s, r| s.rank = r);
        let team_entries = self.team_ineligibility(org_id, rules, year).await?;
        let team_units: Vec<(i64, String)> = units
            .iter()
            .filter(|u| UnitKind::parse(&u.kind) == Some(UnitKind::Team))
            .map(|u| (u.id, unit_name[&u.id].clone()))
            .collect();
        let teams = team_scores(&team_units, &staff, &team_entries);
        let awards = select_awards(awards, &staff, &teams);
        Ok(Assessment { month: key, staff, teams, awards, vehicles: vec![] })
    }
}

/// A closed month: its frozen results, and where today's data differ.
#[derive(Debug, Clone, Serialize)]
pub struct ClosedMonth {
    pub month: String,
    pub closed_by: UserId,
    pub closed_at: i64,
    /// The results as they stood when the month was closed.
    pub results: Assessment,
    /// Staff whose score differs now: (staff id, name, frozen, now).
    pub differences: Vec<(StaffId, String, f64, f64)>,
}

/// A month's results as everyone is shown them: frozen once the month is
/// closed, else as they stand now.
pub enum MonthResults {
    Closed(ClosedMonth),
    Open(Assessment),
}

impl MonthResults {
    pub fn results(&self) -> &Assessment {
        match self {
            MonthResults::Closed(c) => &c.results,
            MonthResults::Open(a) => a,
        }
    }

    pub fn closed(&self) -> Option<&ClosedMonth> {
        match self {
            MonthResults::Closed(c) => Some(c),
            MonthResults::Open(_) => None,
        }
    }
}

impl Store {
    /// The month's results: the closed month's frozen ones with today's
    /// differences, else the assessment as it stands.
    pub async fn month_results(
        &self,
        org_id: OrgId,
        rules: Rules<'_>,
        month: Period,
    ) -> Result<MonthResults> {
        Ok(match self.closed_month(org_id, rules, month).await? {
            Some(c) => MonthResults::Closed(c),
            None => MonthResults::Open(self.assess_month(org_id, rules, month).await?),
        })
    }

    /// A leader closes a month: its assessment is stored as it stands and
    /// the closing is an event carrying the results' digest. Once only.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()), err(level = "debug"))]
    pub async fn close_month(
        &self,
        org_id: OrgId,
        rules: Rules<'_>,
        month: Period,
        user_id: UserId,
    ) -> Result<ClosedMonth> {
        let a = self.assess_month(org_id, rules, month).await?;
        self.freeze(org_id, &a, user_id, EventKind::AssessmentClosed).await?;
        Ok(self.closed_month(org_id, rules, month).await?.expect("just closed"))
    }

    /// Stores results as they stand under their period's key (a month
    /// `YYYY-MM` or a year `YYYY`), with an event of `kind` carrying their
    /// SHA-256 and the award winners. Refused when the period is closed.
    pub(crate) async fn freeze(
        &self,
        org_id: OrgId,
        a: &Assessment,
        user_id: UserId,
        kind: EventKind,
    ) -> Result<()> {
        let json = serde_json::to_string(a).map_err(|e| StoreError::Other(e.to_string()))?;
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        let took: Option<String> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO assessment_months (org_id, month, closed_by, closed_at, results) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (org_id, month) DO NOTHING RETURNING month")
            .bind(org_id).bind(&a.month).bind(user_id).bind(now).bind(&json).fetch_optional(c).await)?;
        if took.is_none() {
            return Err(StoreError::refused(
                true,
                format!("{} 已经关账 / this period is already closed", a.month),
            ));
        }
        let actor = format!("user:{user_id}");
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind,
                subject_type: "organisation",
                subject_id: org_id.get(),
                payload: serde_json::json!({
                    "month": a.month, "staff": a.staff.len(), "sha256": sha256_hex(&json),
                    "awards": a.awards.iter().map(|w| (w.code.clone(), w.winners.iter().map(|x| x.0).collect::<Vec<_>>())).collect::<Vec<_>>(),
                }),
                reason: "",
            },
        )
        .await?;
        tx.commit().await
    }

    /// The frozen results of a closed period: `(closed_by, closed_at, results)`.
    pub(crate) async fn frozen(&self, org_id: OrgId, key: &str) -> Result<Option<(UserId, i64, Assessment)>> {
        let row: Option<(UserId, i64, String)> = on_read!(self, c => sqlx::query_as(
            "SELECT closed_by, closed_at, results FROM assessment_months WHERE org_id = $1 AND month = $2")
            .bind(org_id).bind(key).fetch_optional(c).await)?;
        let Some((closed_by, closed_at, results)) = row else { return Ok(None) };
        let results: Assessment =
            serde_json::from_str(&results).map_err(|e| StoreError::Other(e.to_string()))?;
        Ok(Some((closed_by, closed_at, results)))
    }

    /// A closed month's frozen results with today's differences; `None`
    /// when the month is open.
    pub async fn closed_month(
        &self,
        org_id: OrgId,
        rules: Rules<'_>,
        month: Period,
    ) -> Result<Option<ClosedMonth>> {
        let key = format!("{:04}-{:02}", month.from.year(), month.from.month());
        let Some((closed_by, closed_at, results)) = self.frozen(org_id, &key).await? else { return Ok(None) };
        let now = self.assess_month(org_id, rules, month).await?;
        Ok(Some(ClosedMonth::compare(key, closed_by, closed_at, results, &now)))
    }
}

impl ClosedMonth {
    /// Frozen results beside the same period's results as they are now.
    pub(crate) fn compare(
        month: String,
        closed_by: UserId,
        closed_at: i64,
        results: Assessment,
        now: &Assessment,
    ) -> Self {
        let frozen: HashMap<StaffId, f64> = results.staff.iter().map(|s| (s.staff_id, s.score)).collect();
        let differences = now
            .staff
            .iter()
            .filter_map(|s| {
                let was = *frozen.get(&s.staff_id)?;
                (was != s.score).then(|| (s.staff_id, s.name.clone(), was, s.score))
            })
            .collect();
        ClosedMonth { month, closed_by, closed_at, results, differences }
    }
}
