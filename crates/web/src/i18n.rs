//! Chinese first, English on request. The language is a cookie set by
//! `/lang/{zh|en}`; every page gets a [`Tr`] to look words up with.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

use chuangkou_domain::Labelled;

use crate::cookies::cookie;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }
}

/// The translator handed to templates: `{{ tr.t("nav.staff") }}`.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn t(&self, key: &str) -> &'static str {
        match WORDS.iter().find(|(k, _, _)| *k == key) {
            Some((_, zh, en)) => match self.lang {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => "??",
        }
    }

    pub fn is_en(&self) -> bool {
        self.lang == Lang::En
    }

    /// The label of a domain value in this language.
    pub fn label(&self, x: impl Labelled) -> &'static str {
        if self.is_en() { x.label_en() } else { x.label_zh() }
    }

    /// `(code, label)` pairs for a form's choices.
    pub fn choices<L: Labelled>(&self, all: &[L]) -> Vec<(String, String)> {
        all.iter().map(|x| (x.code().to_string(), self.label(x).to_string())).collect()
    }

    /// Picks between a Chinese and an English label from the domain.
    pub fn pick<'a>(&self, zh: &'a str, en: &'a str) -> &'a str {
        if self.is_en() { en } else { zh }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Tr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let lang = match cookie(&parts.headers, "ck_lang").as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        };
        Ok(Tr { lang })
    }
}

