//! Satisfaction (SPEC SAT-1..4): the five levels of a quick rating, the
//! counts that assessment reads, questionnaires with SERVQUAL dimensions,
//! and the anonymity threshold of staff surveys.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::FieldError;

pub mod replacement;

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

// ---- questionnaires (SAT-2, SAT-3) ----

/// One question of a questionnaire.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Question {
    /// A five-point scale (1 = 非常不满意 … 5 = 非常满意) measuring one dimension.
    Scale { text: String, dimension: Dimension },
    /// One of several options.
    Choice { text: String, options: Vec<String> },
    /// Free text, optional to answer.
    Text { text: String },
}

impl Question {
    pub fn text(&self) -> &str {
        match self {
            Question::Scale { text, .. } | Question::Choice { text, .. } | Question::Text { text } => text,
        }
    }
}

/// Checks a questionnaire's questions: 1..=50 of them, each with a text of
/// at most 200 characters, choices with 2..=10 distinct options, at least
/// one scale question.
pub fn check_questions(qs: &[Question]) -> Result<(), FieldError> {
    if qs.is_empty() || qs.len() > 50 {
        return Err(FieldError::new("questions", "问卷需要 1 到 50 个问题 / 1 to 50 questions"));
    }
    for (i, q) in qs.iter().enumerate() {
        let n = i + 1;
        let t = q.text().trim();
        if t.is_empty() || t.chars().count() > 200 || t.chars().any(char::is_control) {
            return Err(FieldError::new(
                "questions",
                format!("第 {n} 题的题目需要 1 到 200 字 / question {n} needs a text of 1 to 200 characters"),
            ));
        }
        if let Question::Choice { options, .. } = q {
            let mut seen: Vec<&str> = Vec::new();
            for o in options {
                let o = o.trim();
                if o.is_empty() || o.chars().count() > 100 || seen.contains(&o) {
                    return Err(FieldError::new(
                        "questions",
                        format!(
                            "第 {n} 题的选项需要各不相同且不为空 / question {n}: options must be distinct and not empty"
                        ),
                    ));
                }
                seen.push(o);
            }
            if !(2..=10).contains(&seen.len()) {
                return Err(FieldError::new(
                    "questions",
                    format!("第 {n} 题需要 2 到 10 个选项 / question {n} needs 2 to 10 options"),
                ));
            }
        }
    }
    if !qs.iter().any(|q| matches!(q, Question::Scale { .. })) {
        return Err(FieldError::new(
            "questions",
            "至少需要一道五级量表题 / at least one five-point question is needed",
        ));
    }
    Ok(())
}

/// One row of the questionnaire editor, as the form posts it: the kind
/// (`scale`, `choice`, `text`), the question, the SERVQUAL dimension of a
/// scale question, the options of a choice question (separated by `;`).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct QuestionRow {
    pub kind: String,
    pub text: String,
    pub dimension: String,
    pub options: String,
}

impl QuestionRow {
    /// The row that edits `q`.
    pub fn of(q: &Question) -> QuestionRow {
        match q {
            Question::Scale { text, dimension } => QuestionRow {
                kind: "scale".into(),
                text: text.clone(),
                dimension: dimension.as_str().into(),
                options: String::new(),
            },
            Question::Choice { text, options } => QuestionRow {
                kind: "choice".into(),
                text: text.clone(),
                dimension: String::new(),
                options: options.join("; "),
            },
            Question::Text { text } => {
                QuestionRow { kind: "text".into(), text: text.clone(), ..QuestionRow::default() }
            }
        }
    }
}

