//! Lays a [`Document`] out on A4 pages and writes the PDF.
//!
//! Text is measured with the font's own advances; every glyph used is
//! renumbered on first use (the subset's glyph id is also its CID, with an
//! identity `CIDToGIDMap`), and the `ToUnicode` map records which character
//! each one stands for.

use std::collections::{BTreeMap, HashMap};

use pdf_writer::types::{CidFontType, FontFlags, SystemInfo, TextRenderingMode};
use pdf_writer::{Content, Name, Pdf, Rect, Ref, Str, TextStr};
use subsetter::GlyphRemapper;

use crate::{Align, Block, Document, Font, FontError, Table};

const PAGE_W: f32 = 595.28;
const PAGE_H: f32 = 841.89;
const MARGIN_X: f32 = 64.0;
const MARGIN_TOP: f32 = 64.0;
const MARGIN_BOTTOM: f32 = 64.0;
const TEXT_W: f32 = PAGE_W - 2.0 * MARGIN_X;
const BODY: f32 = 11.0;
const TABLE: f32 = 9.5;
const CELL_PAD: f32 = 4.0;
const RED: [f32; 3] = [0.8, 0.0, 0.0];
const BLACK: [f32; 3] = [0.0, 0.0, 0.0];
const GREY: [f32; 3] = [0.35, 0.35, 0.35];
const BODY_TEXT: Style = Style::new(BODY, BLACK, false);

/// Characters that must not begin a line (they hang at the end of the
/// previous one instead).
const NO_LINE_START: &str = "，。、；：？！）》」』】〕’”…%,.;:?!)]";

/// Whether `c` is set on its own (a line may break before and after it).
fn is_wide(c: char) -> bool {
    c >= '\u{2E80}'
}

/// Measures and numbers glyphs.
struct Shaper<'f> {
    font: &'f Font,
    face: ttf_parser::Face<'f>,
    remapper: GlyphRemapper,
    /// Character → (subset glyph id, advance in 1/1000 em).
    glyphs: HashMap<char, (u16, f32)>,
    /// Subset glyph id → the character it stands for.
    unicode: BTreeMap<u16, char>,
    widths: BTreeMap<u16, f32>,
}

