//! Identifiers that are easy to swap. An organisation's id sits beside
//! another id in almost every call (`case(org_id, id)`), a ledger entry
//! names its staff member beside the user who proposed it, and all are
//! integers: a swapped pair would read or change another record, or none.
//! Each a type of its own, a swapped pair does not compile.
//!
//! Each is stored, and written to JSON, as the integer it is; sqlx reads
//! and binds it through the derive behind the `sqlx` feature (the store's).

use std::fmt;
use std::str::FromStr;

macro_rules! id_type {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(
            Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize,
        )]
        #[cfg_attr(feature = "sqlx", derive(sqlx::Type), sqlx(transparent))]
        #[serde(transparent)]
        pub struct $name(i64);

        impl $name {
            /// An id read from outside the store: a command line, a form, a
            /// test. Inside, ids come from the database already typed.
            pub const fn new(id: i64) -> $name {
                $name(id)
            }

            /// The integer, for a hash that covers it or a URL.
            pub const fn get(self) -> i64 {
                self.0
            }
        }

        impl From<$name> for i64 {
            fn from(id: $name) -> i64 {
                id.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = std::num::ParseIntError;
            fn from_str(s: &str) -> Result<$name, Self::Err> {
                s.trim().parse().map($name)
            }
        }
    };
}

id_type!(
    /// An organisation's id: the tenant every record belongs to.
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
    OrgId
);

id_type!(
    /// A user's id: someone who signs in (a desk, an inspector, a leader),
    /// not the staff member they may be.
    ///
    /// ```compile_fail
    /// use chuangkou_domain::{StaffId, UserId};
    /// fn decide(proposer: UserId, about: StaffId) {}
    /// let (proposer, about) = (UserId::new(3), StaffId::new(9));
    /// decide(about, proposer);
    /// ```
    UserId
);

id_type!(
    /// A staff member's id: the person the ledger, ratings and assessment
    /// are about, who may or may not have a user to sign in with.
    StaffId
);

id_type!(
    /// A case's id (the complaint, consultation or suggestion), not its
    /// public number: the number is what people read and the id what
    /// records refer to.
    CaseId
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_id_reads_and_writes_as_its_integer() {
        let id: OrgId = " 42".parse().expect("an integer");
        assert_eq!(id.get(), 42);
        assert_eq!(id.to_string(), "42");
        assert_eq!(serde_json::to_string(&id).expect("json"), "42");
        assert_eq!(serde_json::from_str::<UserId>("7").expect("json"), UserId::new(7));
        assert!("x".parse::<StaffId>().is_err());
    }
}
