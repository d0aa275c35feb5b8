//! Importing units, staff and vehicles from spreadsheets (SPEC ORG-3).
//!
//! A sheet arrives as a grid of text (the tabular crate reads .xlsx and .csv).
//! This module maps its header row to fields, checks every row, and returns
//! either the records to write or a report naming sheet, row, column and
//! reason for each problem. Row numbers are the ones a person sees in Excel:
//! the header is row 1.

use std::collections::{HashMap, HashSet};

use serde::{Deserialize, Serialize};

use crate::org::{self, NewStaff, NewUnit, NewVehicle};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ImportKind {
    Units,
    Staff,
    Vehicles,
}

impl ImportKind {
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "units" => Some(Self::Units),
            "staff" => Some(Self::Staff),
            "vehicles" => Some(Self::Vehicles),
            _ => None,
        }
    }

    /// The sheet name used on export and preferred on import.
    pub fn sheet_name(self) -> &'static str {
        match self {
            Self::Units => "单位",
            Self::Staff => "人员名册",
            Self::Vehicles => "车辆",
        }
    }

    /// `(field, Chinese header, English header)`; the first header of each is
    /// what export writes.
    pub fn columns(self) -> &'static [(&'static str, &'static str, &'static str)] {
        match self {
            Self::Units => &[
                ("code", "单位编码", "Code"),
                ("name", "单位名称", "Name"),
                ("kind", "类型", "Kind"),
                ("parent_code", "上级单位编码", "Parent code"),
            ],
            Self::Staff => &[
                ("employee_no", "工号", "Employee no"),
                ("name", "姓名", "Name"),
                ("unit_code", "单位编码", "Unit code"),
                ("position", "岗位", "Position"),
                ("phone", "电话", "Phone"),
                ("certificate_no", "资格证号", "Certificate no"),
            ],
            Self::Vehicles => &[
                ("plate", "车牌号", "Plate"),
                ("unit_code", "单位编码", "Unit code"),
                ("driver_employee_no", "驾驶员工号", "Driver employee no"),
            ],
        }
    }

    fn required(self) -> &'static [&'static str] {
        match self {
            Self::Units => &["code", "name", "kind"],
            Self::Staff => &["employee_no", "name", "unit_code"],
            Self::Vehicles => &["plate", "unit_code"],
        }
    }
}

/// One problem found in an import file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct ImportError {
    pub sheet: String,
    /// 1-based, as Excel shows it; the header is row 1.
    pub row: usize,
    /// The column's header as written in the file (or the expected header when
    /// the column is missing).
    pub column: String,
    pub reason: String,
}

/// What the organisation already holds, for checking references.
#[derive(Debug, Default, Clone)]
pub struct Known {
    pub unit_codes: HashSet<String>,
    pub employee_nos: HashSet<String>,
}

/// The checked content of one file: the rows that passed and the problems.
#[derive(Debug, Default)]
pub struct ImportPlan {
    pub units: Vec<(usize, NewUnit)>,
    pub staff: Vec<(usize, NewStaff)>,
    pub vehicles: Vec<(usize, NewVehicle)>,
    pub errors: Vec<ImportError>,
}

impl ImportPlan {
    pub fn rows(&self) -> usize {
        self.units.len() + self.staff.len() + self.vehicles.len()
    }
}

