//! The ledger of discipline and merit (SPEC LED-1..5) and the rules engine
//! that turns facts into **proposed** entries (LED-2).
//!
//! A *fact* is something that happened: a violation of a codebook rule, a
//! substantiated complaint, a failed inspection item, a late arrival. The
//! pack's rules say what each fact leads to — a 200-yuan fine, the loss of
//! award eligibility for the year, an efficiency warning after the fourth
//! late arrival in a month. Rules only *propose*: a person in a role the
//! pack names approves or rejects each entry, and never the proposer.
//!
//! This module is pure: storage counts the facts of a period and asks
//! [`LedgerRule::fires`] whether a rule fires; the explanation of every
//! proposal names the rule and the facts it fired on.

use chrono::{Datelike, NaiveDate};
use serde::Deserialize;

use crate::Fen;
use crate::calendar::Calendar;

pub mod decision;
pub mod explain;

labelled_enum!(
    /// What a ledger entry records (LED-1).
    EntryKind {
        Violation = "violation", "违规", "Violation";
        Fine = "fine", "罚款", "Fine";
        Criticism = "criticism", "通报批评", "Notice of criticism";
        Admonition = "admonition", "约见/诫勉谈话", "Admonition talk";
        Suspension = "suspension", "待岗", "Suspension";
        Dismissal = "dismissal", "解除劳动合同", "Dismissal";
        AwardIneligible = "award_ineligible", "取消评先评优资格", "Loss of award eligibility";
        EfficiencyWarning = "efficiency_warning", "效能告诫", "Efficiency warning";
        CollectiveWarning = "collective_warning", "集体效能告诫", "Collective efficiency warning";
        Commendation = "commendation", "表彰", "Commendation";
        GoodDeed = "good_deed", "好人好事", "Good deed";
    }
);

impl EntryKind {
    /// Merit, not discipline: never the subject of an appeal.
    pub fn is_merit(self) -> bool {
        matches!(self, EntryKind::Commendation | EntryKind::GoodDeed)
    }
}

labelled_enum!(
    /// Where an entry stands. Entries are never edited or deleted: a
    /// decision moves a proposed entry on, and a correction is a reversal
    /// entry that marks the original reversed.
    EntryStatus {
        Proposed = "proposed", "待审批", "Awaiting approval";
        Approved = "approved", "已生效", "Approved";
        Rejected = "rejected", "未批准", "Rejected";
        Reversed = "reversed", "已撤销", "Reversed";
    }
);

labelled_enum!(
    /// The kinds of fact the rules listen to.
    FactKind {
        Violation = "violation", "违反服务规范", "Violation of the service rules";
        ComplaintSubstantiated = "complaint_substantiated", "投诉经查属实", "Substantiated complaint";
        ComplaintMishandled = "complaint_mishandled", "投诉处置不当", "Complaint mishandled";
        DeadlineMissed = "deadline_missed", "超过办理时限未办结", "Handling deadline missed";
        FirstQuestionNeglected = "first_question_neglected", "首问责任未落实", "First-question duty not carried out";
        InspectionFailure = "inspection_failure", "检查不合格", "Failed inspection item";
        Attendance = "attendance", "考勤", "Attendance";
        ExamFailed = "exam_failed", "考试不合格", "Failed exam";
        TrainingMissed = "training_missed", "缺席必修培训", "Required training missed";
    }
);

labelled_enum!(
    /// How serious a breach of a codebook rule is.
    Severity {
        Minor = "minor", "一般", "Minor";
        Serious = "serious", "较重", "Serious";
        Grave = "grave", "严重", "Grave";
    }
);

labelled_enum!(
    /// Attendance and conduct facts (LED-5).
    AttendanceKind {
        Late = "late", "迟到", "Late arrival";
        EarlyLeave = "early_leave", "早退", "Early leave";
        AbsentFromPost = "absent_from_post", "擅离岗位", "Absent from post";
    }
);

