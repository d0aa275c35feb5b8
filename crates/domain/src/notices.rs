//! Public notices (SPEC PUB-2; seed 000's weather and road conditions on
//! the variable message signs, seed 002's 停电信息公告): what a notice is,
//! when the public sees it, and the text a variable message sign shows.

use crate::text::{self, FieldError};

labelled_enum!(
    /// What a notice tells the public.
    NoticeKind {
        Weather = "weather", "天气", "Weather";
        Road = "road", "路况", "Road conditions";
        Outage = "outage", "停电信息", "Power outage";
        ServiceChange = "service_change", "服务变更", "Service change";
        Other = "other", "其他", "Other";
    }
);

labelled_enum!(
    /// Where a notice is in its life: draft → published → expired (by the
    /// clock, at the end of its window) or withdrawn (by the office).
    NoticeState {
        Draft = "draft", "草稿", "Draft";
        Published = "published", "已发布", "Published";
        Expired = "expired", "已过期", "Expired";
        Withdrawn = "withdrawn", "已撤回", "Withdrawn";
    }
);

impl NoticeState {
    /// Whether the office may move a notice from `self` to `to`: publish a
    /// draft; withdraw a draft or a published notice. Expiry is the clock's.
    pub fn may_move_to(self, to: NoticeState) -> bool {
        matches!(
            (self, to),
            (NoticeState::Draft, NoticeState::Published)
                | (NoticeState::Draft | NoticeState::Published, NoticeState::Withdrawn)
        )
    }
}

/// A notice as the office writes it. Times are milliseconds since the
/// epoch; `unit_id` narrows it to one unit (a station's sign), `None` is
/// the whole organisation.
#[derive(Debug, Clone, PartialEq)]
pub struct NewNotice {
    pub kind: NoticeKind,
    pub title: String,
    pub body: String,
    /// For an outage: the area affected.
    pub area: Option<String>,
    pub valid_from: i64,
    pub valid_until: i64,
    pub unit_id: Option<i64>,
}

/// Checks a notice: a kind, a title of at most 60 characters, a body
/// (paragraphs allowed), a window that ends after it starts, and for an
/// outage the area it affects.
pub fn check(
    kind: &str,
    title: &str,
    body: &str,
    area: &str,
    window: (Option<i64>, Option<i64>),
    unit_id: Option<i64>,
) -> Result<NewNotice, Vec<FieldError>> {
    let mut errors = vec![];
    let kind = NoticeKind::parse(kind);
    if kind.is_none() {
        errors.push(FieldError::new("kind", "未知公告类型 / unknown kind of notice"));
    }
    let title = text::required("title", title, 60).map_err(|e| errors.push(e)).ok();
    let body = text::multiline("body", body, 2000).map_err(|e| errors.push(e)).ok();
    let area = text::optional("area", area, 200).map_err(|e| errors.push(e)).ok().flatten();
    if kind == Some(NoticeKind::Outage) && area.is_none() {
        errors.push(FieldError::new("area", "停电公告须写明停电范围 / an outage notice names the area"));
    }
    let (from, until) = window;
    if from.is_none() {
        errors.push(FieldError::new("valid_from", "请填写生效时间 / when does it start?"));
    }
    if until.is_none() {
        errors.push(FieldError::new("valid_until", "请填写失效时间 / when does it end?"));
    }
    if let (Some(f), Some(u)) = (from, until)
        && u <= f
    {
        errors.push(FieldError::new("valid_until", "失效时间须晚于生效时间 / it must end after it starts"));
    }
    match (kind, title, body, from, until) {
        (Some(kind), Some(title), Some(body), Some(valid_from), Some(valid_until)) if errors.is_empty() => {
            Ok(NewNotice { kind, title, body, area, valid_from, valid_until, unit_id })
        }
        _ => Err(errors),
    }
}

/// Whether the public sees a notice at `now`: published, and within its
/// window (from inclusive, until exclusive).
pub fn shown(state: NoticeState, valid_from: i64, valid_until: i64, now: i64) -> bool {
    state == NoticeState::Published && valid_from <= now && now < valid_until
}

