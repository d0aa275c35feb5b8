//! The case lifecycle as a state machine (SPEC CASE-3):
//!
//! ```text
//! registered ─accept hand-over─▶ assigned ─start─▶ investigating ─conclude─▶ concluded
//!     └──────────────start──────────────────────────▲                          │ reply
//!                         dissatisfied callback ─────┘                          ▼
//!   closed ◀─close─ called_back ◀─callback recorded by the office ─────────── replied
//!     ▲                                                                         │
//!     └────────────── the reporter's own callback (satisfied / basic) ──────────┘
//! ```
//! Any open case may be withdrawn by its reporter, merged into a master
//! case, transferred to another unit, handed over (the receiver must
//! accept; until then the case stays with the sender) or given a
//! leader-approved extension. [`decide`] takes the case, who is acting and
//! the command, and returns the transition or a typed refusal — never a
//! silent no-op.

use serde::Serialize;

use super::{Finding, Responsibility, Satisfaction};
use crate::events::EventKind;
use crate::{Role, UserId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum State {
    Registered,
    Assigned,
    Investigating,
    Concluded,
    Replied,
    CalledBack,
    Closed,
    Withdrawn,
    Merged,
}

impl State {
    pub const ALL: [State; 9] = [
        State::Registered,
        State::Assigned,
        State::Investigating,
        State::Concluded,
        State::Replied,
        State::CalledBack,
        State::Closed,
        State::Withdrawn,
        State::Merged,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            State::Registered => "registered",
            State::Assigned => "assigned",
            State::Investigating => "investigating",
            State::Concluded => "concluded",
            State::Replied => "replied",
            State::CalledBack => "called_back",
            State::Closed => "closed",
            State::Withdrawn => "withdrawn",
            State::Merged => "merged",
        }
    }

    pub fn parse(s: &str) -> Option<State> {
        State::ALL.into_iter().find(|x| x.as_str() == s)
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            State::Registered => "已受理",
            State::Assigned => "已交办",
            State::Investigating => "调查中",
            State::Concluded => "已查结",
            State::Replied => "已答复",
            State::CalledBack => "已回访",
            State::Closed => "已办结",
            State::Withdrawn => "已撤回",
            State::Merged => "已合并",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            State::Registered => "Registered",
            State::Assigned => "Assigned",
            State::Investigating => "Investigating",
            State::Concluded => "Concluded",
            State::Replied => "Replied",
            State::CalledBack => "Called back",
            State::Closed => "Closed",
            State::Withdrawn => "Withdrawn",
            State::Merged => "Merged",
        }
    }

    pub fn is_open(self) -> bool {
        !matches!(self, State::Closed | State::Withdrawn | State::Merged)
    }
}

/// A stored state, read back: a row whose state is not one of these fails
/// to decode instead of being taken for another.
impl TryFrom<String> for State {
    type Error = String;
    fn try_from(s: String) -> Result<Self, String> {
        State::parse(&s).ok_or_else(|| format!("no case state {s:?}"))
    }
}

/// Compares with a stored code: `state == "closed"`.
impl PartialEq<&str> for State {
    fn eq(&self, code: &&str) -> bool {
        self.as_str() == *code
    }
}