labelled_enum!(
    /// Good deeds (好人好事).
    GoodDeedKind {
        LostProperty = "lost_property", "拾金不昧", "Returned lost property";
        Helping = "helping", "助人为乐", "Helping others";
        Bravery = "bravery", "见义勇为", "Bravery";
    }
);

labelled_enum!(
    /// The calendar period a counting rule counts in.
    Period {
        Month = "month", "自然月", "Calendar month";
        Year = "year", "自然年", "Calendar year";
    }
);

labelled_enum!(
    /// Whom a proposal is about.
    Target {
        Subject = "subject", "当事人", "The person concerned";
        Manager = "manager", "所在部门负责人", "The unit's manager";
        Unit = "unit", "所在部门", "The unit";
    }
);

labelled_enum!(
    /// The decision on an appeal (申诉).
    AppealOutcome {
        Upheld = "upheld", "维持原决定", "Decision upheld";
        Granted = "granted", "申诉成立，撤销", "Appeal granted, entry reversed";
    }
);

labelled_enum!(
    /// A fine in the register (LED-4).
    FineStatus {
        Due = "due", "待收缴", "Due";
        WaiverProposed = "waiver_proposed", "免除待确认", "Waiver awaiting a second approver";
        Collected = "collected", "已收缴", "Collected";
        Waived = "waived", "经决定免除", "Waived by decision";
    }
);

/// Whether a rule fires once per period or on every further fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Repeat {
    /// The first time the count reaches the threshold in a period.
    Once,
    /// Every fact from the threshold on.
    Each,
}

/// "At least N matching facts in the period", counted per person (or per
/// unit for rules on entries: warned people, or warnings — `of`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Count {
    pub period: Period,
    pub at_least: u32,
    pub repeat: Repeat,
    pub of: CountOf,
}

/// What a rule on entries counts in the unit: distinct people with such an
/// entry, or the entries themselves (seed 002 第三篇: 累计被效能告诫3人次 —
/// three warnings, whether of three people or of one person three times).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountOf {
    #[default]
    People,
    Entries,
}

/// One entry a rule proposes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Proposal {
    pub kind: EntryKind,
    pub to: Target,
    /// The fine, `(min, max)`; the approver chooses within it.
    pub fine: Option<(Fen, Fen)>,
    /// Kinds the approver may choose instead (e.g. suspension or dismissal).
    pub choices: Vec<EntryKind>,
}

/// A rule of the pack (LED-2).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LedgerRule {
    pub code: String,
    pub title: String,
    /// Where the rule is written (e.g. "seed 001 八(一)").
    pub source: String,
    /// The facts it listens to …
    pub on: Vec<FactKind>,
    /// … or the proposed entries it listens to (collective warnings).
    pub on_entry: Option<EntryKind>,
    /// Only facts of these severities (empty: any).
    pub severity: Vec<Severity>,
    /// Only attendance facts of these kinds (empty: any).
    pub detail: Vec<AttendanceKind>,
    pub count: Option<Count>,
    pub propose: Vec<Proposal>,
}

/// What the engine needs to know of a fact.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FactView {
    pub kind: FactKind,
    pub severity: Option<Severity>,
    pub detail: Option<AttendanceKind>,
}

impl LedgerRule {
    /// Does this fact match the rule's filters?
    pub fn matches(&self, f: &FactView) -> bool {
        self.on.contains(&f.kind)
            && (self.severity.is_empty() || f.severity.is_some_and(|s| self.severity.contains(&s)))
            && (self.detail.is_empty() || f.detail.is_some_and(|d| self.detail.contains(&d)))
    }

    /// Given `count` matching facts (or distinct people) in the period,
    /// including the new one, and whether the rule already fired for this
    /// subject in the period, does it fire now?
    pub fn fires(&self, count: u32, already_fired: bool) -> bool {
        match self.count {
            None => true,
            Some(c) if count < c.at_least => false,
            Some(Count { repeat: Repeat::Once, .. }) => !already_fired,
            Some(Count { repeat: Repeat::Each, .. }) => true,
        }
    }
}

