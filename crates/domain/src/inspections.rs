//! Inspections and mystery visits (SPEC INS-1..4): the words, and the few
//! rules about who may do what with a rectification order.

use crate::FieldError;
use crate::policy::{Pack, Rules};

labelled_enum!(
    /// Routine or special inspection (INS-1).
    InspectionKind {
        Routine = "routine", "日常督查", "Routine inspection";
        Special = "special", "专项督查", "Special inspection";
    }
);

labelled_enum!(
    /// Open inspection or secret (mystery) visit.
    InspectionMode {
        Open = "open", "明查", "Open";
        Secret = "secret", "暗访", "Secret visit";
    }
);

labelled_enum!(
    /// What was inspected (INS-2).
    TargetKind {
        Unit = "unit", "单位/班组", "Unit or team";
        Staff = "staff", "员工", "Staff member";
        Vehicle = "vehicle", "车辆", "Vehicle";
        ServicePoint = "service_point", "服务点", "Service point";
    }
);

labelled_enum!(
    /// The result of one checklist item.
    ItemResult {
        Pass = "pass", "合格", "Pass";
        Fail = "fail", "不合格", "Fail";
        NotApplicable = "na", "不适用", "Not applicable";
    }
);

labelled_enum!(
    /// A rectification order 限期整改 (INS-3).
    RectificationState {
        Open = "open", "整改中", "Being rectified";
        Reported = "reported", "已报整改完成", "Reported done";
        Verified = "verified", "已验收", "Verified";
    }
);

labelled_enum!(
    /// The leading group's decision on a supervisor's written report (INS-4).
    ReportOutcome {
        Adopted = "adopted", "采纳", "Adopted";
        Partly = "partly", "部分采纳", "Partly adopted";
        NotAdopted = "not_adopted", "不予采纳", "Not adopted";
    }
);

/// What may happen to a rectification order in a state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RectificationStep {
    /// The unit reports the problem fixed.
    Report,
    /// The inspector accepts the fix.
    Accept,
    /// The inspector finds it not fixed; the order reopens.
    Reject,
}

impl RectificationState {
    /// The state after `step`, or `None` when the step is not allowed now.
    pub fn after(self, step: RectificationStep) -> Option<RectificationState> {
        use RectificationState::*;
        use RectificationStep::*;
        match (self, step) {
            (Open, Report) => Some(Reported),
            (Reported, Accept) => Some(Verified),
            (Reported, Reject) => Some(Open),
            _ => None,
        }
    }
}

/// One checked item of a visit, as the rules read it.
#[derive(Debug, Clone, Copy)]
pub struct Finding<'a> {
    pub rule_code: &'a str,
    pub result: ItemResult,
    pub note: &'a str,
}

/// Checks a visit's findings against the codebook: at least one item, each
/// a known rule checked once, a failed one described (its words become
/// the rectification order and the ledger fact), nothing overlong, and a
/// visit that is not in the future. Answers every problem at once.
pub fn check_visit(
    pack: &Pack,
    items: &[Finding<'_>],
    summary: &str,
    visited_at: i64,
    now: i64,
) -> Result<(), Vec<FieldError>> {
    if items.is_empty() {
        return Err(vec![FieldError::new("items", "请至少检查一项 / check at least one item")]);
    }
    let mut errors = vec![];
    for (i, item) in items.iter().enumerate() {
        let at = |what: &str| format!("items[{i}].{what}");
        if pack.codebook_rule(item.rule_code).is_none() {
            errors.push(FieldError::new(at("rule_code"), "规范条款不存在 / no such codebook rule"));
        }
        if item.result == ItemResult::Fail && item.note.trim().is_empty() {
            errors.push(FieldError::new(at("note"), "不合格项须写明情况 / describe what failed"));
        }
        if item.note.chars().count() > 2000 {
            errors.push(FieldError::new(at("note"), "说明过长 / the note is too long"));
        }
        if items[..i].iter().any(|x| x.rule_code == item.rule_code) {
            errors.push(FieldError::new(at("rule_code"), "同一项目重复 / the item appears twice"));
        }
    }
    if summary.chars().count() > 4000 {
        errors.push(FieldError::new("summary", "过长 / too long"));
    }
    if errors.is_empty() && visited_at > now + 60_000 {
        errors
            .push(FieldError::new("visited_at", "检查时间不能晚于现在 / the visit cannot be in the future"));
    }
    if errors.is_empty() { Ok(()) } else { Err(errors) }
}

/// The rectification order a failed item gives its unit (SPEC INS-3):
/// what to fix, in the codebook's words and the inspector's, and by when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Order {
    pub rule_code: String,
    pub description: String,
    pub due_at: i64,
}

