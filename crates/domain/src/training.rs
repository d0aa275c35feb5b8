//! Training, examination and qualifications (SPEC CMP-2, issue 20 point 3):
//! seed 000's 学习培训计划 (日常业务、文明礼仪、文明用语), seed 002's
//! 职业道德 and 岗位技能培训 with the 客运服务资格证 every driver shows,
//! seed 003's 技术比赛. A plan owes each person of its unit a number of
//! hours; sessions are held and attended; exams and competitions score
//! people against a pass mark; qualifications expire and are reminded of.

use chrono::{Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone};

use crate::duty::parse_date;
use crate::text::{self, FieldError};

labelled_enum!(
    /// How an attendance came to be recorded.
    AttendanceWay {
        Entered = "entered", "录入", "Entered";
        Imported = "imported", "表格导入", "Imported";
        CheckIn = "qr", "扫码签到", "QR check-in";
    }
);

labelled_enum!(
    /// An examination or a skill competition (seed 003 技术比赛).
    ExamKind {
        Exam = "exam", "考试", "Exam";
        Competition = "competition", "技能比赛", "Skill competition";
    }
);

/// A plan as checked: a year, or a month of it, the hours each person of
/// the unit (and the units under it) owes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPlan {
    pub year: i32,
    pub month: Option<u32>,
    pub title: String,
    pub topics: String,
    pub hours: u32,
}

pub fn check_plan(
    year: i32,
    month: Option<u32>,
    title: &str,
    topics: &str,
    hours: u32,
) -> Result<NewPlan, Vec<FieldError>> {
    let mut errors = vec![];
    if !(2000..=2100).contains(&year) {
        errors.push(FieldError::new("year", "年份应在 2000–2100 / a year from 2000 to 2100"));
    }
    if month.is_some_and(|m| !(1..=12).contains(&m)) {
        errors.push(FieldError::new("month", "月份应为 1–12 / a month from 1 to 12"));
    }
    if !(1..=1_000).contains(&hours) {
        errors.push(FieldError::new("hours", "学时应为 1–1000 / hours from 1 to 1,000"));
    }
    let title = text::required("title", title, 100).map_err(|e| errors.push(e)).ok();
    let topics = text::required("topics", topics, 2000).map_err(|e| errors.push(e)).ok();
    match (title, topics) {
        (Some(title), Some(topics)) if errors.is_empty() => Ok(NewPlan { year, month, title, topics, hours }),
        _ => Err(errors),
    }
}

/// A session as checked: its topic, where, by whom, the materials and its
/// window in ms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSession {
    pub topic: String,
    pub place: String,
    pub trainer: String,
    pub materials: String,
    pub starts_at: i64,
    pub ends_at: i64,
    pub required: bool,
}

/// Checks a session as written: a date, a start and an end (`HH:MM`, the
/// end after the start on the same day), read in the organisation's
/// `offset`.
#[allow(clippy::too_many_arguments)]
pub fn check_session(
    topic: &str,
    place: &str,
    trainer: &str,
    materials: &str,
    date: &str,
    from: &str,
    to: &str,
    required: bool,
    offset: FixedOffset,
) -> Result<NewSession, Vec<FieldError>> {
    let mut errors = vec![];
    let topic = text::required("topic", topic, 200).map_err(|e| errors.push(e)).ok();
    let place = text::required("place", place, 100).map_err(|e| errors.push(e)).ok();
    let trainer = text::required("trainer", trainer, 60).map_err(|e| errors.push(e)).ok();
    let materials = text::optional("materials", materials, 2000).map_err(|e| errors.push(e)).ok().flatten();
    let day = parse_date(date);
    if day.is_none() {
        errors.push(FieldError::new("date", "日期格式应为 2026-12-03 / a date like 2026-12-03"));
    }
    let time = |field: &str, s: &str| {
        NaiveTime::parse_from_str(s.trim(), "%H:%M")
            .map_err(|_| FieldError::new(field, "时间格式应为 09:30 / a time like 09:30"))
    };
    let from = time("from", from).map_err(|e| errors.push(e)).ok();
    let to = time("to", to).map_err(|e| errors.push(e)).ok();
    if let (Some(f), Some(t)) = (from, to)
        && t <= f
    {
        errors.push(FieldError::new("to", "结束应晚于开始 / the end comes after the start"));
    }
    match (topic, place, trainer, day, from, to) {
        (Some(topic), Some(place), Some(trainer), Some(day), Some(from), Some(to)) if errors.is_empty() => {
            let at = |t: NaiveTime| {
                offset
                    .from_local_datetime(&day.and_time(t))
                    .single()
                    .map(|d| d.timestamp_millis())
                    .unwrap_or(0)
            };
            Ok(NewSession {
                topic,
                place,
                trainer,
                materials: materials.unwrap_or_default(),
                starts_at: at(from),
                ends_at: at(to),
                required,
            })
        }
        _ => Err(errors),
    }
}

