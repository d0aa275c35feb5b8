//! Roles and what each may do (SPEC "Users and roles").
//!
//! Authorisation has two halves: *what* a role may do (here) and *which
//! records* it may touch (every query filters by organisation; staff see only
//! their own). The web layer asks [`Role::can`] before every action.

use crate::StaffId;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Front-line staff: toll collector, driver, clerk.
    Staff,
    /// On-duty chief of a station or team.
    ShiftLeader,
    /// The leading group's office: registers cases, runs inspections.
    Office,
    /// Hired inspectors and mystery visitors.
    Supervisor,
    /// The leading group: approves extensions, penalties and awards.
    Leader,
    /// Finance office: fines.
    Finance,
    /// The pack's discipline body (纪检监察室): the only ones who see and
    /// handle complaints about leaders (SPEC CASE-11).
    Discipline,
    /// System administrator of one organisation.
    Admin,
}

/// Everything a signed-in user may try to do, as far as their role
/// decides it. Who may act on *which record* — their own unit, a case about
/// themselves, an entry they proposed — is decided by the record-level
/// functions below and the pack (approvers, appeal deciders); the web layer
/// asks [`Role::can`] and those, and nothing else.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// See the unit tree, staff list, vehicles and service points.
    ViewOrganisation,
    /// Create or change units, staff, vehicles, service points; import rosters.
    ManageOrganisation,
    /// Create users, give them roles, disable them, reset their passwords.
    ManageUsers,
    /// Read the event log of the organisation.
    ViewEventLog,
    /// See staff phone numbers unmasked.
    ViewStaffPhones,
    /// Register a case at a desk (or as a supervisor, on the supervisor channel).
    RegisterCase,
    /// Ask whether a matter about to be registered is already known.
    ProbeDuplicates,
    /// See every case of the organisation (not only one's own), except
    /// complaints about leaders.
    ViewAllCases,
    /// See a case's reporter masked, and reveal them (every reveal an event).
    ViewReporter,
    /// See and handle complaints about leaders (the discipline body).
    HandleLeaderComplaints,
    /// Record ledger facts, import attendance, propose entries.
    RecordLedger,
    /// Read the fines register and export it.
    ViewFines,
    /// Book a fine as collected.
    CollectFines,
    /// See who lost award eligibility (the unit's or the organisation's).
    ViewEligibility,
    /// Open the inspections (as far as their sight reaches: see
    /// [`Role::inspection_sight`]) and rectification orders.
    ViewInspections,
    /// Plan inspections.
    PlanInspections,
    /// Record inspections (open or secret visits).
    RecordInspections,
    /// Submit a supervisor's written report.
    SubmitReports,
    /// Decide on a written report.
    DecideReports,
    /// Report a rectification done.
    ReportRectification,
    /// Verify a rectification (besides the inspector who ordered it).
    VerifyRectification,
    /// See the dashboard, the month's and the year's results and their exports.
    ViewAssessment,
    /// Close a month or a year.
    CloseAssessment,
    /// Import daily service volume.
    ImportVolumes,
    /// See satisfaction: ratings (one's own or as far as the ledger sight
    /// reaches) and questionnaires to answer.
    ViewSatisfaction,
    /// Appeal a rating (a unit's manager or the office).
    AppealRatings,
    /// See the rating appeals waiting.
    ViewRatingAppeals,
    /// Publish and close questionnaires.
    ManageQuestionnaires,
    /// Read questionnaire and staff-survey results.
    ReadSurveyResults,
    /// Write, publish and withdraw public notices (weather, road
    /// conditions, outages, service changes: SPEC PUB-2), and write the
    /// service guides (PUB-3).
    PublishNotices,
    /// Create campaigns, follow them, accept or send back their tasks,
    /// record the 回头看 review and comment as a leader (SPEC CMP-1).
    ManageCampaigns,
    /// See the campaigns and take part: the lead units start and submit
    /// their tasks and evaluate themselves and each other.
    ViewCampaigns,
    /// Plan training, hold sessions, record attendance, exams and
    /// qualifications (SPEC CMP-2) — never one's own attendance by hand or
    /// one's own score.
    ManageTraining,
    /// Issue certificates (荣誉证书) for awards and campaign honours, and
    /// book their reward amounts — never one's own.
    IssueCertificates,
    /// Mark a certificate's reward paid (finance, as with fines).
    PayRewards,
    /// Curate the typical cases (典型案例) and the media log published on
    /// the organisation's page.
    CurateTypicalCases,
}

