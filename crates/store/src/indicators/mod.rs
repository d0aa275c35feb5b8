//! Indicators (SPEC KPI-1, KPI-2) gathered from the records: service volume,
//! valid complaints and their changes, complaints per 10,000, satisfaction
//! from the rating rollups, complaint-handling satisfaction, timely
//! handling, rectification, on-site compliance, good deeds, violations and
//! fines — for the organisation, a unit (with everything under it), a staff
//! member or a vehicle. Definitions: `docs/INDICATORS.md`.

use chuangkou_domain::calendar::{Calendar, day_number};
use chuangkou_domain::events::EventKind;
use chuangkou_domain::kpi::{Compared, Period, VolumeRow};
use chuangkou_domain::satisfaction::Counts;
use chuangkou_domain::{Fen, OrgId, StaffId};
use serde::Serialize;
use serde_json::json;

use crate::{NewEvent, Result, Store, StoreError, on_replica, on_tx};
use measures::{Keyed, Measures, Per, subtree};

mod measures;

/// Whom the indicators are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Organisation,
    /// A unit and every unit under it.
    Unit(i64),
    Staff(StaffId),
    Vehicle(i64),
}

/// Service volume over a period.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Volume {
    pub vehicles: i64,
    pub passengers: i64,
    pub transactions: i64,
}

#[derive(Debug, Clone, Serialize)]
pub struct Indicators {
    pub from: i64,
    pub to: i64,
    /// Valid complaints, against the period before and a year earlier.
    pub valid_complaints: i64,
    pub month_on_month: Compared,
    pub year_on_year: Compared,
    pub volume: Volume,
    /// Valid complaints per 10,000 vehicles (else passengers, else transactions).
    pub complaints_per_10k: Option<f64>,
    pub ratings: Counts,
    pub satisfaction_rate: Option<f64>,
    pub callbacks: i64,
    pub handling_satisfaction: Option<f64>,
    pub cases_due: i64,
    pub cases_on_time: i64,
    pub timely_rate: Option<f64>,
    pub rectifications_due: i64,
    pub rectifications_verified: i64,
    pub rectification_rate: Option<f64>,
    pub items_checked: i64,
    pub items_passed: i64,
    pub compliance_rate: Option<f64>,
    pub good_deeds: i64,
    pub violations: i64,
    /// Approved fines.
    pub fines: Fen,
}

/// The SQL filters of a subject for each kind of record: `None` where the
/// subject has no such records (a vehicle has no inspections of its own).
struct Filters {
    cases: String,
    units: Option<Vec<i64>>,
    staff: Option<StaffId>,
    vehicle_points: Option<Vec<i64>>,
}

