//! Exams and qualifications in storage (SPEC CMP-2): results whose
//! failures are facts for the ledger's rules in the same transaction, and
//! qualifications reminded of once before they expire.

use chuangkou_domain::events::EventKind;
use chuangkou_domain::ledger::FactKind;
use chuangkou_domain::policy::Rules;
use chuangkou_domain::training::{NewExam, NewQualification};
use chuangkou_domain::{OrgId, Role, StaffId};
use serde::Serialize;
use serde_json::json;

use crate::cases::NotifyTarget;
use crate::ledger::{NewFact, Proposer};
use crate::users::User;
use crate::{Result, Store, StoreError, on_read, on_tx};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ExamRow {
    pub id: i64,
    pub plan_id: Option<i64>,
    pub kind: String,
    pub title: String,
    pub held_on: String,
    pub pass_mark: i64,
    pub max_score: i64,
    pub results: i64,
    pub failed: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ResultRow {
    pub exam_id: i64,
    pub exam_title: String,
    pub kind: String,
    pub held_on: String,
    pub staff_id: StaffId,
    pub employee_no: String,
    pub name: String,
    pub score: i64,
    pub max_score: i64,
    pub passed: bool,
    pub fact_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct QualificationRow {
    pub id: i64,
    pub staff_id: StaffId,
    pub employee_no: String,
    pub name: String,
    pub unit_id: i64,
    pub kind: String,
    pub number: String,
    pub issued_on: String,
    pub expires_on: String,
    pub reminded_at: Option<i64>,
}

pub(super) const RESULTS: &str =
    "SELECT r.exam_id, e.title AS exam_title, e.kind, e.held_on, r.staff_id, st.employee_no, st.name,
    r.score, e.max_score, r.passed, r.fact_id
    FROM exam_results r JOIN exams e ON e.id = r.exam_id JOIN staff st ON st.id = r.staff_id";
const QUALIFICATIONS: &str =
    "SELECT q.id, q.staff_id, st.employee_no, st.name, st.unit_id, q.kind, q.number, q.issued_on,
    q.expires_on, q.reminded_at FROM qualifications q JOIN staff st ON st.id = q.staff_id";

impl Store {
    pub async fn create_exam(
        &self,
        org_id: OrgId,
        by: &User,
        plan_id: Option<i64>,
        e: &NewExam,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        if let Some(p) = plan_id {
            let ok: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
                "SELECT id FROM training_plans WHERE org_id = $1 AND id = $2").bind(org_id).bind(p).fetch_optional(c).await)?;
            ok.ok_or_else(|| StoreError::field("plan_id", "没有这个培训计划 / no such plan"))?;
        }
        let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO exams (org_id, plan_id, kind, title, held_on, pass_mark, max_score, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
            .bind(org_id).bind(plan_id).bind(e.kind.as_str()).bind(&e.title).bind(e.held_on.to_string())
            .bind(i64::from(e.pass_mark)).bind(i64::from(e.max_score)).bind(by.id).bind(self.now_ms())
            .fetch_one(c).await)?;
        let payload = json!({"kind": e.kind.as_str(), "title": e.title, "held_on": e.held_on.to_string(),
            "pass_mark": e.pass_mark, "max_score": e.max_score});
        self.event_in(&mut tx, org_id, &by.actor(), EventKind::ExamCreated, ("exam", id), payload, "")
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn exams(&self, org_id: OrgId) -> Result<Vec<ExamRow>> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT e.id, e.plan_id, e.kind, e.title, e.held_on, e.pass_mark, e.max_score,
                    (SELECT COUNT(*) FROM exam_results r WHERE r.exam_id = e.id) AS results,
                    (SELECT COUNT(*) FROM exam_results r WHERE r.exam_id = e.id AND r.passed = FALSE) AS failed
               FROM exams e WHERE e.org_id = $1 ORDER BY e.held_on DESC, e.id DESC LIMIT 200")
            .bind(org_id).fetch_all(c).await)?)
    }

    pub async fn exam(&self, org_id: OrgId, id: i64) -> Result<ExamRow> {
        self.exams(org_id).await?.into_iter().find(|e| e.id == id).ok_or(StoreError::NotFound)
    }

    pub async fn exam_results(&self, org_id: OrgId, exam_id: i64) -> Result<Vec<ResultRow>> {
        let sql =
            format!("{RESULTS} WHERE r.org_id = $1 AND r.exam_id = $2 ORDER BY r.score DESC, st.employee_no");
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(exam_id).fetch_all(c).await)?)
    }

    /// Records scores, all or nothing, each person once; a failed exam (not
    /// a competition) is an `exam_failed` fact for the pack's rules, in the
    /// same transaction. `grade` is the domain's pass rule. Nobody records
    /// their own score.
    pub async fn record_exam_results(
        &self,
        org_id: OrgId,
        rules: Rules<'_>,
        by: &User,
        exam_id: i64,
        scores: &[(StaffId, i64)],
    ) -> Result<usize> {
        let exam = self.exam(org_id, exam_id).await?;
        let held = chuangkou_domain::duty::parse_date(&exam.held_on).unwrap_or_default();
        let at = rules.calendar.start_of_day_ms(held) + 12 * 3_600_000;
        let mut tx = self.begin().await?;
        let proposer = Proposer::user(by);
        let now = self.now_ms();
        for (staff, score) in scores {
            if by.staff_id == Some(*staff) {
                return Err(StoreError::refused(
                    false,
                    "不能登记本人的成绩 / nobody records their own score",
                ));
            }
            let passed = chuangkou_domain::training::grade(*score, exam.pass_mark, exam.max_score)
                .map_err(|e| StoreError::Invalid(vec![e]))?;
            let known: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
                "SELECT id FROM staff WHERE org_id = $1 AND id = $2").bind(org_id).bind(staff).fetch_optional(c).await)?;
            known.ok_or_else(|| StoreError::field("staff_id", "没有这名员工 / no such staff member"))?;
            let taken: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
                "SELECT id FROM exam_results WHERE exam_id = $1 AND staff_id = $2").bind(exam_id).bind(staff).fetch_optional(c).await)?;
            if taken.is_some() {
                return Err(StoreError::refused(true, "成绩已登记，不可修改 / a score is recorded once"));
            }
            let fact_id = if !passed && exam.kind == chuangkou_domain::training::ExamKind::Exam.as_str() {
                let mut f = NewFact::new(FactKind::ExamFailed, Some(*staff), at);
                f.note = format!("「{}」成绩 {score} 分，及格线 {} 分", exam.title, exam.pass_mark);
                Some(self.record_fact_tx(&mut tx, org_id, rules, &proposer, &f).await?.fact_id)
            } else {
                None
            };
            on_tx!(&mut tx, c => sqlx::query(
                "INSERT INTO exam_results (org_id, exam_id, staff_id, score, passed, fact_id, recorded_by, recorded_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)")
                .bind(org_id).bind(exam_id).bind(staff).bind(score).bind(passed).bind(fact_id).bind(by.id).bind(now)
                .execute(c).await.map(|_| ()))?;
        }
        let payload = json!({"scores": scores.iter().map(|(s, v)| json!({"staff_id": s, "score": v})).collect::<Vec<_>>()});
        self.event_in(&mut tx, org_id, &by.actor(), EventKind::ExamScored, ("exam", exam_id), payload, "")
            .await?;
        tx.commit().await?;
        Ok(scores.len())
    }

    /// Records a qualification; it is reminded of at `remind_at`.
    pub async fn add_qualification(
        &self,
        org_id: OrgId,
        by: &User,
        staff_id: StaffId,
        q: &NewQualification,
        remind_at: i64,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let known: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT id FROM staff WHERE org_id = $1 AND id = $2").bind(org_id).bind(staff_id).fetch_optional(c).await)?;
        known.ok_or_else(|| StoreError::field("staff_id", "没有这名员工 / no such staff member"))?;
        let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO qualifications (org_id, staff_id, kind, number, issued_on, expires_on, remind_at, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id")
            .bind(org_id).bind(staff_id).bind(&q.kind).bind(&q.number).bind(q.issued_on.to_string())
            .bind(q.expires_on.to_string()).bind(remind_at).bind(by.id).bind(self.now_ms())
            .fetch_one(c).await)?;
        let payload = json!({"staff_id": staff_id, "kind": q.kind, "number": q.number,
            "issued_on": q.issued_on.to_string(), "expires_on": q.expires_on.to_string()});
        self.event_in(
            &mut tx,
            org_id,
            &by.actor(),
            EventKind::QualificationRecorded,
            ("qualification", id),
            payload,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Qualifications, of one person or everyone, the soonest to expire first.
    pub async fn qualifications(
        &self,
        org_id: OrgId,
        staff_id: Option<StaffId>,
    ) -> Result<Vec<QualificationRow>> {
        let sql = format!(
            "{QUALIFICATIONS} WHERE q.org_id = $1 AND ($2 IS NULL OR q.staff_id = $2) ORDER BY q.expires_on, q.id LIMIT 2000"
        );
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(staff_id).fetch_all(c).await)?)
    }

    /// Reminds of qualifications about to expire, each once: the holder
    /// (when they sign in) and the office.
    pub(crate) async fn sweep_qualification_batch(&self) -> Result<usize> {
        let now = self.now_ms();
        let claim = self.claim_rows();
        let batch = crate::cases::BATCH;
        let mut tx = self.begin().await?;
        let sql = format!(
            "SELECT q.id, q.org_id, q.staff_id, q.kind, q.expires_on, st.name FROM qualifications q
               JOIN staff st ON st.id = q.staff_id
              WHERE q.reminded_at IS NULL AND q.remind_at <= $1 ORDER BY q.remind_at, q.id LIMIT {batch}{claim}"
        );
        let due: Vec<(i64, OrgId, i64, String, String, String)> =
            on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now).fetch_all(c).await)?;
        for (id, org_id, staff_id, kind, expires_on, name) in &due {
            on_tx!(&mut tx, c => sqlx::query("UPDATE qualifications SET reminded_at = $1 WHERE id = $2")
                .bind(now).bind(id).execute(c).await.map(|_| ()))?;
            self.event_in(
                &mut tx,
                *org_id,
                "system",
                EventKind::QualificationExpiring,
                ("qualification", *id),
                json!({"staff_id": staff_id, "expires_on": expires_on}),
                "",
            )
            .await?;
            let holder: Vec<chuangkou_domain::UserId> = on_tx!(&mut tx, c => sqlx::query_scalar(
                "SELECT id FROM users WHERE org_id = $1 AND staff_id = $2 AND disabled = FALSE")
                .bind(org_id).bind(staff_id).fetch_all(c).await)?;
            let mine =
                format!("您的{kind}将于 {expires_on} 到期，请及时办理 / your {kind} expires on {expires_on}");
            self.notify(
                &mut tx,
                *org_id,
                None,
                NotifyTarget::Users(holder),
                EventKind::QualificationExpiring,
                &mine,
            )
            .await?;
            let office =
                format!("{name}的{kind}将于 {expires_on} 到期 / a qualification expires on {expires_on}");
            self.notify(
                &mut tx,
                *org_id,
                None,
                NotifyTarget::Role(Role::Office),
                EventKind::QualificationExpiring,
                &office,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(due.len())
    }
}
