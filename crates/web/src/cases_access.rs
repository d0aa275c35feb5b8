//! Who may see which case, and what of it (SPEC CASE-9, CASE-11, "Users
//! and roles"), from the table in `domain::access`:
//!
//! - roles whose case sight is the organisation (office, leaders, admins,
//!   shift leaders) see every case of it; the others see the cases they
//!   handle, registered, or that are about them; finance sees none;
//! - complaints about leaders (routed to the pack's discipline body) are
//!   seen by the discipline body alone — and by whoever registered them;
//! - only roles with `ViewReporter` see the reporter (masked until they
//!   reveal it, which is recorded), and never the person the case is about.
//!
//! A case someone may not see answers exactly like a missing one.

use chuangkou_domain::access::may_see_leader_complaint;
use chuangkou_domain::{Permission, Sight};
use chuangkou_store::cases::{CaseFilter, CaseRow};

use crate::auth::CurrentUser;
use crate::error::AppError;

/// Why the person a complaint is about may not see who made it.
pub const SUBJECT_REVEAL: &str =
    "投诉所涉人员不得查看投诉人信息 / the person a complaint is about never sees who made it";

/// Whether the case is a complaint about a leader (routed to the discipline body).
pub fn about_leader(case: &CaseRow) -> bool {
    case.about_leader()
}

/// Whether `user` is the staff member `case` is about.
pub fn is_subject(user: &CurrentUser, case: &CaseRow) -> bool {
    user.0.staff_id.is_some() && case.subject_staff_id == user.0.staff_id
}

/// Whether `user` may see the reporter of `case`: the role allows it and
/// the case is not about them.
pub fn may_see_reporter(user: &CurrentUser, case: &CaseRow) -> bool {
    user.can(Permission::ViewReporter) && !is_subject(user, case)
}

/// Refuses `user` acting on `case` in its own name (a one-time notice, a
/// note) when the case is about them: 403 with the reason.
pub fn not_about_themselves(user: &CurrentUser, case: &CaseRow) -> Result<(), AppError> {
    match chuangkou_domain::access::about_themselves(user.0.staff_id, case.subject_staff_id) {
        Some(why) => Err(AppError::Refused(why.into())),
        None => Ok(()),
    }
}

pub fn may_register(user: &CurrentUser) -> bool {
    user.can(Permission::RegisterCase)
}

/// Whether `user` may see `case` at all.
pub fn may_see(user: &CurrentUser, case: &CaseRow) -> bool {
    let me = Some(user.0.id);
    let leaders = may_see_leader_complaint(user.role());
    if about_leader(case) && !leaders && case.first_responsible_id != me {
        return false;
    }
    match user.role().case_sight() {
        Sight::Organisation => true,
        Sight::Themselves => {
            case.owner_id == me
                || case.pending_owner_id == me
                || case.first_responsible_id == me
                || is_subject(user, case)
                || (leaders && about_leader(case))
        }
        _ => false,
    }
}

/// The case if `user` may see it, else the same 404 as a missing case.
pub fn visible(user: &CurrentUser, case: CaseRow) -> Result<CaseRow, AppError> {
    if may_see(user, &case) { Ok(case) } else { Err(AppError::NotFound) }
}

/// The event log as `user` may read it: without the events of complaints
/// about leaders unless they are the discipline body (CASE-11).
pub async fn visible_events(
    state: &crate::AppState,
    user: &CurrentUser,
    events: Vec<chuangkou_store::events::EventRow>,
) -> Result<Vec<chuangkou_store::events::EventRow>, AppError> {
    if may_see_leader_complaint(user.role()) {
        return Ok(events);
    }
    let hidden = state.store.leader_complaint_ids(user.org_id()).await?;
    Ok(events.into_iter().filter(|e| !(e.subject_type == "case" && hidden.contains(&e.subject_id))).collect())
}

/// Narrows a list query to what `user` may see.
pub fn restrict(user: &CurrentUser, f: &mut CaseFilter) -> Result<(), AppError> {
    let leaders = may_see_leader_complaint(user.role());
    match user.role().case_sight() {
        Sight::Organisation => {}
        Sight::Themselves => {
            f.only_involving = Some((user.0.id, user.0.staff_id));
            f.or_about_leaders = leaders;
        }
        _ => return Err(AppError::Forbidden),
    }
    if !leaders {
        f.hide_leader_complaints = Some(user.0.id);
    }
    Ok(())
}

/// What a viewer gets of a case: without `has_reporter` unless they may
/// see the reporter, so that not even the existence of contact details
/// reaches the staff member concerned.
pub fn for_viewer(user: &CurrentUser, mut case: CaseRow) -> CaseRow {
    if !may_see_reporter(user, &case) {
        case.has_reporter = false;
    }
    case
}
