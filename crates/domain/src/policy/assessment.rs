//! The assessment part of a pack (SPEC KPI-3): the monthly score's base,
//! deductions and bonuses, star grades, and the awards selected from it.

use serde::{Deserialize, Serialize};

use super::PolicyError;

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
    /// Scores for five, four, three, two and one star, highest first.
    pub stars: Vec<f64>,
    pub awards: Vec<Award>,
}

/// What a person did in a month, as the score counts it.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Tally {
    pub complaints: i64,
    pub violations: i64,
    pub bad_ratings: i64,
    pub good_deeds: i64,
    pub commendations: i64,
}

impl AssessmentPolicy {
    /// The month's score: the base, less deductions, plus bonuses; never below 0.
    pub fn score(&self, t: &Tally) -> f64 {
        let s = self.base
            - self.per_complaint * t.complaints as f64
            - self.per_violation * t.violations as f64
            - self.per_bad_rating * t.bad_ratings as f64
            + self.per_good_deed * t.good_deeds as f64
            + self.per_commendation * t.commendations as f64;
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
    stars: Vec<f64>,
    #[serde(default)]
    awards: Vec<AwardFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct AwardFile {
    code: String,
    title: String,
    level: AwardLevel,
    top: u32,
    min_score: f64,
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
    ] {
        if v < 0.0 {
            return Err(at(k, format!("{k} must not be negative")));
        }
    }
    let mut awards: Vec<Award> = Vec::new();
    for a in raw.awards {
        if awards.iter().any(|x| x.code == a.code) || a.top == 0 {
            return Err(at(
                &format!("\"{}\"", a.code),
                format!("award {} is defined twice or selects nobody", a.code),
            ));
        }
        awards.push(Award {
            code: a.code,
            title: a.title,
            level: a.level,
            top: a.top,
            min_score: a.min_score,
        });
    }
    Ok(AssessmentPolicy {
        base: raw.base,
        per_complaint: raw.per_complaint,
        per_violation: raw.per_violation,
        per_bad_rating: raw.per_bad_rating,
        per_good_deed: raw.per_good_deed,
        per_commendation: raw.per_commendation,
        stars: raw.stars,
        awards,
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
            commendations: 0,
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
}
