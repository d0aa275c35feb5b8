//! Inspections and mystery visits in storage (SPEC INS-1..4). An inspection
//! is recorded whole — items, photos, the facts of failed items with the
//! entries the ledger's rules propose, and a rectification order per failed
//! item — in one transaction. Rectification deadlines are timers swept like
//! case deadlines: each fires once, on any instance.

use chuangkou_domain::inspections::{
    InspectionKind, InspectionMode, ItemResult, RectificationState, RectificationStep, ReportOutcome,
    TargetKind,
};
use chuangkou_domain::ledger::FactKind;
use chuangkou_domain::policy::Rules;
use chuangkou_domain::{FieldError, Role};
use serde::Serialize;
use serde_json::json;

use crate::cases::NotifyTarget;
use crate::ledger::{NewFact, Proposer};
use crate::users::User;
use crate::{Backend, NewEvent, Result, Store, StoreError, Tx, on_read, on_tx};

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
    pub staff_id: Option<i64>,
    pub visited_at: i64,
    pub summary: String,
    pub items: Vec<NewItem>,
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
    pub staff_id: Option<i64>,
    pub staff_name: Option<String>,
    pub inspector_id: i64,
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
    pub inspector_id: i64,
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
    pub author_id: i64,
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

fn invalid(field: &str, message: &str) -> StoreError {
    StoreError::Invalid(vec![FieldError::new(field, message)])
}

fn refuse(conflict: bool, message: &str) -> StoreError {
    StoreError::Refused { conflict, message: message.to_string() }
}

fn text(field: &str, s: &str, max: usize) -> Result<String> {
    chuangkou_domain::text::required(field, s, max).map_err(|e| StoreError::Invalid(vec![e]))
}

