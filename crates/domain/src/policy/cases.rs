//! The case part of a pack: categories, handling tracks with their
//! deadlines, the escalation ladder and routing (SPEC CASE-1..11).

use serde::Deserialize;

use super::PolicyError;
use crate::calendar::Span;
use crate::cases::CaseKind;
use crate::ledger::Severity;

/// Who a case escalates to, step by step up the chain (SPEC CASE-5).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LadderRole {
    /// The case's current owner (a warning before the deadline).
    Handler,
    /// The on-duty chief of the case's unit.
    ShiftLeader,
    /// The head of the complaints office.
    OfficeHead,
    /// The leading group.
    Leader,
}

impl LadderRole {
    pub fn as_str(self) -> &'static str {
        match self {
            LadderRole::Handler => "handler",
            LadderRole::ShiftLeader => "shift_leader",
            LadderRole::OfficeHead => "office_head",
            LadderRole::Leader => "leader",
        }
    }

    pub fn label_zh(self) -> &'static str {
        match self {
            LadderRole::Handler => "承办人",
            LadderRole::ShiftLeader => "值班站长",
            LadderRole::OfficeHead => "办公室负责人",
            LadderRole::Leader => "领导小组",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            LadderRole::Handler => "the handler",
            LadderRole::ShiftLeader => "the shift leader",
            LadderRole::OfficeHead => "the office's head",
            LadderRole::Leader => "the leading group",
        }
    }
}

/// The deadline a case must meet: investigated (a finding) or handled
/// (the reporter has the answer).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stage {
    Investigate,
    Handle,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Investigate => "investigate",
            Stage::Handle => "handle",
        }
    }

    pub fn parse(s: &str) -> Option<Stage> {
        match s {
            "investigate" => Some(Stage::Investigate),
            "handle" => Some(Stage::Handle),
            _ => None,
        }
    }
}

#[derive(Debug, Clone)]
pub struct Category {
    pub code: String,
    pub title: String,
    pub title_en: String,
    pub kinds: Vec<CaseKind>,
    /// What the target of the complaint is; `leader` routes to the
    /// discipline body (SPEC CASE-11).
    pub about_leader: bool,
}

/// A handling track: how fast a kind of matter must be dealt with.
#[derive(Debug, Clone)]
pub struct Track {
    pub code: String,
    pub title: String,
    pub kinds: Vec<CaseKind>,
    pub investigate: Option<Span>,
    pub handle: Span,
    /// The kinds for which this is the track a new case gets unless
    /// another is chosen.
    pub default_for: Vec<CaseKind>,
}

#[derive(Debug, Clone)]
pub struct EscalationStep {
    pub stage: Stage,
    /// Relative to the stage's deadline: `-4h` before it, `0h` at it, `24h` after.
    pub offset: Span,
    pub to: LadderRole,
}

#[derive(Debug, Clone)]
pub struct CasePolicy {
    /// Where complaints about leaders go (e.g. 纪检监察室).
    pub discipline_body: String,
    pub categories: Vec<Category>,
    pub tracks: Vec<Track>,
    pub escalation: Vec<EscalationStep>,
    /// How far back intake looks for likely duplicates.
    pub duplicate_window: Span,
    /// How long a leader-approved extension adds.
    pub max_extension: Span,
    /// 首问负责: how long after registration the first-responsible person
    /// has to start the case or hand it over before a
    /// `first_question_neglected` fact is recorded for them; `None`: never.
    pub first_response: Option<Span>,
    /// Public feedback forms accepted per network address, and per service
    /// point (or organisation, for its general form), in any hour.
    pub feedback_per_address_per_hour: u32,
    pub feedback_per_point_per_hour: u32,
    /// The severity of a substantiated complaint's fact when the handler
    /// names no codebook rule (a named rule brings its own).
    pub substantiated_severity: Severity,
}

impl CasePolicy {
    pub fn category(&self, code: &str) -> Option<&Category> {
        self.categories.iter().find(|c| c.code == code)
    }

    pub fn track(&self, code: &str) -> Option<&Track> {
        self.tracks.iter().find(|t| t.code == code)
    }

