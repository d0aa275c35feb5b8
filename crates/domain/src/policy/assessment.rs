//! The assessment part of a pack (SPEC KPI-3): the monthly score's base,
//! deductions and bonuses, star grades, the awards selected from it (who
//! may be a candidate, and what costs a team its eligibility), and the
//! indicators' targets.

use serde::{Deserialize, Serialize};

use super::PolicyError;
use crate::Role;
use crate::org::UnitKind;

labelled_enum! {
    /// Who an award goes to.
    AwardLevel {
        Staff = "staff", "个人", "A staff member";
        Team = "team", "班组", "A team";
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct Award {
    pub code: String,
    pub title: String,
    pub level: AwardLevel,
    /// How many are selected at most.
    pub top: u32,
    /// The lowest score that may win.
    pub min_score: f64,
    /// Team awards: a team with at least this many members who lost their
    /// award eligibility this year is not eligible either. `None`: only
    /// entries about the team itself cost it the award.
    pub ineligible_members: Option<u32>,
    /// The reward that goes with it (zero: honour only), booked when
    /// its certificate is issued and paid out by finance.
    pub reward_fen: crate::Fen,
}

/// Someone (a staff member or a team) an award may go to.
#[derive(Debug, Clone)]
pub struct Candidate {
    pub id: i64,
    pub name: String,
    pub score: f64,
    /// May win at all: a staff member of one of the pack's ranked roles,
    /// a team with members. Others are neither selected nor listed.
    pub ranked: bool,
    /// Has not lost award eligibility this year; when false, `reasons`
    /// say which entries took it away.
    pub eligible: bool,
    pub reasons: Vec<String>,
}

/// An award's outcome: who won, and who would have qualified by score but
/// is not eligible (with the reasons), best first.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Selection {
    pub winners: Vec<(i64, String, f64)>,
    pub ineligible: Vec<(i64, String, f64, Vec<String>)>,
}

impl Award {
    /// Selects the best `top` ranked, eligible candidates at `min_score` or
    /// more from `candidates` (best first); the ineligible who reach the
    /// score are listed apart with their reasons.
    pub fn select(&self, candidates: &[Candidate]) -> Selection {
        let qualifying = candidates.iter().filter(|c| c.ranked && c.score >= self.min_score);
        Selection {
            winners: qualifying
                .clone()
                .filter(|c| c.eligible)
                .take(self.top as usize)
                .map(|c| (c.id, c.name.clone(), c.score))
                .collect(),
            ineligible: qualifying
                .filter(|c| !c.eligible)
                .map(|c| (c.id, c.name.clone(), c.score, c.reasons.clone()))
                .collect(),
        }
    }

    /// Why a team is not eligible, from its own entries' reasons and the
    /// number of its members who are not; empty when it is eligible.
    pub fn team_reasons(&self, own: &[String], ineligible_members: usize) -> Vec<String> {
        let mut reasons = own.to_vec();
        if let Some(n) = self.ineligible_members
            && ineligible_members >= n as usize
        {
            reasons.push(format!("班组有{ineligible_members}名成员被取消评先评优资格"));
        }
        reasons
    }
}

labelled_enum! {
    /// An indicator a target can be set for (docs/INDICATORS.md).
    Indicator {
        ValidComplaints = "valid_complaints", "有效投诉", "Valid complaints";
        ComplaintsPer10k = "complaints_per_10k", "每万车次投诉", "Complaints per 10,000";
        SatisfactionRate = "satisfaction_rate", "服务满意率", "Service satisfaction rate";
        HandlingSatisfaction = "handling_satisfaction", "投诉处理满意度", "Complaint-handling satisfaction";
        TimelyRate = "timely_rate", "意见处理及时率", "Timely-handling rate";
        RectificationRate = "rectification_rate", "服务问题整改率", "Rectification rate";
        ComplianceRate = "compliance_rate", "现场管理到位率", "On-site compliance rate";
        Violations = "violations", "违规", "Violations";
    }
}

impl Indicator {
    /// Rates are fractions in the indicators and percentages in packs.
    pub fn is_rate(self) -> bool {
        matches!(
            self,
            Indicator::SatisfactionRate
                | Indicator::HandlingSatisfaction
                | Indicator::TimelyRate
                | Indicator::RectificationRate
                | Indicator::ComplianceRate
        )
    }
}

/// A target for an indicator (e.g. 投诉处理满意度 100 %, 零投诉).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Target {
    pub indicator: Indicator,
    /// At least (`true`) or at most (`false`) `value`.
    pub at_least: bool,
    /// Percent for rates, a count otherwise.
    pub value: f64,
}