/// Checks one sheet of `kind`. `grid[0]` is the header row.
pub fn plan(kind: ImportKind, sheet: &str, grid: &[Vec<String>], known: &Known) -> ImportPlan {
    let mut plan = ImportPlan::default();
    let err = |row: usize, column: &str, reason: String| ImportError {
        sheet: sheet.to_string(),
        row,
        column: column.to_string(),
        reason,
    };
    let Some(header) = grid.first() else {
        plan.errors.push(err(1, "", "文件是空的 / the file is empty".into()));
        return plan;
    };
    // Map each known field to its column index and the header as written.
    let mut index: HashMap<&str, (usize, String)> = HashMap::new();
    for (i, h) in header.iter().enumerate() {
        let h = h.trim().trim_start_matches('\u{feff}');
        if let Some((field, _, _)) =
            kind.columns().iter().find(|(f, zh, en)| h == *zh || h.eq_ignore_ascii_case(en) || h == *f)
        {
            index.insert(field, (i, h.to_string()));
        }
    }
    for field in kind.required() {
        if !index.contains_key(field) {
            let zh = kind.columns().iter().find(|c| c.0 == *field).map(|c| c.1).unwrap_or(field);
            plan.errors.push(err(1, zh, "缺少必需的列 / required column is missing".into()));
        }
    }
    if !plan.errors.is_empty() {
        return plan;
    }

    let mut keys_seen: HashMap<String, usize> = HashMap::new();
    let mut unit_codes = known.unit_codes.clone();
    let staff_nos = &known.employee_nos;

    for (i, row) in grid.iter().enumerate().skip(1) {
        let row_no = i + 1;
        if row.iter().all(|c| c.trim().is_empty()) {
            continue;
        }
        let fields: HashMap<String, String> = index
            .iter()
            .map(|(f, (col, _))| (f.to_string(), row.get(*col).cloned().unwrap_or_default()))
            .collect();
        let column_of = |field: &str| -> String {
            index.get(field).map(|(_, h)| h.clone()).unwrap_or_else(|| field.to_string())
        };
        let mut row_errors: Vec<ImportError> = Vec::new();
        let key;
        match kind {
            ImportKind::Units => match org::parse_unit(&fields) {
                Ok(u) => {
                    if let Some(p) = &u.parent_code
                        && !unit_codes.contains(p)
                    {
                        row_errors.push(err(
                            row_no,
                            &column_of("parent_code"),
                            format!("上级单位 {p} 不存在 / parent unit {p} does not exist"),
                        ));
                    }
                    key = u.code.clone();
                    unit_codes.insert(u.code.clone());
                    if row_errors.is_empty() {
                        plan.units.push((row_no, u));
                    }
                }
                Err(es) => {
                    key = String::new();
                    row_errors.extend(es.into_iter().map(|e| err(row_no, &column_of(&e.field), e.message)));
                }
            },
            ImportKind::Staff => match org::parse_staff(&fields) {
                Ok(s) => {
                    if !unit_codes.contains(&s.unit_code) {
                        row_errors.push(err(
                            row_no,
                            &column_of("unit_code"),
                            format!("单位 {} 不存在 / unit {} does not exist", s.unit_code, s.unit_code),
                        ));
                    }
                    key = s.employee_no.clone();
                    if row_errors.is_empty() {
                        plan.staff.push((row_no, s));
                    }
                }
                Err(es) => {
                    key = String::new();
                    row_errors.extend(es.into_iter().map(|e| err(row_no, &column_of(&e.field), e.message)));
                }
            },
            ImportKind::Vehicles => match org::parse_vehicle(&fields) {
                Ok(v) => {
                    if !unit_codes.contains(&v.unit_code) {
                        row_errors.push(err(
                            row_no,
                            &column_of("unit_code"),
                            format!("单位 {} 不存在 / unit {} does not exist", v.unit_code, v.unit_code),
                        ));
                    }
                    if let Some(d) = &v.driver_employee_no
                        && !staff_nos.contains(d)
                    {
                        row_errors.push(err(
                            row_no,
                            &column_of("driver_employee_no"),
                            format!("工号 {d} 不存在 / no staff member {d}"),
                        ));
                    }
                    key = v.plate.clone();
                    if row_errors.is_empty() {
                        plan.vehicles.push((row_no, v));
                    }
                }
                Err(es) => {
                    key = String::new();
                    row_errors.extend(es.into_iter().map(|e| err(row_no, &column_of(&e.field), e.message)));
                }
            },
        }
        if !key.is_empty() {
            if let Some(first) = keys_seen.get(&key) {
                let field = match kind {
                    ImportKind::Units => "code",
                    ImportKind::Staff => "employee_no",
                    ImportKind::Vehicles => "plate",
                };
                row_errors.push(err(
                    row_no,
                    &column_of(field),
                    format!("与第 {first} 行重复 / duplicate of row {first}"),
                ));
                // The duplicate must not be written either.
                match kind {
                    ImportKind::Units => plan.units.retain(|(r, _)| *r != row_no),
                    ImportKind::Staff => plan.staff.retain(|(r, _)| *r != row_no),
                    ImportKind::Vehicles => plan.vehicles.retain(|(r, _)| *r != row_no),
                }
            } else {
                keys_seen.insert(key, row_no);
            }
        }
        plan.errors.extend(row_errors);
    }
    plan
}

