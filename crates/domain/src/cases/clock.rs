//! When a case is due, and who hears about it when (SPEC CASE-4, CASE-5).
//!
//! From the pack's track (e.g. toll: investigate 24h, handle 48h) and the
//! working calendar, [`deadlines`] gives the two due times; [`plan`] turns
//! them and the pack's escalation ladder into timers, each of which fires
//! exactly once. A deadline that passes before its stage is met marks the
//! case overdue for good, even after it closes.

use crate::calendar::{Calendar, Span};
use crate::cases::State;
use crate::policy::{CasePolicy, LadderRole, Stage, Track};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deadlines {
    pub investigate: Option<i64>,
    pub handle: i64,
}

impl Deadlines {
    pub fn of(&self, stage: Stage) -> Option<i64> {
        match stage {
            Stage::Investigate => self.investigate,
            Stage::Handle => Some(self.handle),
        }
    }
}

/// Due times for a case registered at `registered_at` on `track`. An
/// approved extension moves both by `extension` counted from the original
/// (working days from the original deadline's own day: [`Span::extend`]).
pub fn deadlines(track: &Track, cal: &Calendar, registered_at: i64, extension: Option<Span>) -> Deadlines {
    let extend = |due: i64| extension.map_or(due, |e| e.extend(cal, due));
    Deadlines {
        investigate: track.investigate.map(|s| extend(s.after(cal, registered_at))),
        handle: extend(track.handle.after(cal, registered_at)),
    }
}

/// What a timer does when it fires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TimerAction {
    /// The stage's deadline: if the stage is not met, the case is overdue.
    Deadline(Stage),
    /// A step of the ladder: if the stage is not met, escalate to `to`.
    Escalate { stage: Stage, step: usize, to: LadderRole },
    /// 首问负责: if the case is still untouched (registered, neither started
    /// nor handed over), its first-responsible person did not do their duty.
    FirstResponse,
}

impl TimerAction {
    /// A stable text form for storage: `deadline:handle`, `escalate:investigate:1:shift_leader`.
    pub fn encode(self) -> String {
        match self {
            TimerAction::Deadline(s) => format!("deadline:{}", s.as_str()),
            TimerAction::Escalate { stage, step, to } => {
                format!("escalate:{}:{step}:{}", stage.as_str(), to.as_str())
            }
            TimerAction::FirstResponse => "first_response".to_string(),
        }
    }

    pub fn decode(s: &str) -> Option<TimerAction> {
        let parts: Vec<&str> = s.split(':').collect();
        match parts.as_slice() {
            ["deadline", stage] => Some(TimerAction::Deadline(Stage::parse(stage)?)),
            ["first_response"] => Some(TimerAction::FirstResponse),
            ["escalate", stage, step, to] => Some(TimerAction::Escalate {
                stage: Stage::parse(stage)?,
                step: step.parse().ok()?,
                to: match *to {
                    "handler" => LadderRole::Handler,
                    "shift_leader" => LadderRole::ShiftLeader,
                    "office_head" => LadderRole::OfficeHead,
                    "leader" => LadderRole::Leader,
                    _ => return None,
                },
            }),
            _ => None,
        }
    }

