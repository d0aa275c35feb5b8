//! Supervisors' written reports 书面反映 and the leading group's decision
//! on each (SPEC INS-4).

use chuangkou_domain::events::EventKind;
use chuangkou_domain::inspections::ReportOutcome;
use chuangkou_domain::{OrgId, Permission, Role, UserId};
use serde_json::json;

use super::ReportRow;
use crate::cases::NotifyTarget;
use crate::users::User;
use crate::{NewEvent, Result, Store, StoreError, on_read, on_tx};

impl Store {
    /// A supervisor's written report to the leading group (INS-4).
    pub async fn submit_report(
        &self,
        org_id: OrgId,
        by: &User,
        unit_id: Option<i64>,
        title: &str,
        findings: &str,
        proposals: &str,
    ) -> Result<i64> {
        if !by.role().can(Permission::SubmitReports) {
            return Err(StoreError::refused(
                false,
                "只有监督员和办公室可以提交书面反映 / only supervisors and the office submit reports",
            ));
        }
        let title = crate::required("title", title, 200)?;
        let findings = crate::required("findings", findings, 8000)?;
        let proposals = proposals.trim().to_string();
        let mut tx = self.begin().await?;
        if let Some(u) = unit_id {
            self.unit_in(&mut tx, org_id, u, "unit_id").await?;
        }
        let now = self.now_ms();
        let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO written_reports (org_id, author_id, unit_id, title, findings, proposals, submitted_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
            .bind(org_id).bind(by.id).bind(unit_id).bind(&title).bind(&findings).bind(&proposals).bind(now)
            .fetch_one(c).await)?;
        let actor = by.actor();
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind: EventKind::ReportSubmitted,
                subject_type: "written_report",
                subject_id: id,
                payload: json!({"title": title, "unit_id": unit_id}),
                reason: "",
            },
        )
        .await?;
        self.notify(
            &mut tx,
            org_id,
            None,
            NotifyTarget::Role(Role::Leader),
            EventKind::ReportSubmitted,
            &format!("监督员书面反映待研究决定：{title} / a written report awaits a decision"),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn reports(&self, org_id: OrgId, author_id: Option<UserId>) -> Result<Vec<ReportRow>> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT r.id, r.author_id, u.display_name AS author_name, r.unit_id, r.title, r.findings, r.proposals,
                    r.submitted_at, r.outcome, r.decision, r.decided_at
               FROM written_reports r JOIN users u ON u.id = r.author_id
              WHERE r.org_id = $1 AND ($2 IS NULL OR r.author_id = $2) ORDER BY r.id DESC LIMIT 200")
            .bind(org_id).bind(author_id).fetch_all(c).await)?)
    }

    /// The leading group records its decision on a written report.
    pub async fn decide_report(
        &self,
        org_id: OrgId,
        by: &User,
        id: i64,
        outcome: ReportOutcome,
        decision: &str,
    ) -> Result<()> {
        if !by.role().can(Permission::DecideReports) {
            return Err(StoreError::refused(
                false,
                "书面反映由领导小组研究决定 / the leading group decides reports",
            ));
        }
        let decision = crate::required("decision", decision, 4000)?;
        let mut tx = self.begin().await?;
        let now = self.now_ms();
        let n = on_tx!(&mut tx, c => sqlx::query(
            "UPDATE written_reports SET outcome = $1, decision = $2, decided_by = $3, decided_at = $4
              WHERE org_id = $5 AND id = $6 AND decided_at IS NULL")
            .bind(outcome.as_str()).bind(&decision).bind(by.id).bind(now).bind(org_id).bind(id)
            .execute(c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            let author: Option<UserId> = on_tx!(&mut tx, c => sqlx::query_scalar("SELECT author_id FROM written_reports WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(id).fetch_optional(c).await)?;
            return Err(match author {
                None => StoreError::NotFound,
                Some(_) => StoreError::refused(true, "该书面反映已有决定 / the report has been decided"),
            });
        }
        let author: UserId = on_tx!(&mut tx, c => sqlx::query_scalar("SELECT author_id FROM written_reports WHERE id = $1")
            .bind(id).fetch_one(c).await)?;
        let actor = by.actor();
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind: EventKind::ReportDecided,
                subject_type: "written_report",
                subject_id: id,
                payload: json!({"outcome": outcome.as_str()}),
                reason: &decision,
            },
        )
        .await?;
        self.notify(
            &mut tx,
            org_id,
            None,
            NotifyTarget::User(author),
            EventKind::ReportDecided,
            &format!("您的书面反映已有决定：{} / your report was decided", outcome.label_zh()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