/// An error in one cell (or header) of a sheet.
pub fn sheet_error(sheet: &str, row: usize, column: &str, reason: &str) -> ImportError {
    ImportError { sheet: sheet.to_string(), row, column: column.to_string(), reason: reason.to_string() }
}

/// Where a column is in a header row: by field code, Chinese or English
/// header (a byte-order mark before the first header is ignored).
pub fn header_index(header: &[String], columns: &[(&str, &str, &str)], field: &str) -> Option<usize> {
    let (_, zh, en) = columns.iter().find(|c| c.0 == field).expect("known field");
    header.iter().position(|h| {
        let h = h.trim().trim_start_matches('\u{feff}');
        h == *zh || h.eq_ignore_ascii_case(en) || h == field
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grid(rows: &[&[&str]]) -> Vec<Vec<String>> {
        rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
    }

    fn known() -> Known {
        Known { unit_codes: ["S01".to_string()].into(), employee_nos: ["1001".to_string()].into() }
    }

    #[test]
    fn a_bad_row_is_reported_by_sheet_row_and_column() {
        let g = grid(&[&["工号", "姓名", "单位编码"], &["2001", "李娜", "S01"], &["2002", "王强", "S99"]]);
        let p = plan(ImportKind::Staff, "人员名册", &g, &known());
        assert_eq!(p.staff.len(), 1);
        assert_eq!(
            p.errors,
            vec![ImportError {
                sheet: "人员名册".into(),
                row: 3,
                column: "单位编码".into(),
                reason: "单位 S99 不存在 / unit S99 does not exist".into(),
            }]
        );
    }

    #[test]
    fn english_headers_and_a_byte_order_mark_are_accepted() {
        let g = grid(&[&["\u{feff}Employee no", "Name", "Unit code"], &["2001", "Li Na", "S01"]]);
        let p = plan(ImportKind::Staff, "staff.csv", &g, &known());
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.staff[0].1.name, "Li Na");
    }

    #[test]
    fn a_missing_column_is_reported_on_the_header_row() {
        let g = grid(&[&["工号", "姓名"], &["2001", "李娜"]]);
        let p = plan(ImportKind::Staff, "人员名册", &g, &known());
        assert_eq!(p.errors[0].row, 1);
        assert_eq!(p.errors[0].column, "单位编码");
    }

    #[test]
    fn duplicates_within_a_file_are_refused() {
        let g = grid(&[&["工号", "姓名", "单位编码"], &["2001", "李娜", "S01"], &["2001", "王强", "S01"]]);
        let p = plan(ImportKind::Staff, "人员名册", &g, &known());
        assert_eq!(p.staff.len(), 1);
        assert_eq!(p.errors[0].row, 3);
        assert!(p.errors[0].reason.contains("duplicate of row 2"));
    }

    #[test]
    fn units_may_name_a_parent_defined_earlier_in_the_same_file() {
        let g = grid(&[
            &["单位编码", "单位名称", "类型", "上级单位编码"],
            &["S02", "东站", "收费站", ""],
            &["S02-T1", "一班", "班组", "S02"],
            &["S03-T1", "二班", "班组", "S03"],
        ]);
        let p = plan(ImportKind::Units, "单位", &g, &known());
        assert_eq!(p.units.len(), 2);
        assert_eq!(p.errors.len(), 1);
        assert_eq!((p.errors[0].row, p.errors[0].column.as_str()), (4, "上级单位编码"));
    }

    #[test]
    fn a_vehicle_needs_a_known_driver() {
        let g = grid(&[
            &["车牌号", "单位编码", "驾驶员工号"],
            &["晋A12345", "S01", "1001"],
            &["晋A54321", "S01", "9999"],
        ]);
        let p = plan(ImportKind::Vehicles, "车辆", &g, &known());
        assert_eq!(p.vehicles.len(), 1);
        assert_eq!(p.errors[0].column, "驾驶员工号");
    }
}