/// Whether a character can be shown by a sign that speaks GB2312: ASCII
/// printable characters and GB2312's double-byte area (rows 0xA1–0xF7,
/// columns 0xA1–0xFE), tested by encoding to GBK and reading the bytes.
pub fn gb2312(c: char) -> bool {
    if c.is_ascii() {
        return !c.is_ascii_control();
    }
    let mut buf = [0u8; 4];
    let (bytes, _, unmappable) = encoding_rs::GBK.encode(c.encode_utf8(&mut buf));
    !unmappable && bytes.len() == 2 && (0xA1..=0xF7).contains(&bytes[0]) && (0xA1..=0xFE).contains(&bytes[1])
}

/// The lines a variable message sign shows for these texts (newest
/// first): each text's characters outside GB2312 dropped, white space
/// folded to one space, cut into lines of at most `width` characters (a
/// sign counts a character as one cell), empty lines left out.
pub fn sign_lines<'a>(texts: impl IntoIterator<Item = &'a str>, width: usize) -> Vec<String> {
    let width = width.max(1);
    let mut lines = vec![];
    for t in texts {
        let folded: String = t.split_whitespace().collect::<Vec<_>>().join(" ");
        let kept: Vec<char> = folded.chars().filter(|c| gb2312(*c)).collect();
        for chunk in kept.chunks(width) {
            let line: String = chunk.iter().collect::<String>().trim().to_string();
            if !line.is_empty() {
                lines.push(line);
            }
        }
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_is_shown_only_while_published_and_in_its_window() {
        let (from, until) = (1_000, 2_000);
        assert!(!shown(NoticeState::Published, from, until, 999));
        assert!(shown(NoticeState::Published, from, until, 1_000));
        assert!(shown(NoticeState::Published, from, until, 1_999));
        assert!(!shown(NoticeState::Published, from, until, 2_000), "until is exclusive");
        assert!(!shown(NoticeState::Draft, from, until, 1_500));
        assert!(!shown(NoticeState::Withdrawn, from, until, 1_500));
    }

    #[test]
    fn the_office_publishes_drafts_and_withdraws_what_is_not_over() {
        use NoticeState::*;
        let allowed: Vec<(NoticeState, NoticeState)> = NoticeState::ALL
            .iter()
            .copied()
            .flat_map(|a| NoticeState::ALL.iter().map(move |b| (a, *b)))
            .filter(|(a, b)| a.may_move_to(*b))
            .collect();
        assert_eq!(allowed, [(Draft, Published), (Draft, Withdrawn), (Published, Withdrawn)]);
    }

    #[test]
    fn gb2312_keeps_common_chinese_and_drops_what_a_sign_cannot_show() {
        for c in ['晋', '阳', '雾', '，', 'A', '1', ' ', '℃'] {
            assert!(gb2312(c), "{c}");
        }
        // 镕 and 珺 are GBK but not GB2312; an emoji and a control are neither.
        for c in ['镕', '珺', '😀', '\u{7}', '\u{FFFE}'] {
            assert!(!gb2312(c), "{c}");
        }
    }

    #[test]
    fn sign_lines_never_exceed_the_width_and_hold_only_gb2312() {
        let lines = sign_lines(["前方5公里团雾😀，\n请减速慢行", "太原至榆次路段施工"], 8);
        assert_eq!(lines, ["前方5公里团雾，", "请减速慢行", "太原至榆次路段施", "工"]);
        for l in &lines {
            assert!(l.chars().count() <= 8 && l.chars().all(gb2312), "{l}");
        }
    }

    #[test]
    fn an_outage_names_its_area_and_every_window_ends_after_it_starts() {
        let e = check("outage", "计划停电", "检修", "", (Some(10), Some(5)), None).unwrap_err();
        let fields: Vec<&str> = e.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["area", "valid_until"]);
        let n = check("road", "团雾", "前方团雾\n请减速", "", (Some(5), Some(10)), Some(3)).unwrap();
        assert_eq!((n.kind, n.body.as_str(), n.unit_id), (NoticeKind::Road, "前方团雾\n请减速", Some(3)));
    }
}
