//! The ledger in storage (SPEC LED-1..5): facts arrive, the pack's rules
//! propose entries in the same transaction, people decide on them, the
//! person concerned may appeal once, fines go to a register that finance
//! collects. Nothing is edited or deleted; a correction is a reversal entry.

use chuangkou_domain::ledger::{
    AppealOutcome, AttendanceKind, EntryKind, EntryStatus, FactKind, FactView, FineStatus, LedgerRule,
    Severity, Target, format_fen, period_bounds, year_bounds,
};
use chuangkou_domain::policy::Rules;
use chuangkou_domain::{FieldError, Labelled, Role};
use serde::{Serialize, Serializer};
use serde_json::json;

use crate::cases::NotifyTarget;
use crate::users::User;
use crate::{NewEvent, Result, Store, StoreError, Tx, on_read, on_tx};

/// A fact about to be recorded.
#[derive(Debug, Clone)]
pub struct NewFact {
    pub kind: FactKind,
    /// The person concerned; without one the fact is about `unit_id`.
    pub staff_id: Option<i64>,
    pub unit_id: Option<i64>,
    /// The codebook rule broken; its severity becomes the fact's.
    pub rule_code: Option<String>,
    /// A severity for facts without a codebook rule.
    pub severity: Option<Severity>,
    pub detail: Option<AttendanceKind>,
    pub occurred_at: i64,
    pub note: String,
    pub case_id: Option<i64>,
    pub inspection_id: Option<i64>,
}

impl NewFact {
    pub fn new(kind: FactKind, staff_id: Option<i64>, occurred_at: i64) -> Self {
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
    pub user_id: Option<i64>,
}

impl Proposer {
    pub fn user(u: &User) -> Self {
        Proposer { actor: format!("user:{}", u.id), user_id: Some(u.id) }
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
    pub staff_id: Option<i64>,
    pub staff_name: Option<String>,
    pub employee_no: Option<String>,
    pub unit_id: i64,
    pub unit_name: String,
    /// As proposed.
    pub kind: String,
    /// What the approver may choose instead.
    #[serde(serialize_with = "list")]
    pub choices: String,
    /// As approved.
    pub decided_kind: Option<String>,
    pub status: String,
    pub fine_min: Option<i64>,
    pub fine_max: Option<i64>,
    /// Fen, as approved.
    pub amount: Option<i64>,
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
    pub proposer_user_id: Option<i64>,
    pub proposed_at: i64,
    pub decided_by: Option<i64>,
    pub decided_at: Option<i64>,
    pub decision_note: Option<String>,
    pub reverses_id: Option<i64>,
    pub case_id: Option<i64>,
    pub inspection_id: Option<i64>,
    pub appeal_id: Option<i64>,
    pub appeal_reason: Option<String>,
    pub appeal_outcome: Option<String>,
    pub appeal_decision: Option<String>,
}

impl EntryRow {
    /// The kind in force: as approved, else as proposed.
    pub fn effective_kind(&self) -> Option<EntryKind> {
        EntryKind::parse(self.decided_kind.as_deref().unwrap_or(&self.kind))
    }

    pub fn status(&self) -> EntryStatus {
        EntryStatus::parse(&self.status).unwrap_or(EntryStatus::Proposed)
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
    pub staff_id: Option<i64>,
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
    pub staff_id: Option<i64>,
    pub unit_id: Option<i64>,
    pub amount: Option<i64>,
    pub occurred_at: i64,
    pub note: String,
    /// Good deeds: which, the item and its value in fen.
    pub detail: Option<serde_json::Value>,
}

/// A decision on a proposed entry.
#[derive(Debug, Clone)]
pub struct EntryDecision {
    pub approve: bool,
    /// One of the kinds offered (default: as proposed).
    pub kind: Option<EntryKind>,
    /// Fen, within the proposed range.
    pub amount: Option<i64>,
    pub note: String,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct FineRow {
    pub id: i64,
    pub entry_id: i64,
    pub staff_id: Option<i64>,
    pub staff_name: Option<String>,
    pub employee_no: Option<String>,
    pub unit_name: String,
    pub amount: i64,
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
    pub staff_id: Option<i64>,
    pub unit_ids: Option<Vec<i64>>,
}

/// Award eligibility of one person in a year.
#[derive(Debug, Clone, Serialize)]
pub struct Eligibility {
    pub staff_id: i64,
    pub employee_no: String,
    pub name: String,
    pub unit_name: String,
    pub eligible: bool,
    /// Why not: the entries that took it away.
    pub reasons: Vec<String>,
}

fn invalid(field: &str, message: &str) -> StoreError {
    StoreError::Invalid(vec![FieldError::new(field, message)])
}

fn refuse(conflict: bool, message: &str) -> StoreError {
    StoreError::Refused { conflict, message: message.to_string() }
}

fn in_list<T: Labelled>(kinds: &[T]) -> String {
    kinds.iter().map(|k| format!("'{}'", k.code())).collect::<Vec<_>>().join(", ")
}

struct Insert<'a> {
    staff_id: Option<i64>,
    unit_id: i64,
    kind: EntryKind,
    choices: &'a [EntryKind],
    status: EntryStatus,
    fine: Option<(i64, i64)>,
    rule_code: &'a str,
    codebook_code: Option<&'a str>,
    period_key: Option<&'a str>,
    explanation: &'a str,
    fact_ids: &'a [i64],
    detail: Option<String>,
    occurred_at: i64,
    by: &'a Proposer,
    reverses_id: Option<i64>,
    case_id: Option<i64>,
    inspection_id: Option<i64>,
}

#[derive(sqlx::FromRow)]
struct FactLine {
    id: i64,
    kind: String,
    severity: Option<String>,
    detail: Option<String>,
    occurred_at: i64,
}

impl Store {
    /// Records a fact and whatever the pack's rules propose from it.
    pub async fn record_fact(
        &self,
        org_id: i64,
        rules: Rules<'_>,
        by: &Proposer,
        f: &NewFact,
    ) -> Result<FactOutcome> {
        let mut tx = self.begin().await?;
        let out = self.record_fact_tx(&mut tx, org_id, rules, by, f).await?;
        tx.commit().await?;
        Ok(out)
    }