    /// The default track for a kind of case.
    pub fn default_track(&self, kind: CaseKind) -> Option<&Track> {
        self.tracks.iter().find(|t| t.default_for.contains(&kind))
    }
}

// ---- the file format (see docs/POLICY.md) ----

fn feedback_per_address() -> u32 {
    10
}

fn feedback_per_point() -> u32 {
    60
}

fn minor() -> Severity {
    Severity::Minor
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(super) struct CasesFile {
    discipline_body: String,
    duplicate_window: String,
    max_extension: String,
    first_response: Option<String>,
    #[serde(default = "feedback_per_address")]
    feedback_per_address_per_hour: u32,
    #[serde(default = "feedback_per_point")]
    feedback_per_point_per_hour: u32,
    #[serde(default = "minor")]
    substantiated_severity: Severity,
    categories: Vec<CategoryFile>,
    tracks: Vec<TrackFile>,
    escalation: Vec<StepFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CategoryFile {
    code: String,
    title: String,
    title_en: String,
    kinds: Vec<CaseKind>,
    #[serde(default)]
    about_leader: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TrackFile {
    code: String,
    title: String,
    kinds: Vec<CaseKind>,
    investigate: Option<String>,
    handle: String,
    #[serde(default)]
    default_for: Vec<CaseKind>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct StepFile {
    stage: Stage,
    offset: String,
    to: LadderRole,
}

/// Reads and checks the `[cases]` table.
pub(super) fn parse_cases(
    file: &str,
    text: &str,
    c: CasesFile,
    span: &dyn Fn(&str, &str) -> Result<Span, PolicyError>,
) -> Result<CasePolicy, PolicyError> {
    let mut categories = Vec::new();
    for cat in c.categories {
        if categories.iter().any(|x: &Category| x.code == cat.code) {
            return Err(PolicyError::at(
                file,
                text,
                &format!("\"{}\"", cat.code),
                format!("category {} is defined twice", cat.code),
            ));
        }
        categories.push(Category {
            code: cat.code,
            title: cat.title,
            title_en: cat.title_en,
            kinds: cat.kinds,
            about_leader: cat.about_leader,
        });
    }
    let mut tracks = Vec::new();
    for t in c.tracks {
        let investigate = t.investigate.as_deref().map(|v| span("investigate", v)).transpose()?;
        let handle = span("handle", &t.handle)?;
        if let Some(k) = t.default_for.iter().find(|k| !t.kinds.contains(k)) {
            return Err(PolicyError::at(
                file,
                text,
                &format!("\"{}\"", t.code),
                format!("track {} is the default for {} but does not list it in kinds", t.code, k.as_str()),
            ));
        }
        tracks.push(Track {
            code: t.code,
            title: t.title,
            kinds: t.kinds,
            investigate,
            handle,
            default_for: t.default_for,
        });
    }
    for kind in CaseKind::ALL {
        let defaults = tracks.iter().filter(|t| t.default_for.contains(kind)).count();
        if defaults != 1 {
            return Err(PolicyError::at(
                file,
                text,
                "[[cases.tracks]]",
                format!("kind {} needs exactly one default track, found {defaults}", kind.as_str()),
            ));
        }
    }
    let mut escalation = Vec::new();
    for s in c.escalation {
        let offset = span("offset", &s.offset)?;
        if matches!(offset, Span::WorkingDays(_)) {
            return Err(PolicyError::at(
                file,
                text,
                &format!("\"{}\"", s.offset),
                "escalation offsets are in hours",
            ));
        }
        escalation.push(EscalationStep { stage: s.stage, offset, to: s.to });
    }
    Ok(CasePolicy {
        discipline_body: c.discipline_body,
        categories,
        tracks,
        escalation,
        duplicate_window: span("duplicate_window", &c.duplicate_window)?,
        max_extension: span("max_extension", &c.max_extension)?,
        first_response: c.first_response.as_deref().map(|v| span("first_response", v)).transpose()?,
        feedback_per_address_per_hour: c.feedback_per_address_per_hour,
        feedback_per_point_per_hour: c.feedback_per_point_per_hour,
        substantiated_severity: c.substantiated_severity,
    })
}
