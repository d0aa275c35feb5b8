//! Inspections and mystery visits in storage (SPEC INS-1..4). An inspection
//! is recorded whole — items, photos, the facts of failed items with the
//! entries the ledger's rules propose, and a rectification order per failed
//! item — in one transaction. Rectification deadlines are timers swept like
//! case deadlines: each fires once, on any instance.

use chuangkou_domain::duty::{DutyKind, default_on_duty};
use chuangkou_domain::events::EventKind;
use chuangkou_domain::inspections::{
    Finding, InspectionKind, InspectionMode, ItemResult, TargetKind, check_visit, order_notice,
    rectification_order,
};
use chuangkou_domain::ledger::FactKind;
use chuangkou_domain::policy::Rules;
use chuangkou_domain::{OrgId, Permission, Role, StaffId, UserId};
use serde::Serialize;
use serde_json::json;

use crate::cases::NotifyTarget;
use crate::ledger::{NewFact, Proposer};
use crate::users::User;
use crate::{NewEvent, Result, Store, StoreError, Tx, on_read, on_tx};

mod rectifications;
mod reports;

/// A checked, re-encoded photo (see the web layer's `photos`).
#[derive(Debug, Clone)]
pub struct Photo {
    pub content_type: &'static str,
    pub bytes: Vec<u8>,
    pub thumb: Vec<u8>,
    pub width: u32,
    pub height: u32,
    pub sha256: String,
}

/// An inspection plan: what kind, open or secret, which items to check.
#[derive(Debug, Clone)]
pub struct NewPlan {
    pub title: String,
    pub kind: InspectionKind,
    pub mode: InspectionMode,
    pub checklist: Vec<String>,
    pub unit_id: Option<i64>,
}

#[derive(Debug, Clone)]
pub struct NewItem {
    pub rule_code: String,
    pub result: ItemResult,
    pub note: String,
    pub photos: Vec<Photo>,
}

#[derive(Debug, Clone)]
pub struct NewInspection {
    pub plan_id: Option<i64>,
    pub kind: InspectionKind,
    pub mode: InspectionMode,
    pub target_kind: TargetKind,
    pub target_id: i64,
    /// The person on duty, when the target is a unit or a service point.
    pub staff_id: Option<StaffId>,
    pub visited_at: i64,
    pub summary: String,
    pub items: Vec<NewItem>,
    /// What the visit found of a service point's facilities.
    pub facilities: Vec<crate::duty::FacilityCheck>,
    /// The campaign this visit is the 回头看 review of.
    pub campaign_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize)]
