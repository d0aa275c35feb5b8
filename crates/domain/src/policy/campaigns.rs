//! Campaign templates in a pack (SPEC CMP-1, issue 20): a brand-creation
//! campaign's shape as the source document lays it out — its basis, brand,
//! goals and motto, dated phases, the tasks of each phase with their lead
//! department, and the criteria units evaluate themselves and each other
//! by. Dates are the document's; a campaign created from the template
//! moves them to its own year.

use chrono::NaiveDate;
use serde::Deserialize;

use super::PolicyError;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CampaignTemplate {
    pub code: String,
    pub title: String,
    pub brand: String,
    /// What the brand and its logo mean.
    #[serde(default)]
    pub meaning: String,
    #[serde(default)]
    pub goals: String,
    #[serde(default)]
    pub motto: String,
    /// The documents the campaign rests on.
    #[serde(default)]
    pub basis: Vec<Basis>,
    pub phases: Vec<PhaseTemplate>,
    pub tasks: Vec<TaskTemplate>,
    /// What units score in self- and peer evaluation.
    #[serde(default)]
    pub criteria: Vec<Criterion>,
    /// Days before a task's due date that its lead unit is reminded.
    #[serde(default = "remind_days")]
    pub remind_days: u32,
}

fn remind_days() -> u32 {
    3
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Basis {
    pub title: String,
    #[serde(default)]
    pub number: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PhaseTemplate {
    pub code: String,
    pub title: String,
    /// `YYYY-MM-DD`, inclusive.
    pub from: String,
    pub until: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TaskTemplate {
    /// The phase's code.
    pub phase: String,
    pub title: String,
    #[serde(default)]
    pub description: String,
    /// The lead department (牵头部室), by the unit's name in the organisation.
    pub lead: String,
    /// `YYYY-MM-DD`; the end of its phase when absent.
    #[serde(default)]
    pub due: Option<String>,
    /// What the lead unit hands in: text, photos, documents.
    #[serde(default)]
    pub evidence: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Criterion {
    pub code: String,
    pub title: String,
    /// The most points it gives.
    pub max: i64,
}

impl super::Pack {
    /// The pack's campaign template `code`.
    pub fn campaign(&self, code: &str) -> Option<&CampaignTemplate> {
        self.campaigns.iter().find(|c| c.code == code)
    }
}

impl PhaseTemplate {
    pub fn dates(&self) -> Option<(NaiveDate, NaiveDate)> {
        Some((date(&self.from)?, date(&self.until)?))
    }
}

pub fn date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// Refuses a template whose phases are not dated `from ≤ until`, whose
/// task names no phase of it or has a bad due date, or whose criteria
/// give no points.
pub(super) fn check(file: &str, text: &str, templates: &[CampaignTemplate]) -> Result<(), PolicyError> {
    for t in templates {
        let at = |what: &str, message: String| PolicyError::at(file, text, &format!("\"{what}\""), message);
        if t.phases.is_empty() || t.tasks.is_empty() {
            return Err(at(&t.code, format!("campaign {}: a campaign has phases and tasks", t.code)));
        }
        for p in &t.phases {
            match p.dates() {
                Some((from, until)) if from <= until => {}
                _ => {
                    return Err(at(
                        &p.from,
                        format!("phase {}: from and until are dates, from first", p.code),
                    ));
                }
            }
        }
        for task in &t.tasks {
            if !t.phases.iter().any(|p| p.code == task.phase) {
                return Err(at(&task.title, format!("task {}: no phase {}", task.title, task.phase)));
            }
            if task.due.as_deref().is_some_and(|d| date(d).is_none()) {
                return Err(at(&task.title, format!("task {}: due is a date (YYYY-MM-DD)", task.title)));
            }
        }
        if let Some(c) = t.criteria.iter().find(|c| c.max <= 0) {
            return Err(at(&c.code, format!("criterion {}: max is a positive number of points", c.code)));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::super::Pack;

    #[test]
    fn the_bus_pack_carries_seed_004s_campaign() {
        let bus = Pack::parse("bus.toml", include_str!("../../../../policy/bus.toml")).unwrap();
        let t = bus.campaign("aixin").unwrap();
        assert_eq!(t.brand, "爱心飞扬");
        assert_eq!(t.basis[0].number, "徐委办【2018】114号");
        let phases: Vec<(&str, &str, &str)> =
            t.phases.iter().map(|p| (p.title.as_str(), p.from.as_str(), p.until.as_str())).collect();
        assert_eq!(
            phases,
            [
                ("动员部署阶段", "2018-08-11", "2018-08-20"),
                ("全面推进阶段", "2018-08-21", "2018-12-20"),
                ("总结验收阶段", "2018-12-21", "2018-12-31")
            ]
        );
        assert_eq!(t.tasks.len(), 5);
        assert!(t.tasks.iter().all(|x| x.lead == "站务部" && x.phase == "advance"));
    }

    #[test]
    fn a_task_of_no_phase_is_refused_with_its_line() {
        let bus = include_str!("../../../../policy/bus.toml").replacen(
            "phase = \"advance\"",
            "phase = \"later\"",
            1,
        );
        let e = Pack::parse("bus.toml", &bus).unwrap_err();
        assert!(e.reason.contains("no phase later") && e.line > 0, "{e:?}");
    }
}