impl Store {
    /// Records a volume sheet's rows (units by code) in one transaction,
    /// replacing the figures of days already there; all or nothing.
    pub async fn record_volumes(&self, org_id: OrgId, actor: &str, rows: &[VolumeRow]) -> Result<usize> {
        let units: std::collections::HashMap<String, i64> =
            self.units(org_id).await?.into_iter().map(|u| (u.code, u.id)).collect();
        let mut bad = Vec::new();
        for r in rows {
            if !units.contains_key(&r.unit_code) {
                bad.push(chuangkou_domain::FieldError::new(
                    format!("row {}", r.row),
                    format!("第 {} 行：单位编码 {} 不存在 / unknown unit code", r.row, r.unit_code),
                ));
            }
        }
        if !bad.is_empty() {
            return Err(StoreError::Invalid(bad));
        }
        let mut tx = self.begin().await?;
        for r in rows {
            on_tx!(&mut tx, c => sqlx::query(
                "INSERT INTO volumes (org_id, unit_id, day, vehicles, passengers, transactions) VALUES ($1, $2, $3, $4, $5, $6)
                 ON CONFLICT (org_id, unit_id, day) DO UPDATE SET vehicles = excluded.vehicles,
                   passengers = excluded.passengers, transactions = excluded.transactions")
                .bind(org_id).bind(units[&r.unit_code]).bind(day_number(r.date)).bind(r.vehicles).bind(r.passengers)
                .bind(r.transactions).execute(c).await.map(|r| r.rows_affected()))?;
        }
        let first = rows.iter().map(|r| r.date).min();
        let last = rows.iter().map(|r| r.date).max();
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor,
                kind: EventKind::VolumesImported,
                subject_type: "organisation",
                subject_id: org_id.get(),
                payload: json!({
                    "rows": rows.len(),
                    "from": first.map(day_number), "to": last.map(day_number),
                    "vehicles": rows.iter().map(|r| r.vehicles).sum::<i64>(),
                }),
                reason: "",
            },
        )
        .await?;
        tx.commit().await?;
        Ok(rows.len())
    }

    /// A unit and every unit under it.
    pub async fn unit_subtree(&self, org_id: OrgId, unit_id: i64) -> Result<Vec<i64>> {
        let units = self.units(org_id).await?;
        if !units.iter().any(|u| u.id == unit_id) {
            return Err(StoreError::NotFound);
        }
        Ok(subtree(&units, unit_id))
    }

    async fn filters(&self, org_id: OrgId, s: Subject) -> Result<Filters> {
        Ok(match s {
            Subject::Organisation => {
                Filters { cases: String::new(), units: None, staff: None, vehicle_points: None }
            }
            Subject::Unit(u) => {
                let ids = self.unit_subtree(org_id, u).await?;
                Filters {
                    cases: format!(" AND unit_id IN ({})", crate::id_list(&ids)),
                    units: Some(ids),
                    staff: None,
                    vehicle_points: None,
                }
            }
            Subject::Staff(id) => {
                self.staff(org_id, id).await?;
                Filters {
                    // A person's own figures leave out complaints about
                    // leaders: the discipline body's findings reach them
                    // through the ledger, never as a count a leader can read.
                    cases: format!(" AND subject_staff_id = {id} AND routed_to = 'office'"),
                    units: None,
                    staff: Some(id),
                    vehicle_points: None,
                }
            }
            Subject::Vehicle(id) => {
                let v = self
                    .vehicles(org_id)
                    .await?
                    .into_iter()
                    .find(|v| v.id == id)
                    .ok_or(StoreError::NotFound)?;
                let points: Vec<i64> = self
                    .service_points(org_id)
                    .await?
                    .into_iter()
                    .filter(|p| p.vehicle_id == Some(id))
                    .map(|p| p.id)
                    .collect();
                let plate: String = v.plate.chars().filter(|c| c.is_alphanumeric()).collect();
                Filters {
                    // Plates are letters and digits; the point ids are integers.
                    cases: format!(
                        " AND (plate = '{plate}' OR service_point_id IN ({}))",
                        crate::id_list(&points)
                    ),
                    units: None,
                    staff: v.driver_id,
                    vehicle_points: Some(points),
                }
            }
        })
    }

    /// Valid complaints registered in `from..to` (ms): complaints that are
    /// not merged into another case, not found unfounded, not withdrawn.
    async fn valid_complaints(
        &self,
        org_id: OrgId,
        f: &Filters,
        from: i64,
        to: i64,
        per: Per,
    ) -> Result<Keyed<i64>> {
        // Named on SQLite for the whole organisation: without statistics its
        // planner walks the plain time index and reads every case of the
        // month (44 ms against 26 at a million cases, grouped by unit).
        let hint = match self.backend() {
            crate::Backend::Sqlite if f.cases.is_empty() => " INDEXED BY cases_valid_by_time",
            _ => "",
        };
        let sql = format!(
            "SELECT {}, COUNT(*) FROM cases{hint} WHERE org_id = $1 AND kind = 'complaint' AND master_case_id IS NULL
               AND (finding IS NULL OR finding <> 'unfounded') AND state <> 'withdrawn'
               AND registered_at >= $2 AND registered_at < $3{}{}",
            per.key("unit_id"),
            f.cases,
            per.group("unit_id")
        );
        Ok(
            on_replica!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(org_id).bind(from).bind(to).fetch_all(c).await)?,
        )
    }

    /// Valid complaints of a subject in each of `periods`.
    pub async fn valid_complaints_by_period(
        &self,
        org_id: OrgId,
        cal: &Calendar,
        s: Subject,
        periods: &[Period],
    ) -> Result<Vec<i64>> {
        let f = self.filters(org_id, s).await?;
        let mut out = Vec::with_capacity(periods.len());
        for p in periods {
            let from = cal.start_of_day_ms(p.from);
            let to = cal.start_of_day_ms(p.to.succ_opt().expect("in range"));
            out.push(
                self.valid_complaints(org_id, &f, from, to, Per::Subject).await?.iter().map(|(_, n)| n).sum(),
            );
        }
        Ok(out)
    }

    /// The organisation's counted ratings per month (yyyymm) over days
    /// `from..=to`, from the rollups.
    pub async fn ratings_by_month(&self, org_id: OrgId, from: i64, to: i64) -> Result<Vec<(i64, Counts)>> {
        let rows: Vec<(i64, i64, i64, i64, i64, i64)> = on_replica!(self, c => sqlx::query_as(
            "SELECT day / 100, CAST(SUM(n1) AS BIGINT), CAST(SUM(n2) AS BIGINT), CAST(SUM(n3) AS BIGINT),
                    CAST(SUM(n4) AS BIGINT), CAST(SUM(n5) AS BIGINT)
             FROM rating_rollups WHERE org_id = $1 AND scope = 'unit' AND day BETWEEN $2 AND $3
             GROUP BY day / 100 ORDER BY day / 100")
            .bind(org_id).bind(from).bind(to).fetch_all(c).await)?;
        Ok(rows.into_iter().map(|(m, a, b, c, d, e)| (m, Counts { n: [a, b, c, d, e] })).collect())
    }

    /// What needs attention now: open cases past a deadline, and open
    /// rectification orders (of which overdue).
    pub async fn attention(&self, org_id: OrgId) -> Result<(i64, i64, i64)> {
        // Named on SQLite: without statistics its planner as soon walks
        // every open case (`cases_open`, the inbox's, whose condition this
        // query also meets) as the open overdue ones — 1.7 s at a million.
        let hint = match self.backend() {
            crate::Backend::Sqlite => " INDEXED BY cases_open_overdue",
            crate::Backend::Postgres => "",
        };
        let sql = format!(
            "SELECT COUNT(*) FROM cases{hint} WHERE org_id = $1 AND overdue AND state NOT IN ('closed', 'withdrawn', 'merged')"
        );
        let overdue: i64 = on_replica!(self, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(org_id).fetch_one(c).await)?;
        let (open, late): (i64, i64) = on_replica!(self, c => sqlx::query_as(
            "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN overdue THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM rectifications WHERE org_id = $1 AND state <> 'verified'")
            .bind(org_id).fetch_one(c).await)?;
        Ok((overdue, open, late))
    }

    /// The indicators of a subject over a period of the calendar's days.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()), err(level = "debug"))]
    pub async fn indicators(
        &self,
        org_id: OrgId,
        cal: &Calendar,
        s: Subject,
        p: Period,
    ) -> Result<Indicators> {
        let f = self.filters(org_id, s).await?;
        let measures = self.measures(org_id, cal, &f, p, Per::Subject).await?;
        let mut whole = Measures::default();
        for m in measures.values() {
            whole.add(m);
        }
        Ok(whole.indicators(p))
    }

    /// The indicators of the organisation and of each of `units` (with
    /// every unit under it) over a period, for the dashboard's table: each
    /// measure is one query grouped by unit, not one a unit (on PostgreSQL
    /// the round trips were most of the page: 22 subjects of 11 queries).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()), err(level = "debug"))]
    pub async fn indicators_by_unit(
        &self,
        org_id: OrgId,
        cal: &Calendar,
        units: &[i64],
        p: Period,
    ) -> Result<(Indicators, Vec<Indicators>)> {
        let f = self.filters(org_id, Subject::Organisation).await?;
        let measures = self.measures(org_id, cal, &f, p, Per::Unit).await?;
        let mut whole = Measures::default();
        for m in measures.values() {
            whole.add(m);
        }
        let all = self.units(org_id).await?;
        let mut out = Vec::with_capacity(units.len());
        for &unit in units {
            let mut sum = Measures::default();
            for id in subtree(&all, unit) {
                if let Some(m) = measures.get(&Some(id)) {
                    sum.add(m);
                }
            }
            out.push(sum.indicators(p));
        }
        Ok((whole.indicators(p), out))
    }
}

