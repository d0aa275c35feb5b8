//! In-app notifications to staff and queued messages to reporters
//! (SPEC API-5). Written in the same transaction as the change they report;
//! senders outside the transaction deliver the queued messages.

use chuangkou_domain::events::EventKind;
use chuangkou_domain::{CaseId, OrgId, UserId};
use serde::Serialize;

use super::act::NotifyTarget;
use crate::{Result, Store, Tx, on_read, on_tx};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct Notification {
    pub id: i64,
    pub case_id: Option<CaseId>,
    pub kind: String,
    pub message: String,
    pub created_at: i64,
    pub read_at: Option<i64>,
}

/// The most unread notifications counted for a badge.
pub const UNREAD_COUNTED: i64 = 100;

impl Store {
    pub(crate) async fn notify(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        case_id: Option<CaseId>,
        target: NotifyTarget,
        kind: EventKind,
        message: &str,
    ) -> Result<usize> {
        self.notify_all(tx, org_id, case_id, vec![target], kind, message).await
    }

    /// Tells everyone the targets name, each person once however many of
    /// the targets they are among.
    pub(crate) async fn notify_all(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        case_id: Option<CaseId>,
        targets: Vec<NotifyTarget>,
        kind: EventKind,
        message: &str,
    ) -> Result<usize> {
        let mut users: Vec<UserId> = vec![];
        for target in targets {
            for u in self.recipients(tx, org_id, target).await? {
                if !users.contains(&u) {
                    users.push(u);
                }
            }
        }
        self.deliver(tx, org_id, case_id, users, kind, message).await
    }

    /// The users a target names.
    pub(super) async fn recipients(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        target: NotifyTarget,
    ) -> Result<Vec<UserId>> {
        Ok(match target {
            NotifyTarget::User(id) => vec![id],
            NotifyTarget::Users(ids) => ids,
            NotifyTarget::Role(role) => on_tx!(tx, c => sqlx::query_scalar(
                "SELECT id FROM users WHERE org_id = $1 AND role = $2 AND disabled = FALSE")
                .bind(org_id).bind(role.as_str()).fetch_all(c).await)?,
            NotifyTarget::ShiftLeadersOf(unit) => {
                let mut ids: Vec<UserId> = on_tx!(tx, c => sqlx::query_scalar(
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
        })
    }

    /// The notification, SMS and e-mail to each of `users`.
    pub(super) async fn deliver(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        case_id: Option<CaseId>,
        users: Vec<UserId>,
        kind: EventKind,
        message: &str,
    ) -> Result<usize> {
        if users.is_empty() {
            return Ok(0);
        }
        // Two statements however many are told (an escalation to a role
        // tells them all): the notifications, then the messages — an SMS
        // to those whose staff record has a phone (sent when the SMS
        // webhook is configured), an e-mail to those who gave an address
        // (sent when SMTP is configured). Nobody is told of a case about
        // themselves, whatever their role: the ladder passes over them
        // (seed 002 §4.1.4 anti-retaliation). Ids are integers: the list
        // is safe to splice.
        let now = self.now_ms();
        let list = crate::sql::id_list(&users);
        let not_subject =
            "NOT IN (SELECT su.id FROM users su JOIN cases k ON k.subject_staff_id = su.staff_id
                                   WHERE k.id = $2)";
        let sql = format!(
            "INSERT INTO notifications (org_id, user_id, case_id, kind, message, created_at)
             SELECT $1, id, $2, $3, $4, $5 FROM users
             WHERE org_id = $1 AND id IN ({list}) AND id {not_subject} ORDER BY id"
        );
        let told = on_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(org_id).bind(case_id).bind(kind.as_str()).bind(message).bind(now)
            .execute(c).await.map(|r| r.rows_affected()))?;
        let sql = format!(
            "INSERT INTO outbox (org_id, channel, user_id, case_id, body, created_at)
             SELECT u.org_id, 'sms', u.id, $2, $3, $4 FROM users u JOIN staff s ON s.id = u.staff_id
             WHERE u.org_id = $1 AND u.id IN ({list}) AND u.id {not_subject} AND s.phone IS NOT NULL AND s.phone <> ''
             UNION ALL
             SELECT org_id, 'email', id, $2, $3, $4 FROM users
             WHERE org_id = $1 AND id IN ({list}) AND id {not_subject} AND email IS NOT NULL AND email <> ''
             ORDER BY 3, 2 DESC"
        );
        on_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(org_id).bind(case_id).bind(message).bind(now)
            .execute(c).await.map(|r| r.rows_affected()))?;
        Ok(usize::try_from(told).unwrap_or(usize::MAX))
    }

