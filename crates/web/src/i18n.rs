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
        match catalogue().get(key) {
            Some((zh, en)) => match self.lang {
                Lang::Zh => zh,
                Lang::En => en,
            },
            None => {
                debug_assert!(false, "no words for {key:?} in the catalogue");
                "??"
            }
        }
    }

    /// Why a case looks like a duplicate, in words ("同一电话、内容相似").
    pub fn dup_reasons(&self, reasons: &[&str]) -> String {
        let words: Vec<&str> = reasons
            .iter()
            .map(|r| match *r {
                "phone" => self.t("dup.phone"),
                "service_point" => self.t("dup.point"),
                "plate" => self.t("dup.plate"),
                "text" => self.t("dup.text"),
                other => other,
            })
            .collect();
        words.join(self.pick("、", ", "))
    }

    /// The words for `key` when the catalogue has them: for keys made from
    /// what a request says (`?done=…`), which may name nothing.
    pub fn lookup(&self, key: &str) -> Option<&'static str> {
        catalogue().get(key).map(|(zh, en)| self.pick(zh, en))
    }

    /// A sentence with one value in it: `{0}` in the catalogue's text.
    pub fn f1(&self, key: &str, a: impl std::fmt::Display) -> String {
        self.t(key).replace("{0}", &a.to_string())
    }

    /// The colon after a label: full-width in Chinese.
    pub fn colon(&self) -> &'static str {
        self.pick("：", ": ")
    }

    /// A value in brackets after a word: full-width in Chinese.
    pub fn paren(&self, x: impl std::fmt::Display) -> String {
        if self.is_en() { format!(" ({x})") } else { format!("（{x}）") }
    }

    /// A sentence with two values in it: `{0}` and `{1}`.
    pub fn f2(&self, key: &str, a: impl std::fmt::Display, b: impl std::fmt::Display) -> String {
        self.f1(key, a).replace("{1}", &b.to_string())
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

tokio::task_local! {
    /// The language of the request being served (set in `frame`).
    pub static LANG: Lang;
}

impl Tr {
    pub fn from_headers(headers: &axum::http::HeaderMap) -> Tr {
        let lang = match cookie(headers, "ck_lang").as_deref() {
            Some("en") => Lang::En,
            _ => Lang::Zh,
        };
        Tr { lang }
    }

    /// The language of the request this task serves; Chinese outside one.
    pub fn current() -> Tr {
        Tr { lang: LANG.try_with(|l| *l).unwrap_or(Lang::Zh) }
    }

    /// One side of a message written "中文 / English", as the domain and the
    /// store write their refusals; a message without both sides is kept whole.
    pub fn msg(&self, message: &str) -> String {
        let ideograph = |s: &str| s.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c));
        for (i, _) in message.match_indices(" / ") {
            let (zh, en) = (&message[..i], &message[i + 3..]);
            if ideograph(zh) && !ideograph(en) {
                return self.pick(zh, en).to_string();
            }
        }
        message.to_string()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Tr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Tr::from_headers(&parts.headers))
    }
}

/// The catalogue by key, built once: pages look up dozens of words each.
fn catalogue() -> &'static std::collections::HashMap<&'static str, (&'static str, &'static str)> {
    static MAP: std::sync::OnceLock<std::collections::HashMap<&'static str, (&'static str, &'static str)>> =
        std::sync::OnceLock::new();
    MAP.get_or_init(|| WORDS.iter().map(|(k, zh, en)| (*k, (*zh, *en))).collect())
}

