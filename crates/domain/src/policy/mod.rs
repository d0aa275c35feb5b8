//! Policy packs: the written rules of one kind of window, as data
//! (DESIGN decision 5). Rust code interprets a pack; it never spells out
//! "48 hours". This module reads a pack and checks it whole; each part has
//! its module (the case part — categories, tracks, the escalation ladder —
//! in `cases`). The format is documented in `docs/POLICY.md`.
//!
//! Every error names the file, the line and the reason, and a bad pack
//! stops start-up with the same message.

use serde::{Deserialize, Serialize};

use crate::calendar::Span;

pub use cases::{CasePolicy, Category, EscalationStep, LadderRole, Stage, Track};

mod assessment;
pub mod campaigns;
mod cases;
mod ledger;
pub mod public;
mod satisfaction;
pub mod training;

pub use assessment::{
    AssessmentPolicy, Award, AwardLevel, Candidate, Indicator, Selection, Tally, Target, YearTally,
};
pub use ledger::{CodebookRule, InspectionPolicy, LedgerPolicy};
pub use satisfaction::SatisfactionPolicy;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyError {
    pub file: String,
    /// 1-based; 0 when the problem is not on one line.
    pub line: usize,
    pub reason: String,
}

impl std::fmt::Display for PolicyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}:{}: {}", self.file, self.line, self.reason)
    }
}

impl std::error::Error for PolicyError {}

impl PolicyError {
    pub fn from_toml(file: &str, text: &str, e: &toml::de::Error) -> Self {
        let line = e.span().map_or(0, |s| text[..s.start.min(text.len())].matches('\n').count() + 1);
        PolicyError { file: file.to_string(), line, reason: e.message().trim().to_string() }
    }

    /// An error about `key`, placed on the first line that mentions it.
    pub fn at(file: &str, text: &str, key: &str, reason: impl Into<String>) -> Self {
        PolicyError { file: file.to_string(), line: locate(text, key), reason: reason.into() }
    }
}

/// The 1-based line of the first occurrence of `needle` (0 if absent).
pub fn locate(text: &str, needle: &str) -> usize {
    text.find(needle).map_or(0, |i| text[..i].matches('\n').count() + 1)
}

