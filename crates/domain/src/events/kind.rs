//! What an event says happened: one name per kind, so that a misspelt
//! kind is a compile error instead of a row no report ever finds, and the
//! list of what the log can hold is in one place (issue 22 point 4).
//!
//! The stored text (`subject.verb`) is what the chain hashes and what
//! reports filter on; it never changes for a kind once written. Events read
//! back keep their stored text: an old log may hold kinds a later version
//! no longer writes.

macro_rules! event_kinds {
    ($($variant:ident = $code:literal,)+) => {
        /// What happened, `subject.verb`.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub enum EventKind { $($variant),+ }

        impl EventKind {
            pub const ALL: &'static [EventKind] = &[$(EventKind::$variant),+];

            /// The stored text.
            #[must_use]
            pub fn as_str(self) -> &'static str {
                match self { $(EventKind::$variant => $code),+ }
            }
        }
    };
}

event_kinds! {
    ApiTokenCreated = "api_token.created",
    AssessmentClosed = "assessment.closed",
    AssessmentYearClosed = "assessment.year_closed",
    CampaignCreated = "campaign.created",
    CampaignEvaluated = "campaign.evaluated",
    CampaignFileAdded = "campaign.file_added",
    CampaignMemberAdded = "campaign.member_added",
    CampaignUnitAdded = "campaign.unit_added",
    CampaignTaskAccepted = "campaign_task.accepted",
    CampaignTaskAssigned = "campaign_task.assigned",
    CampaignTaskOverdue = "campaign_task.overdue",
    CampaignTaskReminder = "campaign_task.reminder",
    CampaignTaskSentBack = "campaign_task.sent_back",
    CampaignTaskStarted = "campaign_task.started",
    CampaignTaskSubmitted = "campaign_task.submitted",
    CaseCalledBack = "case.called_back",
    CaseClosed = "case.closed",
    CaseConcluded = "case.concluded",
    CaseDeadlineWarning = "case.deadline_warning",
    CaseDuplicateMerged = "case.duplicate_merged",
    CaseEscalated = "case.escalated",
    CaseExtensionApproved = "case.extension_approved",
    CaseExtensionRejected = "case.extension_rejected",
    CaseExtensionRequested = "case.extension_requested",
    CaseHandoverAccepted = "case.handover_accepted",
    CaseHandoverDeclined = "case.handover_declined",
    CaseHandoverOffered = "case.handover_offered",
    CaseInvestigationStarted = "case.investigation_started",
    CaseMerged = "case.merged",
    CaseNoteAdded = "case.note_added",
    CaseNotifiedOnce = "case.notified_once",
    CaseOnSite = "case.on_site",
    CaseOneTimeBreached = "case.one_time_breached",
    CaseOverdue = "case.overdue",
    CaseRegistered = "case.registered",
    CaseReinstated = "case.reinstated",
    CaseReopened = "case.reopened",
    CaseReplied = "case.replied",
    CaseReporterRevealed = "case.reporter_revealed",
    CaseTransferred = "case.transferred",
    CaseWithdrawn = "case.withdrawn",
    CertificateIssued = "certificate.issued",
    DirectoryAdded = "directory.added",
    DirectoryChecked = "directory.checked",
    DirectoryRetired = "directory.retired",
    DutyRostered = "duty.rostered",
    ExamCreated = "exam.created",
    ExamScored = "exam.scored",
    FacilityAdded = "facility.added",
    FacilityChecked = "facility.checked",
    FacilityRetired = "facility.retired",
    FactRecorded = "fact.recorded",
    FineCollected = "fine.collected",
    FineWaived = "fine.waived",
    FineWaiverDeclined = "fine.waiver_declined",
    FineWaiverProposed = "fine.waiver_proposed",
    GuideSaved = "guide.saved",
    InspectionPhotoAdded = "inspection.photo_added",
    InspectionRecorded = "inspection.recorded",
    InspectionPlanCreated = "inspection_plan.created",
    LedgerAppealDecided = "ledger.appeal_decided",
    LedgerAppealed = "ledger.appealed",
    LedgerApproved = "ledger.approved",
    LedgerProposed = "ledger.proposed",
    LedgerRejected = "ledger.rejected",
    LedgerReversal = "ledger.reversal",
    MediaLogged = "media.logged",
    NoticeDrafted = "notice.drafted",
    NoticeExpired = "notice.expired",
    NoticePublished = "notice.published",
    NoticeWithdrawn = "notice.withdrawn",
    OrganisationCreated = "organisation.created",
    QualificationExpiring = "qualification.expiring",
    QualificationRecorded = "qualification.recorded",
    QuestionnaireClosed = "questionnaire.closed",
    QuestionnairePublished = "questionnaire.published",
    RatingAppealRejected = "rating.appeal_rejected",
    RatingAppealed = "rating.appealed",
    RatingExcluded = "rating.excluded",
    RatingsRecorded = "ratings.recorded",
    RecordsRekeyed = "records.rekeyed",
    RecordsSealed = "records.sealed",
    RectificationOrdered = "rectification.ordered",
    RectificationOverdue = "rectification.overdue",
    RectificationRejected = "rectification.rejected",
    RectificationReported = "rectification.reported",
    RectificationVerified = "rectification.verified",
    ReportDecided = "report.decided",
    ReportSubmitted = "report.submitted",
    RewardPaid = "reward.paid",
    ServicePointCreated = "service_point.created",
    StaffCreated = "staff.created",
    StaffUpdated = "staff.updated",
    SurveyAnswered = "survey.answered",
    TrainingAttended = "training.attended",
    TrainingPlanCreated = "training_plan.created",
    TrainingSessionClosed = "training_session.closed",
    TrainingSessionCreated = "training_session.created",
    TypicalCasePublished = "typical_case.published",
    TypicalCaseWithdrawn = "typical_case.withdrawn",
    TypicalCaseWritten = "typical_case.written",
    UnitCreated = "unit.created",
    UnitManagerSet = "unit.manager_set",
    UnitUpdated = "unit.updated",
    UserCreated = "user.created",
    UserEmailSet = "user.email_set",
    UserPasswordSet = "user.password_set",
    UserResetIssued = "user.reset_issued",
    UserUpdated = "user.updated",
    VehicleCreated = "vehicle.created",
    VehicleUpdated = "vehicle.updated",
    VolumesImported = "volumes.imported",
}

