//! Spreadsheets as grids of text: read `.xlsx` and `.csv`, write `.xlsx`.
//!
//! Nothing here knows what a roster is; callers map grids to records. Every
//! cell is read and written as text, so that employee numbers such as
//! `007` keep their zeros and a cell starting with `=`, `+`, `-` or `@` is
//! never taken for a formula by the program that opens the export.
#![forbid(unsafe_code)]

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};

/// One sheet: its name and its rows of cells.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sheet {
    pub name: String,
    pub rows: Vec<Vec<String>>,
}

#[derive(Debug, thiserror::Error)]
pub enum TabularError {
    #[error("不支持的文件类型，请上传 .xlsx 或 .csv / unsupported file type: upload .xlsx or .csv")]
    UnsupportedType,
    #[error("无法读取 Excel 文件 / the .xlsx file cannot be read: {0}")]
    Xlsx(String),
    #[error("无法读取 CSV 文件（需 UTF-8 编码） / the .csv file cannot be read (it must be UTF-8): {0}")]
    Csv(String),
    #[error("无法写出 Excel 文件 / cannot write the .xlsx file: {0}")]
    Write(String),
}

/// The most rows one import may hold; a larger file is refused, not truncated.
pub const MAX_ROWS: usize = 100_000;

/// Reads a file by its content: `.xlsx` files are ZIP archives (`PK`), anything
/// else must be UTF-8 CSV. `file_name` only breaks the tie for empty files.
pub fn read(bytes: &[u8], file_name: &str) -> Result<Vec<Sheet>, TabularError> {
    if bytes.starts_with(b"PK\x03\x04") {
        read_xlsx(bytes)
    } else if std::str::from_utf8(bytes).is_ok() && !file_name.to_lowercase().ends_with(".xls") {
        let stem = file_name.rsplit(['/', '\\']).next().unwrap_or(file_name);
        read_csv(bytes, stem)
    } else {
        Err(TabularError::UnsupportedType)
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Vec<Sheet>, TabularError> {
    let mut book: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|e| TabularError::Xlsx(e.to_string()))?;
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        let range = book.worksheet_range(&name).map_err(|e| TabularError::Xlsx(e.to_string()))?;
        // Keep Excel's row numbers: a sheet whose data starts at row 3 still
        // reports its rows as 3, 4, … by padding the top.
        let top = range.start().map(|(r, _)| r as usize).unwrap_or(0);
        let left = range.start().map(|(_, c)| c as usize).unwrap_or(0);
        let mut rows: Vec<Vec<String>> = vec![Vec::new(); top];
        for row in range.rows() {
            if rows.len() > MAX_ROWS {
                return Err(TabularError::Xlsx(format!("more than {MAX_ROWS} rows")));
            }
            let mut cells = vec![String::new(); left];
            cells.extend(row.iter().map(cell_text));
            rows.push(cells);
        }
        // A sheet whose header is not on row 1 is read from its first filled
        // row: drop the padding before the header.
        let first = rows.iter().position(|r| r.iter().any(|c| !c.trim().is_empty())).unwrap_or(0);
        if first > 0 {
            rows.drain(..first);
        }
        sheets.push(Sheet { name, rows });
    }
    Ok(sheets)
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::Empty => String::new(),
        Data::String(s) => unguard(s).to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) => dt.to_string(),
        Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Error(e) => format!("#{e:?}"),
    }
}

fn read_csv(bytes: &[u8], name: &str) -> Result<Vec<Sheet>, TabularError> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(bytes);
    let mut rows = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|e| TabularError::Csv(e.to_string()))?;
        if rows.len() > MAX_ROWS {
            return Err(TabularError::Csv(format!("more than {MAX_ROWS} rows")));
        }
        rows.push(record.iter().map(str::to_string).collect());
    }
    Ok(vec![Sheet { name: name.to_string(), rows }])
}

/// Whether a spreadsheet program would take `s` for a formula (`=`, `+`,
/// `@`, a tab or carriage return first, or `-` before anything but a number).
fn formula_like(s: &str) -> bool {
    match s.chars().next() {
        Some('=' | '+' | '@' | '\t' | '\r') => true,
        Some('-') => s[1..].parse::<f64>().is_err(),
        _ => false,
    }
}

