//! The ledger in storage (SPEC LED-1..5): facts arrive, the pack's rules
//! propose entries in the same transaction, people decide on them, the
//! person concerned may appeal once, fines go to a register that finance
//! collects. Nothing is edited or deleted; a correction is a reversal entry.

use chuangkou_domain::events::EventKind;
use chuangkou_domain::ledger::{
    AttendanceKind, EntryKind, EntryStatus, FactKind, FineStatus, Severity, year_bounds,
};
use chuangkou_domain::policy::Rules;
use chuangkou_domain::{CaseId, Fen, Labelled, OrgId, StaffId, UserId};
use serde::{Serialize, Serializer};
use serde_json::json;

use crate::users::User;
use crate::{NewEvent, Result, Store, StoreError, on_read, on_tx};

mod decisions;
mod engine;
mod fines;

/// A fact about to be recorded.
#[derive(Debug, Clone)]
pub struct NewFact {
    pub kind: FactKind,
    /// The person concerned; without one the fact is about `unit_id`.
    pub staff_id: Option<StaffId>,
    pub unit_id: Option<i64>,
    /// The codebook rule broken; its severity becomes the fact's.
    pub rule_code: Option<String>,
    /// A severity for facts without a codebook rule.
    pub severity: Option<Severity>,
    pub detail: Option<AttendanceKind>,
    pub occurred_at: i64,
    pub note: String,
    pub case_id: Option<CaseId>,
    pub inspection_id: Option<i64>,
}

impl NewFact {
    pub fn new(kind: FactKind, staff_id: Option<StaffId>, occurred_at: i64) -> Self {
        NewFact {
            kind,
            staff_id,
            unit_id: None,
            rule_code: None,
            severity: None,
            detail: None,
            occurred_at,
            note: String::new(),
            case_id: None,
            inspection_id: None,
        }
    }
}

/// Who brought a fact or a proposal: recorded as its proposer, who may not
/// approve what follows from it.
#[derive(Debug, Clone)]
pub struct Proposer {
    pub actor: String,
    pub user_id: Option<UserId>,
}

impl Proposer {
    pub fn user(u: &User) -> Self {
        Proposer { actor: u.actor(), user_id: Some(u.id) }
    }
}

#[derive(Debug, Clone, Serialize)]
pub struct FactOutcome {
    pub fact_id: i64,
    /// The entries the rules proposed.
    pub proposed: Vec<i64>,
}

fn list<S: Serializer>(v: &str, s: S) -> std::result::Result<S::Ok, S::Error> {
    s.collect_seq(v.split(',').filter(|x| !x.is_empty()))
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EntryRow {
    pub id: i64,
    pub staff_id: Option<StaffId>,
    pub staff_name: Option<String>,
    pub employee_no: Option<String>,
    pub unit_id: i64,
    pub unit_name: String,
    /// As proposed.
    #[sqlx(try_from = "String")]
    pub kind: EntryKind,
    /// What the approver may choose instead.
    #[serde(serialize_with = "list")]
    pub choices: String,
    /// As approved.
    #[sqlx(try_from = "crate::codes::MaybeCode")]
    #[serde(serialize_with = "crate::codes::serialize")]
    pub decided_kind: Option<EntryKind>,
    #[sqlx(try_from = "String")]
    pub status: EntryStatus,
    #[sqlx(try_from = "crate::codes::MaybeFen")]
    pub fine_min: Option<Fen>,
    #[sqlx(try_from = "crate::codes::MaybeFen")]
    pub fine_max: Option<Fen>,
    /// As approved.
    #[sqlx(try_from = "crate::codes::MaybeFen")]
    pub amount: Option<Fen>,
    pub rule_code: String,
    pub codebook_code: Option<String>,
    pub period_key: Option<String>,
    /// Which rule fired on which facts.
    pub explanation: String,
    #[serde(serialize_with = "list")]
    pub fact_ids: String,
    pub detail: Option<String>,
    pub occurred_at: i64,
    pub proposed_by: String,
    pub proposer_user_id: Option<UserId>,
    pub proposed_at: i64,
    pub decided_by: Option<UserId>,
    pub decided_at: Option<i64>,
    pub decision_note: Option<String>,
    pub reverses_id: Option<i64>,
    pub case_id: Option<CaseId>,
    pub inspection_id: Option<i64>,
    pub appeal_id: Option<i64>,
    pub appeal_reason: Option<String>,
    pub appeal_outcome: Option<String>,
    pub appeal_decision: Option<String>,
}

impl EntryRow {
    /// The kind in force: as approved, else as proposed.
    pub fn effective_kind(&self) -> EntryKind {
        self.decided_kind.unwrap_or(self.kind)
    }

    pub fn status(&self) -> EntryStatus {
        self.status
    }

    pub fn choice_kinds(&self) -> Vec<EntryKind> {
        let mut v = vec![];
        for k in std::iter::once(self.kind.as_str()).chain(self.choices.split(',')) {
            if let Some(k) = EntryKind::parse(k)
                && !v.contains(&k)
            {
                v.push(k);
            }
        }
        v
    }
}

const ENTRY_SELECT: &str = "SELECT e.id, e.staff_id, s.name AS staff_name, s.employee_no, e.unit_id, u.name AS unit_name,
    e.kind, e.choices, e.decided_kind, e.status, e.fine_min, e.fine_max, e.amount, e.rule_code, e.codebook_code,
    e.period_key, e.explanation, e.fact_ids, e.detail, e.occurred_at, e.proposed_by, e.proposer_user_id,
    e.proposed_at, e.decided_by, e.decided_at, e.decision_note, e.reverses_id, e.case_id, e.inspection_id,
    a.id AS appeal_id, a.reason AS appeal_reason, a.outcome AS appeal_outcome, a.decision AS appeal_decision
  FROM ledger_entries e
  JOIN units u ON u.id = e.unit_id
  LEFT JOIN staff s ON s.id = e.staff_id
  LEFT JOIN appeals a ON a.entry_id = e.id";

/// Filters for entry lists; keyset pagination on `id`, newest first.
#[derive(Debug, Clone, Default)]
pub struct EntryFilter {
    pub staff_id: Option<StaffId>,
    /// Entries of these units (a shift leader's unit and its teams).
    pub unit_ids: Option<Vec<i64>>,
    pub status: Option<EntryStatus>,
    pub since: Option<i64>,
    pub until: Option<i64>,
    pub before: Option<i64>,
    pub limit: i64,
}

/// A manual proposal: merit, a talk, or a penalty the rules do not cover.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub kind: EntryKind,
    pub staff_id: Option<StaffId>,
    pub unit_id: Option<i64>,
    pub amount: Option<Fen>,
    pub occurred_at: i64,
    pub note: String,
    /// Good deeds: which, the item and its value in fen.
    pub detail: Option<serde_json::Value>,
}

