//! Applying a checked import file (see `chuangkou_domain::roster`).
//!
//! All-or-nothing by default: a file with any bad row writes nothing and the
//! report names every problem. In `ValidRows` mode the good rows are written
//! and the bad ones reported. Either way the rows that are written go in one
//! transaction with one event per record changed.

use chuangkou_domain::OrgId;
use chuangkou_domain::events::EventKind;
use chuangkou_domain::roster::{ImportError, ImportPlan, Known};
use serde::Serialize;
use serde_json::json;

use crate::{NewEvent, Result, Store, on_read, on_tx};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    AllOrNothing,
    ValidRows,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ImportOutcome {
    /// Whether anything was written.
    pub applied: bool,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub errors: Vec<ImportError>,
}

impl Store {
    /// What an import file may refer to.
    pub async fn known(&self, org_id: OrgId) -> Result<Known> {
        let units: Vec<String> = on_read!(self, c => sqlx::query_scalar("SELECT code FROM units WHERE org_id = $1")
            .bind(org_id).fetch_all(c).await)?;
        let staff: Vec<String> = on_read!(self, c => sqlx::query_scalar("SELECT employee_no FROM staff WHERE org_id = $1")
            .bind(org_id).fetch_all(c).await)?;
        Ok(Known { unit_codes: units.into_iter().collect(), employee_nos: staff.into_iter().collect() })
    }

    pub async fn apply_import(
        &self,
        org_id: OrgId,
        actor: &str,
        plan: ImportPlan,
        mode: ImportMode,
    ) -> Result<ImportOutcome> {
        let mut out = ImportOutcome { errors: plan.errors, ..Default::default() };
        if (mode == ImportMode::AllOrNothing && !out.errors.is_empty())
            || plan_is_empty(&plan.units, &plan.staff, &plan.vehicles)
        {
            return Ok(out);
        }
        let mut tx = self.begin().await?;
        for (_, u) in &plan.units {
            let existing: Option<(i64, String, String)> = on_tx!(&mut tx, c => sqlx::query_as(
                "SELECT id, name, kind FROM units WHERE org_id = $1 AND code = $2")
                .bind(org_id).bind(&u.code).fetch_optional(c).await)?;
            match existing {
                None => {
                    self.insert_unit(&mut tx, org_id, actor, u).await?;
                    out.created += 1;
                }
                Some((_, name, kind)) if name == u.name && kind == u.kind.as_str() => out.unchanged += 1,
                Some((id, name, kind)) => {
                    on_tx!(&mut tx, c => sqlx::query("UPDATE units SET name = $1, kind = $2 WHERE id = $3 AND org_id = $4")
                        .bind(&u.name).bind(u.kind.as_str()).bind(id).bind(org_id).execute(c).await.map(|r| r.rows_affected()))?;
                    self.append(&mut tx, NewEvent {
                        org_id,
                        actor,
                        kind: EventKind::UnitUpdated,
                        subject_type: "unit",
                        subject_id: id,
                        payload: json!({"before": {"name": name, "kind": kind}, "after": {"name": u.name, "kind": u.kind.as_str()}}),
                        reason: "import",
                    })
                    .await?;
                    out.updated += 1;
                }
            }
        }
        for (_, s) in &plan.staff {
            let exists: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
                "SELECT id FROM staff WHERE org_id = $1 AND employee_no = $2")
                .bind(org_id).bind(&s.employee_no).fetch_optional(c).await)?;
            if exists.is_none() {
                self.insert_staff(&mut tx, org_id, actor, s).await?;
                out.created += 1;
            } else if self.update_staff(&mut tx, org_id, actor, s, "import").await? {
                out.updated += 1;
            } else {
                out.unchanged += 1;
            }
        }
        for (_, v) in &plan.vehicles {
            let existed: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
                "SELECT id FROM vehicles WHERE org_id = $1 AND plate = $2")
                .bind(org_id).bind(&v.plate).fetch_optional(c).await)?;
            match (existed, self.upsert_vehicle(&mut tx, org_id, actor, v).await?.1) {
                (None, _) => out.created += 1,
                (Some(_), true) => out.updated += 1,
                (Some(_), false) => out.unchanged += 1,
            }
        }
        tx.commit().await?;
        out.applied = true;
        Ok(out)
    }
}

fn plan_is_empty<A, B, C>(a: &[A], b: &[B], c: &[C]) -> bool {
    a.is_empty() && b.is_empty() && c.is_empty()
}
