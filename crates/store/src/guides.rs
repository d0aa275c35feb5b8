//! Service guides and one-time notification (SPEC PUB-3): the office keeps
//! a guide per matter; a desk notifies a case's missing materials in
//! writing, and a later notification of the same case and matter that asks
//! for anything new is flagged to the office.

use chuangkou_domain::events::EventKind;
use chuangkou_domain::guides::{Material, NewGuide, asked_again};
use chuangkou_domain::{CaseId, OrgId, Permission, Role};
use serde::Serialize;
use serde_json::json;

use crate::cases::NotifyTarget;
use crate::users::User;
use crate::{NewEvent, Result, Store, StoreError, on_read, on_tx};

#[derive(Debug, Clone, Serialize)]
pub struct Guide {
    pub id: i64,
    pub code: String,
    pub title: String,
    pub basis: String,
    pub track: Option<String>,
    pub steps: Vec<String>,
    pub materials: Vec<Material>,
    pub fees: String,
    pub place: String,
    pub refusals: Vec<String>,
    pub updated_at: i64,
}

type GuideRow = (i64, String, String, String, Option<String>, String, String, String, String, String, i64);

const SELECT: &str =
    "SELECT id, code, title, basis, track, steps, materials, fees, place, refusals, updated_at
    FROM guides";

fn guide(r: GuideRow) -> Guide {
    let (id, code, title, basis, track, steps, materials, fees, place, refusals, updated_at) = r;
    Guide {
        id,
        code,
        title,
        basis,
        track,
        steps: serde_json::from_str(&steps).unwrap_or_default(),
        materials: serde_json::from_str(&materials).unwrap_or_default(),
        fees,
        place,
        refusals: serde_json::from_str(&refusals).unwrap_or_default(),
        updated_at,
    }
}

/// A written one-time notification of a case.
#[derive(Debug, Clone, Serialize)]
pub struct OneTimeNotice {
    pub id: i64,
    pub case_id: CaseId,
    pub guide_id: i64,
    pub missing: Vec<String>,
    /// What it asked for that an earlier notification did not.
    pub asked_again: Vec<String>,
    pub created_at: i64,
}

