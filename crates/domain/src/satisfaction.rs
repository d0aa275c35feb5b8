//! Satisfaction (SPEC SAT-1..4): the five levels of a quick rating, the
//! counts that assessment reads, a rating's tags and comment, and the
//! SERVQUAL dimensions and respondents of questionnaires, whose questions,
//! answers and summaries are in [`questionnaire`].

use serde::Serialize;

use crate::FieldError;

pub mod questionnaire;
pub mod replacement;

pub use questionnaire::*;

labelled_enum! {
    /// A quick rating, best first. Stored as its number: 5 is 非常满意.
    Level {
        VerySatisfied = "5", "非常满意", "Very satisfied";
        Satisfied = "4", "满意", "Satisfied";
        BasicallySatisfied = "3", "基本满意", "Basically satisfied";
        Dissatisfied = "2", "不满意", "Dissatisfied";
        VeryDissatisfied = "1", "非常不满意", "Very dissatisfied";
    }
}

impl Level {
    pub fn number(self) -> i64 {
        match self {
            Level::VerySatisfied => 5,
            Level::Satisfied => 4,
            Level::BasicallySatisfied => 3,
            Level::Dissatisfied => 2,
            Level::VeryDissatisfied => 1,
        }
    }

    pub fn from_number(n: i64) -> Option<Level> {
        Level::ALL.iter().copied().find(|l| l.number() == n)
    }

    /// 不满意 or worse: opens a case (SAT-1).
    pub fn is_bad(self) -> bool {
        self.number() <= 2
    }
}

labelled_enum! {
    /// The five service-quality dimensions (SERVQUAL) a scale question measures.
    Dimension {
        Tangibles = "tangibles", "有形性", "Tangibles";
        Reliability = "reliability", "可靠性", "Reliability";
        Responsiveness = "responsiveness", "响应性", "Responsiveness";
        Assurance = "assurance", "保证性", "Assurance";
        Empathy = "empathy", "移情性", "Empathy";
    }
}

labelled_enum! {
    /// Who answers a questionnaire.
    Audience {
        Public = "public", "服务对象", "The public";
        Staff = "staff", "本单位职工（匿名）", "Our staff (anonymous)";
    }
}

labelled_enum! {
    /// Where a quick rating stands.
    RatingStatus {
        Counted = "counted", "计入", "Counted";
        Replaced = "replaced", "已被同一设备的新评价替换", "Replaced by a later rating from the same device";
        Excluded = "excluded", "申诉成立，不计入", "Excluded on appeal";
    }
}

/// The description of the case a bad rating opens: the level, the place,
/// the tags in the pack's words and the comment, for the office to read at
/// a glance (SAT-1).
pub fn bad_rating_description(
    known: &[Tag],
    level: Level,
    place: &str,
    tags: &[String],
    comment: Option<&str>,
) -> String {
    let titles: Vec<&str> =
        tags.iter().filter_map(|t| known.iter().find(|k| &k.code == t).map(|k| k.title.as_str())).collect();
    let mut description = format!("服务评价：{}（{place}）", level.label_zh());
    if !titles.is_empty() {
        description.push_str(&format!("；标签：{}", titles.join("、")));
    }
    if let Some(c) = comment {
        description.push_str(&format!("；留言：{c}"));
    }
    description
}

/// Ratings of one scope and period, by level: `n[0]` is 非常不满意 (1),
/// `n[4]` is 非常满意 (5).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    pub n: [i64; 5],
}

impl Counts {
    pub fn add(&mut self, level: Level, by: i64) {
        self.n[(level.number() - 1) as usize] += by;
    }

    pub fn merge(&mut self, other: &Counts) {
        for (a, b) in self.n.iter_mut().zip(other.n) {
            *a += b;
        }
    }

    pub fn total(&self) -> i64 {
        self.n.iter().sum()
    }

    /// 基本满意 or better.
    pub fn satisfied(&self) -> i64 {
        self.n[2] + self.n[3] + self.n[4]
    }

