//! Indicators (SPEC KPI-2): the arithmetic, apart from how the numbers are
//! gathered. Definitions are written out in `docs/INDICATORS.md`.

pub mod ranking;

use chrono::{Datelike, Months, NaiveDate};
use serde::Serialize;

/// A count with the same count of an earlier period and the change.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Compared {
    pub current: i64,
    pub previous: i64,
    /// (current − previous) / previous; `None` when previous is 0.
    pub change: Option<f64>,
}

pub fn compare(current: i64, previous: i64) -> Compared {
    Compared {
        current,
        previous,
        change: (previous != 0).then(|| (current - previous) as f64 / previous as f64),
    }
}

/// `num / den`, `None` without a denominator.
pub fn rate(num: i64, den: i64) -> Option<f64> {
    (den > 0).then(|| num as f64 / den as f64)
}

/// Per 10,000 units of volume (complaints per 10,000 vehicles).
pub fn per_10k(count: i64, volume: i64) -> Option<f64> {
    (volume > 0).then(|| count as f64 * 10_000.0 / volume as f64)
}

/// A period of whole days, `from..=to`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub from: NaiveDate,
    pub to: NaiveDate,
}

impl Period {
    pub fn new(from: NaiveDate, to: NaiveDate) -> Option<Period> {
        (from <= to).then_some(Period { from, to })
    }

    /// A calendar month.
    pub fn month(year: i32, month: u32) -> Option<Period> {
        let from = NaiveDate::from_ymd_opt(year, month, 1)?;
        let to = from.checked_add_months(Months::new(1))?.pred_opt()?;
        Some(Period { from, to })
    }

    /// A calendar year.
    pub fn year(year: i32) -> Option<Period> {
        Some(Period {
            from: NaiveDate::from_ymd_opt(year, 1, 1)?,
            to: NaiveDate::from_ymd_opt(year, 12, 31)?,
        })
    }

    /// The period before this one: the previous month (or run of months)
    /// when this is whole months, else the same number of days just before.
    pub fn previous(self) -> Period {
        if let Some(n) = self.whole_months() {
            let from = self.from.checked_sub_months(Months::new(n)).expect("in range");
            let to = self.from.pred_opt().expect("in range");
            return Period { from, to };
        }
        let days = (self.to - self.from).num_days() + 1;
        let to = self.from.pred_opt().expect("in range");
        Period { from: to - chrono::Duration::days(days - 1), to }
    }

    /// The same days a year earlier (29 February falls back to the 28th).
    pub fn year_earlier(self) -> Period {
        let back = |d: NaiveDate| d.checked_sub_months(Months::new(12)).expect("in range");
        let to = if self.whole_months().is_some() {
            // The whole month a year earlier, however long it is.
            back(self.to.with_day(1).expect("day 1"))
                .checked_add_months(Months::new(1))
                .expect("in range")
                .pred_opt()
                .expect("in range")
        } else {
            back(self.to)
        };
        Period { from: back(self.from), to }
    }

    /// How many whole calendar months this period is, if it is.
    fn whole_months(self) -> Option<u32> {
        let last = self.to.succ_opt()?;
        if self.from.day() != 1 || last.day() != 1 {
            return None;
        }
        let n = (last.year() - self.from.year()) * 12 + last.month() as i32 - self.from.month() as i32;
        (n > 0).then_some(n as u32)
    }
}

/// One row of a daily service-volume sheet (KPI-1).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VolumeRow {
    /// The sheet's row number (1 is the header).
    pub row: usize,
    pub unit_code: String,
    pub date: NaiveDate,
    pub vehicles: i64,
    pub passengers: i64,
    pub transactions: i64,
}

/// Columns of a volume sheet: field, Chinese header, English header.
pub const VOLUME_COLUMNS: &[(&str, &str, &str)] = &[
    ("unit_code", "单位编码", "Unit code"),
    ("date", "日期", "Date"),
    ("vehicles", "车流量", "Vehicles"),
    ("passengers", "客流量", "Passengers"),
    ("transactions", "业务量", "Transactions"),
];

