//! Cases in storage: intake, the lifecycle, timers, queries and public
//! tracking. Rules come from `chuangkou_domain::cases`; this module keeps
//! each change and its event in one transaction.

use chuangkou_domain::cases::{CaseKind, Channel, Finding, Responsibility, Satisfaction, State};
use chuangkou_domain::events::EventKind;
use chuangkou_domain::{CaseId, OrgId, StaffId, UserId};
use serde::Serialize;

use crate::{Result, Store, on_read};

mod act;
mod duplicates;
mod extras;
mod group;
mod intake;
mod notify;
mod query;
mod search;
mod timers;
mod tracking;

pub(crate) use act::NotifyTarget;
pub use act::{ActInput, ActOutcome};
pub use duplicates::{Duplicate, DuplicateProbe};
pub use group::Intake;
pub use intake::{MAX_CASE_PHOTOS, NewCase, Origin, Prepared, Registered};
pub use notify::{Notification, OutMessage, UNREAD_COUNTED};
pub use query::{CaseFilter, Inbox, TimelineEntry};
pub(crate) use timers::BATCH;
pub use timers::{Backlog, SweepReport};
pub use tracking::{PublicView, TrackingError};

/// A case as staff see it — without the reporter's identity, which is only
/// ever read through [`Store::reveal_reporter`].
#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CaseRow {
    pub id: CaseId,
    pub org_id: OrgId,
    pub number: String,
    #[sqlx(try_from = "String")]
    pub kind: CaseKind,
    #[sqlx(try_from = "String")]
    #[serde(serialize_with = "crate::codes::serialize_code")]
    pub channel: Channel,
    pub category: String,
    pub track: String,
    #[sqlx(try_from = "String")]
    pub state: State,
    pub description: String,
    pub unit_id: Option<i64>,
    pub service_point_id: Option<i64>,
    pub subject_staff_id: Option<StaffId>,
    pub plate: Option<String>,
    pub routed_to: String,
    /// Whether a reporter left a name or phone (not what they are).
    pub has_reporter: bool,
    pub first_responsible_id: Option<UserId>,
    pub owner_id: Option<UserId>,
    pub pending_owner_id: Option<UserId>,
    pub registered_at: i64,
    pub investigate_due: Option<i64>,
    pub handle_due: i64,
    pub investigated_at: Option<i64>,
    pub handled_at: Option<i64>,
    pub closed_at: Option<i64>,
    pub overdue: bool,
    pub escalated_to: Option<String>,
    pub deadline_version: i64,
    pub extension_requested: bool,
    pub extension_span: Option<String>,
    pub extension_reason: Option<String>,
    #[sqlx(try_from = "crate::codes::MaybeCode")]
    #[serde(serialize_with = "crate::codes::serialize")]
    pub finding: Option<Finding>,
    #[sqlx(try_from = "crate::codes::MaybeCode")]
    #[serde(serialize_with = "crate::codes::serialize")]
    pub responsibility: Option<Responsibility>,
    pub apology_made: Option<bool>,
    pub conclusion: Option<String>,
    pub reply: Option<String>,
    #[sqlx(try_from = "crate::codes::MaybeCode")]
    #[serde(serialize_with = "crate::codes::serialize")]
    pub satisfaction: Option<Satisfaction>,
    pub master_case_id: Option<CaseId>,
    pub updated_at: i64,
}

impl CaseRow {
    /// A complaint about a leader: routed to the pack's discipline body,
    /// which alone sees and handles it (SPEC CASE-11).
    pub fn about_leader(&self) -> bool {
        self.routed_to != "office"
    }
}

