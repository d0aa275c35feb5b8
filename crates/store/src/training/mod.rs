//! Training, exams and qualifications in storage (SPEC CMP-2, issue 20):
//! plans with the hours a unit's staff owe, sessions with their one-time
//! QR check-in code, attendance written once per person, exam results
//! whose failures are facts for the ledger's rules in the same transaction,
//! a required session's absentees recorded as facts when it is closed, and
//! qualifications reminded of once before they expire. Who may do what is
//! the web layer's; nobody records their own attendance by hand or their
//! own score.

use chuangkou_domain::events::EventKind;
use chuangkou_domain::ledger::FactKind;
use chuangkou_domain::policy::Rules;
use chuangkou_domain::training::{AttendanceWay, NewPlan, NewSession};
use chuangkou_domain::{OrgId, StaffId};
use serde::Serialize;
use serde_json::json;

use crate::ledger::{NewFact, Proposer};
use crate::users::User;
use crate::{Result, Store, StoreError, on_read, on_tx, random_token};

mod exams;
use exams::RESULTS;
pub use exams::{ExamRow, QualificationRow, ResultRow};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PlanRow {
    pub id: i64,
    pub year: i64,
    pub month: Option<i64>,
    pub title: String,
    pub topics: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub hours: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct SessionRow {
    pub id: i64,
    pub plan_id: Option<i64>,
    pub unit_id: i64,
    pub unit_name: String,
    pub topic: String,
    pub place: String,
    pub trainer: String,
    pub materials: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub required: bool,
    /// Shown only to those who run the session.
    #[serde(skip)]
    pub checkin_code: String,
    pub closed_at: Option<i64>,
    pub attended: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AttendanceRow {
    pub staff_id: StaffId,
    pub employee_no: String,
    pub name: String,
    pub way: String,
    pub recorded_at: i64,
}

/// One person's sessions attended, with the minutes each counted.
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct AttendedRow {
    pub session_id: i64,
    pub plan_id: Option<i64>,
    pub topic: String,
    pub place: String,
    pub starts_at: i64,
    pub minutes: i64,
    pub way: String,
}

/// A staff member's whole training record.
#[derive(Debug, Clone, Serialize)]
pub struct TrainingRecord {
    pub sessions: Vec<AttendedRow>,
    pub minutes: i64,
    pub results: Vec<ResultRow>,
    pub qualifications: Vec<QualificationRow>,
}

/// A unit's completion of a plan: its people, those who attended every
/// hour owed, and the share.
#[derive(Debug, Clone, Serialize)]
pub struct UnitCompletion {
    pub unit_id: i64,
    pub unit_name: String,
    pub staff: usize,
    pub completed: usize,
    pub percent: u32,
}

const PLANS: &str =
    "SELECT p.id, p.year, p.month, p.title, p.topics, p.unit_id, u.name AS unit_name, p.hours, p.created_at
    FROM training_plans p JOIN units u ON u.id = p.unit_id";
const SESSIONS: &str =
    "SELECT s.id, s.plan_id, s.unit_id, u.name AS unit_name, s.topic, s.place, s.trainer, s.materials,
    s.starts_at, s.ends_at, s.required, s.checkin_code, s.closed_at,
    (SELECT COUNT(*) FROM training_attendance a WHERE a.session_id = s.id) AS attended
    FROM training_sessions s JOIN units u ON u.id = s.unit_id";
impl Store {
    pub async fn create_training_plan(
        &self,
        org_id: OrgId,
        by: &User,
        unit_id: i64,
        p: &NewPlan,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        self.unit_in(&mut tx, org_id, unit_id, "unit_id").await?;
        let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO training_plans (org_id, year, month, title, topics, unit_id, hours, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
            .bind(org_id).bind(i64::from(p.year)).bind(p.month.map(i64::from)).bind(&p.title).bind(&p.topics)
            .bind(unit_id).bind(i64::from(p.hours)).bind(by.id).bind(self.now_ms())
            .fetch_one(c).await)?;
        let payload =
            json!({"year": p.year, "month": p.month, "title": p.title, "unit_id": unit_id, "hours": p.hours});
        self.event_in(
            &mut tx,
            org_id,
            &by.actor(),
            EventKind::TrainingPlanCreated,
            ("training_plan", id),
            payload,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn training_plans(&self, org_id: OrgId) -> Result<Vec<PlanRow>> {
        let sql = format!("{PLANS} WHERE p.org_id = $1 ORDER BY p.year DESC, p.id DESC LIMIT 200");
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).fetch_all(c).await)?)
    }

    pub async fn training_plan(&self, org_id: OrgId, id: i64) -> Result<PlanRow> {
        let sql = format!("{PLANS} WHERE p.org_id = $1 AND p.id = $2");
        let row: Option<PlanRow> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(id).fetch_optional(c).await)?;
        row.ok_or(StoreError::NotFound)
    }

    /// Schedules a session for `unit_id` (under `plan_id` when given) with
    /// a fresh check-in code.
    pub async fn create_training_session(
        &self,
        org_id: OrgId,
        by: &User,
        plan_id: Option<i64>,
        unit_id: i64,
        s: &NewSession,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        self.unit_in(&mut tx, org_id, unit_id, "unit_id").await?;
        if let Some(p) = plan_id {
            let ok: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
                "SELECT id FROM training_plans WHERE org_id = $1 AND id = $2").bind(org_id).bind(p).fetch_optional(c).await)?;
            ok.ok_or_else(|| StoreError::field("plan_id", "没有这个培训计划 / no such plan"))?;
        }
        let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO training_sessions (org_id, plan_id, unit_id, topic, place, trainer, materials, starts_at, ends_at,
                                            required, checkin_code, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id")
            .bind(org_id).bind(plan_id).bind(unit_id).bind(&s.topic).bind(&s.place).bind(&s.trainer).bind(&s.materials)
            .bind(s.starts_at).bind(s.ends_at).bind(s.required).bind(random_token(18)).bind(by.id).bind(self.now_ms())
            .fetch_one(c).await)?;
        let payload = json!({"plan_id": plan_id, "unit_id": unit_id, "topic": s.topic, "starts_at": s.starts_at,
            "ends_at": s.ends_at, "required": s.required});
        self.event_in(
            &mut tx,
            org_id,
            &by.actor(),
            EventKind::TrainingSessionCreated,
            ("training_session", id),
            payload,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Sessions starting in `[from, until)`, newest first.
    pub async fn training_sessions(&self, org_id: OrgId, from: i64, until: i64) -> Result<Vec<SessionRow>> {
        let sql = format!(
            "{SESSIONS} WHERE s.org_id = $1 AND s.starts_at >= $2 AND s.starts_at < $3 ORDER BY s.starts_at DESC LIMIT 500"
        );
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(from).bind(until).fetch_all(c).await)?)
    }

    pub async fn training_session(&self, org_id: OrgId, id: i64) -> Result<SessionRow> {
        let sql = format!("{SESSIONS} WHERE s.org_id = $1 AND s.id = $2");
        let row: Option<SessionRow> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(id).fetch_optional(c).await)?;
        row.ok_or(StoreError::NotFound)
    }

    /// The session a check-in code opens, in any organisation.
    pub async fn session_by_code(&self, code: &str) -> Result<(OrgId, SessionRow)> {
        let org: Option<OrgId> = on_read!(self, c => sqlx::query_scalar(
            "SELECT org_id FROM training_sessions WHERE checkin_code = $1").bind(code).fetch_optional(c).await)?;
        let org = org.ok_or(StoreError::NotFound)?;
        let sql = format!("{SESSIONS} WHERE s.org_id = $1 AND s.checkin_code = $2");
        let row: SessionRow = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org).bind(code).fetch_one(c).await)?;
        Ok((org, row))
    }

    pub async fn session_attendance(&self, org_id: OrgId, session_id: i64) -> Result<Vec<AttendanceRow>> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT a.staff_id, st.employee_no, st.name, a.way, a.recorded_at
               FROM training_attendance a JOIN staff st ON st.id = a.staff_id
              WHERE a.org_id = $1 AND a.session_id = $2 ORDER BY st.employee_no")
            .bind(org_id).bind(session_id).fetch_all(c).await)?)
    }

    /// Records that these people attended, all or nothing; those already
    /// recorded are left as they are. Returns how many were added.
    pub async fn record_attendance(
        &self,
        org_id: OrgId,
        by: &User,
        session_id: i64,
        staff: &[StaffId],
        way: AttendanceWay,
    ) -> Result<usize> {
        let mut tx = self.begin().await?;
        let closed: Option<Option<i64>> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT closed_at FROM training_sessions WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(session_id).fetch_optional(c).await)?;
        if closed.ok_or(StoreError::NotFound)?.is_some() {
            return Err(StoreError::refused(true, "培训已结束登记 / the session's attendance is closed"));
        }
        let now = self.now_ms();
        let mut added = vec![];
        for s in staff {
            let known: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
                "SELECT id FROM staff WHERE org_id = $1 AND id = $2").bind(org_id).bind(s).fetch_optional(c).await)?;
            known.ok_or_else(|| StoreError::field("staff_id", "没有这名员工 / no such staff member"))?;
            let sql = "INSERT INTO training_attendance (org_id, session_id, staff_id, way, recorded_by, recorded_at)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (session_id, staff_id) DO NOTHING";
            let n = on_tx!(&mut tx, c => sqlx::query(sql)
                .bind(org_id).bind(session_id).bind(s).bind(way.as_str()).bind(by.id).bind(now)
                .execute(c).await.map(|r| r.rows_affected()))?;
            if n > 0 {
                added.push(*s);
            }
        }
        if !added.is_empty() {
            let payload = json!({"staff": added, "way": way.as_str()});
            self.event_in(
                &mut tx,
                org_id,
                &by.actor(),
                EventKind::TrainingAttended,
                ("training_session", session_id),
                payload,
                "",
            )
            .await?;
        }
        tx.commit().await?;
        Ok(added.len())
    }

    /// Closes a session's attendance. A required session's absentees — the
    /// active staff of its unit and the units under it with no attendance —
    /// become `training_missed` facts for the pack's rules. Returns the
    /// absentees.
    pub async fn close_training_session(
        &self,
        org_id: OrgId,
        rules: Rules<'_>,
        by: &User,
        session_id: i64,
    ) -> Result<Vec<StaffId>> {
        let session = self.training_session(org_id, session_id).await?;
        let units = self.unit_subtree(org_id, session.unit_id).await?;
        let mut tx = self.begin().await?;
        let n = on_tx!(&mut tx, c => sqlx::query(
            "UPDATE training_sessions SET closed_at = $1 WHERE org_id = $2 AND id = $3 AND closed_at IS NULL")
            .bind(self.now_ms()).bind(org_id).bind(session_id).execute(c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::refused(true, "培训已结束登记 / the session is already closed"));
        }
        let mut absent = vec![];
        if session.required {
            let staff: Vec<(StaffId, i64)> = on_tx!(&mut tx, c => sqlx::query_as(
                "SELECT st.id, st.unit_id FROM staff st WHERE st.org_id = $1 AND st.active = TRUE
                   AND NOT EXISTS (SELECT 1 FROM training_attendance a WHERE a.session_id = $2 AND a.staff_id = st.id)
                 ORDER BY st.id")
                .bind(org_id).bind(session_id).fetch_all(c).await)?;
            absent = staff.into_iter().filter(|(_, u)| units.contains(u)).map(|(s, _)| s).collect();
        }
        let proposer = Proposer::user(by);
        for s in &absent {
            let mut f = NewFact::new(FactKind::TrainingMissed, Some(*s), session.starts_at);
            f.note = format!("缺席必修培训「{}」", session.topic);
            self.record_fact_tx(&mut tx, org_id, rules, &proposer, &f).await?;
        }
        let payload = json!({"absent": absent, "required": session.required});
        self.event_in(
            &mut tx,
            org_id,
            &by.actor(),
            EventKind::TrainingSessionClosed,
            ("training_session", session_id),
            payload,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(absent)
    }

    /// A staff member's training record: sessions, minutes, results and
    /// qualifications.
    pub async fn training_record(&self, org_id: OrgId, staff_id: StaffId) -> Result<TrainingRecord> {
        let sessions: Vec<AttendedRow> = on_read!(self, c => sqlx::query_as(
            "SELECT s.id AS session_id, s.plan_id, s.topic, s.place, s.starts_at,
                    (s.ends_at - s.starts_at) / 60000 AS minutes, a.way
               FROM training_attendance a JOIN training_sessions s ON s.id = a.session_id
              WHERE a.org_id = $1 AND a.staff_id = $2 ORDER BY s.starts_at DESC")
            .bind(org_id).bind(staff_id).fetch_all(c).await)?;
        let sql = format!("{RESULTS} WHERE r.org_id = $1 AND r.staff_id = $2 ORDER BY e.held_on DESC");
        let results: Vec<ResultRow> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(staff_id).fetch_all(c).await)?;
        let minutes = sessions.iter().map(|s| s.minutes).sum();
        let qualifications = self.qualifications(org_id, Some(staff_id)).await?;
        Ok(TrainingRecord { sessions, minutes, results, qualifications })
    }

    /// Each unit's completion of a plan: of the active staff in the plan's
    /// unit and the units under it, grouped by their own unit, those who
    /// attended the plan's sessions for every hour owed.
    pub async fn plan_completion(&self, org_id: OrgId, plan_id: i64) -> Result<Vec<UnitCompletion>> {
        let plan = self.training_plan(org_id, plan_id).await?;
        let units = self.unit_subtree(org_id, plan.unit_id).await?;
        let names = self.units(org_id).await?;
        let staff: Vec<(i64, i64, i64)> = on_read!(self, c => sqlx::query_as(
            "SELECT st.id, st.unit_id, CAST(COALESCE((SELECT SUM(s.ends_at - s.starts_at)
                       FROM training_attendance a JOIN training_sessions s ON s.id = a.session_id
                      WHERE a.staff_id = st.id AND s.plan_id = $2), 0) / 60000 AS BIGINT) AS minutes
               FROM staff st WHERE st.org_id = $1 AND st.active = TRUE")
            .bind(org_id).bind(plan_id).fetch_all(c).await)?;
        let mut out: Vec<UnitCompletion> = vec![];
        for u in &units {
            let mine: Vec<&(i64, i64, i64)> = staff.iter().filter(|s| s.1 == *u).collect();
            if mine.is_empty() {
                continue;
            }
            let done =
                mine.iter().filter(|s| chuangkou_domain::training::completed(s.2, plan.hours as u32)).count();
            let name = names.iter().find(|n| n.id == *u).map(|n| n.name.clone()).unwrap_or_default();
            out.push(UnitCompletion {
                unit_id: *u,
                unit_name: name,
                staff: mine.len(),
                completed: done,
                percent: chuangkou_domain::training::percent(done, mine.len()),
            });
        }
        Ok(out)
    }
}