pub use chuangkou_domain::ledger::decision::EntryDecision;

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct FineRow {
    pub id: i64,
    pub entry_id: i64,
    pub staff_id: Option<StaffId>,
    pub staff_name: Option<String>,
    pub employee_no: Option<String>,
    pub unit_name: String,
    #[sqlx(try_from = "i64")]
    pub amount: Fen,
    pub status: String,
    pub due_since: i64,
    pub collected_at: Option<i64>,
    pub receipt_no: Option<String>,
    pub waived_at: Option<i64>,
    pub waived_reason: Option<String>,
    pub explanation: String,
}

#[derive(Debug, Clone, Default)]
pub struct FineFilter {
    pub status: Option<FineStatus>,
    pub staff_id: Option<StaffId>,
    pub unit_ids: Option<Vec<i64>>,
}

/// Award eligibility of one person in a year.
#[derive(Debug, Clone, Serialize)]
pub struct Eligibility {
    pub staff_id: StaffId,
    pub employee_no: String,
    pub name: String,
    pub unit_name: String,
    pub eligible: bool,
    /// Why not: the entries that took it away.
    pub reasons: Vec<String>,
}

/// Why someone lost award eligibility: "台账 #12 取消评先评优资格（已生效）：…".
pub(crate) fn reason(entry: i64, kind: &str, status: &str, why: &str) -> String {
    let kind = EntryKind::parse(kind).map_or(kind, |k| k.label_zh());
    let status = EntryStatus::parse(status).map_or("", |s| s.label_zh());
    format!("台账 #{entry} {kind}（{status}）：{why}")
}

pub(crate) fn in_list<T: Labelled>(kinds: &[T]) -> String {
    kinds.iter().map(|k| format!("'{}'", k.code())).collect::<Vec<_>>().join(", ")
}

struct Insert<'a> {
    staff_id: Option<StaffId>,
    unit_id: i64,
    kind: EntryKind,
    choices: &'a [EntryKind],
    status: EntryStatus,
    fine: Option<(Fen, Fen)>,
    rule_code: &'a str,
    codebook_code: Option<&'a str>,
    period_key: Option<&'a str>,
    explanation: &'a str,
    fact_ids: &'a [i64],
    detail: Option<String>,
    occurred_at: i64,
    by: &'a Proposer,
    reverses_id: Option<i64>,
    case_id: Option<CaseId>,
    inspection_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct FactRow {
    pub id: i64,
    pub kind: String,
    pub staff_id: Option<StaffId>,
    pub unit_id: i64,
    pub rule_code: Option<String>,
    pub severity: Option<String>,
    pub detail: Option<String>,
    pub occurred_at: i64,
    pub note: String,
    pub case_id: Option<CaseId>,
    pub inspection_id: Option<i64>,
    pub voided_at: Option<i64>,
}

