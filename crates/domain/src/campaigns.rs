//! Campaigns (SPEC CMP-1, issue 20; seed 004's 爱心飞扬 服务品牌创建活动,
//! seeds 000–002's 实施方案): a campaign runs in dated phases; each task of
//! a phase is led by a unit and moves not started → in progress →
//! submitted → accepted, or is sent back with a reason; units evaluate
//! themselves and, never themselves, each other; progress is counted per
//! campaign, phase and unit.

use chrono::{Datelike, NaiveDate};

use crate::policy::campaigns::{CampaignTemplate, Criterion};
use crate::text::FieldError;

labelled_enum!(
    /// Where a campaign task is.
    TaskStatus {
        NotStarted = "not_started", "未开始", "Not started";
        InProgress = "in_progress", "进行中", "In progress";
        Submitted = "submitted", "已提交", "Submitted";
        Accepted = "accepted", "已验收", "Accepted";
        SentBack = "sent_back", "已退回", "Sent back";
    }
);

labelled_enum!(
    /// What someone does to a task.
    TaskStep {
        Start = "start", "开始", "Start";
        Submit = "submit", "提交", "Submit";
        Accept = "accept", "验收", "Accept";
        SendBack = "send_back", "退回", "Send back";
    }
);

impl TaskStatus {
    /// The status after `step`, or `None` when the step is not possible now.
    pub fn after(self, step: TaskStep) -> Option<TaskStatus> {
        use TaskStatus::*;
        match (self, step) {
            (NotStarted | SentBack, TaskStep::Start) => Some(InProgress),
            (NotStarted | InProgress | SentBack, TaskStep::Submit) => Some(Submitted),
            (Submitted, TaskStep::Accept) => Some(Accepted),
            (Submitted, TaskStep::SendBack) => Some(SentBack),
            _ => None,
        }
    }

    /// Whether the task is still the lead unit's work (counts toward
    /// overdue).
    pub fn open(self) -> bool {
        !matches!(self, TaskStatus::Submitted | TaskStatus::Accepted)
    }
}

impl TaskStep {
    /// Whether the step is the campaign office's (accepting, sending back)
    /// rather than the lead unit's (starting, submitting).
    pub fn is_review(self) -> bool {
        matches!(self, TaskStep::Accept | TaskStep::SendBack)
    }
}

labelled_enum!(
    /// Who evaluates whom (seed 004: 自评、互评、点评).
    EvaluationKind {
        SelfEvaluation = "self", "自评", "Self-evaluation";
        Peer = "peer", "互评", "Peer evaluation";
        Leader = "leader", "点评", "Leader's comment";
    }
);

/// Checks an evaluation of unit `of_unit` by `by_unit` (a leader's comment
/// has no evaluating unit) against the campaign's criteria: a self-
/// evaluation is of one's own unit, a peer evaluation never is; every
/// criterion is scored from 0 to its maximum, none twice, none unknown.
/// Returns the total.
pub fn check_evaluation(
    kind: EvaluationKind,
    by_unit: Option<i64>,
    of_unit: i64,
    scores: &[(String, i64)],
    criteria: &[Criterion],
) -> Result<i64, Vec<FieldError>> {
    let mut errors = vec![];
    match kind {
        EvaluationKind::SelfEvaluation if by_unit != Some(of_unit) => errors.push(FieldError::new(
            "of_unit_id",
            "自评只能评价本单位 / a self-evaluation is of one's own unit",
        )),
        EvaluationKind::Peer if by_unit == Some(of_unit) => errors.push(FieldError::new(
            "of_unit_id",
            "互评不能评价本单位 / a unit never evaluates itself in peer evaluation",
        )),
        EvaluationKind::Peer | EvaluationKind::SelfEvaluation if by_unit.is_none() => {
            errors.push(FieldError::new("by_unit_id", "请选择评价单位 / which unit evaluates?"));
        }
        _ => {}
    }
    for (i, (code, score)) in scores.iter().enumerate() {
        match criteria.iter().find(|c| &c.code == code) {
            None => errors
                .push(FieldError::new(format!("scores[{i}].criterion"), "没有这项标准 / no such criterion")),
            Some(c) if !(0..=c.max).contains(score) => errors.push(FieldError::new(
                format!("scores[{i}].score"),
                format!("应为 0–{} 分 / from 0 to {} points", c.max, c.max),
            )),
            Some(_) if scores[..i].iter().any(|(x, _)| x == code) => {
                errors.push(FieldError::new(format!("scores[{i}].criterion"), "重复评分 / scored twice"));
            }
            Some(_) => {}
        }
    }
    if kind != EvaluationKind::Leader {
        for c in criteria.iter().filter(|c| !scores.iter().any(|(x, _)| x == &c.code)) {
            errors.push(FieldError::new(
                "scores",
                format!("缺少「{}」的评分 / {} is not scored", c.title, c.code),
            ));
        }
    }
    if errors.is_empty() { Ok(scores.iter().map(|(_, s)| s).sum()) } else { Err(errors) }
}

