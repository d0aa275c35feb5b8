//! The ledger part of a pack: the codebook of service rules (SPEC STD-1),
//! who decides on the ledger and the rules that propose entries (LED-2/3),
//! and the rectification deadline of inspections (INS-3).

use serde::Deserialize;

use super::{Pack, PolicyError};
use crate::Role;
use crate::calendar::Span;
use crate::ledger::{
    AttendanceKind, Count, CountOf, EntryKind, FactKind, LedgerRule, Period, Proposal, Repeat, Severity,
    Target,
};

/// One rule of the codebook (SPEC STD-1).
#[derive(Debug, Clone)]
pub struct CodebookRule {
    pub code: String,
    pub title: String,
    /// 文明用语, 仪容仪表, 操作规程, 行车规范, 服务设施, 廉洁 …
    pub category: String,
    pub severity: Severity,
    /// What breaking it usually costs, in words.
    pub consequence: String,
}

/// Who decides on the ledger and the rules that propose entries (LED-2/3).
#[derive(Debug, Clone)]
pub struct LedgerPolicy {
    /// Roles that approve proposed entries (never the proposer).
    pub approvers: Vec<Role>,
    /// Roles that decide appeals.
    pub appeal_deciders: Vec<Role>,
    /// How long after approval the person concerned may appeal.
    pub appeal_window: Span,
    /// Entries (proposed or approved) that make a person ineligible for
    /// awards in their calendar year.
    pub ineligible_by: Vec<EntryKind>,
    pub rules: Vec<LedgerRule>,
}

/// Inspections (SPEC INS-3).
#[derive(Debug, Clone)]
pub struct InspectionPolicy {
    /// How long a unit has to rectify a failed item.
    pub rectification: Span,
}

impl Pack {
    pub fn codebook_rule(&self, code: &str) -> Option<&CodebookRule> {
        self.codebook.iter().find(|r| r.code == code)
    }
}

impl LedgerPolicy {
    pub fn may_approve(&self, role: Role) -> bool {
        self.approvers.contains(&role)
    }

    pub fn may_decide_appeals(&self, role: Role) -> bool {
        self.appeal_deciders.contains(&role)
    }
}

// ---- the file format (see docs/POLICY.md) ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CodebookFile {
    code: String,
    title: String,
    category: String,
    severity: Severity,
    consequence: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct LedgerFile {
    approvers: Vec<Role>,
    appeal_deciders: Vec<Role>,
    appeal_window: String,
    ineligible_by: Vec<EntryKind>,
    rules: Vec<RuleFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct RuleFile {
    code: String,
    title: String,
    #[serde(default)]
    source: String,
    #[serde(default)]
    on: Vec<FactKind>,
    on_entry: Option<EntryKind>,
    #[serde(default)]
    severity: Vec<Severity>,
    #[serde(default)]
    detail: Vec<AttendanceKind>,
    count: Option<CountFile>,
    propose: Vec<ProposalFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CountFile {
    period: Period,
    at_least: u32,
    repeat: Repeat,
    #[serde(default)]
    of: CountOf,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct ProposalFile {
    kind: EntryKind,
    to: Target,
    fine: Option<String>,
    #[serde(default)]
    choices: Vec<EntryKind>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct InspectionsFile {
    pub(super) rectification: String,
}

pub(super) fn parse_codebook(
    file: &str,
    text: &str,
    raw: Vec<CodebookFile>,
) -> Result<Vec<CodebookRule>, PolicyError> {
    let mut codebook: Vec<CodebookRule> = Vec::new();
    for r in raw {
        if codebook.iter().any(|x| x.code == r.code) {
            return Err(PolicyError::at(
                file,
                text,
                &format!("\"{}\"", r.code),
                format!("codebook rule {} is defined twice", r.code),
            ));
        }
        codebook.push(CodebookRule {
            code: r.code,
            title: r.title,
            category: r.category,
            severity: r.severity,
            consequence: r.consequence,
        });
    }
    Ok(codebook)
}

pub(super) fn parse_ledger(
    file: &str,
    text: &str,
    l: LedgerFile,
    span: &dyn Fn(&str, &str) -> Result<Span, PolicyError>,
) -> Result<LedgerPolicy, PolicyError> {
    let err = |needle: &str, reason: String| PolicyError::at(file, text, needle, reason);
    for (key, roles) in [("approvers", &l.approvers), ("appeal_deciders", &l.appeal_deciders)] {
        if roles.is_empty() {
            return Err(err(key, format!("{key} must name at least one role")));
        }
        if let Some(r) = roles.iter().find(|r| matches!(r, Role::Staff | Role::Supervisor)) {
            return Err(err(key, format!("{key}: {} may not decide on the ledger", r.as_str())));
        }
    }
    let mut rules: Vec<LedgerRule> = Vec::new();
    for r in l.rules {
        let at = format!("\"{}\"", r.code);
        if rules.iter().any(|x| x.code == r.code) {
            return Err(err(&at, format!("ledger rule {} is defined twice", r.code)));
        }
        if r.on.is_empty() == r.on_entry.is_none() {
            return Err(err(&at, format!("ledger rule {}: give either on (facts) or on_entry", r.code)));
        }
        if r.on_entry.is_some() && r.count.is_none() {
            return Err(err(&at, format!("ledger rule {}: on_entry needs a count", r.code)));
        }
        if r.on_entry.is_none() && r.count.as_ref().is_some_and(|c| c.of == CountOf::Entries) {
            return Err(err(
                &at,
                format!("ledger rule {}: of = \"entries\" is for rules on entries", r.code),
            ));
        }
        if r.propose.is_empty() {
            return Err(err(&at, format!("ledger rule {} proposes nothing", r.code)));
        }
        let mut propose = Vec::new();
        for p in r.propose {
            let fine = match (&p.fine, p.kind) {
                (Some(v), EntryKind::Fine) => Some(crate::Fen::parse_yuan_range(v).ok_or_else(|| {
                    err(
                        &format!("\"{v}\""),
                        format!("fine: \"{v}\" is not an amount in yuan like 200 or 200-500"),
                    )
                })?),
                (None, EntryKind::Fine) => {
                    return Err(err(&at, format!("ledger rule {}: a fine needs an amount", r.code)));
                }
                (Some(_), k) => {
                    return Err(err(&at, format!("ledger rule {}: {} carries no fine", r.code, k.as_str())));
                }
                (None, _) => None,
            };
            if p.kind.is_merit() || p.choices.iter().any(|k| k.is_merit()) {
                return Err(err(&at, format!("ledger rule {}: rules propose discipline, not merit", r.code)));
            }
            if r.on_entry.is_some() && p.to != Target::Unit {
                return Err(err(
                    &at,
                    format!("ledger rule {}: rules on entries propose to the unit", r.code),
                ));
            }
            propose.push(Proposal { kind: p.kind, to: p.to, fine, choices: p.choices });
        }
        rules.push(LedgerRule {
            code: r.code,
            title: r.title,
            source: r.source,
            on: r.on,
            on_entry: r.on_entry,
            severity: r.severity,
            detail: r.detail,
            count: r.count.map(|c| Count {
                period: c.period,
                at_least: c.at_least.max(1),
                repeat: c.repeat,
                of: c.of,
            }),
            propose,
        });
    }
    Ok(LedgerPolicy {
        approvers: l.approvers,
        appeal_deciders: l.appeal_deciders,
        appeal_window: span("appeal_window", &l.appeal_window)?,
        ineligible_by: l.ineligible_by,
        rules,
    })
}
