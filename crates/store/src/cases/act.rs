//! Applying a lifecycle command to a stored case (SPEC CASE-3, CASE-4).
//!
//! The case row is locked, the domain's [`decide`] says yes or no, and the
//! change, its event, any new timers, notifications and messages to the
//! reporter commit together. A refusal changes nothing.

use chuangkou_domain::Role;
use chuangkou_domain::calendar::Span;
use chuangkou_domain::cases::clock;
use chuangkou_domain::cases::lifecycle::Conclusion;
use chuangkou_domain::cases::{Actor, CaseView, Command, Refusal, Satisfaction, State, decide};
use chuangkou_domain::policy::Rules;
use serde_json::{Value, json};

use super::{CASE_COLUMNS, CaseRow};
use crate::{NewEvent, Result, Store, StoreError, Tx, on_tx};

/// A command and what it carries.
#[derive(Debug, Clone)]
pub struct ActInput {
    pub command: Command,
    /// The reply to the reporter, or an internal note.
    pub text: Option<String>,
    /// Why (transfer, extension, withdrawal, merge, correction).
    pub reason: String,
    pub to_user_id: Option<i64>,
    pub to_unit_id: Option<i64>,
    pub master_case_id: Option<i64>,
    pub extension: Option<Span>,
    /// With a substantiated finding: the staff members concerned and the
    /// codebook rules broken, for the ledger (SPEC CASE-7).
    pub staff_ids: Vec<i64>,
    pub rule_codes: Vec<String>,
}

impl ActInput {
    pub fn new(command: Command) -> Self {
        ActInput {
            command,
            text: None,
            reason: String::new(),
            to_user_id: None,
            to_unit_id: None,
            master_case_id: None,
            extension: None,
            staff_ids: vec![],
            rule_codes: vec![],
        }
    }
}

#[derive(Debug, Clone)]
pub struct ActOutcome {
    pub case: CaseRow,
    pub event: &'static str,
}

fn refused(r: Refusal) -> StoreError {
    StoreError::Refused { conflict: matches!(r, Refusal::WrongState { .. }), message: r.to_string() }
}

fn invalid(field: &str, message: &str) -> StoreError {
    StoreError::field(field, message)
}

impl Store {
    pub(crate) async fn lock_case(&self, tx: &mut Tx, org_id: i64, id: i64) -> Result<CaseRow> {
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
        if case.state != State::Withdrawn.as_str() {
            return Ok(None);
        }
        let timeline = self.timeline(case.org_id, case.id).await?;
        let Some(last) = timeline.iter().rev().find(|e| e.kind == "case.withdrawn") else { return Ok(None) };
        if last.actor != "public"
            || self.now_ms() - last.at > chuangkou_domain::cases::lifecycle::UNDO_WITHDRAWAL_MS
        {
            return Ok(None);
        }
        Ok(last.payload["from"].as_str().and_then(State::parse))
    }

