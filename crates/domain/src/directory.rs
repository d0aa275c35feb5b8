//! The convenience directory (SPEC PUB-1; seed 000's 九项便民服务: 定期更新
//! 周边景区、汽修厂、便利店、加油站、医院、住宿、物流等信息通讯录): places
//! near a unit a traveller may need, each with who checked it last and
//! when, so that a stale entry is somebody's work.

use crate::text::{self, FieldError};

labelled_enum!(
    /// What a directory entry is.
    DirectoryKind {
        Hospital = "hospital", "医院", "Hospital";
        Fuel = "fuel", "加油站", "Fuel station";
        Repair = "repair", "汽修厂", "Repair shop";
        Tow = "tow", "道路救援", "Towing and rescue";
        Shop = "shop", "便利店", "Shop";
        Lodging = "lodging", "住宿", "Lodging";
        Logistics = "logistics", "物流", "Logistics";
        Scenic = "scenic", "景区", "Scenic spot";
        Police = "police", "警务", "Police";
        Other = "other", "其他", "Other";
    }
);

/// An entry as the office or a station writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct NewEntry {
    pub kind: DirectoryKind,
    pub name: String,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub hours: Option<String>,
    /// Distance from the unit, in metres (written in kilometres).
    pub distance_m: Option<i64>,
}

/// Checks an entry: a kind, a name, a phone as people write it, and a
/// distance in kilometres (`3`, `2.5`) of at most 1,000 km.
pub fn check(
    kind: &str,
    name: &str,
    address: &str,
    phone: &str,
    hours: &str,
    distance_km: &str,
) -> Result<NewEntry, Vec<FieldError>> {
    let mut errors = vec![];
    let kind = DirectoryKind::parse(kind);
    if kind.is_none() {
        errors.push(FieldError::new("kind", "未知类别 / unknown kind of place"));
    }
    let name = text::required("name", name, 80).map_err(|e| errors.push(e)).ok();
    let address = text::optional("address", address, 200).map_err(|e| errors.push(e)).ok().flatten();
    let phone = if phone.trim().is_empty() {
        None
    } else {
        // Kept as written (a hotline may be 0351-1234567 or 12122).
        text::phone("phone", phone).map_err(|e| errors.push(e)).ok().map(|_| phone.trim().to_string())
    };
    let hours = text::optional("hours", hours, 60).map_err(|e| errors.push(e)).ok().flatten();
    let distance_m = match distance_km.trim() {
        "" => None,
        d => match d.parse::<f64>() {
            Ok(km) if (0.0..=1000.0).contains(&km) => Some((km * 1000.0).round() as i64),
            _ => {
                errors.push(FieldError::new(
                    "distance_km",
                    "距离须为公里数，如 2.5 / a distance in km, e.g. 2.5",
                ));
                None
            }
        },
    };
    match (kind, name) {
        (Some(kind), Some(name)) if errors.is_empty() => {
            Ok(NewEntry { kind, name, address, phone, hours, distance_m })
        }
        _ => Err(errors),
    }
}

/// Whether an entry last checked at `checked_at` is due to be checked
/// again at `now`, with `review_days` between checks.
pub fn stale(checked_at: i64, now: i64, review_days: u32) -> bool {
    now - checked_at >= i64::from(review_days) * 86_400_000
}

/// A distance in words: `800 m`, `2.5 km`.
pub fn distance_words(metres: i64) -> String {
    if metres < 1000 {
        format!("{metres} m")
    } else {
        let km = metres as f64 / 1000.0;
        let s = format!("{km:.1}");
        format!("{} km", s.trim_end_matches(".0"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_entry_needs_a_kind_and_a_name_and_reads_distance_in_km() {
        let e = check("hospital", "小店区人民医院", "小店区", "0351-7654321", "24小时", "2.5").unwrap();
        assert_eq!(
            (e.kind, e.distance_m, e.phone.as_deref()),
            (DirectoryKind::Hospital, Some(2500), Some("0351-7654321"))
        );
        let bad = check("castle", "", "", "12", "", "far").unwrap_err();
        let fields: Vec<&str> = bad.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["kind", "name", "phone", "distance_km"]);
        assert_eq!(
            check("加油站", "中石化", "", "", "", "").unwrap().kind,
            DirectoryKind::Fuel,
            "a Chinese label"
        );
    }

    #[test]
    fn an_entry_is_stale_after_the_review_period() {
        let day = 86_400_000;
        assert!(!stale(0, 89 * day, 90));
        assert!(stale(0, 90 * day, 90));
    }

    #[test]
    fn distances_read_as_people_say_them() {
        assert_eq!(distance_words(800), "800 m");
        assert_eq!(distance_words(2000), "2 km");
        assert_eq!(distance_words(2500), "2.5 km");
    }
}
