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

use chuangkou_domain::cases::State;
use chuangkou_domain::cases::clock::TimerAction;
use chuangkou_domain::events::EventKind;
use chuangkou_domain::ledger::FactKind;
use chuangkou_domain::policy::{LadderRole, PolicySet, Stage};
use chuangkou_domain::{CaseId, OrgId, Role, StaffId, UserId};
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

/// See [`Store::backlog`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    pub sweep_lag_ms: i64,
    pub outbox_pending: i64,
    pub outbox_given_up: i64,
}

#[derive(sqlx::FromRow)]
struct DueTimer {
    id: i64,
    case_id: CaseId,
    action: String,
    version: i64,
    due_at: i64,
}

/// Timers claimed per transaction: few enough that a writer waiting behind
/// a batch (intake, an admin command) waits tens of milliseconds, not
/// seconds.
pub(crate) const BATCH: i64 = 200;

/// On SQLite, the pause after a batch of timers in which another process
/// (the CLI beside `serve`) can take the write lock: SQLite's busy handler
/// polls, and a writer that takes the lock again at once can starve it
/// past its busy timeout.
const SQLITE_GAP: std::time::Duration = std::time::Duration::from_millis(4);

/// What a batch of timers writes besides its per-case statements, written
/// together at the end of the batch.
#[derive(Default)]
struct SweepWrites {
    events: Vec<NewEvent<'static>>,
    overdue: Vec<CaseId>,
    /// Cases escalated, and to whom, in the order decided: the last wins.
    escalated: Vec<(CaseId, &'static str)>,
    changed: Vec<(OrgId, i64)>,
    /// The members of each (organisation, role) told in this batch.
    roles: std::collections::HashMap<(OrgId, Role), Vec<UserId>>,
    /// The users of the staff the batch's cases are about.
    subject_users: std::collections::HashMap<StaffId, Vec<UserId>>,
    /// The people told, written together.
    notices: Vec<super::notify::Notice>,
    /// A missed deadline or neglected first question, recorded after the
    /// batch's events: (case, kind, user, due, note).
    facts: Vec<(CaseId, FactKind, Option<UserId>, i64, String)>,
}

impl Store {
    /// Fires every timer due by now. Returns what it did. `policies` give
    /// each organisation's pack, for the facts the clock records.
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    pub async fn sweep_timers(&self, policies: &PolicySet) -> Result<SweepReport> {
        let mut report = SweepReport::default();
        while self.sweep_batch(policies, &mut report).await? >= BATCH as usize {
            if self.backend() == crate::Backend::Sqlite {
                tokio::time::sleep(SQLITE_GAP).await;
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

    /// Fires one batch of due timers in one transaction: their cases are
    /// read (and on PostgreSQL locked) together, each timer decides what
    /// it does, and the events, overdue marks and the timers' own marks are
    /// written a statement each for the whole batch.
    async fn sweep_batch(&self, policies: &PolicySet, report: &mut SweepReport) -> Result<usize> {
        let now = self.now_ms();
        let claim = self.claim_rows();
        let sql = format!(
            "SELECT id, case_id, action, version, due_at FROM timers
             WHERE fired_at IS NULL AND due_at <= $1 ORDER BY due_at, id LIMIT $2{claim}"
        );
        let mut tx = self.begin().await?;
        let due: Vec<DueTimer> = on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(now).bind(BATCH).fetch_all(c).await)?;
        if due.is_empty() {
            tx.commit().await?;
            return Ok(0);
        }
        let cases = self.lock_cases(&mut tx, &due).await?;
        let mut w =
            SweepWrites { subject_users: self.subject_users(&mut tx, &cases).await?, ..Default::default() };
        for t in &due {
            let Some(case) = cases.get(&t.case_id) else { continue };
            self.fire(&mut tx, t, case, &mut w, report).await?;
        }
        self.write_sweep(&mut tx, policies, &cases, w, report).await?;
        let ids: Vec<i64> = due.iter().map(|t| t.id).collect();
        let sql = format!("UPDATE timers SET fired_at = $1 WHERE id IN ({})", crate::sql::id_list(&ids));
        on_tx!(&mut tx, c => sqlx::query(sqlx::AssertSqlSafe(sql)).bind(now).execute(c).await.map(|r| r.rows_affected()))?;
        tx.commit().await?;
        Ok(due.len())
    }

    /// The cases of `due`, read in one statement; on PostgreSQL locked in
    /// id order, as every writer of several cases locks them.
    async fn lock_cases(
        &self,
        tx: &mut crate::Tx,
        due: &[DueTimer],
    ) -> Result<std::collections::HashMap<CaseId, super::CaseRow>> {
        let mut ids: Vec<CaseId> = due.iter().map(|t| t.case_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let sql = format!(
            "SELECT {} FROM cases k WHERE k.id IN ({}) ORDER BY k.id{}",
            super::CASE_COLUMNS,
            crate::sql::id_list(&ids),
            self.lock_rows()
        );
        let rows: Vec<super::CaseRow> =
            on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(c).await)?;
        Ok(rows.into_iter().map(|c| (c.id, c)).collect())
    }

    /// The users of the staff that `cases` are about, by staff id.
    async fn subject_users(
        &self,
        tx: &mut crate::Tx,
        cases: &std::collections::HashMap<CaseId, super::CaseRow>,
    ) -> Result<std::collections::HashMap<StaffId, Vec<UserId>>> {
        let staff: Vec<StaffId> = cases.values().filter_map(|c| c.subject_staff_id).collect();
        if staff.is_empty() {
            return Ok(Default::default());
        }
        let sql =
            format!("SELECT staff_id, id FROM users WHERE staff_id IN ({})", crate::sql::id_list(&staff));
        let rows: Vec<(StaffId, UserId)> =
            on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).fetch_all(c).await)?;
        let mut out: std::collections::HashMap<StaffId, Vec<UserId>> = Default::default();
        for (staff, user) in rows {
            out.entry(staff).or_default().push(user);
        }
        Ok(out)
    }

