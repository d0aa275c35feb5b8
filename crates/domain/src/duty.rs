//! Duty rosters and facilities (issue 19 point 5; seed 000's 便民亭值守
//! and 值班站长, seed 001's 领导接待日, seed 002's 值班主任 and the hall's
//! facilities): who is on duty where and when — the person escalations and
//! on-site cases go to, and an inspection's "on duty" by default — and what
//! a service point offers the public, with its condition and expiry.

use chrono::{Duration, FixedOffset, NaiveDate, NaiveTime, TimeZone};

use crate::StaffId;
use crate::text::{self, FieldError};

labelled_enum!(
    /// A duty on a roster.
    DutyKind {
        StationMaster = "station_master", "值班站长", "Station master on duty";
        Director = "director", "值班主任", "Duty director";
        Kiosk = "kiosk", "便民亭值守", "Convenience kiosk";
        Reception = "reception", "领导接待日", "Leader's reception day";
    }
);

impl DutyKind {
    /// Whether the person on this duty leads the unit for the day: the one
    /// an escalation to the shift leader and an on-site case go to.
    pub fn leads(self) -> bool {
        matches!(self, DutyKind::StationMaster | DutyKind::Director)
    }
}

/// A shift as checked: its duty, its window in ms (a night shift ends the
/// next day) and a note.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Shift {
    pub kind: DutyKind,
    pub starts_at: i64,
    pub ends_at: i64,
    pub note: Option<String>,
}

/// Checks a roster line as a person writes it: a date (`2026-12-03`), a
/// duty (its code or its Chinese name), optionally a start and an end
/// (`08:00`, `20:00`; without them the whole day; an end at or before the
/// start is on the next day), and a note. Times are read in `offset`, the
/// organisation's.
pub fn check_shift(
    date: &str,
    duty: &str,
    from: &str,
    to: &str,
    note: &str,
    offset: FixedOffset,
) -> Result<Shift, Vec<FieldError>> {
    let mut errors = vec![];
    let day = parse_date(date);
    if day.is_none() {
        errors.push(FieldError::new("date", "日期格式应为 2026-12-03 / a date like 2026-12-03"));
    }
    let kind = DutyKind::parse(duty);
    if kind.is_none() {
        errors.push(FieldError::new("duty", "未知值守类别 / unknown duty"));
    }
    let time = |field: &str, s: &str, errors: &mut Vec<FieldError>| match s.trim() {
        "" => None,
        s => NaiveTime::parse_from_str(s, "%H:%M")
            .map_err(|_| {
                errors.push(FieldError::new(field, "时间格式应为 08:00 / a time like 08:00"));
            })
            .ok(),
    };
    let from = time("from", from, &mut errors);
    let to = time("to", to, &mut errors);
    let note = text::optional("note", note, 200).map_err(|e| errors.push(e)).ok().flatten();
    let (Some(day), Some(kind)) = (day, kind) else { return Err(errors) };
    if !errors.is_empty() {
        return Err(errors);
    }
    let at = |t: NaiveTime, d: NaiveDate| {
        offset.from_local_datetime(&d.and_time(t)).single().map(|t| t.timestamp_millis()).unwrap_or(0)
    };
    let midnight = NaiveTime::MIN;
    let starts_at = at(from.unwrap_or(midnight), day);
    let end = to.unwrap_or(midnight);
    let mut ends_at = at(end, day);
    if ends_at <= starts_at {
        ends_at += Duration::days(1).num_milliseconds();
    }
    Ok(Shift { kind, starts_at, ends_at, note })
}

/// A date as people write it in a sheet: `2026-12-03` or `2026/12/3`.
pub fn parse_date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    NaiveDate::parse_from_str(s, "%Y-%m-%d").or_else(|_| NaiveDate::parse_from_str(s, "%Y/%m/%d")).ok()
}

/// Whom of those on duty (their duty, their staff id) an inspection of a
/// service point (`at_point`) or of a unit names by default: at a point,
/// the kiosk's attendant first; at a unit, whoever leads it; else anyone.
pub fn default_on_duty(on_duty: &[(DutyKind, StaffId)], at_point: bool) -> Option<StaffId> {
    let rank = |k: DutyKind| match (at_point, k) {
        (true, DutyKind::Kiosk) => 0,
        (_, k) if k.leads() => 1,
        _ => 2,
    };
    on_duty.iter().min_by_key(|(k, _)| rank(*k)).map(|(_, s)| *s)
}

labelled_enum!(
    /// What a service point offers the public (seed 000's 九项便民服务).
    FacilityKind {
        Kiosk = "kiosk", "便民服务设备", "Kiosk equipment";
        Seating = "seating", "休息座椅", "Seating";
        Water = "water", "饮水", "Drinking water";
        Umbrella = "umbrella", "雨伞", "Umbrellas";
        Ramp = "ramp", "无障碍设施", "Accessibility ramp";
        Fire = "fire", "消防器材", "Fire equipment";
        Medicine = "medicine", "常用药品", "Medicine";
        Other = "other", "其他", "Other";
    }
);