/// Whether `s` is written behind a `'`: formula-like once any leading
/// quotes are set aside (so that a cell that already starts with one
/// round-trips too).
fn needs_guard(s: &str) -> bool {
    formula_like(s.trim_start_matches('\''))
}

/// `'` before formula-like text (OWASP's CSV-injection guard).
fn guard(s: &str) -> std::borrow::Cow<'_, str> {
    if needs_guard(s) { format!("'{s}").into() } else { s.into() }
}

/// The text a guarded cell was written from.
fn unguard(s: &str) -> &str {
    match s.strip_prefix('\'') {
        Some(rest) if needs_guard(rest) => rest,
        _ => s,
    }
}

/// Writes sheets to an `.xlsx` file, every cell as text.
pub fn write_xlsx(sheets: &[Sheet]) -> Result<Vec<u8>, TabularError> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let bold = rust_xlsxwriter::Format::new().set_bold();
    let w = |e: rust_xlsxwriter::XlsxError| TabularError::Write(e.to_string());
    for sheet in sheets {
        let ws = book.add_worksheet();
        ws.set_name(&sheet.name).map_err(w)?;
        for (r, row) in sheet.rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                // write_string never makes a formula, whatever the text
                // starts with; the `'` keeps it text when someone saves the
                // sheet again as CSV and opens that.
                let cell = guard(cell);
                if r == 0 {
                    ws.write_string_with_format(r as u32, c as u16, cell.as_ref(), &bold).map_err(w)?;
                } else {
                    ws.write_string(r as u32, c as u16, cell.as_ref()).map_err(w)?;
                }
            }
        }
        ws.autofit();
    }
    book.save_to_buffer().map_err(w)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chinese_sheet_round_trips_through_xlsx() {
        let sheet = Sheet {
            name: "人员名册".into(),
            rows: vec![vec!["工号".into(), "姓名".into()], vec!["007".into(), "张三".into()]],
        };
        let bytes = write_xlsx(std::slice::from_ref(&sheet)).unwrap();
        assert_eq!(read(&bytes, "x.xlsx").unwrap(), vec![sheet]);
    }

    #[test]
    fn formula_like_text_is_written_as_text_behind_a_quote() {
        let cells = ["=1+1", "+cmd|' /C calc'!A0", "@SUM(A1)", "-2+3", "-200.00", "200", "'=quoted"];
        let sheet =
            Sheet { name: "s".into(), rows: vec![vec!["h".into()], cells.map(String::from).to_vec()] };
        let bytes = write_xlsx(&[sheet]).unwrap();
        // In the file: text, and behind a quote where a program would see a formula.
        let raw =
            calamine::open_workbook_from_rs::<calamine::Xlsx<_>, _>(std::io::Cursor::new(bytes.clone()))
                .unwrap()
                .worksheet_range("s")
                .unwrap();
        let written: Vec<String> = raw.rows().nth(1).unwrap().iter().map(|d| d.to_string()).collect();
        assert_eq!(
            written,
            ["'=1+1", "'+cmd|' /C calc'!A0", "'@SUM(A1)", "'-2+3", "-200.00", "200", "''=quoted"]
        );
        // Read back by us: the text as it was.
        let back = read(&bytes, "x.xlsx").unwrap();
        assert_eq!(back[0].rows[1], cells.map(String::from).to_vec());
    }

    #[test]
    fn csv_is_read_with_its_quotes() {
        let sheets = read("工号,姓名\n1,\"王, 五\"\n".as_bytes(), "upload/staff.csv").unwrap();
        assert_eq!(sheets[0].name, "staff.csv");
        assert_eq!(sheets[0].rows[1], vec!["1", "王, 五"]);
    }

    #[test]
    fn binary_that_is_not_xlsx_is_refused() {
        assert!(matches!(read(&[0xff, 0xfe, 0x00, 0x01], "a.csv"), Err(TabularError::UnsupportedType)));
        assert!(matches!(read(b"PK\x03\x04garbage", "a.xlsx"), Err(TabularError::Xlsx(_))));
    }
}