/// Roles that record inspections (INS-1): the office and hired supervisors.
pub fn may_inspect(role: Role) -> bool {
    matches!(role, Role::Office | Role::Supervisor | Role::Leader)
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
    pub async fn create_plan(&self, org_id: i64, rules: Rules<'_>, by: &User, p: &NewPlan) -> Result<i64> {
        let NewPlan { title, kind, mode, checklist, unit_id } = p;
        let (kind, mode, unit_id) = (*kind, *mode, *unit_id);
        if !matches!(by.role(), Role::Office | Role::Leader) {
            return Err(refuse(
                false,
                "只有办公室和领导小组可以制定督查计划 / only the office and leaders plan inspections",
            ));
        }
        let title = text("title", title, 200)?;
        if checklist.is_empty() {
            return Err(invalid("checklist", "请选择检查项目 / choose the items to check"));
        }
        if let Some(bad) = checklist.iter().find(|c| rules.pack.codebook_rule(c).is_none()) {
            return Err(invalid("checklist", &format!("规范条款 {bad} 不存在 / no codebook rule {bad}")));
        }
        let mut tx = self.begin().await?;
        let now = self.now_ms();
        let list = checklist.join(",");
        let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO inspection_plans (org_id, title, kind, mode, checklist, unit_id, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id")
            .bind(org_id).bind(&title).bind(kind.as_str()).bind(mode.as_str()).bind(&list).bind(unit_id)
            .bind(by.id).bind(now).fetch_one(c).await)?;
        let actor = format!("user:{}", by.id);
        self.append(&mut tx, NewEvent {
            org_id,
            actor: &actor,
            kind: "inspection_plan.created",
            subject_type: "inspection_plan",
            subject_id: id,
            payload: json!({"title": title, "kind": kind.as_str(), "mode": mode.as_str(), "checklist": list, "unit_id": unit_id}),
            reason: "",
        })
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn plans(&self, org_id: i64) -> Result<Vec<PlanRow>> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT id, title, kind, mode, checklist, unit_id, created_at FROM inspection_plans WHERE org_id = $1 ORDER BY id DESC")
            .bind(org_id).fetch_all(c).await)?)
    }

    pub async fn plan(&self, org_id: i64, id: i64) -> Result<PlanRow> {
        let p: Option<PlanRow> = on_read!(self, c => sqlx::query_as(
            "SELECT id, title, kind, mode, checklist, unit_id, created_at FROM inspection_plans WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(id).fetch_optional(c).await)?;
        p.ok_or(StoreError::NotFound)
    }

    /// Where the target is and who was on duty.
    async fn resolve_target(
        &self,
        tx: &mut Tx,
        org_id: i64,
        n: &NewInspection,
    ) -> Result<(i64, Option<i64>)> {
        let missing = || invalid("target_id", "检查对象不存在 / no such target");
        let (unit, staff): (i64, Option<i64>) = match n.target_kind {
            TargetKind::Unit => {
                let u: Option<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM units WHERE org_id = $1 AND id = $2")
                    .bind(org_id).bind(n.target_id).fetch_optional(c).await)?;
                (u.ok_or_else(missing)?, None)
            }
            TargetKind::Staff => {
                let u: Option<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT unit_id FROM staff WHERE org_id = $1 AND id = $2")
                    .bind(org_id).bind(n.target_id).fetch_optional(c).await)?;
                (u.ok_or_else(missing)?, Some(n.target_id))
            }
            TargetKind::Vehicle => {
                let v: Option<(i64, Option<i64>)> = on_tx!(tx, c => sqlx::query_as("SELECT unit_id, driver_id FROM vehicles WHERE org_id = $1 AND id = $2")
                    .bind(org_id).bind(n.target_id).fetch_optional(c).await)?;
                v.ok_or_else(missing)?
            }
            TargetKind::ServicePoint => {
                let p: Option<(i64, Option<i64>)> = on_tx!(tx, c => sqlx::query_as(
                    "SELECT p.unit_id, v.driver_id FROM service_points p LEFT JOIN vehicles v ON v.id = p.vehicle_id
                      WHERE p.org_id = $1 AND p.id = $2")
                    .bind(org_id).bind(n.target_id).fetch_optional(c).await)?;
                p.ok_or_else(missing)?
            }
        };
        let staff = match n.staff_id {
            Some(s) => {
                let ok: Option<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM staff WHERE org_id = $1 AND id = $2")
                    .bind(org_id).bind(s).fetch_optional(c).await)?;
                Some(ok.ok_or_else(|| invalid("staff_id", "员工不存在 / no such staff member"))?)
            }
            None => staff,
        };
        Ok((unit, staff))
    }

    /// Records an inspection with everything that follows from it.
    pub async fn record_inspection(
        &self,
        org_id: i64,
        rules: Rules<'_>,
        by: &User,
        n: &NewInspection,
    ) -> Result<InspectionOutcome> {
        if !may_inspect(by.role()) {
            return Err(refuse(false, "您的角色不能记录检查 / your role may not record inspections"));
        }
        let pack = rules.pack;
        if n.items.is_empty() {
            return Err(invalid("items", "请至少检查一项 / check at least one item"));
        }
        let mut errors = vec![];
        for (i, item) in n.items.iter().enumerate() {
            if pack.codebook_rule(&item.rule_code).is_none() {
                errors.push(FieldError::new(
                    format!("items[{i}].rule_code"),
                    "规范条款不存在 / no such codebook rule",
                ));
            }
            if item.result == ItemResult::Fail && item.note.trim().is_empty() {
                errors.push(FieldError::new(
                    format!("items[{i}].note"),
                    "不合格项须写明情况 / describe what failed",
                ));
            }
            if item.note.chars().count() > 2000 {
                errors.push(FieldError::new(format!("items[{i}].note"), "说明过长 / the note is too long"));
            }
            if n.items[..i].iter().any(|x| x.rule_code == item.rule_code) {
                errors.push(FieldError::new(
                    format!("items[{i}].rule_code"),
                    "同一项目重复 / the item appears twice",
                ));
            }
        }
        if n.summary.chars().count() > 4000 {
            errors.push(FieldError::new("summary", "过长 / too long"));
        }
        if !errors.is_empty() {
            return Err(StoreError::Invalid(errors));
        }
        let now = self.now_ms();
        if n.visited_at > now + 60_000 {
            return Err(invalid("visited_at", "检查时间不能晚于现在 / the visit cannot be in the future"));
        }
        let mut tx = self.begin().await?;
        if let Some(p) = n.plan_id {
            let ok: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar("SELECT id FROM inspection_plans WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(p).fetch_optional(c).await)?;
            ok.ok_or_else(|| invalid("plan_id", "督查计划不存在 / no such plan"))?;
        }
        let (unit_id, staff_id) = self.resolve_target(&mut tx, org_id, n).await?;
        let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO inspections (org_id, plan_id, kind, mode, target_kind, target_id, unit_id, staff_id, inspector_id,
                                      visited_at, summary, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id")
            .bind(org_id).bind(n.plan_id).bind(n.kind.as_str()).bind(n.mode.as_str()).bind(n.target_kind.as_str())
            .bind(n.target_id).bind(unit_id).bind(staff_id).bind(by.id).bind(n.visited_at).bind(n.summary.trim()).bind(now)
            .fetch_one(c).await)?;
        let actor = format!("user:{}", by.id);
        let failed = n.items.iter().filter(|i| i.result == ItemResult::Fail).count();
        self.append(&mut tx, NewEvent {
            org_id,
            actor: &actor,
            kind: "inspection.recorded",
            subject_type: "inspection",
            subject_id: id,
            payload: json!({"kind": n.kind.as_str(), "mode": n.mode.as_str(), "target_kind": n.target_kind.as_str(),
                "target_id": n.target_id, "unit_id": unit_id, "staff_id": staff_id, "visited_at": n.visited_at,
                "items": n.items.iter().map(|i| json!({"rule": i.rule_code, "result": i.result.as_str(), "photos": i.photos.len()})).collect::<Vec<_>>()}),
            reason: "",
        })
        .await?;
        let by_proposer = Proposer::user(by);
        let mut out = InspectionOutcome { id, failed, rectifications: vec![], proposed: vec![] };
        for item in &n.items {
            let item_id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
                "INSERT INTO inspection_items (org_id, inspection_id, rule_code, result, note) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                .bind(org_id).bind(id).bind(&item.rule_code).bind(item.result.as_str()).bind(item.note.trim())
                .fetch_one(c).await)?;
            for p in &item.photos {
                self.insert_photo(&mut tx, org_id, id, Some(item_id), p).await?;
            }
            if item.result != ItemResult::Fail {
                continue;
            }
            let rule = pack.codebook_rule(&item.rule_code).expect("checked above");
            let mut fact = NewFact::new(FactKind::InspectionFailure, staff_id, n.visited_at);
            fact.unit_id = Some(unit_id);
            fact.rule_code = Some(item.rule_code.clone());
            fact.note = item.note.trim().to_string();
            fact.inspection_id = Some(id);
            let f = self.record_fact_tx(&mut tx, org_id, rules, &by_proposer, &fact).await?;
            out.proposed.extend(f.proposed);
            let due = pack.inspections.rectification.after(rules.calendar, now);
            let description = format!("{} {}：{}", rule.code, rule.title, item.note.trim());
            let rid: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
                "INSERT INTO rectifications (org_id, inspection_id, item_id, unit_id, description, due_at, state, created_at)
                 VALUES ($1, $2, $3, $4, $5, $6, 'open', $7) RETURNING id")
                .bind(org_id).bind(id).bind(item_id).bind(unit_id).bind(&description).bind(due).bind(now)
                .fetch_one(c).await)?;
            self.append(&mut tx, NewEvent {
                org_id,
                actor: &actor,
                kind: "rectification.ordered",
                subject_type: "rectification",
                subject_id: rid,
                payload: json!({"inspection_id": id, "unit_id": unit_id, "rule": rule.code, "due_at": due}),
                reason: "",
            })
            .await?;
            self.notify(
                &mut tx,
                org_id,
                None,
                NotifyTarget::ShiftLeadersOf(unit_id),
                "rectification.ordered",
                &format!("检查发现问题，请限期整改：{description} / a rectification order was issued"),
            )
            .await?;
            out.rectifications.push(rid);
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn insert_photo(
        &self,
        tx: &mut Tx,
        org_id: i64,
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
        org_id: i64,
        by: &User,
        inspection_id: i64,
        item_id: i64,
        p: &Photo,
    ) -> Result<i64> {
        let mut tx = self.begin().await?;
        let owner: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT i.inspector_id FROM inspection_items t JOIN inspections i ON i.id = t.inspection_id
              WHERE t.org_id = $1 AND t.inspection_id = $2 AND t.id = $3")
            .bind(org_id).bind(inspection_id).bind(item_id).fetch_optional(c).await)?;
        match owner {
            None => return Err(StoreError::NotFound),
            Some(o) if o != by.id => {
                return Err(refuse(false, "只有检查人可以补充照片 / only the inspector may add photos"));
            }
            Some(_) => {}
        }
        let id = self.insert_photo(&mut tx, org_id, inspection_id, Some(item_id), p).await?;
        let actor = format!("user:{}", by.id);
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind: "inspection.photo_added",
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
        org_id: i64,
        inspector_id: Option<i64>,
        unit_ids: Option<&[i64]>,
    ) -> Result<Vec<InspectionRow>> {
        let mut sql =
            format!("{INSPECTION_SELECT} WHERE i.org_id = $1 AND ($2 IS NULL OR i.inspector_id = $2)");
        if let Some(units) = unit_ids {
            sql.push_str(&format!(" AND i.unit_id IN ({})", id_list(units)));
        }
        sql.push_str(" ORDER BY i.id DESC LIMIT 200");
        Ok(
            on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(inspector_id).fetch_all(c).await)?,
        )
    }

    pub async fn inspection(
        &self,
        org_id: i64,
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
    pub async fn photo(&self, org_id: i64, id: i64, thumb: bool) -> Result<(String, Vec<u8>, i64)> {
        let col = if thumb { "thumb" } else { "bytes" };
        let ct = if thumb { "'image/jpeg'" } else { "content_type" };
        let sql =
            format!("SELECT {ct}, {col}, inspection_id FROM inspection_photos WHERE org_id = $1 AND id = $2");
        let row: Option<(String, Vec<u8>, i64)> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(id).fetch_optional(c).await)?;
        row.ok_or(StoreError::NotFound)
    }

    pub async fn rectifications(
        &self,
        org_id: i64,
        unit_ids: Option<&[i64]>,
        open_only: bool,
    ) -> Result<Vec<RectificationRow>> {
        let mut sql = format!("{RECT_SELECT} WHERE r.org_id = $1");
        if open_only {
            sql.push_str(" AND r.state <> 'verified'");
        }
        if let Some(units) = unit_ids {
            sql.push_str(&format!(" AND r.unit_id IN ({})", id_list(units)));
        }
        sql.push_str(" ORDER BY r.due_at, r.id LIMIT 500");
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).fetch_all(c).await)?)
    }

    pub async fn rectification(&self, org_id: i64, id: i64) -> Result<RectificationRow> {
        let sql = format!("{RECT_SELECT} WHERE r.org_id = $1 AND r.id = $2");
        let r: Option<RectificationRow> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(id).fetch_optional(c).await)?;
        r.ok_or(StoreError::NotFound)
    }

    /// The unit reports a rectification done; the inspector (or the office)
    /// accepts or rejects it. The caller has checked the user's reach.
    pub async fn rectification_step(
        &self,
        org_id: i64,
        by: &User,
        id: i64,
        step: RectificationStep,
        note: &str,
    ) -> Result<RectificationRow> {
        let note = text("note", note, 2000)?;
        let mut tx = self.begin().await?;
        let lock = if self.backend() == Backend::Postgres { " FOR UPDATE OF r" } else { "" };
        let sql = format!("{RECT_SELECT} WHERE r.org_id = $1 AND r.id = $2{lock}");
        let r: Option<RectificationRow> = on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(id).fetch_optional(c).await)?;
        let r = r.ok_or(StoreError::NotFound)?;
        let state = RectificationState::parse(&r.state).unwrap_or(RectificationState::Open);
        let verifier = r.inspector_id == by.id || matches!(by.role(), Role::Office | Role::Leader);
        let allowed = match step {
            RectificationStep::Report => matches!(by.role(), Role::ShiftLeader | Role::Office | Role::Leader),
            RectificationStep::Accept | RectificationStep::Reject => verifier,
        };
        if !allowed {
            return Err(refuse(false, "您不能进行此操作 / you may not do this"));
        }
        let to = state.after(step).ok_or_else(|| {
            refuse(true, &format!("整改单当前为「{}」，不能这样操作 / not allowed now", state.label_zh()))
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
            RectificationStep::Report => "rectification.reported",
            RectificationStep::Accept => "rectification.verified",
            RectificationStep::Reject => "rectification.rejected",
        };
        let actor = format!("user:{}", by.id);
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
    pub async fn sweep_rectifications(&self) -> Result<usize> {
        let now = self.now_ms();
        let claim = if self.backend() == Backend::Postgres { " FOR UPDATE SKIP LOCKED" } else { "" };
        let sql = format!(
            "SELECT id, org_id, unit_id, state, description FROM rectifications
              WHERE deadline_fired_at IS NULL AND due_at <= $1 ORDER BY due_at, id LIMIT 500{claim}"
        );
        let mut tx = self.begin().await?;
        let due: Vec<(i64, i64, i64, String, String)> =
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
                    kind: "rectification.overdue",
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
                "rectification.overdue",
                &msg,
            )
            .await?;
            self.notify(
                &mut tx,
                *org_id,
                None,
                NotifyTarget::Role(Role::Office),
                "rectification.overdue",
                &msg,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(overdue)
    }

    /// A supervisor's written report to the leading group (INS-4).
    pub async fn submit_report(
        &self,
        org_id: i64,
        by: &User,
        unit_id: Option<i64>,
        title: &str,
        findings: &str,
        proposals: &str,
    ) -> Result<i64> {
        if !matches!(by.role(), Role::Supervisor | Role::Office) {
            return Err(refuse(
                false,
                "只有监督员和办公室可以提交书面反映 / only supervisors and the office submit reports",
            ));
        }
        let title = text("title", title, 200)?;
        let findings = text("findings", findings, 8000)?;
        let proposals = proposals.trim().to_string();
        let mut tx = self.begin().await?;
        if let Some(u) = unit_id {
            let ok: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar("SELECT id FROM units WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(u).fetch_optional(c).await)?;
            ok.ok_or_else(|| invalid("unit_id", "部门不存在 / no such unit"))?;
        }
        let now = self.now_ms();
        let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO written_reports (org_id, author_id, unit_id, title, findings, proposals, submitted_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id")
            .bind(org_id).bind(by.id).bind(unit_id).bind(&title).bind(&findings).bind(&proposals).bind(now)
            .fetch_one(c).await)?;
        let actor = format!("user:{}", by.id);
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind: "report.submitted",
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
            "report.submitted",
            &format!("监督员书面反映待研究决定：{title} / a written report awaits a decision"),
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    pub async fn reports(&self, org_id: i64, author_id: Option<i64>) -> Result<Vec<ReportRow>> {
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
        org_id: i64,
        by: &User,
        id: i64,
        outcome: ReportOutcome,
        decision: &str,
    ) -> Result<()> {
        if by.role() != Role::Leader {
            return Err(refuse(false, "书面反映由领导小组研究决定 / the leading group decides reports"));
        }
        let decision = text("decision", decision, 4000)?;
        let mut tx = self.begin().await?;
        let now = self.now_ms();
        let n = on_tx!(&mut tx, c => sqlx::query(
            "UPDATE written_reports SET outcome = $1, decision = $2, decided_by = $3, decided_at = $4
              WHERE org_id = $5 AND id = $6 AND decided_at IS NULL")
            .bind(outcome.as_str()).bind(&decision).bind(by.id).bind(now).bind(org_id).bind(id)
            .execute(c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            let author: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar("SELECT author_id FROM written_reports WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(id).fetch_optional(c).await)?;
            return Err(match author {
                None => StoreError::NotFound,
                Some(_) => refuse(true, "该书面反映已有决定 / the report has been decided"),
            });
        }
        let author: i64 = on_tx!(&mut tx, c => sqlx::query_scalar("SELECT author_id FROM written_reports WHERE id = $1")
            .bind(id).fetch_one(c).await)?;
        let actor = format!("user:{}", by.id);
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind: "report.decided",
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
            "report.decided",
            &format!("您的书面反映已有决定：{} / your report was decided", outcome.label_zh()),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

fn id_list(ids: &[i64]) -> String {
    if ids.is_empty() {
        return "0".into();
    }
    ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(", ")
}