impl Target {
    /// Whether `actual` (as the indicators hold it: a fraction for rates)
    /// meets the target; `None` when there is nothing to measure.
    pub fn met(&self, actual: Option<f64>) -> Option<bool> {
        let a = actual?;
        let a = if self.indicator.is_rate() { a * 100.0 } else { a };
        // Rid the percentage of floating-point noise (0.07 × 100 is 7.000…01).
        let a = (a * 1e6).round() / 1e6;
        Some(if self.at_least { a >= self.value } else { a <= self.value })
    }

    /// "≥ 100%", "≤ 0".
    pub fn describe(&self) -> String {
        let unit = if self.indicator.is_rate() { "%" } else { "" };
        format!("{} {}{unit}", if self.at_least { "≥" } else { "≤" }, self.value)
    }
}

#[derive(Debug, Clone)]
pub struct AssessmentPolicy {
    pub base: f64,
    /// Points off per valid complaint about the person, per violation, per
    /// bad rating naming them.
    pub per_complaint: f64,
    pub per_violation: f64,
    pub per_bad_rating: f64,
    /// Points on per good deed and per commendation.
    pub per_good_deed: f64,
    pub per_commendation: f64,
    /// Points off per approved efficiency warning 效能告诫 about the person.
    pub per_efficiency_warning: f64,
    /// Points on per hour of training attended in the month (SPEC CMP-2).
    pub per_training_hour: f64,
    /// How much of a month's score is the campaign's (SPEC CMP-1): the
    /// score of the person's unit (or the nearest unit above it evaluated)
    /// from the evaluations recorded that month, out of 100; 0 leaves the
    /// score as it is.
    pub campaign_weight: f64,
    /// Scores for five, four, three, two and one star, highest first.
    pub stars: Vec<f64>,
    pub awards: Vec<Award>,
    /// Awards of the annual review (seed 002 §5.3; taxi 年度表彰).
    pub annual_awards: Vec<Award>,
    /// Whose staff records may win staff awards: staff linked to a user of
    /// another role (leaders, office clerks…) are scored but not candidates.
    /// Staff with no user account are front-line staff.
    pub ranked_roles: Vec<Role>,
    /// Whose staff may win staff awards by where they work: front-line
    /// units (stations, terminals, locks, halls, teams) by default, not the
    /// company's offices and departments.
    pub ranked_unit_kinds: Vec<UnitKind>,
    /// Targets for the organisation's indicators.
    pub targets: Vec<Target>,
}

/// What a person did in a month, as the score counts it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize, Deserialize)]
pub struct Tally {
    pub complaints: i64,
    /// Approved violation entries in the ledger, whatever fact produced them.
    pub violations: i64,
    pub bad_ratings: i64,
    pub good_deeds: i64,
    pub commendations: i64,
    /// Approved efficiency warnings 效能告诫.
    #[serde(default)]
    pub warnings: i64,
    /// Approved criticisms in a notice 通报批评 (not scored: listed).
    #[serde(default)]
    pub criticisms: i64,
    /// Minutes of training attended in the month.
    #[serde(default)]
    pub training_minutes: i64,
    /// The month's campaign score of the person's unit, out of 100.
    #[serde(default)]
    pub campaign: Option<f64>,
}

impl Tally {
    /// Whether the month's notice criticises the person: an approved
    /// violation, criticism or efficiency warning — never a lone bad rating
    /// or a complaint still being looked into.
    pub fn criticised(&self) -> bool {
        self.violations > 0 || self.criticisms > 0 || self.warnings > 0
    }

    /// The sum of months (the annual review).
    pub fn add(&mut self, o: &Tally) {
        self.complaints += o.complaints;
        self.violations += o.violations;
        self.bad_ratings += o.bad_ratings;
        self.good_deeds += o.good_deeds;
        self.commendations += o.commendations;
        self.warnings += o.warnings;
        self.criticisms += o.criticisms;
        self.training_minutes += o.training_minutes;
    }
}

/// One person's months in a year, as the annual review sums them.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct YearTally {
    /// The months' tallies added up.
    pub tally: Tally,
    /// The sum of the monthly scores, and how many months were scored.
    pub score_sum: f64,
    pub months: u32,
}

impl YearTally {
    pub fn add_month(&mut self, t: &Tally, score: f64) {
        self.tally.add(t);
        self.score_sum += score;
        self.months += 1;
    }

    /// The annual score: the mean of the monthly scores, so that it reads
    /// on the same scale (and the same star thresholds) as a month's.
    pub fn score(&self) -> f64 {
        if self.months == 0 {
            return 0.0;
        }
        (self.score_sum / self.months as f64 * 100.0).round() / 100.0
    }
}