impl Permission {
    pub const ALL: [Permission; 36] = [
        Permission::ViewOrganisation,
        Permission::ManageOrganisation,
        Permission::ManageUsers,
        Permission::ViewEventLog,
        Permission::ViewStaffPhones,
        Permission::RegisterCase,
        Permission::ProbeDuplicates,
        Permission::ViewAllCases,
        Permission::ViewReporter,
        Permission::HandleLeaderComplaints,
        Permission::RecordLedger,
        Permission::ViewFines,
        Permission::CollectFines,
        Permission::ViewEligibility,
        Permission::ViewInspections,
        Permission::PlanInspections,
        Permission::RecordInspections,
        Permission::SubmitReports,
        Permission::DecideReports,
        Permission::ReportRectification,
        Permission::VerifyRectification,
        Permission::ViewAssessment,
        Permission::CloseAssessment,
        Permission::ImportVolumes,
        Permission::ViewSatisfaction,
        Permission::AppealRatings,
        Permission::ViewRatingAppeals,
        Permission::ManageQuestionnaires,
        Permission::ReadSurveyResults,
        Permission::PublishNotices,
        Permission::ManageCampaigns,
        Permission::ViewCampaigns,
        Permission::ManageTraining,
        Permission::IssueCertificates,
        Permission::PayRewards,
        Permission::CurateTypicalCases,
    ];
}

impl Role {
    pub const ALL: [Role; 8] = [
        Role::Staff,
        Role::ShiftLeader,
        Role::Office,
        Role::Supervisor,
        Role::Leader,
        Role::Finance,
        Role::Discipline,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::ShiftLeader => "shift_leader",
            Role::Office => "office",
            Role::Supervisor => "supervisor",
            Role::Leader => "leader",
            Role::Finance => "finance",
            Role::Discipline => "discipline",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The Chinese name shown in the UI.
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Staff => "员工",
            Role::ShiftLeader => "值班站长",
            Role::Office => "受理/督查办公室",
            Role::Supervisor => "监督员",
            Role::Leader => "领导小组",
            Role::Finance => "财务室",
            Role::Discipline => "纪检监察室",
            Role::Admin => "系统管理员",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Role::Staff => "Staff",
            Role::ShiftLeader => "Shift leader",
            Role::Office => "Office",
            Role::Supervisor => "Supervisor",
            Role::Leader => "Leader",
            Role::Finance => "Finance",
            Role::Discipline => "Discipline body",
            Role::Admin => "Administrator",
        }
    }

    /// The one table of what each role may do (docs/SECURITY.md prints it).
    pub fn can(self, p: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match p {
            // Supervisors record inspections and reports, and nothing else.
            ViewOrganisation => !matches!(self, Supervisor),
            ManageOrganisation => matches!(self, Office | Admin),
            ManageUsers => matches!(self, Admin),
            ViewEventLog => matches!(self, Office | Leader | Admin),
            ViewStaffPhones => matches!(self, Office | Leader | Admin),
            RegisterCase => !matches!(self, Finance),
            ProbeDuplicates => matches!(self, Office | Leader | Admin | ShiftLeader | Discipline),
            ViewAllCases => matches!(self, Office | Leader | Admin | ShiftLeader),
            ViewReporter => matches!(self, Office | Leader | Admin | Discipline),
            HandleLeaderComplaints => matches!(self, Discipline),
            RecordLedger => matches!(self, Office | Leader | Admin),
            ViewFines => matches!(self, Finance | Office | Leader | Admin),
            CollectFines => matches!(self, Finance),
            ViewEligibility => matches!(self, Office | Leader | Admin | ShiftLeader),
            ViewInspections => matches!(self, Office | Leader | Admin | ShiftLeader),
            PlanInspections => matches!(self, Office | Leader),
            RecordInspections => matches!(self, Office | Supervisor | Leader),
            SubmitReports => matches!(self, Supervisor | Office),
            DecideReports => matches!(self, Leader),
            ReportRectification => matches!(self, ShiftLeader | Office | Leader),
            VerifyRectification => matches!(self, Office | Leader),
            ViewAssessment => matches!(self, Office | Leader | Admin),
            CloseAssessment => matches!(self, Leader),
            ImportVolumes => matches!(self, Office | Admin),
            ViewSatisfaction => !matches!(self, Supervisor),
            AppealRatings => matches!(self, ShiftLeader | Office | Leader | Admin),
            ViewRatingAppeals => matches!(self, Office | Leader | Admin),
            ManageQuestionnaires => matches!(self, Office | Admin),
            ReadSurveyResults => matches!(self, Office | Leader | Admin),
            PublishNotices => matches!(self, Office | Admin),
            ManageCampaigns => matches!(self, Office | Leader | Admin),
            ViewCampaigns => matches!(self, ShiftLeader | Office | Leader | Admin),
            ManageTraining => matches!(self, Office | Admin),
            IssueCertificates => matches!(self, Office | Admin),
            PayRewards => matches!(self, Finance),
            CurateTypicalCases => matches!(self, Office | Admin),
        }
    }
}

