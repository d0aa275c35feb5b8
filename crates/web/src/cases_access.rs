//! Who may see which case, and what of it (SPEC CASE-9, "Users and roles").
//!
//! - office, leader and admin see every case of their organisation, and the
//!   reporter masked until they press "reveal" (which is recorded);
//! - shift leaders see every case of the organisation, without the reporter;
//! - staff see only cases they handle, registered, or that are about them —
//!   never the reporter's identity;
//! - supervisors see the cases they registered; finance sees none.
//!
//! A case someone may not see answers exactly like a missing one.

use chuangkou_domain::Role;
use chuangkou_store::cases::{CaseFilter, CaseRow};

use crate::auth::CurrentUser;
use crate::error::AppError;

pub fn may_see_reporter(user: &CurrentUser) -> bool {
    matches!(user.role(), Role::Office | Role::Leader | Role::Admin)
}

pub fn may_register(user: &CurrentUser) -> bool {
    !matches!(user.role(), Role::Finance)
}

/// Whether `user` may see `case` at all.
pub fn may_see(user: &CurrentUser, case: &CaseRow) -> bool {
    let me = Some(user.0.id);
    match user.role() {
        Role::Office | Role::Leader | Role::Admin | Role::ShiftLeader => true,
        Role::Staff => {
            case.owner_id == me
                || case.pending_owner_id == me
                || case.first_responsible_id == me
                || (user.0.staff_id.is_some() && case.subject_staff_id == user.0.staff_id)
        }
        Role::Supervisor => case.first_responsible_id == me,
        Role::Finance => false,
    }
}

/// The case if `user` may see it, else the same 404 as a missing case.
pub fn visible(user: &CurrentUser, case: CaseRow) -> Result<CaseRow, AppError> {
    if may_see(user, &case) { Ok(case) } else { Err(AppError::NotFound) }
}

/// Narrows a list query to what `user` may see.
pub fn restrict(user: &CurrentUser, f: &mut CaseFilter) -> Result<(), AppError> {
    match user.role() {
        Role::Office | Role::Leader | Role::Admin | Role::ShiftLeader => {}
        Role::Staff | Role::Supervisor => f.only_involving = Some((user.0.id, user.0.staff_id)),
        Role::Finance => return Err(AppError::Forbidden),
    }
    Ok(())
}

/// What a viewer gets of a case: without `has_reporter` unless they may
/// see the reporter, so that not even the existence of contact details
/// reaches the staff member concerned.
pub fn for_viewer(user: &CurrentUser, mut case: CaseRow) -> CaseRow {
    if !may_see_reporter(user) {
        case.has_reporter = false;
    }
    case
}