    /// Records many facts in one transaction (imports): all or nothing.
    pub async fn record_facts(
        &self,
        org_id: i64,
        rules: Rules<'_>,
        by: &Proposer,
        facts: &[NewFact],
    ) -> Result<Vec<FactOutcome>> {
        let mut tx = self.begin().await?;
        let mut out = Vec::with_capacity(facts.len());
        for f in facts {
            out.push(self.record_fact_tx(&mut tx, org_id, rules, by, f).await?);
        }
        tx.commit().await?;
        Ok(out)
    }

    pub(crate) async fn record_fact_tx(
        &self,
        tx: &mut Tx,
        org_id: i64,
        rules: Rules<'_>,
        by: &Proposer,
        f: &NewFact,
    ) -> Result<FactOutcome> {
        let pack = rules.pack;
        let (staff_id, unit_id) = match f.staff_id {
            Some(s) => {
                let unit: Option<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT unit_id FROM staff WHERE org_id = $1 AND id = $2")
                    .bind(org_id).bind(s).fetch_optional(c).await)?;
                let unit = unit.ok_or_else(|| invalid("staff_id", "员工不存在 / no such staff member"))?;
                (Some(s), f.unit_id.unwrap_or(unit))
            }
            None => {
                let unit = f
                    .unit_id
                    .ok_or_else(|| invalid("staff_id", "请选择员工或部门 / choose a person or a unit"))?;
                self.unit_exists(tx, org_id, unit).await?;
                (None, unit)
            }
        };
        let severity = match &f.rule_code {
            Some(code) => Some(
                pack.codebook_rule(code)
                    .ok_or_else(|| {
                        invalid("rule_code", &format!("规范条款 {code} 不存在 / no codebook rule {code}"))
                    })?
                    .severity,
            ),
            None => f.severity,
        };
        if (f.kind == FactKind::Attendance) != f.detail.is_some() {
            return Err(invalid("detail", "考勤记录须注明迟到、早退或擅离岗位 / attendance needs its kind"));
        }
        let note = f.note.trim();
        if note.chars().count() > 2000 {
            return Err(invalid("note", "说明过长 / the note is too long"));
        }
        let now = self.now_ms();
        let fact_id: i64 = on_tx!(tx, c => sqlx::query_scalar(
            "INSERT INTO facts (org_id, kind, staff_id, unit_id, rule_code, severity, detail, occurred_at, note,
                                case_id, inspection_id, recorded_by, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id")
            .bind(org_id).bind(f.kind.as_str()).bind(staff_id).bind(unit_id).bind(&f.rule_code)
            .bind(severity.map(|s| s.as_str())).bind(f.detail.map(|d| d.as_str())).bind(f.occurred_at)
            .bind(note).bind(f.case_id).bind(f.inspection_id).bind(&by.actor).bind(now)
            .fetch_one(c).await)?;
        self.append(
            tx,
            NewEvent {
                org_id,
                actor: &by.actor,
                kind: "fact.recorded",
                subject_type: "fact",
                subject_id: fact_id,
                payload: json!({"kind": f.kind.as_str(), "staff_id": staff_id, "unit_id": unit_id,
                "rule_code": f.rule_code, "severity": severity.map(|s| s.as_str()),
                "detail": f.detail.map(|d| d.as_str()), "occurred_at": f.occurred_at,
                "case_id": f.case_id, "inspection_id": f.inspection_id}),
                reason: note,
            },
        )
        .await?;

        let view = FactView { kind: f.kind, severity, detail: f.detail };
        let mut proposed: Vec<(i64, EntryKind)> = vec![];
        for rule in pack.ledger.rules.iter().filter(|r| r.on_entry.is_none() && r.matches(&view)) {
            let (ids, key) = match rule.count {
                Some(c) => {
                    let (key, start, end) = period_bounds(c.period, rules.calendar, f.occurred_at);
                    (self.matching_facts(tx, org_id, rule, staff_id, unit_id, (start, end)).await?, Some(key))
                }
                None => (vec![(fact_id, f.occurred_at)], None),
            };
            let already = match &key {
                Some(k) => self.rule_fired(tx, org_id, &rule.code, k, staff_id, unit_id).await?,
                None => false,
            };
            if !rule.fires(ids.len() as u32, already) {
                continue;
            }
            let explanation = explain(rule, f.kind, &ids, rules);
            let fact_ids: Vec<i64> = ids.iter().map(|(id, _)| *id).collect();
            for p in &rule.propose {
                let (who, unit) = match p.to {
                    Target::Subject => (staff_id, unit_id),
                    Target::Unit => (None, unit_id),
                    Target::Manager => (self.unit_manager(tx, org_id, unit_id).await?, unit_id),
                };
                let mut explanation = explanation.clone();
                if p.to == Target::Manager {
                    explanation.push_str(if who.is_some() {
                        "；追究所在部门负责人责任"
                    } else {
                        "；所在部门未设负责人，记入部门"
                    });
                }
                let id = self
                    .insert_entry(
                        tx,
                        org_id,
                        &Insert {
                            staff_id: who,
                            unit_id: unit,
                            kind: p.kind,
                            choices: &p.choices,
                            status: EntryStatus::Proposed,
                            fine: p.fine,
                            rule_code: &rule.code,
                            codebook_code: f.rule_code.as_deref(),
                            period_key: key.as_deref(),
                            explanation: &explanation,
                            fact_ids: &fact_ids,
                            detail: None,
                            occurred_at: f.occurred_at,
                            by,
                            reverses_id: None,
                            case_id: f.case_id,
                            inspection_id: f.inspection_id,
                        },
                    )
                    .await?;
                proposed.push((id, p.kind));
            }
        }
        // Rules on entries: a unit whose people collect warnings.
        let mut i = 0;
        while i < proposed.len() {
            let kind = proposed[i].1;
            i += 1;
            for rule in pack.ledger.rules.iter().filter(|r| r.on_entry == Some(kind)) {
                let Some(c) = rule.count else { continue };
                let (key, start, end) = period_bounds(c.period, rules.calendar, f.occurred_at);
                let people: Vec<(i64, i64)> = on_tx!(tx, c => sqlx::query_as(
                    "SELECT staff_id, MIN(id) FROM ledger_entries
                     WHERE org_id = $1 AND unit_id = $2 AND kind = $3 AND staff_id IS NOT NULL
                       AND status IN ('proposed', 'approved') AND occurred_at >= $4 AND occurred_at < $5
                     GROUP BY staff_id ORDER BY staff_id")
                    .bind(org_id).bind(unit_id).bind(kind.as_str()).bind(start).bind(end).fetch_all(c).await)?;
                let already = self.rule_fired(tx, org_id, &rule.code, &key, None, unit_id).await?;
                if !rule.fires(people.len() as u32, already) {
                    continue;
                }
                let entry_ids: Vec<String> = people.iter().map(|(_, e)| format!("#{e}")).collect();
                let explanation = format!(
                    "规则「{}」（{}）：{key} 本部门 {} 人被{}（台账 {}）",
                    rule.title,
                    rule.source,
                    people.len(),
                    kind.label_zh(),
                    entry_ids.join("、")
                );
                for p in &rule.propose {
                    let id = self
                        .insert_entry(
                            tx,
                            org_id,
                            &Insert {
                                staff_id: None,
                                unit_id,
                                kind: p.kind,
                                choices: &p.choices,
                                status: EntryStatus::Proposed,
                                fine: p.fine,
                                rule_code: &rule.code,
                                codebook_code: None,
                                period_key: Some(&key),
                                explanation: &explanation,
                                fact_ids: &[fact_id],
                                detail: None,
                                occurred_at: f.occurred_at,
                                by,
                                reverses_id: None,
                                case_id: f.case_id,
                                inspection_id: f.inspection_id,
                            },
                        )
                        .await?;
                    proposed.push((id, p.kind));
                }
            }
        }
        if !proposed.is_empty() {
            for role in &pack.ledger.approvers {
                self.notify(
                    tx,
                    org_id,
                    f.case_id,
                    NotifyTarget::Role(*role),
                    "ledger.proposed",
                    &format!(
                        "台账有 {} 条新的待审批条目 / {} new ledger entries await approval",
                        proposed.len(),
                        proposed.len()
                    ),
                )
                .await?;
            }
        }
        Ok(FactOutcome { fact_id, proposed: proposed.into_iter().map(|(id, _)| id).collect() })
    }

    /// The live facts of the rule's kinds about the same person (or unit)
    /// in `[start, end)` that pass its filters: `(id, occurred_at)`.
    async fn matching_facts(
        &self,
        tx: &mut Tx,
        org_id: i64,
        rule: &LedgerRule,
        staff_id: Option<i64>,
        unit_id: i64,
        (start, end): (i64, i64),
    ) -> Result<Vec<(i64, i64)>> {
        let who = if staff_id.is_some() { "staff_id = $2" } else { "staff_id IS NULL AND unit_id = $2" };
        let sql = format!(
            "SELECT id, kind, severity, detail, occurred_at FROM facts
             WHERE org_id = $1 AND {who} AND kind IN ({}) AND occurred_at >= $3 AND occurred_at < $4
               AND voided_at IS NULL ORDER BY occurred_at, id",
            in_list(&rule.on)
        );
        let rows: Vec<FactLine> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(staff_id.unwrap_or(unit_id)).bind(start).bind(end).fetch_all(c).await)?;
        Ok(rows
            .into_iter()
            .filter(|r| {
                let Some(kind) = FactKind::parse(&r.kind) else { return false };
                rule.matches(&FactView {
                    kind,
                    severity: r.severity.as_deref().and_then(Severity::parse),
                    detail: r.detail.as_deref().and_then(AttendanceKind::parse),
                })
            })
            .map(|r| (r.id, r.occurred_at))
            .collect())
    }