labelled_enum!(
    /// A facility's condition, as an inspection finds it.
    Condition {
        Good = "good", "完好", "Good";
        Worn = "worn", "待维护", "Needs care";
        Broken = "broken", "损坏", "Broken";
        Missing = "missing", "缺失", "Missing";
    }
);

impl Condition {
    /// Whether the public can use it.
    pub fn usable(self) -> bool {
        matches!(self, Condition::Good | Condition::Worn)
    }
}

/// A facility as the unit writes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewFacility {
    pub kind: FacilityKind,
    pub name: String,
    pub quantity: i64,
    /// For medicine, fire extinguishers: the last day it may be used.
    pub expires_on: Option<NaiveDate>,
}

/// Checks a facility: a kind, a name, a quantity from 1 to 9,999, and an
/// expiry date where one is given (required for medicine).
pub fn check_facility(
    kind: &str,
    name: &str,
    quantity: &str,
    expires_on: &str,
) -> Result<NewFacility, Vec<FieldError>> {
    let mut errors = vec![];
    let kind = FacilityKind::parse(kind);
    if kind.is_none() {
        errors.push(FieldError::new("kind", "未知设施类别 / unknown kind of facility"));
    }
    let name = text::required("name", name, 60).map_err(|e| errors.push(e)).ok();
    let quantity = match quantity.trim() {
        "" => Some(1),
        q => q.parse::<i64>().ok().filter(|q| (1..=9_999).contains(q)).or_else(|| {
            errors.push(FieldError::new("quantity", "数量须为 1–9999 / a quantity from 1 to 9,999"));
            None
        }),
    };
    let expires_on = match expires_on.trim() {
        "" => None,
        d => parse_date(d).or_else(|| {
            errors.push(FieldError::new("expires_on", "日期格式应为 2026-12-03 / a date like 2026-12-03"));
            None
        }),
    };
    if kind == Some(FacilityKind::Medicine) && expires_on.is_none() && errors.is_empty() {
        errors.push(FieldError::new("expires_on", "药品须填写有效期 / medicine needs its expiry date"));
    }
    match (kind, name, quantity) {
        (Some(kind), Some(name), Some(quantity)) if errors.is_empty() => {
            Ok(NewFacility { kind, name, quantity, expires_on })
        }
        _ => Err(errors),
    }
}

/// Whether a facility expiring on `expires_on` is to be renewed on
/// `today`, warned `warn_days` ahead: it expires within that many days or
/// has expired.
pub fn expiring(expires_on: Option<NaiveDate>, today: NaiveDate, warn_days: u32) -> bool {
    expires_on.is_some_and(|d| d <= today + Duration::days(i64::from(warn_days)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn china() -> FixedOffset {
        FixedOffset::east_opt(8 * 3600).unwrap()
    }

    #[test]
    fn a_shift_is_a_whole_day_by_default_and_a_night_shift_ends_the_next_morning() {
        let day = check_shift("2026-12-03", "值班站长", "", "", "", china()).unwrap();
        assert_eq!(day.kind, DutyKind::StationMaster);
        assert_eq!(day.ends_at - day.starts_at, 86_400_000);
        // 2026-12-03 00:00 China time is 2026-12-02 16:00 UTC.
        assert_eq!(day.starts_at, 1_796_227_200_000);
        let night = check_shift("2026/12/3", "kiosk", "20:00", "08:00", "夜班", china()).unwrap();
        assert_eq!(night.ends_at - night.starts_at, 12 * 3_600_000);
        assert_eq!(night.starts_at, day.starts_at + 20 * 3_600_000);
        assert_eq!(night.note.as_deref(), Some("夜班"));
    }

    #[test]
    fn a_bad_roster_line_names_every_field() {
        let e = check_shift("12/3", "门卫", "8点", "", "", china()).unwrap_err();
        let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["date", "duty", "from"]);
    }

    #[test]
    fn an_inspection_names_the_kiosk_attendant_at_a_point_and_the_leader_at_a_unit() {
        let s = StaffId::new;
        let on = [(DutyKind::Reception, s(1)), (DutyKind::StationMaster, s(2)), (DutyKind::Kiosk, s(3))];
        assert_eq!(default_on_duty(&on, true), Some(s(3)));
        assert_eq!(default_on_duty(&on, false), Some(s(2)));
        assert_eq!(default_on_duty(&[(DutyKind::Reception, s(1))], true), Some(s(1)));
        assert_eq!(default_on_duty(&[], true), None);
    }

    #[test]
    fn medicine_carries_its_expiry_and_is_flagged_before_it() {
        let e = check_facility("medicine", "藿香正气水", "10", "").unwrap_err();
        assert_eq!(e[0].field, "expires_on");
        let f = check_facility("常用药品", "藿香正气水", "10", "2027-01-01").unwrap();
        let today = NaiveDate::from_ymd_opt(2026, 12, 3).unwrap();
        assert!(expiring(f.expires_on, today, 30), "29 days left, warned 30 ahead");
        assert!(!expiring(f.expires_on, today, 28));
        assert!(!expiring(None, today, 30));
        assert!(check_facility("water", "饮水机", "0", "").is_err());
        assert!(!Condition::Broken.usable() && Condition::Worn.usable());
    }
}
