//! Firing due timers: deadlines and escalations (SPEC CASE-5, DESIGN
//! decision 6).
//!
//! Any number of `serve` instances may sweep at once. A timer is claimed
//! with `FOR UPDATE SKIP LOCKED` on PostgreSQL (SQLite has one writer) and
//! marked fired in the same transaction as its event, so that each fires
//! exactly once across restarts and instances. There is no cap on how many
//! fire: the sweep takes batches until nothing is due.
//!
//! The clock also feeds the ledger (seed 002 第三篇 效能告诫): a handling
//! deadline that passes unhandled records a `deadline_missed` fact for the
//! case's handler, and a case its first-responsible person left untouched
//! past the pack's `cases.first_response` a `first_question_neglected`
//! fact for them — in the transaction that fires the timer, and only where
//! a rule of the pack listens to that kind of fact.

use chuangkou_domain::Role;
use chuangkou_domain::cases::State;
use chuangkou_domain::cases::clock::TimerAction;
use chuangkou_domain::events::EventKind;
use chuangkou_domain::ledger::FactKind;
use chuangkou_domain::policy::{LadderRole, PolicySet, Stage};
use serde::Serialize;
use serde_json::json;

use super::act::NotifyTarget;
use crate::{NewEvent, Result, Store, on_tx};

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SweepReport {
    /// Timers that did something.
    pub fired: usize,
    /// Of those, escalations up the ladder and warnings.
    pub escalated: usize,
    /// Of those, deadlines that made a case overdue.
    pub overdue: usize,
    /// Facts the clock recorded for the ledger's rules (missed deadlines,
    /// neglected first-question duties).
    pub facts: usize,
    /// Timers whose stage was already met, or which an extension replaced.
    pub skipped: usize,
    /// Rectification orders that passed their deadline unfinished.
    pub rectifications_overdue: usize,
    /// Public notices whose window ended.
    pub notices_expired: usize,
    /// Campaign tasks past their due date unsubmitted.
    pub campaign_tasks_overdue: usize,
    /// Qualifications reminded of before they expire.
    pub qualifications_reminded: usize,
}

#[derive(sqlx::FromRow)]
struct DueTimer {
    id: i64,
    org_id: i64,
    case_id: i64,
    action: String,
    version: i64,
    due_at: i64,
}

/// Timers fired per transaction.
pub(crate) const BATCH: i64 = 500;

impl Store {
    /// Fires every timer due by now. Returns what it did. `policies` give
    /// each organisation's pack, for the facts the clock records.
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    pub async fn sweep_timers(&self, policies: &PolicySet) -> Result<SweepReport> {
        let mut report = SweepReport::default();
        loop {
            let n = self.sweep_batch(policies, &mut report).await?;
            if n < BATCH as usize {
                break;
            }
        }
        while self.sweep_rectification_batch(&mut report).await? >= BATCH as usize {}
        loop {
            let (n, overdue) = self.sweep_campaign_batch().await?;
            report.campaign_tasks_overdue += overdue;
            if n < BATCH as usize {
                break;
            }
        }
        loop {
            let n = self.sweep_qualification_batch().await?;
            report.qualifications_reminded += n;
            if n < BATCH as usize {
                break;
            }
        }
        loop {
            let n = self.sweep_notice_batch().await?;
            report.notices_expired += n;
            if n < BATCH as usize {
                break;
            }
        }
        Ok(report)
    }