/// The period containing `at_ms` in the calendar's local time: its key
/// (`2026` or `2026-03`) and `[start, end)` in milliseconds.
pub fn period_bounds(period: Period, cal: &Calendar, at_ms: i64) -> (String, i64, i64) {
    let d = cal.local_date(at_ms);
    let (start, end, key) = match period {
        Period::Year => (
            NaiveDate::from_ymd_opt(d.year(), 1, 1),
            NaiveDate::from_ymd_opt(d.year() + 1, 1, 1),
            format!("{}", d.year()),
        ),
        Period::Month => {
            let (ny, nm) = if d.month() == 12 { (d.year() + 1, 1) } else { (d.year(), d.month() + 1) };
            (
                NaiveDate::from_ymd_opt(d.year(), d.month(), 1),
                NaiveDate::from_ymd_opt(ny, nm, 1),
                format!("{}-{:02}", d.year(), d.month()),
            )
        }
    };
    let ms = |day: Option<NaiveDate>| {
        let day = day.expect("first days of months exist");
        cal.start_of_day_ms(day)
    };
    (key, ms(start), ms(end))
}

/// The calendar year `[start, end)` of a year number.
pub fn year_bounds(cal: &Calendar, year: i32) -> (i64, i64) {
    let day = |y| NaiveDate::from_ymd_opt(y, 1, 1).expect("1 January exists");
    (cal.start_of_day_ms(day(year)), cal.start_of_day_ms(day(year + 1)))
}

/// One checked row of an attendance sheet (SPEC LED-5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AttendanceRow {
    /// 1-based, as Excel shows it.
    pub row: usize,
    pub employee_no: String,
    pub date: NaiveDate,
    pub kind: AttendanceKind,
    pub note: String,
}

/// The columns of an attendance sheet: `(field, Chinese header, English header)`.
pub const ATTENDANCE_COLUMNS: &[(&str, &str, &str)] = &[
    ("employee_no", "工号", "Employee no"),
    ("date", "日期", "Date"),
    ("kind", "类型", "Kind"),
    ("note", "备注", "Note"),
];

