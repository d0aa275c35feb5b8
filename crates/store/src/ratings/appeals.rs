//! A unit's appeal against a malicious or mistaken rating, and its
//! decision (SPEC SAT-1): an upheld appeal takes the rating out of every
//! count in the decision's transaction.

use chuangkou_domain::events::EventKind;
use chuangkou_domain::satisfaction::RatingStatus;
use chuangkou_domain::{OrgId, UserId};
use serde_json::json;

use super::{Counted, Deltas, RatingAppeal};
use crate::{NewEvent, Result, Store, StoreError, Tx, on_read, on_tx};

impl Store {
    /// A unit appeals a bad rating as malicious or mistaken (SAT-1). Only a
    /// counted bad rating, once.
    pub async fn appeal_rating(
        &self,
        org_id: OrgId,
        rating_id: i64,
        user_id: UserId,
        reason: &str,
    ) -> Result<RatingAppeal> {
        let reason = crate::required("reason", reason, 1000)?;
        let mut tx = self.begin().await?;
        let lock = self.lock_rows();
        let row: Option<(i64, i64, String)> = on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT level, unit_id, status FROM ratings WHERE org_id = $1 AND id = $2{lock}")))
            .bind(org_id).bind(rating_id).fetch_optional(c).await)?;
        let (level, unit_id, status) = row.ok_or(StoreError::NotFound)?;
        if level > 2 {
            return Err(StoreError::refused(
                true,
                "只能对“不满意”及以下的评价申诉 / only bad ratings can be appealed",
            ));
        }
        if status != RatingStatus::Counted.as_str() {
            return Err(StoreError::refused(
                true,
                "这条评价已不计入，无需申诉 / this rating no longer counts",
            ));
        }
        let now = self.now_ms();
        let id: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO rating_appeals (org_id, rating_id, unit_id, reason, filed_by, filed_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (rating_id) DO NOTHING RETURNING id")
            .bind(org_id).bind(rating_id).bind(unit_id).bind(&reason).bind(user_id).bind(now).fetch_optional(c).await)?;
        let id = id.ok_or_else(|| {
            StoreError::refused(true, "这条评价已经申诉过 / this rating has already been appealed")
        })?;
        let payload = json!({ "appeal_id": id, "unit_id": unit_id });
        self.rating_event(&mut tx, org_id, user_id, EventKind::RatingAppealed, rating_id, payload, &reason)
            .await?;
        tx.commit().await?;
        self.rating_appeal(org_id, id).await
    }

    /// Decides an appeal: upheld takes the rating out of every count (its
    /// rollups go down in the same transaction); rejected leaves it counted.
    pub async fn decide_rating_appeal(
        &self,
        org_id: OrgId,
        appeal_id: i64,
        user_id: UserId,
        upheld: bool,
        note: &str,
    ) -> Result<RatingAppeal> {
        let note = crate::required("note", note, 1000)?;
        let mut tx = self.begin().await?;
        let lock = self.lock_rows();
        let row: Option<(i64, Option<String>, UserId)> = on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT rating_id, outcome, filed_by FROM rating_appeals WHERE org_id = $1 AND id = $2{lock}")))
            .bind(org_id).bind(appeal_id).fetch_optional(c).await)?;
        let (rating_id, outcome, filed_by) = row.ok_or(StoreError::NotFound)?;
        if outcome.is_some() {
            return Err(StoreError::refused(true, "这项申诉已经决定 / this appeal has been decided"));
        }
        if filed_by == user_id {
            return Err(StoreError::refused(
                false,
                "申诉人不能决定自己的申诉 / the appellant cannot decide it",
            ));
        }
        let now = self.now_ms();
        let outcome = if upheld { "upheld" } else { "rejected" };
        on_tx!(&mut tx, c => sqlx::query(
            "UPDATE rating_appeals SET outcome = $1, note = $2, decided_by = $3, decided_at = $4 WHERE id = $5")
            .bind(outcome).bind(&note).bind(user_id).bind(now).bind(appeal_id).execute(c).await.map(|r| r.rows_affected()))?;
        if upheld {
            let r: Option<Counted> = on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT id, point_id, unit_id, staff_id, level, day, case_id FROM ratings
                 WHERE org_id = $1 AND id = $2 AND status = 'counted'{lock}")))
                .bind(org_id).bind(rating_id).fetch_optional(c).await)?;
            if let Some(r) = r {
                on_tx!(&mut tx, c => sqlx::query("UPDATE ratings SET status = 'excluded' WHERE id = $1")
                    .bind(rating_id).execute(c).await.map(|r| r.rows_affected()))?;
                let mut d = Deltas::default();
                d.add(&r, -1);
                self.apply_deltas(&mut tx, org_id, d).await?;
            }
        }
        let kind = if upheld { EventKind::RatingExcluded } else { EventKind::RatingAppealRejected };
        let payload = json!({ "appeal_id": appeal_id, "outcome": outcome });
        self.rating_event(&mut tx, org_id, user_id, kind, rating_id, payload, &note).await?;
        tx.commit().await?;
        self.rating_appeal(org_id, appeal_id).await
    }

    /// An event about a rating by a signed-in user.
    #[allow(clippy::too_many_arguments)]
    async fn rating_event(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        user_id: UserId,
        kind: EventKind,
        rating_id: i64,
        payload: serde_json::Value,
        reason: &str,
    ) -> Result<()> {
        let actor = format!("user:{user_id}");
        let e = NewEvent {
            org_id,
            actor: &actor,
            kind,
            subject_type: "rating",
            subject_id: rating_id,
            payload,
            reason,
        };
        self.append(tx, e).await?;
        Ok(())
    }

    pub async fn rating_appeal(&self, org_id: OrgId, id: i64) -> Result<RatingAppeal> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT id, rating_id, unit_id, reason, filed_by, filed_at, outcome, note, decided_by, decided_at
             FROM rating_appeals WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(id).fetch_one(c).await)?)
    }

    /// Appeals waiting for a decision, oldest first.
    pub async fn open_rating_appeals(&self, org_id: OrgId) -> Result<Vec<RatingAppeal>> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT id, rating_id, unit_id, reason, filed_by, filed_at, outcome, note, decided_by, decided_at
             FROM rating_appeals WHERE org_id = $1 AND outcome IS NULL ORDER BY id LIMIT 500")
            .bind(org_id).fetch_all(c).await)?)
    }
}