/// How far a role's sight reaches over a kind of record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sight {
    /// Every record of the organisation.
    Organisation,
    /// Records of their own unit and the units under it (a shift leader).
    OwnUnits,
    /// Records about themselves, or that they handle or registered.
    Themselves,
    /// Only what they recorded themselves (a supervisor's inspections).
    Recorded,
    /// None.
    Nothing,
}

impl Role {
    /// Which cases a role sees (complaints about leaders aside: see
    /// [`may_see_leader_complaint`]).
    pub fn case_sight(self) -> Sight {
        match self {
            Role::Office | Role::Leader | Role::Admin | Role::ShiftLeader => Sight::Organisation,
            Role::Staff | Role::Supervisor | Role::Discipline => Sight::Themselves,
            Role::Finance => Sight::Nothing,
        }
    }

    /// Which ledger entries and fines a role sees.
    pub fn ledger_sight(self) -> Sight {
        match self {
            Role::Office | Role::Leader | Role::Admin | Role::Finance => Sight::Organisation,
            Role::ShiftLeader => Sight::OwnUnits,
            Role::Staff => Sight::Themselves,
            Role::Supervisor | Role::Discipline => Sight::Nothing,
        }
    }

    /// Which inspections and rectification orders a role sees.
    pub fn inspection_sight(self) -> Sight {
        match self {
            Role::Office | Role::Leader | Role::Admin => Sight::Organisation,
            Role::ShiftLeader => Sight::OwnUnits,
            Role::Staff => Sight::Themselves,
            Role::Supervisor => Sight::Recorded,
            Role::Finance | Role::Discipline => Sight::Nothing,
        }
    }

    /// Which supervisors' written reports a role sees.
    pub fn report_sight(self) -> Sight {
        match self {
            Role::Office | Role::Leader | Role::Admin => Sight::Organisation,
            Role::Supervisor => Sight::Recorded,
            _ => Sight::Nothing,
        }
    }

    /// Whose public information a role keeps — the convenience directory
    /// (PUB-1), duty rosters and facilities: the office and admin all of
    /// it, a shift leader their own station's and the teams under it.
    pub fn keeping_sight(self) -> Sight {
        match self {
            Role::Office | Role::Admin => Sight::Organisation,
            Role::ShiftLeader => Sight::OwnUnits,
            _ => Sight::Nothing,
        }
    }

    /// Whose training records a role sees (SPEC CMP-2): the office, leaders
    /// and admin everyone's, a shift leader their station's, everyone else
    /// their own.
    pub fn training_sight(self) -> Sight {
        match self {
            Role::Office | Role::Leader | Role::Admin => Sight::Organisation,
            Role::ShiftLeader => Sight::OwnUnits,
            _ => Sight::Themselves,
        }
    }
}

impl crate::cases::Channel {
    /// The channel a case registered by `role` comes by, unless it says:
    /// a supervisor's is the supervisor channel, everyone else's the hotline.
    pub fn default_for(role: Role) -> Self {
        if role.inspection_sight() == Sight::Recorded {
            crate::cases::Channel::Supervisor
        } else {
            crate::cases::Channel::Hotline
        }
    }
}

impl Permission {
    /// The permission named as in the table (`"ViewAllCases"`), for templates.
    pub fn parse(name: &str) -> Option<Permission> {
        Permission::ALL.into_iter().find(|p| format!("{p:?}") == name)
    }
}

