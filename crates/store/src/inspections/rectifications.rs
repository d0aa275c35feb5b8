//! Rectification orders 限期整改 (SPEC INS-3): reported by the unit,
//! verified by the inspector, their deadlines fired once by the sweep.

use chuangkou_domain::events::EventKind;
use chuangkou_domain::inspections::{RectificationState, RectificationStep};
use chuangkou_domain::{OrgId, Permission, Role};
use serde_json::json;

use super::{RECT_SELECT, RectificationRow};
use crate::cases::BATCH;
use crate::cases::NotifyTarget;
use crate::users::User;
use crate::{NewEvent, Result, Store, StoreError, on_read, on_tx};

impl Store {
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    pub async fn rectifications(
        &self,
        org_id: OrgId,
        unit_ids: Option<&[i64]>,
        open_only: bool,
    ) -> Result<Vec<RectificationRow>> {
        let mut sql = format!("{RECT_SELECT} WHERE r.org_id = $1");
        if open_only {
            sql.push_str(" AND r.state <> 'verified'");
        }
        if let Some(units) = unit_ids {
            sql.push_str(&format!(" AND r.unit_id IN ({})", crate::id_list(units)));
        }
        sql.push_str(" ORDER BY r.due_at, r.id LIMIT 500");
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).fetch_all(c).await)?)
    }

    pub async fn rectification(&self, org_id: OrgId, id: i64) -> Result<RectificationRow> {
        let sql = format!("{RECT_SELECT} WHERE r.org_id = $1 AND r.id = $2");
        let r: Option<RectificationRow> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(id).fetch_optional(c).await)?;
        r.ok_or(StoreError::NotFound)
    }

    /// The unit reports a rectification done; the inspector (or the office)
    /// accepts or rejects it. The caller has checked the user's reach.
    pub async fn rectification_step(
        &self,
        org_id: OrgId,
        by: &User,
        id: i64,
        step: RectificationStep,
        note: &str,
    ) -> Result<RectificationRow> {
        let note = crate::required("note", note, 2000)?;
        let mut tx = self.begin().await?;
        let lock = if self.backend() == crate::Backend::Postgres { " FOR UPDATE OF r" } else { "" };
        let sql = format!("{RECT_SELECT} WHERE r.org_id = $1 AND r.id = $2{lock}");
        let r: Option<RectificationRow> = on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(id).fetch_optional(c).await)?;
        let r = r.ok_or(StoreError::NotFound)?;
        let state = RectificationState::parse(&r.state).unwrap_or(RectificationState::Open);
        let verifier = r.inspector_id == by.id || by.role().can(Permission::VerifyRectification);
        let allowed = match step {
            RectificationStep::Report => by.role().can(Permission::ReportRectification),
            RectificationStep::Accept | RectificationStep::Reject => verifier,
        };
        if !allowed {
            return Err(StoreError::refused(false, "您不能进行此操作 / you may not do this"));
        }
        let to = state.after(step).ok_or_else(|| {
            StoreError::refused(
                true,
                format!("整改单当前为「{}」，不能这样操作 / not allowed now", state.label_zh()),
            )
        })?;
        let now = self.now_ms();
        let sql = match step {
            RectificationStep::Report => {
                "UPDATE rectifications SET state = $1, reported_at = $2, report_note = $3 WHERE id = $4"
            }
            _ => "UPDATE rectifications SET state = $1, verified_at = $2, verify_note = $3 WHERE id = $4",
        };
        on_tx!(&mut tx, c => sqlx::query(sql).bind(to.as_str()).bind(now).bind(&note).bind(id).execute(c).await.map(|_| ()))?;
        if step != RectificationStep::Report {
            on_tx!(&mut tx, c => sqlx::query("UPDATE rectifications SET verified_by = $1 WHERE id = $2")
                .bind(by.id).bind(id).execute(c).await.map(|_| ()))?;
        }
        let kind = match step {
            RectificationStep::Report => EventKind::RectificationReported,
            RectificationStep::Accept => EventKind::RectificationVerified,
            RectificationStep::Reject => EventKind::RectificationRejected,
        };
        let actor = by.actor();
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind,
                subject_type: "rectification",
                subject_id: id,
                payload: json!({"from": state.as_str(), "to": to.as_str()}),
                reason: &note,
            },
        )
        .await?;
        let (target, msg) = match step {
            RectificationStep::Report => (
                NotifyTarget::User(r.inspector_id),
                "整改已报完成，请验收 / a rectification awaits verification",
            ),
            _ => (NotifyTarget::ShiftLeadersOf(r.unit_id), "整改验收结果已出 / a rectification was checked"),
        };
        self.notify(&mut tx, org_id, None, target, kind, msg).await?;
        tx.commit().await?;
        self.rectification(org_id, id).await
    }

    /// Fires due rectification deadlines, each once: the order is marked
    /// overdue for good and the unit and the office are told.
    /// Takes one batch; returns how many deadlines it took.
    pub(crate) async fn sweep_rectification_batch(
        &self,
        report: &mut crate::cases::SweepReport,
    ) -> Result<usize> {
        let now = self.now_ms();
        let claim = self.claim_rows();
        let sql = format!(
            "SELECT id, org_id, unit_id, state, description FROM rectifications
              WHERE deadline_fired_at IS NULL AND due_at <= $1 ORDER BY due_at, id LIMIT {BATCH}{claim}"
        );
        let mut tx = self.begin().await?;
        let due: Vec<(i64, OrgId, i64, String, String)> =
            on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now).fetch_all(c).await)?;
        let mut overdue = 0;
        for (id, org_id, unit_id, state, description) in &due {
            let late = state == RectificationState::Open.as_str();
            on_tx!(&mut tx, c => sqlx::query("UPDATE rectifications SET deadline_fired_at = $1, overdue = (overdue OR $2) WHERE id = $3")
                .bind(now).bind(late).bind(id).execute(c).await.map(|_| ()))?;
            if !late {
                continue;
            }
            overdue += 1;
            self.append(
                &mut tx,
                NewEvent {
                    org_id: *org_id,
                    actor: "system",
                    kind: EventKind::RectificationOverdue,
                    subject_type: "rectification",
                    subject_id: *id,
                    payload: json!({"unit_id": unit_id}),
                    reason: "",
                },
            )
            .await?;
            let msg = format!("整改逾期未完成：{description} / a rectification is overdue");
            self.notify(
                &mut tx,
                *org_id,
                None,
                NotifyTarget::ShiftLeadersOf(*unit_id),
                EventKind::RectificationOverdue,
                &msg,
            )
            .await?;
            self.notify(
                &mut tx,
                *org_id,
                None,
                NotifyTarget::Role(Role::Office),
                EventKind::RectificationOverdue,
                &msg,
            )
            .await?;
        }
        tx.commit().await?;
        report.rectifications_overdue += overdue;
        Ok(due.len())
    }
}