impl<'f> Shaper<'f> {
    fn new(font: &'f Font) -> Shaper<'f> {
        let mut remapper = GlyphRemapper::new();
        remapper.remap(0);
        Shaper {
            font,
            face: font.face(),
            remapper,
            glyphs: HashMap::new(),
            unicode: BTreeMap::new(),
            widths: BTreeMap::new(),
        }
    }

    fn glyph(&mut self, ch: char) -> (u16, f32) {
        if let Some(g) = self.glyphs.get(&ch) {
            return *g;
        }
        // Tabs and other controls print as spaces; a character the font
        // lacks prints as its "missing glyph" box.
        let c = if ch.is_control() { ' ' } else { ch };
        let old = self.face.glyph_index(c).map_or(0, |g| g.0);
        let advance = self.face.glyph_hor_advance(ttf_parser::GlyphId(old)).unwrap_or(0);
        let advance = self.font.to_pdf_units(f32::from(advance));
        let new = self.remapper.remap(old);
        if old != 0 {
            self.unicode.entry(new).or_insert(c);
        }
        self.widths.insert(new, advance);
        self.glyphs.insert(ch, (new, advance));
        (new, advance)
    }

    fn width(&mut self, s: &str, size: f32) -> f32 {
        s.chars().map(|c| self.glyph(c).1).sum::<f32>() * size / 1000.0
    }

    fn cids(&mut self, s: &str) -> Vec<u8> {
        s.chars().flat_map(|c| self.glyph(c).0.to_be_bytes()).collect()
    }

    /// Breaks `text` into lines no wider than `width` (the first line
    /// `indent` narrower). A newline forces a break.
    fn wrap(&mut self, text: &str, size: f32, width: f32, indent: f32) -> Vec<String> {
        let mut lines = Vec::new();
        for para in text.split('\n') {
            let mut line = String::new();
            let mut line_w = 0.0;
            let avail = |lines: &Vec<String>| if lines.is_empty() { width - indent } else { width };
            for token in tokens(para) {
                let w = self.width(token, size);
                let fits = line_w + w <= avail(&lines) + 0.01;
                let hangs = token.chars().all(|c| NO_LINE_START.contains(c)) && !line.is_empty();
                if fits || hangs || line.is_empty() && w <= avail(&lines) {
                    line.push_str(token);
                    line_w += w;
                    continue;
                }
                if !line.is_empty() {
                    lines.push(std::mem::take(&mut line).trim_end().to_string());
                    line_w = 0.0;
                }
                if token == " " {
                    continue;
                }
                // A word wider than a whole line is cut where it must be.
                for c in token.chars() {
                    let cw = self.width(c.encode_utf8(&mut [0; 4]), size);
                    if line_w + cw > avail(&lines) && !line.is_empty() {
                        lines.push(std::mem::take(&mut line));
                        line_w = 0.0;
                    }
                    line.push(c);
                    line_w += cw;
                }
            }
            lines.push(line.trim_end().to_string());
        }
        lines
    }
}

/// Words, spaces, and wide characters one by one.
fn tokens(s: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = None;
    for (i, c) in s.char_indices() {
        let alone = c == ' ' || is_wide(c);
        if alone {
            if let Some(st) = start.take() {
                out.push(&s[st..i]);
            }
            out.push(&s[i..i + c.len_utf8()]);
        } else if start.is_none() {
            start = Some(i);
        }
    }
    if let Some(st) = start {
        out.push(&s[st..]);
    }
    out
}

/// How a run of text is set.
#[derive(Clone, Copy)]
struct Style {
    size: f32,
    rgb: [f32; 3],
    bold: bool,
}

impl Style {
    const fn new(size: f32, rgb: [f32; 3], bold: bool) -> Style {
        Style { size, rgb, bold }
    }
}

enum Op {
    Text { x: f32, baseline: f32, size: f32, cids: Vec<u8>, rgb: [f32; 3], bold: bool },
    Line { x1: f32, y1: f32, x2: f32, y2: f32, width: f32, rgb: [f32; 3] },
    Fill { x: f32, y: f32, w: f32, h: f32, grey: f32 },
}

/// The pages being filled; `y` runs down from the top edge.
struct Pages<'f> {
    shaper: Shaper<'f>,
    pages: Vec<Vec<Op>>,
    y: f32,
}

impl<'f> Pages<'f> {
    fn page(&mut self) -> &mut Vec<Op> {
        self.pages.last_mut().expect("always one page")
    }

    fn new_page(&mut self) {
        self.pages.push(Vec::new());
        self.y = MARGIN_TOP;
    }

    /// Starts a new page unless `h` more points fit on this one.
    fn room(&mut self, h: f32) {
        if self.y + h > PAGE_H - MARGIN_BOTTOM && self.y > MARGIN_TOP {
            self.new_page();
        }
    }

    fn aligned(&mut self, s: &str, st: Style, x: f32, width: f32, align: Align) {
        let w = self.shaper.width(s, st.size);
        let x = match align {
            Align::Left => x,
            Align::Centre => x + (width - w) / 2.0,
            Align::Right => x + width - w,
        };
        let cids = self.shaper.cids(s);
        let baseline = PAGE_H - (self.y + st.size * 1.1);
        self.page().push(Op::Text { x, baseline, size: st.size, cids, rgb: st.rgb, bold: st.bold });
    }