impl std::fmt::Display for State {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the machine needs to know about a case.
#[derive(Debug, Clone)]
pub struct CaseView {
    pub state: State,
    /// The current owner (承办人); starts as the first-responsible person.
    pub owner_user_id: Option<UserId>,
    /// A hand-over offered but not yet accepted.
    pub pending_owner_user_id: Option<UserId>,
    pub extension_requested: bool,
    /// The users linked to the staff member the case is about: they never
    /// act on it, are never handed it (anti-retaliation, seed 002 §4.1.4).
    pub subject_user_ids: Vec<UserId>,
    /// A complaint about a leader: the discipline body handles it, as the
    /// office handles the others (SPEC CASE-11).
    pub about_leader: bool,
    /// A case the reporter withdrew less than [`UNDO_WITHDRAWAL_MS`] ago:
    /// the state it was withdrawn from, to which undoing returns it.
    pub undoable_withdrawal: Option<State>,
}

/// How long a reporter may undo their withdrawal (a mistaken tap on a
/// phone is noticed within the day).
pub const UNDO_WITHDRAWAL_MS: i64 = 24 * 3_600_000;

/// Who is acting.
#[derive(Debug, Clone, Copy)]
pub enum Actor {
    User {
        id: UserId,
        role: Role,
    },
    /// The reporter, identified by case number and tracking code.
    Reporter,
    /// The timer sweeper.
    System,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conclusion {
    pub finding: Finding,
    pub responsibility: Responsibility,
    pub apology_made: bool,
    pub summary: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    OfferHandover {
        to_user_id: UserId,
    },
    AcceptHandover,
    DeclineHandover,
    StartInvestigation,
    Conclude(Conclusion),
    Reply,
    Callback(Satisfaction),
    Close,
    Transfer,
    Withdraw,
    /// The reporter takes their withdrawal back, within the window.
    UndoWithdrawal,
    MergeInto,
    RequestExtension,
    DecideExtension {
        approve: bool,
    },
    AddNote,
}

/// The outcome of an allowed command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub to: State,
    /// The event kind to record: `case.concluded`, …
    pub event: EventKind,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The command does not apply in this state (HTTP 409).
    WrongState { state: State, command: &'static str },
    /// The actor may not do this to this case (HTTP 403).
    NotAllowed(&'static str),
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Refusal::WrongState { state, command } => write!(
                f,
                "案件当前为「{}」，不能执行「{command}」/ a case that is {} cannot be {command}",
                state.label_zh(),
                state.label_en().to_lowercase()
            ),
            Refusal::NotAllowed(why) => write!(f, "{why}"),
        }
    }
}

impl Command {
    pub fn name(&self) -> &'static str {
        match self {
            Command::OfferHandover { .. } => "handed over",
            Command::AcceptHandover => "accepted",
            Command::DeclineHandover => "declined",
            Command::StartInvestigation => "investigated",
            Command::Conclude(_) => "concluded",
            Command::Reply => "replied",
            Command::Callback(_) => "called back",
            Command::Close => "closed",
            Command::Transfer => "transferred",
            Command::Withdraw => "withdrawn",
            Command::UndoWithdrawal => "reinstated",
            Command::MergeInto => "merged",
            Command::RequestExtension => "extended",
            Command::DecideExtension { .. } => "extension-decided",
            Command::AddNote => "noted",
        }
    }
}

/// Whether `role` handles `case` as the office does: the office, leaders
/// and admins for ordinary cases; the discipline body for complaints about
/// leaders.
fn is_office(role: Role, case: &CaseView) -> bool {
    if case.about_leader {
        role.can(crate::Permission::HandleLeaderComplaints)
    } else {
        matches!(role, Role::Office | Role::Leader | Role::Admin)
    }
}

/// Why nobody who is the subject of a complaint acts on it.
pub const SUBJECT_ACTS: &str =
    "投诉所涉人员不得办理、接收或批注本案 / the person a complaint is about may not act on it";

