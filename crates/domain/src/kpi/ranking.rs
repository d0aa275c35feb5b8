//! Rankings and awards from the month's scores (SPEC KPI-3): staff by
//! score, teams by their members' mean, and award winners that honour the
//! year's eligibility and the pack's ranked roles.

use crate::StaffId;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::policy::{Award, AwardLevel, Candidate, Selection, Tally};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct StaffScore {
    pub rank: usize,
    pub staff_id: StaffId,
    pub employee_no: String,
    pub name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub tally: Tally,
    pub score: f64,
    pub stars: u8,
    pub eligible: bool,
    /// Of one of the pack's ranked roles: may win staff awards.
    #[serde(default = "yes")]
    pub ranked: bool,
    pub reasons: Vec<String>,
}

fn yes() -> bool {
    true
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TeamScore {
    pub rank: usize,
    pub unit_id: i64,
    pub name: String,
    pub members: usize,
    pub score: f64,
    /// Members who lost award eligibility this year.
    #[serde(default)]
    pub ineligible_members: usize,
    /// Entries about the team itself that cost it award eligibility.
    #[serde(default)]
    pub reasons: Vec<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct AwardResult {
    pub code: String,
    pub title: String,
    pub level: AwardLevel,
    /// Selected: staff or team ids with names, best first.
    pub winners: Vec<(i64, String, f64)>,
    /// Would have qualified by score but lost eligibility this year.
    pub ineligible: Vec<(i64, String, f64, Vec<String>)>,
}

/// Sorts by score, best first (ties by the given name), and numbers ranks;
/// equal scores share a rank.
pub fn rank<T>(
    items: &mut [T],
    score: impl Fn(&T) -> f64,
    name: impl Fn(&T) -> &str,
    set: impl Fn(&mut T, usize),
) {
    items.sort_by(|a, b| score(b).total_cmp(&score(a)).then_with(|| name(a).cmp(name(b))));
    let mut prev: Option<(f64, usize)> = None;
    for (i, item) in items.iter_mut().enumerate() {
        let s = score(item);
        let r = match prev {
            Some((p, r)) if p == s => r,
            _ => i + 1,
        };
        prev = Some((s, r));
        set(item, r);
    }
}

/// Teams ranked by their members' mean score; a team without members in
/// the ranking is left out. `teams` are `(unit id, name)`; `entries` the
/// reasons a team itself lost award eligibility.
pub fn team_scores(
    teams: &[(i64, String)],
    staff: &[StaffScore],
    entries: &HashMap<i64, Vec<String>>,
) -> Vec<TeamScore> {
    let mut out: Vec<TeamScore> = teams
        .iter()
        .filter_map(|(id, name)| {
            let members: Vec<&StaffScore> = staff.iter().filter(|s| s.unit_id == *id).collect();
            (!members.is_empty()).then(|| TeamScore {
                rank: 0,
                unit_id: *id,
                name: name.clone(),
                members: members.len(),
                score: (members.iter().map(|s| s.score).sum::<f64>() / members.len() as f64 * 100.0).round()
                    / 100.0,
                ineligible_members: members.iter().filter(|s| !s.eligible).count(),
                reasons: entries.get(id).cloned().unwrap_or_default(),
            })
        })
        .collect();
    rank(&mut out, |t| t.score, |t| t.name.as_str(), |t, r| t.rank = r);
    out
}

/// Each award's winners and the high scorers it passed over for lost
/// eligibility.
pub fn select_awards(awards: &[Award], staff: &[StaffScore], teams: &[TeamScore]) -> Vec<AwardResult> {
    awards
        .iter()
        .map(|a| {
            let candidates: Vec<Candidate> = match a.level {
                AwardLevel::Staff => staff
                    .iter()
                    .map(|s| Candidate {
                        id: s.staff_id.get(),
                        name: s.name.clone(),
                        score: s.score,
                        ranked: s.ranked,
                        eligible: s.eligible,
                        reasons: s.reasons.clone(),
                    })
                    .collect(),
                AwardLevel::Team => teams
                    .iter()
                    .map(|t| {
                        let reasons = a.team_reasons(&t.reasons, t.ineligible_members);
                        Candidate {
                            id: t.unit_id,
                            name: t.name.clone(),
                            score: t.score,
                            ranked: true,
                            eligible: reasons.is_empty(),
                            reasons,
                        }
                    })
                    .collect(),
            };
            let Selection { winners, ineligible } = a.select(&candidates);
            AwardResult { code: a.code.clone(), title: a.title.clone(), level: a.level, winners, ineligible }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn person(id: i64, unit_id: i64, score: f64, eligible: bool) -> StaffScore {
        StaffScore {
            rank: 0,
            staff_id: StaffId::new(id),
            employee_no: format!("S{id:04}"),
            name: format!("员工{id}"),
            unit_id,
            unit_name: String::new(),
            tally: Tally::default(),
            score,
            stars: 0,
            eligible,
            ranked: true,
            reasons: vec![],
        }
    }

    #[test]
    fn equal_scores_share_a_rank_and_ties_are_ordered_by_name() {
        let mut staff = vec![person(3, 1, 95.0, true), person(1, 1, 98.0, true), person(2, 1, 95.0, true)];
        rank(&mut staff, |s| s.score, |s| s.employee_no.as_str(), |s, r| s.rank = r);
        let order: Vec<(i64, usize)> = staff.iter().map(|s| (s.staff_id.get(), s.rank)).collect();
        assert_eq!(order, [(1, 1), (2, 2), (3, 2)]);
    }

    #[test]
    fn a_team_scores_its_members_mean_and_counts_those_who_lost_eligibility() {
        let staff = vec![person(1, 10, 90.0, true), person(2, 10, 95.0, false), person(3, 20, 99.0, true)];
        let teams = vec![(10, "一班".to_string()), (20, "二班".to_string()), (30, "三班".to_string())];
        let entries = HashMap::from([(20, vec!["集体告诫".to_string()])]);
        let t = team_scores(&teams, &staff, &entries);
        assert_eq!(t.len(), 2, "a team without members is not ranked");
        assert_eq!((t[0].unit_id, t[0].rank, t[0].score, t[0].reasons.len()), (20, 1, 99.0, 1));
        assert_eq!((t[1].unit_id, t[1].score, t[1].ineligible_members), (10, 92.5, 1));
    }
}