    /// Writes many notifications at once — each row's user already
    /// chosen and filtered — with their SMS and e-mail: a multi-row insert
    /// or three per table, and one look-up of who has a phone or an
    /// address. For the sweep, which tells thousands in one transaction.
    pub(crate) async fn deliver_many(&self, tx: &mut Tx, notices: &[Notice]) -> Result<()> {
        if notices.is_empty() {
            return Ok(());
        }
        let now = self.now_ms();
        for chunk in crate::sql::few_shapes(notices, 64) {
            on_tx!(tx, c => {
                let mut q = crate::insert_values("notifications (org_id, user_id, case_id, kind, message, created_at)", chunk, |mut b, n| {
                    b.push_bind(n.org_id).push_bind(n.user_id).push_bind(n.case_id).push_bind(n.kind.as_str()).push_bind(&n.message).push_bind(now);
                }, "");
                q.build().execute(c).await.map(|r| r.rows_affected())
            })?;
        }
        let mut users: Vec<UserId> = notices.iter().map(|n| n.user_id).collect();
        users.sort_unstable();
        users.dedup();
        let sql = format!(
            "SELECT u.id, COALESCE(s.phone, '') <> '', COALESCE(u.email, '') <> ''
             FROM users u LEFT JOIN staff s ON s.id = u.staff_id WHERE u.id IN ({})",
            crate::sql::id_list(&users)
        );
        let reach: std::collections::HashMap<UserId, (bool, bool)> =
            on_tx!(tx, c => sqlx::query_as::<_, (UserId, bool, bool)>(sqlx::AssertSqlSafe(sql)).fetch_all(c).await)?
                .into_iter()
                .map(|(id, phone, email)| (id, (phone, email)))
                .collect();
        let mut messages: Vec<(&Notice, &str)> = vec![];
        for n in notices {
            let (phone, email) = reach.get(&n.user_id).copied().unwrap_or_default();
            if phone {
                messages.push((n, "sms"));
            }
            if email {
                messages.push((n, "email"));
            }
        }
        for chunk in crate::sql::few_shapes(&messages, 64) {
            on_tx!(tx, c => {
                let mut q = crate::insert_values("outbox (org_id, channel, user_id, case_id, body, created_at)", chunk, |mut b, (n, channel)| {
                    b.push_bind(n.org_id).push_bind(*channel).push_bind(n.user_id).push_bind(n.case_id).push_bind(&n.message).push_bind(now);
                }, "");
                q.build().execute(c).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(())
    }

    /// Queues an SMS to a case's reporter, if they left a phone.
    pub(crate) async fn queue_reporter_message(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        case_id: CaseId,
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

    pub async fn notifications(
        &self,
        org_id: OrgId,
        user_id: UserId,
        limit: i64,
    ) -> Result<Vec<Notification>> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT id, case_id, kind, message, created_at, read_at FROM notifications
             WHERE org_id = $1 AND user_id = $2 ORDER BY id DESC LIMIT $3")
            .bind(org_id).bind(user_id).bind(limit.clamp(1, 200)).fetch_all(c).await)?)
    }

    /// How many of a user's notifications are unread (the header's badge,
    /// on every console page), counted up to [`UNREAD_COUNTED`]: beyond
    /// that the badge says "99+". Counting them all cost a leader with a
    /// backlog of escalations 300 ms a page (2.9 M unread, SQLite).
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    pub async fn unread_notifications(&self, org_id: OrgId, user_id: UserId) -> Result<i64> {
        Ok(on_read!(self, c => sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT 1 FROM notifications
              WHERE org_id = $1 AND user_id = $2 AND read_at IS NULL LIMIT $3) u")
            .bind(org_id).bind(user_id).bind(UNREAD_COUNTED).fetch_one(c).await)?)
    }

    /// Marks all of a user's notifications read.
    pub async fn mark_notifications_read(&self, org_id: OrgId, user_id: UserId) -> Result<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => sqlx::query(
            "UPDATE notifications SET read_at = $1 WHERE org_id = $2 AND user_id = $3 AND read_at IS NULL")
            .bind(self.now_ms()).bind(org_id).bind(user_id).execute(c).await.map(|_| ()))?;
        tx.commit().await
    }

    /// Queued messages to reporters, oldest first (for senders and tests).
    pub async fn pending_messages(
        &self,
        org_id: OrgId,
    ) -> Result<Vec<(i64, Option<chuangkou_domain::CaseId>, String)>> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT id, case_id, body FROM outbox WHERE org_id = $1 AND sent_at IS NULL ORDER BY id")
            .bind(org_id).fetch_all(c).await)?)
    }
}

