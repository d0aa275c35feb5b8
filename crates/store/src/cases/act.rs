//! Applying a lifecycle command to a stored case (SPEC CASE-3, CASE-4).
//!
//! The case row is locked, the domain's [`decide`] says yes or no, and the
//! change, its event, any new timers, notifications and messages to the
//! reporter commit together. A refusal changes nothing.

pub use chuangkou_domain::cases::effects::ActInput;
use chuangkou_domain::cases::effects::{CaseFacts, Change, Effects, Master, effects};
use chuangkou_domain::cases::{Actor, CaseView, Command, Refusal, State, decide};
use chuangkou_domain::events::EventKind;
use chuangkou_domain::ledger::FactKind;
use chuangkou_domain::policy::Rules;
use chuangkou_domain::{CaseId, OrgId, UserId};
use serde_json::json;

use super::{CASE_COLUMNS, CaseRow};
use crate::ledger::NewFact;
use crate::{NewEvent, Result, Store, StoreError, Tx, on_tx};

#[derive(Debug, Clone)]
pub struct ActOutcome {
    pub case: CaseRow,
    pub event: EventKind,
}

fn refused(r: Refusal) -> StoreError {
    StoreError::Refused { conflict: matches!(r, Refusal::WrongState { .. }), message: r.to_string() }
}

fn invalid(field: &str, message: &str) -> StoreError {
    StoreError::field(field, message)
}

