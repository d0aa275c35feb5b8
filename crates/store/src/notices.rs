//! Public notices (SPEC PUB-2): the office writes, publishes and withdraws
//! them, each step an event; the public pages, the feeds and a unit's
//! variable message sign read what is valid now.

use chuangkou_domain::events::EventKind;
use chuangkou_domain::notices::{NewNotice, NoticeState};
use chuangkou_domain::{OrgId, Permission};
use serde::Serialize;
use serde_json::json;

use crate::users::User;
use crate::{NewEvent, Result, Store, StoreError, on_read, on_tx};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct NoticeRow {
    pub id: i64,
    pub unit_id: Option<i64>,
    pub unit_name: Option<String>,
    pub kind: String,
    pub title: String,
    pub body: String,
    pub area: Option<String>,
    pub valid_from: i64,
    pub valid_until: i64,
    pub state: String,
    pub created_at: i64,
    pub published_at: Option<i64>,
    pub withdrawn_at: Option<i64>,
    pub expired_at: Option<i64>,
}

const SELECT: &str = "SELECT n.id, n.unit_id, u.name AS unit_name, n.kind, n.title, n.body, n.area,
    n.valid_from, n.valid_until, n.state, n.created_at, n.published_at, n.withdrawn_at, n.expired_at
    FROM notices n LEFT JOIN units u ON u.id = n.unit_id";

fn may_publish(by: &User) -> Result<()> {
    if by.role().can(Permission::PublishNotices) {
        Ok(())
    } else {
        Err(StoreError::refused(false, "只有办公室可以发布公告 / only the office publishes notices"))
    }
}

impl Store {
    /// Writes a notice as a draft, and publishes it at once when `publish`.
    pub async fn create_notice(&self, org_id: OrgId, by: &User, n: &NewNotice, publish: bool) -> Result<i64> {
        may_publish(by)?;
        let mut tx = self.begin().await?;
        if let Some(u) = n.unit_id {
            self.unit_in(&mut tx, org_id, u, "unit_id").await?;
        }
        let now = self.now_ms();
        let state = if publish { NoticeState::Published } else { NoticeState::Draft };
        let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO notices (org_id, unit_id, kind, title, body, area, valid_from, valid_until, state,
                                  created_by, created_at, published_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id")
            .bind(org_id).bind(n.unit_id).bind(n.kind.as_str()).bind(&n.title).bind(&n.body).bind(&n.area)
            .bind(n.valid_from).bind(n.valid_until).bind(state.as_str()).bind(by.id).bind(now)
            .bind(publish.then_some(now))
            .fetch_one(c).await)?;
        let payload = json!({"kind": n.kind.as_str(), "title": n.title, "unit_id": n.unit_id,
            "valid_from": n.valid_from, "valid_until": n.valid_until});
        self.event_in(
            &mut tx,
            org_id,
            &by.actor(),
            EventKind::NoticeDrafted,
            ("notice", id),
            payload.clone(),
            "",
        )
        .await?;
        if publish {
            self.event_in(
                &mut tx,
                org_id,
                &by.actor(),
                EventKind::NoticePublished,
                ("notice", id),
                payload,
                "",
            )
            .await?;
        }
        tx.commit().await?;
        Ok(id)
    }

    /// Publishes a draft.
    pub async fn publish_notice(&self, org_id: OrgId, by: &User, id: i64) -> Result<NoticeRow> {
        self.move_notice(org_id, by, id, NoticeState::Published, "").await
    }

    /// Withdraws a draft or a published notice, with the reason.
    pub async fn withdraw_notice(
        &self,
        org_id: OrgId,
        by: &User,
        id: i64,
        reason: &str,
    ) -> Result<NoticeRow> {
        let reason = crate::required("reason", reason, 500)?;
        self.move_notice(org_id, by, id, NoticeState::Withdrawn, &reason).await
    }

