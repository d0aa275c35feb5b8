//! Indicators (SPEC KPI-1, KPI-2) gathered from the records: service volume,
//! valid complaints and their changes, complaints per 10,000, satisfaction
//! from the rating rollups, complaint-handling satisfaction, timely
//! handling, rectification, on-site compliance, good deeds, violations and
//! fines — for the organisation, a unit (with everything under it), a staff
//! member or a vehicle. Definitions: `docs/INDICATORS.md`.

use chuangkou_domain::calendar::{Calendar, day_number};
use chuangkou_domain::events::EventKind;
use chuangkou_domain::kpi::{Compared, Period, VolumeRow, compare, per_10k, rate};
use chuangkou_domain::satisfaction::Counts;
use serde::Serialize;
use serde_json::json;

use crate::ratings::Scope;
use crate::{NewEvent, Result, Store, StoreError, on_replica, on_tx};

/// Whom the indicators are about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Subject {
    Organisation,
    /// A unit and every unit under it.
    Unit(i64),
    Staff(i64),
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
    /// Approved fines, in fen.
    pub fines: i64,
}

/// The SQL filters of a subject for each kind of record: `None` where the
/// subject has no such records (a vehicle has no inspections of its own).
struct Filters {
    cases: String,
    units: Option<Vec<i64>>,
    staff: Option<i64>,
    vehicle_points: Option<Vec<i64>>,
}

impl Store {
    /// Records a volume sheet's rows (units by code) in one transaction,
    /// replacing the figures of days already there; all or nothing.
    pub async fn record_volumes(&self, org_id: i64, actor: &str, rows: &[VolumeRow]) -> Result<usize> {
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
                subject_id: org_id,
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
    pub async fn unit_subtree(&self, org_id: i64, unit_id: i64) -> Result<Vec<i64>> {
        let units = self.units(org_id).await?;
        if !units.iter().any(|u| u.id == unit_id) {
            return Err(StoreError::NotFound);
        }
        let mut out = vec![unit_id];
        let mut i = 0;
        while i < out.len() {
            let parent = out[i];
            out.extend(units.iter().filter(|u| u.parent_id == Some(parent)).map(|u| u.id));
            i += 1;
        }
        Ok(out)
    }

    async fn filters(&self, org_id: i64, s: Subject) -> Result<Filters> {
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
    async fn valid_complaints(&self, org_id: i64, f: &Filters, from: i64, to: i64) -> Result<i64> {
        let sql = format!(
            "SELECT COUNT(*) FROM cases WHERE org_id = $1 AND kind = 'complaint' AND master_case_id IS NULL
               AND (finding IS NULL OR finding <> 'unfounded') AND state <> 'withdrawn'
               AND registered_at >= $2 AND registered_at < $3{}",
            f.cases
        );
        Ok(
            on_replica!(self, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str())).bind(org_id).bind(from).bind(to).fetch_one(c).await)?,
        )
    }

    /// Valid complaints of a subject in each of `periods`.
    pub async fn valid_complaints_by_period(
        &self,
        org_id: i64,
        cal: &Calendar,
        s: Subject,
        periods: &[Period],
    ) -> Result<Vec<i64>> {
        let f = self.filters(org_id, s).await?;
        let mut out = Vec::with_capacity(periods.len());
        for p in periods {
            let from = cal.start_of_day_ms(p.from);
            let to = cal.start_of_day_ms(p.to.succ_opt().expect("in range"));
            out.push(self.valid_complaints(org_id, &f, from, to).await?);
        }
        Ok(out)
    }