    pub async fn act(
        &self,
        org_id: i64,
        case_id: i64,
        actor: Actor,
        actor_ref: &str,
        input: &ActInput,
        rules: Rules<'_>,
    ) -> Result<ActOutcome> {
        let (pack, cal) = (rules.pack, rules.calendar);
        let mut tx = self.begin().await?;
        let case = self.lock_case(&mut tx, org_id, case_id).await?;
        let state = State::parse(&case.state)
            .ok_or_else(|| StoreError::Other(format!("unknown state {}", case.state)))?;
        let view = CaseView {
            state,
            owner_user_id: case.owner_id,
            pending_owner_user_id: case.pending_owner_id,
            extension_requested: case.extension_requested,
            subject_user_ids: self.users_of_staff(org_id, case.subject_staff_id).await?,
            about_leader: case.about_leader(),
            undoable_withdrawal: self.undoable_withdrawal(&case).await?,
        };
        let t = decide(&view, actor, &input.command).map_err(refused)?;
        let now = self.now_ms();
        let mut payload: Value = json!({"from": state.as_str(), "to": t.to.as_str()});
        let mut set: Vec<(&str, Col)> = vec![("state", Col::text(t.to.as_str()))];
        let mut notify: Vec<(NotifyTarget, String)> = vec![];
        let mut sms: Option<String> = None;
        // Other cases this action changes (duplicates following a merge).
        let mut moved_cases: Vec<i64> = vec![];

        match &input.command {
            Command::OfferHandover { to_user_id } => {
                self.check_user(&mut tx, org_id, *to_user_id).await?;
                set.push(("pending_owner_id", Col::Int(Some(*to_user_id))));
                payload["to_user_id"] = json!(to_user_id);
                notify.push((
                    NotifyTarget::User(*to_user_id),
                    format!(
                        "案件 {n} 移交给您，请确认接收 / case {n} is handed to you: please accept it",
                        n = case.number
                    ),
                ));
            }
            Command::AcceptHandover => {
                set.push(("owner_id", Col::Int(case.pending_owner_id)));
                set.push(("pending_owner_id", Col::Int(None)));
                payload["from_user_id"] = json!(case.owner_id);
                payload["to_user_id"] = json!(case.pending_owner_id);
                if let Some(prev) = case.owner_id {
                    notify.push((
                        NotifyTarget::User(prev),
                        format!(
                            "案件 {n} 的移交已被接收 / your hand-over of case {n} was accepted",
                            n = case.number
                        ),
                    ));
                }
            }
            Command::DeclineHandover => {
                set.push(("pending_owner_id", Col::Int(None)));
                payload["declined_by"] = json!(case.pending_owner_id);
                if let Some(prev) = case.owner_id {
                    notify.push((
                        NotifyTarget::User(prev),
                        format!("案件 {n} 的移交被拒绝，仍由您承办 / your hand-over of case {n} was declined: it stays with you", n = case.number),
                    ));
                }
            }
            Command::StartInvestigation if case.owner_id.is_none() => {
                // A case from the public has no handler yet: whoever starts
                // on it takes it, and is its first-responsible person.
                if let Actor::User { id, .. } = actor {
                    set.push(("owner_id", Col::Int(Some(id))));
                    if case.first_responsible_id.is_none() {
                        set.push(("first_responsible_id", Col::Int(Some(id))));
                    }
                    payload["taken_by"] = json!(id);
                }
            }
            Command::StartInvestigation | Command::Close => {
                if t.to == State::Closed {
                    set.push(("closed_at", Col::Int(Some(now))));
                }
            }
            Command::Conclude(Conclusion { finding, responsibility, apology_made, summary }) => {
                let summary = nonempty("conclusion", summary)?;
                for staff in &input.staff_ids {
                    self.staff_unit_in(&mut tx, org_id, *staff, "staff_ids").await?;
                }
                set.extend([
                    ("finding", Col::text(finding.as_str())),
                    ("responsibility", Col::text(responsibility.as_str())),
                    ("apology_made", Col::Bool(*apology_made)),
                    ("conclusion", Col::text(&summary)),
                ]);
                if case.investigated_at.is_none() {
                    set.push(("investigated_at", Col::Int(Some(now))));
                }
                if case.investigate_due.is_some_and(|due| now > due) {
                    set.push(("overdue", Col::Bool(true)));
                }
                payload["finding"] = json!(finding.as_str());
                payload["responsibility"] = json!(responsibility.as_str());
                payload["apology_made"] = json!(apology_made);
                payload["summary"] = json!(summary);
                payload["staff_ids"] = json!(input.staff_ids);
                payload["rule_codes"] = json!(input.rule_codes);
            }
            Command::Reply => {
                let text = nonempty("text", input.text.as_deref().unwrap_or(""))?;
                set.push(("reply", Col::text(&text)));
                if case.handled_at.is_none() {
                    set.push(("handled_at", Col::Int(Some(now))));
                }
                if now > case.handle_due {
                    set.push(("overdue", Col::Bool(true)));
                }
                payload["reply"] = json!(text);
                sms = Some(format!("您反映的问题（{}）已有答复，请凭查询码查看。", case.number));
                // Now the office's to do: the callback and the closing.
                let office = if view.about_leader { Role::Discipline } else { Role::Office };
                notify.push((
                    NotifyTarget::Role(office),
                    format!(
                        "案件 {n} 已答复，请回访并办结 / case {n} was replied to: call back and close it",
                        n = case.number
                    ),
                ));
            }
            Command::Callback(sat) => {
                set.push(("satisfaction", Col::text(sat.as_str())));
                payload["satisfaction"] = json!(sat.as_str());
                if t.to == State::Closed {
                    set.push(("closed_at", Col::Int(Some(now))));
                }
                if *sat == Satisfaction::Dissatisfied {
                    set.push(("handled_at", Col::Int(None)));
                    if let Some(owner) = case.owner_id {
                        notify.push((
                            NotifyTarget::User(owner),
                            format!("案件 {n} 回访不满意，已重新办理 / case {n} was reopened after an unsatisfied callback", n = case.number),
                        ));
                    }
                }
            }
            Command::Transfer => {
                let to = input
                    .to_unit_id
                    .ok_or_else(|| invalid("to_unit_id", "请选择转办单位 / choose a unit"))?;
                self.unit_in(&mut tx, org_id, to, "to_unit_id").await?;
                nonempty("reason", &input.reason)?;
                set.push(("unit_id", Col::Int(Some(to))));
                payload["from_unit_id"] = json!(case.unit_id);
                payload["to_unit_id"] = json!(to);
                notify.push((
                    NotifyTarget::ShiftLeadersOf(to),
                    format!("案件 {n} 转办至本单位 / case {n} was routed to your unit", n = case.number),
                ));
            }
            Command::Withdraw => {
                set.push(("closed_at", Col::Int(Some(now))));
            }
            Command::UndoWithdrawal => {
                // Back where it was, on its own deadlines: the clock runs
                // again with fresh timers (those due meanwhile fire at once).
                let d = clock::Deadlines { investigate: case.investigate_due, handle: case.handle_due };
                let version = case.deadline_version + 1;
                self.insert_timers(&mut tx, org_id, case.id, version, &clock::plan(&pack.cases, &d)).await?;
                set.extend([("closed_at", Col::Int(None)), ("deadline_version", Col::Int(Some(version)))]);
                notify.push((
                    match case.owner_id {
                        Some(owner) => NotifyTarget::User(owner),
                        None => NotifyTarget::Role(Role::Office),
                    },
                    format!(
                        "投诉人撤销了案件 {n} 的撤回，案件恢复办理 / the reporter took back the withdrawal of case {n}: it is open again",
                        n = case.number
                    ),
                ));
            }
            Command::MergeInto => {
                let master = input
                    .master_case_id
                    .ok_or_else(|| invalid("master_case_id", "请选择主案件 / choose the master case"))?;
                if master == case.id {
                    return Err(invalid(
                        "master_case_id",
                        "不能合并到自身 / a case cannot be merged into itself",
                    ));
                }
                let m = self.lock_case(&mut tx, org_id, master).await?;
                if m.master_case_id.is_some() || !State::parse(&m.state).is_some_and(State::is_open) {
                    return Err(invalid(
                        "master_case_id",
                        "主案件须为未办结且未被合并的案件 / the master must be open and not merged",
                    ));
                }
                set.push(("master_case_id", Col::Int(Some(master))));
                set.push(("closed_at", Col::Int(Some(now))));
                payload["master_case_id"] = json!(master);
                payload["master_number"] = json!(m.number);
                // Later duplicates of this one follow it to the master.
                let followers: Vec<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
                    "UPDATE cases SET master_case_id = $1 WHERE org_id = $2 AND master_case_id = $3 RETURNING id")
                    .bind(master).bind(org_id).bind(case.id).fetch_all(c).await)?;
                moved_cases.extend(followers);
                self.append(
                    &mut tx,
                    NewEvent {
                        org_id,
                        actor: actor_ref,
                        kind: "case.duplicate_merged",
                        subject_type: "case",
                        subject_id: master,
                        payload: json!({"merged_case_id": case.id, "merged_number": case.number}),
                        reason: &input.reason,
                    },
                )
                .await?;
            }
            Command::RequestExtension => {
                let span =
                    input.extension.ok_or_else(|| invalid("extension", "请填写延期时长 / how long?"))?;
                let max = pack.cases.max_extension;
                if span.after(cal, case.handle_due) > max.after(cal, case.handle_due)
                    || span.after(cal, 0) <= 0
                {
                    return Err(invalid("extension", &format!("延期不得超过 {max} / at most {max}")));
                }
                nonempty("reason", &input.reason)?;
                set.extend([
                    ("extension_requested", Col::Bool(true)),
                    ("extension_span", Col::text(&span.to_string())),
                    ("extension_reason", Col::text(&input.reason)),
                ]);
                payload["extension"] = json!(span.to_string());
                // A complaint about a leader is never put before the leaders.
                let approver = if view.about_leader { Role::Discipline } else { Role::Leader };
                notify.push((
                    NotifyTarget::Role(approver),
                    format!(
                        "案件 {n} 申请延期 {span}，请审批 / case {n} asks for {span} more: please decide",
                        n = case.number
                    ),
                ));
            }
            Command::DecideExtension { approve } => {
                set.push(("extension_requested", Col::Bool(false)));
                if *approve {
                    let span = case
                        .extension_span
                        .as_deref()
                        .and_then(Span::parse)
                        .ok_or_else(|| StoreError::Other("extension span missing".into()))?;
                    let track = pack
                        .cases
                        .track(&case.track)
                        .ok_or_else(|| StoreError::Other(format!("track {} not in pack", case.track)))?;
                    let d = clock::deadlines(track, cal, case.registered_at, Some(span));
                    let version = case.deadline_version + 1;
                    self.insert_timers(&mut tx, org_id, case.id, version, &clock::plan(&pack.cases, &d))
                        .await?;
                    set.extend([
                        ("deadline_version", Col::Int(Some(version))),
                        ("investigate_due", Col::Int(d.investigate)),
                        ("handle_due", Col::Int(Some(d.handle))),
                    ]);
                    payload["investigate_due"] = json!(d.investigate);
                    payload["handle_due"] = json!(d.handle);
                    let reason = case.extension_reason.clone().unwrap_or_default();
                    sms = Some(format!("您反映的问题（{}）需延期办理，原因：{reason}。", case.number));
                } else {
                    set.push(("extension_span", Col::Text(None)));
                }
                if let Some(owner) = case.owner_id {
                    let verdict = if *approve { ("已批准", "approved") } else { ("未批准", "refused") };
                    notify.push((
                        NotifyTarget::User(owner),
                        format!(
                            "案件 {n} 的延期申请{} / the extension of case {n} was {}",
                            verdict.0,
                            verdict.1,
                            n = case.number
                        ),
                    ));
                }
            }
            Command::AddNote => {
                let text = nonempty("text", input.text.as_deref().unwrap_or(""))?;
                payload["note"] = json!(text);
                // A note never moves the case.
                set.clear();
            }
        }
        set.push(("updated_at", Col::Int(Some(now))));
        self.update_case(&mut tx, org_id, case.id, &set).await?;
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: actor_ref,
                kind: t.event,
                subject_type: "case",
                subject_id: case.id,
                payload,
                reason: &input.reason,
            },
        )
        .await?;
        for id in moved_cases.iter().copied().chain(std::iter::once(case.id)) {
            self.changed(&mut tx, org_id, "cases", id).await?;
        }
        // A substantiated complaint becomes facts for the ledger's rules
        // (SPEC CASE-7): one per person and codebook rule broken.
        if let Command::Conclude(Conclusion { finding, summary, .. }) = &input.command
            && finding.is_substantiated()
            && case.kind == chuangkou_domain::cases::CaseKind::Complaint.as_str()
        {
            for rule in &input.rule_codes {
                if pack.codebook_rule(rule).is_none() {
                    return Err(invalid(
                        "rule_codes",
                        &format!("规范条款 {rule} 不存在 / no codebook rule {rule}"),
                    ));
                }
            }
            let by = crate::ledger::Proposer {
                actor: actor_ref.to_string(),
                user_id: match actor {
                    Actor::User { id, .. } => Some(id),
                    _ => None,
                },
            };
            let rule_codes: Vec<Option<String>> = if input.rule_codes.is_empty() {
                vec![None]
            } else {
                input.rule_codes.iter().cloned().map(Some).collect()
            };
            for staff in &input.staff_ids {
                for rule in &rule_codes {
                    let mut fact = crate::ledger::NewFact::new(
                        chuangkou_domain::ledger::FactKind::ComplaintSubstantiated,
                        Some(*staff),
                        case.registered_at,
                    );
                    fact.rule_code = rule.clone();
                    fact.severity = Some(chuangkou_domain::ledger::Severity::Minor);
                    fact.note = format!("{}：{}", case.number, summary.trim());
                    fact.case_id = Some(case.id);
                    self.record_fact_tx(&mut tx, org_id, rules, &by, &fact).await?;
                }
            }
        }
        for (target, message) in notify {
            self.notify(&mut tx, org_id, Some(case.id), target, t.event, &message).await?;
        }
        if let Some(body) = sms {
            self.queue_reporter_message(&mut tx, org_id, case.id, &body).await?;
        }
        tx.commit().await?;
        Ok(ActOutcome { case: self.case(org_id, case.id).await?, event: t.event })
    }

    /// Sets columns of one case. Column names come from this module only.
    async fn update_case(&self, tx: &mut Tx, org_id: i64, id: i64, set: &[(&str, Col)]) -> Result<()> {
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

    async fn check_user(&self, tx: &mut Tx, org_id: i64, id: i64) -> Result<()> {
        let ok: Option<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM users WHERE org_id = $1 AND id = $2 AND disabled = FALSE")
            .bind(org_id).bind(id).fetch_optional(c).await)?;
        ok.map(|_| ()).ok_or_else(|| invalid("to_user_id", "用户不存在 / no such user"))
    }
}

fn nonempty(field: &str, s: &str) -> Result<String> {
    crate::required(field, s, 4000)
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

/// Who hears about a change.
#[derive(Debug, Clone)]
pub(crate) enum NotifyTarget {
    User(i64),
    /// These users (those on duty).
    Users(Vec<i64>),
    Role(Role),
    /// Shift leaders whose staff record is in the unit or its parent.
    ShiftLeadersOf(i64),
}