/// How long before a session starts and after it ends its QR code checks
/// people in.
pub const CHECKIN_GRACE_MS: i64 = 30 * 60_000;

/// Whether a session held in `[starts_at, ends_at)` takes a check-in at
/// `now`: from half an hour before it starts to half an hour after it ends.
pub fn checkin_open(now: i64, starts_at: i64, ends_at: i64) -> bool {
    now >= starts_at - CHECKIN_GRACE_MS && now <= ends_at + CHECKIN_GRACE_MS
}

/// An exam as checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewExam {
    pub kind: ExamKind,
    pub title: String,
    pub held_on: NaiveDate,
    pub pass_mark: u32,
    pub max_score: u32,
}

pub fn check_exam(
    kind: &str,
    title: &str,
    held_on: &str,
    pass_mark: u32,
    max_score: u32,
) -> Result<NewExam, Vec<FieldError>> {
    let mut errors = vec![];
    let kind = ExamKind::parse(kind);
    if kind.is_none() {
        errors.push(FieldError::new("kind", "应为考试或技能比赛 / an exam or a skill competition"));
    }
    let title = text::required("title", title, 100).map_err(|e| errors.push(e)).ok();
    let held_on = parse_date(held_on);
    if held_on.is_none() {
        errors.push(FieldError::new("held_on", "日期格式应为 2026-12-03 / a date like 2026-12-03"));
    }
    if !(1..=1_000).contains(&max_score) {
        errors.push(FieldError::new("max_score", "满分应为 1–1000 / a full mark from 1 to 1,000"));
    }
    if pass_mark > max_score {
        errors.push(FieldError::new(
            "pass_mark",
            "及格分不能高于满分 / the pass mark is at most the full mark",
        ));
    }
    match (kind, title, held_on) {
        (Some(kind), Some(title), Some(held_on)) if errors.is_empty() => {
            Ok(NewExam { kind, title, held_on, pass_mark, max_score })
        }
        _ => Err(errors),
    }
}

/// Whether `score` passes; a score above the full mark is refused.
pub fn grade(score: i64, pass_mark: i64, max_score: i64) -> Result<bool, FieldError> {
    if !(0..=max_score).contains(&score) {
        return Err(FieldError::new(
            "score",
            format!("成绩应为 0–{max_score} / a score from 0 to {max_score}"),
        ));
    }
    Ok(score >= pass_mark)
}

/// A qualification as checked: what (客运服务资格证, 上岗证 …), its number,
/// when it was issued and the last day it is valid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewQualification {
    pub kind: String,
    pub number: String,
    pub issued_on: NaiveDate,
    pub expires_on: NaiveDate,
}