/// The order for a failed item of a known rule, due after the pack's
/// rectification span; `None` for an unknown rule (refused by
/// [`check_visit`] before).
pub fn rectification_order(item: &Finding<'_>, rules: Rules<'_>, now: i64) -> Option<Order> {
    let rule = rules.pack.codebook_rule(item.rule_code)?;
    Some(Order {
        rule_code: rule.code.clone(),
        description: format!("{} {}：{}", rule.code, rule.title, item.note.trim()),
        due_at: rules.pack.inspections.rectification.after(rules.calendar, now),
    })
}

/// What the shift leaders of the unit are told of an order.
pub fn order_notice(o: &Order) -> String {
    format!("检查发现问题，请限期整改：{} / a rectification order was issued", o.description)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn toll() -> Pack {
        Pack::parse("toll.toml", include_str!("../../../policy/toll.toml")).unwrap()
    }

    #[test]
    fn a_visit_is_refused_with_every_problem_of_its_items_at_once() {
        let pack = toll();
        let code = pack.codebook[0].code.as_str();
        let fail = Finding { rule_code: code, result: ItemResult::Fail, note: " " };
        let unknown = Finding { rule_code: "nope", result: ItemResult::Pass, note: "" };
        let errors = check_visit(&pack, &[fail, unknown, fail], "", 0, 0).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["items[0].note", "items[1].rule_code", "items[2].note", "items[2].rule_code"]);
        assert_eq!(check_visit(&pack, &[], "", 0, 0).unwrap_err()[0].field, "items");
        let ok = Finding { rule_code: code, result: ItemResult::Fail, note: "未使用文明用语" };
        assert!(check_visit(&pack, &[ok], "", 0, 0).is_ok());
        assert_eq!(check_visit(&pack, &[ok], "", 120_000, 0).unwrap_err()[0].field, "visited_at");
    }

    #[test]
    fn a_failed_item_orders_a_rectification_due_after_the_packs_span() {
        let pack = toll();
        let cal = crate::calendar::Calendar::parse(
            "cn-2026.toml",
            include_str!("../../../policy/calendar/cn-2026.toml"),
        )
        .unwrap();
        let rule = &pack.codebook[0];
        let item =
            Finding { rule_code: &rule.code, result: ItemResult::Fail, note: " 未使用文明用语 " };
        let now = cal.start_of_day_ms(chrono::NaiveDate::from_ymd_opt(2026, 11, 2).unwrap()) + 9 * 3_600_000;
        let o = rectification_order(&item, Rules { pack: &pack, calendar: &cal }, now).unwrap();
        assert_eq!(o.description, format!("{} {}：未使用文明用语", rule.code, rule.title));
        assert_eq!(o.due_at, pack.inspections.rectification.after(&cal, now));
        assert!(o.due_at > now);
        assert!(order_notice(&o).contains(&o.description));
    }

    #[test]
    fn a_rectification_is_verified_only_after_it_was_reported() {
        use RectificationState::*;
        use RectificationStep::*;
        assert_eq!(Open.after(Accept), None);
        assert_eq!(Open.after(Report), Some(Reported));
        assert_eq!(Reported.after(Reject), Some(Open));
        assert_eq!(Reported.after(Accept), Some(Verified));
        assert_eq!(Verified.after(Report), None);
    }
}