    /// The stage whose meeting makes the timer moot; `None` for the
    /// first-response check, which looks at the state instead.
    pub fn stage(self) -> Option<Stage> {
        match self {
            TimerAction::Deadline(s) | TimerAction::Escalate { stage: s, .. } => Some(s),
            TimerAction::FirstResponse => None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlannedTimer {
    pub due_at: i64,
    pub action: TimerAction,
}

/// Every timer a case needs, in due order.
pub fn plan(policy: &CasePolicy, d: &Deadlines) -> Vec<PlannedTimer> {
    let mut timers = Vec::new();
    for stage in [Stage::Investigate, Stage::Handle] {
        let Some(due) = d.of(stage) else { continue };
        timers.push(PlannedTimer { due_at: due, action: TimerAction::Deadline(stage) });
        for (step, e) in policy.escalation.iter().enumerate().filter(|(_, e)| e.stage == stage) {
            let Span::Hours(h) = e.offset else { continue };
            timers.push(PlannedTimer {
                due_at: due + h * 3_600_000,
                action: TimerAction::Escalate { stage, step, to: e.to },
            });
        }
    }
    timers.sort_by_key(|t| t.due_at);
    timers
}

/// The first-response check of a case registered at `registered_at`, when
/// the pack sets `cases.first_response`.
pub fn first_response(policy: &CasePolicy, cal: &Calendar, registered_at: i64) -> Option<PlannedTimer> {
    policy
        .first_response
        .map(|s| PlannedTimer { due_at: s.after(cal, registered_at), action: TimerAction::FirstResponse })
}

/// Whether reaching `state` meets `stage`.
pub fn meets(state: State, stage: Stage) -> bool {
    match stage {
        Stage::Investigate => {
            matches!(state, State::Concluded | State::Replied | State::CalledBack | State::Closed)
        }
        Stage::Handle => matches!(state, State::Replied | State::CalledBack | State::Closed),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::cases::CaseKind;
    use crate::policy::Pack;

    fn toll() -> Pack {
        Pack::parse("toll.toml", include_str!("../../../../policy/toll.toml")).unwrap()
    }

    fn cal() -> Calendar {
        Calendar::parse("cn-2026.toml", include_str!("../../../../policy/calendar/cn-2026.toml")).unwrap()
    }

    const H: i64 = 3_600_000;

    #[test]
    fn a_toll_complaint_is_due_for_investigation_at_24h_and_handling_at_48h() {
        let p = toll();
        let t = p.cases.default_track(CaseKind::Complaint).unwrap();
        let d = deadlines(t, &cal(), 0, None);
        assert_eq!((d.investigate, d.handle), (Some(24 * H), 48 * H));
    }

    #[test]
    fn the_ladder_reaches_the_shift_leader_at_24h_and_the_leader_last() {
        let p = toll();
        let t = p.cases.default_track(CaseKind::Complaint).unwrap();
        let timers = plan(&p.cases, &deadlines(t, &cal(), 0, None));
        let at_24h: Vec<_> = timers.iter().filter(|t| t.due_at == 24 * H).map(|t| t.action).collect();
        assert!(
            at_24h.contains(&TimerAction::Escalate {
                stage: Stage::Investigate,
                step: 1,
                to: LadderRole::ShiftLeader
            }),
            "{at_24h:?}"
        );
        assert!(at_24h.contains(&TimerAction::Deadline(Stage::Investigate)));
        let last = timers.last().unwrap();
        assert!(matches!(last.action, TimerAction::Escalate { to: LadderRole::Leader, .. }));
        assert!(timers.windows(2).all(|w| w[0].due_at <= w[1].due_at));
    }

    #[test]
    fn timer_actions_survive_storage() {
        for t in plan(&toll().cases, &Deadlines { investigate: Some(1), handle: 2 }) {
            assert_eq!(TimerAction::decode(&t.action.encode()), Some(t.action));
        }
        let f = TimerAction::FirstResponse;
        assert_eq!(TimerAction::decode(&f.encode()), Some(f));
        assert_eq!(TimerAction::decode("nonsense"), None);
    }

    #[test]
    fn the_hall_checks_the_first_question_duty_at_the_end_of_the_working_day_and_the_toll_never() {
        let hall = Pack::parse("hall.toml", include_str!("../../../../policy/hall.toml")).unwrap();
        let cal = cal();
        // Registered Mon 16 Nov 2026 at 10:00 Beijing time: checked at the end of that day.
        let at = cal.start_of_day_ms(chrono::NaiveDate::from_ymd_opt(2026, 11, 16).unwrap()) + 10 * H;
        let t = first_response(&hall.cases, &cal, at).unwrap();
        assert_eq!(t.due_at, cal.start_of_day_ms(chrono::NaiveDate::from_ymd_opt(2026, 11, 17).unwrap()));
        assert_eq!(first_response(&toll().cases, &cal, at), None);
    }

    #[test]
    fn an_extension_moves_both_deadlines() {
        let p = toll();
        let t = p.cases.default_track(CaseKind::Complaint).unwrap();
        let d = deadlines(t, &cal(), 0, Some(Span::Hours(72)));
        assert_eq!((d.investigate, d.handle), (Some(96 * H), 120 * H));
    }
}
