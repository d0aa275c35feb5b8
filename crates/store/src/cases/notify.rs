//! In-app notifications to staff and queued messages to reporters
//! (SPEC API-5). Written in the same transaction as the change they report;
//! senders outside the transaction deliver the queued messages.

use serde::Serialize;

use super::act::NotifyTarget;
use crate::{Result, Store, Tx, on_read, on_tx};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Notification {
    pub id: i64,
    pub case_id: Option<i64>,
    pub kind: String,
    pub message: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

impl Store {
    pub(crate) async fn notify(
        &self,
        tx: &mut Tx,
        org_id: i64,
        case_id: i64,
        target: NotifyTarget,
        kind: &str,
        message: &str,
    ) -> Result<usize> {
        let users: Vec<i64> = match target {
            NotifyTarget::User(id) => vec![id],
            NotifyTarget::Role(role) => on_tx!(tx, c => sqlx::query_scalar(
                "SELECT id FROM users WHERE org_id = $1 AND role = $2 AND disabled = FALSE")
                .bind(org_id).bind(role.as_str()).fetch_all(c).await)?,
            NotifyTarget::ShiftLeadersOf(unit) => {
                let mut ids: Vec<i64> = on_tx!(tx, c => sqlx::query_scalar(
                    "SELECT u.id FROM users u JOIN staff s ON s.id = u.staff_id JOIN units un ON un.id = $2
                     WHERE u.org_id = $1 AND u.role = 'shift_leader' AND u.disabled = FALSE
                       AND (s.unit_id = un.id OR s.unit_id = un.parent_id)")
                    .bind(org_id).bind(unit).fetch_all(c).await)?;
                if ids.is_empty() {
                    // No shift leader is linked to this unit: tell them all
                    // rather than nobody.
                    ids = on_tx!(tx, c => sqlx::query_scalar(
                        "SELECT id FROM users WHERE org_id = $1 AND role = 'shift_leader' AND disabled = FALSE")
                        .bind(org_id).fetch_all(c).await)?;
                }
                ids
            }
        };
        let now = self.now_ms();
        for user in &users {
            on_tx!(tx, c => sqlx::query(
                "INSERT INTO notifications (org_id, user_id, case_id, kind, message, created_at) VALUES ($1, $2, $3, $4, $5, $6)")
                .bind(org_id).bind(user).bind(case_id).bind(kind).bind(message).bind(now)
                .execute(c).await.map(|r| r.rows_affected()))?;
        }
        Ok(users.len())
    }

    /// Queues an SMS to a case's reporter, if they left a phone.
    pub(crate) async fn queue_reporter_message(
        &self,
        tx: &mut Tx,
        org_id: i64,
        case_id: i64,
        body: &str,
    ) -> Result<()> {
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO outbox (org_id, channel, reporter_id, case_id, body, created_at)
             SELECT org_id, 'sms', reporter_id, id, $3, $4 FROM cases
             WHERE org_id = $1 AND id = $2 AND reporter_id IS NOT NULL")
            .bind(org_id).bind(case_id).bind(body).bind(self.now_ms())
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub async fn notifications(&self, org_id: i64, user_id: i64, limit: i64) -> Result<Vec<Notification>> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT id, case_id, kind, message, created_at, read_at FROM notifications
             WHERE org_id = $1 AND user_id = $2 ORDER BY id DESC LIMIT $3")
            .bind(org_id).bind(user_id).bind(limit.clamp(1, 200)).fetch_all(c).await)?)
    }

    /// Queued messages to reporters, oldest first (for senders and tests).
    pub async fn pending_messages(&self, org_id: i64) -> Result<Vec<(i64, i64, String)>> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT id, case_id, body FROM outbox WHERE org_id = $1 AND sent_at IS NULL ORDER BY id")
            .bind(org_id).fetch_all(c).await)?)
    }
}
