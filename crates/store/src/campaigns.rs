//! Campaigns (SPEC CMP-1, issue 20): created from a pack's template, their
//! phases and tasks; each step of a task, each evaluation and each review
//! an event; task reminders and deadlines fired once by the sweep. Who may
//! take which step is decided by the web layer; the store keeps the state
//! machine, the two-person rule on acceptance and the once-only
//! evaluations.

use chuangkou_domain::campaigns::{EvaluationKind, NewCampaign, TaskStatus, TaskStep};
use chuangkou_domain::events::EventKind;
use chuangkou_domain::{OrgId, Role, StaffId, UserId};
use serde::Serialize;
use serde_json::json;

use crate::cases::NotifyTarget;
use crate::users::User;
use crate::{Result, Store, StoreError, Tx, on_read, on_tx};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CampaignRow {
    pub id: i64,
    pub template: String,
    pub title: String,
    pub brand: String,
    pub meaning: String,
    pub goals: String,
    pub motto: String,
    pub basis: String,
    pub year: i64,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PhaseRow {
    pub id: i64,
    pub seq: i64,
    pub code: String,
    pub title: String,
    pub starts_on: String,
    pub ends_on: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TaskRow {
    pub id: i64,
    pub campaign_id: i64,
    pub phase_id: i64,
    pub title: String,
    pub description: String,
    pub evidence_required: String,
    pub lead_unit_id: i64,
    pub lead_unit_name: String,
    pub due_at: i64,
    pub status: String,
    pub evidence: Option<String>,
    pub return_reason: Option<String>,
    pub submitted_by: Option<UserId>,
    pub submitted_at: Option<i64>,
    pub decided_at: Option<i64>,
    pub overdue: bool,
    /// The person of the lead unit who answers for it.
    pub owner_staff_id: Option<StaffId>,
    /// Units co-operating with the lead unit, as ids separated by commas.
    pub co_units: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EvaluationRow {
    pub id: i64,
    pub phase_id: i64,
    pub kind: String,
    pub by_unit_id: Option<i64>,
    pub of_unit_id: i64,
    pub scores: String,
    pub total: i64,
    pub comment: String,
    pub created_at: i64,
}

/// An evaluation as checked by the domain.
#[derive(Debug, Clone)]
pub struct NewEvaluation {
    pub phase_id: i64,
    pub kind: EvaluationKind,
    pub by_unit_id: Option<i64>,
    pub of_unit_id: i64,
    pub scores: Vec<(String, i64)>,
    pub total: i64,
    pub comment: String,
}

const CAMPAIGNS: &str =
    "SELECT id, template, title, brand, meaning, goals, motto, basis, year, created_at FROM campaigns";
const TASKS: &str = "SELECT t.id, t.campaign_id, t.phase_id, t.title, t.description, t.evidence_required,
    t.lead_unit_id, u.name AS lead_unit_name, t.due_at, t.status, t.evidence, t.return_reason, t.submitted_by,
    t.submitted_at, t.decided_at, t.overdue, t.owner_staff_id, t.co_units
    FROM campaign_tasks t JOIN units u ON u.id = t.lead_unit_id";

impl Store {
    /// Creates a campaign with its phases and tasks; `end_of_day` gives a
    /// date's last instant in the organisation's time (a task is due at the
    /// end of its day).
    pub async fn create_campaign(
        &self,
        org_id: OrgId,
        by: &User,
        c: &NewCampaign,
        end_of_day: impl Fn(chrono::NaiveDate) -> i64,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let now = self.now_ms();
        let id: i64 = on_tx!(&mut tx, x => sqlx::query_scalar(
            "INSERT INTO campaigns (org_id, template, title, brand, meaning, goals, motto, basis, year, remind_days, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id")
            .bind(org_id).bind(&c.template).bind(&c.title).bind(&c.brand).bind(&c.meaning).bind(&c.goals)
            .bind(&c.motto).bind(&c.basis).bind(i64::from(c.year)).bind(i64::from(c.remind_days)).bind(by.id).bind(now)
            .fetch_one(x).await)?;
        let mut phase_ids = vec![];
        for (seq, p) in c.phases.iter().enumerate() {
            let pid: i64 = on_tx!(&mut tx, x => sqlx::query_scalar(
                "INSERT INTO campaign_phases (org_id, campaign_id, seq, code, title, starts_on, ends_on)
                 VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
                .bind(org_id).bind(id).bind(seq as i64).bind(&p.code).bind(&p.title)
                .bind(p.starts_on.to_string()).bind(p.ends_on.to_string())
                .fetch_one(x).await)?;
            phase_ids.push(pid);
        }
        let day = 86_400_000;
        for t in &c.tasks {
            self.unit_in(&mut tx, org_id, t.lead_unit_id, "lead_unit_id").await?;
            let due = end_of_day(t.due_on);
            let remind = due - i64::from(c.remind_days) * day;
            on_tx!(&mut tx, x => sqlx::query(
                "INSERT INTO campaign_tasks (org_id, campaign_id, phase_id, title, description, evidence_required,
                                             lead_unit_id, due_at, remind_at, status, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)")
                .bind(org_id).bind(id).bind(phase_ids[t.phase]).bind(&t.title).bind(&t.description)
                .bind(&t.evidence).bind(t.lead_unit_id).bind(due).bind(remind)
                .bind(TaskStatus::NotStarted.as_str()).bind(now)
                .execute(x).await.map(|_| ()))?;
        }
        let payload = json!({"template": c.template, "title": c.title, "year": c.year,
            "phases": c.phases.len(), "tasks": c.tasks.len()});
        self.event_in(
            &mut tx,
            org_id,
            &by.actor(),
            EventKind::CampaignCreated,
            ("campaign", id),
            payload,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn campaign(&self, org_id: OrgId, id: i64) -> Result<CampaignRow> {
        let sql = format!("{CAMPAIGNS} WHERE org_id = $1 AND id = $2");
        let row: Option<CampaignRow> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(id).fetch_optional(c).await)?;
        row.ok_or(StoreError::NotFound)
    }

    pub async fn campaigns(&self, org_id: OrgId) -> Result<Vec<CampaignRow>> {
        let sql = format!("{CAMPAIGNS} WHERE org_id = $1 ORDER BY id DESC LIMIT 200");
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).fetch_all(c).await)?)
    }

    pub async fn campaign_phases(&self, org_id: OrgId, campaign_id: i64) -> Result<Vec<PhaseRow>> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT id, seq, code, title, starts_on, ends_on FROM campaign_phases
              WHERE org_id = $1 AND campaign_id = $2 ORDER BY seq")
            .bind(org_id).bind(campaign_id).fetch_all(c).await)?)
    }

    pub async fn campaign_tasks(&self, org_id: OrgId, campaign_id: i64) -> Result<Vec<TaskRow>> {
        let sql = format!("{TASKS} WHERE t.org_id = $1 AND t.campaign_id = $2 ORDER BY t.phase_id, t.id");
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(campaign_id).fetch_all(c).await)?)
    }

    pub async fn campaign_task(&self, org_id: OrgId, id: i64) -> Result<TaskRow> {
        let sql = format!("{TASKS} WHERE t.org_id = $1 AND t.id = $2");
        let row: Option<TaskRow> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(id).fetch_optional(c).await)?;
        row.ok_or(StoreError::NotFound)
    }

    /// Names a task's owner and the units co-operating with its lead unit.
    pub async fn assign_campaign_task(
        &self,
        org_id: OrgId,
        by: &User,
        id: i64,
        owner: Option<StaffId>,
        co_units: &[i64],
    ) -> Result<TaskRow> {
        let mut tx = self.begin().await?;
        let lead: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT lead_unit_id FROM campaign_tasks WHERE org_id = $1 AND id = $2").bind(org_id).bind(id).fetch_optional(c).await)?;
        let lead = lead.ok_or(StoreError::NotFound)?;
        if let Some(s) = owner {
            let known: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
                "SELECT id FROM staff WHERE org_id = $1 AND id = $2").bind(org_id).bind(s).fetch_optional(c).await)?;
            known
                .ok_or_else(|| StoreError::field("owner_staff_id", "没有这名员工 / no such staff member"))?;
        }
        for u in co_units {
            if *u == lead {
                return Err(StoreError::field(
                    "co_unit_ids",
                    "牵头单位不是配合单位 / the lead unit is not a co-operating one",
                ));
            }
            self.unit_in(&mut tx, org_id, *u, "co_unit_ids").await?;
        }
        let list = co_units.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        on_tx!(&mut tx, c => sqlx::query("UPDATE campaign_tasks SET owner_staff_id = $1, co_units = $2 WHERE id = $3")
            .bind(owner).bind(&list).bind(id).execute(c).await.map(|_| ()))?;
        let payload = json!({"owner_staff_id": owner, "co_unit_ids": co_units});
        self.event_in(
            &mut tx,
            org_id,
            &by.actor(),
            EventKind::CampaignTaskAssigned,
            ("campaign_task", id),
            payload,
            "",
        )
        .await?;
        tx.commit().await?;
        self.campaign_task(org_id, id).await
    }

    /// Takes a step on a task: the lead unit starts and submits (with its
    /// evidence), the campaign office accepts or sends back (with the
    /// reason) — never the person who submitted it.
    pub async fn campaign_task_step(
        &self,
        org_id: OrgId,
        by: &User,
        id: i64,
        step: TaskStep,
        text: &str,
    ) -> Result<TaskRow> {
        self.campaign_task_step_with(org_id, by, id, step, text, &[]).await
    }

    /// The same, with photos handed in as evidence when submitting.
    pub async fn campaign_task_step_with(
        &self,
        org_id: OrgId,
        by: &User,
        id: i64,
        step: TaskStep,
        text: &str,
        photos: &[crate::inspections::Photo],
    ) -> Result<TaskRow> {
        if !photos.is_empty() && step != TaskStep::Submit {
            return Err(StoreError::field("photos", "只有提交时可附照片 / photos go with a submission"));
        }
        let mut tx = self.begin().await?;
        let row: Option<(String, Option<UserId>)> = on_tx!(&mut tx, c => sqlx::query_as(
            "SELECT status, submitted_by FROM campaign_tasks WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(id).fetch_optional(c).await)?;
        let (status, submitted_by) = row.ok_or(StoreError::NotFound)?;
        let from = TaskStatus::parse(&status).unwrap_or(TaskStatus::NotStarted);
        let to = from.after(step).ok_or_else(|| {
            StoreError::refused(
                true,
                format!("任务当前为「{}」，不能{} / not possible now", from.label_zh(), step.label_zh()),
            )
        })?;
        if step.is_review() && submitted_by == Some(by.id) {
            return Err(StoreError::refused(
                false,
                "不能验收本人提交的任务 / nobody accepts what they submitted",
            ));
        }
        let text = match step {
            TaskStep::Submit => crate::required("evidence", text, 4000)?,
            TaskStep::SendBack => crate::required("reason", text, 1000)?,
            _ => text.trim().to_string(),
        };
        let now = self.now_ms();
        let sql = match step {
            TaskStep::Start => "UPDATE campaign_tasks SET status = $1 WHERE id = $2",
            TaskStep::Submit => {
                "UPDATE campaign_tasks SET status = $1, evidence = $3, submitted_by = $4, submitted_at = $5 WHERE id = $2"
            }
            TaskStep::Accept => {
                "UPDATE campaign_tasks SET status = $1, decided_by = $4, decided_at = $5 WHERE id = $2"
            }
            TaskStep::SendBack => {
                "UPDATE campaign_tasks SET status = $1, return_reason = $3, decided_by = $4, decided_at = $5 WHERE id = $2"
            }
        };
        on_tx!(&mut tx, c => sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(to.as_str()).bind(id).bind(&text).bind(by.id).bind(now)
            .execute(c).await.map(|_| ()))?;
        let kind = match step {
            TaskStep::Start => EventKind::CampaignTaskStarted,
            TaskStep::Submit => EventKind::CampaignTaskSubmitted,
            TaskStep::Accept => EventKind::CampaignTaskAccepted,
            TaskStep::SendBack => EventKind::CampaignTaskSentBack,
        };
        for p in photos {
            on_tx!(&mut tx, c => sqlx::query(
                "INSERT INTO campaign_task_photos (org_id, task_id, content_type, bytes, thumb, width, height, sha256, uploaded_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)")
                .bind(org_id).bind(id).bind(p.content_type).bind(&p.bytes).bind(&p.thumb)
                .bind(i64::from(p.width)).bind(i64::from(p.height)).bind(&p.sha256).bind(now)
                .execute(c).await.map(|_| ()))?;
        }
        let reason = if step == TaskStep::SendBack { text.as_str() } else { "" };
        let shas: Vec<&str> = photos.iter().map(|p| p.sha256.as_str()).collect();
        let payload = json!({"from": from.as_str(), "to": to.as_str(), "photos": shas});
        self.event_in(&mut tx, org_id, &by.actor(), kind, ("campaign_task", id), payload, reason).await?;
        tx.commit().await?;
        self.campaign_task(org_id, id).await
    }

    /// The photos handed in with a task: id, content type, width, height.
    pub async fn campaign_task_photos(
        &self,
        org_id: OrgId,
        task_id: i64,
    ) -> Result<Vec<(i64, String, i64, i64)>> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT id, content_type, width, height FROM campaign_task_photos WHERE org_id = $1 AND task_id = $2 ORDER BY id")
            .bind(org_id).bind(task_id).fetch_all(c).await)?)
    }

    /// A photo of a task (or its thumbnail): content type and bytes.
    pub async fn campaign_task_photo(
        &self,
        org_id: OrgId,
        task_id: i64,
        id: i64,
        thumb: bool,
    ) -> Result<(String, Vec<u8>)> {
        let column = if thumb { "thumb" } else { "bytes" };
        let sql = format!(
            "SELECT content_type, {column} FROM campaign_task_photos WHERE org_id = $1 AND task_id = $2 AND id = $3"
        );
        let row: Option<(String, Vec<u8>)> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(task_id).bind(id).fetch_optional(c).await)?;
        row.ok_or(StoreError::NotFound)
    }

    /// Records an evaluation; a unit evaluates another (or itself) once per
    /// phase and kind: a second is a conflict.
    pub async fn evaluate_in_campaign(
        &self,
        org_id: OrgId,
        by: &User,
        campaign_id: i64,
        e: &NewEvaluation,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let phase: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT id FROM campaign_phases WHERE org_id = $1 AND campaign_id = $2 AND id = $3")
            .bind(org_id).bind(campaign_id).bind(e.phase_id).fetch_optional(c).await)?;
        phase.ok_or_else(|| StoreError::field("phase_id", "没有这个阶段 / no such phase"))?;
        self.unit_in(&mut tx, org_id, e.of_unit_id, "of_unit_id").await?;
        if let Some(u) = e.by_unit_id {
            self.unit_in(&mut tx, org_id, u, "by_unit_id").await?;
            let done: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
                "SELECT id FROM campaign_evaluations WHERE campaign_id = $1 AND phase_id = $2 AND kind = $3
                   AND by_unit_id = $4 AND of_unit_id = $5")
                .bind(campaign_id).bind(e.phase_id).bind(e.kind.as_str()).bind(u).bind(e.of_unit_id)
                .fetch_optional(c).await)?;
            if done.is_some() {
                return Err(StoreError::refused(true, "本阶段已评价过 / already evaluated in this phase"));
            }
        }
        let scores: serde_json::Map<String, serde_json::Value> =
            e.scores.iter().map(|(k, v)| (k.clone(), json!(v))).collect();
        let scores = serde_json::Value::Object(scores).to_string();
        let now = self.now_ms();
        let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO campaign_evaluations (org_id, campaign_id, phase_id, kind, by_unit_id, of_unit_id, scores, total, comment, by_user, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
            .bind(org_id).bind(campaign_id).bind(e.phase_id).bind(e.kind.as_str()).bind(e.by_unit_id)
            .bind(e.of_unit_id).bind(&scores).bind(e.total).bind(e.comment.trim()).bind(by.id).bind(now)
            .fetch_one(c).await)?;
        let payload = json!({"campaign_id": campaign_id, "phase_id": e.phase_id, "kind": e.kind.as_str(),
            "by_unit_id": e.by_unit_id, "of_unit_id": e.of_unit_id, "total": e.total});
        self.event_in(
            &mut tx,
            org_id,
            &by.actor(),
            EventKind::CampaignEvaluated,
            ("campaign", campaign_id),
            payload,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn campaign_evaluations(&self, org_id: OrgId, campaign_id: i64) -> Result<Vec<EvaluationRow>> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT id, phase_id, kind, by_unit_id, of_unit_id, scores, total, comment, created_at
               FROM campaign_evaluations WHERE org_id = $1 AND campaign_id = $2 ORDER BY id")
            .bind(org_id).bind(campaign_id).fetch_all(c).await)?)
    }

    /// The inspections recorded as the campaign's 回头看 reviews.
    pub async fn campaign_reviews(&self, org_id: OrgId, campaign_id: i64) -> Result<Vec<i64>> {
        Ok(on_read!(self, c => sqlx::query_scalar(
            "SELECT inspection_id FROM campaign_reviews WHERE org_id = $1 AND campaign_id = $2 ORDER BY id")
            .bind(org_id).bind(campaign_id).fetch_all(c).await)?)
    }

    /// Links an inspection being recorded to the campaign it reviews, in
    /// the inspection's transaction.
    pub(crate) async fn link_review(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        campaign_id: i64,
        inspection_id: i64,
    ) -> Result<()> {
        let ok: Option<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM campaigns WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(campaign_id).fetch_optional(c).await)?;
        ok.ok_or_else(|| StoreError::field("campaign_id", "没有这个活动 / no such campaign"))?;
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO campaign_reviews (org_id, campaign_id, inspection_id, created_at) VALUES ($1, $2, $3, $4)")
            .bind(org_id).bind(campaign_id).bind(inspection_id).bind(self.now_ms())
            .execute(c).await.map(|_| ()))?;
        Ok(())
    }

    /// Fires due task reminders and deadlines, a batch at a time, each
    /// once: a reminder to the lead unit's shift leaders before the due
    /// date; at it, an open task becomes overdue and is escalated to the
    /// campaign office. Returns the batch's size and how many went overdue.
    pub(crate) async fn sweep_campaign_batch(&self) -> Result<(usize, usize)> {
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        let reminded = self.fire_task_reminders(&mut tx, now).await?;
        let (due, overdue) = self.fire_task_deadlines(&mut tx, now).await?;
        tx.commit().await?;
        Ok((reminded.max(due), overdue))
    }

    /// A reminder to the lead unit's shift leaders of each open task whose
    /// reminder is due; answers how many were claimed.
    async fn fire_task_reminders(&self, tx: &mut Tx, now: i64) -> Result<usize> {
        let (batch, claim) = (crate::cases::BATCH, self.claim_rows());
        let remind_sql = format!(
            "SELECT id, org_id, lead_unit_id, title, status FROM campaign_tasks
              WHERE reminded_at IS NULL AND remind_at <= $1 ORDER BY remind_at, id LIMIT {batch}{claim}"
        );
        let reminders: Vec<(i64, OrgId, i64, String, String)> =
            on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(remind_sql)).bind(now).fetch_all(c).await)?;
        for (id, org_id, unit, title, status) in &reminders {
            on_tx!(tx, c => sqlx::query("UPDATE campaign_tasks SET reminded_at = $1 WHERE id = $2")
                .bind(now).bind(id).execute(c).await.map(|_| ()))?;
            if TaskStatus::parse(status).is_some_and(TaskStatus::open) {
                let msg = format!("活动任务「{title}」即将到期，请按时提交 / a campaign task is nearly due");
                let target = NotifyTarget::ShiftLeadersOf(*unit);
                self.notify(tx, *org_id, None, target, EventKind::CampaignTaskReminder, &msg).await?;
            }
        }
        Ok(reminders.len())
    }

    /// At each task's due date: an open task becomes overdue and is
    /// escalated to the lead unit, the office and the campaign office's
    /// heads. Answers how many were claimed and how many went overdue.
    async fn fire_task_deadlines(&self, tx: &mut Tx, now: i64) -> Result<(usize, usize)> {
        let (batch, claim) = (crate::cases::BATCH, self.claim_rows());
        let due_sql = format!(
            "SELECT id, org_id, lead_unit_id, title, status, campaign_id FROM campaign_tasks
              WHERE deadline_fired_at IS NULL AND due_at <= $1 ORDER BY due_at, id LIMIT {batch}{claim}"
        );
        let due: Vec<(i64, OrgId, i64, String, String, i64)> =
            on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(due_sql)).bind(now).fetch_all(c).await)?;
        let mut overdue = 0;
        for (id, org_id, unit, title, status, campaign) in &due {
            let late = TaskStatus::parse(status).is_some_and(TaskStatus::open);
            on_tx!(tx, c => sqlx::query(
                "UPDATE campaign_tasks SET deadline_fired_at = $1, overdue = (overdue OR $2) WHERE id = $3")
                .bind(now).bind(late).bind(id).execute(c).await.map(|_| ()))?;
            if !late {
                continue;
            }
            overdue += 1;
            let payload = json!({"lead_unit_id": unit});
            self.event_in(
                tx,
                *org_id,
                "system",
                EventKind::CampaignTaskOverdue,
                ("campaign_task", *id),
                payload,
                "",
            )
            .await?;
            let msg = format!("活动任务「{title}」已逾期未提交 / a campaign task is overdue");
            // … and the head of the campaign's office, whatever their role.
            let heads = self.campaign_office_heads(tx, *campaign).await?;
            let targets = vec![
                NotifyTarget::ShiftLeadersOf(*unit),
                NotifyTarget::Role(Role::Office),
                NotifyTarget::Users(heads),
            ];
            self.notify_all(tx, *org_id, None, targets, EventKind::CampaignTaskOverdue, &msg).await?;
        }
        Ok((due.len(), overdue))
    }
}
