//! Cases: complaints and all other feedback, from intake to closing
//! (SPEC CASE-1..11). The lifecycle is an explicit state machine
//! ([`lifecycle`]); deadlines and escalations come from the policy pack
//! ([`clock`]); duplicates are found by [`similar`].

pub mod clock;
pub mod effects;
pub mod lifecycle;
pub mod messages;
pub mod number;
pub mod similar;

pub use lifecycle::{Actor, CaseView, Command, Refusal, State, Transition, decide};

labelled_enum! {
    /// What the reporter brings (CASE-1).
    CaseKind {
        Complaint = "complaint", "投诉", "Complaint";
        Suggestion = "suggestion", "建议", "Suggestion";
        Praise = "praise", "表扬", "Praise";
        Inquiry = "inquiry", "咨询", "Inquiry";
        HelpRequest = "help_request", "求助", "Help request";
    }
}

labelled_enum! {
    /// How it arrived (CASE-1).
    Channel {
        Hotline = "hotline", "热线电话", "Hotline";
        Letter = "letter", "来信", "Letter";
        WalkIn = "walk_in", "来访", "Walk-in";
        Web = "web", "网站/扫码", "Web / QR";
        Media = "media", "媒体转办", "Media-forwarded";
        Leader = "leader", "领导交办", "Leader-forwarded";
        Hotline12345 = "12345", "12345 转办", "12345-forwarded";
        Hotline95598 = "95598", "95598 供电服务热线", "95598 power hotline";
        Supervisor = "supervisor", "监督员", "Supervisor";
        Open311 = "open311", "Open311 接口", "Open311";
        Rating = "rating", "差评转办", "Bad rating";
    }
}

labelled_enum! {
    /// The investigation's finding (CASE-3).
    Finding {
        Substantiated = "substantiated", "属实", "Substantiated";
        PartlySubstantiated = "partly", "部分属实", "Partly substantiated";
        Unfounded = "unfounded", "不属实", "Unfounded";
    }
}

impl Finding {
    /// 属实 or 部分属实: the complaint counts, and feeds the ledger.
    pub fn is_substantiated(self) -> bool {
        !matches!(self, Finding::Unfounded)
    }
}

labelled_enum! {
    /// Whose responsibility it was.
    Responsibility {
        Ours = "ours", "我方责任", "Ours";
        Shared = "shared", "双方责任", "Shared";
        Reporter = "reporter", "投诉人责任", "The reporter's";
    }
}

labelled_enum! {
    /// The reporter's verdict at callback (回访).
    Satisfaction {
        Satisfied = "satisfied", "满意", "Satisfied";
        Basic = "basic", "基本满意", "Basically satisfied";
        Dissatisfied = "dissatisfied", "不满意", "Dissatisfied";
    }
}