/// `(key, Chinese, English)`.
const WORDS: &[(&str, &str, &str)] = &[
    ("app.name", "窗口服务质量管理", "Chuangkou service quality"),
    ("nav.tree", "组织机构", "Organisation"),
    ("nav.cases", "案件", "Cases"),
    ("nav.ledger", "奖惩台账", "Ledger"),
    ("nav.inspections", "督查", "Inspections"),
    ("nav.reports", "书面反映", "Written reports"),
    ("nav.notices", "通知", "Notifications"),
    ("notices.none", "没有通知", "No notifications"),
    ("cases.title", "投诉与意见", "Complaints and feedback"),
    ("cases.mine", "我的待办", "Mine"),
    ("cases.unit", "本单位", "My unit"),
    ("cases.due", "即将到期", "Due soon"),
    ("cases.overdue", "已超期", "Overdue"),
    ("cases.unassigned", "待认领", "Unassigned"),
    ("cases.followup", "待回访办结", "To call back and close"),
    ("cases.all", "全部", "All"),
    ("cases.search", "搜索内容或编号", "Search text or number"),
    ("cases.any_state", "全部状态", "Any state"),
    ("cases.none", "没有案件", "No cases"),
    ("cases.new", "登记新案件", "Register a case"),
    ("cases.more", "更多", "More"),
    ("case.number", "编号", "Number"),
    ("case.kind", "类型", "Kind"),
    ("case.channel", "渠道", "Channel"),
    ("case.category", "类别", "Category"),
    ("case.track", "办理时限", "Time limit"),
    ("case.state", "状态", "State"),
    ("case.description", "内容", "Details"),
    ("case.unit", "所属单位", "Unit"),
    ("case.point", "服务点", "Service point"),
    ("case.plate", "车牌号", "Plate"),
    ("case.reporter_name", "投诉人姓名", "Reporter's name"),
    ("case.reporter_phone", "投诉人电话", "Reporter's phone"),
    ("case.registered", "受理时间", "Registered"),
    ("case.investigate_due", "调查期限", "Investigate by"),
    ("case.handle_due", "办结期限", "Handle by"),
    ("case.overdue", "已超期", "Overdue"),
    ("case.owner", "承办人", "Handler"),
    ("case.pending", "待接收", "Handover pending to"),
    ("case.first", "首问责任人", "First-responsible"),
    ("case.routed", "受理部门", "Handled by"),
    ("case.finding", "调查结论", "Finding"),
    ("case.reply", "答复", "Reply"),
    ("case.timeline", "办理记录", "Timeline"),
    ("case.actions", "办理", "Actions"),
    ("case.reporter", "投诉人", "Reporter"),
    ("case.reveal", "查看完整信息", "Reveal"),
    ("case.reveal_reason", "查看原因（将被记录）", "Why (this is recorded)"),
    (
        "case.code_once",
        "请将查询码告知投诉人（只显示这一次）",
        "Give the reporter this tracking code (shown only once)",
    ),
    ("case.duplicates", "可能重复的案件（多头投诉）", "Likely duplicates"),
    ("case.register_anyway", "仍然登记", "Register anyway"),
    ("case.register", "登记", "Register"),
    ("act.accept", "接收", "Accept"),
    ("act.decline", "拒绝接收", "Decline"),
    ("act.start", "开始调查", "Start investigating"),
    ("act.conclude", "调查结论", "Record the finding"),
    ("act.apology", "已致歉", "Apology made"),
    ("act.reply", "答复投诉人", "Reply to the reporter"),
    ("act.callback", "记录回访", "Record the callback"),
    ("act.close", "办结", "Close"),
    ("act.handover", "移交", "Hand over"),
    ("act.transfer", "转办", "Transfer"),
    ("act.request_extension", "申请延期", "Request an extension"),
    ("act.decide_extension", "审批延期", "Decide the extension"),
    ("act.approve", "批准", "Approve"),
    ("act.reject", "不批准", "Reject"),
    ("act.merge", "合并到主案件（编号）", "Merge into master (number)"),
    ("act.withdraw", "撤回", "Withdraw"),
    ("act.note", "内部备注", "Internal note"),
    ("act.confirm", "我已确认：此操作提交后不能撤销", "I confirm: this cannot be undone once submitted"),
    (
        "act.confirm_conclude",
        "结论为属实时，我已确认将记入当事员工台账",
        "If substantiated: I confirm it goes on the staff member's ledger",
    ),
    ("act.choose", "— 请选择 —", "— choose —"),
    ("done.accept", "已接收，案件由您办理", "Accepted: the case is yours to handle"),
    ("done.decline", "已拒绝接收，案件退回移交人", "Declined: the case stays with whoever offered it"),
    ("done.start", "已开始调查", "Investigation started"),
    ("done.conclude", "已记录调查结论", "Finding recorded"),
    ("done.reply", "已答复投诉人，案件转办公室回访", "Reply sent; the office calls the reporter back"),
    ("done.callback", "已记录回访结果", "Callback recorded"),
    ("done.close", "案件已办结", "Case closed"),
    ("done.handover", "已发起移交，等待接手人接收", "Hand-over offered; waiting for acceptance"),
    ("done.transfer", "已转办", "Transferred"),
    ("done.request_extension", "延期申请已提交，等待领导审批", "Extension requested; waiting for a leader"),
    ("done.decide_extension", "已审批延期申请", "Extension decided"),
    ("done.merge", "已合并到主案件", "Merged into the master case"),
    ("done.withdraw", "案件已撤回", "Case withdrawn"),
    ("done.note", "已添加内部备注", "Note added"),
    ("act.reason", "原因", "Reason"),
    ("act.submit", "提交", "Submit"),
    ("nav.staff", "人员", "Staff"),
    ("nav.points", "服务点", "Service points"),
    ("nav.events", "操作记录", "Event log"),
    ("nav.menu", "菜单", "Menu"),
    ("nav.home", "工作台", "My work"),
    ("home.my_cases", "我的案件", "My cases"),
    ("home.overdue", "已超期", "overdue"),
    ("home.today", "今天到期", "due today"),
    ("home.soon", "三天内到期", "due within three days"),
    ("home.mine_open", "在办合计", "open in all"),
    ("home.waiting", "待我处理", "Waiting for me"),
    ("home.approvals", "台账待审批", "ledger entries to decide"),
    ("home.rectifications", "整改待办", "rectifications open"),
    ("home.unread", "未读通知", "unread notifications"),
    ("home.month", "本月概况", "the month at a glance"),
    ("cases.left", "剩余时间", "Time left"),
    ("cases.more_filters", "更多筛选", "More filters"),
    ("nav.users", "用户", "Users"),
    ("nav.public", "公众页面", "Public page"),
    ("nav.signout", "退出", "Sign out"),
    ("lang.switch", "English", "中文"),
    ("login.title", "登录", "Sign in"),
    ("login.username", "用户名", "Username"),
    ("login.password", "密码", "Password"),
    ("login.submit", "登录", "Sign in"),
    ("login.failed", "用户名或密码错误", "Wrong username or password"),
    ("login.locked", "尝试次数过多，请 15 分钟后再试", "Too many attempts; try again in 15 minutes"),
    ("tree.title", "组织机构", "Organisation tree"),
    ("tree.staff_count", "人数", "Staff"),
    ("col.code", "编码", "Code"),
    ("col.name", "名称", "Name"),
    ("col.kind", "类型", "Kind"),
    ("col.unit", "单位", "Unit"),
    ("col.employee_no", "工号", "Employee no"),
    ("col.person", "姓名", "Name"),
    ("col.position", "岗位", "Position"),
    ("col.phone", "电话", "Phone"),
    ("col.plate", "车牌号", "Plate"),
    ("col.qr", "二维码", "QR code"),
    ("col.time", "时间", "Time"),
    ("col.actor", "操作人", "By"),
    ("col.event", "事件", "Event"),
    ("col.detail", "内容", "Details"),
    ("staff.title", "人员名册", "Staff roster"),
    ("staff.search", "搜索姓名、工号或岗位", "Search name, number or position"),
    ("staff.all_units", "全部单位", "All units"),
    ("staff.filter", "查询", "Filter"),
    ("staff.none", "没有符合条件的人员", "No staff match"),
    ("staff.more", "下一页", "Next page"),
    ("staff.export", "导出 Excel", "Export to Excel"),
    ("import.title", "导入名册", "Import a roster"),
    ("import.kind", "导入内容", "What to import"),
    ("import.kind.units", "单位", "Units"),
    ("import.kind.staff", "人员", "Staff"),
    ("import.kind.vehicles", "车辆", "Vehicles"),
    ("import.file", "文件（.xlsx 或 .csv）", "File (.xlsx or .csv)"),
    ("import.mode", "方式", "Mode"),
    ("import.mode.all", "全部正确才导入", "All or nothing"),
    ("import.mode.valid", "只导入正确的行", "Import the valid rows"),
    ("import.submit", "导入", "Import"),
    (
        "import.rejected",
        "文件有错误，未导入任何数据。请改正以下问题后重新导入。",
        "The file has errors; nothing was imported. Fix these and import again.",
    ),
    (
        "import.partial",
        "已导入正确的行；以下行未导入：",
        "The valid rows were imported; these rows were not:",
    ),
    ("import.done", "导入完成", "Import finished"),
    ("import.created", "新增", "Created"),
    ("import.updated", "更新", "Updated"),
    ("import.unchanged", "未变化", "Unchanged"),
    ("import.sheet", "工作表", "Sheet"),
    ("import.row", "行", "Row"),
    ("import.column", "列", "Column"),
    ("import.reason", "原因", "Reason"),
    ("import.back", "返回人员名册", "Back to the roster"),
    ("points.title", "服务点与二维码", "Service points and QR codes"),
    ("points.download", "下载 PNG", "Download PNG"),
    ("points.open", "打开公众页面", "Open public page"),
    ("events.title", "操作记录（防篡改）", "Event log (tamper-evident)"),
    ("public.hotline", "监督电话", "Supervision hotline"),
    ("public.driver", "驾驶员", "Driver"),
    ("fb.track_link", "打开进度查询（请收藏此链接）", "Follow your case (bookmark this link)"),
    (
        "fb.track_link_hint",
        "链接中含查询码，请勿转发给他人；电话查询请报受理编号",
        "The link holds your tracking code: do not share it. By phone, quote the case number.",
    ),
    ("public.certificate", "服务资格证号", "Service certificate no."),
    ("public.regulator", "行业监督电话", "Regulator's hotline"),
    ("public.units", "服务单位", "Our service units"),
    ("public.welcome", "欢迎监督我们的服务", "We welcome your oversight of our service"),
    ("public.point", "服务点", "Service point"),
    (
        "public.feedback",
        "您的意见是我们改进的动力。如需投诉、建议或表扬，请拨打监督电话。",
        "Your feedback helps us improve. For complaints, suggestions or praise, call the supervision hotline.",
    ),
    ("error.title", "出错了", "Something went wrong"),
    ("fb.title", "投诉与建议", "Complaints and suggestions"),
    ("fb.kind", "您要", "You want to"),
    ("fb.category", "类别", "About"),
    ("fb.description", "具体情况（时间、地点、经过）", "What happened (when, where, how)"),
    ("fb.plate", "车牌号（可不填）", "Plate number (optional)"),
    ("fb.name", "姓名（可不填）", "Name (optional)"),
    ("fb.phone", "联系电话（可不填，便于回访）", "Phone (optional, for our callback)"),
    (
        "fb.privacy",
        "您的姓名和电话只用于回访，加密保存，被投诉人看不到。",
        "Your name and phone are used only to call you back; they are stored encrypted and the person concerned never sees them.",
    ),
    ("fb.submit", "提交", "Submit"),
    ("fb.received", "已受理", "Received"),
    ("fb.number", "受理编号", "Case number"),
    ("fb.code", "查询码", "Tracking code"),
    (
        "fb.code_once",
        "查询码只显示这一次，请记下或截图保存，凭编号和查询码查询办理进度。",
        "The tracking code is shown only this once: note it down to follow your case with the number and code.",
    ),
    ("track.title", "查询办理进度", "Track your case"),
    ("track.submit", "查询", "Look up"),
    ("track.state", "状态", "Status"),
    ("track.registered", "受理时间", "Received"),
    ("track.due", "办结期限", "Due"),
    ("track.merged", "与此案件合并办理", "Handled together with"),
    ("track.reply", "答复", "Our reply"),
    ("track.progress", "办理过程", "Progress"),
    ("track.rate", "您对处理结果是否满意？", "Are you satisfied with how we handled it?"),
    ("track.your_rating", "您的评价", "Your rating"),
    ("track.withdraw", "撤回投诉", "Withdraw"),
    ("sat.satisfied", "满意", "Satisfied"),
    ("sat.basic", "基本满意", "Basically satisfied"),
    ("sat.dissatisfied", "不满意", "Dissatisfied"),
    ("public.complain", "我要投诉 / 建议 / 表扬", "Complain, suggest or praise"),
    ("error.home", "返回首页", "Back to the start"),
    ("rate.question", "您对本次服务满意吗？", "How satisfied are you with our service?"),
    ("rate.more", "选择标签、留言（选填）", "Add tags or a comment (optional)"),
    ("rate.comment", "留言", "Comment"),
    ("rate.phone", "手机号（选填，仅用于回访）", "Mobile number (optional, only for our callback)"),
    ("rate.submit", "提交评价", "Submit rating"),
    ("rate.privacy", "评价无需填写个人信息。", "No personal details are needed to rate."),
    ("rate.thanks", "感谢您的评价！", "Thank you for your rating!"),
    (
        "rate.replaced",
        "您刚才已评价过这里，本次评价替换了上一次。",
        "You rated here a moment ago; this rating replaces the earlier one.",
    ),
    (
        "rate.case",
        "很抱歉让您不满意。我们已登记整改，将在规定时限内处理并回访。",
        "We are sorry. We have opened a case to put it right and will call back within the time limit.",
    ),
    ("rate.back", "返回", "Back"),
    (
        "survey.anonymous",
        "本问卷匿名：答案不与您的身份关联，少于 5 人作答的群体不显示结果。",
        "This survey is anonymous: answers are not linked to you, and no results are shown for a group with fewer than 5 answers.",
    ),
    ("survey.submit", "提交问卷", "Submit"),
    ("survey.thanks", "问卷已提交，谢谢！", "Thank you, your answers are in."),
    ("nav.ratings", "满意度", "Satisfaction"),
    ("nav.dashboard", "看板", "Dashboard"),
];

