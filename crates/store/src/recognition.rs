//! Recognition and publicity in storage (SPEC CMP-1/2, issue 20 point 4):
//! certificates 荣誉证书 for the awards of a closed period and for campaign
//! honours, each once, with a serial anyone may verify and the award's
//! reward booked for finance; the typical cases 典型案例 the office writes
//! about records, kept free of any reporter's name or phone; the media log
//! of a campaign's publicity. Nothing is edited or deleted.

use chuangkou_domain::events::EventKind;
use chuangkou_domain::policy::Award;
use chuangkou_domain::{Fen, OrgId, StaffId};
use serde::Serialize;
use serde_json::json;

use crate::users::User;
use crate::{Result, Store, StoreError, on_read, on_tx, random_token};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct CertificateRow {
    pub id: i64,
    pub serial: String,
    /// `award` (a month's), `annual_award` or `campaign`.
    pub source: String,
    pub award_code: String,
    pub award_title: String,
    /// `YYYY-MM`, `YYYY`, or the campaign's year.
    pub period: String,
    pub staff_id: Option<StaffId>,
    pub unit_id: Option<i64>,
    pub recipient: String,
    pub campaign_id: Option<i64>,
    #[sqlx(try_from = "i64")]
    pub reward_fen: Fen,
    pub paid_at: Option<i64>,
    pub receipt_no: Option<String>,
    pub issued_at: i64,
}

/// A certificate about to be issued.
#[derive(Debug, Clone)]
pub struct NewCertificate {
    pub source: &'static str,
    pub award_code: String,
    pub award_title: String,
    pub period: String,
    pub staff_id: Option<StaffId>,
    pub unit_id: Option<i64>,
    pub recipient: String,
    pub campaign_id: Option<i64>,
    pub reward_fen: Fen,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct TypicalCaseRow {
    pub id: i64,
    pub kind: String,
    pub title: String,
    pub story: String,
    pub unit_id: Option<i64>,
    pub happened_on: String,
    pub source_type: Option<String>,
    pub source_id: Option<i64>,
    pub campaign_id: Option<i64>,
    pub published_at: Option<i64>,
    pub withdrawn_at: Option<i64>,
    pub created_at: i64,
}

/// A typical case as the office wrote it, checked by the domain.
#[derive(Debug, Clone)]
pub struct NewTypicalCase {
    pub kind: String,
    pub title: String,
    pub story: String,
    pub unit_id: Option<i64>,
    pub happened_on: String,
    /// `case`, `ledger_entry` or `campaign_task`, with its id.
    pub source: Option<(String, i64)>,
    pub campaign_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct MediaRow {
    pub id: i64,
    pub campaign_id: Option<i64>,
    pub outlet: String,
    pub published_on: String,
    pub title: String,
    pub link: Option<String>,
    pub created_at: i64,
}

/// A reporter's sealed name and phone.
type Sealed = (Option<Vec<u8>>, Option<Vec<u8>>);

const CERTIFICATES: &str =
    "SELECT id, serial, source, award_code, award_title, period, staff_id, unit_id, recipient,
    campaign_id, reward_fen, paid_at, receipt_no, issued_at FROM certificates";
const TYPICAL: &str =
    "SELECT id, kind, title, story, unit_id, happened_on, source_type, source_id, campaign_id,
    published_at, withdrawn_at, created_at FROM typical_cases";

impl Store {
    /// Issues the certificates of a closed period's awards (`YYYY-MM` or
    /// `YYYY`), one per winner, each once: issuing again adds only what is
    /// missing. `awards` are the pack's, for their rewards. Returns the ids
    /// added.
    pub async fn issue_period_certificates(
        &self,
        org_id: OrgId,
        by: &User,
        period: &str,
        awards: &[Award],
    ) -> Result<Vec<i64>> {
        let Some((_, _, results)) = self.frozen(org_id, period).await? else {
            return Err(StoreError::refused(
                true,
                format!("{period} 尚未关账，不能颁发证书 / the period is not closed yet"),
            ));
        };
        let source = if period.len() == 4 { "annual_award" } else { "award" };
        let mut list = vec![];
        for a in &results.awards {
            let reward_fen = awards.iter().find(|x| x.code == a.code).map_or(Fen::ZERO, |x| x.reward_fen);
            let team = a.level == chuangkou_domain::policy::AwardLevel::Team;
            for (id, name, _) in &a.winners {
                list.push(NewCertificate {
                    source,
                    award_code: a.code.clone(),
                    award_title: a.title.clone(),
                    period: period.to_string(),
                    staff_id: (!team).then_some(StaffId::new(*id)),
                    unit_id: team.then_some(*id),
                    recipient: name.clone(),
                    campaign_id: None,
                    reward_fen,
                });
            }
        }
        self.issue_certificates(org_id, by, &list).await
    }

