//! Who hears about a change. The rules name the recipients; the store
//! resolves them to users (a role's members, a unit's shift leaders).

use crate::Role;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Recipient {
    User(i64),
    /// These users (those on duty).
    Users(Vec<i64>),
    Role(Role),
    /// Shift leaders whose staff record is in the unit or its parent.
    ShiftLeadersOf(i64),
}