/// `(key, Chinese, English)`: every word a page shows, in one place.
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
    // Words of the console pages.
    // Spreadsheet exports.
    ("xlsx.unit", "单位", "Unit"),
    ("xlsx.valid_complaints", "有效投诉", "Valid complaints"),
    ("xlsx.on_last_month", "环比", "On last month"),
    ("xlsx.on_last_year", "同比", "On last year"),
    ("xlsx.vehicles", "车流量", "Vehicles"),
    ("xlsx.complaints_per_10_000", "每万车次投诉", "Complaints per 10,000"),
    ("xlsx.satisfaction_rate", "服务满意率", "Satisfaction rate"),
    ("xlsx.ratings", "评价数", "Ratings"),
    ("xlsx.handling_satisfaction", "投诉处理满意度", "Handling satisfaction"),
    ("xlsx.timely_rate", "意见处理及时率", "Timely rate"),
    ("xlsx.rectification_rate", "整改率", "Rectification rate"),
    ("xlsx.on_site_compliance", "现场管理到位率", "On-site compliance"),
    ("xlsx.good_deeds", "好人好事", "Good deeds"),
    ("xlsx.violations", "违规", "Violations"),
    ("xlsx.fines_yuan", "罚款（元）", "Fines (yuan)"),
    ("xlsx.rank", "名次", "Rank"),
    ("xlsx.staff_no", "工号", "Staff no."),
    ("xlsx.name", "姓名", "Name"),
    ("xlsx.bad_ratings", "差评", "Bad ratings"),
    ("xlsx.commendations", "表彰", "Commendations"),
    ("xlsx.efficiency_warnings", "效能告诫", "Efficiency warnings"),
    ("xlsx.notices_of_criticism", "通报批评", "Notices of criticism"),
    ("xlsx.score", "得分", "Score"),
    ("xlsx.stars", "星级", "Stars"),
    ("xlsx.award_eligibility", "评先资格", "Award eligibility"),
    ("xlsx.team_rank", "班组名次", "Team rank"),
    ("xlsx.team", "班组", "Team"),
    ("xlsx.members", "人数", "Members"),
    ("xlsx.mean_score", "平均分", "Mean score"),
    ("xlsx.award", "奖项", "Award"),
    ("xlsx.candidates", "候选", "Candidates"),
    ("xlsx.not_eligible_why", "不参评（原因）", "Not eligible (why)"),
    ("xlsx.plate", "车牌号", "Plate"),
    ("xlsx.driver", "驾驶员", "Driver"),
    ("xlsx.star_rated_vehicle", "星级服务车", "Star-rated vehicle"),
    ("xlsx.note", "说明", "Note"),
    ("xlsx.no", "编号", "No."),
    ("xlsx.dept", "部门", "Unit"),
    ("xlsx.amount_yuan", "金额（元）", "Amount (yuan)"),
    ("xlsx.status", "状态", "Status"),
    ("xlsx.basis", "依据", "Basis"),
    ("xlsx.effective", "生效日期", "Effective"),
    ("xlsx.collected", "收缴日期", "Collected"),
    ("xlsx.receipt_no", "收据号", "Receipt no."),
    ("xlsx.waiver_reason", "免除理由", "Waiver reason"),
    ("xlsx.eligible", "有", "yes"),
    ("xlsx.not_eligible", "无：{0}", "no: {0}"),
    ("xlsx.indicators_sheet", "{0}年{1}月指标", "Indicators {0}-{1}"),
    ("xlsx.assessment_sheet", "{0}考核", "Assessment {0}"),
    ("xlsx.closed_suffix", "（已关账）", " (closed)"),
    ("xlsx.fines_sheet", "罚款登记", "Fines"),
    ("case.address", "地点", "Address"),
    ("case.address_id", "地址编号", "Address id"),
    ("case.coordinates", "坐标（WGS-84）", "Coordinates (WGS-84)"),
    ("case.media_url", "照片链接（外部）", "Photo link (outside)"),
    ("fb.photos", "照片", "Photos"),
    ("fb.photos_hint", "可选，最多 3 张 JPEG 或 PNG", "optional, up to 3 JPEG or PNG"),
    ("fb.too_many_photos", "最多可附 {0} 张照片，请重新选择", "At most {0} photos: please choose again"),
    ("case.responsibility", "责任", "Responsibility"),
    ("track.confirm_withdraw", "请勾选确认后再撤回。", "Tick the box to confirm the withdrawal."),
    (
        "track.withdraw_confirm",
        "我确认撤回这件投诉（24 小时内可撤销）",
        "I confirm I withdraw this (it can be undone within 24 hours)",
    ),
    (
        "track.undo_hint",
        "您已撤回这件投诉。如系误操作，可在撤回后 24 小时内撤销，案件将恢复办理。",
        "You withdrew this. If it was a mistake you can undo it within 24 hours of withdrawing, and handling resumes.",
    ),
    ("track.undo_withdrawal", "撤销撤回", "Undo the withdrawal"),
    ("done.registered", "案件已登记", "The case is registered"),
    ("dup.phone", "同一电话", "same phone"),
    ("dup.point", "同一服务点", "same service point"),
    ("dup.plate", "同一车牌", "same plate"),
    ("dup.text", "内容相似", "similar text"),
    ("public.server", "为您服务的是", "Serving you"),
    ("public.staff_no", "工号", "Staff no."),
    (
        "public.unknown_staff",
        "工号 {0} 不在岗，本次评价计入服务点。",
        "Staff no. {0} is not on the roster; this rating counts for the service point.",
    ),
    ("survey.kind.scale", "五级量表", "Five-point scale"),
    ("survey.kind.choice", "单选", "Single choice"),
    ("survey.kind.text", "文字", "Free text"),
    ("survey.question_n", "第 {0} 题", "Question {0}"),
    ("survey.kind", "题型", "Kind"),
    ("survey.text", "题目", "Question"),
    ("survey.dimension", "维度（量表题）", "Dimension (scale questions)"),
    ("survey.options", "选项（单选题，用“；”分隔）", "Options (single choice, separated by ;)"),
    (
        "survey.editor_hint",
        "题目留空的行不计入。维度按 SERVQUAL：有形性、可靠性、响应性、保证性、移情性。",
        "Rows without a question are left out. Dimensions follow SERVQUAL: tangibles, reliability, responsiveness, assurance, empathy.",
    ),
    ("survey.more_rows", "再加 {0} 题", "{0} more rows"),
    (
        "case.spoken_once",
        "电话查询码（请读给来电人，只显示这一次）",
        "Phone code (read it to the caller; shown only once)",
    ),
    (
        "case.spoken_hint",
        "来电人凭案件编号和这 8 位数字即可电话或网上查询进度；完整查询码仍可用于网上链接。",
        "With the case number and these 8 digits the caller can follow the case by phone or on the web; the full code still works for the web link.",
    ),
    (
        "track.code_hint",
        "填写完整查询码，或电话登记时告知您的 8 位数字。",
        "Enter the full tracking code, or the 8 digits you were given on the phone.",
    ),
    ("actor.public", "公众", "the public"),
    ("actor.system", "系统", "the system"),
    ("w.unit_word", "部门", "unit"),
    ("w.amount_yuan", "{0} 元", "{0} yuan"),
    ("rating.appeal_upheld", "申诉成立", "appeal upheld"),
    ("rating.appeal_rejected", "申诉驳回", "appeal rejected"),
    ("rating.appeal_pending", "申诉待决定", "appeal pending"),
    ("w.total", "合计", "Total"),
    ("survey.scale_result", "{0} 份；满意率 {1}", "{0} answers; satisfied {1}"),
    ("dash.previous", "上期 {0}", "previous {0}"),
    ("dash.complaints", "有效投诉", "Valid complaints"),
    ("dash.complaints.note", "环比 {0} · 同比 {1}", "on last month {0} · on last year {1}"),
    (
        "dash.complaints.how",
        "经调查属实或部分属实、计入考核的投诉件数",
        "complaints found substantiated or partly substantiated, as assessed",
    ),
    ("dash.per_10k", "每万车次投诉", "Complaints per 10,000 vehicles"),
    ("dash.per_10k.note", "车流量 {0}", "traffic {0} vehicles"),
    (
        "dash.per_10k.how",
        "每万车次投诉 = 有效投诉 ÷ 车流量 × 10000",
        "per 10,000 = valid complaints ÷ vehicles × 10,000",
    ),
    ("dash.satisfaction", "服务满意率", "Satisfaction rate"),
    ("dash.satisfaction.note", "{0} 条评价", "{0} ratings"),
    (
        "dash.satisfaction.how",
        "满意率 = 基本满意及以上的评价 ÷ 全部计入的评价",
        "rate = ratings of basically satisfied or better ÷ all counted ratings",
    ),
    ("dash.handling", "投诉处理满意度", "Complaint-handling satisfaction"),
    ("dash.handling.note", "{0} 次回访", "{0} callbacks"),
    (
        "dash.handling.how",
        "处理满意度 = 回访中表示满意的 ÷ 全部回访",
        "handling satisfaction = satisfied callbacks ÷ all callbacks",
    ),
    ("dash.timely", "意见处理及时率", "Timely-handling rate"),
    ("dash.timely.how", "及时率 = 按时办结 ÷ 到期案件", "timely rate = cases closed on time ÷ cases due"),
    ("dash.rectified", "整改率", "Rectification rate"),
    (
        "dash.rectified.how",
        "整改率 = 验收合格的整改 ÷ 到期的整改",
        "rectified = orders accepted ÷ orders due",
    ),
    ("dash.on_site", "现场管理到位率", "On-site compliance"),
    ("dash.on_site.how", "到位率 = 检查合格项 ÷ 检查项", "compliance = items passed ÷ items checked"),
    ("dash.deeds", "好人好事 / 违规", "Good deeds / violations"),
    ("dash.deeds.note", "罚款 {0} 元", "fines {0} yuan"),
    (
        "dash.deeds.how",
        "本月台账中批准的好人好事和违规条目",
        "approved good deeds and violations in the month's ledger",
    ),
    ("dash.met", "已完成", "met"),
    ("dash.missed", "未完成", "missed"),
    ("dash.no_data", "无数据", "no data"),
    ("dash.chart.complaints", "有效投诉（近 12 个月）", "Valid complaints, last 12 months"),
    ("dash.chart.satisfaction", "服务满意率（近 12 个月）", "Satisfaction rate, last 12 months"),
    ("dash.unit.cases", "件", "cases"),
    ("dash.target", "目标", "Target"),
    ("dash.not_eligible", "本年度不参与评先", "not eligible this year"),
    ("w.monthly_notice_pdf", "打印月度通报 PDF", "Monthly notice PDF"),
    ("w.mark_all_read", "全部标为已读", "Mark all read"),
    ("w.technical_details", "技术细节", "Technical details"),
    ("w.mode", "方式", "Mode"),
    ("w.status", "状态", "Status"),
    ("w.type", "类型", "Kind"),
    ("w.inspected", "对象", "Target"),
    ("w.export_year_xlsx", "导出年度考核 Excel", "Annual review .xlsx"),
    ("w.annual_notice_pdf", "打印年度通报 PDF", "Annual notice PDF"),
    ("w.year_closed", "本年度已关账（{0}），结果已冻结", "The year was closed ({0}); its results are frozen"),
    ("w.changed_since", "；此后数据变化影响 {0} 人的得分", "; later changes would alter {0} people's scores"),
    ("w.comma", "，", ", "),
    ("w.teams", "班组", "Teams"),
    ("w.dashboard_title", "服务质量看板", "Service quality dashboard"),
    ("w.export_indicators", "导出指标 Excel", "Indicators .xlsx"),
    ("w.export_ranking", "导出考核 Excel", "Ranking .xlsx"),
    ("w.overdue_cases", "超期未办结", "Overdue cases"),
    ("w.open_rectifications", "未完成整改", "Open rectifications"),
    ("w.late_n", "超期 {0}", "{0} late"),
    ("w.month_closed", "本月已关账（{0}），结果已冻结", "The month was closed ({0}); its results are frozen"),
    ("w.due_in_total", "待收缴合计", "Due in total"),
    ("w.yuan", "元", "yuan"),
    ("w.export_xlsx", "导出 Excel", "Export .xlsx"),
    ("w.plan", "督查计划", "Plan"),
    ("w.not_applicable", "不适用", "N/A"),
    ("w.approvals_waiting", "待审批", "Approvals waiting"),
    ("w.void", "已作废", "void"),
    ("w.import_attendance", "导入考勤", "Import attendance"),
    ("w.attendance_columns", "工号, 日期, 类型, 备注", "staff no., date, kind, note"),
    ("w.level5", "非常满意", "Very satisfied"),
    ("w.level4", "满意", "Satisfied"),
    ("w.level3", "基本满意", "Basically satisfied"),
    ("w.level2", "不满意", "Dissatisfied"),
    ("w.level1", "非常不满意", "Very dissatisfied"),
    (
        "w.rate_explained",
        "满意率 = 基本满意及以上 ÷ 全部计入的评价；同一设备 24 小时内重复评价只计最后一次，申诉成立的评价不计入。",
        "Rate = ratings of basically satisfied or better ÷ all counted ratings; repeated ratings from one device within 24 hours count once (the last), and ratings whose appeal was upheld do not count.",
    ),
    ("w.link", "链接", "Link"),
    ("w.mean_1_5", "平均分（1–5）", "Mean (1–5)"),
    ("w.code", "代码", "Code"),
    ("w.code_versions", "同一代码再次发布即为新版本", "publishing the same code again makes a new version"),
    ("w.role_staff_disabled", "角色 · 员工 · 停用", "Role · staff · disabled"),
    (
        "w.users_hint",
        "新用户通过一次性链接自行设置密码；更改角色或停用会立即结束该用户的所有登录和 API 令牌。",
        "New users set their own password through a one-time link; a new role or status ends all their sessions and API tokens at once.",
    ),
    ("w.annual_review", "年度考核", "Annual review"),
    ("w.year", "年度", "Year"),
    ("w.show", "查看", "Show"),
    ("w.dashboard", "返回看板", "Back to the dashboard"),
    (
        "w.the_year_s_score_is",
        "年度得分为各月得分的平均值，各月已关账的按冻结结果计；评先资格按本年度台账。",
        "The year's score is the mean of its monthly scores (closed months as frozen); eligibility from the year's ledger",
    ),
    ("w.close_the_year", "关账并冻结本年度结果", "Close the year"),
    ("w.annual_awards", "年度评先", "Annual awards"),
    ("w.award", "奖项", "Award"),
    ("w.candidates", "候选", "Candidates"),
    ("w.not_eligible_why", "不参评（原因）", "Not eligible (why)"),
    ("w.the_pack_sets_no_annual", "本单位考核办法未设年度奖项", "the pack sets no annual awards"),
    ("w.star_rated_vehicles", "星级服务车", "Star-rated vehicles"),
    ("w.score", "得分", "Score"),
    ("w.stars", "星级", "Stars"),
    ("w.note", "说明", "Note"),
    ("w.ranking", "年度排名", "Ranking"),
    ("w.rank", "名次", "Rank"),
    ("w.chuangkou", "窗口", "Chuangkou"),
    ("w.staff_concerned", "涉及员工", "Staff concerned"),
    ("w.rule_broken", "违反条款", "Rule broken"),
    ("w.month", "月份", "Month"),
    ("w.indicator", "指标", "Indicator"),
    ("w.target", "目标", "Target"),
    ("w.actual", "实际", "Actual"),
    ("w.met", "完成情况", "Met"),
    ("w.by_unit", "各单位", "By unit"),
    ("w.complaints", "有效投诉", "Complaints"),
    ("w.per_10k", "每万车次", "Per 10k"),
    ("w.satisfaction", "满意率", "Satisfaction"),
    ("w.timely", "及时率", "Timely"),
    ("w.on_site", "到位率", "On-site"),
    ("w.violations", "违规", "Violations"),
    ("w.good_deeds", "好人好事", "Good deeds"),
    ("w.the_month_s_ranking_the", "本月考核排名", "The month's ranking: the top ten and the bottom five"),
    ("w.close_the_month", "关账并冻结本月结果", "Close the month"),
    ("w.award_eligibility", "评先资格", "Award eligibility"),
    ("w.award_eligibility_2", "年评先评优资格", "Award eligibility"),
    ("w.staff_no", "工号", "Staff no."),
    ("w.unit", "部门", "Unit"),
    ("w.eligible", "资格", "Eligible"),
    ("w.yes", "有", "yes"),
    ("w.no_2", "无", "no"),
    ("w.chuangkou_2", "· 窗口", "· Chuangkou"),
    ("w.go_back_correct_it_and", "请返回上一页修改后重新提交", "go back, correct it and submit again"),
    ("w.receipt_no", "收据号", "Receipt no"),
    ("w.reason", "免除理由 / 确认意见", "Reason"),
    ("w.fines", "罚款登记", "Fines"),
    ("w.fines_register", "罚款登记", "Fines register"),
    (
        "w.collected_by_finance_and_booked",
        "罚款由财务室统一收缴作为收入入账，不准私设小金库",
        "collected by finance and booked as income",
    ),
    ("w.entry", "条目", "Entry"),
    ("w.who", "对象", "Who"),
    ("w.amount", "金额", "Amount"),
    ("w.receipt", "收据/理由", "Receipt"),
    ("w.why", "依据", "Why"),
    ("w.collect", "收缴", "Collect"),
    ("w.confirm_the_waiver", "确认免除", "Confirm the waiver"),
    ("w.decline", "不同意", "Decline"),
    ("w.propose_a_waiver", "提请免除", "Propose a waiver"),
    ("w.none", "无", "none"),
    ("w.date", "日期", "Date"),
    ("w.target_2", "对象", "Target"),
    ("w.inspector", "检查人", "Inspector"),
    ("w.summary", "总体情况", "Summary"),
    ("w.item", "项目", "Item"),
    ("w.result", "结果", "Result"),
    ("w.note_2", "情况", "Note"),
    ("w.photos", "照片", "Photos"),
    ("w.record_an_inspection", "记录检查", "Record an inspection"),
    ("w.target_3", "检查对象", "Target"),
    ("w.staff_on_duty", "当班员工", "Staff on duty"),
    ("w.checklist", "检查项目", "Checklist"),
    ("w.pass", "合格", "Pass"),
    ("w.fail", "不合格", "Fail"),
    ("w.inspections_and_mystery_visits", "督查与暗访", "Inspections and mystery visits"),
    ("w.rectifications", "整改", "Rectifications"),
    ("w.plans", "督查计划", "Plans"),
    ("w.plan_an_inspection", "制定督查计划", "Plan an inspection"),
    ("w.title", "名称", "Title"),
    ("w.save", "保存", "Save"),
    ("w.inspections", "检查记录", "Inspections"),
    ("w.failed", "不合格", "Failed"),
    ("w.my_ledger", "我的台账", "My ledger"),
    ("w.record_a_fact_or_propose", "录入事实 / 提出条目", "Record a fact or propose"),
    ("w.my_fines", "我的罚款", "My fines"),
    ("w.receipt_2", "收据", "Receipt"),
    ("w.entries_and_appeals", "台账条目与申诉", "Entries and appeals"),
    ("w.entries", "台账", "Entries"),
    ("w.all", "全部", "all"),
    ("w.filter", "筛选", "Filter"),
    ("w.appeal", "申诉", "Appeal"),
    ("w.rule", "规则", "Rule"),
    ("w.codebook", "规范条款", "Codebook"),
    ("w.explanation", "依据", "Explanation"),
    ("w.case", "案件", "Case"),
    ("w.inspection", "检查", "Inspection"),
    ("w.reverses", "撤销", "Reverses"),
    ("w.facts", "事实", "Facts"),
    ("w.decide", "审批", "Decide"),
    ("w.kind", "处理方式", "Kind"),
    ("w.note_3", "意见", "Note"),
    ("w.reason_2", "申诉理由", "Reason"),
    ("w.appeal_2", "提交申诉", "Appeal"),
    ("w.an_entry_can_be_appealed", "每个条目只能申诉一次", "an entry can be appealed once"),
    ("w.decide_the_appeal", "申诉决定", "Decide the appeal"),
    ("w.outcome", "决定", "Outcome"),
    ("w.upheld", "维持原决定", "Upheld"),
    ("w.granted", "申诉成立，撤销", "Granted"),
    ("w.decision", "决定理由", "Decision"),
    ("w.record", "记录决定", "Record"),
    ("w.correct_by_reversal", "更正（撤销）", "Correct by reversal"),
    ("w.reason_3", "理由", "Reason"),
    ("w.reverse", "撤销", "Reverse"),
    ("w.history", "记录", "History"),
    ("w.record_2", "录入", "Record"),
    ("w.record_a_fact", "录入事实", "Record a fact"),
    (
        "w.the_pack_s_rules_propose",
        "规则将按政策包自动提出待审批条目",
        "the pack's rules propose entries for approval",
    ),
    ("w.staff", "员工", "Staff"),
    ("w.or_a_unit_or_team", "或单位/班组", "Or a unit or team"),
    ("w.codebook_rule", "规范条款", "Codebook rule"),
    ("w.attendance", "考勤类型", "Attendance"),
    ("w.propose_an_entry", "提出条目", "Propose an entry"),
    ("w.or_unit", "或部门", "Or unit"),
    ("w.fine_yuan", "罚款金额（元）", "Fine (yuan)"),
    ("w.good_deed", "好人好事", "Good deed"),
    ("w.item_2", "拾得物品", "Item"),
    ("w.value", "物品价值（元）", "Value"),
    ("w.note_4", "事由", "Note"),
    ("w.propose", "提出", "Propose"),
    ("w.note_5", "理由", "Note"),
    ("w.why_2", "恶意或误评的理由", "Why"),
    ("w.satisfaction_ratings", "满意度评价", "Satisfaction ratings"),
    ("w.ratings", "评价", "Ratings"),
    ("w.questionnaires", "问卷", "Questionnaires"),
    ("w.from", "从", "From"),
    ("w.to", "到", "To"),
    ("w.unit_2", "单位 / 人员", "Unit"),
    ("w.ratings_2", "评价数", "Ratings"),
    ("w.rate", "满意率", "Rate"),
    ("w.no_ratings_in_this_period", "本期没有评价", "no ratings in this period"),
    ("w.appeals_to_decide", "待决定的申诉", "Appeals to decide"),
    ("w.rating", "评价", "Rating"),
    ("w.filed", "提出", "Filed"),
    ("w.decision_2", "决定", "Decision"),
    ("w.upheld_2", "申诉成立，不计入", "Upheld"),
    ("w.rejected", "驳回", "Rejected"),
    ("w.decide_2", "决定", "Decide"),
    ("w.bad_ratings", "差评", "Bad ratings"),
    ("w.when", "时间", "When"),
    ("w.point", "服务点", "Point"),
    ("w.case_2", "整改", "Case"),
    ("w.what_was_done", "整改情况", "What was done"),
    ("w.finding", "验收意见", "Finding"),
    ("w.rectification_orders", "限期整改", "Rectification orders"),
    ("w.problem", "问题", "Problem"),
    ("w.due", "期限", "Due"),
    ("w.notes", "说明", "Notes"),
    ("w.overdue", "逾期", "overdue"),
    ("w.report_done", "报整改完成", "Report done"),
    ("w.accept", "验收合格", "Accept"),
    ("w.reject", "未整改到位", "Reject"),
    ("w.decision_3", "研究决定", "Decision"),
    ("w.written_reports_to_the_leading", "书面反映", "Written reports to the leading group"),
    ("w.submit_a_report", "提交书面反映", "Submit a report"),
    ("w.title_2", "标题", "Title"),
    ("w.unit_3", "涉及部门", "Unit"),
    ("w.findings", "情况", "Findings"),
    ("w.proposed_penalties", "处理建议", "Proposed penalties"),
    ("w.submitted", "提交", "Submitted"),
    ("w.by", "监督员", "By"),
    ("w.findings_2", "情况与建议", "Findings"),
    ("w.awaiting_the_leading_group", "待领导小组研究", "awaiting the leading group"),
    ("w.set_a_password", "设置密码", "Set a password"),
    ("w.new_password_10_characters_or", "新密码（至少 10 位）", "New password (10 characters or more)"),
    ("w.again", "再输一次", "Again"),
    ("w.set", "设置", "Set"),
    (
        "w.this_link_has_expired_or",
        "链接已失效或已使用，请联系系统管理员重新发送",
        "this link has expired or was used; ask your administrator for a new one",
    ),
    ("w.questionnaires_2", "← 问卷", "← Questionnaires"),
    ("w.close", "关闭问卷", "Close"),
    ("w.responses", "份答卷", "responses"),
    ("w.dimension", "维度", "Dimension"),
    ("w.question", "题目", "Question"),
    ("w.questions", "题目", "Questions"),
    ("w.questionnaires_3", "满意度调查问卷", "Questionnaires"),
    ("w.title_3", "问卷", "Title"),
    ("w.version", "版本", "Version"),
    ("w.audience", "对象", "Audience"),
    ("w.open", "进行中", "Open"),
    ("w.closed", "已关闭", "Closed"),
    ("w.results", "结果", "Results"),
    ("w.answered", "已填写", "answered"),
    ("w.answer", "填写", "Answer"),
    ("w.publish_a_questionnaire_or_a", "发布问卷或新版本", "Publish a questionnaire or a new version"),
    ("w.publish", "发布", "Publish"),
    ("w.role", "角色", "Role"),
    ("w.staff_record", "员工", "Staff record"),
    ("w.disabled", "停用", "Disabled"),
    ("w.reset_link", "重置密码链接", "Reset link"),
    ("w.new_user", "新建用户", "New user"),
    ("w.create", "新建", "Create"),
    ("w.fine_range", "罚款金额（{0}–{1} 元）", "Fine ({0}–{1} yuan)"),
    (
        "w.withheld",
        "少于 {0} 人作答，为保护匿名不显示结果",
        "Fewer than {0} answers: results withheld to protect anonymity",
    ),
    (
        "w.give_link",
        "请将此一次性链接交给 {0}（24 小时内有效，仅显示一次）：",
        "Give {0} this one-time link (valid 24 hours, shown once):",
    ),
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
    ("case.reinstated", "撤销了撤回，案件恢复办理", "took the withdrawal back: the case is open again"),
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

    fn sources(dir: &std::path::Path, ext: &str, out: &mut Vec<(String, String)>) {
        for e in std::fs::read_dir(dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                sources(&p, ext, out);
            } else if p.extension().is_some_and(|x| x == ext) {
                out.push((p.display().to_string(), std::fs::read_to_string(&p).unwrap()));
            }
        }
    }

    /// Chinese text, full-width punctuation included.
    fn chinese(c: char) -> bool {
        ('\u{4e00}'..='\u{9fff}').contains(&c)
            || ('\u{3000}'..='\u{303f}').contains(&c)
            || ('\u{ff00}'..='\u{ffef}').contains(&c)
    }

    /// Templates hold no words of their own: every word comes from the
    /// catalogue by a key that exists, so a page is wholly in one language.
    #[test]
    fn templates_take_every_word_from_the_catalogue() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = vec![];
        sources(&root.join("templates"), "html", &mut files);
        sources(&root.join("src"), "rs", &mut files);
        assert!(files.len() > 30);
        let mut problems = vec![];
        for (path, text) in &files {
            if path.ends_with(".html") {
                for (n, line) in text.lines().enumerate() {
                    if line.chars().any(chinese) {
                        problems.push(format!("{path}:{}: words outside the catalogue: {line}", n + 1));
                    }
                }
            }
            for call in ["tr.t(\"", "tr.f1(\"", "tr.f2(\""] {
                for piece in text.split(call).skip(1) {
                    let key = piece.split('"').next().unwrap();
                    if !catalogue().contains_key(key) {
                        problems.push(format!("{path}: no words for the key {key:?}"));
                    }
                }
            }
        }
        for (k, zh, en) in WORDS {
            // The switch names the other language in its own words.
            if *k != "lang.switch" && en.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)) {
                problems.push(format!("{k}: the English words are Chinese: {en}"));
            }
            if !zh.chars().any(chinese) && zh != en && !zh.is_ascii() {
                problems.push(format!("{k}: no Chinese: {zh}"));
            }
            for hole in ["{0}", "{1}"] {
                if zh.contains(hole) != en.contains(hole) {
                    problems.push(format!("{k}: {hole} in one language only"));
                }
            }
        }
        assert!(problems.is_empty(), "{}", problems.join("\n"));
    }

    #[test]
    fn a_two_sided_message_shows_the_reader_s_side() {
        let (zh, en) = (Tr { lang: Lang::Zh }, Tr { lang: Lang::En });
        let m = "只能包含字母、数字、- 和 _ / only letters, digits, - and _";
        assert_eq!(zh.msg(m), "只能包含字母、数字、- 和 _");
        assert_eq!(en.msg(m), "only letters, digits, - and _");
        assert_eq!(en.msg("工号, 日期 / 类型 / staff no."), "staff no.", "the split is where English begins");
        assert_eq!(en.msg("plain words"), "plain words");
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
