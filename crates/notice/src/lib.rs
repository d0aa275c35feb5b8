//! Printable documents as PDF: a small flow of blocks (headings, paragraphs,
//! tables) laid out on A4 pages in one CJK TrueType font, which is subsetted
//! and embedded as a CID font with a `ToUnicode` map, so that the Chinese
//! text prints correctly and can be searched, copied and extracted.
//!
//! The layout is deliberately plain — the house style of an official notice
//! (通报): a red masthead, a centred title, numbered sections, ruled tables
//! and a signature block. Lines break between any two CJK characters and at
//! spaces, never inside a Latin word or number, and never put closing
//! punctuation at the start of a line.

#![forbid(unsafe_code)]

mod font;
mod layout;

pub use font::{Font, FontError};
pub use layout::render;

/// A PDF's text as poppler's `pdftotext -layout` reads it, one string per
/// page — what a person copying text out of the document gets. For tests
/// and checks; needs Debian's `poppler-utils`.
#[cfg(any(test, feature = "testing"))]
pub fn pdftotext(pdf: &[u8]) -> std::io::Result<Vec<String>> {
    use std::io::Write;
    let mut child = std::process::Command::new("pdftotext")
        .args(["-layout", "-enc", "UTF-8", "-", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()?;
    let mut stdin = child.stdin.take().expect("piped");
    let bytes = pdf.to_vec();
    let writer = std::thread::spawn(move || stdin.write_all(&bytes));
    let out = child.wait_with_output()?;
    writer.join().expect("writer thread")?;
    if !out.status.success() {
        return Err(std::io::Error::other(String::from_utf8_lossy(&out.stderr).into_owned()));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    Ok(text.split('\u{c}').filter(|p| !p.trim().is_empty()).map(str::to_string).collect())
}

/// A document: blocks in reading order, laid out top to bottom.
#[derive(Debug, Clone, Default)]
pub struct Document {
    /// The PDF's metadata title.
    pub title: String,
    pub blocks: Vec<Block>,
    /// Printed at the foot of every page, before the page number.
    pub footer: String,
}

#[derive(Debug, Clone)]
pub enum Block {
    /// The issuing body across the top, in red, with a red rule under it.
    Masthead(String),
    /// The document's title, centred.
    Title(String),
    /// A centred line under the title (status, date).
    Subtitle(String),
    /// A section heading (一、…).
    Heading(String),
    /// Running text, the first line indented by two characters.
    Paragraph(String),
    /// Running text without indent (salutation).
    Plain(String),
    Table(Table),
    /// Right-aligned lines (issuing body, date).
    Signature(Vec<String>),
}

#[derive(Debug, Clone)]
pub struct Table {
    pub columns: Vec<Column>,
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct Column {
    pub header: String,
    /// Relative width; the table fills the text width.
    pub width: f32,
    pub align: Align,
}

impl Column {
    pub fn new(header: &str, width: f32, align: Align) -> Column {
        Column { header: header.to_string(), width, align }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    Left,
    Centre,
    Right,
}