/// Decides whether `actor` may apply `cmd` to `case`, and what follows.
pub fn decide(case: &CaseView, actor: Actor, cmd: &Command) -> Result<Transition, Refusal> {
    use State::*;
    let s = case.state;
    let wrong = || Refusal::WrongState { state: s, command: cmd.name() };
    if !s.is_open() && !matches!(cmd, Command::AddNote | Command::UndoWithdrawal) {
        return Err(wrong());
    }
    let (user_id, role) = match actor {
        Actor::User { id, role } => (Some(id), Some(role)),
        _ => (None, None),
    };
    if user_id.is_some_and(|u| case.subject_user_ids.contains(&u)) {
        return Err(Refusal::NotAllowed(SUBJECT_ACTS));
    }
    let is_owner = user_id.is_some() && user_id == case.owner_user_id;
    let office = role.is_some_and(|r| is_office(r, case));
    let handler = is_owner || office;
    let need = |ok: bool, why: &'static str| if ok { Ok(()) } else { Err(Refusal::NotAllowed(why)) };
    const HANDLER_ONLY: &str =
        "只有承办人或办公室可以办理 / only the case's handler or the office may do this";

    let same = |event| Ok(Transition { to: s, event });
    match cmd {
        Command::OfferHandover { to_user_id } => {
            need(handler, HANDLER_ONLY)?;
            if Some(*to_user_id) == case.owner_user_id {
                return Err(Refusal::NotAllowed("案件已由此人承办 / the case is already theirs"));
            }
            if case.subject_user_ids.contains(to_user_id) {
                return Err(Refusal::NotAllowed(
                    "不得将案件移交给被投诉人 / a case is never handed to the person it is about",
                ));
            }
            same(EventKind::CaseHandoverOffered)
        }
        Command::AcceptHandover | Command::DeclineHandover => {
            need(
                case.pending_owner_user_id.is_some() && user_id == case.pending_owner_user_id,
                "只有被移交人可以接收或拒绝 / only the person it was handed to may accept or decline",
            )?;
            match (cmd, s) {
                (Command::AcceptHandover, Registered) => {
                    Ok(Transition { to: Assigned, event: EventKind::CaseHandoverAccepted })
                }
                (Command::AcceptHandover, _) => same(EventKind::CaseHandoverAccepted),
                _ => same(EventKind::CaseHandoverDeclined),
            }
        }
        Command::StartInvestigation => {
            need(handler, HANDLER_ONLY)?;
            match s {
                Registered | Assigned => {
                    Ok(Transition { to: Investigating, event: EventKind::CaseInvestigationStarted })
                }
                _ => Err(wrong()),
            }
        }
        Command::Conclude(_) => {
            need(handler, HANDLER_ONLY)?;
            match s {
                Investigating => Ok(Transition { to: Concluded, event: EventKind::CaseConcluded }),
                _ => Err(wrong()),
            }
        }
        Command::Reply => {
            need(handler, HANDLER_ONLY)?;
            match s {
                Concluded => Ok(Transition { to: Replied, event: EventKind::CaseReplied }),
                _ => Err(wrong()),
            }
        }
        Command::Callback(sat) => {
            need(
                matches!(actor, Actor::Reporter) || office,
                "回访由投诉人或办公室记录 / the reporter or the office records a callback",
            )?;
            match (s, sat) {
                (Replied, Satisfaction::Dissatisfied) => {
                    Ok(Transition { to: Investigating, event: EventKind::CaseReopened })
                }
                // The reporter's own "satisfied" closes the loop; a callback
                // the office records is reviewed before the office closes.
                (Replied, _) if matches!(actor, Actor::Reporter) => {
                    Ok(Transition { to: Closed, event: EventKind::CaseCalledBack })
                }
                (Replied, _) => Ok(Transition { to: CalledBack, event: EventKind::CaseCalledBack }),
                _ => Err(wrong()),
            }
        }
        Command::Close => {
            need(office, "只有办公室可以办结案件 / only the office closes cases")?;
            match s {
                CalledBack => Ok(Transition { to: Closed, event: EventKind::CaseClosed }),
                // Praise, suggestions and the like need no callback once answered;
                // a reporter who cannot be reached is closed from here too.
                Replied => Ok(Transition { to: Closed, event: EventKind::CaseClosed }),
                _ => Err(wrong()),
            }
        }
        Command::Transfer => {
            need(handler, HANDLER_ONLY)?;
            same(EventKind::CaseTransferred)
        }
        Command::Withdraw => {
            need(
                matches!(actor, Actor::Reporter) || office,
                "只有投诉人可以撤回 / only the reporter may withdraw",
            )?;
            Ok(Transition { to: Withdrawn, event: EventKind::CaseWithdrawn })
        }
        Command::UndoWithdrawal => {
            need(
                matches!(actor, Actor::Reporter),
                "只有投诉人可以撤销撤回 / only the reporter may undo a withdrawal",
            )?;
            if s != Withdrawn {
                return Err(wrong());
            }
            match case.undoable_withdrawal {
                Some(to) => Ok(Transition { to, event: EventKind::CaseReinstated }),
                None => Err(Refusal::NotAllowed(
                    "撤回已超过 24 小时或不是投诉人本人撤回，不能撤销 / the withdrawal can no longer be undone",
                )),
            }
        }
        Command::MergeInto => {
            need(office, "只有办公室可以合并案件 / only the office merges cases")?;
            Ok(Transition { to: Merged, event: EventKind::CaseMerged })
        }
        Command::RequestExtension => {
            need(handler, HANDLER_ONLY)?;
            if case.extension_requested {
                return Err(Refusal::NotAllowed(
                    "延期申请正在审批 / an extension is already waiting for approval",
                ));
            }
            same(EventKind::CaseExtensionRequested)
        }
        Command::DecideExtension { approve } => {
            // A complaint about a leader: the discipline body decides, not the leaders.
            let approver = if case.about_leader { Role::Discipline } else { Role::Leader };
            need(role == Some(approver), "延期须由领导审批 / only a leader approves extensions")?;
            if !case.extension_requested {
                return Err(Refusal::NotAllowed("没有待审批的延期申请 / no extension is waiting"));
            }
            same(if *approve { EventKind::CaseExtensionApproved } else { EventKind::CaseExtensionRejected })
        }
        Command::AddNote => {
            need(handler || role.is_some(), HANDLER_ONLY)?;
            same(EventKind::CaseNoteAdded)
        }
    }
}