/// Checks an attendance sheet (`grid[0]` is the header): the rows that pass
/// and every problem by row and column. Staff numbers are checked by the caller.
pub fn parse_attendance(
    sheet: &str,
    grid: &[Vec<String>],
) -> (Vec<AttendanceRow>, Vec<crate::roster::ImportError>) {
    let err = |row: usize, column: &str, reason: &str| crate::roster::sheet_error(sheet, row, column, reason);
    let Some(header) = grid.first() else {
        return (vec![], vec![err(1, "", "文件是空的 / the file is empty")]);
    };
    let col = |field: &str| crate::roster::header_index(header, ATTENDANCE_COLUMNS, field);
    let (no, date, kind, note) = (col("employee_no"), col("date"), col("kind"), col("note"));
    let mut errors = vec![];
    for (field, idx) in [("工号", no), ("日期", date), ("类型", kind)] {
        if idx.is_none() {
            errors.push(err(1, field, "缺少此列 / the column is missing"));
        }
    }
    let (Some(no), Some(date), Some(kind)) = (no, date, kind) else { return (vec![], errors) };
    let mut rows = vec![];
    for (i, r) in grid.iter().enumerate().skip(1) {
        let cell = |c: usize| r.get(c).map(|v| v.trim()).unwrap_or("");
        if r.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let line = i + 1;
        let employee_no = cell(no).to_string();
        if employee_no.is_empty() {
            errors.push(err(line, "工号", "不能为空 / required"));
        }
        let d = NaiveDate::parse_from_str(cell(date), "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(cell(date), "%Y/%m/%d"))
            .ok();
        if d.is_none() {
            errors.push(err(line, "日期", "日期须为 YYYY-MM-DD / the date must be YYYY-MM-DD"));
        }
        let k = AttendanceKind::parse(cell(kind));
        if k.is_none() {
            errors.push(err(
                line,
                "类型",
                "须为 迟到、早退 或 擅离岗位 / must be late, early_leave or absent_from_post",
            ));
        }
        if let (Some(date), Some(kind), false) = (d, k, employee_no.is_empty()) {
            let note = note.map(|c| cell(c).to_string()).unwrap_or_default();
            rows.push(AttendanceRow { row: line, employee_no, date, kind, note });
        }
    }
    (rows, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn attendance_sheets_report_bad_rows_by_row_and_column() {
        let g = |rows: &[&[&str]]| {
            rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect::<Vec<Vec<String>>>()
        };
        let (rows, errors) = parse_attendance(
            "考勤",
            &g(&[
                &["工号", "日期", "类型", "备注"],
                &["1001", "2026-03-02", "迟到", ""],
                &["1002", "3月2日", "旷工", ""],
            ]),
        );
        assert_eq!(rows.len(), 1);
        assert_eq!((rows[0].row, rows[0].kind), (2, AttendanceKind::Late));
        assert_eq!(
            errors.iter().map(|e| (e.row, e.column.as_str())).collect::<Vec<_>>(),
            [(3, "日期"), (3, "类型")]
        );
        let (_, errors) = parse_attendance("x", &g(&[&["工号", "日期"]]));
        assert_eq!(errors[0].column, "类型");
    }

    fn rule(count: Option<Count>) -> LedgerRule {
        LedgerRule {
            code: "r".into(),
            title: "t".into(),
            source: String::new(),
            on: vec![FactKind::Attendance],
            on_entry: None,
            severity: vec![],
            detail: vec![AttendanceKind::Late, AttendanceKind::EarlyLeave],
            count,
            propose: vec![],
        }
    }

    #[test]
    fn more_than_three_late_arrivals_in_a_month_fire_once_at_the_fourth() {
        let r = rule(Some(Count {
            period: Period::Month,
            at_least: 4,
            repeat: Repeat::Once,
            of: CountOf::People,
        }));
        let late =
            FactView { kind: FactKind::Attendance, severity: None, detail: Some(AttendanceKind::Late) };
        let absent = FactView { detail: Some(AttendanceKind::AbsentFromPost), ..late };
        assert!(r.matches(&late));
        assert!(!r.matches(&absent));
        assert!(!r.fires(3, false));
        assert!(r.fires(4, false));
        assert!(!r.fires(5, true));
    }

    #[test]
    fn each_rules_fire_on_every_fact_from_the_threshold() {
        let r = rule(Some(Count {
            period: Period::Year,
            at_least: 2,
            repeat: Repeat::Each,
            of: CountOf::People,
        }));
        assert!(!r.fires(1, false));
        assert!(r.fires(2, false));
        assert!(r.fires(3, true));
        assert!(rule(None).fires(1, true));
    }

    #[test]
    fn severity_filters_need_a_severity() {
        let mut r = rule(None);
        r.on = vec![FactKind::ComplaintSubstantiated];
        r.detail.clear();
        r.severity = vec![Severity::Serious, Severity::Grave];
        let f = |s| FactView { kind: FactKind::ComplaintSubstantiated, severity: s, detail: None };
        assert!(r.matches(&f(Some(Severity::Grave))));
        assert!(!r.matches(&f(Some(Severity::Minor))));
        assert!(!r.matches(&f(None)));
    }

    #[test]
    fn periods_follow_local_time() {
        let cal =
            Calendar::parse("c.toml", "name = \"c\"\nutc_offset_hours = 8\nholidays = []\nworkdays = []\n")
                .unwrap();
        // 2026-03-31 23:30 in Beijing is still March.
        let at = cal.start_of_day_ms(NaiveDate::from_ymd_opt(2026, 3, 31).unwrap()) + 23 * 3_600_000;
        let (key, start, end) = period_bounds(Period::Month, &cal, at);
        assert_eq!(key, "2026-03");
        assert_eq!(cal.local_date(start), NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
        assert_eq!(cal.local_date(end), NaiveDate::from_ymd_opt(2026, 4, 1).unwrap());
        let (key, _, end) = period_bounds(Period::Year, &cal, at);
        assert_eq!((key.as_str(), cal.local_date(end).year()), ("2026", 2027));
    }
}