/// A template's date moved to the campaign's year: the same month and day,
/// `shift` years later (29 February becomes the 28th in a common year).
pub fn shift_year(d: NaiveDate, shift: i32) -> NaiveDate {
    let year = d.year() + shift;
    d.with_year(year).or_else(|| NaiveDate::from_ymd_opt(year, d.month(), 28)).unwrap_or(d)
}

/// A campaign as created from a template: its phases and tasks with their
/// dates in the campaign's year and their lead units resolved.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCampaign {
    pub template: String,
    pub title: String,
    pub brand: String,
    pub meaning: String,
    pub goals: String,
    pub motto: String,
    /// `title｜number` per line.
    pub basis: String,
    pub year: i32,
    pub remind_days: u32,
    pub phases: Vec<NewPhase>,
    pub tasks: Vec<NewTask>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewPhase {
    pub code: String,
    pub title: String,
    pub starts_on: NaiveDate,
    pub ends_on: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewTask {
    /// The index of its phase in `phases`.
    pub phase: usize,
    pub title: String,
    pub description: String,
    pub evidence: String,
    pub lead_unit_id: i64,
    pub due_on: NaiveDate,
}

/// Plans a campaign of `template` in `year`: every date moved by the
/// years between the template's first phase and `year`, every lead
/// department found among `units` (id, name) by its name. A lead that is
/// not a unit of the organisation is an error naming it.
pub fn plan(
    template: &CampaignTemplate,
    year: i32,
    units: &[(i64, String)],
) -> Result<NewCampaign, Vec<FieldError>> {
    let mut errors = vec![];
    if !(2000..=2100).contains(&year) {
        errors.push(FieldError::new("year", "年份应在 2000–2100 之间 / a year from 2000 to 2100"));
    }
    let first = template.phases.iter().filter_map(|p| p.dates()).map(|(f, _)| f.year()).min().unwrap_or(year);
    let shift = year - first;
    let phases: Vec<NewPhase> = template
        .phases
        .iter()
        .filter_map(|p| {
            let (from, until) = p.dates()?;
            Some(NewPhase {
                code: p.code.clone(),
                title: p.title.clone(),
                starts_on: shift_year(from, shift),
                ends_on: shift_year(until, shift),
            })
        })
        .collect();
    let mut tasks = vec![];
    for t in &template.tasks {
        let Some(phase) = phases.iter().position(|p| p.code == t.phase) else { continue };
        let Some(lead) = units.iter().find(|(_, name)| *name == t.lead) else {
            errors.push(FieldError::new(
                "template",
                format!("牵头单位「{}」不在本单位组织中 / no unit named {} leads it", t.lead, t.lead),
            ));
            continue;
        };
        let due = t.due.as_deref().and_then(crate::policy::campaigns::date).map(|d| shift_year(d, shift));
        tasks.push(NewTask {
            phase,
            title: t.title.clone(),
            description: t.description.clone(),
            evidence: t.evidence.clone(),
            lead_unit_id: lead.0,
            due_on: due.unwrap_or(phases[phase].ends_on),
        });
    }
    errors.dedup();
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(NewCampaign {
        template: template.code.clone(),
        title: template.title.clone(),
        brand: template.brand.clone(),
        meaning: template.meaning.clone(),
        goals: template.goals.clone(),
        motto: template.motto.clone(),
        basis: template
            .basis
            .iter()
            .map(|b| format!("{}｜{}", b.title, b.number))
            .collect::<Vec<_>>()
            .join("\n"),
        year,
        remind_days: template.remind_days,
        phases,
        tasks,
    })
}

/// Counts of a set of tasks and the share accepted, in whole percent.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct Progress {
    pub tasks: usize,
    pub accepted: usize,
    pub submitted: usize,
    pub overdue: usize,
    pub percent: u32,
}

