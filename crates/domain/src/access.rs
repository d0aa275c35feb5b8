//! Roles and what each may do (SPEC "Users and roles").
//!
//! Authorisation has two halves: *what* a role may do (here) and *which
//! records* it may touch (every query filters by organisation; staff see only
//! their own). The web layer asks [`Role::can`] before every action.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Front-line staff: toll collector, driver, clerk.
    Staff,
    /// On-duty chief of a station or team.
    ShiftLeader,
    /// The leading group's office: registers cases, runs inspections.
    Office,
    /// Hired inspectors and mystery visitors.
    Supervisor,
    /// The leading group: approves extensions, penalties and awards.
    Leader,
    /// Finance office: fines.
    Finance,
    /// System administrator of one organisation.
    Admin,
}

/// Things a signed-in user may try to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// See the unit tree, staff list, vehicles and service points.
    ViewOrganisation,
    /// Create or change units, staff, vehicles, service points; import rosters.
    ManageOrganisation,
    /// Create users and give them roles.
    ManageUsers,
    /// Read the event log of the organisation.
    ViewEventLog,
}

impl Role {
    pub const ALL: [Role; 7] = [
        Role::Staff,
        Role::ShiftLeader,
        Role::Office,
        Role::Supervisor,
        Role::Leader,
        Role::Finance,
        Role::Admin,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Staff => "staff",
            Role::ShiftLeader => "shift_leader",
            Role::Office => "office",
            Role::Supervisor => "supervisor",
            Role::Leader => "leader",
            Role::Finance => "finance",
            Role::Admin => "admin",
        }
    }

    pub fn parse(s: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// The Chinese name shown in the UI.
    pub fn label_zh(self) -> &'static str {
        match self {
            Role::Staff => "员工",
            Role::ShiftLeader => "值班站长",
            Role::Office => "受理/督查办公室",
            Role::Supervisor => "监督员",
            Role::Leader => "领导小组",
            Role::Finance => "财务室",
            Role::Admin => "系统管理员",
        }
    }

    pub fn label_en(self) -> &'static str {
        match self {
            Role::Staff => "Staff",
            Role::ShiftLeader => "Shift leader",
            Role::Office => "Office",
            Role::Supervisor => "Supervisor",
            Role::Leader => "Leader",
            Role::Finance => "Finance",
            Role::Admin => "Administrator",
        }
    }

    pub fn can(self, p: Permission) -> bool {
        use Permission::*;
        use Role::*;
        match p {
            // Supervisors record inspections and reports, and nothing else.
            ViewOrganisation => !matches!(self, Supervisor),
            ManageOrganisation => matches!(self, Office | Admin),
            ManageUsers => matches!(self, Admin),
            ViewEventLog => matches!(self, Office | Leader | Admin),
        }
    }
}

impl_labelled!(Role);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roles_round_trip_through_their_names() {
        for r in Role::ALL {
            assert_eq!(Role::parse(r.as_str()), Some(r));
        }
        assert_eq!(Role::parse("root"), None);
    }

    #[test]
    fn supervisors_and_staff_cannot_manage_the_roster() {
        assert!(!Role::Supervisor.can(Permission::ViewOrganisation));
        assert!(!Role::Staff.can(Permission::ManageOrganisation));
        assert!(Role::Office.can(Permission::ManageOrganisation));
        assert!(!Role::Office.can(Permission::ManageUsers));
        assert!(Role::Admin.can(Permission::ManageUsers));
    }
}
