//! Chinese first, English on request. The language is a cookie set by
//! `/lang/{zh|en}`; every page gets a [`Tr`] to look words up with.

use axum::extract::FromRequestParts;
use axum::http::request::Parts;

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
    ("nav.staff", "人员", "Staff"),
    ("nav.points", "服务点", "Service points"),
    ("nav.events", "操作记录", "Event log"),
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
    ("public.units", "服务单位", "Our service units"),
    ("public.welcome", "欢迎监督我们的服务", "We welcome your oversight of our service"),
    ("public.point", "服务点", "Service point"),
    (
        "public.feedback",
        "您的意见是我们改进的动力。如需投诉、建议或表扬，请拨打监督电话。",
        "Your feedback helps us improve. For complaints, suggestions or praise, call the supervision hotline.",
    ),
    ("error.title", "出错了", "Something went wrong"),
    ("error.home", "返回首页", "Back to the start"),
];

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
}