/// Questions from the editor's rows; rows left blank are skipped. A wrong
/// row is named by its field (`q3` for the third row), so the form can
/// show the message beside it.
pub fn questions_from_rows(rows: &[QuestionRow]) -> Result<Vec<Question>, FieldError> {
    let mut qs = Vec::new();
    for (i, r) in rows.iter().enumerate() {
        let text = r.text.trim();
        if text.is_empty() {
            continue;
        }
        let field = format!("q{}", i + 1);
        let q = match r.kind.as_str() {
            "scale" => Question::Scale {
                text: text.to_string(),
                dimension: Dimension::parse(&r.dimension).ok_or_else(|| {
                    FieldError::new(&field, "请选择量表题的维度 / choose the question's dimension")
                })?,
            },
            "choice" => Question::Choice {
                text: text.to_string(),
                options: r
                    .options
                    .split([';', '；'])
                    .map(|o| o.trim().to_string())
                    .filter(|o| !o.is_empty())
                    .collect(),
            },
            "text" => Question::Text { text: text.to_string() },
            _ => return Err(FieldError::new(&field, "请选择题型 / choose the kind of question")),
        };
        // The checks of a single question, named by its row.
        check_questions(&[
            q.clone(),
            Question::Scale { text: "-".into(), dimension: Dimension::Reliability },
        ])
        .map_err(|e| {
            FieldError::new(
                &field,
                e.message.replace("第 1 题", "本题").replace("question 1", "this question"),
            )
        })?;
        qs.push(q);
    }
    check_questions(&qs)?;
    Ok(qs)
}

/// Reads questions from the admin form's lines, one question a line:
///
/// ```text
/// scale | reliability | 办事是否一次办结？
/// choice | 您办理的业务 | 缴费; 咨询; 投诉
/// text | 您还有什么建议？
/// ```
///
/// The dimension and kind may also be written by their Chinese labels
/// (量表 / 单选 / 文字, 可靠性 …).
pub fn parse_question_lines(text: &str) -> Result<Vec<Question>, FieldError> {
    let mut qs = Vec::new();
    for (i, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let n = i + 1;
        let parts: Vec<&str> = line.split(['|', '｜']).map(str::trim).collect();
        let bad = |why: &str| FieldError::new("questions", format!("第 {n} 行 / line {n}: {why}"));
        let q = match parts.first().copied() {
            Some("scale" | "量表") if parts.len() == 3 => Question::Scale {
                dimension: Dimension::parse(parts[1]).ok_or_else(|| {
                    bad("维度应为 tangibles、reliability、responsiveness、assurance、empathy 之一 / unknown dimension")
                })?,
                text: parts[2].to_string(),
            },
            Some("choice" | "单选") if parts.len() == 3 => Question::Choice {
                text: parts[1].to_string(),
                options: parts[2].split([';', '；']).map(|o| o.trim().to_string()).collect(),
            },
            Some("text" | "文字") if parts.len() == 2 => Question::Text { text: parts[1].to_string() },
            _ => {
                return Err(bad(
                    "格式应为 “scale | 维度 | 题目”、“choice | 题目 | 选项; 选项”或“text | 题目” / expected scale|dimension|text, choice|text|options or text|text",
                ));
            }
        };
        qs.push(q);
    }
    check_questions(&qs)?;
    Ok(qs)
}