    async fn move_notice(
        &self,
        org_id: OrgId,
        by: &User,
        id: i64,
        to: NoticeState,
        reason: &str,
    ) -> Result<NoticeRow> {
        may_publish(by)?;
        let mut tx = self.begin().await?;
        let state: Option<String> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT state FROM notices WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(id).fetch_optional(c).await)?;
        let from = state.ok_or(StoreError::NotFound)?;
        if !NoticeState::parse(&from).is_some_and(|f| f.may_move_to(to)) {
            return Err(StoreError::refused(
                true,
                format!("公告当前为「{from}」，不能这样操作 / the notice is {from}: not possible now"),
            ));
        }
        let now = self.now_ms();
        let (column, kind) = match to {
            NoticeState::Published => ("published_at", EventKind::NoticePublished),
            _ => ("withdrawn_at", EventKind::NoticeWithdrawn),
        };
        let sql = format!("UPDATE notices SET state = $1, {column} = $2 WHERE org_id = $3 AND id = $4");
        on_tx!(&mut tx, c => sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(to.as_str()).bind(now).bind(org_id).bind(id).execute(c).await.map(|_| ()))?;
        self.event_in(&mut tx, org_id, &by.actor(), kind, ("notice", id), json!({"from": from}), reason)
            .await?;
        tx.commit().await?;
        self.notice(org_id, id).await
    }

    /// Expires published notices whose window has ended, a batch at a
    /// time, each with its `notice.expired` event (the sweep's clock, like
    /// a case's deadline). Returns how many it expired in this batch.
    pub(crate) async fn sweep_notice_batch(&self) -> Result<usize> {
        let now = self.now_ms();
        let claim = self.claim_rows();
        let sql = format!(
            "SELECT id, org_id, valid_until FROM notices WHERE state = 'published' AND valid_until <= $1
              ORDER BY valid_until, id LIMIT {}{claim}",
            crate::cases::BATCH
        );
        let mut tx = self.begin().await?;
        let due: Vec<(i64, OrgId, i64)> =
            on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(now).fetch_all(c).await)?;
        for (id, org_id, until) in &due {
            on_tx!(&mut tx, c => sqlx::query("UPDATE notices SET state = 'expired', expired_at = $1 WHERE id = $2")
                .bind(now).bind(id).execute(c).await.map(|_| ()))?;
            let payload = json!({"valid_until": until});
            let event = NewEvent {
                org_id: *org_id,
                actor: "system",
                kind: EventKind::NoticeExpired,
                subject_type: "notice",
                subject_id: *id,
                payload,
                reason: "",
            };
            self.append(&mut tx, event).await?;
        }
        tx.commit().await?;
        Ok(due.len())
    }

    pub async fn notice(&self, org_id: OrgId, id: i64) -> Result<NoticeRow> {
        let sql = format!("{SELECT} WHERE n.org_id = $1 AND n.id = $2");
        let row: Option<NoticeRow> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(id).fetch_optional(c).await)?;
        row.ok_or(StoreError::NotFound)
    }

    /// Every notice of the organisation, newest first (the office's list).
    pub async fn notices(&self, org_id: OrgId) -> Result<Vec<NoticeRow>> {
        let sql = format!("{SELECT} WHERE n.org_id = $1 ORDER BY n.id DESC LIMIT 500");
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).fetch_all(c).await)?)
    }

    /// What the public sees at `now`: published notices within their
    /// window, newest first; with `unit_id`, those of the whole
    /// organisation, of that unit and of every unit above it (a station's
    /// notice reaches its teams' service points and signs), else all.
    pub async fn public_notices(
        &self,
        org_id: OrgId,
        unit_id: Option<i64>,
        now: i64,
    ) -> Result<Vec<NoticeRow>> {
        let sql = format!(
            "WITH RECURSIVE up(id, parent_id) AS (
                 SELECT id, parent_id FROM units WHERE org_id = $1 AND id = $3
                 UNION SELECT u.id, u.parent_id FROM units u JOIN up ON u.id = up.parent_id)
             {SELECT} WHERE n.org_id = $1 AND n.state = 'published' AND n.valid_from <= $2 AND n.valid_until > $2
               AND ($3 = 0 OR n.unit_id IS NULL OR n.unit_id IN (SELECT id FROM up))
             ORDER BY n.valid_from DESC, n.id DESC LIMIT 100"
        );
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(now).bind(unit_id.unwrap_or(0)).fetch_all(c).await)?)
    }
}
