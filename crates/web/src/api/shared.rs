//! Helpers every API module uses: a day in the organisation's calendar,
//! and the small inputs several routes share.

use chuangkou_domain::policy::Rules;
use serde::Deserialize;

use crate::error::{ApiResult, AppError};

/// A day (`YYYY-MM-DD`) in the organisation's calendar, at noon; today when empty.
pub fn day_ms(rules: Rules<'_>, name: &str, day: Option<&str>, now: i64) -> ApiResult<i64> {
    match day.map(str::trim).filter(|d| !d.is_empty()) {
        None => Ok(now),
        Some(d) => {
            let date = chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| AppError::field(name, "日期须为 YYYY-MM-DD / the date must be YYYY-MM-DD"))?;
            let today = rules.calendar.local_date(now);
            if date > today {
                return Err(AppError::field(name, "日期不能晚于今天 / the date cannot be in the future"));
            }
            // Today is now: noon would be in the future every morning (an
            // inspection recorded at 8 o'clock was refused as not yet
            // happened). An earlier day is its noon, clear of any edge.
            Ok(if date == today { now } else { rules.calendar.start_of_day_ms(date) + 12 * 3_600_000 })
        }
    }
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ReasonInput {
    #[serde(default)]
    pub reason: String,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct FileQuery {
    pub file_name: Option<String>,
}