/// A target of the pack beside the indicator's value.
#[derive(Debug, Clone, Serialize)]
pub struct TargetCheck {
    pub indicator: chuangkou_domain::policy::Indicator,
    /// "≥ 100%".
    pub target: String,
    /// As the indicators hold it (a fraction for rates); `None`: nothing to measure.
    pub actual: Option<f64>,
    pub met: Option<bool>,
}

impl Indicators {
    /// The value of one indicator, as a number.
    pub fn value(&self, i: chuangkou_domain::policy::Indicator) -> Option<f64> {
        use chuangkou_domain::policy::Indicator as I;
        match i {
            I::ValidComplaints => Some(self.valid_complaints as f64),
            I::ComplaintsPer10k => self.complaints_per_10k,
            I::SatisfactionRate => self.satisfaction_rate,
            I::HandlingSatisfaction => self.handling_satisfaction,
            I::TimelyRate => self.timely_rate,
            I::RectificationRate => self.rectification_rate,
            I::ComplianceRate => self.compliance_rate,
            I::Violations => Some(self.violations as f64),
        }
    }

    /// Each of the pack's targets with the actual value and whether it was met.
    pub fn against(&self, targets: &[chuangkou_domain::policy::Target]) -> Vec<TargetCheck> {
        targets
            .iter()
            .map(|t| {
                let actual = self.value(t.indicator);
                TargetCheck { indicator: t.indicator, target: t.describe(), actual, met: t.met(actual) }
            })
            .collect()
    }
}