pub struct InspectionOutcome {
    pub id: i64,
    pub failed: usize,
    pub rectifications: Vec<i64>,
    pub proposed: Vec<i64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct InspectionRow {
    pub id: i64,
    pub plan_id: Option<i64>,
    pub kind: String,
    pub mode: String,
    pub target_kind: String,
    pub target_id: i64,
    pub unit_id: i64,
    pub unit_name: String,
    pub staff_id: Option<StaffId>,
    pub staff_name: Option<String>,
    pub inspector_id: UserId,
    pub inspector_name: String,
    pub visited_at: i64,
    pub summary: String,
    pub failed: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ItemRow {
    pub id: i64,
    pub rule_code: String,
    pub result: String,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PhotoMeta {
    pub id: i64,
    pub item_id: Option<i64>,
    pub content_type: String,
    pub width: i64,
    pub height: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct PlanRow {
    pub id: i64,
    pub title: String,
    pub kind: String,
    pub mode: String,
    /// Comma-separated codebook rule codes.
    pub checklist: String,
    pub unit_id: Option<i64>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RectificationRow {
    pub id: i64,
    pub inspection_id: i64,
    pub inspector_id: UserId,
    pub unit_id: i64,
    pub unit_name: String,
    pub description: String,
    pub due_at: i64,
    pub state: String,
    pub overdue: bool,
    pub reported_at: Option<i64>,
    pub report_note: Option<String>,
    pub verified_at: Option<i64>,
    pub verify_note: Option<String>,
    pub created_at: i64,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct ReportRow {
    pub id: i64,
    pub author_id: UserId,
    pub author_name: String,
    pub unit_id: Option<i64>,
    pub title: String,
    pub findings: String,
    pub proposals: String,
    pub submitted_at: i64,
    pub outcome: Option<String>,
    pub decision: Option<String>,
    pub decided_at: Option<i64>,
}

/// Roles that record inspections (INS-1): the office and hired supervisors.
pub fn may_inspect(role: Role) -> bool {
    role.can(Permission::RecordInspections)
}

const INSPECTION_SELECT: &str =
    "SELECT i.id, i.plan_id, i.kind, i.mode, i.target_kind, i.target_id, i.unit_id,
    u.name AS unit_name, i.staff_id, s.name AS staff_name, i.inspector_id, us.display_name AS inspector_name,
    i.visited_at, i.summary,
    (SELECT COUNT(*) FROM inspection_items t WHERE t.inspection_id = i.id AND t.result = 'fail') AS failed
  FROM inspections i JOIN units u ON u.id = i.unit_id JOIN users us ON us.id = i.inspector_id
  LEFT JOIN staff s ON s.id = i.staff_id";

const RECT_SELECT: &str =
    "SELECT r.id, r.inspection_id, i.inspector_id, r.unit_id, u.name AS unit_name, r.description,
    r.due_at, r.state, r.overdue, r.reported_at, r.report_note, r.verified_at, r.verify_note, r.created_at
  FROM rectifications r JOIN inspections i ON i.id = r.inspection_id JOIN units u ON u.id = r.unit_id";

impl Store {
    pub async fn create_plan(&self, org_id: OrgId, rules: Rules<'_>, by: &User, p: &NewPlan) -> Result<i64> {
        let NewPlan { title, kind, mode, checklist, unit_id } = p;
        let (kind, mode, unit_id) = (*kind, *mode, *unit_id);
        if !by.role().can(Permission::PlanInspections) {
            return Err(StoreError::refused(
                false,
                "只有办公室和领导小组可以制定督查计划 / only the office and leaders plan inspections",
            ));
        }
        let title = crate::required("title", title, 200)?;
        if checklist.is_empty() {
            return Err(StoreError::field("checklist", "请选择检查项目 / choose the items to check"));
        }
        if let Some(bad) = checklist.iter().find(|c| rules.pack.codebook_rule(c).is_none()) {
            return Err(StoreError::field(
                "checklist",
                format!("规范条款 {bad} 不存在 / no codebook rule {bad}"),
            ));
        }
        let mut tx = self.begin().await?;
        let now = self.now_ms();
        let list = checklist.join(",");
        let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO inspection_plans (org_id, title, kind, mode, checklist, unit_id, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
            .bind(org_id).bind(&title).bind(kind.as_str()).bind(mode.as_str()).bind(&list).bind(unit_id)
            .bind(by.id).bind(now).fetch_one(c).await)?;
        let actor = by.actor();
        self.append(&mut tx, NewEvent {
            org_id,
            actor: &actor,
            kind: EventKind::InspectionPlanCreated,
            subject_type: "inspection_plan",
            subject_id: id,
            payload: json!({"title": title, "kind": kind.as_str(), "mode": mode.as_str(), "checklist": list, "unit_id": unit_id}),
            reason: "",
        })
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn plans(&self, org_id: OrgId) -> Result<Vec<PlanRow>> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT id, title, kind, mode, checklist, unit_id, created_at FROM inspection_plans WHERE org_id = $1 ORDER BY id DESC")
            .bind(org_id).fetch_all(c).await)?)
    }

    pub async fn plan(&self, org_id: OrgId, id: i64) -> Result<PlanRow> {
        let p: Option<PlanRow> = on_read!(self, c => sqlx::query_as(
            "SELECT id, title, kind, mode, checklist, unit_id, created_at FROM inspection_plans WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(id).fetch_optional(c).await)?;
        p.ok_or(StoreError::NotFound)
    }

    /// Where the target is and who was on duty.
    async fn resolve_target(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        n: &NewInspection,
    ) -> Result<(i64, Option<StaffId>)> {
        let missing = || StoreError::field("target_id", "检查对象不存在 / no such target");
        let (unit, staff): (i64, Option<StaffId>) = match n.target_kind {
            TargetKind::Unit => {
                self.unit_in(tx, org_id, n.target_id, "target_id").await?;
                (n.target_id, None)
            }
            TargetKind::Staff => (
                self.staff_unit_in(tx, org_id, StaffId::new(n.target_id), "target_id").await?,
                Some(StaffId::new(n.target_id)),
            ),
            TargetKind::Vehicle => {
                let v: Option<(i64, Option<StaffId>)> = on_tx!(tx, c => sqlx::query_as("SELECT unit_id, driver_id FROM vehicles WHERE org_id = $1 AND id = $2")
                    .bind(org_id).bind(n.target_id).fetch_optional(c).await)?;
                v.ok_or_else(missing)?
            }
            TargetKind::ServicePoint => {
                let p: Option<(i64, Option<StaffId>)> = on_tx!(tx, c => sqlx::query_as(
                    "SELECT p.unit_id, v.driver_id FROM service_points p LEFT JOIN vehicles v ON v.id = p.vehicle_id
                      WHERE p.org_id = $1 AND p.id = $2")
                    .bind(org_id).bind(n.target_id).fetch_optional(c).await)?;
                p.ok_or_else(missing)?
            }
        };
        let staff = match n.staff_id {
            Some(s) => {
                self.staff_unit_in(tx, org_id, s, "staff_id").await?;
                Some(s)
            }
            // A unit or a service point: whoever the roster had on duty there.
            None if staff.is_none()
                && matches!(n.target_kind, TargetKind::Unit | TargetKind::ServicePoint) =>
            {
                let on: Vec<(DutyKind, StaffId)> = self
                    .on_duty_tx(tx, org_id, unit, n.visited_at)
                    .await?
                    .iter()
                    .filter_map(|s| Some((DutyKind::parse(&s.kind)?, s.staff_id)))
                    .collect();
                default_on_duty(&on, n.target_kind == TargetKind::ServicePoint)
            }
            None => staff,
        };
        Ok((unit, staff))
    }

    /// Records an inspection with everything that follows from it: each
    /// failed item a ledger fact and a rectification order to its unit.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()), err(level = "debug"))]
    pub async fn record_inspection(
        &self,
        org_id: OrgId,
        rules: Rules<'_>,
        by: &User,
        n: &NewInspection,
    ) -> Result<InspectionOutcome> {
        if !may_inspect(by.role()) {
            return Err(StoreError::refused(
                false,
                "您的角色不能记录检查 / your role may not record inspections",
            ));
        }
        let findings: Vec<Finding> = n.items.iter().map(finding).collect();
        check_visit(rules.pack, &findings, &n.summary, n.visited_at, self.now_ms())
            .map_err(StoreError::Invalid)?;
        let mut tx = self.begin().await?;
        if let Some(p) = n.plan_id {
            let ok: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar("SELECT id FROM inspection_plans WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(p).fetch_optional(c).await)?;
            ok.ok_or_else(|| StoreError::field("plan_id", "督查计划不存在 / no such plan"))?;
        }
        let (unit_id, staff_id) = self.resolve_target(&mut tx, org_id, n).await?;
        let visit = Visit { id: 0, unit_id, staff_id, visited_at: n.visited_at, by };
        let visit = Visit { id: self.insert_inspection(&mut tx, org_id, by, n, &visit).await?, ..visit };
        let failed = n.items.iter().filter(|i| i.result == ItemResult::Fail).count();
        let mut out = InspectionOutcome { id: visit.id, failed, rectifications: vec![], proposed: vec![] };
        for item in &n.items {
            self.record_item(&mut tx, org_id, rules, &visit, item, &mut out).await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    /// The inspection's row, its links and facility checks, and its event.
    async fn insert_inspection(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        by: &User,
        n: &NewInspection,
        v: &Visit<'_>,
    ) -> Result<i64> {
        let (unit_id, staff_id) = (v.unit_id, v.staff_id);
        let id: i64 = on_tx!(tx, c => sqlx::query_scalar(
            "INSERT INTO inspections (org_id, plan_id, kind, mode, target_kind, target_id, unit_id, staff_id, inspector_id,
                                      visited_at, summary, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id")
            .bind(org_id).bind(n.plan_id).bind(n.kind.as_str()).bind(n.mode.as_str()).bind(n.target_kind.as_str())
            .bind(n.target_id).bind(unit_id).bind(staff_id).bind(by.id).bind(n.visited_at).bind(n.summary.trim())
            .bind(self.now_ms()).fetch_one(c).await)?;
        if let Some(campaign) = n.campaign_id {
            self.link_review(tx, org_id, campaign, id).await?;
        }
        if !n.facilities.is_empty() {
            let point = (n.target_kind == TargetKind::ServicePoint).then_some(n.target_id);
            self.check_facilities(tx, org_id, by, id, point, &n.facilities).await?;
        }
        let actor = by.actor();
        self.append(tx, NewEvent {
            org_id,
            actor: &actor,
            kind: EventKind::InspectionRecorded,
            subject_type: "inspection",
            subject_id: id,
            payload: json!({"kind": n.kind.as_str(), "mode": n.mode.as_str(), "target_kind": n.target_kind.as_str(),
                "target_id": n.target_id, "unit_id": unit_id, "staff_id": staff_id, "visited_at": n.visited_at,
                "items": n.items.iter().map(|i| json!({"rule": i.rule_code, "result": i.result.as_str(), "photos": i.photos.len()})).collect::<Vec<_>>()}),
            reason: "",
        })
        .await?;
        Ok(id)
    }

    /// One checked item with its photos; a failed one becomes a ledger
    /// fact and a rectification order, and the unit's shift leaders hear.
    async fn record_item(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        rules: Rules<'_>,
        v: &Visit<'_>,
        item: &NewItem,
        out: &mut InspectionOutcome,
    ) -> Result<()> {
        let item_id: i64 = on_tx!(tx, c => sqlx::query_scalar(
            "INSERT INTO inspection_items (org_id, inspection_id, rule_code, result, note) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(org_id).bind(v.id).bind(&item.rule_code).bind(item.result.as_str()).bind(item.note.trim())
            .fetch_one(c).await)?;
        for p in &item.photos {
            self.insert_photo(tx, org_id, v.id, Some(item_id), p).await?;
        }
        if item.result != ItemResult::Fail {
            return Ok(());
        }
        let mut fact = NewFact::new(FactKind::InspectionFailure, v.staff_id, v.visited_at);
        fact.unit_id = Some(v.unit_id);
        fact.rule_code = Some(item.rule_code.clone());
        fact.note = item.note.trim().to_string();
        fact.inspection_id = Some(v.id);
        let f = self.record_fact_tx(tx, org_id, rules, &Proposer::user(v.by), &fact).await?;
        out.proposed.extend(f.proposed);
        let now = self.now_ms();
        let order = rectification_order(&finding(item), rules, now)
            .ok_or_else(|| StoreError::field("rule_code", "规范条款不存在 / no such codebook rule"))?;
        let rid: i64 = on_tx!(tx, c => sqlx::query_scalar(
            "INSERT INTO rectifications (org_id, inspection_id, item_id, unit_id, description, due_at, state, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'open', $7) RETURNING id")
            .bind(org_id).bind(v.id).bind(item_id).bind(v.unit_id).bind(&order.description).bind(order.due_at).bind(now)
            .fetch_one(c).await)?;
        self.append(tx, NewEvent {
            org_id,
            actor: &v.by.actor(),
            kind: EventKind::RectificationOrdered,
            subject_type: "rectification",
            subject_id: rid,
            payload: json!({"inspection_id": v.id, "unit_id": v.unit_id, "rule": order.rule_code, "due_at": order.due_at}),
            reason: "",
        })
        .await?;
        let target = NotifyTarget::ShiftLeadersOf(v.unit_id);
        self.notify(tx, org_id, None, target, EventKind::RectificationOrdered, &order_notice(&order)).await?;
        out.rectifications.push(rid);
        Ok(())
    }

    async fn insert_photo(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        inspection_id: i64,
        item_id: Option<i64>,
        p: &Photo,
    ) -> Result<i64> {
        let now = self.now_ms();
        let id: i64 = on_tx!(tx, c => sqlx::query_scalar(
            "INSERT INTO inspection_photos (org_id, inspection_id, item_id, content_type, bytes, thumb, width, height, sha256, uploaded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id")
            .bind(org_id).bind(inspection_id).bind(item_id).bind(p.content_type).bind(&p.bytes).bind(&p.thumb)
            .bind(p.width as i64).bind(p.height as i64).bind(&p.sha256).bind(now).fetch_one(c).await)?;
        Ok(id)
    }

    /// Adds a photo to an item of an inspection the user recorded.
    pub async fn add_photo(
        &self,
        org_id: OrgId,
        by: &User,
        inspection_id: i64,
        item_id: i64,
        p: &Photo,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let owner: Option<UserId> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT i.inspector_id FROM inspection_items t JOIN inspections i ON i.id = t.inspection_id
              WHERE t.org_id = $1 AND t.inspection_id = $2 AND t.id = $3")
            .bind(org_id).bind(inspection_id).bind(item_id).fetch_optional(c).await)?;
        match owner {
            None => return Err(StoreError::NotFound),
            Some(o) if o != by.id => {
                return Err(StoreError::refused(
                    false,
                    "只有检查人可以补充照片 / only the inspector may add photos",
                ));
            }
            Some(_) => {}
        }
        let id = self.insert_photo(&mut tx, org_id, inspection_id, Some(item_id), p).await?;
        let actor = by.actor();
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind: EventKind::InspectionPhotoAdded,
                subject_type: "inspection",
                subject_id: inspection_id,
                payload: json!({"item_id": item_id, "photo_id": id, "sha256": p.sha256}),
                reason: "",
            },
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// Inspections, newest first: by one inspector, or of some units, or all.
    pub async fn inspections(
        &self,
        org_id: OrgId,
        inspector_id: Option<UserId>,
        unit_ids: Option<&[i64]>,
    ) -> Result<Vec<InspectionRow>> {
        let mut sql =
            format!("{INSPECTION_SELECT} WHERE i.org_id = $1 AND ($2 IS NULL OR i.inspector_id = $2)");
        if let Some(units) = unit_ids {
            sql.push_str(&format!(" AND i.unit_id IN ({})", crate::id_list(units)));
        }
        sql.push_str(" ORDER BY i.id DESC LIMIT 200");
        Ok(
            on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(inspector_id).fetch_all(c).await)?,
        )
    }

    pub async fn inspection(
        &self,
        org_id: OrgId,
        id: i64,
    ) -> Result<(InspectionRow, Vec<ItemRow>, Vec<PhotoMeta>)> {
        let sql = format!("{INSPECTION_SELECT} WHERE i.org_id = $1 AND i.id = $2");
        let row: Option<InspectionRow> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(id).fetch_optional(c).await)?;
        let row = row.ok_or(StoreError::NotFound)?;
        let items: Vec<ItemRow> = on_read!(self, c => sqlx::query_as(
            "SELECT id, rule_code, result, note FROM inspection_items WHERE inspection_id = $1 ORDER BY id")
            .bind(id).fetch_all(c).await)?;
        let photos: Vec<PhotoMeta> = on_read!(self, c => sqlx::query_as(
            "SELECT id, item_id, content_type, width, height FROM inspection_photos WHERE inspection_id = $1 ORDER BY id")
            .bind(id).fetch_all(c).await)?;
        Ok((row, items, photos))
    }

    /// A photo's bytes (or thumbnail) and the inspection it belongs to.
    pub async fn photo(&self, org_id: OrgId, id: i64, thumb: bool) -> Result<(String, Vec<u8>, i64)> {
        let col = if thumb { "thumb" } else { "bytes" };
        let ct = if thumb { "'image/jpeg'" } else { "content_type" };
        let sql =
            format!("SELECT {ct}, {col}, inspection_id FROM inspection_photos WHERE org_id = $1 AND id = $2");
        let row: Option<(String, Vec<u8>, i64)> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(id).fetch_optional(c).await)?;
        row.ok_or(StoreError::NotFound)
    }
}

/// A recorded visit: where it went, when, by whom.
struct Visit<'a> {
    id: i64,
    unit_id: i64,
    staff_id: Option<StaffId>,
    visited_at: i64,
    by: &'a User,
}

fn finding(item: &NewItem) -> Finding<'_> {
    Finding { rule_code: &item.rule_code, result: item.result, note: &item.note }
}
