//! Who may see which ledger entries, fines, inspections and rectifications
//! (SPEC "Users and roles", LED, INS). Checked on the server for every
//! record; one that someone may not see answers exactly like a missing one.
//!
//! - office, leader, admin and finance see the whole organisation;
//! - a shift leader sees their unit and the teams under it;
//! - staff see what is about themselves;
//! - supervisors see only the inspections and reports they recorded.

use chuangkou_domain::Sight;
use chuangkou_store::ledger::EntryRow;

use crate::AppState;
use crate::auth::CurrentUser;
use crate::error::AppError;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Reach {
    All,
    /// These units (a unit and everything under it).
    Units(Vec<i64>),
    /// Only entries about this staff member.
    Own(Option<chuangkou_domain::StaffId>),
    /// Nothing of the ledger.
    Nothing,
}

impl Reach {
    pub fn unit_ids(&self) -> Option<Vec<i64>> {
        match self {
            Reach::Units(u) => Some(u.clone()),
            _ => None,
        }
    }

    pub fn sees_unit(&self, unit_id: i64) -> bool {
        match self {
            Reach::All => true,
            Reach::Units(u) => u.contains(&unit_id),
            _ => false,
        }
    }

    pub fn sees(&self, e: &EntryRow) -> bool {
        match self {
            Reach::Own(me) => me.is_some() && e.staff_id == *me,
            other => other.sees_unit(e.unit_id),
        }
    }
}

/// How far `user` reaches over ledger entries and fines (the role's
/// ledger sight, with a shift leader's units resolved).
pub async fn reach(state: &AppState, user: &CurrentUser) -> Result<Reach, AppError> {
    sight_reach(state, user, user.role().ledger_sight()).await
}

/// `sight` as concrete units or people.
pub async fn sight_reach(state: &AppState, user: &CurrentUser, sight: Sight) -> Result<Reach, AppError> {
    Ok(match sight {
        Sight::Organisation => Reach::All,
        Sight::Themselves => Reach::Own(user.0.staff_id),
        Sight::Recorded | Sight::Nothing => Reach::Nothing,
        Sight::OwnUnits => {
            let Some(staff) = user.0.staff_id else { return Ok(Reach::Units(vec![])) };
            let me = state.store.staff(user.org_id(), staff).await?;
            let units = state.store.units(user.org_id()).await?;
            let mut reach = vec![me.unit_id];
            let mut i = 0;
            while i < reach.len() {
                let parent = reach[i];
                reach.extend(units.iter().filter(|u| u.parent_id == Some(parent)).map(|u| u.id));
                i += 1;
            }
            Reach::Units(reach)
        }
    })
}

/// An entry the user may see, or 404.
pub async fn visible_entry(state: &AppState, user: &CurrentUser, id: i64) -> Result<EntryRow, AppError> {
    let e = state.store.entry(user.org_id(), id).await?;
    if reach(state, user).await?.sees(&e) { Ok(e) } else { Err(AppError::NotFound) }
}
