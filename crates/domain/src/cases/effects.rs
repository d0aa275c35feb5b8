//! What a lifecycle command does to a case (SPEC CASE-3, CASE-4, CASE-7),
//! decided without a database.
//!
//! [`decide`](super::decide) says whether a command may happen; [`effects`]
//! says what it then changes: the case's fields, the event's payload, who
//! is told what, the message to the reporter, new timers, a merge, and the
//! facts a substantiated complaint gives the ledger. The store loads the
//! case and anything the command names, calls these two, and writes the
//! answer in one transaction.

use serde_json::{Value, json};

use super::clock::{self, PlannedTimer};
use super::lifecycle::{Actor, CaseView, Command, Conclusion, State, Transition};
use super::messages;
use super::{CaseKind, Finding, Responsibility, Satisfaction};
use crate::calendar::Span;
use crate::events::EventKind;
use crate::ledger::Severity;
use crate::notify::Recipient;
use crate::policy::Rules;
use crate::{CaseId, FieldError, Role, StaffId, UserId};

/// A command and what it carries.
#[derive(Debug, Clone)]
pub struct ActInput {
    pub command: Command,
    /// The reply to the reporter, or an internal note.
    pub text: Option<String>,
    /// Why (transfer, extension, withdrawal, merge, correction).
    pub reason: String,
    pub to_user_id: Option<UserId>,
    pub to_unit_id: Option<i64>,
    pub master_case_id: Option<CaseId>,
    pub extension: Option<Span>,
    /// With a substantiated finding: the staff members concerned and the
    /// codebook rules broken, for the ledger (SPEC CASE-7).
    pub staff_ids: Vec<StaffId>,
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

/// The stored case, as far as the decision reads it.
#[derive(Debug, Clone)]
pub struct CaseFacts {
    /// What the lifecycle reads, as [`decide`](super::decide) saw it.
    pub view: CaseView,
    pub id: CaseId,
    pub number: String,
    pub kind: CaseKind,
    pub track: String,
    pub unit_id: Option<i64>,
    pub owner_id: Option<UserId>,
    pub pending_owner_id: Option<UserId>,
    pub first_responsible_id: Option<UserId>,
    pub registered_at: i64,
    pub investigate_due: Option<i64>,
    pub handle_due: i64,
    pub investigated_at: Option<i64>,
    pub handled_at: Option<i64>,
    pub deadline_version: i64,
    pub extension_span: Option<String>,
    pub extension_reason: Option<String>,
}

/// The case a merge names as its master, locked by the store.
#[derive(Debug, Clone)]
pub struct Master {
    pub id: CaseId,
    pub number: String,
    pub open: bool,
    /// Itself merged into another case.
    pub merged: bool,
}

/// One field of the case set to a new value.
#[derive(Debug, Clone, PartialEq)]
pub enum Change {
    State(State),
    Owner(Option<UserId>),
    PendingOwner(Option<UserId>),
    FirstResponsible(UserId),
    Finding(Finding),
    Responsibility(Responsibility),
    ApologyMade(bool),
    Conclusion(String),
    InvestigatedAt(i64),
    Overdue,
    Reply(String),
    HandledAt(Option<i64>),
    Satisfaction(Satisfaction),
    ClosedAt(Option<i64>),
    Unit(i64),
    MasterCase(CaseId),
    ExtensionRequested(bool),
    ExtensionSpan(Option<Span>),
    ExtensionReason(String),
    /// New deadlines, and the timers version that goes with them.
    Deadlines {
        version: i64,
        investigate: Option<i64>,
        handle: i64,
    },
    DeadlineVersion(i64),
}

/// A fact for the ledger's rules from a substantiated complaint.
#[derive(Debug, Clone, PartialEq)]
pub struct FactDraft {
    pub staff_id: StaffId,
    /// The codebook rule broken; when named, its severity is the fact's.
    pub rule_code: Option<String>,
    /// The severity without a codebook rule (the pack's
    /// `cases.substantiated_severity`).
    pub severity: Severity,
    pub note: String,
    pub occurred_at: i64,
}

/// Everything one command changes.
#[derive(Debug, Clone)]
pub struct Effects {
    pub event: EventKind,
    pub changes: Vec<Change>,
    pub payload: Value,
    pub notices: Vec<(Recipient, String)>,
    /// The text message to the reporter (by SMS, when they left a phone).
    pub to_reporter: Option<String>,
    /// Timers to plan, under this deadline version.
    pub timers: Option<(i64, Vec<PlannedTimer>)>,
    /// Merged into this master: later duplicates follow, and the master's
    /// timeline records the merge.
    pub merged_into: Option<CaseId>,
    pub facts: Vec<FactDraft>,
}

fn text(field: &str, s: &str) -> Result<String, FieldError> {
    crate::text::required(field, s, 4000)
}

/// What `input` does to `case`, once [`decide`](super::decide) allowed it
/// as `t`. `master` is the locked master case of a merge.
pub fn effects(
    case: &CaseFacts,
    actor: Actor,
    input: &ActInput,
    t: Transition,
    master: Option<&Master>,
    rules: Rules<'_>,
    now: i64,
) -> Result<Effects, FieldError> {
    let view = &case.view;
    let mut e = Effects {
        event: t.event,
        changes: vec![Change::State(t.to)],
        payload: json!({"from": view.state.as_str(), "to": t.to.as_str()}),
        notices: vec![],
        to_reporter: None,
        timers: None,
        merged_into: None,
        facts: vec![],
    };
    let n = case.number.as_str();
    match &input.command {
        Command::OfferHandover { to_user_id } => {
            e.changes.push(Change::PendingOwner(Some(*to_user_id)));
            e.payload["to_user_id"] = json!(to_user_id);
            e.notices.push((Recipient::User(*to_user_id), messages::handover_offered(n)));
        }
        Command::AcceptHandover => {
            e.changes.extend([Change::Owner(case.pending_owner_id), Change::PendingOwner(None)]);
            e.payload["from_user_id"] = json!(case.owner_id);
            e.payload["to_user_id"] = json!(case.pending_owner_id);
            if let Some(prev) = case.owner_id {
                e.notices.push((Recipient::User(prev), messages::handover_accepted(n)));
            }
        }
        Command::DeclineHandover => {
            e.changes.push(Change::PendingOwner(None));
            e.payload["declined_by"] = json!(case.pending_owner_id);
            if let Some(prev) = case.owner_id {
                e.notices.push((Recipient::User(prev), messages::handover_declined(n)));
            }
        }
        Command::StartInvestigation if case.owner_id.is_none() => {
            // A case from the public has no handler yet: whoever starts
            // on it takes it, and is its first-responsible person.
            if let Actor::User { id, .. } = actor {
                e.changes.push(Change::Owner(Some(id)));
                if case.first_responsible_id.is_none() {
                    e.changes.push(Change::FirstResponsible(id));
                }
                e.payload["taken_by"] = json!(id);
            }
        }
        Command::StartInvestigation | Command::Close | Command::Withdraw => {
            if t.to == State::Closed || matches!(input.command, Command::Withdraw) {
                e.changes.push(Change::ClosedAt(Some(now)));
            }
        }
        Command::Conclude(c) => conclude(&mut e, case, input, c, rules, now)?,
        Command::Reply => {
            let reply = text("text", input.text.as_deref().unwrap_or(""))?;
            e.changes.push(Change::Reply(reply.clone()));
            if case.handled_at.is_none() {
                e.changes.push(Change::HandledAt(Some(now)));
            }
            if now > case.handle_due {
                e.changes.push(Change::Overdue);
            }
            e.payload["reply"] = json!(reply);
            e.to_reporter = Some(messages::reporter_replied(n));
            // Now the office's to do: the callback and the closing.
            let office = if view.about_leader { Role::Discipline } else { Role::Office };
            e.notices.push((Recipient::Role(office), messages::replied(n)));
        }
        Command::Callback(sat) => {
            e.changes.push(Change::Satisfaction(*sat));
            e.payload["satisfaction"] = json!(sat.as_str());
            if t.to == State::Closed {
                e.changes.push(Change::ClosedAt(Some(now)));
            }
            if *sat == Satisfaction::Dissatisfied {
                e.changes.push(Change::HandledAt(None));
                if let Some(owner) = case.owner_id {
                    e.notices.push((Recipient::User(owner), messages::reopened(n)));
                }
            }
        }
        Command::Transfer => {
            let to = input
                .to_unit_id
                .ok_or_else(|| FieldError::new("to_unit_id", "请选择转办单位 / choose a unit"))?;
            text("reason", &input.reason)?;
            e.changes.push(Change::Unit(to));
            e.payload["from_unit_id"] = json!(case.unit_id);
            e.payload["to_unit_id"] = json!(to);
            e.notices.push((Recipient::ShiftLeadersOf(to), messages::routed(n)));
        }
        Command::UndoWithdrawal => {
            // Back where it was, on its own deadlines: the clock runs
            // again with fresh timers (those due meanwhile fire at once).
            let d = clock::Deadlines { investigate: case.investigate_due, handle: case.handle_due };
            let version = case.deadline_version + 1;
            e.timers = Some((version, clock::plan(&rules.pack.cases, &d)));
            e.changes.extend([Change::ClosedAt(None), Change::DeadlineVersion(version)]);
            let to = case.owner_id.map_or(Recipient::Role(Role::Office), Recipient::User);
            e.notices.push((to, messages::withdrawal_undone(n)));
        }
        Command::MergeInto => {
            let m = merge_master(case, input, master)?;
            e.changes.extend([Change::MasterCase(m.id), Change::ClosedAt(Some(now))]);
            e.payload["master_case_id"] = json!(m.id);
            e.payload["master_number"] = json!(m.number);
            e.merged_into = Some(m.id);
        }
        Command::RequestExtension => {
            let span =
                input.extension.ok_or_else(|| FieldError::new("extension", "请填写延期时长 / how long?"))?;
            let max = rules.pack.cases.max_extension;
            let cal = rules.calendar;
            if span.after(cal, case.handle_due) > max.after(cal, case.handle_due) || span.after(cal, 0) <= 0 {
                return Err(FieldError::new("extension", format!("延期不得超过 {max} / at most {max}")));
            }
            let reason = text("reason", &input.reason)?;
            e.changes.extend([
                Change::ExtensionRequested(true),
                Change::ExtensionSpan(Some(span)),
                Change::ExtensionReason(reason),
            ]);
            e.payload["extension"] = json!(span.to_string());
            // A complaint about a leader is never put before the leaders.
            let approver = if view.about_leader { Role::Discipline } else { Role::Leader };
            e.notices.push((Recipient::Role(approver), messages::extension_asked(n, span)));
        }
        Command::DecideExtension { approve } => decide_extension(&mut e, case, *approve, rules)?,
        Command::AddNote => {
            let note = text("text", input.text.as_deref().unwrap_or(""))?;
            e.payload["note"] = json!(note);
            // A note never moves the case.
            e.changes.clear();
        }
    }
    Ok(e)
}

fn conclude(
    e: &mut Effects,
    case: &CaseFacts,
    input: &ActInput,
    c: &Conclusion,
    rules: Rules<'_>,
    now: i64,
) -> Result<(), FieldError> {
    let summary = text("conclusion", &c.summary)?;
    e.changes.extend([
        Change::Finding(c.finding),
        Change::Responsibility(c.responsibility),
        Change::ApologyMade(c.apology_made),
        Change::Conclusion(summary.clone()),
    ]);
    if case.investigated_at.is_none() {
        e.changes.push(Change::InvestigatedAt(now));
    }
    if case.investigate_due.is_some_and(|due| now > due) {
        e.changes.push(Change::Overdue);
    }
    e.payload["finding"] = json!(c.finding.as_str());
    e.payload["responsibility"] = json!(c.responsibility.as_str());
    e.payload["apology_made"] = json!(c.apology_made);
    e.payload["summary"] = json!(summary);
    e.payload["staff_ids"] = json!(input.staff_ids);
    e.payload["rule_codes"] = json!(input.rule_codes);
    // A substantiated complaint becomes facts for the ledger's rules
    // (SPEC CASE-7): one per person and codebook rule broken.
    if !(c.finding.is_substantiated() && case.kind == CaseKind::Complaint) {
        return Ok(());
    }
    if let Some(rule) = input.rule_codes.iter().find(|r| rules.pack.codebook_rule(r).is_none()) {
        return Err(FieldError::new(
            "rule_codes",
            format!("规范条款 {rule} 不存在 / no codebook rule {rule}"),
        ));
    }
    let broken: Vec<Option<&String>> =
        if input.rule_codes.is_empty() { vec![None] } else { input.rule_codes.iter().map(Some).collect() };
    for staff in &input.staff_ids {
        for rule in &broken {
            e.facts.push(FactDraft {
                staff_id: *staff,
                rule_code: rule.cloned(),
                severity: rules.pack.cases.substantiated_severity,
                note: format!("{}：{}", case.number, summary),
                occurred_at: case.registered_at,
            });
        }
    }
    Ok(())
}

fn merge_master<'m>(
    case: &CaseFacts,
    input: &ActInput,
    master: Option<&'m Master>,
) -> Result<&'m Master, FieldError> {
    let field = "master_case_id";
    let id = input
        .master_case_id
        .ok_or_else(|| FieldError::new(field, "请选择主案件 / choose the master case"))?;
    if id == case.id {
        return Err(FieldError::new(field, "不能合并到自身 / a case cannot be merged into itself"));
    }
    match master {
        Some(m) if m.id == id && m.open && !m.merged => Ok(m),
        _ => Err(FieldError::new(
            field,
            "主案件须为未办结且未被合并的案件 / the master must be open and not merged",
        )),
    }
}