/// What an event says, in words: `(kind, 中文, English)`. An event of a
/// kind missing here shows its kind (a test keeps the list whole).
pub const EVENT_WORDS: &[(&str, &str, &str)] = &[
    ("api_token.created", "签发了 API 令牌", "issued an API token"),
    ("assessment.closed", "关闭了月度考核", "closed the month's assessment"),
    ("assessment.year_closed", "关闭了年度考核", "closed the year's assessment"),
    ("case.called_back", "记录了回访", "recorded the callback"),
    ("case.closed", "办结了案件", "closed the case"),
    ("case.concluded", "作出了调查结论", "concluded the investigation"),
    ("case.deadline_warning", "提醒即将到期", "warned of the coming deadline"),
    ("case.duplicate_merged", "合并了重复件", "merged a duplicate"),
    ("case.escalated", "升级了案件", "escalated the case"),
    ("case.extension_approved", "批准了延期", "approved the extension"),
    ("case.extension_rejected", "未批准延期", "refused the extension"),
    ("case.extension_requested", "申请了延期", "asked for an extension"),
    ("case.handover_accepted", "接收了案件", "took the case over"),
    ("case.handover_declined", "拒绝接收案件", "declined the case"),
    ("case.handover_offered", "将案件移交给", "handed the case to"),
    ("case.investigation_started", "开始调查", "started the investigation"),
    ("case.merged", "将案件并入", "merged the case into"),
    ("case.note_added", "添加了备注", "added a note"),
    ("case.overdue", "案件已超期", "the case went overdue"),
    ("case.registered", "受理登记了案件", "registered the case"),
    ("case.reopened", "因回访不满意重新办理", "reopened it after a dissatisfied callback"),
    ("case.replied", "答复了投诉人", "replied to the reporter"),
    ("case.reporter_revealed", "查看了投诉人信息", "revealed the reporter"),
    ("case.transferred", "转办了案件", "transferred the case"),
    ("case.withdrawn", "撤回了案件", "withdrew the case"),
    ("fact.recorded", "录入了事实", "recorded a fact"),
    ("fine.collected", "收缴了罚款", "collected a fine"),
    ("fine.waived", "免除了罚款", "waived a fine"),
    ("fine.waiver_declined", "不同意免除罚款", "declined a fine's waiver"),
    ("fine.waiver_proposed", "提请免除罚款", "proposed waiving a fine"),
    ("inspection.photo_added", "补充了检查照片", "added an inspection photo"),
    ("inspection.recorded", "记录了检查", "recorded an inspection"),
    ("ledger.appeal_decided", "决定了申诉", "decided an appeal"),
    ("ledger.appealed", "提出了申诉", "appealed"),
    ("ledger.approved", "批准了台账条目", "approved a ledger entry"),
    ("ledger.proposed", "提出了台账条目", "proposed a ledger entry"),
    ("ledger.rejected", "未批准台账条目", "rejected a ledger entry"),
    ("ledger.reversal", "撤销了台账条目", "reversed a ledger entry"),
    ("organisation.created", "创建了单位", "created the organisation"),
    ("questionnaire.closed", "关闭了问卷", "closed a questionnaire"),
    ("questionnaire.published", "发布了问卷", "published a questionnaire"),
    ("rating.appeal_rejected", "驳回了评价申诉", "rejected a rating appeal"),
    ("rating.appealed", "对评价提出申诉", "appealed a rating"),
    ("rating.excluded", "剔除了评价", "excluded a rating"),
    ("rating.recorded", "收到了评价", "received a rating"),
    ("ratings.recorded", "收到了一批评价", "received ratings"),
    ("rectification.ordered", "下达了整改通知", "ordered a rectification"),
    ("rectification.overdue", "整改已超期", "a rectification went overdue"),
    ("rectification.rejected", "退回了整改", "sent a rectification back"),
    ("rectification.reported", "报告了整改", "reported a rectification"),
    ("rectification.verified", "验收了整改", "verified a rectification"),
    ("report.decided", "处理了书面反映", "decided a written report"),
    ("report.submitted", "提交了书面反映", "submitted a written report"),
    ("service_point.created", "新增了服务点", "added a service point"),
    ("staff.created", "新增了员工", "added a staff member"),
    ("staff.updated", "修改了员工信息", "updated a staff member"),
    ("survey.answered", "填写了问卷", "answered a survey"),
    ("unit.created", "新增了部门", "added a unit"),
    ("unit.manager_set", "设置了部门负责人", "set a unit's head"),
    ("unit.updated", "修改了部门", "updated a unit"),
    ("user.created", "新增了用户", "added a user"),
    ("user.email_set", "设置了邮箱", "set an e-mail address"),
    ("user.password_set", "设置了密码", "set a password"),
    ("user.reset_issued", "发出了重置密码链接", "issued a password link"),
    ("user.updated", "修改了用户", "changed a user"),
    ("vehicle.created", "新增了车辆", "added a vehicle"),
    ("vehicle.updated", "修改了车辆", "updated a vehicle"),
    ("volumes.imported", "导入了业务量", "imported service volume"),
];

