//! Approving or rejecting a proposed ledger entry (SPEC LED-3), decided
//! without a database: who may, which kind and amount, and what follows.

use super::{EntryKind, EntryStatus};
use crate::access::about_themselves;
use crate::{Fen, FieldError, StaffId, UserId};

/// What a leader decides about a proposed entry.
#[derive(Debug, Clone)]
pub struct EntryDecision {
    pub approve: bool,
    /// One of the kinds offered (default: as proposed).
    pub kind: Option<EntryKind>,
    /// Within the proposed range.
    pub amount: Option<Fen>,
    pub note: String,
}

/// The proposed entry, as the decision reads it.
#[derive(Debug, Clone)]
pub struct Proposed {
    pub status: EntryStatus,
    /// The kind proposed.
    pub kind: Option<EntryKind>,
    /// The kinds the leader may choose from (the proposed one first).
    pub choices: Vec<EntryKind>,
    /// The fine's range in fen, when a fine is among the choices.
    pub fine_min: Option<Fen>,
    pub fine_max: Option<Fen>,
    pub staff_id: Option<StaffId>,
    pub proposer_user_id: Option<UserId>,
}

/// Who decides.
#[derive(Debug, Clone, Copy)]
pub struct Decider {
    pub user_id: UserId,
    pub staff_id: Option<StaffId>,
    /// The pack names their role among the approvers.
    pub may_approve: bool,
}

/// Why a decision is refused.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// Not this person (HTTP 403).
    NotAllowed(&'static str),
    /// Already decided (HTTP 409).
    Decided,
    /// A value is wrong (HTTP 422).
    Invalid(FieldError),
}

/// What the decision does.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decided {
    pub status: EntryStatus,
    pub kind: Option<EntryKind>,
    /// The fine, due from now.
    pub fine: Option<Fen>,
    pub note: String,
    /// A rejected violation voids the facts it came from: the same facts
    /// must not count again towards the next rule.
    pub void_facts: bool,
    /// What the person concerned is told.
    pub notice: Option<String>,
}