    /// What one due timer does to its case, if it is still live and its
    /// stage unmet.
    async fn fire(
        &self,
        tx: &mut crate::Tx,
        t: &DueTimer,
        case: &super::CaseRow,
        w: &mut SweepWrites,
        report: &mut SweepReport,
    ) -> Result<()> {
        let action = TimerAction::decode(&t.action);
        let stage_met = |stage: Stage| match stage {
            Stage::Investigate => case.investigated_at.is_some(),
            Stage::Handle => case.handled_at.is_some(),
        };
        let live = case.state.is_open() && t.version == case.deadline_version;
        let met = |a: TimerAction| match a.stage() {
            Some(stage) => stage_met(stage),
            // Started, or offered to someone who can take it: done.
            None => case.state != State::Registered || case.pending_owner_id.is_some(),
        };
        let Some(a) = action.filter(|a| live && !met(*a)) else {
            report.skipped += 1;
            return Ok(());
        };
        report.fired += 1;
        match a {
            TimerAction::Deadline(stage) => {
                report.overdue += 1;
                w.overdue.push(case.id);
                w.changed.push((case.org_id, case.id.get()));
                w.events.push(case_event(
                    case,
                    EventKind::CaseOverdue,
                    json!({"stage": stage.as_str(), "due_at": t.due_at}),
                ));
                if stage == Stage::Handle {
                    let note = format!("案件 {} 超过办理时限未办结", case.number);
                    w.facts.push((case.id, FactKind::DeadlineMissed, case.owner_id, t.due_at, note));
                }
            }
            TimerAction::Escalate { stage, to, .. } => {
                report.escalated += 1;
                self.escalate(tx, case, stage, to, t.due_at, w).await?;
            }
            TimerAction::FirstResponse => {
                let who = case.first_responsible_id.or(case.owner_id);
                let note = format!("案件 {} 登记后首问责任人未办理也未移交", case.number);
                w.facts.push((case.id, FactKind::FirstQuestionNeglected, who, t.due_at, note));
            }
        }
        Ok(())
    }