    /// Whether a once-per-period rule already proposed for this subject.
    async fn rule_fired(
        &self,
        tx: &mut Tx,
        org_id: i64,
        rule: &str,
        key: &str,
        staff_id: Option<i64>,
        unit_id: i64,
    ) -> Result<bool> {
        let who = if staff_id.is_some() { "staff_id = $4" } else { "staff_id IS NULL AND unit_id = $4" };
        let sql = format!(
            "SELECT COUNT(*) FROM ledger_entries WHERE org_id = $1 AND rule_code = $2 AND period_key = $3
               AND {who} AND status IN ('proposed', 'approved')"
        );
        let n: i64 = on_tx!(tx, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(rule).bind(key).bind(staff_id.unwrap_or(unit_id)).fetch_one(c).await)?;
        Ok(n > 0)
    }

    async fn unit_manager(&self, tx: &mut Tx, org_id: i64, unit_id: i64) -> Result<Option<i64>> {
        let m: Option<Option<i64>> = on_tx!(tx, c => sqlx::query_scalar(
            "SELECT manager_staff_id FROM units WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(unit_id).fetch_optional(c).await)?;
        Ok(m.flatten())
    }

    async fn unit_exists(&self, tx: &mut Tx, org_id: i64, unit_id: i64) -> Result<()> {
        let ok: Option<i64> = on_tx!(tx, c => sqlx::query_scalar("SELECT id FROM units WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(unit_id).fetch_optional(c).await)?;
        ok.map(|_| ()).ok_or_else(|| invalid("unit_id", "部门不存在 / no such unit"))
    }

    async fn insert_entry(&self, tx: &mut Tx, org_id: i64, e: &Insert<'_>) -> Result<i64> {
        let now = self.now_ms();
        let choices = e.choices.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(",");
        let facts = e.fact_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        let approved = e.status == EntryStatus::Approved;
        let (decided_by, decided_at, decided_kind) =
            if approved { (e.by.user_id, Some(now), Some(e.kind.as_str())) } else { (None, None, None) };
        let amount = if approved { e.fine.map(|f| f.0) } else { None };
        let id: i64 = on_tx!(tx, c => sqlx::query_scalar(
            "INSERT INTO ledger_entries (org_id, staff_id, unit_id, kind, choices, decided_kind, status, fine_min,
                fine_max, amount, rule_code, codebook_code, period_key, explanation, fact_ids, detail, occurred_at,
                proposed_by, proposer_user_id, proposed_at, decided_by, decided_at, reverses_id, case_id, inspection_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
                $21, $22, $23, $24, $25) RETURNING id")
            .bind(org_id).bind(e.staff_id).bind(e.unit_id).bind(e.kind.as_str()).bind(&choices)
            .bind(decided_kind).bind(e.status.as_str()).bind(e.fine.map(|f| f.0)).bind(e.fine.map(|f| f.1))
            .bind(amount).bind(e.rule_code).bind(e.codebook_code).bind(e.period_key).bind(e.explanation)
            .bind(&facts).bind(&e.detail).bind(e.occurred_at).bind(&e.by.actor).bind(e.by.user_id).bind(now)
            .bind(decided_by).bind(decided_at).bind(e.reverses_id).bind(e.case_id).bind(e.inspection_id)
            .fetch_one(c).await)?;
        self.append(
            tx,
            NewEvent {
                org_id,
                actor: &e.by.actor,
                kind: if e.reverses_id.is_some() { "ledger.reversal" } else { "ledger.proposed" },
                subject_type: "ledger_entry",
                subject_id: id,
                payload: json!({"staff_id": e.staff_id, "unit_id": e.unit_id, "kind": e.kind.as_str(),
                "choices": choices, "fine_min": e.fine.map(|f| f.0), "fine_max": e.fine.map(|f| f.1),
                "rule": e.rule_code, "codebook": e.codebook_code, "facts": facts,
                "explanation": e.explanation, "reverses": e.reverses_id}),
                reason: "",
            },
        )
        .await?;
        Ok(id)
    }

    /// A manual proposal: commendations, good deeds, talks, penalties.
    pub async fn propose_entry(&self, org_id: i64, by: &User, e: &NewEntry) -> Result<i64> {
        if !matches!(by.role(), Role::Office | Role::Leader | Role::Admin) {
            return Err(refuse(
                false,
                "只有办公室和领导小组可以提出台账条目 / only the office and leaders may propose",
            ));
        }
        let note = chuangkou_domain::text::required("note", &e.note, 2000)
            .map_err(|e| StoreError::Invalid(vec![e]))?;
        let fine = match (e.kind, e.amount) {
            (EntryKind::Fine, Some(a)) if a > 0 => Some((a, a)),
            (EntryKind::Fine, _) => return Err(invalid("amount", "请填写罚款金额 / enter the amount")),
            _ => None,
        };
        if matches!(
            e.kind,
            EntryKind::Violation
                | EntryKind::AwardIneligible
                | EntryKind::EfficiencyWarning
                | EntryKind::CollectiveWarning
        ) {
            return Err(invalid(
                "kind",
                "违规和告诫由事实和规则产生，请录入事实 / record the fact; the rules propose these",
            ));
        }
        let mut tx = self.begin().await?;
        let unit_id = match e.staff_id {
            Some(s) => {
                let unit: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar("SELECT unit_id FROM staff WHERE org_id = $1 AND id = $2")
                    .bind(org_id).bind(s).fetch_optional(c).await)?;
                unit.ok_or_else(|| invalid("staff_id", "员工不存在 / no such staff member"))?
            }
            None => {
                let u = e
                    .unit_id
                    .ok_or_else(|| invalid("staff_id", "请选择员工或部门 / choose a person or a unit"))?;
                self.unit_exists(&mut tx, org_id, u).await?;
                u
            }
        };
        let proposer = Proposer::user(by);
        let id = self
            .insert_entry(
                &mut tx,
                org_id,
                &Insert {
                    staff_id: e.staff_id,
                    unit_id,
                    kind: e.kind,
                    choices: &[],
                    status: EntryStatus::Proposed,
                    fine,
                    rule_code: "manual",
                    codebook_code: None,
                    period_key: None,
                    explanation: &note,
                    fact_ids: &[],
                    detail: e.detail.as_ref().map(|d| d.to_string()),
                    occurred_at: e.occurred_at,
                    by: &proposer,
                    reverses_id: None,
                    case_id: None,
                    inspection_id: None,
                },
            )
            .await?;
        tx.commit().await?;
        Ok(id)
    }

    async fn lock_entry(&self, tx: &mut Tx, org_id: i64, id: i64) -> Result<EntryRow> {
        let sql = format!("{ENTRY_SELECT} WHERE e.org_id = $1 AND e.id = $2");
        let row: Option<EntryRow> = on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(id).fetch_optional(c).await)?;
        let row = row.ok_or(StoreError::NotFound)?;
        if self.backend() == crate::Backend::Postgres {
            on_tx!(tx, c => sqlx::query("SELECT id FROM ledger_entries WHERE id = $1 FOR UPDATE").bind(id).execute(c).await.map(|_| ()))?;
        }
        Ok(row)
    }

    /// Approves or rejects a proposed entry (LED-3).
    pub async fn decide_entry(
        &self,
        org_id: i64,
        rules: Rules<'_>,
        by: &User,
        id: i64,
        d: &EntryDecision,
    ) -> Result<EntryRow> {
        let mut tx = self.begin().await?;
        let e = self.lock_entry(&mut tx, org_id, id).await?;
        if !rules.pack.ledger.may_approve(by.role()) {
            return Err(refuse(false, "您的角色不能审批台账条目 / your role may not approve ledger entries"));
        }
        if e.status() != EntryStatus::Proposed {
            return Err(refuse(true, "该条目已处理 / this entry has already been decided"));
        }
        if e.proposer_user_id == Some(by.id) {
            return Err(refuse(false, "不能审批自己提出的条目 / you may not approve what you proposed"));
        }
        let note = d.note.trim();
        if note.chars().count() > 2000 {
            return Err(invalid("note", "说明过长 / the note is too long"));
        }
        let now = self.now_ms();
        let (status, kind, amount) = if d.approve {
            let kind = d.kind.unwrap_or(e.effective_kind().unwrap_or(EntryKind::Violation));
            if !e.choice_kinds().contains(&kind) {
                return Err(invalid("kind", "只能在提议的处理方式中选择 / choose one of the proposed kinds"));
            }
            let amount = if kind == EntryKind::Fine {
                let (min, max) = (e.fine_min.unwrap_or(0), e.fine_max.unwrap_or(0));
                let a = d.amount.or((min == max).then_some(min)).ok_or_else(|| {
                    invalid(
                        "amount",
                        &format!(
                            "请在 {}–{} 元之间确定罚款金额 / choose the amount",
                            format_fen(min),
                            format_fen(max)
                        ),
                    )
                })?;
                if a < min || a > max || a <= 0 {
                    return Err(invalid(
                        "amount",
                        &format!(
                            "罚款须在 {}–{} 元之间 / the fine must be within the range",
                            format_fen(min),
                            format_fen(max)
                        ),
                    ));
                }
                Some(a)
            } else {
                None
            };
            (EntryStatus::Approved, Some(kind), amount)
        } else {
            if note.is_empty() {
                return Err(invalid("note", "不批准须说明理由 / give a reason for rejecting"));
            }
            (EntryStatus::Rejected, None, None)
        };
        on_tx!(&mut tx, c => sqlx::query(
            "UPDATE ledger_entries SET status = $1, decided_kind = $2, amount = $3, decided_by = $4, decided_at = $5,
                 decision_note = $6 WHERE org_id = $7 AND id = $8")
            .bind(status.as_str()).bind(kind.map(|k| k.as_str())).bind(amount).bind(by.id).bind(now).bind(note)
            .bind(org_id).bind(id).execute(c).await.map(|_| ()))?;
        if kind == Some(EntryKind::Fine)
            && let Some(a) = amount
        {
            on_tx!(&mut tx, c => sqlx::query(
                "INSERT INTO fines (org_id, entry_id, staff_id, unit_id, amount, status, due_since) VALUES ($1, $2, $3, $4, $5, 'due', $6)")
                .bind(org_id).bind(id).bind(e.staff_id).bind(e.unit_id).bind(a).bind(now).execute(c).await.map(|_| ()))?;
        }
        if status == EntryStatus::Rejected && e.kind == EntryKind::Violation.as_str() {
            self.void_facts(&mut tx, &e).await?;
        }
        let actor = format!("user:{}", by.id);
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind: if d.approve { "ledger.approved" } else { "ledger.rejected" },
                subject_type: "ledger_entry",
                subject_id: id,
                payload: json!({"kind": kind.map(|k| k.as_str()), "amount": amount}),
                reason: note,
            },
        )
        .await?;
        if d.approve
            && let Some(staff) = e.staff_id
        {
            let label = kind.map_or("", |k| k.label_zh());
            self.notify_staff(
                &mut tx,
                org_id,
                staff,
                "ledger.approved",
                &format!(
                    "您的台账新增一条「{label}」，如有异议可申诉 / a ledger entry about you took effect"
                ),
            )
            .await?;
        }
        tx.commit().await?;
        self.entry(org_id, id).await
    }

    async fn void_facts(&self, tx: &mut Tx, e: &EntryRow) -> Result<()> {
        let now = self.now_ms();
        for id in e.fact_ids.split(',').filter_map(|x| x.parse::<i64>().ok()) {
            on_tx!(tx, c => sqlx::query("UPDATE facts SET voided_at = $1 WHERE id = $2 AND voided_at IS NULL")
                .bind(now).bind(id).execute(c).await.map(|_| ()))?;
        }
        Ok(())
    }

    async fn notify_staff(
        &self,
        tx: &mut Tx,
        org_id: i64,
        staff_id: i64,
        kind: &str,
        message: &str,
    ) -> Result<()> {
        let users: Vec<i64> = on_tx!(tx, c => sqlx::query_scalar(
            "SELECT id FROM users WHERE org_id = $1 AND staff_id = $2 AND disabled = FALSE")
            .bind(org_id).bind(staff_id).fetch_all(c).await)?;
        for u in users {
            self.notify(tx, org_id, None, NotifyTarget::User(u), kind, message).await?;
        }
        Ok(())
    }

    /// Reverses an approved entry with a reason: a new entry records the
    /// correction; a due fine is waived.
    pub async fn reverse_entry(
        &self,
        org_id: i64,
        rules: Rules<'_>,
        by: &User,
        id: i64,
        reason: &str,
    ) -> Result<EntryRow> {
        if !rules.pack.ledger.may_approve(by.role()) {
            return Err(refuse(false, "您的角色不能更正台账 / your role may not correct the ledger"));
        }
        let reason = chuangkou_domain::text::required("reason", reason, 2000)
            .map_err(|e| StoreError::Invalid(vec![e]))?;
        let mut tx = self.begin().await?;
        let e = self.lock_entry(&mut tx, org_id, id).await?;
        self.reverse_tx(&mut tx, org_id, by, &e, &reason).await?;
        tx.commit().await?;
        self.entry(org_id, id).await
    }

    async fn reverse_tx(
        &self,
        tx: &mut Tx,
        org_id: i64,
        by: &User,
        e: &EntryRow,
        reason: &str,
    ) -> Result<i64> {
        if e.status() != EntryStatus::Approved {
            return Err(refuse(true, "只有已生效的条目可以撤销 / only approved entries can be reversed"));
        }
        let kind = e.effective_kind().unwrap_or(EntryKind::Violation);
        let proposer = Proposer::user(by);
        let explanation = format!("撤销台账 #{}：{reason}", e.id);
        let rid = self
            .insert_entry(
                tx,
                org_id,
                &Insert {
                    staff_id: e.staff_id,
                    unit_id: e.unit_id,
                    kind,
                    choices: &[],
                    status: EntryStatus::Approved,
                    fine: e.amount.map(|a| (-a, -a)),
                    rule_code: "reversal",
                    codebook_code: e.codebook_code.as_deref(),
                    period_key: None,
                    explanation: &explanation,
                    fact_ids: &[],
                    detail: None,
                    occurred_at: e.occurred_at,
                    by: &proposer,
                    reverses_id: Some(e.id),
                    case_id: e.case_id,
                    inspection_id: e.inspection_id,
                },
            )
            .await?;
        let now = self.now_ms();
        on_tx!(tx, c => sqlx::query("UPDATE ledger_entries SET status = 'reversed' WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(e.id).execute(c).await.map(|_| ()))?;
        on_tx!(tx, c => sqlx::query(
            "UPDATE fines SET status = 'waived', waived_at = $1, waived_reason = $2 WHERE org_id = $3 AND entry_id = $4 AND status = 'due'")
            .bind(now).bind(&explanation).bind(org_id).bind(e.id).execute(c).await.map(|_| ()))?;
        if kind == EntryKind::Violation {
            self.void_facts(tx, e).await?;
        }
        Ok(rid)
    }

    /// The person concerned appeals an approved entry, once (LED-3).
    pub async fn appeal(
        &self,
        org_id: i64,
        rules: Rules<'_>,
        by: &User,
        id: i64,
        reason: &str,
    ) -> Result<EntryRow> {
        let reason = chuangkou_domain::text::required("reason", reason, 2000)
            .map_err(|e| StoreError::Invalid(vec![e]))?;
        let mut tx = self.begin().await?;
        let e = self.lock_entry(&mut tx, org_id, id).await?;
        if by.staff_id.is_none() || e.staff_id != by.staff_id {
            return Err(refuse(false, "只有当事人本人可以申诉 / only the person concerned may appeal"));
        }
        if e.appeal_id.is_some() {
            return Err(refuse(true, "每个条目只能申诉一次 / an entry can be appealed once"));
        }
        if e.status() != EntryStatus::Approved
            || e.effective_kind().is_some_and(EntryKind::is_merit)
            || e.reverses_id.is_some()
        {
            return Err(refuse(true, "只能对已生效的处理申诉 / only penalties in force can be appealed"));
        }
        let now = self.now_ms();
        let deadline = rules.pack.ledger.appeal_window.after(rules.calendar, e.decided_at.unwrap_or(now));
        if now > deadline {
            return Err(refuse(true, "已超过申诉期限 / the time to appeal has passed"));
        }
        let appeal_id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO appeals (org_id, entry_id, user_id, reason, filed_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(org_id).bind(id).bind(by.id).bind(&reason).bind(now).fetch_one(c).await)?;
        let actor = format!("user:{}", by.id);
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind: "ledger.appealed",
                subject_type: "ledger_entry",
                subject_id: id,
                payload: json!({"appeal_id": appeal_id}),
                reason: &reason,
            },
        )
        .await?;
        for role in &rules.pack.ledger.appeal_deciders {
            self.notify(
                &mut tx,
                org_id,
                None,
                NotifyTarget::Role(*role),
                "ledger.appealed",
                &format!("台账 #{id} 有新的申诉待决定 / an appeal awaits your decision"),
            )
            .await?;
        }
        tx.commit().await?;
        self.entry(org_id, id).await
    }

    /// Decides an appeal; a granted appeal reverses the entry.
    pub async fn decide_appeal(
        &self,
        org_id: i64,
        rules: Rules<'_>,
        by: &User,
        id: i64,
        outcome: AppealOutcome,
        decision: &str,
    ) -> Result<EntryRow> {
        if !rules.pack.ledger.may_decide_appeals(by.role()) {
            return Err(refuse(false, "您的角色不能决定申诉 / your role may not decide appeals"));
        }
        let decision = chuangkou_domain::text::required("decision", decision, 2000)
            .map_err(|e| StoreError::Invalid(vec![e]))?;
        let mut tx = self.begin().await?;
        let e = self.lock_entry(&mut tx, org_id, id).await?;
        let Some(appeal_id) = e.appeal_id else {
            return Err(refuse(true, "该条目没有申诉 / this entry has no appeal"));
        };
        if e.appeal_outcome.is_some() {
            return Err(refuse(true, "该申诉已有决定 / the appeal has been decided"));
        }
        let appellant: i64 = on_tx!(&mut tx, c => sqlx::query_scalar("SELECT user_id FROM appeals WHERE id = $1")
            .bind(appeal_id).fetch_one(c).await)?;
        if appellant == by.id {
            return Err(refuse(false, "不能决定自己的申诉 / you may not decide your own appeal"));
        }
        let now = self.now_ms();
        on_tx!(&mut tx, c => sqlx::query(
            "UPDATE appeals SET outcome = $1, decision = $2, decided_by = $3, decided_at = $4 WHERE id = $5")
            .bind(outcome.as_str()).bind(&decision).bind(by.id).bind(now).bind(appeal_id).execute(c).await.map(|_| ()))?;
        if outcome == AppealOutcome::Granted {
            self.reverse_tx(&mut tx, org_id, by, &e, &format!("申诉成立：{decision}")).await?;
        }
        let actor = format!("user:{}", by.id);
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind: "ledger.appeal_decided",
                subject_type: "ledger_entry",
                subject_id: id,
                payload: json!({"appeal_id": appeal_id, "outcome": outcome.as_str()}),
                reason: &decision,
            },
        )
        .await?;
        self.notify(
            &mut tx,
            org_id,
            None,
            NotifyTarget::User(appellant),
            "ledger.appeal_decided",
            &format!("您对台账 #{id} 的申诉已有决定：{} / your appeal was decided", outcome.label_zh()),
        )
        .await?;
        tx.commit().await?;
        self.entry(org_id, id).await
    }