impl_labelled!(State);

#[cfg(test)]
mod tests {
    use super::*;

    fn case(state: State) -> CaseView {
        CaseView {
            state,
            owner_user_id: Some(UserId::new(1)),
            pending_owner_user_id: None,
            extension_requested: false,
            subject_user_ids: vec![],
            about_leader: false,
            undoable_withdrawal: None,
        }
    }

    #[test]
    fn a_reporter_undoes_their_withdrawal_within_the_window_only() {
        let reporter = Actor::Reporter;
        let withdrawn =
            CaseView { undoable_withdrawal: Some(State::Investigating), ..case(State::Withdrawn) };
        assert_eq!(
            decide(&withdrawn, reporter, &Command::UndoWithdrawal),
            Ok(Transition { to: State::Investigating, event: EventKind::CaseReinstated }),
            "back to where it was"
        );
        assert!(
            matches!(
                decide(&case(State::Withdrawn), reporter, &Command::UndoWithdrawal),
                Err(Refusal::NotAllowed(_))
            ),
            "the window has passed"
        );
        assert!(decide(&withdrawn, OFFICE, &Command::UndoWithdrawal).is_err(), "only the reporter");
        assert!(matches!(
            decide(&case(State::Investigating), reporter, &Command::UndoWithdrawal),
            Err(Refusal::WrongState { .. })
        ));
    }

    #[test]
    fn the_person_a_complaint_is_about_never_acts_on_it_nor_is_handed_it() {
        // User 2 is an office clerk who is also the subject.
        let about_office = CaseView { subject_user_ids: vec![UserId::new(2)], ..case(State::Investigating) };
        for cmd in [Command::AddNote, conclusion(), Command::StartInvestigation, Command::Close] {
            assert!(matches!(decide(&about_office, OFFICE, &cmd), Err(Refusal::NotAllowed(SUBJECT_ACTS))));
        }
        let about_other = CaseView { subject_user_ids: vec![UserId::new(3)], ..case(State::Registered) };
        let offer = Command::OfferHandover { to_user_id: UserId::new(3) };
        assert!(decide(&about_other, OWNER, &offer).is_err(), "never handed to the subject");
        assert!(decide(&about_other, OWNER, &Command::OfferHandover { to_user_id: UserId::new(2) }).is_ok());
    }