impl Store {
    /// Writes a guide, new or a new version of the one with its code.
    pub async fn save_guide(&self, org_id: OrgId, by: &User, g: &NewGuide) -> Result<Guide> {
        if !by.role().can(Permission::PublishNotices) {
            return Err(StoreError::refused(
                false,
                "只有办公室可以编写办事指南 / only the office writes guides",
            ));
        }
        let now = self.now_ms();
        let (steps, materials, refusals) =
            (json!(g.steps).to_string(), json!(g.materials).to_string(), json!(g.refusals).to_string());
        let mut tx = self.begin().await?;
        let existing: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT id FROM guides WHERE org_id = $1 AND code = $2")
            .bind(org_id).bind(&g.code).fetch_optional(c).await)?;
        let id = match existing {
            Some(id) => {
                on_tx!(&mut tx, c => sqlx::query(
                    "UPDATE guides SET title = $1, basis = $2, track = $3, steps = $4, materials = $5, fees = $6,
                            place = $7, refusals = $8, updated_at = $9, updated_by = $10, retired_at = NULL
                     WHERE id = $11")
                    .bind(&g.title).bind(&g.basis).bind(&g.track).bind(&steps).bind(&materials).bind(&g.fees)
                    .bind(&g.place).bind(&refusals).bind(now).bind(by.id).bind(id)
                    .execute(c).await.map(|_| ()))?;
                id
            }
            None => on_tx!(&mut tx, c => sqlx::query_scalar(
                "INSERT INTO guides (org_id, code, title, basis, track, steps, materials, fees, place, refusals,
                                     updated_at, updated_by)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id")
                .bind(org_id).bind(&g.code).bind(&g.title).bind(&g.basis).bind(&g.track).bind(&steps)
                .bind(&materials).bind(&g.fees).bind(&g.place).bind(&refusals).bind(now).bind(by.id)
                .fetch_one(c).await)?,
        };
        let actor = by.actor();
        // The whole version is in the chain: what the public was told, when.
        let payload = json!({"code": g.code, "title": g.title, "basis": g.basis, "track": g.track,
            "steps": g.steps, "materials": g.materials, "fees": g.fees, "place": g.place, "refusals": g.refusals});
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind: EventKind::GuideSaved,
                subject_type: "guide",
                subject_id: id,
                payload,
                reason: "",
            },
        )
        .await?;
        tx.commit().await?;
        self.guide(org_id, &g.code).await
    }

    /// The guide with this code, in use.
    pub async fn guide(&self, org_id: OrgId, code: &str) -> Result<Guide> {
        let sql = format!("{SELECT} WHERE org_id = $1 AND code = $2 AND retired_at IS NULL");
        let row: Option<GuideRow> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(code).fetch_optional(c).await)?;
        row.map(guide).ok_or(StoreError::NotFound)
    }

    /// The guides in use, by title; with `q`, those whose title, basis or
    /// materials contain it (two Chinese characters find a matter).
    pub async fn guides(&self, org_id: OrgId, q: Option<&str>) -> Result<Vec<Guide>> {
        let sql = format!("{SELECT} WHERE org_id = $1 AND retired_at IS NULL ORDER BY title, id LIMIT 500");
        let rows: Vec<GuideRow> =
            on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).fetch_all(c).await)?;
        let all = rows.into_iter().map(guide);
        Ok(match q.map(str::trim).filter(|q| !q.is_empty()) {
            // A catalogue is small: searched in memory, the same on both databases.
            Some(q) => all
                .filter(|g| {
                    g.title.contains(q)
                        || g.basis.contains(q)
                        || g.code.eq_ignore_ascii_case(q)
                        || g.materials.iter().any(|m| m.name.contains(q))
                })
                .collect(),
            None => all.collect(),
        })
    }

    /// Records a written one-time notification of case `case_id` for the
    /// guide's matter: `missing` must be materials of the guide. Whatever
    /// it asks for that an earlier notification of the same case and
    /// matter did not is flagged to the office.
    pub async fn notify_once(
        &self,
        org_id: OrgId,
        by: &User,
        case_id: CaseId,
        g: &Guide,
        missing: &[String],
    ) -> Result<OneTimeNotice> {
        if missing.is_empty() {
            return Err(StoreError::field("missing", "请勾选缺少的材料 / tick the materials missing"));
        }
        if let Some(m) = missing.iter().find(|m| !g.materials.iter().any(|x| &x.name == *m)) {
            return Err(StoreError::field(
                "missing",
                format!("「{m}」不在办事指南的材料清单中 / not a material of the guide"),
            ));
        }
        let mut tx = self.begin().await?;
        let case: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar("SELECT id FROM cases WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(case_id).fetch_optional(c).await)?;
        case.ok_or(StoreError::NotFound)?;
        let earlier: Vec<String> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT missing FROM one_time_notices WHERE org_id = $1 AND case_id = $2 AND guide_id = $3 ORDER BY id")
            .bind(org_id).bind(case_id).bind(g.id).fetch_all(c).await)?;
        let asked: Vec<String> = match earlier.first() {
            Some(first) => {
                let first: Vec<String> = serde_json::from_str(first).unwrap_or_default();
                asked_again(&first, missing).into_iter().cloned().collect()
            }
            None => vec![],
        };
        let now = self.now_ms();
        let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO one_time_notices (org_id, case_id, guide_id, missing, asked_again, created_at, created_by)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
            .bind(org_id).bind(case_id).bind(g.id).bind(json!(missing).to_string()).bind(json!(asked).to_string())
            .bind(now).bind(by.id).fetch_one(c).await)?;
        let actor = by.actor();
        let payload = json!({"guide": g.code, "missing": missing, "asked_again": asked, "notice_id": id});
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind: EventKind::CaseNotifiedOnce,
                subject_type: "case",
                subject_id: case_id.get(),
                payload,
                reason: "",
            },
        )
        .await?;
        if !asked.is_empty() {
            let message = format!(
                "案件 #{case_id} 的第二次告知要求补充首次未告知的材料（{}），违反一次性告知 / case #{case_id}: a second notification asked for materials the first did not ({})",
                asked.join("、"),
                asked.join(", ")
            );
            self.notify(
                &mut tx,
                org_id,
                Some(case_id),
                NotifyTarget::Role(Role::Office),
                EventKind::CaseOneTimeBreached,
                &message,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(OneTimeNotice {
            id,
            case_id,
            guide_id: g.id,
            missing: missing.to_vec(),
            asked_again: asked,
            created_at: now,
        })
    }

    /// A case's written one-time notifications, oldest first.
    pub async fn one_time_notices(&self, org_id: OrgId, case_id: CaseId) -> Result<Vec<OneTimeNotice>> {
        let rows: Vec<(i64, CaseId, i64, String, String, i64)> = on_read!(self, c => sqlx::query_as(
            "SELECT id, case_id, guide_id, missing, asked_again, created_at FROM one_time_notices
             WHERE org_id = $1 AND case_id = $2 ORDER BY id")
            .bind(org_id).bind(case_id).fetch_all(c).await)?;
        Ok(rows
            .into_iter()
            .map(|(id, case_id, guide_id, missing, asked, created_at)| OneTimeNotice {
                id,
                case_id,
                guide_id,
                missing: serde_json::from_str(&missing).unwrap_or_default(),
                asked_again: serde_json::from_str(&asked).unwrap_or_default(),
                created_at,
            })
            .collect())
    }

    /// The guide a notification was written for (retired or not).
    pub async fn guide_by_id(&self, org_id: OrgId, id: i64) -> Result<Guide> {
        let sql = format!("{SELECT} WHERE org_id = $1 AND id = $2");
        let row: Option<GuideRow> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(id).fetch_optional(c).await)?;
        row.map(guide).ok_or(StoreError::NotFound)
    }
}