impl Store {
    pub(crate) async fn lock_case(&self, tx: &mut Tx, org_id: OrgId, id: CaseId) -> Result<CaseRow> {
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases k WHERE k.org_id = $1 AND k.id = $2{}",
            self.lock_rows()
        );
        Ok(
            on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(id).fetch_one(c).await)?,
        )
    }

    /// The state a case was withdrawn from, when its reporter withdrew it
    /// within the window to undo it.
    pub(crate) async fn undoable_withdrawal(&self, case: &CaseRow) -> Result<Option<State>> {
        if case.state != State::Withdrawn {
            return Ok(None);
        }
        let timeline = self.timeline(case.org_id, case.id).await?;
        let Some(last) = timeline.iter().rev().find(|e| e.kind == EventKind::CaseWithdrawn) else {
            return Ok(None);
        };
        if last.actor != "public"
            || self.now_ms() - last.at > chuangkou_domain::cases::lifecycle::UNDO_WITHDRAWAL_MS
        {
            return Ok(None);
        }
        Ok(last.payload["from"].as_str().and_then(State::parse))
    }

    /// Applies a lifecycle command: lock and load, let the domain decide
    /// ([`decide`], then [`effects`]), write what it decided, commit.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get(), case_id = case_id.get()), err(level = "debug"))]
    pub async fn act(
        &self,
        org_id: OrgId,
        case_id: CaseId,
        actor: Actor,
        actor_ref: &str,
        input: &ActInput,
        rules: Rules<'_>,
    ) -> Result<ActOutcome> {
        let mut tx = self.begin().await?;
        let case = self.lock_case(&mut tx, org_id, case_id).await?;
        let facts = case_facts(&case, self.case_view(&case).await?);
        let t = decide(&facts.view, actor, &input.command).map_err(refused)?;
        let master = self.load_named(&mut tx, org_id, input).await?;
        let e = effects(&facts, actor, input, t, master.as_ref(), rules, self.now_ms())
            .map_err(|f| StoreError::Invalid(vec![f]))?;
        let by = crate::ledger::Proposer {
            actor: actor_ref.to_string(),
            user_id: match actor {
                Actor::User { id, .. } => Some(id),
                _ => None,
            },
        };
        self.apply_effects(&mut tx, &case, &by, &input.reason, rules, e).await?;
        tx.commit().await?;
        Ok(ActOutcome { case: self.case(org_id, case.id).await?, event: t.event })
    }

    /// What the lifecycle reads of a case.
    async fn case_view(&self, case: &CaseRow) -> Result<CaseView> {
        Ok(CaseView {
            state: case.state,
            owner_user_id: case.owner_id,
            pending_owner_user_id: case.pending_owner_id,
            extension_requested: case.extension_requested,
            subject_user_ids: self.users_of_staff(case.org_id, case.subject_staff_id).await?,
            about_leader: case.about_leader(),
            undoable_withdrawal: self.undoable_withdrawal(case).await?,
        })
    }

    /// Checks that the users, staff and units a command names are this
    /// organisation's, and locks the master case of a merge.
    async fn load_named(&self, tx: &mut Tx, org_id: OrgId, input: &ActInput) -> Result<Option<Master>> {
        match &input.command {
            Command::OfferHandover { to_user_id } => self.check_user(tx, org_id, *to_user_id).await?,
            Command::Conclude(_) => {
                for staff in &input.staff_ids {
                    self.staff_unit_in(tx, org_id, *staff, "staff_ids").await?;
                }
            }
            Command::Transfer => {
                if let Some(to) = input.to_unit_id {
                    self.unit_in(tx, org_id, to, "to_unit_id").await?;
                }
            }
            Command::MergeInto => {
                if let Some(id) = input.master_case_id {
                    let m = self.lock_case(tx, org_id, id).await?;
                    return Ok(Some(Master {
                        id: m.id,
                        open: m.state.is_open(),
                        merged: m.master_case_id.is_some(),
                        number: m.number,
                    }));
                }
            }
            _ => {}
        }
        Ok(None)
    }

    /// Writes what [`effects`] decided, in the order the timeline reads it.
    async fn apply_effects(
        &self,
        tx: &mut Tx,
        case: &CaseRow,
        by: &crate::ledger::Proposer,
        reason: &str,
        rules: Rules<'_>,
        e: Effects,
    ) -> Result<()> {
        let org_id = case.org_id;
        let event = |kind, subject_id, payload| NewEvent {
            org_id,
            actor: &by.actor,
            kind,
            subject_type: "case",
            subject_id,
            payload,
            reason,
        };
        if let Some((version, plan)) = &e.timers {
            self.insert_timers(tx, org_id, case.id, *version, plan).await?;
        }
        // Later duplicates of this one follow it to the master.
        let mut moved: Vec<CaseId> = vec![];
        if let Some(master) = e.merged_into {
            moved = on_tx!(tx, c => sqlx::query_scalar(
                "UPDATE cases SET master_case_id = $1 WHERE org_id = $2 AND master_case_id = $3 RETURNING id")
                .bind(master).bind(org_id).bind(case.id).fetch_all(c).await)?;
            let payload = json!({"merged_case_id": case.id, "merged_number": case.number});
            self.append(tx, event(EventKind::CaseDuplicateMerged, master.get(), payload)).await?;
        }
        let mut set: Vec<(&str, Col)> = e.changes.iter().flat_map(columns).collect();
        set.push(("updated_at", Col::Int(Some(self.now_ms()))));
        self.update_case(tx, org_id, case.id, &set).await?;
        self.append(tx, event(e.event, case.id.get(), e.payload)).await?;
        for id in moved.into_iter().chain(std::iter::once(case.id)) {
            self.changed(tx, org_id, "cases", id.get()).await?;
        }
        for f in e.facts {
            let mut fact = NewFact::new(FactKind::ComplaintSubstantiated, Some(f.staff_id), f.occurred_at);
            fact.rule_code = f.rule_code;
            fact.severity = Some(f.severity);
            fact.note = f.note;
            fact.case_id = Some(case.id);
            self.record_fact_tx(tx, org_id, rules, by, &fact).await?;
        }
        for (target, message) in e.notices {
            self.notify(tx, org_id, Some(case.id), target, e.event, &message).await?;
        }
        if let Some(body) = e.to_reporter {
            self.queue_reporter_message(tx, org_id, case.id, &body).await?;
        }
        Ok(())
    }

    /// Sets columns of one case. Column names come from this module only.
    async fn update_case(&self, tx: &mut Tx, org_id: OrgId, id: CaseId, set: &[(&str, Col)]) -> Result<()> {
        if set.is_empty() {
            return Ok(());
        }
        let assignments: Vec<String> =
            set.iter().enumerate().map(|(i, (col, _))| format!("{col} = ${}", i + 3)).collect();
        let sql = format!("UPDATE cases SET {} WHERE org_id = $1 AND id = $2", assignments.join(", "));
        on_tx!(tx, c => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(org_id).bind(id);
            for (_, v) in set {
                q = match v {
                    Col::Int(i) => q.bind(*i),
                    Col::Text(t) => q.bind(t.clone()),
                    Col::Bool(b) => q.bind(*b),
                };
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    async fn check_user(&self, tx: &mut Tx, org_id: OrgId, id: UserId) -> Result<()> {
        let ok: Option<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM users WHERE org_id = $1 AND id = $2 AND disabled = FALSE")
            .bind(org_id).bind(id).fetch_optional(c).await)?;
        ok.map(|_| ()).ok_or_else(|| invalid("to_user_id", "用户不存在 / no such user"))
    }
}

/// A typed column value, so that a NULL is bound with its column's type.
#[derive(Debug, Clone)]
enum Col {
    Int(Option<i64>),
    Text(Option<String>),
    Bool(bool),
}

impl Col {
    fn text(s: &str) -> Col {
        Col::Text(Some(s.to_string()))
    }
}

/// Who hears about a change: the domain's recipients.
pub(crate) use chuangkou_domain::notify::Recipient as NotifyTarget;

/// Where each change the domain decides is stored.
fn columns(c: &Change) -> Vec<(&'static str, Col)> {
    let int = |v: i64| Col::Int(Some(v));
    match c {
        Change::State(s) => vec![("state", Col::text(s.as_str()))],
        Change::Owner(u) => vec![("owner_id", Col::Int(u.map(UserId::get)))],
        Change::PendingOwner(u) => vec![("pending_owner_id", Col::Int(u.map(UserId::get)))],
        Change::FirstResponsible(u) => vec![("first_responsible_id", int(u.get()))],
        Change::Finding(f) => vec![("finding", Col::text(f.as_str()))],
        Change::Responsibility(r) => vec![("responsibility", Col::text(r.as_str()))],
        Change::ApologyMade(b) => vec![("apology_made", Col::Bool(*b))],
        Change::Conclusion(t) => vec![("conclusion", Col::text(t))],
        Change::InvestigatedAt(at) => vec![("investigated_at", int(*at))],
        Change::Overdue => vec![("overdue", Col::Bool(true))],
        Change::Reply(t) => vec![("reply", Col::text(t))],
        Change::HandledAt(at) => vec![("handled_at", Col::Int(*at))],
        Change::Satisfaction(s) => vec![("satisfaction", Col::text(s.as_str()))],
        Change::ClosedAt(at) => vec![("closed_at", Col::Int(*at))],
        Change::Unit(u) => vec![("unit_id", int(*u))],
        Change::MasterCase(m) => vec![("master_case_id", int(m.get()))],
        Change::ExtensionRequested(b) => vec![("extension_requested", Col::Bool(*b))],
        Change::ExtensionSpan(s) => vec![("extension_span", Col::Text(s.map(|s| s.to_string())))],
        Change::ExtensionReason(t) => vec![("extension_reason", Col::text(t))],
        Change::DeadlineVersion(v) => vec![("deadline_version", int(*v))],
        Change::Deadlines { version, investigate, handle } => vec![
            ("deadline_version", int(*version)),
            ("investigate_due", Col::Int(*investigate)),
            ("handle_due", int(*handle)),
        ],
    }
}

/// What the domain's decision reads of a stored case.
fn case_facts(case: &CaseRow, view: CaseView) -> CaseFacts {
    CaseFacts {
        view,
        id: case.id,
        number: case.number.clone(),
        kind: case.kind,
        track: case.track.clone(),
        unit_id: case.unit_id,
        owner_id: case.owner_id,
        pending_owner_id: case.pending_owner_id,
        first_responsible_id: case.first_responsible_id,
        registered_at: case.registered_at,
        investigate_due: case.investigate_due,
        handle_due: case.handle_due,
        investigated_at: case.investigated_at,
        handled_at: case.handled_at,
        deadline_version: case.deadline_version,
        extension_span: case.extension_span.clone(),
        extension_reason: case.extension_reason.clone(),
    }
}