    pub async fn entry(&self, org_id: i64, id: i64) -> Result<EntryRow> {
        let sql = format!("{ENTRY_SELECT} WHERE e.org_id = $1 AND e.id = $2");
        let row: Option<EntryRow> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(id).fetch_optional(c).await)?;
        row.ok_or(StoreError::NotFound)
    }

    pub async fn entries(&self, org_id: i64, f: &EntryFilter) -> Result<Vec<EntryRow>> {
        let mut sql = format!(
            "{ENTRY_SELECT} WHERE e.org_id = $1 AND ($2 IS NULL OR e.staff_id = $2) AND ($3 IS NULL OR e.status = $3)
               AND ($4 IS NULL OR e.occurred_at >= $4) AND ($5 IS NULL OR e.occurred_at < $5) AND ($6 IS NULL OR e.id < $6)"
        );
        if let Some(units) = &f.unit_ids {
            let ids: Vec<String> = units.iter().map(|u| u.to_string()).collect();
            sql.push_str(&format!(
                " AND e.unit_id IN ({})",
                if ids.is_empty() { "0".into() } else { ids.join(", ") }
            ));
        }
        sql.push_str(" ORDER BY e.id DESC LIMIT $7");
        let limit = if f.limit <= 0 { 100 } else { f.limit.min(500) };
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(f.staff_id).bind(f.status.map(|s| s.as_str())).bind(f.since).bind(f.until)
            .bind(f.before).bind(limit).fetch_all(c).await)?)
    }

    /// The facts an entry was proposed from, for its explanation.
    pub async fn facts_of(&self, org_id: i64, e: &EntryRow) -> Result<Vec<FactRow>> {
        let ids: Vec<i64> = e.fact_ids.split(',').filter_map(|x| x.parse().ok()).collect();
        if ids.is_empty() {
            return Ok(vec![]);
        }
        let list: Vec<String> = ids.iter().map(|i| i.to_string()).collect();
        let sql = format!(
            "SELECT id, kind, staff_id, unit_id, rule_code, severity, detail, occurred_at, note, case_id, inspection_id,
                    voided_at FROM facts WHERE org_id = $1 AND id IN ({}) ORDER BY occurred_at, id",
            list.join(", ")
        );
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).fetch_all(c).await)?)
    }

    pub async fn fines(&self, org_id: i64, f: &FineFilter) -> Result<Vec<FineRow>> {
        let mut sql = String::from(
            "SELECT f.id, f.entry_id, f.staff_id, s.name AS staff_name, s.employee_no, u.name AS unit_name, f.amount,
                    f.status, f.due_since, f.collected_at, f.receipt_no, f.waived_at, f.waived_reason, e.explanation
               FROM fines f JOIN ledger_entries e ON e.id = f.entry_id JOIN units u ON u.id = f.unit_id
               LEFT JOIN staff s ON s.id = f.staff_id
              WHERE f.org_id = $1 AND ($2 IS NULL OR f.status = $2) AND ($3 IS NULL OR f.staff_id = $3)",
        );
        if let Some(units) = &f.unit_ids {
            let ids: Vec<String> = units.iter().map(|u| u.to_string()).collect();
            sql.push_str(&format!(
                " AND f.unit_id IN ({})",
                if ids.is_empty() { "0".into() } else { ids.join(", ") }
            ));
        }
        sql.push_str(" ORDER BY f.id DESC LIMIT 5000");
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(f.status.map(|s| s.as_str())).bind(f.staff_id).fetch_all(c).await)?)
    }

    /// Finance marks a fine collected (LED-4).
    pub async fn collect_fine(&self, org_id: i64, by: &User, id: i64, receipt_no: &str) -> Result<()> {
        if by.role() != Role::Finance {
            return Err(refuse(false, "只有财务室可以收缴罚款 / only finance collects fines"));
        }
        let receipt = chuangkou_domain::text::required("receipt_no", receipt_no, 60)
            .map_err(|e| StoreError::Invalid(vec![e]))?;
        self.fine_step(org_id, by, id, "collected", "fine.collected", &receipt).await
    }

    /// Waives a due fine by a recorded decision.
    pub async fn waive_fine(
        &self,
        org_id: i64,
        rules: Rules<'_>,
        by: &User,
        id: i64,
        reason: &str,
    ) -> Result<()> {
        if !rules.pack.ledger.may_approve(by.role()) {
            return Err(refuse(false, "您的角色不能免除罚款 / your role may not waive fines"));
        }
        let reason = chuangkou_domain::text::required("reason", reason, 2000)
            .map_err(|e| StoreError::Invalid(vec![e]))?;
        self.fine_step(org_id, by, id, "waived", "fine.waived", &reason).await
    }

    async fn fine_step(
        &self,
        org_id: i64,
        by: &User,
        id: i64,
        to: &str,
        event: &str,
        text: &str,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        let now = self.now_ms();
        let sql = if to == "collected" {
            "UPDATE fines SET status = 'collected', collected_by = $1, collected_at = $2, receipt_no = $3
              WHERE org_id = $4 AND id = $5 AND status = 'due'"
        } else {
            "UPDATE fines SET status = 'waived', waived_at = $2, waived_reason = $3
              WHERE org_id = $4 AND id = $5 AND status = 'due' AND $1 > 0"
        };
        let n = on_tx!(&mut tx, c => sqlx::query(sql).bind(by.id).bind(now).bind(text).bind(org_id).bind(id)
            .execute(c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            let exists: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar("SELECT id FROM fines WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(id).fetch_optional(c).await)?;
            return Err(match exists {
                None => StoreError::NotFound,
                Some(_) => refuse(true, "该罚款不是待收缴状态 / this fine is not due"),
            });
        }
        let actor = format!("user:{}", by.id);
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind: event,
                subject_type: "fine",
                subject_id: id,
                payload: json!({"status": to}),
                reason: text,
            },
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Award eligibility of every active staff member in `year` (in the
    /// given units, or all), with the reasons when lost.
    pub async fn eligibility(
        &self,
        org_id: i64,
        rules: Rules<'_>,
        year: i32,
        unit_ids: Option<&[i64]>,
    ) -> Result<Vec<Eligibility>> {
        let (start, end) = year_bounds(rules.calendar, year);
        let kinds = in_list(&rules.pack.ledger.ineligible_by);
        let staff: Vec<(i64, i64, String, String, String)> = on_read!(self, c => sqlx::query_as(
            "SELECT s.id, s.unit_id, s.employee_no, s.name, u.name FROM staff s JOIN units u ON u.id = s.unit_id
              WHERE s.org_id = $1 AND s.active = TRUE ORDER BY s.employee_no")
            .bind(org_id).fetch_all(c).await)?;
        let sql = format!(
            "SELECT staff_id, id, COALESCE(decided_kind, kind), status, explanation FROM ledger_entries
              WHERE org_id = $1 AND staff_id IS NOT NULL AND status IN ('proposed', 'approved')
                AND COALESCE(decided_kind, kind) IN ({kinds}) AND occurred_at >= $2 AND occurred_at < $3 ORDER BY id"
        );
        let lost: Vec<(i64, i64, String, String, String)> = if kinds.is_empty() {
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
                    .map(|(_, entry, kind, status, why)| {
                        let kind = EntryKind::parse(kind).map_or(kind.as_str(), |k| k.label_zh());
                        let status = EntryStatus::parse(status).map_or("", |s| s.label_zh());
                        format!("台账 #{entry} {kind}（{status}）：{why}")
                    })
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
    pub async fn staff_ids_by_number(&self, org_id: i64) -> Result<std::collections::HashMap<String, i64>> {
        let rows: Vec<(String, i64)> = on_read!(self, c => sqlx::query_as("SELECT employee_no, id FROM staff WHERE org_id = $1")
            .bind(org_id).fetch_all(c).await)?;
        Ok(rows.into_iter().collect())
    }

    /// Sets the head of a unit (held to account with its staff).
    pub async fn set_unit_manager(
        &self,
        org_id: i64,
        actor: &str,
        unit_id: i64,
        staff_id: Option<i64>,
    ) -> Result<()> {
        let mut tx = self.begin().await?;
        self.unit_exists(&mut tx, org_id, unit_id).await?;
        if let Some(s) = staff_id {
            let ok: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar("SELECT id FROM staff WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(s).fetch_optional(c).await)?;
            ok.ok_or_else(|| invalid("staff_id", "员工不存在 / no such staff member"))?;
        }
        on_tx!(&mut tx, c => sqlx::query("UPDATE units SET manager_staff_id = $1 WHERE org_id = $2 AND id = $3")
            .bind(staff_id).bind(org_id).bind(unit_id).execute(c).await.map(|_| ()))?;
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor,
                kind: "unit.manager_set",
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

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct FactRow {
    pub id: i64,
    pub kind: String,
    pub staff_id: Option<i64>,
    pub unit_id: i64,
    pub rule_code: Option<String>,
    pub severity: Option<String>,
    pub detail: Option<String>,
    pub occurred_at: i64,
    pub note: String,
    pub case_id: Option<i64>,
    pub inspection_id: Option<i64>,
    pub voided_at: Option<i64>,
}

/// "Rule «…» (seed 001 八(一)): 2nd violation in 2026 — facts #12, #30."
fn explain(rule: &LedgerRule, kind: FactKind, facts: &[(i64, i64)], rules: Rules<'_>) -> String {
    let list: Vec<String> = facts
        .iter()
        .map(|(id, at)| format!("#{id}（{}）", rules.calendar.local_date(*at).format("%Y-%m-%d")))
        .collect();
    let source = if rule.source.is_empty() { String::new() } else { format!("（{}）", rule.source) };
    match rule.count {
        Some(c) => format!(
            "规则「{}」{source}：{}内第 {} 次{}，事实 {}",
            rule.title,
            c.period.label_zh(),
            facts.len(),
            kind.label_zh(),
            list.join("、")
        ),
        None => format!("规则「{}」{source}：{}，事实 {}", rule.title, kind.label_zh(), list.join("、")),
    }
}