/// The role × action table as Markdown: what docs/SECURITY.md holds, so
/// every change to it shows in review.
pub fn permission_table() -> String {
    let mut out = String::from("| action |");
    for r in Role::ALL {
        out.push_str(&format!(" {} |", r.as_str()));
    }
    out.push_str("\n|---|");
    for _ in Role::ALL {
        out.push_str("---|");
    }
    out.push('\n');
    for p in Permission::ALL {
        out.push_str(&format!("| {p:?} |"));
        for r in Role::ALL {
            out.push_str(if r.can(p) { " ✓ |" } else { " |" });
        }
        out.push('\n');
    }
    type SightOf = fn(Role) -> Sight;
    let sights: [(&str, SightOf); 6] = [
        ("cases", Role::case_sight),
        ("ledger and fines", Role::ledger_sight),
        ("inspections", Role::inspection_sight),
        ("written reports", Role::report_sight),
        ("public information to keep", Role::keeping_sight),
        ("training records", Role::training_sight),
    ];
    for (what, sight) in sights {
        out.push_str(&format!("| sees {what} |"));
        for r in Role::ALL {
            out.push_str(&format!(" {:?} |", sight(r)));
        }
        out.push('\n');
    }
    out
}

// ---- conflicts of interest (SPEC "Users and roles"; seed 001 谁受理谁负责,
// seed 002 §4.1.4 anti-retaliation): pure functions of the person acting
// and the record. Nobody decides, waives, handles or unmasks anything that
// is about themselves, whatever their role.

/// Why `actor_staff` may not decide (approve, reject, reverse, decide an
/// appeal against, waive) something about `subject_staff`; `None` when
/// they may.
pub fn about_themselves(
    actor_staff: Option<StaffId>,
    subject_staff: Option<StaffId>,
) -> Option<&'static str> {
    (actor_staff.is_some() && actor_staff == subject_staff)
        .then_some("不得处理与本人有关的事项 / nobody decides anything about themselves")
}

/// Why `actor` may not confirm a fine's waiver `proposed_by` someone: a
/// waiver is a decision and passes two different people.
pub fn second_person(actor_user: crate::UserId, proposed_by: Option<crate::UserId>) -> Option<&'static str> {
    (proposed_by == Some(actor_user))
        .then_some("免除罚款须由另一位审批人确认 / a waiver needs a second approver")
}

/// Whether a case is visible to `role` at all because of whom it is about:
/// complaints about leaders are for the discipline body alone (CASE-11).
pub fn may_see_leader_complaint(role: Role) -> bool {
    role.can(Permission::HandleLeaderComplaints)
}

impl_labelled!(Role);

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{StaffId, UserId};

    #[test]
    fn the_permission_table_in_docs_is_the_one_in_the_code() {
        let doc = include_str!("../../../docs/SECURITY.md");
        let table = permission_table();
        assert!(
            doc.contains(&table),
            "docs/SECURITY.md's role × action table is out of date; it is now:\n{table}"
        );
    }

    #[test]
    fn nobody_decides_about_themselves_and_a_waiver_takes_two() {
        assert!(about_themselves(Some(StaffId::new(7)), Some(StaffId::new(7))).is_some());
        assert!(about_themselves(Some(StaffId::new(7)), Some(StaffId::new(8))).is_none());
        assert!(about_themselves(None, None).is_none(), "no staff record, nothing about them");
        assert!(second_person(UserId::new(3), Some(UserId::new(3))).is_some());
        assert!(second_person(UserId::new(4), Some(UserId::new(3))).is_none());
    }

    #[test]
    fn complaints_about_leaders_are_the_discipline_bodys_alone() {
        let seeing: Vec<Role> = Role::ALL.into_iter().filter(|r| may_see_leader_complaint(*r)).collect();
        assert_eq!(seeing, [Role::Discipline]);
        assert!(!Role::Leader.can(Permission::HandleLeaderComplaints));
        assert!(Role::Discipline.can(Permission::ViewReporter));
    }

    #[test]
    fn roles_round_trip_through_their_names() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn supervisors_and_staff_cannot_manage_the_roster() {
        assert!(!Role::Supervisor.can(Permission::ViewOrganisation));
        assert!(!Role::Staff.can(Permission::ManageOrganisation));
        assert!(Role::Office.can(Permission::ManageOrganisation));
        assert!(!Role::Office.can(Permission::ManageUsers));
        assert!(Role::Admin.can(Permission::ManageUsers));
    }
}
