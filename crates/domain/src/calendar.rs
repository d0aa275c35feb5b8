//! Working calendars: which days are working days, and deadlines counted
//! in natural hours or in working days (SPEC CASE-4).
//!
//! A calendar comes from a file (`policy/calendar/*.toml`) so that next
//! year's holidays are an edit, not a release. Saturdays and Sundays rest
//! unless listed as make-up working days; listed holidays rest whatever
//! weekday they fall on.

use std::collections::BTreeSet;

use chrono::{DateTime, Datelike, Duration, FixedOffset, NaiveDate, TimeZone, Weekday};
use serde::Deserialize;

use crate::policy::{PolicyError, locate};

#[derive(Debug, Clone)]
pub struct Calendar {
    pub name: String,
    pub offset: FixedOffset,
    holidays: BTreeSet<NaiveDate>,
    workdays: BTreeSet<NaiveDate>,
    /// Whether Saturdays and Sundays are rest days; a 7-day hall's
    /// calendar says no (seed 002 4.2.3: 供电营业场所无周休日).
    weekly_rest: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CalendarFile {
    name: String,
    utc_offset_hours: i32,
    #[serde(default)]
    holidays: Vec<String>,
    #[serde(default)]
    workdays: Vec<String>,
    #[serde(default = "yes")]
    weekly_rest: bool,
}

/// A date as a number, yyyymmdd.
pub fn day_number(d: NaiveDate) -> i64 {
    use chrono::Datelike;
    d.year() as i64 * 10_000 + d.month() as i64 * 100 + d.day() as i64
}

impl Calendar {
    /// Parses a calendar file; errors name the file, line and reason.
    pub fn parse(file: &str, text: &str) -> Result<Calendar, PolicyError> {
        let raw: CalendarFile = toml::from_str(text).map_err(|e| PolicyError::from_toml(file, text, &e))?;
        let offset = FixedOffset::east_opt(raw.utc_offset_hours * 3600).ok_or_else(|| {
            PolicyError::at(file, text, "utc_offset_hours", "utc_offset_hours must be between -23 and 23")
        })?;
        let parse_days = |list: &[String], key: &str| -> Result<BTreeSet<NaiveDate>, PolicyError> {
            list.iter()
                .map(|d| {
                    NaiveDate::parse_from_str(d, "%Y-%m-%d").map_err(|_| PolicyError {
                        file: file.to_string(),
                        line: locate(text, &format!("\"{d}\"")),
                        reason: format!("{key}: \"{d}\" is not a date (YYYY-MM-DD)"),
                    })
                })
                .collect()
        };
        let holidays = parse_days(&raw.holidays, "holidays")?;
        let workdays = parse_days(&raw.workdays, "workdays")?;
        if let Some(both) = holidays.intersection(&workdays).next() {
            return Err(PolicyError {
                file: file.to_string(),
                line: locate(text, &format!("\"{both}\"")),
                reason: format!("{both} is listed both as a holiday and as a working day"),
            });
        }
        Ok(Calendar { name: raw.name, offset, holidays, workdays, weekly_rest: raw.weekly_rest })
    }

    pub fn is_working_day(&self, d: NaiveDate) -> bool {
        if self.holidays.contains(&d) {
            return false;
        }
        if self.workdays.contains(&d) || !self.weekly_rest {
            return true;
        }
        !matches!(d.weekday(), Weekday::Sat | Weekday::Sun)
    }

    /// The local date of an instant.
    pub fn local_date(&self, at_ms: i64) -> NaiveDate {
        self.local(at_ms).date_naive()
    }

    /// The local date of `at_ms` as a number, yyyymmdd: how ratings,
    /// rollups and survey answers name their day.
    pub fn day_number(&self, at_ms: i64) -> i64 {
        day_number(self.local_date(at_ms))
    }

    pub fn local(&self, at_ms: i64) -> DateTime<FixedOffset> {
        self.offset.timestamp_millis_opt(at_ms).single().expect("fixed offsets are unambiguous")
    }

    /// The first instant of the local day after `d`, in ms: the end of `d`.
    fn end_of_day_ms(&self, d: NaiveDate) -> i64 {
        self.start_of_day_ms(d.succ_opt().expect("dates within range"))
    }

    /// Local midnight at the start of `d`, in ms.
    pub fn start_of_day_ms(&self, d: NaiveDate) -> i64 {
        self.offset
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight exists"))
            .single()
            .expect("fixed offsets are unambiguous")
            .timestamp_millis()
    }

    /// The end of the `n`th working day after the day of `from_ms`. With
    /// `n = 0` it is the end of that day if it is a working day, else of the
    /// next working day ("on the spot").
    pub fn add_working_days(&self, from_ms: i64, n: u32) -> i64 {
        let mut d = self.local_date(from_ms);
        if n == 0 {
            while !self.is_working_day(d) {
                d = d.succ_opt().expect("dates within range");
            }
            return self.end_of_day_ms(d);
        }
        let mut left = n;
        while left > 0 {
            d = d.succ_opt().expect("dates within range");
            if self.is_working_day(d) {
                left -= 1;
            }
        }
        self.end_of_day_ms(d)
    }
}

/// A length of time as packs write it: `24h` (natural hours), `-4h`
/// (before a deadline), `7wd` (working days), `0wd` (the same working day).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Span {
    Hours(i64),
    WorkingDays(u32),
}

impl Span {
    pub fn parse(s: &str) -> Option<Span> {
        let s = s.trim();
        if let Some(n) = s.strip_suffix("wd") {
            return n.parse().ok().map(Span::WorkingDays);
        }
        if let Some(n) = s.strip_suffix('h') {
            return n.parse().ok().map(Span::Hours);
        }
        None
    }