    /// The organisation's counted ratings per month (yyyymm) over days
    /// `from..=to`, from the rollups.
    pub async fn ratings_by_month(&self, org_id: i64, from: i64, to: i64) -> Result<Vec<(i64, Counts)>> {
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
    pub async fn attention(&self, org_id: i64) -> Result<(i64, i64, i64)> {
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
    #[tracing::instrument(level = "debug", skip_all, fields(org_id), err(level = "debug"))]
    pub async fn indicators(&self, org_id: i64, cal: &Calendar, s: Subject, p: Period) -> Result<Indicators> {
        let f = self.filters(org_id, s).await?;
        let span = |p: Period| {
            (cal.start_of_day_ms(p.from), cal.start_of_day_ms(p.to.succ_opt().expect("in range")))
        };
        let (from, to) = span(p);
        let (d0, d1) = (day_number(p.from), day_number(p.to));
        let valid = self.valid_complaints(org_id, &f, from, to).await?;
        let (pf, pt) = span(p.previous());
        let (yf, yt) = span(p.year_earlier());
        let month_on_month = compare(valid, self.valid_complaints(org_id, &f, pf, pt).await?);
        let year_on_year = compare(valid, self.valid_complaints(org_id, &f, yf, yt).await?);

        let volume = self.volume(org_id, &f, d0, d1).await?;
        let base = [volume.vehicles, volume.passengers, volume.transactions]
            .into_iter()
            .find(|v| *v > 0)
            .unwrap_or(0);
        let ratings = self.subject_ratings(org_id, &f, d0, d1).await?;
        let (callbacks, satisfied, cases_due, cases_on_time) =
            self.case_measures(org_id, &f, from, to).await?;
        let (rectifications_due, rectifications_verified, items_checked, items_passed) =
            self.inspection_measures(org_id, &f, from, to).await?;
        let (good_deeds, fines, violations) = self.ledger_measures(org_id, &f, from, to).await?;
        Ok(Indicators {
            from: d0,
            to: d1,
            valid_complaints: valid,
            month_on_month,
            year_on_year,
            volume,
            complaints_per_10k: per_10k(valid, base),
            satisfaction_rate: ratings.satisfaction_rate(),
            ratings,
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
            fines,
        })
    }

    /// Volume of the subject's units (the organisation: all); none for a
    /// person or a vehicle.
    async fn volume(&self, org_id: i64, f: &Filters, d0: i64, d1: i64) -> Result<Volume> {
        if f.staff.is_some() && f.units.is_none() || f.vehicle_points.is_some() {
            return Ok(Volume::default());
        }
        let narrow =
            f.units.as_ref().map_or(String::new(), |u| format!(" AND unit_id IN ({})", crate::id_list(u)));
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(vehicles), 0) AS BIGINT), CAST(COALESCE(SUM(passengers), 0) AS BIGINT),
                    CAST(COALESCE(SUM(transactions), 0) AS BIGINT)
             FROM volumes WHERE org_id = $1 AND day BETWEEN $2 AND $3{narrow}"
        );
        let (vehicles, passengers, transactions): (i64, i64, i64) = on_replica!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(org_id).bind(d0).bind(d1).fetch_one(c).await)?;
        Ok(Volume { vehicles, passengers, transactions })
    }

    /// The subject's ratings, from the rollups.
    async fn subject_ratings(&self, org_id: i64, f: &Filters, d0: i64, d1: i64) -> Result<Counts> {
        let counts = match (&f.units, f.staff, &f.vehicle_points) {
            (_, _, Some(points)) => self.rating_counts(org_id, Scope::Point, Some(points), d0, d1).await?,
            (Some(units), _, _) => self.rating_counts(org_id, Scope::Unit, Some(units), d0, d1).await?,
            (None, Some(staff), None) => {
                self.rating_counts(org_id, Scope::Staff, Some(&[staff]), d0, d1).await?
            }
            (None, None, None) => self.rating_counts(org_id, Scope::Unit, None, d0, d1).await?,
        };
        let mut ratings = Counts::default();
        for c in counts.values() {
            ratings.merge(c);
        }
        Ok(ratings)
    }

    /// Cases: callbacks (of which satisfied) and cases due (of which on time).
    async fn case_measures(
        &self,
        org_id: i64,
        f: &Filters,
        from: i64,
        to: i64,
    ) -> Result<(i64, i64, i64, i64)> {
        let sql = format!(
            "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN satisfaction IN ('satisfied', 'basic') THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM cases WHERE org_id = $1 AND satisfaction IS NOT NULL AND master_case_id IS NULL
               AND registered_at >= $2 AND registered_at < $3{}",
            f.cases
        );
        let (callbacks, satisfied): (i64, i64) = on_replica!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(org_id).bind(from).bind(to).fetch_one(c).await)?;
        let sql = format!(
            "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN NOT overdue AND handled_at IS NOT NULL AND handled_at <= handle_due THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM cases WHERE org_id = $1 AND master_case_id IS NULL AND state <> 'withdrawn'
               AND handle_due >= $2 AND handle_due < $3{}",
            f.cases
        );
        let (due, on_time): (i64, i64) = on_replica!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(org_id).bind(from).bind(to).fetch_one(c).await)?;
        Ok((callbacks, satisfied, due, on_time))
    }

    /// Inspections: rectifications due (of which verified) and items
    /// checked on site (of which passed).
    async fn inspection_measures(
        &self,
        org_id: i64,
        f: &Filters,
        from: i64,
        to: i64,
    ) -> Result<(i64, i64, i64, i64)> {
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
            "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN state = 'verified' THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM rectifications WHERE org_id = $1 AND due_at >= $2 AND due_at < $3{rect_filter}"
        );
        let (due, verified): (i64, i64) = on_replica!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(org_id).bind(from).bind(to).fetch_one(c).await)?;
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(CASE WHEN it.result IN ('pass', 'fail') THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN it.result = 'pass' THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM inspection_items it JOIN inspections i ON i.id = it.inspection_id
             WHERE i.org_id = $1 AND i.visited_at >= $2 AND i.visited_at < $3{insp_filter}"
        );
        let (checked, passed): (i64, i64) = on_replica!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(org_id).bind(from).bind(to).fetch_one(c).await)?;
        Ok((due, verified, checked, passed))
    }

    /// The ledger: good deeds, fines (fen) and violations. Approved entries,
    /// not reversal entries (a reversed entry is no longer approved): a
    /// violation counts whatever fact produced it.
    async fn ledger_measures(&self, org_id: i64, f: &Filters, from: i64, to: i64) -> Result<(i64, i64, i64)> {
        let who = match (&f.units, f.staff, &f.vehicle_points) {
            (Some(u), _, _) => format!(" AND unit_id IN ({})", crate::id_list(u)),
            (None, Some(s), _) => format!(" AND staff_id = {s}"),
            (None, None, Some(_)) => " AND 1 = 0".to_string(),
            (None, None, None) => String::new(),
        };
        let sql = format!(
            "SELECT CAST(COALESCE(SUM(CASE WHEN COALESCE(decided_kind, kind) = 'good_deed' THEN 1 ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN COALESCE(decided_kind, kind) = 'fine' THEN COALESCE(amount, 0) ELSE 0 END), 0) AS BIGINT),
                    CAST(COALESCE(SUM(CASE WHEN COALESCE(decided_kind, kind) = 'violation' THEN 1 ELSE 0 END), 0) AS BIGINT)
             FROM ledger_entries WHERE org_id = $1 AND status = 'approved' AND reverses_id IS NULL
               AND occurred_at >= $2 AND occurred_at < $3{who}"
        );
        Ok(on_replica!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(org_id).bind(from).bind(to).fetch_one(c).await)?)
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