impl Store {
    pub async fn entry(&self, org_id: OrgId, id: i64) -> Result<EntryRow> {
        let sql = format!("{ENTRY_SELECT} WHERE e.org_id = $1 AND e.id = $2");
        let row: Option<EntryRow> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(id).fetch_optional(c).await)?;
        row.ok_or(StoreError::NotFound)
    }

    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    pub async fn entries(&self, org_id: OrgId, f: &EntryFilter) -> Result<Vec<EntryRow>> {
        let mut sql = format!(
            "{ENTRY_SELECT} WHERE e.org_id = $1 AND ($2 IS NULL OR e.staff_id = $2) AND ($3 IS NULL OR e.status = $3)
               AND ($4 IS NULL OR e.occurred_at >= $4) AND ($5 IS NULL OR e.occurred_at < $5) AND ($6 IS NULL OR e.id < $6)"
        );
        if let Some(units) = &f.unit_ids {
            sql.push_str(&format!(" AND e.unit_id IN ({})", crate::id_list(units)));
        }
        sql.push_str(" ORDER BY e.id DESC LIMIT $7");
        let limit = if f.limit <= 0 { 100 } else { f.limit.min(500) };
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(f.staff_id).bind(f.status.map(|s| s.as_str())).bind(f.since).bind(f.until)
            .bind(f.before).bind(limit).fetch_all(c).await)?)
    }

    /// The facts an entry was proposed from, for its explanation.
    pub async fn facts_of(&self, org_id: OrgId, e: &EntryRow) -> Result<Vec<FactRow>> {
        let ids: Vec<i64> = e.fact_ids.split(',').filter_map(|x| x.parse().ok()).collect();
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let sql = format!(
            "SELECT id, kind, staff_id, unit_id, rule_code, severity, detail, occurred_at, note, case_id, inspection_id,
                    voided_at FROM facts WHERE org_id = $1 AND id IN ({}) ORDER BY occurred_at, id",
            crate::id_list(&ids)
        );
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).fetch_all(c).await)?)
    }

    /// Award eligibility of every active staff member in `year` (in the
    /// given units, or all), with the reasons when lost.
    pub async fn eligibility(
        &self,
        org_id: OrgId,
        rules: Rules<'_>,
        year: i32,
        unit_ids: Option<&[i64]>,
    ) -> Result<Vec<Eligibility>> {
        let (start, end) = year_bounds(rules.calendar, year);
        let kinds = in_list(&rules.pack.ledger.ineligible_by);
        let staff: Vec<(StaffId, i64, String, String, String)> = on_read!(self, c => sqlx::query_as(
            "SELECT s.id, s.unit_id, s.employee_no, s.name, u.name FROM staff s JOIN units u ON u.id = s.unit_id
              WHERE s.org_id = $1 AND s.active = TRUE ORDER BY s.employee_no")
            .bind(org_id).fetch_all(c).await)?;
        let sql = format!(
            "SELECT staff_id, id, COALESCE(decided_kind, kind), status, explanation FROM ledger_entries
              WHERE org_id = $1 AND staff_id IS NOT NULL AND status IN ('proposed', 'approved')
                AND COALESCE(decided_kind, kind) IN ({kinds}) AND occurred_at >= $2 AND occurred_at < $3 ORDER BY id"
        );
        let lost: Vec<(StaffId, i64, String, String, String)> = if kinds.is_empty() {
            vec![]
        } else {
            on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(start).bind(end).fetch_all(c).await)?
        };
        Ok(staff
            .into_iter()
            .filter(|(_, unit, ..)| unit_ids.is_none_or(|u| u.contains(unit)))
            .map(|(id, _, employee_no, name, unit_name)| {
                let reasons: Vec<String> = lost
                    .iter()
                    .filter(|l| l.0 == id)
                    .map(|(_, entry, kind, status, why)| reason(*entry, kind, status, why))
                    .collect();
                Eligibility {
                    staff_id: id,
                    employee_no,
                    name,
                    unit_name,
                    eligible: reasons.is_empty(),
                    reasons,
                }
            })
            .collect())
    }

    /// Staff ids by employee number, for imports.
    pub async fn staff_ids_by_number(
        &self,
        org_id: OrgId,
    ) -> Result<std::collections::HashMap<String, StaffId>> {
        let rows: Vec<(String, StaffId)> = on_read!(self, c => sqlx::query_as("SELECT employee_no, id FROM staff WHERE org_id = $1")
            .bind(org_id).fetch_all(c).await)?;
        Ok(rows.into_iter().collect())
    }

    /// Sets the head of a unit (held to account with its staff).
    pub async fn set_unit_manager(
        &self,
        org_id: OrgId,
        actor: &str,
        unit_id: i64,
        staff_id: Option<StaffId>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        self.unit_in(&mut tx, org_id, unit_id, "unit_id").await?;
        if let Some(s) = staff_id {
            self.staff_unit_in(&mut tx, org_id, s, "staff_id").await?;
        }
        on_tx!(&mut tx, c => sqlx::query("UPDATE units SET manager_staff_id = $1 WHERE org_id = $2 AND id = $3")
            .bind(staff_id).bind(org_id).bind(unit_id).execute(c).await.map(|_| ()))?;
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor,
                kind: EventKind::UnitManagerSet,
                subject_type: "unit",
                subject_id: unit_id,
                payload: json!({"manager_staff_id": staff_id}),
                reason: "",
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}