impl Tr {
    /// An event kind in words in the reader's language.
    pub fn event(&self, kind: &str) -> String {
        EVENT_WORDS
            .iter()
            .find(|w| w.0 == kind)
            .map_or_else(|| kind.to_string(), |w| self.pick(w.1, w.2).to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_word_has_both_languages_and_keys_are_unique() {
        let mut keys = std::collections::HashSet::new();
        for (k, zh, en) in WORDS {
            assert!(keys.insert(k), "duplicate key {k}");
            assert!(!zh.is_empty() && !en.is_empty(), "{k}");
        }
        assert_eq!(Tr { lang: Lang::En }.t("nav.staff"), "Staff");
        assert_eq!(Tr { lang: Lang::Zh }.t("nav.staff"), "人员");
    }

    /// Every event kind the store writes (a literal `"case.replied"` and
    /// the like in its source) has words for people.
    #[test]
    fn every_event_the_store_writes_has_words() {
        const PREFIXES: &[&str] = &[
            "api_token",
            "assessment",
            "case",
            "fact",
            "fine",
            "inspection",
            "ledger",
            "organisation",
            "questionnaire",
            "rating",
            "ratings",
            "rectification",
            "report",
            "service_point",
            "staff",
            "survey",
            "unit",
            "user",
            "vehicle",
            "volumes",
        ];
        fn walk(dir: &std::path::Path, out: &mut Vec<String>) {
            for e in std::fs::read_dir(dir).unwrap() {
                let p = e.unwrap().path();
                if p.is_dir() {
                    walk(&p, out);
                } else if p.extension().is_some_and(|x| x == "rs") {
                    out.push(std::fs::read_to_string(&p).unwrap());
                }
            }
        }
        let mut sources = vec![];
        walk(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../store/src"), &mut sources);
        let mut missing = vec![];
        for src in &sources {
            for lit in src.split('"').skip(1).step_by(2) {
                let Some((prefix, rest)) = lit.split_once('.') else { continue };
                let is_kind = PREFIXES.contains(&prefix)
                    && !rest.is_empty()
                    && rest.chars().all(|c| c.is_ascii_lowercase() || c == '_');
                if is_kind && rest != "csv" && !EVENT_WORDS.iter().any(|w| w.0 == lit) {
                    missing.push(lit.to_string());
                }
            }
        }
        missing.sort();
        missing.dedup();
        assert!(missing.is_empty(), "events without words: {missing:?}");
        assert_eq!(Tr { lang: Lang::Zh }.event("case.replied"), "答复了投诉人");
        assert_eq!(Tr { lang: Lang::En }.event("case.replied"), "replied to the reporter");
    }
}