    /// The instant this span after `from_ms` ends, on `cal`.
    pub fn after(self, cal: &Calendar, from_ms: i64) -> i64 {
        match self {
            Span::Hours(h) => from_ms + Duration::hours(h).num_milliseconds(),
            Span::WorkingDays(n) => cal.add_working_days(from_ms, n),
        }
    }

    /// A deadline `due_ms` moved on by this span (an approved extension).
    /// Working days are counted from the deadline's own day: a deadline at
    /// the end of Wednesday (Thursday 00:00) extended by `2wd` ends on
    /// Friday, not Monday, so the day a deadline *ends* is its day.
    pub fn extend(self, cal: &Calendar, due_ms: i64) -> i64 {
        match self {
            Span::Hours(_) => self.after(cal, due_ms),
            Span::WorkingDays(n) => cal.add_working_days(due_ms - 1, n),
        }
    }
}

impl std::fmt::Display for Span {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Span::Hours(h) => write!(f, "{h}h"),
            Span::WorkingDays(n) => write!(f, "{n}wd"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cn2026() -> Calendar {
        Calendar::parse("cn-2026.toml", include_str!("../../../policy/calendar/cn-2026.toml")).unwrap()
    }

    fn at(cal: &Calendar, y: i32, m: u32, d: u32, h: u32) -> i64 {
        cal.offset.with_ymd_and_hms(y, m, d, h, 0, 0).unwrap().timestamp_millis()
    }

    fn date(cal: &Calendar, ms: i64) -> String {
        // The end of a day is the first instant of the next; show the day it ends.
        cal.local(ms - 1).format("%Y-%m-%d").to_string()
    }

    #[test]
    fn an_extension_in_working_days_counts_from_the_deadlines_own_day() {
        let cal = cn2026();
        // Due at the end of Wed 18 Nov 2026; 2wd more: the end of Fri 20 Nov.
        let due = cal.start_of_day_ms(NaiveDate::from_ymd_opt(2026, 11, 19).unwrap());
        assert_eq!(date(&cal, Span::WorkingDays(2).extend(&cal, due)), "2026-11-20");
        // A deadline in the middle of a day: that day is its day too.
        let mid = at(&cal, 2026, 11, 18, 14);
        assert_eq!(date(&cal, Span::WorkingDays(2).extend(&cal, mid)), "2026-11-20");
        // Across a weekend: end of Fri 20 Nov + 1wd = end of Mon 23 Nov.
        let fri = cal.start_of_day_ms(NaiveDate::from_ymd_opt(2026, 11, 21).unwrap());
        assert_eq!(date(&cal, Span::WorkingDays(1).extend(&cal, fri)), "2026-11-23");
        assert_eq!(Span::Hours(24).extend(&cal, mid), mid + 24 * 3_600_000);
    }

    #[test]
    fn holidays_rest_and_make_up_days_work() {
        let cal = cn2026();
        let d = |m, d| NaiveDate::from_ymd_opt(2026, m, d).unwrap();
        assert!(!cal.is_working_day(d(10, 1)), "National Day");
        assert!(cal.is_working_day(d(10, 10)), "Saturday make-up day");
        assert!(cal.is_working_day(d(9, 20)), "Sunday make-up day");
        assert!(!cal.is_working_day(d(10, 11)), "ordinary Sunday");
        assert!(cal.is_working_day(d(10, 9)), "ordinary Friday");
    }

    #[test]
    fn seven_working_days_cross_national_day_and_its_make_up_saturday() {
        let cal = cn2026();
        // Registered Wednesday 30 Sep. Working days after it: Oct 8 (Thu),
        // 9 (Fri), 10 (Sat, make-up), 12, 13, 14, 15 → due end of 15 Oct.
        let due = Span::WorkingDays(7).after(&cal, at(&cal, 2026, 9, 30, 10));
        assert_eq!(date(&cal, due), "2026-10-15");
        // Without the calendar (weekends only) it would have been 9 Oct.
    }

    #[test]
    fn on_the_spot_means_the_same_working_day() {
        let cal = cn2026();
        assert_eq!(date(&cal, Span::WorkingDays(0).after(&cal, at(&cal, 2026, 10, 9, 15))), "2026-10-09");
        // Registered on a holiday: the next working day.
        assert_eq!(date(&cal, Span::WorkingDays(0).after(&cal, at(&cal, 2026, 10, 3, 15))), "2026-10-08");
    }

    #[test]
    fn natural_hours_ignore_the_calendar() {
        let cal = cn2026();
        let start = at(&cal, 2026, 10, 1, 8);
        assert_eq!(Span::Hours(48).after(&cal, start) - start, 48 * 3_600_000);
    }

    #[test]
    fn spans_parse_as_packs_write_them() {
        assert_eq!(Span::parse("24h"), Some(Span::Hours(24)));
        assert_eq!(Span::parse("-4h"), Some(Span::Hours(-4)));
        assert_eq!(Span::parse("7wd"), Some(Span::WorkingDays(7)));
        assert_eq!(Span::parse("7 days"), None);
    }

    #[test]
    fn a_bad_calendar_names_file_line_and_reason() {
        let text = "name = \"x\"\nutc_offset_hours = 8\nholidays = [\"2026-13-01\"]\n";
        let e = Calendar::parse("bad.toml", text).unwrap_err();
        assert_eq!((e.file.as_str(), e.line), ("bad.toml", 3));
        assert!(e.reason.contains("2026-13-01"));
        let e =
            Calendar::parse("bad.toml", "name = \"x\"\nutc_offset_hours = 8\nholiday = []\n").unwrap_err();
        assert_eq!(e.line, 3, "{e}");
    }
}