    pub fn bad(&self) -> i64 {
        self.n[0] + self.n[1]
    }

    /// Service satisfaction rate 服务满意率: basically satisfied or better
    /// over all counted ratings; `None` without ratings.
    pub fn satisfaction_rate(&self) -> Option<f64> {
        let t = self.total();
        (t > 0).then(|| self.satisfied() as f64 / t as f64)
    }

    /// The mean level, 1..=5.
    pub fn mean(&self) -> Option<f64> {
        let t = self.total();
        (t > 0).then(|| {
            self.n.iter().enumerate().map(|(i, c)| (i as i64 + 1) * c).sum::<i64>() as f64 / t as f64
        })
    }
}

/// A tag the public may attach to a rating (from the pack).
#[derive(Debug, Clone, Serialize)]
pub struct Tag {
    pub code: String,
    pub title: String,
    pub title_en: String,
}

/// Checks a rating's tags against the pack's list: known, each once, at
/// most eight.
pub fn check_tags(known: &[Tag], given: &[String]) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for t in given.iter().map(|t| t.trim()).filter(|t| !t.is_empty()) {
        if !known.iter().any(|k| k.code == t) {
            return Err(FieldError::new("tags", format!("没有这个标签：{t} / unknown tag")));
        }
        if !out.iter().any(|o| o == t) {
            out.push(t.to_string());
        }
    }
    if out.len() > 8 {
        return Err(FieldError::new("tags", "最多选 8 个标签 / at most 8 tags"));
    }
    Ok(out)
}

/// A comment: optional, at most 500 characters, no control characters but
/// line breaks.
pub fn check_comment(c: Option<&str>) -> Result<Option<String>, FieldError> {
    let Some(c) = c.map(str::trim).filter(|c| !c.is_empty()) else { return Ok(None) };
    if c.chars().count() > 500 {
        return Err(FieldError::new("comment", "留言最多 500 字 / at most 500 characters"));
    }
    if c.chars().any(|ch| ch.is_control() && ch != '\n' && ch != '\r') {
        return Err(FieldError::new("comment", "含有控制字符 / contains control characters"));
    }
    Ok(Some(c.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_bad_ratings_case_reads_level_place_tags_and_comment() {
        let known = vec![Tag { code: "slow".into(), title: "等候太久".into(), title_en: "Slow".into() }];
        let d = bad_rating_description(
            &known,
            Level::Dissatisfied,
            "3号窗口",
            &["slow".into()],
            Some("排了半小时"),
        );
        assert_eq!(d, "服务评价：不满意（3号窗口）；标签：等候太久；留言：排了半小时");
        assert_eq!(
            bad_rating_description(&known, Level::VeryDissatisfied, "站", &[], None),
            "服务评价：非常不满意（站）"
        );
    }

    #[test]
    fn levels_two_and_one_are_bad_and_three_is_satisfied() {
        assert!(Level::Dissatisfied.is_bad() && Level::VeryDissatisfied.is_bad());
        assert!(!Level::BasicallySatisfied.is_bad());
        let mut c = Counts::default();
        for (l, n) in [(Level::VerySatisfied, 5), (Level::BasicallySatisfied, 3), (Level::Dissatisfied, 2)] {
            c.add(l, n);
        }
        assert_eq!((c.total(), c.satisfied(), c.bad()), (10, 8, 2));
        assert_eq!(c.satisfaction_rate(), Some(0.8));
        assert_eq!(c.mean(), Some((25 + 9 + 4) as f64 / 10.0));
        assert_eq!(Level::parse("不满意"), Some(Level::Dissatisfied));
        assert_eq!(Level::from_number(5), Some(Level::VerySatisfied));
    }

    #[test]
    fn tags_must_be_the_packs() {
        let known = vec![Tag { code: "kind".into(), title: "态度热情".into(), title_en: "Kind".into() }];
        assert_eq!(check_tags(&known, &["kind".into(), "kind".into()]).unwrap(), vec!["kind".to_string()]);
        assert!(check_tags(&known, &["rude".into()]).is_err());
    }
}