    /// Wrapped lines, each kept whole on a page.
    fn lines(&mut self, s: &str, st: Style, align: Align, indent: f32) {
        let lead = st.size * 1.75;
        for (i, line) in self.shaper.wrap(s, st.size, TEXT_W, indent).into_iter().enumerate() {
            self.room(lead);
            let (x, w) = if i == 0 { (MARGIN_X + indent, TEXT_W - indent) } else { (MARGIN_X, TEXT_W) };
            self.aligned(&line, st, x, w, align);
            self.y += lead;
        }
    }

    fn rule(&mut self, width: f32, rgb: [f32; 3]) {
        let y = PAGE_H - self.y;
        self.page().push(Op::Line { x1: MARGIN_X, y1: y, x2: PAGE_W - MARGIN_X, y2: y, width, rgb });
    }

    fn block(&mut self, b: &Block) {
        match b {
            Block::Masthead(s) => {
                self.lines(s, Style::new(24.0, RED, true), Align::Centre, 0.0);
                self.y += 2.0;
                self.rule(1.5, RED);
                self.y += 22.0;
            }
            Block::Title(s) => {
                self.lines(s, Style::new(17.0, BLACK, true), Align::Centre, 0.0);
                self.y += 2.0;
            }
            Block::Subtitle(s) => {
                self.lines(s, Style::new(10.0, GREY, false), Align::Centre, 0.0);
                self.y += 12.0;
            }
            Block::Heading(s) => {
                self.y += 6.0;
                // Keep a heading with what follows: a few lines, or the
                // head of a table.
                self.room(13.0 * 1.75 + 100.0);
                self.lines(s, Style::new(13.0, BLACK, true), Align::Left, 0.0);
            }
            Block::Paragraph(s) => self.lines(s, BODY_TEXT, Align::Left, BODY * 2.0),
            Block::Plain(s) => self.lines(s, BODY_TEXT, Align::Left, 0.0),
            Block::Table(t) => {
                self.table(t);
                self.y += 10.0;
            }
            Block::Signature(lines) => {
                self.y += 18.0;
                self.room(lines.len() as f32 * BODY * 1.75);
                for l in lines {
                    self.lines(l, BODY_TEXT, Align::Right, 0.0);
                }
            }
        }
    }

    fn table(&mut self, t: &Table) {
        let total: f32 = t.columns.iter().map(|c| c.width).sum::<f32>().max(f32::EPSILON);
        let widths: Vec<f32> = t.columns.iter().map(|c| c.width / total * TEXT_W).collect();
        let lead = TABLE * 1.45;
        let header: Vec<String> = t.columns.iter().map(|c| c.header.clone()).collect();
        let header = self.cells(&header, &widths);
        let hh = row_height(&header, lead);
        let centred = vec![Align::Centre; t.columns.len()];
        let aligns: Vec<Align> = t.columns.iter().map(|c| c.align).collect();
        // The header opens the table, kept with its first row, and every
        // page the table continues on.
        let mut header_due = true;
        for row in &t.rows {
            let cells = self.cells(row, &widths);
            let h = row_height(&cells, lead);
            if self.y + h + if header_due { hh } else { 0.0 } > PAGE_H - MARGIN_BOTTOM {
                self.new_page();
                header_due = true;
            }
            if header_due {
                self.row(&header, &widths, &centred, hh, lead, Some(0.88));
                header_due = false;
            }
            self.row(&cells, &widths, &aligns, h, lead, None);
        }
        if t.rows.is_empty() {
            self.room(hh);
            self.row(&header, &widths, &centred, hh, lead, Some(0.88));
        }
    }

    fn cells(&mut self, row: &[String], widths: &[f32]) -> Vec<Vec<String>> {
        widths
            .iter()
            .enumerate()
            .map(|(i, w)| {
                let s = row.get(i).map_or("", String::as_str);
                self.shaper.wrap(s, TABLE, w - 2.0 * CELL_PAD, 0.0)
            })
            .collect()
    }