impl EventKind {
    /// The kind stored as `code`, if this version writes it.
    #[must_use]
    pub fn parse(code: &str) -> Option<EventKind> {
        EventKind::ALL.iter().copied().find(|k| k.as_str() == code)
    }

    /// What the event is about: the part before the dot.
    #[must_use]
    pub fn subject(self) -> &'static str {
        self.as_str().split_once('.').map_or(self.as_str(), |(subject, _)| subject)
    }
}

impl std::fmt::Display for EventKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Compares with stored text: `row.kind == EventKind::CaseClosed`.
impl PartialEq<&str> for EventKind {
    fn eq(&self, code: &&str) -> bool {
        self.as_str() == *code
    }
}

impl PartialEq<EventKind> for &str {
    fn eq(&self, kind: &EventKind) -> bool {
        *self == kind.as_str()
    }
}

impl PartialEq<EventKind> for String {
    fn eq(&self, kind: &EventKind) -> bool {
        self == kind.as_str()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_kind_is_subject_dot_verb_and_named_once() {
        let mut seen = std::collections::HashSet::new();
        for k in EventKind::ALL {
            let (subject, verb) = k.as_str().split_once('.').expect("subject.verb");
            assert!(!subject.is_empty() && !verb.is_empty() && !verb.contains('.'), "{k}");
            assert!(k.as_str().chars().all(|c| c.is_ascii_lowercase() || c == '_' || c == '.'), "{k}");
            assert!(seen.insert(k.as_str()), "{k} twice");
            assert_eq!(EventKind::parse(k.as_str()), Some(*k));
        }
        assert_eq!(EventKind::CaseRegistered.subject(), "case");
        assert_eq!(EventKind::CampaignTaskSentBack.as_str(), "campaign_task.sent_back");
        assert_eq!(EventKind::parse("case.registerd"), None);
    }
}
