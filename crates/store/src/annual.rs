//! The annual review (SPEC KPI-3, CMP-3; seed 002 §5.3, the taxi's 年度表彰):
//! a year assessed from its months — each month's results (frozen once the
//! month is closed, else as they stand) summed per person, the annual score
//! the mean of the monthly scores, eligibility from the year's ledger — the
//! pack's annual awards, and the star-rated vehicles 星级服务车: each vehicle
//! graded from its driver's year (the driver answers for the taxi), none
//! for a driver who lost award eligibility. A leader closes a year like a
//! month: its results are frozen and the closing is an event.

use chuangkou_domain::events::EventKind;
use chuangkou_domain::{OrgId, StaffId, UserId};
use std::collections::HashMap;

use chrono::Datelike;
use chuangkou_domain::kpi::Period;
use chuangkou_domain::policy::{Rules, Tally, YearTally};
use serde::{Deserialize, Serialize};

use crate::assessment::{Assessment, ClosedMonth, MonthResults};
use crate::{Result, Store, StoreError};

/// A vehicle's grade in the annual review.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct VehicleStar {
    pub vehicle_id: i64,
    pub plate: String,
    pub driver_id: Option<StaffId>,
    pub driver_name: Option<String>,
    /// The driver's annual score; `None` without a driver.
    pub score: Option<f64>,
    /// 1–5, or 0: no star (below the thresholds, no driver, or not eligible).
    pub stars: u8,
    pub eligible: bool,
    pub reasons: Vec<String>,
}

impl Store {
    /// The months of `year` the review takes: all twelve of a past year,
    /// up to the current month of this one; a future year is refused.
    fn months_of(&self, rules: Rules<'_>, year: i32) -> Result<Vec<Period>> {
        let today = rules.calendar.local_date(self.now_ms());
        let last = match year.cmp(&today.year()) {
            std::cmp::Ordering::Less => 12,
            std::cmp::Ordering::Equal => today.month(),
            std::cmp::Ordering::Greater => {
                return Err(StoreError::field("year", "年度尚未开始 / that year has not begun"));
            }
        };
        Ok((1..=last).filter_map(|m| Period::month(year, m)).collect())
    }

    /// The year's results as they stand now.
    pub async fn assess_year(&self, org_id: OrgId, rules: Rules<'_>, year: i32) -> Result<Assessment> {
        let policy = &rules.pack.assessment;
        let mut people: HashMap<StaffId, YearTally> = HashMap::new();
        // A month counts for someone only from the month their record was
        // created: the months before they joined are no clean months.
        let joined: HashMap<StaffId, i64> = crate::on_read!(self, c => sqlx::query_as(
            "SELECT id, created_at FROM staff WHERE org_id = $1").bind(org_id).fetch_all(c).await)?
        .into_iter()
        .collect();
        for month in self.months_of(rules, year)? {
            let key = format!("{:04}-{:02}", month.from.year(), month.from.month());
            let results = match self.frozen(org_id, &key).await? {
                Some((_, _, frozen)) => frozen,
                None => self.assess_month(org_id, rules, month).await?,
            };
            let month_end = rules.calendar.start_of_day_ms(month.to.succ_opt().expect("in range"));
            for s in &results.staff {
                if joined.get(&s.staff_id).is_none_or(|at| *at < month_end) {
                    people.entry(s.staff_id).or_default().add_month(&s.tally, s.score);
                }
            }
        }
        let scores: HashMap<StaffId, (Tally, f64)> =
            people.iter().map(|(id, y)| (*id, (y.tally, y.score()))).collect();
        let mut a =
            self.rank_all(org_id, rules, year, format!("{year:04}"), &scores, &policy.annual_awards).await?;
        // 星级服务车: each vehicle from its driver's year.
        let by_staff: HashMap<StaffId, &crate::assessment::StaffScore> =
            a.staff.iter().map(|s| (s.staff_id, s)).collect();
        a.vehicles = self
            .vehicles(org_id)
            .await?
            .into_iter()
            .map(|v| {
                let driver = v.driver_id.and_then(|d| by_staff.get(&d));
                let (score, eligible, reasons) = match driver {
                    Some(s) => (Some(s.score), s.eligible, s.reasons.clone()),
                    None => (None, false, vec!["未登记驾驶员 / no driver on record".to_string()]),
                };
                VehicleStar {
                    vehicle_id: v.id,
                    plate: v.plate,
                    driver_id: v.driver_id,
                    driver_name: v.driver_name,
                    stars: match score {
                        Some(x) if eligible => policy.stars(x),
                        _ => 0,
                    },
                    score,
                    eligible,
                    reasons,
                }
            })
            .collect();
        a.vehicles.sort_by(|x, y| y.stars.cmp(&x.stars).then_with(|| x.plate.cmp(&y.plate)));
        Ok(a)
    }

    /// The year's results: frozen once a leader closed it (with today's
    /// differences), else as they stand.
    pub async fn year_results(&self, org_id: OrgId, rules: Rules<'_>, year: i32) -> Result<MonthResults> {
        let now = self.assess_year(org_id, rules, year).await?;
        Ok(match self.frozen(org_id, &format!("{year:04}")).await? {
            Some((by, at, frozen)) => {
                MonthResults::Closed(ClosedMonth::compare(format!("{year:04}"), by, at, frozen, &now))
            }
            None => MonthResults::Open(now),
        })
    }

    /// A leader closes a year (once): its results are frozen and the
    /// closing is an `assessment.year_closed` event with their digest.
    pub async fn close_year(
        &self,
        org_id: OrgId,
        rules: Rules<'_>,
        year: i32,
        user_id: UserId,
    ) -> Result<ClosedMonth> {
        let a = self.assess_year(org_id, rules, year).await?;
        self.freeze(org_id, &a, user_id, EventKind::AssessmentYearClosed).await?;
        match self.year_results(org_id, rules, year).await? {
            MonthResults::Closed(c) => Ok(c),
            MonthResults::Open(_) => Err(StoreError::Other("the year was just closed".into())),
        }
    }
}