    fn row(
        &mut self,
        cells: &[Vec<String>],
        widths: &[f32],
        aligns: &[Align],
        h: f32,
        lead: f32,
        fill: Option<f32>,
    ) {
        let top = self.y;
        let bottom = PAGE_H - (top + h);
        if let Some(grey) = fill {
            self.page().push(Op::Fill { x: MARGIN_X, y: bottom, w: TEXT_W, h, grey });
        }
        let mut x = MARGIN_X;
        for (i, lines) in cells.iter().enumerate() {
            for (j, line) in lines.iter().enumerate() {
                self.y = top + CELL_PAD + j as f32 * lead - (lead - TABLE * 1.2) / 2.0;
                let st = Style::new(TABLE, BLACK, fill.is_some());
                self.aligned(line, st, x + CELL_PAD, widths[i] - 2.0 * CELL_PAD, aligns[i]);
            }
            x += widths[i];
        }
        let grey = [0.3; 3];
        let ytop = PAGE_H - top;
        let page = self.page();
        page.push(Op::Line {
            x1: MARGIN_X,
            y1: ytop,
            x2: PAGE_W - MARGIN_X,
            y2: ytop,
            width: 0.5,
            rgb: grey,
        });
        page.push(Op::Line {
            x1: MARGIN_X,
            y1: bottom,
            x2: PAGE_W - MARGIN_X,
            y2: bottom,
            width: 0.5,
            rgb: grey,
        });
        let mut x = MARGIN_X;
        page.push(Op::Line { x1: x, y1: ytop, x2: x, y2: bottom, width: 0.5, rgb: grey });
        for w in widths {
            x += w;
            page.push(Op::Line { x1: x, y1: ytop, x2: x, y2: bottom, width: 0.5, rgb: grey });
        }
        self.y = top + h;
    }
}

fn row_height(cells: &[Vec<String>], lead: f32) -> f32 {
    let n = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
    n as f32 * lead + 2.0 * CELL_PAD
}

/// Lays `doc` out and writes it as a PDF with `font` embedded.
pub fn render(doc: &Document, font: &Font) -> Result<Vec<u8>, FontError> {
    let mut p = Pages { shaper: Shaper::new(font), pages: vec![Vec::new()], y: MARGIN_TOP };
    for b in &doc.blocks {
        p.block(b);
    }
    let n = p.pages.len();
    for i in 0..n {
        let foot = format!("{}  第 {} 页 / 共 {} 页", doc.footer, i + 1, n);
        let foot = foot.trim();
        let w = p.shaper.width(foot, 8.5);
        let cids = p.shaper.cids(foot);
        p.pages[i].push(Op::Text {
            x: (PAGE_W - w) / 2.0,
            baseline: 36.0,
            size: 8.5,
            cids,
            rgb: GREY,
            bold: false,
        });
    }
    write(doc, &p.pages, p.shaper)
}

