//! The fines register (SPEC LED-4): collected by finance, waived only by a
//! recorded decision.

use chuangkou_domain::events::EventKind;
use chuangkou_domain::ledger::FineStatus;
use chuangkou_domain::policy::Rules;
use chuangkou_domain::{OrgId, Permission};
use serde_json::json;

use super::{FineFilter, FineRow};
use crate::users::User;
use crate::{NewEvent, Result, Store, StoreError, on_read, on_tx};

impl Store {
    pub async fn fines(&self, org_id: OrgId, f: &FineFilter) -> Result<Vec<FineRow>> {
        let mut sql = String::from(
            "SELECT f.id, f.entry_id, f.staff_id, s.name AS staff_name, s.employee_no, u.name AS unit_name, f.amount,
                    f.status, f.due_since, f.collected_at, f.receipt_no, f.waived_at, f.waived_reason, e.explanation
               FROM fines f JOIN ledger_entries e ON e.id = f.entry_id JOIN units u ON u.id = f.unit_id
               LEFT JOIN staff s ON s.id = f.staff_id
              WHERE f.org_id = $1 AND ($2 IS NULL OR f.status = $2) AND ($3 IS NULL OR f.staff_id = $3)",
        );
        if let Some(units) = &f.unit_ids {
            sql.push_str(&format!(" AND f.unit_id IN ({})", crate::id_list(units)));
        }
        sql.push_str(" ORDER BY f.id DESC LIMIT 5000");
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(f.status.map(|s| s.as_str())).bind(f.staff_id).fetch_all(c).await)?)
    }

    /// Finance marks a fine collected (LED-4).
    pub async fn collect_fine(&self, org_id: OrgId, by: &User, id: i64, receipt_no: &str) -> Result<()> {
        if !by.role().can(Permission::CollectFines) {
            return Err(StoreError::refused(false, "只有财务室可以收缴罚款 / only finance collects fines"));
        }
        let receipt = crate::required("receipt_no", receipt_no, 60)?;
        self.fine_step(org_id, by, id, &receipt).await
    }

    /// Waives a fine by a decision of two approvers: the first proposes the
    /// waiver with its reason, a second confirms it (`approve`) or declines
    /// it (back to due). Nobody waives a fine about themselves, and the
    /// proposer never confirms their own proposal. Returns the new status.
    pub async fn waive_fine(
        &self,
        org_id: OrgId,
        rules: Rules<'_>,
        by: &User,
        id: i64,
        reason: &str,
        approve: bool,
    ) -> Result<FineStatus> {
        if !rules.pack.ledger.may_approve(by.role()) {
            return Err(StoreError::refused(false, "您的角色不能免除罚款 / your role may not waive fines"));
        }
        let reason = crate::required("reason", reason, 2000)?;
        let mut tx = self.begin().await?;
        let lock = format!("SELECT id FROM fines WHERE org_id = $1 AND id = $2{}", self.lock_rows());
        let found: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(sqlx::AssertSqlSafe(lock)).bind(org_id).bind(id).fetch_optional(c).await)?;
        found.ok_or(StoreError::NotFound)?;
        let (status, staff, proposer): (
            String,
            Option<chuangkou_domain::StaffId>,
            Option<chuangkou_domain::UserId>,
        ) = on_tx!(&mut tx, c => sqlx::query_as(
            "SELECT status, staff_id, waiver_proposed_by FROM fines WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(id).fetch_one(c).await)?;
        if let Some(why) = chuangkou_domain::access::about_themselves(by.staff_id, staff) {
            return Err(StoreError::refused(false, why));
        }
        let now = self.now_ms();
        let (to, kind) = match (FineStatus::parse(&status), approve) {
            (Some(FineStatus::Due), true) => {
                on_tx!(&mut tx, c => sqlx::query(
                    "UPDATE fines SET status = 'waiver_proposed', waiver_proposed_by = $1, waiver_proposed_at = $2,
                            waived_reason = $3 WHERE org_id = $4 AND id = $5")
                    .bind(by.id).bind(now).bind(&reason).bind(org_id).bind(id).execute(c).await.map(|_| ()))?;
                (FineStatus::WaiverProposed, EventKind::FineWaiverProposed)
            }
            (Some(FineStatus::WaiverProposed), _) => {
                if let Some(why) = chuangkou_domain::access::second_person(by.id, proposer) {
                    return Err(StoreError::refused(false, why));
                }
                if approve {
                    on_tx!(&mut tx, c => sqlx::query(
                        "UPDATE fines SET status = 'waived', waived_at = $1 WHERE org_id = $2 AND id = $3")
                        .bind(now).bind(org_id).bind(id).execute(c).await.map(|_| ()))?;
                    (FineStatus::Waived, EventKind::FineWaived)
                } else {
                    on_tx!(&mut tx, c => sqlx::query(
                        "UPDATE fines SET status = 'due', waiver_proposed_by = NULL, waiver_proposed_at = NULL,
                                waived_reason = NULL WHERE org_id = $1 AND id = $2")
                        .bind(org_id).bind(id).execute(c).await.map(|_| ()))?;
                    (FineStatus::Due, EventKind::FineWaiverDeclined)
                }
            }
            _ => return Err(StoreError::refused(true, "该罚款不能免除 / this fine cannot be waived now")),
        };
        let actor = by.actor();
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind,
                subject_type: "fine",
                subject_id: id,
                payload: json!({"status": to.as_str()}),
                reason: &reason,
            },
        )
        .await?;
        self.changed(&mut tx, org_id, "fines", id).await?;
        tx.commit().await?;
        Ok(to)
    }

    /// Moves a due fine to collected, with its event.
    async fn fine_step(&self, org_id: OrgId, by: &User, id: i64, receipt: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = self.now_ms();
        let n = on_tx!(&mut tx, c => sqlx::query(
            "UPDATE fines SET status = 'collected', collected_by = $1, collected_at = $2, receipt_no = $3
              WHERE org_id = $4 AND id = $5 AND status = 'due'")
            .bind(by.id).bind(now).bind(receipt).bind(org_id).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            let exists: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar("SELECT id FROM fines WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(id).fetch_optional(c).await)?;
            return Err(match exists {
                None => StoreError::NotFound,
                Some(_) => StoreError::refused(true, "该罚款不是待收缴状态 / this fine is not due"),
            });
        }
        let actor = by.actor();
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind: EventKind::FineCollected,
                subject_type: "fine",
                subject_id: id,
                payload: json!({"status": FineStatus::Collected.as_str()}),
                reason: receipt,
            },
        )
        .await?;
        self.changed(&mut tx, org_id, "fines", id).await?;
        tx.commit().await?;
        Ok(())
    }
}