    /// Issues certificates, each once (the same award, period and
    /// recipient again is skipped); the ids added.
    pub async fn issue_certificates(
        &self,
        org_id: OrgId,
        by: &User,
        list: &[NewCertificate],
    ) -> Result<Vec<i64>> {
        let code = self.organisation(org_id).await?.code;
        let mut tx = self.begin().await?;
        let now = self.now_ms();
        let mut added = vec![];
        for c in list {
            if c.staff_id.is_some() && c.staff_id == by.staff_id {
                return Err(StoreError::refused(
                    false,
                    "不能给本人颁发证书 / nobody issues their own certificate",
                ));
            }
            let serial = format!("{code}-{}-{}", c.period.replace('-', ""), random_token(6).to_uppercase());
            let id: Option<i64> = on_tx!(&mut tx, x => sqlx::query_scalar(
                "INSERT INTO certificates (org_id, serial, source, award_code, award_title, period, staff_id, unit_id,
                                           recipient, campaign_id, reward_fen, issued_by, issued_at)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                 ON CONFLICT (org_id, source, award_code, period, recipient) DO NOTHING RETURNING id")
                .bind(org_id).bind(&serial).bind(c.source).bind(&c.award_code).bind(&c.award_title).bind(&c.period)
                .bind(c.staff_id).bind(c.unit_id).bind(&c.recipient).bind(c.campaign_id).bind(c.reward_fen.fen())
                .bind(by.id).bind(now).fetch_optional(x).await)?;
            let Some(id) = id else { continue };
            let payload = json!({"serial": serial, "award": c.award_code, "period": c.period, "staff_id": c.staff_id,
                "unit_id": c.unit_id, "reward_fen": c.reward_fen, "campaign_id": c.campaign_id});
            self.event_in(
                &mut tx,
                org_id,
                &by.actor(),
                EventKind::CertificateIssued,
                ("certificate", id),
                payload,
                "",
            )
            .await?;
            added.push(id);
        }
        tx.commit().await?;
        Ok(added)
    }