/// The columns of [`CaseRow`], for queries that name the table `cases k`.
pub(crate) const CASE_COLUMNS: &str =
    "k.id, k.org_id, k.number, k.kind, k.channel, k.category, k.track, k.state, k.description,
    k.unit_id, k.service_point_id, k.subject_staff_id, k.plate, k.routed_to,
    (k.reporter_id IS NOT NULL) AS has_reporter, k.first_responsible_id, k.owner_id,
    k.pending_owner_id, k.registered_at, k.investigate_due, k.handle_due, k.investigated_at,
    k.handled_at, k.closed_at, k.overdue, k.escalated_to, k.deadline_version,
    k.extension_requested, k.extension_span, k.extension_reason, k.finding, k.responsibility,
    k.apology_made, k.conclusion, k.reply, k.satisfaction, k.master_case_id, k.updated_at";

/// A reporter's encrypted name and phone.
type Sealed = (Option<Vec<u8>>, Option<Vec<u8>>);

/// A reporter's identity, decrypted.
#[derive(Debug, Clone, Serialize)]
pub struct Reporter {
    pub name: Option<String>,
    pub phone: Option<String>,
}

impl Store {
    pub async fn case(&self, org_id: OrgId, id: CaseId) -> Result<CaseRow> {
        let sql = format!("SELECT {CASE_COLUMNS} FROM cases k WHERE k.org_id = $1 AND k.id = $2");
        Ok(
            on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(id).fetch_one(c).await)?,
        )
    }

    pub async fn case_by_number(&self, org_id: OrgId, number: &str) -> Result<CaseRow> {
        let sql = format!("SELECT {CASE_COLUMNS} FROM cases k WHERE k.org_id = $1 AND k.number = $2");
        Ok(
            on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(number).fetch_one(c).await)?,
        )
    }

    /// Decrypts a case's reporter data and records who looked (SPEC CASE-9).
    /// The caller has checked that the actor may reveal.
    pub async fn reveal_reporter(
        &self,
        org_id: OrgId,
        case_id: CaseId,
        actor: &str,
        reason: &str,
    ) -> Result<Reporter> {
        let mut tx = self.begin().await?;
        let row: Option<Sealed> = crate::on_tx!(&mut tx, c => sqlx::query_as(
            "SELECT r.name_enc, r.phone_enc FROM cases k JOIN reporters r ON r.id = k.reporter_id
             WHERE k.org_id = $1 AND k.id = $2")
            .bind(org_id).bind(case_id).fetch_optional(c).await)?;
        let Some((name, phone)) = row else {
            // No reporter data (anonymous) or no such case: check which.
            self.case(org_id, case_id).await?;
            return Ok(Reporter { name: None, phone: None });
        };
        self.append(
            &mut tx,
            crate::NewEvent {
                org_id,
                actor,
                kind: EventKind::CaseReporterRevealed,
                subject_type: "case",
                subject_id: case_id.get(),
                payload: serde_json::json!({}),
                reason,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(Reporter {
            name: name.map(|b| self.decrypt(&b)).transpose()?,
            phone: phone.map(|b| self.decrypt(&b)).transpose()?,
        })
    }

    /// The masked phone of a case's reporter (e.g. `138****1234`), for the
    /// office and leaders before they press "reveal". Reading it is not a
    /// reveal: the digits shown are not enough to identify anyone.
    pub async fn masked_reporter(&self, org_id: OrgId, case_id: CaseId) -> Result<Reporter> {
        let row: Option<Sealed> = on_read!(self, c => sqlx::query_as(
            "SELECT r.name_enc, r.phone_enc FROM cases k JOIN reporters r ON r.id = k.reporter_id
             WHERE k.org_id = $1 AND k.id = $2")
            .bind(org_id).bind(case_id).fetch_optional(c).await)?;
        let Some((name, phone)) = row else { return Ok(Reporter { name: None, phone: None }) };
        let mask_name = |n: String| n.chars().next().map(|c| format!("{c}**")).unwrap_or_default();
        Ok(Reporter {
            name: name.map(|b| self.decrypt(&b)).transpose()?.map(mask_name),
            phone: phone.map(|b| self.decrypt(&b)).transpose()?.map(|p| chuangkou_domain::mask_phone(&p)),
        })
    }
}