/// Reads a volume sheet: every bad cell is reported by row and column; a
/// missing count is 0, and each row needs at least one count.
pub fn parse_volumes(sheet: &str, grid: &[Vec<String>]) -> (Vec<VolumeRow>, Vec<crate::roster::ImportError>) {
    let err = |row: usize, column: &str, reason: &str| crate::roster::sheet_error(sheet, row, column, reason);
    let Some(header) = grid.first() else {
        return (vec![], vec![err(1, "", "文件是空的 / the file is empty")]);
    };
    let col = |field: &str| crate::roster::header_index(header, VOLUME_COLUMNS, field);
    let (unit, date) = (col("unit_code"), col("date"));
    let counts =
        [("车流量", col("vehicles")), ("客流量", col("passengers")), ("业务量", col("transactions"))];
    let mut errors = vec![];
    for (field, idx) in [("单位编码", unit), ("日期", date)] {
        if idx.is_none() {
            errors.push(err(1, field, "缺少此列 / the column is missing"));
        }
    }
    if counts.iter().all(|(_, c)| c.is_none()) {
        errors.push(err(1, "车流量", "至少需要车流量、客流量或业务量一列 / a count column is needed"));
    }
    let (Some(unit), Some(date)) = (unit, date) else { return (vec![], errors) };
    let mut rows = vec![];
    for (i, r) in grid.iter().enumerate().skip(1) {
        let cell = |c: usize| r.get(c).map(|v| v.trim()).unwrap_or("");
        if r.iter().all(|v| v.trim().is_empty()) {
            continue;
        }
        let line = i + 1;
        let unit_code = cell(unit).to_string();
        let mut ok = true;
        if unit_code.is_empty() {
            errors.push(err(line, "单位编码", "不能为空 / required"));
            ok = false;
        }
        let d = NaiveDate::parse_from_str(cell(date), "%Y-%m-%d")
            .or_else(|_| NaiveDate::parse_from_str(cell(date), "%Y/%m/%d"))
            .ok();
        if d.is_none() {
            errors.push(err(line, "日期", "日期须为 YYYY-MM-DD / the date must be YYYY-MM-DD"));
        }
        let mut n = [0i64; 3];
        for (k, (name, c)) in counts.iter().enumerate() {
            let v = c.map(cell).unwrap_or("").replace(',', "");
            if v.is_empty() {
                continue;
            }
            match v.parse::<i64>() {
                Ok(x) if (0..=100_000_000).contains(&x) => n[k] = x,
                _ => {
                    errors.push(err(
                        line,
                        name,
                        "须为 0 到 1 亿之间的整数 / a whole number from 0 to 100,000,000",
                    ));
                    ok = false;
                }
            }
        }
        if let (Some(date), true) = (d, ok) {
            rows.push(VolumeRow {
                row: line,
                unit_code,
                date,
                vehicles: n[0],
                passengers: n[1],
                transactions: n[2],
            });
        }
    }
    (rows, errors)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn seed_002_taxi_complaints_are_down_sixty_percent_year_on_year() {
        // 41 in January and 27 in February: 68, against 170 a year earlier.
        let c = compare(41 + 27, 170);
        assert_eq!(c.change, Some(-0.6));
        assert_eq!(compare(27, 41).change.map(|x| (x * 1000.0).round() / 1000.0), Some(-0.341));
        assert_eq!(compare(5, 0).change, None);
    }

    #[test]
    fn periods_before_and_a_year_earlier() {
        let feb = Period::month(2026, 2).unwrap();
        assert_eq!(feb, Period { from: d(2026, 2, 1), to: d(2026, 2, 28) });
        assert_eq!(feb.previous(), Period::month(2026, 1).unwrap());
        assert_eq!(feb.year_earlier(), Period::month(2025, 2).unwrap());
        let two = Period::new(d(2026, 1, 1), d(2026, 2, 28)).unwrap();
        assert_eq!(two.previous(), Period::new(d(2025, 11, 1), d(2025, 12, 31)).unwrap());
        assert_eq!(two.year_earlier(), Period::new(d(2025, 1, 1), d(2025, 2, 28)).unwrap());
        let leap = Period::month(2028, 2).unwrap();
        assert_eq!(leap.year_earlier(), Period::month(2027, 2).unwrap());
        let week = Period::new(d(2026, 3, 9), d(2026, 3, 15)).unwrap();
        assert_eq!(week.previous(), Period::new(d(2026, 3, 2), d(2026, 3, 8)).unwrap());
        assert!(Period::new(d(2026, 3, 9), d(2026, 3, 8)).is_none());
    }

    #[test]
    fn volume_sheets_report_bad_cells_by_row_and_column() {
        let g = |rows: &[&[&str]]| {
            rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect::<Vec<Vec<String>>>()
        };
        let (rows, errors) = parse_volumes(
            "业务量",
            &g(&[
                &["单位编码", "日期", "车流量"],
                &["S01", "2026-03-02", "8,120"],
                &["S02", "2026-03-32", "-5"],
                &["", "", ""],
                &["S03", "2026/03/02", ""],
            ]),
        );
        assert_eq!(rows.len(), 2);
        assert_eq!((rows[0].unit_code.as_str(), rows[0].vehicles), ("S01", 8120));
        assert_eq!(rows[1].row, 5);
        assert_eq!(
            errors.iter().map(|e| (e.row, e.column.as_str())).collect::<Vec<_>>(),
            [(3, "日期"), (3, "车流量")]
        );
        let (_, errors) = parse_volumes("x", &g(&[&["单位编码", "日期"]]));
        assert_eq!(errors[0].column, "车流量");
    }

    #[test]
    fn rates_need_a_denominator() {
        assert_eq!(rate(3, 4), Some(0.75));
        assert_eq!(rate(0, 0), None);
        assert_eq!(per_10k(15, 150_000), Some(1.0));
        assert_eq!(per_10k(1, 0), None);
    }
}
