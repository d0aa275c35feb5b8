//! What a recorded fact is checked against, and the words that explain a
//! proposed entry (SPEC LED-2/3): every proposal says which rule, which
//! period and which facts or entries made it, so that the person it is
//! about and the leader who decides can both follow it.

use super::{CountOf, EntryKind, FactKind, LedgerRule, Severity};
use crate::policy::{Pack, Rules};
use crate::{FieldError, ledger::AttendanceKind};

/// The severity a fact is recorded with: a named codebook rule's, or the
/// one given. Refuses an unknown rule, an attendance fact without its kind
/// (or another fact with one) and an overlong note.
pub fn fact_severity(
    pack: &Pack,
    kind: FactKind,
    rule_code: Option<&str>,
    given: Option<Severity>,
    detail: Option<AttendanceKind>,
    note: &str,
) -> Result<Option<Severity>, FieldError> {
    let severity = match rule_code {
        Some(code) => Some(
            pack.codebook_rule(code)
                .ok_or_else(|| {
                    FieldError::new("rule_code", format!("规范条款 {code} 不存在 / no codebook rule {code}"))
                })?
                .severity,
        ),
        None => given,
    };
    if (kind == FactKind::Attendance) != detail.is_some() {
        return Err(FieldError::new(
            "detail",
            "考勤记录须注明迟到、早退或擅离岗位 / attendance needs its kind",
        ));
    }
    if note.trim().chars().count() > 2000 {
        return Err(FieldError::new("note", "说明过长 / the note is too long"));
    }
    Ok(severity)
}

/// "Rule «…» (seed 001 八(一)): 2nd violation in 2026 — facts #12, #30."
/// `facts` are `(id, occurred_at)`.
pub fn on_facts(rule: &LedgerRule, kind: FactKind, facts: &[(i64, i64)], rules: Rules<'_>) -> String {
    let list: Vec<String> = facts
        .iter()
        .map(|(id, at)| format!("#{id}（{}）", rules.calendar.local_date(*at).format("%Y-%m-%d")))
        .collect();
    let source = if rule.source.is_empty() { String::new() } else { format!("（{}）", rule.source) };
    match rule.count {
        Some(c) => format!(
            "规则「{}」{source}：{}内第 {} 次{}，事实 {}",
            rule.title,
            c.period.label_zh(),
            facts.len(),
            kind.label_zh(),
            list.join("、")
        ),
        None => format!("规则「{}」{source}：{}，事实 {}", rule.title, kind.label_zh(), list.join("、")),
    }
}

/// An entry proposed against a unit's manager says so, or why the unit
/// itself carries it.
pub fn to_manager(explanation: &str, has_manager: bool) -> String {
    let tail = if has_manager {
        "；追究所在部门负责人责任"
    } else {
        "；所在部门未设负责人，记入部门"
    };
    format!("{explanation}{tail}")
}

/// "Rule «…» (source): 2026-11 本部门 3 人被效能告诫 (entries #4, #9, #12)":
/// a rule on entries, counting `entries` (one per person or per entry).
pub fn on_entries(rule: &LedgerRule, kind: EntryKind, key: &str, of: CountOf, entries: &[i64]) -> String {
    let counted = match of {
        CountOf::People => format!("{} 人", entries.len()),
        CountOf::Entries => format!("累计 {} 人次", entries.len()),
    };
    let ids: Vec<String> = entries.iter().map(|e| format!("#{e}")).collect();
    format!(
        "规则「{}」（{}）：{key} 本部门{counted}被{}（台账 {}）",
        rule.title,
        rule.source,
        kind.label_zh(),
        ids.join("、")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::calendar::Calendar;

    fn toll() -> Pack {
        Pack::parse("toll.toml", include_str!("../../../../policy/toll.toml")).unwrap()
    }

    #[test]
    fn a_named_codebook_rule_brings_its_severity_and_an_unknown_one_is_refused() {
        let pack = toll();
        let rule = &pack.codebook[0];
        let got =
            fact_severity(&pack, FactKind::Violation, Some(&rule.code), Some(Severity::Grave), None, "");
        assert_eq!(got, Ok(Some(rule.severity)));
        assert_eq!(
            fact_severity(&pack, FactKind::Violation, None, Some(Severity::Grave), None, ""),
            Ok(Some(Severity::Grave))
        );
        let err = fact_severity(&pack, FactKind::Violation, Some("nope"), None, None, "").unwrap_err();
        assert_eq!(err.field, "rule_code");
    }

    #[test]
    fn attendance_needs_its_kind_and_only_attendance_has_one() {
        let pack = toll();
        assert_eq!(
            fact_severity(&pack, FactKind::Attendance, None, None, None, "").unwrap_err().field,
            "detail"
        );
        let late = Some(AttendanceKind::Late);
        assert!(fact_severity(&pack, FactKind::Attendance, None, None, late, "").is_ok());
        assert_eq!(
            fact_severity(&pack, FactKind::Violation, None, None, late, "").unwrap_err().field,
            "detail"
        );
        let long = "长".repeat(2001);
        assert_eq!(
            fact_severity(&pack, FactKind::Violation, None, None, None, &long).unwrap_err().field,
            "note"
        );
    }

    #[test]
    fn an_explanation_names_the_rule_the_period_and_the_facts() {
        let pack = toll();
        let cal = Calendar::parse("cn-2026.toml", include_str!("../../../../policy/calendar/cn-2026.toml"))
            .unwrap();
        let rule = pack.ledger.rules.iter().find(|r| r.count.is_some()).unwrap();
        let at = cal.start_of_day_ms(chrono::NaiveDate::from_ymd_opt(2026, 11, 3).unwrap()) + 3_600_000;
        let text =
            on_facts(rule, FactKind::Violation, &[(12, at), (30, at)], Rules { pack: &pack, calendar: &cal });
        assert!(text.starts_with(&format!("规则「{}」", rule.title)), "{text}");
        assert!(text.contains("第 2 次") && text.contains("#12（2026-11-03）、#30（2026-11-03）"), "{text}");
        assert!(to_manager("x", false).ends_with("所在部门未设负责人，记入部门"));
        let e = on_entries(rule, EntryKind::Violation, "2026-11", CountOf::People, &[4, 9]);
        assert!(e.contains("2026-11 本部门2 人被") && e.ends_with("（台账 #4、#9）"), "{e}");
    }
}
