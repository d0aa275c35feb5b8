//! Who replaces whom in a batch of quick ratings (SPEC SAT-1).
//!
//! A device that rates the same service point again inside the pack's
//! window replaces its earlier rating: only the latest counts. A bad rating
//! opens a case, unless the bad rating it replaces already has one — then
//! it keeps that case, so that a person tapping 不满意 twice is one
//! complaint, not two. Ratings in one batch may replace each other; they
//! are written in rounds so that a replacement can name the row it replaces.

use crate::CaseId;
use std::collections::HashMap;

use super::RatingStatus;

/// An earlier counted rating of a device at a point, still in the window.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Earlier {
    pub id: i64,
    pub bad: bool,
    pub case_id: Option<CaseId>,
    pub at: i64,
}

/// A rating of the batch, in arrival order.
#[derive(Debug, Clone, Copy)]
pub struct Incoming<'a> {
    pub device: &'a str,
    pub point_id: i64,
    pub bad: bool,
    pub at: i64,
    /// Earlier ratings at or after this moment are replaced.
    pub replace_after: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Replaced {
    /// A stored rating, by id.
    Stored(i64),
    /// An earlier rating of the same batch, by position.
    InBatch(usize),
}

impl Replaced {
    /// The replaced rating's id, once the batch's ids are known.
    pub fn id(self, ids: &[i64]) -> i64 {
        match self {
            Replaced::Stored(id) => id,
            Replaced::InBatch(j) => ids[j],
        }
    }
}

/// What becomes of one rating of the batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Plan {
    pub replaces: Option<Replaced>,
    /// Counted, or replaced by a later rating of the same batch.
    pub status: RatingStatus,
    /// Written after the rating it replaces: 0 for those replacing none
    /// in the batch.
    pub round: usize,
    /// A bad rating that opens a case.
    pub needs_case: bool,
    /// The case of the stored bad rating this one replaces.
    pub inherited_case: Option<CaseId>,
}

