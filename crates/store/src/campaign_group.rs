//! A campaign's people and papers (SPEC CMP-1, issue 20 point 1; seed 004
//! 四、组织领导): its leading group — leader, deputies, members, the head of
//! its office, the head of its service team, people from the roster — the
//! units taking part, its basis documents (徐委办【2018】114号) and its logo.
//! Added, never edited or deleted; each addition an event.

use chuangkou_domain::events::EventKind;
use chuangkou_domain::{OrgId, StaffId, UserId};
use serde::Serialize;
use serde_json::json;

use crate::users::User;
use crate::{Result, Store, StoreError, on_read, on_tx};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct MemberRow {
    pub staff_id: StaffId,
    pub employee_no: String,
    pub name: String,
    pub role: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct FileRow {
    pub id: i64,
    /// `logo` or `basis`.
    pub kind: String,
    pub title: String,
    pub number: Option<String>,
    pub dated_on: Option<String>,
    pub content_type: String,
    pub sha256: String,
    pub uploaded_at: i64,
}

/// A file to attach, checked by the caller (an image re-encoded, a PDF).
pub struct NewFile<'a> {
    pub kind: &'static str,
    pub title: &'a str,
    pub number: Option<&'a str>,
    pub dated_on: Option<&'a str>,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
}

impl Store {
    async fn campaign_exists(&self, tx: &mut crate::Tx, org_id: OrgId, id: i64) -> Result<()> {
        let ok: Option<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM campaigns WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(id).fetch_optional(c).await)?;
        ok.map(|_| ()).ok_or(StoreError::NotFound)
    }

    /// Names a person to the campaign's leading group in a role, once.
    pub async fn add_campaign_member(
        &self,
        org_id: OrgId,
        by: &User,
        campaign_id: i64,
        staff_id: StaffId,
        role: chuangkou_domain::recognition::MemberRole,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        self.campaign_exists(&mut tx, org_id, campaign_id).await?;
        let known: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT id FROM staff WHERE org_id = $1 AND id = $2").bind(org_id).bind(staff_id).fetch_optional(c).await)?;
        known.ok_or_else(|| StoreError::field("staff_id", "没有这名员工 / no such staff member"))?;
        let n = on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO campaign_members (org_id, campaign_id, staff_id, role, created_at) VALUES ($1, $2, $3, $4, $5)
             ON CONFLICT (campaign_id, staff_id, role) DO NOTHING")
            .bind(org_id).bind(campaign_id).bind(staff_id).bind(role.as_str()).bind(self.now_ms())
            .execute(c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::refused(true, "已在领导小组中担任此职 / already named in this role"));
        }
        let payload = json!({"staff_id": staff_id, "role": role.as_str()});
        self.event_in(
            &mut tx,
            org_id,
            &by.actor(),
            EventKind::CampaignMemberAdded,
            ("campaign", campaign_id),
            payload,
            "",
        )
        .await?;
        tx.commit().await
    }

    pub async fn campaign_members(&self, org_id: OrgId, campaign_id: i64) -> Result<Vec<MemberRow>> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT m.staff_id, s.employee_no, s.name, m.role FROM campaign_members m JOIN staff s ON s.id = m.staff_id
              WHERE m.org_id = $1 AND m.campaign_id = $2 ORDER BY m.id")
            .bind(org_id).bind(campaign_id).fetch_all(c).await)?)
    }

    /// Adds a unit to those taking part, once.
    pub async fn add_campaign_unit(
        &self,
        org_id: OrgId,
        by: &User,
        campaign_id: i64,
        unit_id: i64,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        self.campaign_exists(&mut tx, org_id, campaign_id).await?;
        self.unit_in(&mut tx, org_id, unit_id, "unit_id").await?;
        let n = on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO campaign_units (org_id, campaign_id, unit_id, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (campaign_id, unit_id) DO NOTHING")
            .bind(org_id).bind(campaign_id).bind(unit_id).bind(self.now_ms())
            .execute(c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::refused(true, "该单位已参加 / the unit already takes part"));
        }
        self.event_in(
            &mut tx,
            org_id,
            &by.actor(),
            EventKind::CampaignUnitAdded,
            ("campaign", campaign_id),
            json!({"unit_id": unit_id}),
            "",
        )
        .await?;
        tx.commit().await
    }

    /// The units taking part: (id, name).
    pub async fn campaign_units(&self, org_id: OrgId, campaign_id: i64) -> Result<Vec<(i64, String)>> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT u.id, u.name FROM campaign_units cu JOIN units u ON u.id = cu.unit_id
              WHERE cu.org_id = $1 AND cu.campaign_id = $2 ORDER BY cu.id")
            .bind(org_id).bind(campaign_id).fetch_all(c).await)?)
    }

    /// Attaches a basis document or the logo; the id.
    pub async fn add_campaign_file(
        &self,
        org_id: OrgId,
        by: &User,
        campaign_id: i64,
        f: &NewFile<'_>,
    ) -> Result<i64> {
        use sha2::{Digest, Sha256};
        let title = crate::required("title", f.title, 200)?;
        let sha = hex::encode(Sha256::digest(f.bytes));
        let mut tx = self.begin().await?;
        self.campaign_exists(&mut tx, org_id, campaign_id).await?;
        let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO campaign_files (org_id, campaign_id, kind, title, number, dated_on, content_type, bytes, sha256,
                                         uploaded_by, uploaded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
            .bind(org_id).bind(campaign_id).bind(f.kind).bind(&title).bind(f.number).bind(f.dated_on)
            .bind(f.content_type).bind(f.bytes).bind(&sha).bind(by.id).bind(self.now_ms())
            .fetch_one(c).await)?;
        let payload =
            json!({"file_id": id, "kind": f.kind, "title": title, "number": f.number, "sha256": sha});
        self.event_in(
            &mut tx,
            org_id,
            &by.actor(),
            EventKind::CampaignFileAdded,
            ("campaign", campaign_id),
            payload,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn campaign_files(&self, org_id: OrgId, campaign_id: i64) -> Result<Vec<FileRow>> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT id, kind, title, number, dated_on, content_type, sha256, uploaded_at FROM campaign_files
              WHERE org_id = $1 AND campaign_id = $2 ORDER BY id")
            .bind(org_id).bind(campaign_id).fetch_all(c).await)?)
    }

    /// A file's content type and bytes.
    pub async fn campaign_file(&self, org_id: OrgId, id: i64) -> Result<(String, Vec<u8>)> {
        let row: Option<(String, Vec<u8>)> = on_read!(self, c => sqlx::query_as(
            "SELECT content_type, bytes FROM campaign_files WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(id).fetch_optional(c).await)?;
        row.ok_or(StoreError::NotFound)
    }

    /// The users of the campaign office's head(s), told of an overdue task
    /// beside the office (once, if they are of the office too: `notify_all`).
    pub(crate) async fn campaign_office_heads(
        &self,
        tx: &mut crate::Tx,
        campaign_id: i64,
    ) -> Result<Vec<UserId>> {
        Ok(on_tx!(tx, c => sqlx::query_scalar(
            "SELECT u.id FROM campaign_members m JOIN users u ON u.staff_id = m.staff_id
              WHERE m.campaign_id = $1 AND m.role = 'office_head' AND u.disabled = FALSE")
            .bind(campaign_id).fetch_all(c).await)?)
    }
}