impl Progress {
    pub fn of(tasks: impl IntoIterator<Item = (TaskStatus, bool)>) -> Progress {
        let mut p = Progress::default();
        for (status, overdue) in tasks {
            p.tasks += 1;
            match status {
                TaskStatus::Accepted => p.accepted += 1,
                TaskStatus::Submitted => p.submitted += 1,
                _ => {}
            }
            if overdue && status.open() {
                p.overdue += 1;
            }
        }
        p.percent = (p.accepted * 100).checked_div(p.tasks).unwrap_or(0) as u32;
        p
    }
}

/// A unit's campaign score from its evaluations: the mean of its peers'
/// totals where it has any, else its latest self-evaluation's; `None`
/// without either. Leaders' comments carry no score.
pub fn unit_score(own: &[i64], peers: &[i64]) -> Option<f64> {
    if peers.is_empty() {
        own.last().map(|s| *s as f64)
    } else {
        Some(peers.iter().sum::<i64>() as f64 / peers.len() as f64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_task_is_started_submitted_and_accepted_or_sent_back_and_done_again() {
        use TaskStatus::*;
        use TaskStep::*;
        assert_eq!(NotStarted.after(Start), Some(InProgress));
        assert_eq!(InProgress.after(Submit), Some(Submitted));
        assert_eq!(Submitted.after(SendBack), Some(SentBack));
        assert_eq!(SentBack.after(Submit), Some(Submitted));
        assert_eq!(Submitted.after(Accept), Some(Accepted));
        for step in [Start, Submit, Accept, SendBack] {
            assert_eq!(Accepted.after(step), None, "accepted is final");
        }
        assert_eq!(InProgress.after(Accept), None, "nothing is accepted before it is handed in");
    }

    #[test]
    fn a_unit_never_evaluates_itself_and_scores_stay_within_each_criterion() {
        let criteria = [
            Criterion { code: "service".into(), title: "服务".into(), max: 60 },
            Criterion { code: "system".into(), title: "制度".into(), max: 40 },
        ];
        let scores = |a, b| vec![("service".to_string(), a), ("system".to_string(), b)];
        let peer =
            check_evaluation(EvaluationKind::Peer, Some(3), 3, &scores(50, 30), &criteria).unwrap_err();
        assert_eq!(peer[0].field, "of_unit_id");
        assert_eq!(check_evaluation(EvaluationKind::Peer, Some(3), 4, &scores(50, 30), &criteria), Ok(80));
        assert!(
            check_evaluation(EvaluationKind::SelfEvaluation, Some(3), 4, &scores(50, 30), &criteria).is_err()
        );
        assert_eq!(
            check_evaluation(EvaluationKind::SelfEvaluation, Some(3), 3, &scores(60, 40), &criteria),
            Ok(100)
        );
        let over =
            check_evaluation(EvaluationKind::Peer, Some(3), 4, &scores(61, 30), &criteria).unwrap_err();
        assert_eq!(over[0].field, "scores[0].score");
        let missing = check_evaluation(EvaluationKind::Peer, Some(3), 4, &scores(50, 30)[..1], &criteria);
        assert_eq!(missing.unwrap_err()[0].field, "scores");
    }

    #[test]
    fn a_template_of_2018_moves_to_the_campaigns_year() {
        let d = NaiveDate::from_ymd_opt(2018, 8, 11).unwrap();
        assert_eq!(shift_year(d, 8), NaiveDate::from_ymd_opt(2026, 8, 11).unwrap());
        let leap = NaiveDate::from_ymd_opt(2024, 2, 29).unwrap();
        assert_eq!(shift_year(leap, 1), NaiveDate::from_ymd_opt(2025, 2, 28).unwrap());
    }

    #[test]
    fn progress_counts_accepted_work_and_overdue_open_work() {
        use TaskStatus::*;
        let p = Progress::of([(Accepted, true), (Submitted, true), (InProgress, true), (NotStarted, false)]);
        assert_eq!(p, Progress { tasks: 4, accepted: 1, submitted: 1, overdue: 1, percent: 25 });
    }
}