    /// Writes what a batch's timers collected: the overdue marks, the
    /// events (per organisation, in the order they were decided), the
    /// sealing queue, then the facts for the ledger.
    async fn write_sweep(
        &self,
        tx: &mut crate::Tx,
        policies: &PolicySet,
        cases: &std::collections::HashMap<CaseId, super::CaseRow>,
        mut w: SweepWrites,
        report: &mut SweepReport,
    ) -> Result<()> {
        if !w.overdue.is_empty() {
            let sql = format!(
                "UPDATE cases SET overdue = TRUE, updated_at = $1 WHERE id IN ({})",
                crate::sql::id_list(&w.overdue)
            );
            on_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(sql)).bind(self.now_ms()).execute(c).await.map(|r| r.rows_affected()))?;
        }
        let last: std::collections::HashMap<CaseId, &str> = w.escalated.iter().copied().collect();
        let mut by_to: std::collections::BTreeMap<&str, Vec<CaseId>> = Default::default();
        for (case, to) in last {
            by_to.entry(to).or_default().push(case);
        }
        for (to, ids) in by_to {
            let sql = format!(
                "UPDATE cases SET escalated_to = $1, updated_at = $2 WHERE id IN ({})",
                crate::sql::id_list(&ids)
            );
            on_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(sql)).bind(to).bind(self.now_ms()).execute(c).await.map(|r| r.rows_affected()))?;
        }
        let mut by_org: std::collections::BTreeMap<OrgId, Vec<NewEvent<'static>>> = Default::default();
        for e in w.events {
            by_org.entry(e.org_id).or_default().push(e);
        }
        for (org, events) in by_org {
            self.append_many(tx, org, &events).await?;
        }
        w.changed.sort_unstable();
        w.changed.dedup();
        self.changed_many(tx, "cases", &w.changed).await?;
        self.deliver_many(tx, &w.notices).await?;
        for (case_id, kind, who, due_at, note) in w.facts {
            let case = &cases[&case_id];
            report.facts += self.clock_fact(tx, policies, case, kind, who, due_at, &note).await?;
        }
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
        user: Option<UserId>,
        at: i64,
        note: &str,
    ) -> Result<usize> {
        let org = self.organisation(case.org_id).await?;
        let Some(rules) = policies.rules(&org.pack) else { return Ok(0) };
        if !rules.pack.ledger.rules.iter().any(|r| r.on.contains(&kind)) {
            return Ok(0);
        }
        let staff: Option<StaffId> = match user {
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
        w: &mut SweepWrites,
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
            w.escalated.push((case.id, to.as_str()));
        }
        let reached = self.tell(tx, case, target, kind, &message, w).await?;
        let payload =
            json!({"stage": stage.as_str(), "to": to.as_str(), "due_at": due_at, "notified": reached});
        w.events.push(case_event(case, kind, payload));
        if to != LadderRole::Handler {
            w.changed.push((case.org_id, case.id.get()));
        }
        Ok(())
    }

    /// Queues the notices of an escalation for the batch's users that
    /// `target` names, save the person the case is about; returns how many.
    async fn tell(
        &self,
        tx: &mut crate::Tx,
        case: &super::CaseRow,
        target: NotifyTarget,
        kind: EventKind,
        message: &str,
        w: &mut SweepWrites,
    ) -> Result<usize> {
        // Nobody is told of a case about themselves (see `deliver`).
        let mut users = self.batch_recipients(tx, case.org_id, target, w).await?;
        if let Some(subject) = case.subject_staff_id.and_then(|s| w.subject_users.get(&s)) {
            users.retain(|u| !subject.contains(u));
        }
        for &user_id in &users {
            let message = message.to_string();
            w.notices.push(super::notify::Notice {
                org_id: case.org_id,
                case_id: case.id,
                user_id,
                kind,
                message,
            });
        }
        Ok(users.len())
    }

    /// The users `target` names; a role's members are looked up once a
    /// batch, not once an escalation.
    async fn batch_recipients(
        &self,
        tx: &mut crate::Tx,
        org_id: OrgId,
        target: NotifyTarget,
        w: &mut SweepWrites,
    ) -> Result<Vec<UserId>> {
        let NotifyTarget::Role(role) = target else { return self.recipients(tx, org_id, target).await };
        if let Some(users) = w.roles.get(&(org_id, role)) {
            return Ok(users.clone());
        }
        let users = self.recipients(tx, org_id, target).await?;
        w.roles.insert((org_id, role), users.clone());
        Ok(users)
    }

    /// How far behind the background work is, for `/metrics`: how long
    /// the oldest due timer has waited, and the messages waiting to be
    /// sent and those that ran out of attempts.
    pub async fn backlog(&self) -> Result<Backlog> {
        let now = self.now_ms();
        let oldest: Option<i64> = crate::on_read!(self, c => sqlx::query_scalar(
            "SELECT MIN(due_at) FROM timers WHERE fired_at IS NULL AND due_at <= $1").bind(now).fetch_one(c).await)?;
        let (outbox_pending, outbox_given_up): (i64, i64) = crate::on_read!(self, c => sqlx::query_as(
            "SELECT COALESCE(SUM(CASE WHEN attempts < $1 THEN 1 ELSE 0 END), 0),
                    COALESCE(SUM(CASE WHEN attempts >= $1 THEN 1 ELSE 0 END), 0)
             FROM outbox WHERE sent_at IS NULL")
            .bind(super::notify::MAX_ATTEMPTS).fetch_one(c).await)?;
        Ok(Backlog { sweep_lag_ms: oldest.map_or(0, |due| now - due), outbox_pending, outbox_given_up })
    }

    /// Timers not yet fired, for tests and the console.
    pub async fn pending_timers(&self, case_id: CaseId) -> Result<Vec<(String, i64)>> {
        Ok(crate::on_read!(self, c => sqlx::query_as(
            "SELECT action, due_at FROM timers WHERE case_id = $1 AND fired_at IS NULL ORDER BY due_at, id")
            .bind(case_id).fetch_all(c).await)?)
    }
}

/// An event the clock writes about a case.
fn case_event(case: &super::CaseRow, kind: EventKind, payload: serde_json::Value) -> NewEvent<'static> {
    NewEvent {
        org_id: case.org_id,
        actor: "system",
        kind,
        subject_type: "case",
        subject_id: case.id.get(),
        payload,
        reason: "",
    }
}

/// A stage in Chinese, in English, and as an English participle.
fn stage_label(stage: Stage) -> (&'static str, &'static str, &'static str) {
    match stage {
        Stage::Investigate => ("调查", "investigation", "investigated"),
        Stage::Handle => ("处理", "handling", "handled"),
    }
}
