//! Questionnaires (SPEC SAT-2, SAT-3): their questions with SERVQUAL
//! dimensions, the editor's rows and the admin form's lines, answers and
//! their checks, and the summary by question and by dimension.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::{Counts, Dimension, Level};
use crate::FieldError;

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
}