fn decide_extension(
    e: &mut Effects,
    case: &CaseFacts,
    approve: bool,
    rules: Rules<'_>,
) -> Result<(), FieldError> {
    e.changes.push(Change::ExtensionRequested(false));
    if approve {
        // Both were checked when the extension was asked for: a stored
        // case without them is damaged, not a user's mistake.
        let damaged = |what: &str| {
            FieldError::new("case", format!("案件数据损坏：{what} / the case is damaged: {what}"))
        };
        let span =
            case.extension_span.as_deref().and_then(Span::parse).ok_or_else(|| damaged("extension span"))?;
        let track = rules.pack.cases.track(&case.track).ok_or_else(|| damaged("track"))?;
        let d = clock::deadlines(track, rules.calendar, case.registered_at, Some(span));
        let version = case.deadline_version + 1;
        e.timers = Some((version, clock::plan(&rules.pack.cases, &d)));
        e.changes.push(Change::Deadlines { version, investigate: d.investigate, handle: d.handle });
        e.payload["investigate_due"] = json!(d.investigate);
        e.payload["handle_due"] = json!(d.handle);
        let reason = case.extension_reason.clone().unwrap_or_default();
        e.to_reporter = Some(messages::reporter_extended(&case.number, &reason));
    } else {
        e.changes.push(Change::ExtensionSpan(None));
    }
    if let Some(owner) = case.owner_id {
        e.notices.push((Recipient::User(owner), messages::extension_decided(&case.number, approve)));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Calendar;
    use crate::policy::Pack;

    const HANDLER: Actor = Actor::User { id: UserId::new(7), role: Role::Office };
    const HOUR: i64 = 3_600_000;

    fn pack(text: &str) -> Pack {
        Pack::parse("toll.toml", text).unwrap()
    }

    fn calendar() -> Calendar {
        Calendar::parse("cn-2026.toml", include_str!("../../../../policy/calendar/cn-2026.toml")).unwrap()
    }

    fn case(state: State) -> CaseFacts {
        CaseFacts {
            view: CaseView {
                state,
                owner_user_id: Some(UserId::new(7)),
                pending_owner_user_id: None,
                extension_requested: false,
                subject_user_ids: vec![],
                about_leader: false,
                undoable_withdrawal: None,
            },
            id: CaseId::new(1),
            number: "TS-2026-0001".into(),
            kind: CaseKind::Complaint,
            track: "complaint".into(),
            unit_id: Some(3),
            owner_id: Some(UserId::new(7)),
            pending_owner_id: None,
            first_responsible_id: Some(UserId::new(7)),
            registered_at: 0,
            investigate_due: Some(24 * HOUR),
            handle_due: 48 * HOUR,
            investigated_at: None,
            handled_at: None,
            deadline_version: 1,
            extension_span: None,
            extension_reason: None,
        }
    }

    fn run(c: &CaseFacts, input: &ActInput, pack: &Pack, now: i64) -> Result<Effects, FieldError> {
        let cal = calendar();
        let t = super::super::decide(&c.view, HANDLER, &input.command).unwrap();
        effects(c, HANDLER, input, t, None, Rules { pack, calendar: &cal }, now)
    }

    fn concluded(staff: Vec<i64>, rules: Vec<&str>) -> ActInput {
        let mut input = ActInput::new(Command::Conclude(Conclusion {
            finding: Finding::Substantiated,
            responsibility: Responsibility::Ours,
            apology_made: true,
            summary: " 收费员态度生硬 ".into(),
        }));
        input.staff_ids = staff.into_iter().map(StaffId::new).collect();
        input.rule_codes = rules.into_iter().map(String::from).collect();
        input
    }

    #[test]
    fn a_substantiated_complaint_gives_one_fact_per_person_and_rule_with_the_packs_severity() {
        let toll = pack(include_str!("../../../../policy/toll.toml"));
        let rule = toll.codebook[0].code.clone();
        let e = run(&case(State::Investigating), &concluded(vec![11, 12], vec![&rule]), &toll, HOUR).unwrap();
        assert_eq!(e.facts.len(), 2);
        assert_eq!(e.facts[0].rule_code.as_deref(), Some(rule.as_str()));
        assert_eq!(e.facts[0].note, "TS-2026-0001：收费员态度生硬");
        assert_eq!(e.facts[0].occurred_at, 0, "the fact happened when the complaint was made");
        // Without a named rule the pack says how serious it is.
        let e = run(&case(State::Investigating), &concluded(vec![11], vec![]), &toll, HOUR).unwrap();
        assert_eq!((e.facts.len(), e.facts[0].severity), (1, Severity::Minor));
        let serious = pack(&include_str!("../../../../policy/toll.toml").replacen(
            "max_extension = \"72h\"",
            "max_extension = \"72h\"\nsubstantiated_severity = \"serious\"",
            1,
        ));
        let e = run(&case(State::Investigating), &concluded(vec![11], vec![]), &serious, HOUR).unwrap();
        assert_eq!(e.facts[0].severity, Severity::Serious);
    }

    #[test]
    fn an_unknown_rule_or_an_unfounded_finding_gives_no_fact() {
        let toll = pack(include_str!("../../../../policy/toll.toml"));
        let err =
            run(&case(State::Investigating), &concluded(vec![11], vec!["no-such"]), &toll, HOUR).unwrap_err();
        assert_eq!(err.field, "rule_codes");
        let mut input = concluded(vec![11], vec![]);
        if let Command::Conclude(c) = &mut input.command {
            c.finding = Finding::Unfounded;
        }
        assert!(run(&case(State::Investigating), &input, &toll, HOUR).unwrap().facts.is_empty());
        let mut praise = case(State::Investigating);
        praise.kind = CaseKind::Praise;
        assert!(run(&praise, &concluded(vec![11], vec![]), &toll, HOUR).unwrap().facts.is_empty());
    }

    #[test]
    fn a_late_conclusion_and_a_late_reply_mark_the_case_overdue() {
        let toll = pack(include_str!("../../../../policy/toll.toml"));
        let on_time = run(&case(State::Investigating), &concluded(vec![], vec![]), &toll, HOUR).unwrap();
        assert!(!on_time.changes.contains(&Change::Overdue));
        assert!(on_time.changes.contains(&Change::InvestigatedAt(HOUR)));
        let late = run(&case(State::Investigating), &concluded(vec![], vec![]), &toll, 25 * HOUR).unwrap();
        assert!(late.changes.contains(&Change::Overdue));
        let mut reply = ActInput::new(Command::Reply);
        reply.text = Some("已向您致歉".into());
        let e = run(&case(State::Concluded), &reply, &toll, 49 * HOUR).unwrap();
        assert!(e.changes.contains(&Change::Overdue));
        assert_eq!(e.to_reporter.as_deref(), Some("您反映的问题（TS-2026-0001）已有答复，请凭查询码查看。"));
        assert_eq!(e.notices[0].0, Recipient::Role(Role::Office));
    }

    #[test]
    fn an_extension_beyond_the_packs_limit_is_refused_and_a_note_changes_nothing() {
        let toll = pack(include_str!("../../../../policy/toll.toml"));
        let mut ask = ActInput::new(Command::RequestExtension);
        ask.reason = "需调取监控".into();
        ask.extension = Span::parse("96h");
        let err = run(&case(State::Investigating), &ask, &toll, HOUR).unwrap_err();
        assert_eq!(err.field, "extension");
        ask.extension = Span::parse("72h");
        let e = run(&case(State::Investigating), &ask, &toll, HOUR).unwrap();
        assert!(e.changes.contains(&Change::ExtensionRequested(true)));
        assert_eq!(e.notices[0].0, Recipient::Role(Role::Leader));
        let mut note = ActInput::new(Command::AddNote);
        note.text = Some("已联系投诉人".into());
        let e = run(&case(State::Investigating), &note, &toll, HOUR).unwrap();
        assert!(e.changes.is_empty(), "a note never moves the case");
        assert_eq!(e.payload["note"], "已联系投诉人");
    }

    #[test]
    fn a_case_is_merged_only_into_another_open_unmerged_case() {
        let toll = pack(include_str!("../../../../policy/toll.toml"));
        let cal = calendar();
        let rules = Rules { pack: &toll, calendar: &cal };
        let c = case(State::Registered);
        let mut input = ActInput::new(Command::MergeInto);
        let t = super::super::decide(&c.view, HANDLER, &input.command).unwrap();
        let merge = |input: &ActInput, m: Option<&Master>| effects(&c, HANDLER, input, t, m, rules, HOUR);
        assert_eq!(merge(&input, None).unwrap_err().field, "master_case_id");
        input.master_case_id = Some(CaseId::new(1));
        assert!(merge(&input, None).unwrap_err().message.contains("itself"));
        input.master_case_id = Some(CaseId::new(2));
        let closed = Master { id: CaseId::new(2), number: "TS-2026-0002".into(), open: false, merged: false };
        assert!(merge(&input, Some(&closed)).is_err());
        let open = Master { open: true, ..closed };
        let e = merge(&input, Some(&open)).unwrap();
        assert_eq!(e.merged_into, Some(CaseId::new(2)));
        assert!(e.changes.contains(&Change::ClosedAt(Some(HOUR))));
    }
}
