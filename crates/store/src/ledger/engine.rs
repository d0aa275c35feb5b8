//! The rules engine's driver: a fact is recorded and the pack's rules,
//! evaluated in the same transaction, propose entries with an explanation.

use chuangkou_domain::events::EventKind;
use chuangkou_domain::ledger::explain;
use chuangkou_domain::ledger::{
    AttendanceKind, CountOf, EntryKind, EntryStatus, FactKind, FactView, LedgerRule, Severity, Target,
    period_bounds,
};
use chuangkou_domain::policy::Rules;
use chuangkou_domain::{CaseId, OrgId, StaffId};
use serde_json::json;

use super::{FactOutcome, Insert, NewFact, Proposer, in_list};
use crate::cases::NotifyTarget;
use crate::{NewEvent, Result, Store, StoreError, Tx, on_tx};

/// What an entry a rule on entries proposes came from.
pub(crate) struct EntrySource {
    pub fact_id: Option<i64>,
    pub case_id: Option<CaseId>,
    pub inspection_id: Option<i64>,
}

/// A fact as written: whom it is about and how serious.
struct Recorded {
    id: i64,
    staff_id: Option<StaffId>,
    unit_id: i64,
    severity: Option<Severity>,
}

/// A fact as counting rules see it.
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
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()), err(level = "debug"))]
    pub async fn record_fact(
        &self,
        org_id: OrgId,
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
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()), err(level = "debug"))]
    pub async fn record_facts(
        &self,
        org_id: OrgId,
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
        org_id: OrgId,
        rules: Rules<'_>,
        by: &Proposer,
        f: &NewFact,
    ) -> Result<FactOutcome> {
        let (staff_id, unit_id) = self.subject_unit(tx, org_id, f.staff_id, f.unit_id).await?;
        let severity =
            explain::fact_severity(rules.pack, f.kind, f.rule_code.as_deref(), f.severity, f.detail, &f.note)
                .map_err(|e| StoreError::Invalid(vec![e]))?;
        let fact = Recorded { id: 0, staff_id, unit_id, severity };
        let fact = Recorded { id: self.insert_fact(tx, org_id, by, f, &fact).await?, ..fact };
        let mut proposed = self.rules_on_fact(tx, org_id, rules, by, f, &fact).await?;
        // Rules on entries: a unit whose people collect warnings.
        let source =
            EntrySource { fact_id: Some(fact.id), case_id: f.case_id, inspection_id: f.inspection_id };
        self.rules_on_entries(tx, org_id, rules, by, unit_id, f.occurred_at, &source, &mut proposed).await?;
        if !proposed.is_empty() {
            let message = format!(
                "台账有 {n} 条新的待审批条目 / {n} new ledger entries await approval",
                n = proposed.len()
            );
            for role in &rules.pack.ledger.approvers {
                self.notify(
                    tx,
                    org_id,
                    f.case_id,
                    NotifyTarget::Role(*role),
                    EventKind::LedgerProposed,
                    &message,
                )
                .await?;
            }
        }
        Ok(FactOutcome { fact_id: fact.id, proposed: proposed.into_iter().map(|(id, _)| id).collect() })
    }

    /// The fact's row and its `fact.recorded` event.
    async fn insert_fact(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        by: &Proposer,
        f: &NewFact,
        r: &Recorded,
    ) -> Result<i64> {
        let note = f.note.trim();
        let severity = r.severity.map(|s| s.as_str());
        let fact_id: i64 = on_tx!(tx, c => sqlx::query_scalar(
            "INSERT INTO facts (org_id, kind, staff_id, unit_id, rule_code, severity, detail, occurred_at, note,
                                case_id, inspection_id, recorded_by, recorded_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id")
            .bind(org_id).bind(f.kind.as_str()).bind(r.staff_id).bind(r.unit_id).bind(&f.rule_code)
            .bind(severity).bind(f.detail.map(|d| d.as_str())).bind(f.occurred_at)
            .bind(note).bind(f.case_id).bind(f.inspection_id).bind(&by.actor).bind(self.now_ms())
            .fetch_one(c).await)?;
        self.append(
            tx,
            NewEvent {
                org_id,
                actor: &by.actor,
                kind: EventKind::FactRecorded,
                subject_type: "fact",
                subject_id: fact_id,
                payload: json!({"kind": f.kind.as_str(), "staff_id": r.staff_id, "unit_id": r.unit_id,
                "rule_code": f.rule_code, "severity": severity,
                "detail": f.detail.map(|d| d.as_str()), "occurred_at": f.occurred_at,
                "case_id": f.case_id, "inspection_id": f.inspection_id}),
                reason: note,
            },
        )
        .await?;
        Ok(fact_id)
    }

    /// What the pack's rules on facts propose from a recorded fact.
    async fn rules_on_fact(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        rules: Rules<'_>,
        by: &Proposer,
        f: &NewFact,
        fact: &Recorded,
    ) -> Result<Vec<(i64, EntryKind)>> {
        let (staff_id, unit_id) = (fact.staff_id, fact.unit_id);
        let view = FactView { kind: f.kind, severity: fact.severity, detail: f.detail };
        let mut proposed: Vec<(i64, EntryKind)> = vec![];
        for rule in rules.pack.ledger.rules.iter().filter(|r| r.on_entry.is_none() && r.matches(&view)) {
            let (ids, key) = match rule.count {
                Some(c) => {
                    let (key, start, end) = period_bounds(c.period, rules.calendar, f.occurred_at);
                    (self.matching_facts(tx, org_id, rule, staff_id, unit_id, (start, end)).await?, Some(key))
                }
                None => (vec![(fact.id, f.occurred_at)], None),
            };
            let already = match &key {
                Some(k) => self.rule_fired(tx, org_id, &rule.code, k, staff_id, unit_id).await?,
                None => false,
            };
            if !rule.fires(ids.len() as u32, already) {
                continue;
            }
            let explanation = explain::on_facts(rule, f.kind, &ids, rules);
            let fact_ids: Vec<i64> = ids.iter().map(|(id, _)| *id).collect();
            for p in &rule.propose {
                let (who, explanation) = match p.to {
                    Target::Subject => (staff_id, explanation.clone()),
                    Target::Unit => (None, explanation.clone()),
                    Target::Manager => {
                        let who = self.unit_manager(tx, org_id, unit_id).await?;
                        (who, explain::to_manager(&explanation, who.is_some()))
                    }
                };
                let entry = Insert {
                    staff_id: who,
                    unit_id,
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
                };
                proposed.push((self.insert_entry(tx, org_id, &entry).await?, p.kind));
            }
        }
        Ok(proposed)
    }

    /// Runs the pack's rules on entries for every entry in `proposed` from
    /// `from` on (a collective warning for a unit whose people collect
    /// warnings), appending what they propose, which is looked at in turn.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn rules_on_entries(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        rules: Rules<'_>,
        by: &Proposer,
        unit_id: i64,
        occurred_at: i64,
        source: &EntrySource,
        proposed: &mut Vec<(i64, EntryKind)>,
    ) -> Result<()> {
        let mut i = 0;
        while i < proposed.len() {
            let kind = proposed[i].1;
            i += 1;
            for rule in rules.pack.ledger.rules.iter().filter(|r| r.on_entry == Some(kind)) {
                let Some(c) = rule.count else { continue };
                let (key, start, end) = period_bounds(c.period, rules.calendar, occurred_at);
                // (staff, entry): one row a warned person, or one a warning.
                let sql = match c.of {
                    CountOf::People => {
                        "SELECT staff_id, MIN(id) FROM ledger_entries
                         WHERE org_id = $1 AND unit_id = $2 AND kind = $3 AND staff_id IS NOT NULL
                           AND status IN ('proposed', 'approved') AND occurred_at >= $4 AND occurred_at < $5
                         GROUP BY staff_id ORDER BY staff_id"
                    }
                    CountOf::Entries => {
                        "SELECT staff_id, id FROM ledger_entries
                         WHERE org_id = $1 AND unit_id = $2 AND kind = $3 AND staff_id IS NOT NULL
                           AND status IN ('proposed', 'approved') AND occurred_at >= $4 AND occurred_at < $5
                         ORDER BY id"
                    }
                };
                let found: Vec<(i64, i64)> = on_tx!(tx, c => sqlx::query_as(sql)
                    .bind(org_id).bind(unit_id).bind(kind.as_str()).bind(start).bind(end).fetch_all(c).await)?;
                let already = self.rule_fired(tx, org_id, &rule.code, &key, None, unit_id).await?;
                if !rule.fires(found.len() as u32, already) {
                    continue;
                }
                let entries: Vec<i64> = found.iter().map(|(_, e)| *e).collect();
                let explanation = explain::on_entries(rule, kind, &key, c.of, &entries);
                let fact_ids: Vec<i64> = source.fact_id.into_iter().collect();
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
                                fact_ids: &fact_ids,
                                detail: None,
                                occurred_at,
                                by,
                                reverses_id: None,
                                case_id: source.case_id,
                                inspection_id: source.inspection_id,
                            },
                        )
                        .await?;
                    proposed.push((id, p.kind));
                }
            }
        }
        Ok(())
    }

    /// The live facts of the rule's kinds about the same person (or unit)
    /// in `[start, end)` that pass its filters: `(id, occurred_at)`.
    async fn matching_facts(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        rule: &LedgerRule,
        staff_id: Option<StaffId>,
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
            .bind(org_id).bind(staff_id.map_or(unit_id, StaffId::get)).bind(start).bind(end).fetch_all(c).await)?;
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
        org_id: OrgId,
        rule: &str,
        key: &str,
        staff_id: Option<StaffId>,
        unit_id: i64,
    ) -> Result<bool> {
        let who = if staff_id.is_some() { "staff_id = $4" } else { "staff_id IS NULL AND unit_id = $4" };
        let sql = format!(
            "SELECT COUNT(*) FROM ledger_entries WHERE org_id = $1 AND rule_code = $2 AND period_key = $3
               AND {who} AND status IN ('proposed', 'approved')"
        );
        let n: i64 = on_tx!(tx, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(rule).bind(key).bind(staff_id.map_or(unit_id, StaffId::get)).fetch_one(c).await)?;
        Ok(n > 0)
    }

    async fn unit_manager(&self, tx: &mut Tx, org_id: OrgId, unit_id: i64) -> Result<Option<StaffId>> {
        let m: Option<Option<StaffId>> = on_tx!(tx, c => sqlx::query_scalar(
            "SELECT manager_staff_id FROM units WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(unit_id).fetch_optional(c).await)?;
        Ok(m.flatten())
    }

    /// Whom an entry or fact is about: a staff member (and their unit,
    /// unless another is given) or, without one, a unit of the organisation.
    pub(super) async fn subject_unit(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        staff_id: Option<StaffId>,
        unit_id: Option<i64>,
    ) -> Result<(Option<StaffId>, i64)> {
        match (staff_id, unit_id) {
            (Some(s), unit) => {
                let own = self.staff_unit_in(tx, org_id, s, "staff_id").await?;
                Ok((Some(s), unit.unwrap_or(own)))
            }
            (None, Some(u)) => {
                self.unit_in(tx, org_id, u, "unit_id").await?;
                Ok((None, u))
            }
            (None, None) => {
                Err(StoreError::field("staff_id", "请选择员工或部门 / choose a person or a unit"))
            }
        }
    }

    pub(super) async fn insert_entry(&self, tx: &mut Tx, org_id: OrgId, e: &Insert<'_>) -> Result<i64> {
        let now = self.now_ms();
        let choices = e.choices.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(",");
        let facts = e.fact_ids.iter().map(|i| i.to_string()).collect::<Vec<_>>().join(",");
        let approved = e.status == EntryStatus::Approved;
        let (decided_by, decided_at, decided_kind) =
            if approved { (e.by.user_id, Some(now), Some(e.kind.as_str())) } else { (None, None, None) };
        let amount = if approved { e.fine.map(|f| f.0.fen()) } else { None };
        let id: i64 = on_tx!(tx, c => sqlx::query_scalar(
            "INSERT INTO ledger_entries (org_id, staff_id, unit_id, kind, choices, decided_kind, status, fine_min,
                fine_max, amount, rule_code, codebook_code, period_key, explanation, fact_ids, detail, occurred_at,
                proposed_by, proposer_user_id, proposed_at, decided_by, decided_at, reverses_id, case_id, inspection_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20,
                $21, $22, $23, $24, $25) RETURNING id")
            .bind(org_id).bind(e.staff_id).bind(e.unit_id).bind(e.kind.as_str()).bind(&choices)
            .bind(decided_kind).bind(e.status.as_str()).bind(e.fine.map(|f| f.0.fen())).bind(e.fine.map(|f| f.1.fen()))
            .bind(amount).bind(e.rule_code).bind(e.codebook_code).bind(e.period_key).bind(e.explanation)
            .bind(&facts).bind(&e.detail).bind(e.occurred_at).bind(&e.by.actor).bind(e.by.user_id).bind(now)
            .bind(decided_by).bind(decided_at).bind(e.reverses_id).bind(e.case_id).bind(e.inspection_id)
            .fetch_one(c).await)?;
        self.append(
            tx,
            NewEvent {
                org_id,
                actor: &e.by.actor,
                kind: if e.reverses_id.is_some() {
                    EventKind::LedgerReversal
                } else {
                    EventKind::LedgerProposed
                },
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
}