/// Plans a batch against the latest earlier rating of each (device, point).
pub fn plan(batch: &[Incoming<'_>], earlier: &HashMap<(&str, i64), Earlier>) -> Vec<Plan> {
    // The latest rating per (device, point): stored, or an earlier one of the batch.
    let mut latest: HashMap<(&str, i64), (Option<usize>, Earlier)> =
        earlier.iter().map(|(k, e)| (*k, (None, *e))).collect();
    let mut plans: Vec<Plan> = Vec::with_capacity(batch.len());
    // Whether each rating of the batch ends up with a case: its own, one it
    // inherits, or that of the bad rating it replaces in the batch.
    let mut has_case: Vec<bool> = Vec::with_capacity(batch.len());
    for (k, r) in batch.iter().enumerate() {
        let key = (r.device, r.point_id);
        let prev = latest.get(&key).filter(|(_, e)| e.at >= r.replace_after).copied();
        let mut plan = Plan {
            replaces: None,
            status: RatingStatus::Counted,
            round: 0,
            needs_case: r.bad,
            inherited_case: None,
        };
        match prev {
            Some((None, e)) => {
                plan.replaces = Some(Replaced::Stored(e.id));
                if r.bad && e.bad && e.case_id.is_some() {
                    plan.needs_case = false;
                    plan.inherited_case = e.case_id;
                }
            }
            Some((Some(j), e)) => {
                plan.replaces = Some(Replaced::InBatch(j));
                plan.round = plans[j].round + 1;
                plans[j].status = RatingStatus::Replaced;
                if r.bad && e.bad && has_case[j] {
                    plan.needs_case = false;
                }
            }
            None => {}
        }
        latest.insert(key, (Some(k), Earlier { id: 0, bad: r.bad, case_id: None, at: r.at }));
        let replaced_bad_with_case = match plan.replaces {
            Some(Replaced::InBatch(j)) => r.bad && batch[j].bad && has_case[j],
            _ => false,
        };
        has_case.push(plan.needs_case || plan.inherited_case.is_some() || replaced_bad_with_case);
        plans.push(plan);
    }
    plans
}

/// The case each rating belongs to, given the cases opened for those that
/// needed one: a bad rating replacing a bad one in the batch keeps its case.
pub fn cases_of(batch: &[Incoming<'_>], plans: &[Plan], opened: &[Option<CaseId>]) -> Vec<Option<CaseId>> {
    let mut case_of: Vec<Option<CaseId>> = vec![None; plans.len()];
    for k in 0..plans.len() {
        case_of[k] = match (opened[k], plans[k].inherited_case, plans[k].replaces) {
            (Some(id), _, _) => Some(id),
            (None, Some(c), _) => Some(c),
            (None, None, Some(Replaced::InBatch(j))) if batch[k].bad => case_of[j],
            _ => None,
        };
    }
    case_of
}

#[cfg(test)]
mod tests {
    use super::*;

    const HOUR: i64 = 3_600_000;

    fn rating(device: &str, bad: bool, at: i64) -> Incoming<'_> {
        Incoming { device, point_id: 1, bad, at, replace_after: at - 24 * HOUR }
    }

    #[test]
    fn a_device_rating_again_in_the_window_replaces_its_stored_rating() {
        let earlier = HashMap::from([(("d1", 1), Earlier { id: 40, bad: false, case_id: None, at: 0 })]);
        let plans = plan(&[rating("d1", false, 2 * HOUR), rating("d2", false, 2 * HOUR)], &earlier);
        assert_eq!(plans[0].replaces, Some(Replaced::Stored(40)));
        assert_eq!(plans[1].replaces, None);
        // Outside the window it is a new rating.
        let plans = plan(&[rating("d1", false, 25 * HOUR)], &earlier);
        assert_eq!(plans[0].replaces, None);
    }

    #[test]
    fn a_bad_rating_replacing_a_bad_one_keeps_its_case_instead_of_opening_another() {
        let earlier =
            HashMap::from([(("d1", 1), Earlier { id: 40, bad: true, case_id: Some(CaseId::new(9)), at: 0 })]);
        let plans = plan(&[rating("d1", true, HOUR)], &earlier);
        assert_eq!((plans[0].needs_case, plans[0].inherited_case), (false, Some(CaseId::new(9))));
        assert_eq!(cases_of(&[rating("d1", true, HOUR)], &plans, &[None]), vec![Some(CaseId::new(9))]);
        // A good rating replacing it opens nothing and belongs to no case.
        let plans = plan(&[rating("d1", false, HOUR)], &earlier);
        assert!(!plans[0].needs_case);
        assert_eq!(cases_of(&[rating("d1", false, HOUR)], &plans, &[None]), vec![None]);
    }

    #[test]
    fn within_a_batch_the_last_rating_counts_and_one_case_serves_the_bad_ones() {
        let batch = [rating("d1", true, HOUR), rating("d1", true, HOUR + 1), rating("d1", true, HOUR + 2)];
        let plans = plan(&batch, &HashMap::new());
        let statuses: Vec<RatingStatus> = plans.iter().map(|p| p.status).collect();
        assert_eq!(statuses, [RatingStatus::Replaced, RatingStatus::Replaced, RatingStatus::Counted]);
        assert_eq!(plans.iter().map(|p| p.round).collect::<Vec<_>>(), [0, 1, 2]);
        assert_eq!(plans.iter().map(|p| p.needs_case).collect::<Vec<_>>(), [true, false, false]);
        assert_eq!(plans[2].replaces, Some(Replaced::InBatch(1)));
        let c = Some(CaseId::new(5));
        assert_eq!(cases_of(&batch, &plans, &[c, None, None]), vec![c, c, c]);
        assert_eq!(Replaced::InBatch(1).id(&[10, 11, 12]), 11);
    }
}