impl AssessmentPolicy {
    /// The month's score: the base, less deductions, plus bonuses; never below 0.
    pub fn score(&self, t: &Tally) -> f64 {
        let s = self.base
            - self.per_complaint * t.complaints as f64
            - self.per_violation * t.violations as f64
            - self.per_bad_rating * t.bad_ratings as f64
            - self.per_efficiency_warning * t.warnings as f64
            + self.per_good_deed * t.good_deeds as f64
            + self.per_commendation * t.commendations as f64
            + self.per_training_hour * t.training_minutes as f64 / 60.0;
        let s = match t.campaign {
            Some(c) if self.campaign_weight > 0.0 => {
                (1.0 - self.campaign_weight) * s + self.campaign_weight * c
            }
            _ => s,
        };
        (s.max(0.0) * 100.0).round() / 100.0
    }

    /// Stars for a score: 5 at the first threshold reached, down to 0.
    pub fn stars(&self, score: f64) -> u8 {
        self.stars.iter().position(|t| score >= *t).map_or(0, |i| (5 - i.min(4)) as u8)
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct AssessmentFile {
    base: f64,
    per_complaint: f64,
    per_violation: f64,
    per_bad_rating: f64,
    per_good_deed: f64,
    per_commendation: f64,
    #[serde(default)]
    per_efficiency_warning: f64,
    #[serde(default)]
    per_training_hour: f64,
    #[serde(default)]
    campaign_weight: f64,
    stars: Vec<f64>,
    #[serde(default)]
    awards: Vec<AwardFile>,
    #[serde(default)]
    annual_awards: Vec<AwardFile>,
    #[serde(default = "front_line")]
    ranked_roles: Vec<Role>,
    #[serde(default = "front_line_units")]
    ranked_unit_kinds: Vec<UnitKind>,
    #[serde(default)]
    targets: Vec<TargetFile>,
}

fn front_line() -> Vec<Role> {
    vec![Role::Staff, Role::ShiftLeader]
}

fn front_line_units() -> Vec<UnitKind> {
    vec![UnitKind::Station, UnitKind::Terminal, UnitKind::Lock, UnitKind::Hall, UnitKind::Team]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AwardFile {
    code: String,
    title: String,
    level: AwardLevel,
    top: u32,
    min_score: f64,
    #[serde(default)]
    ineligible_members: Option<u32>,
    /// `500` or `500元`.
    #[serde(default)]
    reward: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TargetFile {
    indicator: Indicator,
    at_least: Option<f64>,
    at_most: Option<f64>,
}

fn parse_awards(file: &str, text: &str, raw: Vec<AwardFile>) -> Result<Vec<Award>, PolicyError> {
    let at = |needle: &str, why: String| PolicyError::at(file, text, needle, why);
    let mut awards: Vec<Award> = Vec::new();
    for a in raw {
        if awards.iter().any(|x| x.code == a.code) || a.top == 0 {
            return Err(at(
                &format!("\"{}\"", a.code),
                format!("award {} is defined twice or selects nobody", a.code),
            ));
        }
        if a.ineligible_members.is_some() && a.level != AwardLevel::Team || a.ineligible_members == Some(0) {
            return Err(at(
                "ineligible_members",
                format!("award {}: ineligible_members is for team awards, at least 1", a.code),
            ));
        }
        let reward_fen = match &a.reward {
            None => crate::Fen::ZERO,
            Some(r) => crate::Fen::parse_yuan(r).ok_or_else(|| {
                at("reward", format!("award {}: reward is an amount in yuan, like \"500\"", a.code))
            })?,
        };
        awards.push(Award {
            reward_fen,
            code: a.code,
            title: a.title,
            level: a.level,
            top: a.top,
            min_score: a.min_score,
            ineligible_members: a.ineligible_members,
        });
    }
    Ok(awards)
}

pub(super) fn parse_assessment(
    file: &str,
    text: &str,
    raw: AssessmentFile,
) -> Result<AssessmentPolicy, PolicyError> {
    let at = |needle: &str, why: String| PolicyError::at(file, text, needle, why);
    if raw.stars.len() != 5 || raw.stars.windows(2).any(|w| w[0] <= w[1]) {
        return Err(at("stars", "stars needs five falling scores, for five stars down to one".into()));
    }
    for (k, v) in [
        ("per_complaint", raw.per_complaint),
        ("per_violation", raw.per_violation),
        ("per_bad_rating", raw.per_bad_rating),
        ("per_good_deed", raw.per_good_deed),
        ("per_commendation", raw.per_commendation),
        ("per_efficiency_warning", raw.per_efficiency_warning),
        ("per_training_hour", raw.per_training_hour),
    ] {
        if v < 0.0 {
            return Err(at(k, format!("{k} must not be negative")));
        }
    }
    if !(0.0..=1.0).contains(&raw.campaign_weight) {
        return Err(at("campaign_weight", "campaign_weight is a share from 0 to 1".into()));
    }
    let awards = parse_awards(file, text, raw.awards)?;
    let annual_awards = parse_awards(file, text, raw.annual_awards)?;
    let mut targets: Vec<Target> = Vec::new();
    for t in raw.targets {
        let (at_least, value) = match (t.at_least, t.at_most) {
            (Some(v), None) => (true, v),
            (None, Some(v)) => (false, v),
            _ => {
                return Err(at(
                    t.indicator.as_str(),
                    format!("target {}: give exactly one of at_least, at_most", t.indicator.as_str()),
                ));
            }
        };
        if targets.iter().any(|x| x.indicator == t.indicator)
            || value < 0.0
            || t.indicator.is_rate() && value > 100.0
        {
            return Err(at(
                t.indicator.as_str(),
                format!("target {} is given twice or out of range", t.indicator.as_str()),
            ));
        }
        targets.push(Target { indicator: t.indicator, at_least, value });
    }
    Ok(AssessmentPolicy {
        base: raw.base,
        per_complaint: raw.per_complaint,
        per_violation: raw.per_violation,
        per_bad_rating: raw.per_bad_rating,
        per_good_deed: raw.per_good_deed,
        per_commendation: raw.per_commendation,
        per_efficiency_warning: raw.per_efficiency_warning,
        per_training_hour: raw.per_training_hour,
        campaign_weight: raw.campaign_weight,
        stars: raw.stars,
        awards,
        annual_awards,
        ranked_roles: raw.ranked_roles,
        ranked_unit_kinds: raw.ranked_unit_kinds,
        targets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::Pack;

    #[test]
    fn the_toll_score_takes_points_off_and_on_and_grades_stars() {
        let p = Pack::parse("toll.toml", include_str!("../../../../policy/toll.toml")).unwrap().assessment;
        let t = |complaints, violations, bad_ratings, good_deeds| Tally {
            complaints,
            violations,
            bad_ratings,
            good_deeds,
            ..Tally::default()
        };
        assert_eq!(p.score(&t(0, 0, 0, 0)), 100.0);
        assert_eq!(p.score(&t(1, 1, 2, 0)), 90.0, "100 − 5 − 3 − 2");
        assert_eq!(p.score(&t(0, 0, 0, 1)), 102.0);
        assert_eq!(p.score(&t(30, 0, 0, 0)), 0.0, "never below zero");
        assert_eq!(
            (p.stars(102.0), p.stars(97.0), p.stars(96.9), p.stars(85.0), p.stars(84.0)),
            (5, 4, 3, 1, 0)
        );
        assert_eq!(
            p.awards.iter().map(|a| a.title.as_str()).collect::<Vec<_>>(),
            ["金牌服务班组", "服务标兵"]
        );
    }

    fn candidate(id: i64, score: f64, ranked: bool, eligible: bool) -> Candidate {
        Candidate {
            id,
            name: format!("c{id}"),
            score,
            ranked,
            eligible,
            reasons: if eligible { vec![] } else { vec!["台账 #1 取消评先评优资格".into()] },
        }
    }

    #[test]
    fn an_award_skips_the_ineligible_and_the_unranked_and_lists_the_ineligible_apart() {
        let p = Pack::parse("toll.toml", include_str!("../../../../policy/toll.toml")).unwrap().assessment;
        let model = p.awards.iter().find(|a| a.code == "service_model").unwrap();
        let c = [
            candidate(1, 102.0, true, false),
            candidate(2, 101.0, false, true), // a leader's staff record: not a candidate
            candidate(3, 100.0, true, true),
            candidate(4, 99.0, true, true),
            candidate(5, 98.0, true, true),
            candidate(6, 98.0, true, true),
            candidate(7, 97.0, true, true),
        ];
        let s = model.select(&c);
        assert_eq!(s.winners.iter().map(|w| w.0).collect::<Vec<_>>(), [3, 4, 5], "top 3 at 98 or more");
        assert_eq!(s.ineligible.iter().map(|w| w.0).collect::<Vec<_>>(), [1]);
        assert_eq!(p.ranked_roles, [Role::Staff, Role::ShiftLeader]);
        assert!(
            p.ranked_unit_kinds.contains(&UnitKind::Team)
                && !p.ranked_unit_kinds.contains(&UnitKind::Department)
        );
    }

    #[test]
    fn a_team_loses_eligibility_by_its_own_entries_or_as_many_members_as_the_pack_says() {
        let base = Award {
            code: "gold".into(),
            title: "金牌服务班组".into(),
            level: AwardLevel::Team,
            top: 1,
            min_score: 95.0,
            ineligible_members: None,
            reward_fen: crate::Fen::ZERO,
        };
        assert!(base.team_reasons(&[], 3).is_empty(), "members alone cost nothing unless the pack says so");
        assert_eq!(base.team_reasons(&["台账 #9".into()], 0), ["台账 #9"]);
        let strict = Award { ineligible_members: Some(2), ..base };
        assert!(strict.team_reasons(&[], 1).is_empty());
        assert_eq!(strict.team_reasons(&[], 2).len(), 1);
    }

    #[test]
    fn targets_compare_rates_in_percent_and_counts_as_counts() {
        let full = Target { indicator: Indicator::HandlingSatisfaction, at_least: true, value: 100.0 };
        assert_eq!(full.met(Some(1.0)), Some(true));
        assert_eq!(full.met(Some(0.9999)), Some(false), "99.99 % is short of 100 %");
        let seven = Target { indicator: Indicator::TimelyRate, at_least: false, value: 7.0 };
        assert_eq!(seven.met(Some(0.07)), Some(true), "no floating-point noise");
        assert_eq!(full.met(Some(0.95)), Some(false));
        assert_eq!(full.met(None), None);
        let zero = Target { indicator: Indicator::ValidComplaints, at_least: false, value: 0.0 };
        assert_eq!((zero.met(Some(0.0)), zero.met(Some(1.0))), (Some(true), Some(false)));
        assert_eq!((full.describe(), zero.describe()), ("≥ 100%".to_string(), "≤ 0".to_string()));
    }

    #[test]
    fn a_year_scores_the_mean_of_its_months_and_sums_their_tallies() {
        let p = Pack::parse("toll.toml", include_str!("../../../../policy/toll.toml")).unwrap().assessment;
        let mut y = YearTally::default();
        for (v, b) in [(0, 0), (2, 0), (0, 3)] {
            let t = Tally { violations: v, bad_ratings: b, ..Tally::default() };
            y.add_month(&t, p.score(&t));
        }
        assert_eq!((y.tally.violations, y.tally.bad_ratings, y.months), (2, 3, 3));
        assert_eq!(y.score(), 97.0, "(100 + 94 + 97) / 3");
        assert_eq!(YearTally::default().score(), 0.0);
    }

    #[test]
    fn an_efficiency_warning_costs_the_halls_pack_number() {
        let p = Pack::parse("hall.toml", include_str!("../../../../policy/hall.toml")).unwrap().assessment;
        let t = Tally { warnings: 1, ..Tally::default() };
        assert_eq!(p.score(&t), p.base - p.per_efficiency_warning);
        assert!(p.per_efficiency_warning > 0.0);
    }

    #[test]
    fn training_hours_add_and_a_campaign_weighs_in_as_the_pack_says() {
        let toll = Pack::parse("toll.toml", include_str!("../../../../policy/toll.toml")).unwrap().assessment;
        let t = Tally { training_minutes: 120, ..Tally::default() };
        assert_eq!(toll.score(&t), 100.0 + 2.0 * toll.per_training_hour);
        assert!(toll.per_training_hour > 0.0);
        let bus = Pack::parse("bus.toml", include_str!("../../../../policy/bus.toml")).unwrap().assessment;
        assert_eq!(bus.campaign_weight, 0.1);
        let t = Tally { campaign: Some(80.0), ..Tally::default() };
        assert_eq!(bus.score(&t), 98.0, "0.9 × 100 + 0.1 × 80");
        assert_eq!(bus.score(&Tally::default()), 100.0, "no evaluation this month: the score as it is");
        let text = include_str!("../../../../policy/bus.toml")
            .replace("campaign_weight = 0.1", "campaign_weight = 1.5");
        assert!(Pack::parse("bus.toml", &text).unwrap_err().to_string().contains("campaign_weight"));
    }

    #[test]
    fn a_bad_pack_target_names_its_problem() {
        let text = format!(
            "{}\n[[assessment.targets]]\nindicator = \"compliance_rate\"\nat_least = 90\nat_most = 100\n",
            include_str!("../../../../policy/toll.toml")
        );
        let e = Pack::parse("toll.toml", &text).unwrap_err();
        assert!(e.to_string().contains("exactly one"), "{e}");
    }
}