    async fn sweep_batch(&self, policies: &PolicySet, report: &mut SweepReport) -> Result<usize> {
        let now = self.now_ms();
        let claim = self.claim_rows();
        let sql = format!(
            "SELECT id, org_id, case_id, action, version, due_at FROM timers
             WHERE fired_at IS NULL AND due_at <= $1 ORDER BY due_at, id LIMIT $2{claim}"
        );
        let mut tx = self.begin().await?;
        let due: Vec<DueTimer> = on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(now).bind(BATCH).fetch_all(c).await)?;
        for t in &due {
            let case = self.lock_case(&mut tx, t.org_id, t.case_id).await?;
            let action = TimerAction::decode(&t.action);
            let stage_met = |stage: Stage| match stage {
                Stage::Investigate => case.investigated_at.is_some(),
                Stage::Handle => case.handled_at.is_some(),
            };
            let state = Some(case.state);
            let open = case.state.is_open();
            let live = open && t.version == case.deadline_version;
            let met = |a: TimerAction| match a.stage() {
                Some(stage) => stage_met(stage),
                // Started, or offered to someone who can take it: done.
                None => state != Some(State::Registered) || case.pending_owner_id.is_some(),
            };
            match action {
                Some(a) if live && !met(a) => {
                    report.fired += 1;
                    match a {
                        TimerAction::Deadline(stage) => {
                            report.overdue += 1;
                            self.mark_overdue(&mut tx, &case, stage, t.due_at).await?;
                            if stage == Stage::Handle {
                                let who = case.owner_id;
                                let note = format!("案件 {} 超过办理时限未办结", case.number);
                                report.facts += self
                                    .clock_fact(
                                        &mut tx,
                                        policies,
                                        &case,
                                        FactKind::DeadlineMissed,
                                        who,
                                        t.due_at,
                                        &note,
                                    )
                                    .await?;
                            }
                        }
                        TimerAction::Escalate { stage, to, .. } => {
                            report.escalated += 1;
                            self.escalate(&mut tx, &case, stage, to, t.due_at).await?;
                        }
                        TimerAction::FirstResponse => {
                            let who = case.first_responsible_id.or(case.owner_id);
                            let note = format!("案件 {} 登记后首问责任人未办理也未移交", case.number);
                            let kind = FactKind::FirstQuestionNeglected;
                            report.facts +=
                                self.clock_fact(&mut tx, policies, &case, kind, who, t.due_at, &note).await?;
                        }
                    }
                }
                _ => report.skipped += 1,
            }
            on_tx!(&mut tx, c => sqlx::query("UPDATE timers SET fired_at = $1 WHERE id = $2")
                .bind(now).bind(t.id).execute(c).await.map(|r| r.rows_affected()))?;
        }
        tx.commit().await?;
        Ok(due.len())
    }

    async fn mark_overdue(
        &self,
        tx: &mut crate::Tx,
        case: &super::CaseRow,
        stage: Stage,
        due_at: i64,
    ) -> Result<()> {
        on_tx!(tx, c => sqlx::query("UPDATE cases SET overdue = TRUE, updated_at = $1 WHERE id = $2")
            .bind(self.now_ms()).bind(case.id).execute(c).await.map(|r| r.rows_affected()))?;
        self.append(
            tx,
            NewEvent {
                org_id: case.org_id,
                actor: "system",
                kind: EventKind::CaseOverdue,
                subject_type: "case",
                subject_id: case.id,
                payload: json!({"stage": stage.as_str(), "due_at": due_at}),
                reason: "",
            },
        )
        .await?;
        self.changed(tx, case.org_id, "cases", case.id).await?;
        Ok(())
    }

    /// Records a fact the clock observed about `user` (their staff record;
    /// the case's unit when the user has none), if a rule of the
    /// organisation's pack listens to `kind`. Returns how many were recorded.
    #[allow(clippy::too_many_arguments)]
    async fn clock_fact(
        &self,
        tx: &mut crate::Tx,
        policies: &PolicySet,
        case: &super::CaseRow,
        kind: FactKind,
        user: Option<i64>,
        at: i64,
        note: &str,
    ) -> Result<usize> {
        let org = self.organisation(case.org_id).await?;
        let Some(rules) = policies.rules(&org.pack) else { return Ok(0) };
        if !rules.pack.ledger.rules.iter().any(|r| r.on.contains(&kind)) {
            return Ok(0);
        }
        let staff: Option<i64> = match user {
            Some(u) => on_tx!(tx, c => sqlx::query_scalar(
                "SELECT staff_id FROM users WHERE org_id = $1 AND id = $2")
                .bind(case.org_id).bind(u).fetch_optional(c).await)?
            .flatten(),
            None => None,
        };
        if staff.is_none() && case.unit_id.is_none() {
            return Ok(0);
        }
        let mut f = crate::ledger::NewFact::new(kind, staff, at);
        f.unit_id = if staff.is_none() { case.unit_id } else { None };
        f.case_id = Some(case.id);
        f.note = note.to_string();
        let by = crate::ledger::Proposer { actor: "system".into(), user_id: None };
        self.record_fact_tx(tx, case.org_id, rules, &by, &f).await?;
        Ok(1)
    }

    async fn escalate(
        &self,
        tx: &mut crate::Tx,
        case: &super::CaseRow,
        stage: Stage,
        to: LadderRole,
        due_at: i64,
    ) -> Result<()> {
        // A complaint about a leader climbs to the discipline body, never
        // to the shift leaders, the office or the leading group (CASE-11).
        let about_leader = case.about_leader();
        let target = match to {
            LadderRole::Handler if about_leader => {
                case.owner_id.map_or(NotifyTarget::Role(Role::Discipline), NotifyTarget::User)
            }
            _ if about_leader => NotifyTarget::Role(Role::Discipline),
            LadderRole::Handler => case.owner_id.map_or(NotifyTarget::Role(Role::Office), NotifyTarget::User),
            // Whoever leads the unit on the roster at the time; else its shift leaders.
            LadderRole::ShiftLeader => match case.unit_id {
                Some(unit) => {
                    let on_duty =
                        self.duty_leaders(tx, case.org_id, unit, due_at, case.subject_staff_id).await?;
                    if on_duty.is_empty() {
                        NotifyTarget::ShiftLeadersOf(unit)
                    } else {
                        NotifyTarget::Users(on_duty)
                    }
                }
                None => NotifyTarget::Role(Role::ShiftLeader),
            },
            LadderRole::OfficeHead => NotifyTarget::Role(Role::Office),
            LadderRole::Leader => NotifyTarget::Role(Role::Leader),
        };
        let (kind, message) = if to == LadderRole::Handler {
            (
                EventKind::CaseDeadlineWarning,
                format!(
                    "案件 {n} 即将到期（{}），请尽快办理 / case {n} is nearly due ({}): please act soon",
                    stage_label(stage).0,
                    stage_label(stage).1,
                    n = case.number
                ),
            )
        } else {
            (
                EventKind::CaseEscalated,
                format!(
                    "案件 {n} 未按时{}，已升级至{} / case {n} was not {} in time: escalated to {}",
                    stage_label(stage).0,
                    to.label_zh(),
                    stage_label(stage).2,
                    to.label_en(),
                    n = case.number
                ),
            )
        };
        if to != LadderRole::Handler {
            on_tx!(tx, c => sqlx::query("UPDATE cases SET escalated_to = $1, updated_at = $2 WHERE id = $3")
                .bind(to.as_str()).bind(self.now_ms()).bind(case.id).execute(c).await.map(|r| r.rows_affected()))?;
        }
        let reached = self.notify(tx, case.org_id, Some(case.id), target, kind, &message).await?;
        self.append(tx, NewEvent {
            org_id: case.org_id,
            actor: "system",
            kind,
            subject_type: "case",
            subject_id: case.id,
            payload: json!({"stage": stage.as_str(), "to": to.as_str(), "due_at": due_at, "notified": reached}),
            reason: "",
        })
        .await?;
        if to != LadderRole::Handler {
            self.changed(tx, case.org_id, "cases", case.id).await?;
        }
        Ok(())
    }

    /// Timers not yet fired, for tests and the console.
    pub async fn pending_timers(&self, case_id: i64) -> Result<Vec<(String, i64)>> {
        Ok(crate::on_read!(self, c => sqlx::query_as(
            "SELECT action, due_at FROM timers WHERE case_id = $1 AND fired_at IS NULL ORDER BY due_at, id")
            .bind(case_id).fetch_all(c).await)?)
    }
}

/// A stage in Chinese, in English, and as an English participle.
fn stage_label(stage: Stage) -> (&'static str, &'static str, &'static str) {
    match stage {
        Stage::Investigate => ("调查", "investigation", "investigated"),
        Stage::Handle => ("处理", "handling", "handled"),
    }
}
