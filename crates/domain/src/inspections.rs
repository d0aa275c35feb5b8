//! Inspections and mystery visits (SPEC INS-1..4): the words, and the few
//! rules about who may do what with a rectification order.

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

#[cfg(test)]
mod tests {
    use super::*;

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
