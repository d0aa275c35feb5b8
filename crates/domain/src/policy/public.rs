//! What the public sees of an organisation, as its pack says (SPEC PUB):
//! the sign width, published commitments, fee standards, opening hours,
//! whether the staff on duty are named, how often the convenience directory
//! is checked and how early an expiring facility is flagged.

use serde::Deserialize;

use super::PolicyError;

/// What the public sees of the organisation (SPEC PUB).
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicPolicy {
    /// Characters a line of the units' variable message signs holds.
    #[serde(default = "sign_width")]
    pub sign_width: usize,
    /// Published service commitments with their figures (PUB-4: 服务承诺制,
    /// e.g. seed 000's 投诉24小时调查清楚、48小时内予以处理).
    #[serde(default)]
    pub commitments: Vec<Commitment>,
    /// Opening hours by kind of unit (PUB-4).
    #[serde(default)]
    pub hours: Vec<OpeningHours>,
    /// Days after which a directory entry must be checked again (PUB-1:
    /// 定期更新); a stale entry is on its unit's to-do list.
    #[serde(default = "directory_review_days")]
    pub directory_review_days: u32,
    /// Published fee standards (PUB-4: 收费标准, seed 002's ship lock and
    /// the toll company's 收费公示).
    #[serde(default)]
    pub fees: Vec<Fee>,
    /// Whether the public pages name the staff on duty with their 工号
    /// (PUB-4: 公开值班人员).
    #[serde(default)]
    pub publish_on_duty: bool,
    /// Days before a facility's expiry (medicine, extinguishers) that its
    /// unit is reminded to renew it.
    #[serde(default = "facility_warning_days")]
    pub facility_warning_days: u32,
}

fn facility_warning_days() -> u32 {
    30
}

/// A published fee standard: what, how much, and on what authority.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Fee {
    pub item: String,
    pub item_en: String,
    pub standard: String,
    pub basis: String,
}

fn directory_review_days() -> u32 {
    90
}

impl Default for PublicPolicy {
    fn default() -> Self {
        PublicPolicy {
            sign_width: sign_width(),
            commitments: vec![],
            hours: vec![],
            directory_review_days: directory_review_days(),
            fees: vec![],
            publish_on_duty: false,
            facility_warning_days: facility_warning_days(),
        }
    }
}

/// One published commitment, in both languages, with the document it
/// comes from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Commitment {
    pub title: String,
    pub title_en: String,
    pub text: String,
    pub text_en: String,
    pub source: String,
}

/// When units of a kind serve the public: `days` is `every_day` (a 7-day
/// hall or a toll station: weekends and holidays included, never listed)
/// or `working_days` (the pack's calendar); `from`/`until` as `HH:MM`,
/// `00:00`–`24:00` for around the clock.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OpeningHours {
    pub unit_kind: String,
    pub days: String,
    pub from: String,
    pub until: String,
}

impl OpeningHours {
    /// The hours in words: `每天 00:00–24:00` / `Every day 00:00–24:00`.
    pub fn words(&self, english: bool) -> String {
        let days = match (self.days.as_str(), english) {
            ("every_day", false) => "每天",
            ("every_day", true) => "Every day",
            (_, false) => "工作日",
            (_, true) => "Working days",
        };
        format!("{days} {}–{}", self.from, self.until)
    }
}

fn sign_width() -> usize {
    16
}

/// Refuses hours with an unknown day rule, kind of unit or clock time.
pub(super) fn check_hours(file: &str, text: &str, p: &PublicPolicy) -> Result<(), PolicyError> {
    for h in &p.hours {
        let clock = |t: &str| {
            let (hh, mm) = t.split_once(':').unwrap_or(("", ""));
            mm.len() == 2
                && hh.parse::<u32>().is_ok_and(|h| h <= 24)
                && mm.parse::<u32>().is_ok_and(|m| m < 60 && (hh != "24" || m == 0))
        };
        let problem = if crate::org::UnitKind::parse(&h.unit_kind).is_none() {
            Some("hours.unit_kind is not a kind of unit")
        } else if !["every_day", "working_days"].contains(&h.days.as_str()) {
            Some("hours.days is every_day or working_days")
        } else if !clock(&h.from) || !clock(&h.until) || h.from >= h.until {
            Some("hours.from and hours.until are HH:MM, from before until")
        } else {
            None
        };
        if let Some(message) = problem {
            return Err(PolicyError::at(file, text, &format!("\"{}\"", h.unit_kind), message.to_string()));
        }
    }
    Ok(())
}
