//! Identifiers that are easy to swap. An organisation's id sits beside
//! another id in almost every call (`case(org_id, id)`), and both are
//! integers: a swapped pair would read another organisation's record, or
//! none. As a type of its own, a swapped pair does not compile.

use std::fmt;
use std::str::FromStr;

/// An organisation's id: the tenant every record belongs to. Stored, and
/// written to JSON, as the integer it is.
///
/// A swapped pair is refused by the compiler:
///
/// ```compile_fail
/// use chuangkou_domain::OrgId;
/// fn case(org_id: OrgId, id: i64) {}
/// let (org_id, id) = (OrgId::new(1), 7);
/// case(id, org_id);
/// ```
///
/// ```
/// use chuangkou_domain::OrgId;
/// fn case(org_id: OrgId, id: i64) {}
/// let (org_id, id) = (OrgId::new(1), 7);
/// case(org_id, id);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(transparent))]
#[serde(transparent)]
pub struct OrgId(i64);

impl OrgId {
    /// An id read from outside the store: a command line, a test. Inside,
    /// ids come from the database already typed.
    pub const fn new(id: i64) -> OrgId {
        OrgId(id)
    }

    /// The integer, for a key derivation or a hash that covers it.
    pub const fn get(self) -> i64 {
        self.0
    }
}

impl fmt::Display for OrgId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

impl FromStr for OrgId {
    type Err = std::num::ParseIntError;
    fn from_str(s: &str) -> Result<OrgId, Self::Err> {
        s.trim().parse().map(OrgId)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_org_id_reads_and_writes_as_its_integer() {
        let id: OrgId = " 42".parse().expect("an integer");
        assert_eq!(id.get(), 42);
        assert_eq!(id.to_string(), "42");
        assert_eq!(serde_json::to_string(&id).expect("json"), "42");
        assert_eq!(serde_json::from_str::<OrgId>("7").expect("json"), OrgId::new(7));
        assert!("x".parse::<OrgId>().is_err());
    }
}
