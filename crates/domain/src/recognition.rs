//! Recognition and publicity (SPEC CMP-1/2, issue 20 point 4): what a
//! typical case 典型案例 and a media log entry are, as the office writes
//! them, and the roles of a campaign's leading group (seed 004 四、组织领导).

use crate::duty::parse_date;
use crate::text::{self, FieldError};

labelled_enum!(
    /// What a typical case tells of.
    TypicalKind {
        GoodDeed = "good_deed", "好人好事", "Good deed";
        Complaint = "complaint", "投诉处理范例", "Model handling of a complaint";
        Campaign = "campaign", "创建成果", "Campaign achievement";
    }
);

labelled_enum!(
    /// A person's place in a campaign (seed 004: 组长, 副组长, 成员,
    /// 办公室主任, 服务班班长).
    MemberRole {
        Leader = "leader", "组长", "Leader";
        Deputy = "deputy", "副组长", "Deputy leader";
        Member = "member", "成员", "Member";
        OfficeHead = "office_head", "办公室主任", "Head of the campaign office";
        TeamHead = "team_head", "服务班班长", "Head of the service team";
    }
);

/// A typical case as checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckedTypical {
    pub kind: TypicalKind,
    pub title: String,
    pub story: String,
    pub happened_on: String,
}

pub fn check_typical(
    kind: &str,
    title: &str,
    story: &str,
    happened_on: &str,
) -> Result<CheckedTypical, Vec<FieldError>> {
    let mut errors = vec![];
    let kind = TypicalKind::parse(kind);
    if kind.is_none() {
        errors.push(FieldError::new("kind", "未知类别 / unknown kind"));
    }
    let title = text::required("title", title, 100).map_err(|e| errors.push(e)).ok();
    let story = text::required("story", story, 4000).map_err(|e| errors.push(e)).ok();
    let day = parse_date(happened_on);
    if day.is_none() {
        errors.push(FieldError::new("happened_on", "日期格式应为 2026-12-03 / a date like 2026-12-03"));
    }
    match (kind, title, story, day) {
        (Some(kind), Some(title), Some(story), Some(d)) if errors.is_empty() => {
            Ok(CheckedTypical { kind, title, story, happened_on: d.to_string() })
        }
        _ => Err(errors),
    }
}

/// A media log entry as checked: the outlet, the day, the title and a link
/// (http or https only).
pub fn check_media(
    outlet: &str,
    published_on: &str,
    title: &str,
    link: &str,
) -> Result<(String, String, String, Option<String>), Vec<FieldError>> {
    let mut errors = vec![];
    let outlet = text::required("outlet", outlet, 60).map_err(|e| errors.push(e)).ok();
    let title = text::required("title", title, 200).map_err(|e| errors.push(e)).ok();
    let day = parse_date(published_on);
    if day.is_none() {
        errors.push(FieldError::new("published_on", "日期格式应为 2026-12-03 / a date like 2026-12-03"));
    }
    let link = link.trim();
    let link = if link.is_empty() {
        None
    } else if (link.starts_with("https://") || link.starts_with("http://"))
        && link.len() <= 500
        && !link.contains(char::is_whitespace)
    {
        Some(link.to_string())
    } else {
        errors.push(FieldError::new(
            "link",
            "链接应以 http:// 或 https:// 开头 / a link starts with http:// or https://",
        ));
        None
    };
    match (outlet, title, day) {
        (Some(o), Some(t), Some(d)) if errors.is_empty() => Ok((o, d.to_string(), t, link)),
        _ => Err(errors),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_link_is_http_or_nothing() {
        assert!(check_media("徐州日报", "2026-12-01", "东站爱心飞扬", "javascript:alert(1)").is_err());
        assert_eq!(check_media("徐州日报", "2026-12-01", "东站", "").unwrap().3, None);
        assert!(check_typical("rumour", "", "", "x").unwrap_err().len() == 4);
    }
}