fn write(doc: &Document, pages: &[Vec<Op>], shaper: Shaper<'_>) -> Result<Vec<u8>, FontError> {
    let font = shaper.font;
    let subset = subsetter::subset(&font.data, font.index, &shaper.remapper)
        .map_err(|e| FontError::Subset(format!("{e:?}")))?;
    let mut next = 1;
    let mut id = || {
        next += 1;
        Ref::new(next - 1)
    };
    let (catalog, tree, type0, cid, descriptor, file, cmap, info) =
        (id(), id(), id(), id(), id(), id(), id(), id());
    let page_ids: Vec<(Ref, Ref)> = pages.iter().map(|_| (id(), id())).collect();

    let mut pdf = Pdf::new();
    pdf.catalog(catalog).pages(tree);
    pdf.pages(tree).kids(page_ids.iter().map(|p| p.0)).count(page_ids.len() as i32);
    pdf.document_info(info).title(TextStr(&doc.title)).creator(TextStr("Chuangkou"));

    // A subset's name carries a six-letter tag (PDF 32000-1 §9.6.4).
    let base = format!("CKSUBS+{}", font.name);
    let base = Name(base.as_bytes());
    let system = SystemInfo { registry: Str(b"Adobe"), ordering: Str(b"Identity"), supplement: 0 };
    pdf.type0_font(type0)
        .base_font(base)
        .encoding_predefined(Name(b"Identity-H"))
        .descendant_font(cid)
        .to_unicode(cmap);
    {
        let mut c = pdf.cid_font(cid);
        c.subtype(CidFontType::Type2)
            .base_font(base)
            .system_info(system)
            .font_descriptor(descriptor)
            .default_width(0.0)
            .cid_to_gid_map_predefined(Name(b"Identity"));
        let widths: Vec<f32> =
            (0..shaper.remapper.num_gids()).map(|g| *shaper.widths.get(&g).unwrap_or(&0.0)).collect();
        c.widths().consecutive(0, widths);
    }
    let [x0, y0, x1, y1] = font.bbox.map(|v| font.to_pdf_units(v));
    pdf.font_descriptor(descriptor)
        .name(base)
        .flags(FontFlags::SYMBOLIC)
        .bbox(Rect::new(x0, y0, x1, y1))
        .italic_angle(0.0)
        .ascent(font.to_pdf_units(font.ascender))
        .descent(font.to_pdf_units(font.descender))
        .cap_height(font.to_pdf_units(font.cap_height))
        .stem_v(80.0)
        .font_file2(file);
    pdf.stream(file, &subset).pair(Name(b"Length1"), subset.len() as i32);
    let mut unicode = pdf_writer::types::UnicodeCmap::new(Name(b"Chuangkou-UCS"), system);
    for (g, c) in &shaper.unicode {
        unicode.pair(*g, *c);
    }
    let unicode = unicode.finish();
    pdf.cmap(cmap, &unicode);

    for (ops, (page_id, content_id)) in pages.iter().zip(&page_ids) {
        {
            let mut page = pdf.page(*page_id);
            page.parent(tree).media_box(Rect::new(0.0, 0.0, PAGE_W, PAGE_H)).contents(*content_id);
            page.resources().fonts().pair(Name(b"F1"), type0);
        }
        let content = content(ops);
        pdf.stream(*content_id, &content);
    }
    Ok(pdf.finish())
}

fn content(ops: &[Op]) -> Vec<u8> {
    let mut c = Content::new();
    for op in ops {
        match op {
            Op::Fill { x, y, w, h, grey } => {
                c.set_fill_gray(*grey).rect(*x, *y, *w, *h).fill_nonzero();
            }
            Op::Line { x1, y1, x2, y2, width, rgb } => {
                c.set_line_width(*width)
                    .set_stroke_rgb(rgb[0], rgb[1], rgb[2])
                    .move_to(*x1, *y1)
                    .line_to(*x2, *y2)
                    .stroke();
            }
            Op::Text { x, baseline, size, cids, rgb, bold } => {
                c.set_fill_rgb(rgb[0], rgb[1], rgb[2]);
                c.begin_text();
                if *bold {
                    // One weight of the font: emboldened by stroking the outline too.
                    c.set_stroke_rgb(rgb[0], rgb[1], rgb[2]).set_line_width(size * 0.035);
                    c.set_text_rendering_mode(TextRenderingMode::FillStroke);
                } else {
                    c.set_text_rendering_mode(TextRenderingMode::Fill);
                }
                c.set_font(Name(b"F1"), *size).next_line(*x, *baseline).show(Str(cids)).end_text();
            }
        }
    }
    c.finish().to_vec()
}

#[cfg(test)]
mod tests {
    use super::tokens;

    #[test]
    fn words_stay_whole_and_wide_characters_stand_alone() {
        assert_eq!(
            tokens("张三 A-12 号，98.50分"),
            vec!["张", "三", " ", "A-12", " ", "号", "，", "98.50", "分"]
        );
    }
}
