//! Renders documents with the system's CJK font and reads them back with
//! poppler's `pdftotext`, as a person copying text out of the PDF would.
// Tests: a panic is the failure report, and a test may wait on real time.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use chuangkou_notice::{Align, Block, Column, Document, Font, Table, render};

fn font() -> Font {
    Font::discover(None).expect("a CJK font (scripts/ensure-deps installs fonts-wqy-microhei)")
}

/// The PDF's text, page by page, with the layout kept.
fn text_of(pdf: &[u8]) -> Vec<String> {
    chuangkou_notice::pdftotext(pdf).expect("pdftotext (poppler-utils; scripts/ensure-deps installs it)")
}

/// Without the spaces `pdftotext -layout` puts between columns and words.
fn squash(s: &str) -> String {
    s.split_whitespace().collect()
}

#[test]
fn chinese_text_survives_the_round_trip() {
    let doc = Document {
        title: "关于2026年1月服务质量考核情况的通报".into(),
        footer: "太原高速公路收费管理公司".into(),
        blocks: vec![
            Block::Masthead("太原高速公路收费管理公司".into()),
            Block::Title("关于2026年1月服务质量考核情况的通报".into()),
            Block::Subtitle("2026年2月3日关账".into()),
            Block::Plain("各收费站、各部门：".into()),
            Block::Paragraph(
                "现将2026年1月服务质量考核结果通报如下。全月有效投诉41件，同比下降60.0%，服务满意率98.50%。"
                    .into(),
            ),
            Block::Heading("一、考核排名".into()),
            Block::Table(Table {
                columns: vec![
                    Column::new("名次", 1.0, Align::Centre),
                    Column::new("姓名", 2.0, Align::Left),
                    Column::new("得分", 1.5, Align::Right),
                ],
                rows: vec![
                    vec!["1".into(), "王小明".into(), "104.00".into()],
                    vec!["2".into(), "李静".into(), "100.00".into()],
                ],
            }),
            Block::Signature(vec!["太原高速公路收费管理公司".into(), "2026年2月3日".into()]),
        ],
    };
    let pdf = render(&doc, &font()).unwrap();
    assert!(pdf.starts_with(b"%PDF-"));
    let pages = text_of(&pdf);
    assert_eq!(pages.len(), 1);
    let text = &pages[0];
    for expected in [
        "关于2026年1月服务质量考核情况的通报",
        "各收费站、各部门：",
        "全月有效投诉41件，同比下降60.0%",
        "王小明",
        "104.00",
        "第1页/共1页",
    ] {
        assert!(squash(text).contains(expected), "{expected:?} missing from:\n{text}");
    }
    // The font is a subset: a few dozen glyphs, not the whole 5 MB face.
    assert!(pdf.len() < 200_000, "{} bytes", pdf.len());
}

#[test]
fn a_long_table_continues_on_new_pages_with_its_header() {
    let rows: Vec<Vec<String>> = (1..=120).map(|i| vec![i.to_string(), format!("收费员{i:03}")]).collect();
    let doc = Document {
        title: "名单".into(),
        footer: String::new(),
        blocks: vec![Block::Table(Table {
            columns: vec![Column::new("序号", 1.0, Align::Centre), Column::new("姓名", 3.0, Align::Left)],
            rows,
        })],
    };
    let pages = text_of(&render(&doc, &font()).unwrap());
    assert!(pages.len() >= 3, "{} pages", pages.len());
    for (i, page) in pages.iter().enumerate() {
        assert!(page.contains("序号"), "page {} has no header row", i + 1);
        assert!(squash(page).contains(&format!("第{}页/共{}页", i + 1, pages.len())), "{page}");
    }
    let all = pages.concat();
    for i in [1, 60, 120] {
        assert!(all.contains(&format!("收费员{i:03}")), "row {i} lost");
    }
}

#[test]
fn lines_wrap_inside_the_margins_and_never_start_with_closing_punctuation() {
    let sentence = "窗口单位要牢固树立以人民为中心的服务理念，做到文明服务、规范服务、便民服务。";
    let doc = Document {
        title: "段落".into(),
        footer: String::new(),
        blocks: vec![Block::Paragraph(sentence.repeat(12))],
    };
    let pages = text_of(&render(&doc, &font()).unwrap());
    let lines: Vec<&str> =
        pages[0].lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('第')).collect();
    assert!(lines.len() >= 8, "{lines:?}");
    for l in &lines {
        assert!(!l.starts_with(['，', '。', '、']), "line starts with punctuation: {l}");
    }
    assert_eq!(lines.concat().replace(' ', ""), sentence.repeat(12));
}

#[test]
fn a_font_without_chinese_or_outlines_is_refused_with_a_reason() {
    let err = Font::from_bytes(b"not a font".to_vec(), 0).unwrap_err();
    assert_eq!(err, "not an OpenType font");
    let missing = Font::load(std::path::Path::new("/nonexistent/font.ttc")).unwrap_err();
    assert!(missing.to_string().contains("/nonexistent/font.ttc"));
}