pub fn check_qualification(
    kind: &str,
    number: &str,
    issued_on: &str,
    expires_on: &str,
) -> Result<NewQualification, Vec<FieldError>> {
    let mut errors = vec![];
    let kind = text::required("kind", kind, 40).map_err(|e| errors.push(e)).ok();
    let number = text::required("number", number, 40).map_err(|e| errors.push(e)).ok();
    let date = |field: &str, s: &str| {
        parse_date(s)
            .ok_or_else(|| FieldError::new(field, "日期格式应为 2026-12-03 / a date like 2026-12-03"))
    };
    let issued = date("issued_on", issued_on).map_err(|e| errors.push(e)).ok();
    let expires = date("expires_on", expires_on).map_err(|e| errors.push(e)).ok();
    if let (Some(i), Some(e)) = (issued, expires)
        && e <= i
    {
        errors.push(FieldError::new("expires_on", "有效期应晚于发证日期 / it expires after it was issued"));
    }
    match (kind, number, issued, expires) {
        (Some(kind), Some(number), Some(issued_on), Some(expires_on)) if errors.is_empty() => {
            Ok(NewQualification { kind, number, issued_on, expires_on })
        }
        _ => Err(errors),
    }
}

/// The day a qualification expiring on `expires_on` is reminded of: `warn`
/// days before.
pub fn remind_on(expires_on: NaiveDate, warn_days: u32) -> NaiveDate {
    expires_on - Duration::days(i64::from(warn_days))
}

/// One person's progress on a plan: the minutes they attended against the
/// hours owed.
pub fn completed(minutes: i64, hours: u32) -> bool {
    minutes >= i64::from(hours) * 60
}

/// A share in whole percent, 0 when there is nothing to count.
pub fn percent(part: usize, whole: usize) -> u32 {
    (part * 100 + whole / 2).checked_div(whole).map_or(0, |p| p as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cst() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    #[test]
    fn a_session_is_a_window_on_one_day() {
        let s =
            check_session("文明用语", "站会议室", "王芳", "", "2026-12-03", "09:00", "11:30", true, cst())
                .unwrap();
        assert_eq!(s.ends_at - s.starts_at, 150 * 60_000);
        assert!(check_session("x", "y", "z", "", "2026-12-03", "11:00", "09:00", false, cst()).is_err());
        let e = check_session("", "", "", "", "12/3", "9", "", false, cst()).unwrap_err();
        let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["topic", "place", "trainer", "date", "from", "to"]);
    }

    #[test]
    fn check_in_opens_half_an_hour_either_side() {
        let (s, e) = (1_000_000_000, 1_000_000_000 + 3_600_000);
        assert!(checkin_open(s - CHECKIN_GRACE_MS, s, e));
        assert!(!checkin_open(s - CHECKIN_GRACE_MS - 1, s, e));
        assert!(checkin_open(e + CHECKIN_GRACE_MS, s, e));
        assert!(!checkin_open(e + CHECKIN_GRACE_MS + 1, s, e));
    }

    #[test]
    fn a_score_passes_at_the_mark_and_never_above_full() {
        assert_eq!(grade(60, 60, 100), Ok(true));
        assert_eq!(grade(59, 60, 100), Ok(false));
        assert!(grade(101, 60, 100).is_err());
        assert!(grade(-1, 60, 100).is_err());
        assert!(check_exam("exam", "岗位技能", "2026-12-10", 101, 100).is_err());
        assert!(check_exam("quiz", "岗位技能", "2026-12-10", 60, 100).is_err());
    }

    #[test]
    fn a_qualification_is_reminded_of_the_pack_days_before() {
        let q = check_qualification("客运服务资格证", "3203001", "2021-01-05", "2027-01-04").unwrap();
        assert_eq!(remind_on(q.expires_on, 30), NaiveDate::from_ymd_opt(2026, 12, 5).unwrap());
        assert!(check_qualification("上岗证", "1", "2027-01-01", "2026-01-01").is_err());
    }

    #[test]
    fn completion_counts_whole_hours() {
        assert!(completed(120, 2));
        assert!(!completed(119, 2));
        assert_eq!(percent(2, 3), 67);
        assert_eq!(percent(0, 0), 0);
        assert!(check_plan(2026, Some(13), "年度培训", "文明礼仪", 8).is_err());
        assert!(check_plan(2026, None, "年度培训", "文明礼仪", 8).is_ok());
    }
}