/// The lines [`parse_question_lines`] reads back as `qs`.
pub fn question_lines(qs: &[Question]) -> String {
    qs.iter()
        .map(|q| match q {
            Question::Scale { text, dimension } => format!("scale | {} | {text}", dimension.as_str()),
            Question::Choice { text, options } => format!("choice | {text} | {}", options.join("; ")),
            Question::Text { text } => format!("text | {text}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// One answer, by question position.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Answer {
    Number(i64),
    Text(String),
}

/// Checks answers against the questions: a scale question needs 1..=5, a
/// choice one of its options (by text), a text question at most 1,000
/// characters or nothing. Every scale and choice question must be answered.
pub fn check_answers(
    qs: &[Question],
    given: &BTreeMap<usize, String>,
) -> Result<Vec<Option<Answer>>, FieldError> {
    let mut out = Vec::with_capacity(qs.len());
    for (i, q) in qs.iter().enumerate() {
        let n = i + 1;
        let v = given.get(&i).map(|s| s.trim()).filter(|s| !s.is_empty());
        let missing =
            || FieldError::new(format!("q{i}"), format!("请回答第 {n} 题 / please answer question {n}"));
        out.push(match q {
            Question::Scale { .. } => {
                let v = v.ok_or_else(missing)?;
                match v.parse::<i64>() {
                    Ok(x) if (1..=5).contains(&x) => Some(Answer::Number(x)),
                    _ => {
                        return Err(FieldError::new(
                            format!("q{i}"),
                            format!("第 {n} 题请选 1 到 5 / choose 1 to 5"),
                        ));
                    }
                }
            }
            Question::Choice { options, .. } => {
                let v = v.ok_or_else(missing)?;
                if !options.iter().any(|o| o == v) {
                    return Err(FieldError::new(
                        format!("q{i}"),
                        format!("第 {n} 题没有这个选项 / not an option"),
                    ));
                }
                Some(Answer::Text(v.to_string()))
            }
            Question::Text { .. } => match v {
                None => None,
                Some(t)
                    if t.chars().count() <= 1000
                        && !t.chars().any(|c| c.is_control() && c != '\n' && c != '\r') =>
                {
                    Some(Answer::Text(t.to_string()))
                }
                Some(_) => {
                    return Err(FieldError::new(
                        format!("q{i}"),
                        format!("第 {n} 题最多 1000 字 / at most 1,000 characters"),
                    ));
                }
            },
        });
    }
    Ok(out)
}

/// The summary of one question over a set of responses.
#[derive(Debug, Clone, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum QuestionResult {
    Scale { text: String, dimension: Dimension, counts: Counts, mean: Option<f64> },
    Choice { text: String, counts: Vec<(String, i64)> },
    Text { text: String, answers: Vec<String> },
}

/// Results of a questionnaire for one group: per question and per dimension.
#[derive(Debug, Clone, Serialize)]
pub struct SurveyResults {
    pub responses: i64,
    pub questions: Vec<QuestionResult>,
    /// The mean of the scale answers of each dimension that has questions.
    pub dimensions: Vec<(Dimension, f64)>,
}

/// Adds up responses (each the answers by question position).
pub fn summarise(qs: &[Question], responses: &[Vec<Option<Answer>>]) -> SurveyResults {
    let mut questions: Vec<QuestionResult> = qs
        .iter()
        .map(|q| match q {
            Question::Scale { text, dimension } => QuestionResult::Scale {
                text: text.clone(),
                dimension: *dimension,
                counts: Counts::default(),
                mean: None,
            },
            Question::Choice { text, options } => QuestionResult::Choice {
                text: text.clone(),
                counts: options.iter().map(|o| (o.clone(), 0)).collect(),
            },
            Question::Text { text } => QuestionResult::Text { text: text.clone(), answers: vec![] },
        })
        .collect();
    for r in responses {
        for (q, a) in questions.iter_mut().zip(r) {
            match (q, a) {
                (QuestionResult::Scale { counts, .. }, Some(Answer::Number(x))) => {
                    if let Some(l) = Level::from_number(*x) {
                        counts.add(l, 1);
                    }
                }
                (QuestionResult::Choice { counts, .. }, Some(Answer::Text(t))) => {
                    if let Some(c) = counts.iter_mut().find(|(o, _)| o == t) {
                        c.1 += 1;
                    }
                }
                (QuestionResult::Text { answers, .. }, Some(Answer::Text(t))) => answers.push(t.clone()),
                _ => {}
            }
        }
    }
    let mut by_dim: BTreeMap<&str, (Dimension, Counts)> = BTreeMap::new();
    for q in &mut questions {
        if let QuestionResult::Scale { dimension, counts, mean, .. } = q {
            *mean = counts.mean();
            by_dim.entry(dimension.as_str()).or_insert((*dimension, Counts::default())).1.merge(counts);
        }
    }
    let dimensions = Dimension::ALL
        .iter()
        .filter_map(|d| by_dim.get(d.as_str()).and_then(|(d, c)| c.mean().map(|m| (*d, m))))
        .collect();
    SurveyResults { responses: responses.len() as i64, questions, dimensions }
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
    fn question_lines_round_trip_and_errors_name_the_line() {
        let text = "scale | reliability | 办事是否一次办结？\n量表 | 移情性 | 是否耐心？\nchoice | 业务 | 缴费; 咨询\n\ntext | 建议";
        let qs = parse_question_lines(text).unwrap();
        assert_eq!(qs.len(), 4);
        assert_eq!(qs[1], Question::Scale { text: "是否耐心？".into(), dimension: Dimension::Empathy });
        assert_eq!(parse_question_lines(&question_lines(&qs)).unwrap(), qs);
        let e = parse_question_lines("scale | reliability | 好\nscale | speed | 快").unwrap_err();
        assert!(e.message.contains("第 2 行"), "{e:?}");
        let e = parse_question_lines("choice | 业务 | 缴费; 缴费").unwrap_err();
        assert!(e.message.contains("选项"), "{e:?}");
        assert!(parse_question_lines("text | 建议").is_err(), "a questionnaire needs a scale question");
    }

    #[test]
    fn the_editor_s_rows_make_questions_and_name_the_wrong_row() {
        let row = |kind: &str, text: &str, dimension: &str, options: &str| QuestionRow {
            kind: kind.into(),
            text: text.into(),
            dimension: dimension.into(),
            options: options.into(),
        };
        let rows = vec![
            row("scale", "办事是否一次办结？", "reliability", ""),
            row("scale", "", "", ""),
            row("choice", "业务", "", "缴费； 咨询;"),
            row("text", "建议", "", ""),
        ];
        let qs = questions_from_rows(&rows).unwrap();
        assert_eq!(qs.len(), 3, "a blank row is skipped");
        assert_eq!(
            qs[1],
            Question::Choice { text: "业务".into(), options: vec!["缴费".into(), "咨询".into()] }
        );
        assert_eq!(qs.iter().map(QuestionRow::of).collect::<Vec<_>>()[2], rows[3]);
        let e = questions_from_rows(&[rows[0].clone(), row("scale", "耐心", "", "")]).unwrap_err();
        assert_eq!(e.field, "q2");
        let e = questions_from_rows(&[
            rows[0].clone(),
            row("text", "x", "", ""),
            row("choice", "业务", "", "缴费"),
        ])
        .unwrap_err();
        assert_eq!(e.field, "q3", "{e:?}");
        assert!(e.message.contains("2 到 10"), "{e:?}");
        let e = questions_from_rows(&[row("text", "建议", "", "")]).unwrap_err();
        assert_eq!(e.field, "questions", "a questionnaire needs a scale question");
    }

    #[test]
    fn answers_are_checked_and_summarised_by_question_and_dimension() {
        let qs = parse_question_lines(
            "scale | reliability | 一次办结\nscale | reliability | 准确\nscale | empathy | 耐心\nchoice | 业务 | 缴费; 咨询\ntext | 建议",
        )
        .unwrap();
        let ans =
            |a: &[(usize, &str)]| check_answers(&qs, &a.iter().map(|(i, v)| (*i, v.to_string())).collect());
        assert!(ans(&[(0, "5"), (1, "4"), (2, "3")]).unwrap_err().message.contains("第 4 题"));
        assert!(ans(&[(0, "6"), (1, "4"), (2, "3"), (3, "缴费")]).is_err());
        assert!(ans(&[(0, "5"), (1, "4"), (2, "3"), (3, "退票")]).is_err());
        let r1 = ans(&[(0, "5"), (1, "4"), (2, "3"), (3, "缴费"), (4, "很好")]).unwrap();
        let r2 = ans(&[(0, "3"), (1, "2"), (2, "5"), (3, "缴费")]).unwrap();
        let s = summarise(&qs, &[r1, r2]);
        assert_eq!(s.responses, 2);
        // reliability: 5, 4, 3, 2 → 3.5; empathy: 3, 5 → 4.
        assert_eq!(s.dimensions, vec![(Dimension::Reliability, 3.5), (Dimension::Empathy, 4.0)]);
        match &s.questions[3] {
            QuestionResult::Choice { counts, .. } => assert_eq!(counts[0], ("缴费".to_string(), 2)),
            other => panic!("{other:?}"),
        }
        match &s.questions[4] {
            QuestionResult::Text { answers, .. } => assert_eq!(answers, &vec!["很好".to_string()]),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn tags_must_be_the_packs() {
        let known = vec![Tag { code: "kind".into(), title: "态度热情".into(), title_en: "Kind".into() }];
        assert_eq!(check_tags(&known, &["kind".into(), "kind".into()]).unwrap(), vec!["kind".to_string()]);
        assert!(check_tags(&known, &["rude".into()]).is_err());
    }
}