/// One person told of a case, for [`Store::deliver_many`].
#[derive(Debug, Clone)]
pub(crate) struct Notice {
    pub org_id: OrgId,
    pub case_id: CaseId,
    pub user_id: UserId,
    pub kind: EventKind,
    pub message: String,
}

/// A queued message with its recipient decrypted, ready for a sender.
#[derive(Debug, Clone)]
pub struct OutMessage {
    pub id: i64,
    pub channel: String,
    /// The reporter's phone (for SMS), decrypted only here, for sending.
    pub to: Option<String>,
    pub body: String,
}

/// `(id, channel, reporter_id, user_id, body)` of a claimed message.
type Claimed = (i64, String, Option<i64>, Option<i64>, String);

/// A claim older than this is taken to be from a sender that died.
const CLAIM_MS: i64 = 60_000;
/// After this many failed attempts a message is left for a person to look at.
pub const MAX_ATTEMPTS: i64 = chuangkou_domain::notify::MAX_SEND_ATTEMPTS;

impl Store {
    /// Claims up to `limit` unsent messages of `channel` (`sms`, `email`)
    /// for this sender.
    pub async fn claim_outbox(&self, channel: &str, limit: i64) -> Result<Vec<OutMessage>> {
        let now = self.now_ms();
        // Several instances send at once: on PostgreSQL each takes rows no
        // other holds (`SKIP LOCKED`), and the claim is checked again on the
        // row itself. Without both, an instance whose look-up ran before
        // another's claim committed took the same rows once it was let
        // through, and the message went out twice.
        let sql = format!(
            "UPDATE outbox SET claimed_at = $1, attempts = attempts + 1
             WHERE id IN (SELECT id FROM outbox WHERE sent_at IS NULL AND attempts < $2 AND channel = $5
                            AND (claimed_at IS NULL OR claimed_at < $3)
                            AND (retry_at IS NULL OR retry_at <= $1) ORDER BY id LIMIT $4{})
               AND sent_at IS NULL AND (claimed_at IS NULL OR claimed_at < $3)
             RETURNING id, channel, reporter_id, user_id, body",
            self.claim_rows()
        );
        let mut tx = self.begin().await?;
        let rows: Vec<Claimed> = on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(now).bind(MAX_ATTEMPTS).bind(now - CLAIM_MS).bind(limit).bind(channel).fetch_all(c).await)?;
        let mut out = Vec::with_capacity(rows.len());
        for (id, channel, reporter, user, body) in rows {
            let to = match (reporter, user) {
                (Some(r), _) => {
                    let phone: Option<Vec<u8>> = on_tx!(&mut tx, c => sqlx::query_scalar(
                        "SELECT phone_enc FROM reporters WHERE id = $1").bind(r).fetch_optional(c).await)?
                    .flatten();
                    phone.map(|p| self.decrypt(&p)).transpose()?
                }
                (None, Some(u)) if channel == "sms" => on_tx!(&mut tx, c => sqlx::query_scalar(
                    "SELECT s.phone FROM users u JOIN staff s ON s.id = u.staff_id WHERE u.id = $1")
                    .bind(u).fetch_optional(c).await)?
                .flatten(),
                (None, Some(u)) => on_tx!(&mut tx, c => sqlx::query_scalar(
                    "SELECT email FROM users WHERE id = $1").bind(u).fetch_optional(c).await)?
                .flatten(),
                (None, None) => None,
            };
            out.push(OutMessage { id, channel, to, body });
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Records the outcome of sending one claimed message.
    pub async fn outbox_result(&self, id: i64, result: std::result::Result<(), String>) -> Result<()> {
        let mut tx = self.begin().await?;
        match result {
            Ok(()) => {
                on_tx!(&mut tx, c => sqlx::query("UPDATE outbox SET sent_at = $1, last_error = NULL WHERE id = $2")
                .bind(self.now_ms()).bind(id).execute(c).await.map(|r| r.rows_affected()))?
            }
            // Release the claim, to be retried once the back-off has passed.
            Err(e) => {
                let attempts: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
                    "SELECT attempts FROM outbox WHERE id = $1").bind(id).fetch_one(c).await)?;
                let retry_at = self.now_ms() + chuangkou_domain::notify::retry_delay_ms(attempts);
                on_tx!(&mut tx, c => sqlx::query(
                    "UPDATE outbox SET claimed_at = NULL, last_error = $1, retry_at = $2 WHERE id = $3")
                .bind(e.chars().take(500).collect::<String>()).bind(retry_at).bind(id)
                .execute(c).await.map(|r| r.rows_affected()))?
            }
        };
        tx.commit().await
    }
}