    pub async fn certificates(&self, org_id: OrgId) -> Result<Vec<CertificateRow>> {
        let sql = format!("{CERTIFICATES} WHERE org_id = $1 ORDER BY issued_at DESC, id DESC LIMIT 2000");
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).fetch_all(c).await)?)
    }

    pub async fn certificate(&self, org_id: OrgId, id: i64) -> Result<CertificateRow> {
        let sql = format!("{CERTIFICATES} WHERE org_id = $1 AND id = $2");
        let row: Option<CertificateRow> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(id).fetch_optional(c).await)?;
        row.ok_or(StoreError::NotFound)
    }

    /// A certificate by its serial, in any organisation, with the
    /// organisation's id: what the verify page shows.
    pub async fn certificate_by_serial(&self, serial: &str) -> Result<(OrgId, CertificateRow)> {
        let org: Option<OrgId> = on_read!(self, c => sqlx::query_scalar(
            "SELECT org_id FROM certificates WHERE serial = $1").bind(serial).fetch_optional(c).await)?;
        let org = org.ok_or(StoreError::NotFound)?;
        let sql = format!("{CERTIFICATES} WHERE org_id = $1 AND serial = $2");
        let row: CertificateRow = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org).bind(serial).fetch_one(c).await)?;
        Ok((org, row))
    }

    /// Finance marks a certificate's reward paid, once, with its receipt;
    /// never their own.
    pub async fn pay_reward(
        &self,
        org_id: OrgId,
        by: &User,
        id: i64,
        receipt_no: &str,
    ) -> Result<CertificateRow> {
        let receipt = crate::required("receipt_no", receipt_no, 60)?;
        let c = self.certificate(org_id, id).await?;
        if c.staff_id.is_some() && c.staff_id == by.staff_id {
            return Err(StoreError::refused(false, "不能给本人发放奖励 / nobody pays their own reward"));
        }
        if c.reward_fen.is_zero() {
            return Err(StoreError::refused(true, "该证书没有奖金 / this certificate carries no reward"));
        }
        let mut tx = self.begin().await?;
        let n = on_tx!(&mut tx, x => sqlx::query(
            "UPDATE certificates SET paid_at = $1, paid_by = $2, receipt_no = $3 WHERE org_id = $4 AND id = $5 AND paid_at IS NULL")
            .bind(self.now_ms()).bind(by.id).bind(&receipt).bind(org_id).bind(id)
            .execute(x).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::refused(true, "奖金已发放 / the reward is already paid"));
        }
        let payload = json!({"reward_fen": c.reward_fen, "receipt_no": receipt});
        self.event_in(&mut tx, org_id, &by.actor(), EventKind::RewardPaid, ("certificate", id), payload, "")
            .await?;
        self.changed(&mut tx, org_id, "certificates", id).await?;
        tx.commit().await?;
        self.certificate(org_id, id).await
    }

    /// Records a typical case. When it is about a case, its story and title
    /// must not name the reporter nor give their phone — checked here
    /// against the sealed reporter data, without revealing it to anyone.
    pub async fn create_typical_case(&self, org_id: OrgId, by: &User, t: &NewTypicalCase) -> Result<i64> {
        let mut tx = self.begin().await?;
        if let Some(u) = t.unit_id {
            self.unit_in(&mut tx, org_id, u, "unit_id").await?;
        }
        if let Some(c) = t.campaign_id {
            let ok: Option<i64> = on_tx!(&mut tx, x => sqlx::query_scalar(
                "SELECT id FROM campaigns WHERE org_id = $1 AND id = $2").bind(org_id).bind(c).fetch_optional(x).await)?;
            ok.ok_or_else(|| StoreError::field("campaign_id", "没有这个活动 / no such campaign"))?;
        }
        if let Some((kind, id)) = &t.source {
            let table = match kind.as_str() {
                "case" => "cases",
                "ledger_entry" => "ledger_entries",
                "campaign_task" => "campaign_tasks",
                _ => return Err(StoreError::field("source_type", "未知来源 / unknown source")),
            };
            let sql = format!("SELECT id FROM {table} WHERE org_id = $1 AND id = $2");
            let found: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
                .bind(org_id).bind(id).fetch_optional(c).await)?;
            found.ok_or_else(|| StoreError::field("source_id", "没有这条记录 / no such record"))?;
            if kind == "case" {
                let sealed: Option<Sealed> = on_tx!(&mut tx, c => sqlx::query_as(
                    "SELECT r.name_enc, r.phone_enc FROM cases k JOIN reporters r ON r.id = k.reporter_id
                     WHERE k.org_id = $1 AND k.id = $2").bind(org_id).bind(id).fetch_optional(c).await)?;
                if let Some((name, phone)) = sealed {
                    let name = name.map(|b| self.decrypt(&b)).transpose()?;
                    let phone = phone.map(|b| self.decrypt(&b)).transpose()?;
                    let text = format!("{}\n{}", t.title, t.story);
                    if chuangkou_domain::text::names_reporter(&text, name.as_deref(), phone.as_deref()) {
                        return Err(StoreError::field(
                            "story",
                            "典型案例不得出现反映人的姓名或电话 / a typical case never names the reporter nor gives their phone",
                        ));
                    }
                }
            }
        }
        let source_type = t.source.as_ref().map(|s| s.0.clone());
        let source_id = t.source.as_ref().map(|s| s.1);
        let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO typical_cases (org_id, kind, title, story, unit_id, happened_on, source_type, source_id,
                                        campaign_id, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id")
            .bind(org_id).bind(&t.kind).bind(&t.title).bind(&t.story).bind(t.unit_id).bind(&t.happened_on)
            .bind(&source_type).bind(source_id).bind(t.campaign_id).bind(by.id).bind(self.now_ms())
            .fetch_one(c).await)?;
        let payload =
            json!({"kind": t.kind, "title": t.title, "source_type": source_type, "source_id": source_id});
        self.event_in(
            &mut tx,
            org_id,
            &by.actor(),
            EventKind::TypicalCaseWritten,
            ("typical_case", id),
            payload,
            "",
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Publishes (`true`) or withdraws a typical case, each once.
    pub async fn publish_typical_case(&self, org_id: OrgId, by: &User, id: i64, publish: bool) -> Result<()> {
        let mut tx = self.begin().await?;
        let sql = if publish {
            "UPDATE typical_cases SET published_at = $1 WHERE org_id = $2 AND id = $3 AND published_at IS NULL"
        } else {
            "UPDATE typical_cases SET withdrawn_at = $1 WHERE org_id = $2 AND id = $3
               AND published_at IS NOT NULL AND withdrawn_at IS NULL"
        };
        let n = on_tx!(&mut tx, c => sqlx::query(sql).bind(self.now_ms()).bind(org_id).bind(id)
            .execute(c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            let exists: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
                "SELECT id FROM typical_cases WHERE org_id = $1 AND id = $2").bind(org_id).bind(id).fetch_optional(c).await)?;
            exists.ok_or(StoreError::NotFound)?;
            return Err(StoreError::refused(true, "当前状态不能这样做 / not possible now"));
        }
        let kind = if publish { EventKind::TypicalCasePublished } else { EventKind::TypicalCaseWithdrawn };
        self.event_in(&mut tx, org_id, &by.actor(), kind, ("typical_case", id), json!({}), "").await?;
        tx.commit().await?;
        Ok(())
    }

    /// Typical cases, newest first; only the published ones still up when
    /// `public`.
    pub async fn typical_cases(&self, org_id: OrgId, public: bool) -> Result<Vec<TypicalCaseRow>> {
        let filter = if public { " AND published_at IS NOT NULL AND withdrawn_at IS NULL" } else { "" };
        let sql = format!("{TYPICAL} WHERE org_id = $1{filter} ORDER BY happened_on DESC, id DESC LIMIT 200");
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).fetch_all(c).await)?)
    }

    pub async fn add_media_item(
        &self,
        org_id: OrgId,
        by: &User,
        campaign_id: Option<i64>,
        (outlet, published_on, title, link): (&str, &str, &str, Option<&str>),
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        if let Some(c) = campaign_id {
            let ok: Option<i64> = on_tx!(&mut tx, x => sqlx::query_scalar(
                "SELECT id FROM campaigns WHERE org_id = $1 AND id = $2").bind(org_id).bind(c).fetch_optional(x).await)?;
            ok.ok_or_else(|| StoreError::field("campaign_id", "没有这个活动 / no such campaign"))?;
        }
        let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO media_items (org_id, campaign_id, outlet, published_on, title, link, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
            .bind(org_id).bind(campaign_id).bind(outlet).bind(published_on).bind(title).bind(link)
            .bind(by.id).bind(self.now_ms()).fetch_one(c).await)?;
        let payload = json!({"outlet": outlet, "published_on": published_on, "title": title, "campaign_id": campaign_id});
        self.event_in(&mut tx, org_id, &by.actor(), EventKind::MediaLogged, ("media_item", id), payload, "")
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn media_items(&self, org_id: OrgId) -> Result<Vec<MediaRow>> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT id, campaign_id, outlet, published_on, title, link, created_at FROM media_items
              WHERE org_id = $1 ORDER BY published_on DESC, id DESC LIMIT 200")
            .bind(org_id).fetch_all(c).await)?)
    }
}