    #[test]
    fn the_discipline_body_handles_complaints_about_leaders_and_the_office_does_not() {
        let leader_case = CaseView { owner_user_id: None, about_leader: true, ..case(State::Registered) };
        let discipline = Actor::User { id: UserId::new(8), role: Role::Discipline };
        assert!(decide(&leader_case, discipline, &Command::StartInvestigation).is_ok());
        assert!(decide(&leader_case, OFFICE, &Command::StartInvestigation).is_err());
        let ordinary = CaseView { owner_user_id: None, ..case(State::Registered) };
        assert!(decide(&ordinary, discipline, &Command::StartInvestigation).is_err());
    }

    const OWNER: Actor = Actor::User { id: UserId::new(1), role: Role::Staff };
    const OFFICE: Actor = Actor::User { id: UserId::new(2), role: Role::Office };
    const OTHER: Actor = Actor::User { id: UserId::new(3), role: Role::Staff };

    fn conclusion() -> Command {
        Command::Conclude(Conclusion {
            finding: Finding::Substantiated,
            responsibility: Responsibility::Ours,
            apology_made: true,
            summary: "收费员态度生硬".into(),
        })
    }

    #[test]
    fn the_happy_path_runs_from_registration_to_closing() {
        let mut c = case(State::Registered);
        for (actor, cmd, to) in [
            (OWNER, Command::StartInvestigation, State::Investigating),
            (OWNER, conclusion(), State::Concluded),
            (OWNER, Command::Reply, State::Replied),
            (OFFICE, Command::Callback(Satisfaction::Satisfied), State::CalledBack),
            (OFFICE, Command::Close, State::Closed),
        ] {
            c.state = decide(&c, actor, &cmd).unwrap().to;
            assert_eq!(c.state, to);
        }
    }

    #[test]
    fn the_reporters_satisfied_callback_closes_the_case() {
        let t =
            decide(&case(State::Replied), Actor::Reporter, &Command::Callback(Satisfaction::Basic)).unwrap();
        assert_eq!((t.to, t.event), (State::Closed, EventKind::CaseCalledBack));
    }

    #[test]
    fn a_dissatisfied_callback_reopens_the_case() {
        let t =
            decide(&case(State::Replied), Actor::Reporter, &Command::Callback(Satisfaction::Dissatisfied))
                .unwrap();
        assert_eq!((t.to, t.event), (State::Investigating, EventKind::CaseReopened));
    }

    #[test]
    fn a_refused_transition_says_why() {
        let e = decide(&case(State::Registered), OWNER, &Command::Reply).unwrap_err();
        assert_eq!(e, Refusal::WrongState { state: State::Registered, command: "replied" });
        assert!(e.to_string().contains("已受理"));
        assert!(matches!(
            decide(&case(State::Investigating), OTHER, &conclusion()),
            Err(Refusal::NotAllowed(_))
        ));
        assert!(decide(&case(State::Closed), OFFICE, &Command::Withdraw).is_err(), "closed is final");
    }

    #[test]
    fn only_the_receiver_accepts_a_handover_and_the_case_stays_until_then() {
        let mut c = case(State::Registered);
        decide(&c, OWNER, &Command::OfferHandover { to_user_id: UserId::new(3) }).unwrap();
        c.pending_owner_user_id = Some(UserId::new(3));
        assert!(decide(&c, OFFICE, &Command::AcceptHandover).is_err());
        assert_eq!(decide(&c, OTHER, &Command::AcceptHandover).unwrap().to, State::Assigned);
        // Until acceptance the sender still handles it.
        assert!(decide(&c, OWNER, &Command::StartInvestigation).is_ok());
    }

    #[test]
    fn only_a_leader_decides_an_extension() {
        let mut c = case(State::Investigating);
        c.extension_requested = true;
        assert!(decide(&c, OFFICE, &Command::DecideExtension { approve: true }).is_err());
        let leader = Actor::User { id: UserId::new(9), role: Role::Leader };
        assert_eq!(
            decide(&c, leader, &Command::DecideExtension { approve: true }).unwrap().event,
            EventKind::CaseExtensionApproved
        );
    }
}