#[derive(Debug, Clone)]
pub struct Pack {
    pub code: String,
    pub title: String,
    pub calendar: String,
    /// The sector's regulator and its supervision hotline, when published.
    pub regulator: Option<Regulator>,
    pub cases: CasePolicy,
    /// The service rules staff are held to (SPEC STD-1).
    pub codebook: Vec<CodebookRule>,
    pub ledger: LedgerPolicy,
    pub inspections: InspectionPolicy,
    pub satisfaction: SatisfactionPolicy,
    pub assessment: AssessmentPolicy,
    pub public: public::PublicPolicy,
    /// Campaign templates (SPEC CMP-1).
    pub campaigns: Vec<campaigns::CampaignTemplate>,
    /// Training and qualifications (SPEC CMP-2).
    pub training: training::TrainingPolicy,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackFile {
    pack: PackMeta,
    cases: cases::CasesFile,
    codebook: Vec<ledger::CodebookFile>,
    ledger: ledger::LedgerFile,
    inspections: ledger::InspectionsFile,
    satisfaction: satisfaction::SatisfactionFile,
    assessment: assessment::AssessmentFile,
    #[serde(default)]
    public: public::PublicPolicy,
    #[serde(default)]
    campaigns: Vec<campaigns::CampaignTemplate>,
    #[serde(default)]
    training: training::TrainingPolicy,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PackMeta {
    code: String,
    title: String,
    calendar: String,
    #[serde(default)]
    regulator: Option<Regulator>,
}

/// The authority that supervises the sector, published on public pages
/// (seed 002: 公开运政监督电话).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Regulator {
    pub name: String,
    pub hotline: String,
}

impl Pack {
    /// Parses and checks a pack file.
    pub fn parse(file: &str, text: &str) -> Result<Pack, PolicyError> {
        let raw: PackFile = toml::from_str(text).map_err(|e| PolicyError::from_toml(file, text, &e))?;
        let span = |key: &str, v: &str| -> Result<Span, PolicyError> {
            Span::parse(v).ok_or_else(|| {
                PolicyError::at(
                    file,
                    text,
                    &format!("\"{v}\""),
                    format!("{key}: \"{v}\" is not a span like 24h or 7wd"),
                )
            })
        };
        let cases = cases::parse_cases(file, text, raw.cases, &span)?;
        let codebook = ledger::parse_codebook(file, text, raw.codebook)?;
        let ledger = ledger::parse_ledger(file, text, raw.ledger, &span)?;
        let inspections =
            InspectionPolicy { rectification: span("rectification", &raw.inspections.rectification)? };
        let satisfaction = satisfaction::parse_satisfaction(file, text, raw.satisfaction, &cases)?;
        let assessment = assessment::parse_assessment(file, text, raw.assessment)?;
        public::check_hours(file, text, &raw.public)?;
        campaigns::check(file, text, &raw.campaigns)?;
        Ok(Pack {
            code: raw.pack.code,
            title: raw.pack.title,
            calendar: raw.pack.calendar,
            regulator: raw.pack.regulator,
            codebook,
            ledger,
            inspections,
            satisfaction,
            assessment,
            cases,
            public: raw.public,
            campaigns: raw.campaigns,
            training: raw.training,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::CaseKind;

    fn toll() -> Pack {
        Pack::parse("toll.toml", include_str!("../../../../policy/toll.toml")).unwrap()
    }

    #[test]
    fn the_toll_pack_has_the_24_and_48_hour_clock_of_seed_000() {
        let p = toll();
        let t = p.cases.default_track(CaseKind::Complaint).unwrap();
        assert_eq!((t.investigate, t.handle), (Some(Span::Hours(24)), Span::Hours(48)));
        assert_eq!(
            p.cases
                .escalation
                .iter()
                .find(|s| s.stage == Stage::Investigate && s.offset == Span::Hours(0))
                .unwrap()
                .to,
            LadderRole::ShiftLeader
        );
    }

    #[test]
    fn the_hall_pack_has_the_three_time_limits_of_seed_002() {
        let p = Pack::parse("hall.toml", include_str!("../../../../policy/hall.toml")).unwrap();
        let handle = |code: &str| p.cases.track(code).unwrap().handle;
        assert_eq!(handle("on_the_spot"), Span::WorkingDays(0));
        assert_eq!(handle("leader_approval"), Span::WorkingDays(2));
        assert_eq!(handle("research"), Span::WorkingDays(7));
    }

    #[test]
    fn published_hours_are_checked_and_said_in_words() {
        let toll = toll();
        let station = &toll.public.hours[0];
        assert_eq!(station.words(false), "每天 00:00–24:00");
        assert_eq!(station.words(true), "Every day 00:00–24:00");
        assert_eq!(toll.public.sign_width, 16);
        assert!(toll.public.commitments[0].text.contains("48小时内予以处理"));
        let base = include_str!("../../../../policy/toll.toml");
        for (from, to, reason) in [
            ("days = \"every_day\"", "days = \"weekends\"", "every_day or working_days"),
            ("until = \"24:00\"", "until = \"24:30\"", "HH:MM"),
            ("unit_kind = \"station\"", "unit_kind = \"castle\"", "kind of unit"),
        ] {
            let e = Pack::parse("toll.toml", &base.replace(from, to)).unwrap_err();
            assert!(e.reason.contains(reason), "{to}: {e}");
        }
    }

    #[test]
    fn errors_name_file_line_and_reason() {
        let text =
            include_str!("../../../../policy/toll.toml").replace("handle = \"48h\"", "handle = \"two days\"");
        let e = Pack::parse("toll.toml", &text).unwrap_err();
        assert_eq!(e.line, locate(&text, "two days"));
        assert!(e.reason.contains("two days"), "{e}");
        let text = include_str!("../../../../policy/toll.toml").replace("[pack]", "[pack]\ncolour = \"red\"");
        let e = Pack::parse("toll.toml", &text).unwrap_err();
        assert_eq!(e.line, locate(&text, "colour"), "{e}");
        assert!(e.reason.contains("colour"), "{e}");
    }
}

/// A pack with its calendar: everything needed to put a case on the clock.
#[derive(Debug, Clone, Copy)]
pub struct Rules<'a> {
    pub pack: &'a Pack,
    pub calendar: &'a crate::calendar::Calendar,
}

/// Every pack and calendar the installation knows, checked together.
#[derive(Debug, Clone, Default)]
pub struct PolicySet {
    pub packs: std::collections::BTreeMap<String, Pack>,
    pub calendars: std::collections::BTreeMap<String, crate::calendar::Calendar>,
}

/// The packs and calendars shipped in `policy/`, compiled into the binary.
pub const BUILTIN: &[(&str, &str)] = &[
    ("policy/toll.toml", include_str!("../../../../policy/toll.toml")),
    ("policy/hall.toml", include_str!("../../../../policy/hall.toml")),
    ("policy/taxi.toml", include_str!("../../../../policy/taxi.toml")),
    ("policy/bus.toml", include_str!("../../../../policy/bus.toml")),
    ("policy/lock.toml", include_str!("../../../../policy/lock.toml")),
    ("policy/power.toml", include_str!("../../../../policy/power.toml")),
    ("policy/bank.toml", include_str!("../../../../policy/bank.toml")),
    ("policy/calendar/cn-2026.toml", include_str!("../../../../policy/calendar/cn-2026.toml")),
    ("policy/calendar/cn-every-day.toml", include_str!("../../../../policy/calendar/cn-every-day.toml")),
];

impl PolicySet {
    /// Parses `(file name, text)` pairs: files under a `calendar/` folder are
    /// calendars, the rest packs. Every pack's calendar must be present.
    pub fn from_files<'a>(
        files: impl IntoIterator<Item = (&'a str, &'a str)>,
    ) -> Result<PolicySet, PolicyError> {
        let mut set = PolicySet::default();
        let mut pack_texts = Vec::new();
        for (name, text) in files {
            if name.contains("calendar/") || name.contains("calendar\\") {
                let cal = crate::calendar::Calendar::parse(name, text)?;
                set.calendars.insert(cal.name.clone(), cal);
            } else {
                let pack = Pack::parse(name, text)?;
                pack_texts.push((name, text, pack.calendar.clone()));
                set.packs.insert(pack.code.clone(), pack);
            }
        }
        for (name, text, calendar) in pack_texts {
            if !set.calendars.contains_key(&calendar) {
                return Err(PolicyError::at(
                    name,
                    text,
                    "calendar",
                    format!("calendar {calendar} is not among the calendars"),
                ));
            }
        }
        Ok(set)
    }

    pub fn builtin() -> PolicySet {
        PolicySet::from_files(BUILTIN.iter().copied()).expect("the shipped packs are checked by tests")
    }

    pub fn pack(&self, code: &str) -> Option<&Pack> {
        self.packs.get(code)
    }

    /// The pack and its calendar.
    pub fn rules(&self, code: &str) -> Option<Rules<'_>> {
        let pack = self.packs.get(code)?;
        Some(Rules { pack, calendar: self.calendars.get(&pack.calendar)? })
    }
}

#[cfg(test)]
mod set_tests {
    use super::*;