/// Approves or rejects `e`; never by its proposer, nor about the decider.
pub fn decide(e: &Proposed, by: Decider, d: &EntryDecision) -> Result<Decided, Refusal> {
    if !by.may_approve {
        return Err(Refusal::NotAllowed(
            "您的角色不能审批台账条目 / your role may not approve ledger entries",
        ));
    }
    if let Some(why) = about_themselves(by.staff_id, e.staff_id) {
        return Err(Refusal::NotAllowed(why));
    }
    if e.status != EntryStatus::Proposed {
        return Err(Refusal::Decided);
    }
    if e.proposer_user_id == Some(by.user_id) {
        return Err(Refusal::NotAllowed("不能审批自己提出的条目 / you may not approve what you proposed"));
    }
    let invalid = |field: &str, message: String| Refusal::Invalid(FieldError::new(field, message));
    let note = d.note.trim().to_string();
    if note.chars().count() > 2000 {
        return Err(invalid("note", "说明过长 / the note is too long".into()));
    }
    if !d.approve {
        if note.is_empty() {
            return Err(invalid("note", "不批准须说明理由 / give a reason for rejecting".into()));
        }
        let void_facts = e.kind == Some(EntryKind::Violation);
        return Ok(Decided {
            status: EntryStatus::Rejected,
            kind: None,
            fine: None,
            note,
            void_facts,
            notice: None,
        });
    }
    let kind = d.kind.unwrap_or(e.kind.unwrap_or(EntryKind::Violation));
    if !e.choices.contains(&kind) {
        return Err(invalid("kind", "只能在提议的处理方式中选择 / choose one of the proposed kinds".into()));
    }
    let fine = if kind == EntryKind::Fine {
        let (min, max) = (e.fine_min.unwrap_or(Fen::ZERO), e.fine_max.unwrap_or(Fen::ZERO));
        let range = format!("{min}–{max}");
        let a = d.amount.or((min == max).then_some(min)).ok_or_else(|| {
            invalid("amount", format!("请在 {range} 元之间确定罚款金额 / choose the amount"))
        })?;
        if a < min || a > max || a <= Fen::ZERO {
            return Err(invalid(
                "amount",
                format!("罚款须在 {range} 元之间 / the fine must be within the range"),
            ));
        }
        Some(a)
    } else {
        None
    };
    let notice = e.staff_id.map(|_| {
        format!(
            "您的台账新增一条「{}」，如有异议可申诉 / a ledger entry about you took effect",
            kind.label_zh()
        )
    });
    Ok(Decided { status: EntryStatus::Approved, kind: Some(kind), fine, note, void_facts: false, notice })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn fine(min: i64, max: i64) -> Proposed {
        let (min, max) = (Fen::new(min), Fen::new(max));
        Proposed {
            status: EntryStatus::Proposed,
            kind: Some(EntryKind::Fine),
            choices: vec![EntryKind::Fine, EntryKind::Criticism],
            fine_min: Some(min),
            fine_max: Some(max),
            staff_id: Some(StaffId::new(5)),
            proposer_user_id: Some(UserId::new(2)),
        }
    }

    const LEADER: Decider =
        Decider { user_id: UserId::new(9), staff_id: Some(StaffId::new(90)), may_approve: true };

    fn approve(amount: Option<i64>) -> EntryDecision {
        EntryDecision { approve: true, kind: None, amount: amount.map(Fen::new), note: String::new() }
    }

    #[test]
    fn nobody_approves_what_they_proposed_or_what_is_about_them_or_twice() {
        let proposer = Decider { user_id: UserId::new(2), ..LEADER };
        assert!(matches!(decide(&fine(5000, 5000), proposer, &approve(None)), Err(Refusal::NotAllowed(_))));
        let subject = Decider { staff_id: Some(StaffId::new(5)), ..LEADER };
        assert!(matches!(decide(&fine(5000, 5000), subject, &approve(None)), Err(Refusal::NotAllowed(_))));
        let office = Decider { may_approve: false, ..LEADER };
        assert!(matches!(decide(&fine(5000, 5000), office, &approve(None)), Err(Refusal::NotAllowed(_))));
        let done = Proposed { status: EntryStatus::Approved, ..fine(5000, 5000) };
        assert_eq!(decide(&done, LEADER, &approve(None)), Err(Refusal::Decided));
    }

    #[test]
    fn a_fine_is_fixed_within_the_rules_range_in_fen() {
        // seed 001: 罚款 50–200 元.
        let e = fine(5000, 20000);
        let Err(Refusal::Invalid(err)) = decide(&e, LEADER, &approve(None)) else {
            panic!("a range needs an amount")
        };
        assert!(err.message.contains("50.00–200.00"), "{}", err.message);
        assert!(matches!(decide(&e, LEADER, &approve(Some(20001))), Err(Refusal::Invalid(_))));
        let d = decide(&e, LEADER, &approve(Some(10000))).unwrap();
        assert_eq!(
            (d.status, d.kind, d.fine),
            (EntryStatus::Approved, Some(EntryKind::Fine), Some(Fen::new(10000)))
        );
        assert!(d.notice.unwrap().contains("罚款"));
        // A fixed fine needs no amount.
        assert_eq!(decide(&fine(5000, 5000), LEADER, &approve(None)).unwrap().fine, Some(Fen::new(5000)));
        // Another offered kind instead: no fine.
        let other = EntryDecision { kind: Some(EntryKind::Criticism), ..approve(None) };
        assert_eq!(decide(&e, LEADER, &other).unwrap().fine, None);
        let not_offered = EntryDecision { kind: Some(EntryKind::Dismissal), ..approve(None) };
        assert!(matches!(decide(&e, LEADER, &not_offered), Err(Refusal::Invalid(_))));
    }

    #[test]
    fn a_rejection_needs_a_reason_and_a_rejected_violation_voids_its_facts() {
        let violation =
            Proposed { kind: Some(EntryKind::Violation), choices: vec![EntryKind::Violation], ..fine(0, 0) };
        let reject = EntryDecision { approve: false, kind: None, amount: None, note: " ".into() };
        assert!(matches!(decide(&violation, LEADER, &reject), Err(Refusal::Invalid(_))));
        let reject = EntryDecision { note: "监控显示并无此事".into(), ..reject };
        let d = decide(&violation, LEADER, &reject).unwrap();
        assert_eq!((d.status, d.void_facts, d.notice), (EntryStatus::Rejected, true, None));
    }
}