    #[test]
    fn the_shipped_policy_set_loads() {
        let set = PolicySet::builtin();
        assert!(set.rules("toll").is_some());
        assert!(set.rules("hall").is_some());
        assert!(set.rules("power").is_some());
        assert!(set.rules("bank").is_some());
    }

    #[test]
    fn the_power_pack_repairs_on_its_own_clock_and_its_hall_has_no_weekly_rest_day() {
        use crate::cases::CaseKind;
        let set = PolicySet::builtin();
        let power = set.rules("power").unwrap();
        let repair = power.pack.cases.default_track(CaseKind::HelpRequest).unwrap();
        assert_eq!((repair.code.as_str(), repair.handle), ("fault_repair", Span::Hours(24)));
        // Friday 6 Nov 2026: a complaint's 3 working days end on Monday on
        // the 7-day calendar, on Wednesday on the ordinary one.
        let cn = &set.calendars["cn-2026"];
        let friday =
            cn.start_of_day_ms(chrono::NaiveDate::from_ymd_opt(2026, 11, 6).unwrap()) + 10 * 3_600_000;
        let due = |cal: &crate::calendar::Calendar| cal.local_date(cal.add_working_days(friday, 3) - 1);
        assert_eq!(due(power.calendar).to_string(), "2026-11-09");
        assert_eq!(due(cn).to_string(), "2026-11-11");
        assert!(power.pack.codebook.iter().any(|r| r.title.contains("不准向用户吃、拿、卡、要")));
    }

    #[test]
    fn a_pack_naming_a_missing_calendar_is_refused() {
        let toll = include_str!("../../../../policy/toll.toml");
        let e = PolicySet::from_files([("policy/toll.toml", toll)]).unwrap_err();
        assert!(e.reason.contains("cn-2026"), "{e}");
        assert_eq!(e.line, locate(toll, "calendar"));
    }
}
