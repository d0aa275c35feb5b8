//! People decide: manual proposals, approval or rejection (never by the
//! proposer), reversal entries, one appeal per entry and its decision.

use chuangkou_domain::access::about_themselves;
use chuangkou_domain::events::EventKind;
use chuangkou_domain::ledger::decision::{self, Decider, Proposed, Refusal};
use chuangkou_domain::ledger::{AppealOutcome, EntryKind, EntryStatus};
use chuangkou_domain::policy::Rules;
use chuangkou_domain::{Fen, OrgId, Permission, StaffId, UserId};
use serde_json::json;

use super::{ENTRY_SELECT, EntryDecision, EntryRow, Insert, NewEntry, Proposer};
use crate::cases::NotifyTarget;
use crate::users::User;
use crate::{NewEvent, Result, Store, StoreError, Tx, on_tx};

impl Store {
    /// A manual proposal: commendations, good deeds, talks, penalties, and
    /// efficiency warnings (which count towards a collective warning like
    /// the ones the rules propose).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()), err(level = "debug"))]
    pub async fn propose_entry(
        &self,
        org_id: OrgId,
        rules: Rules<'_>,
        by: &User,
        e: &NewEntry,
    ) -> Result<i64> {
        if !by.role().can(Permission::RecordLedger) {
            return Err(StoreError::refused(
                false,
                "只有办公室和领导小组可以提出台账条目 / only the office and leaders may propose",
            ));
        }
        let note = crate::required("note", &e.note, 2000)?;
        let fine = match (e.kind, e.amount) {
            (EntryKind::Fine, Some(a)) if a > Fen::ZERO => Some((a, a)),
            (EntryKind::Fine, _) => {
                return Err(StoreError::field("amount", "请填写罚款金额 / enter the amount"));
            }
            _ => None,
        };
        if matches!(e.kind, EntryKind::Violation | EntryKind::AwardIneligible | EntryKind::CollectiveWarning)
        {
            return Err(StoreError::field(
                "kind",
                "违规和集体告诫由事实和规则产生，请录入事实 / record the fact; the rules propose these",
            ));
        }
        if e.kind == EntryKind::EfficiencyWarning && e.staff_id.is_none() {
            return Err(StoreError::field(
                "staff_id",
                "效能告诫须指明被告诫人 / an efficiency warning names the person",
            ));
        }
        let mut tx = self.begin().await?;
        let (_, unit_id) = self.subject_unit(&mut tx, org_id, e.staff_id, e.unit_id).await?;
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
        let mut proposed = vec![(id, e.kind)];
        let source = super::engine::EntrySource { fact_id: None, case_id: None, inspection_id: None };
        self.rules_on_entries(
            &mut tx,
            org_id,
            rules,
            &proposer,
            unit_id,
            e.occurred_at,
            &source,
            &mut proposed,
        )
        .await?;
        tx.commit().await?;
        Ok(id)
    }

    /// The entry, read after its row is locked (PostgreSQL; SQLite's one
    /// writer already serialises), so that two decisions cannot both pass.
    async fn lock_entry(&self, tx: &mut Tx, org_id: OrgId, id: i64) -> Result<EntryRow> {
        let lock = format!("SELECT id FROM ledger_entries WHERE org_id = $1 AND id = $2{}", self.lock_rows());
        let found: Option<i64> = on_tx!(tx, c => sqlx::query_scalar(sqlx::AssertSqlSafe(lock)).bind(org_id).bind(id).fetch_optional(c).await)?;
        found.ok_or(StoreError::NotFound)?;
        let sql = format!("{ENTRY_SELECT} WHERE e.org_id = $1 AND e.id = $2");
        Ok(
            on_tx!(tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(id).fetch_one(c).await)?,
        )
    }

    /// Approves or rejects a proposed entry (LED-3): [`decision::decide`]
    /// says whether and what; this writes it.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get(), entry_id = id), err(level = "debug"))]
    pub async fn decide_entry(
        &self,
        org_id: OrgId,
        rules: Rules<'_>,
        by: &User,
        id: i64,
        d: &EntryDecision,
    ) -> Result<EntryRow> {
        let mut tx = self.begin().await?;
        let e = self.lock_entry(&mut tx, org_id, id).await?;
        let proposed = Proposed {
            status: e.status(),
            kind: Some(e.kind),
            choices: e.choice_kinds(),
            fine_min: e.fine_min,
            fine_max: e.fine_max,
            staff_id: e.staff_id,
            proposer_user_id: e.proposer_user_id,
        };
        let decider = Decider {
            user_id: by.id,
            staff_id: by.staff_id,
            may_approve: rules.pack.ledger.may_approve(by.role()),
        };
        let out = decision::decide(&proposed, decider, d).map_err(|r| match r {
            Refusal::NotAllowed(why) => StoreError::refused(false, why),
            Refusal::Decided => {
                StoreError::refused(true, "该条目已处理 / this entry has already been decided")
            }
            Refusal::Invalid(f) => StoreError::Invalid(vec![f]),
        })?;
        let now = self.now_ms();
        on_tx!(&mut tx, c => sqlx::query(
            "UPDATE ledger_entries SET status = $1, decided_kind = $2, amount = $3, decided_by = $4, decided_at = $5,
                 decision_note = $6 WHERE org_id = $7 AND id = $8")
            .bind(out.status.as_str()).bind(out.kind.map(|k| k.as_str())).bind(out.fine.map(Fen::fen)).bind(by.id).bind(now)
            .bind(&out.note).bind(org_id).bind(id).execute(c).await.map(|_| ()))?;
        self.changed(&mut tx, org_id, "ledger_entries", id).await?;
        if let Some(a) = out.fine {
            on_tx!(&mut tx, c => sqlx::query(
                "INSERT INTO fines (org_id, entry_id, staff_id, unit_id, amount, status, due_since) VALUES ($1, $2, $3, $4, $5, 'due', $6)")
                .bind(org_id).bind(id).bind(e.staff_id).bind(e.unit_id).bind(a.fen()).bind(now).execute(c).await.map(|_| ()))?;
        }
        if out.void_facts {
            self.void_facts(&mut tx, org_id, &e).await?;
        }
        let actor = by.actor();
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind: if d.approve { EventKind::LedgerApproved } else { EventKind::LedgerRejected },
                subject_type: "ledger_entry",
                subject_id: id,
                payload: json!({"kind": out.kind.map(|k| k.as_str()), "amount": out.fine}),
                reason: &out.note,
            },
        )
        .await?;
        if let (Some(staff), Some(notice)) = (e.staff_id, &out.notice) {
            self.notify_staff(&mut tx, org_id, staff, EventKind::LedgerApproved, notice).await?;
        }
        tx.commit().await?;
        self.entry(org_id, id).await
    }

    async fn void_facts(&self, tx: &mut Tx, org_id: OrgId, e: &EntryRow) -> Result<()> {
        let now = self.now_ms();
        for id in e.fact_ids.split(',').filter_map(|x| x.parse::<i64>().ok()) {
            let n = on_tx!(tx, c => sqlx::query("UPDATE facts SET voided_at = $1 WHERE org_id = $2 AND id = $3 AND voided_at IS NULL")
                .bind(now).bind(org_id).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
            if n > 0 {
                self.changed(tx, org_id, "facts", id).await?;
            }
        }
        Ok(())
    }

    async fn notify_staff(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        staff_id: StaffId,
        kind: EventKind,
        message: &str,
    ) -> Result<()> {
        let users: Vec<UserId> = on_tx!(tx, c => sqlx::query_scalar(
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
        org_id: OrgId,
        rules: Rules<'_>,
        by: &User,
        id: i64,
        reason: &str,
    ) -> Result<EntryRow> {
        if !rules.pack.ledger.may_approve(by.role()) {
            return Err(StoreError::refused(
                false,
                "您的角色不能更正台账 / your role may not correct the ledger",
            ));
        }
        let reason = crate::required("reason", reason, 2000)?;
        let mut tx = self.begin().await?;
        let e = self.lock_entry(&mut tx, org_id, id).await?;
        if let Some(why) = about_themselves(by.staff_id, e.staff_id) {
            return Err(StoreError::refused(false, why));
        }
        self.reverse_tx(&mut tx, org_id, by, &e, &reason).await?;
        tx.commit().await?;
        self.entry(org_id, id).await
    }

    async fn reverse_tx(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        by: &User,
        e: &EntryRow,
        reason: &str,
    ) -> Result<i64> {
        if e.status() != EntryStatus::Approved {
            return Err(StoreError::refused(
                true,
                "只有已生效的条目可以撤销 / only approved entries can be reversed",
            ));
        }
        let kind = e.effective_kind();
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
        self.changed(tx, org_id, "ledger_entries", e.id).await?;
        let waived: Vec<i64> = on_tx!(tx, c => sqlx::query_scalar(
            "UPDATE fines SET status = 'waived', waived_at = $1, waived_reason = $2
              WHERE org_id = $3 AND entry_id = $4 AND status IN ('due', 'waiver_proposed') RETURNING id")
            .bind(now).bind(&explanation).bind(org_id).bind(e.id).fetch_all(c).await)?;
        for fine in waived {
            self.changed(tx, org_id, "fines", fine).await?;
        }
        if kind == EntryKind::Violation {
            self.void_facts(tx, org_id, e).await?;
        }
        Ok(rid)
    }

    /// The person concerned appeals an approved entry, once (LED-3).
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()), err(level = "debug"))]
    pub async fn appeal(
        &self,
        org_id: OrgId,
        rules: Rules<'_>,
        by: &User,
        id: i64,
        reason: &str,
    ) -> Result<EntryRow> {
        let reason = crate::required("reason", reason, 2000)?;
        let mut tx = self.begin().await?;
        let e = self.lock_entry(&mut tx, org_id, id).await?;
        if by.staff_id.is_none() || e.staff_id != by.staff_id {
            return Err(StoreError::refused(
                false,
                "只有当事人本人可以申诉 / only the person concerned may appeal",
            ));
        }
        if e.appeal_id.is_some() {
            return Err(StoreError::refused(true, "每个条目只能申诉一次 / an entry can be appealed once"));
        }
        if e.status() != EntryStatus::Approved || e.effective_kind().is_merit() || e.reverses_id.is_some() {
            return Err(StoreError::refused(
                true,
                "只能对已生效的处理申诉 / only penalties in force can be appealed",
            ));
        }
        let now = self.now_ms();
        let deadline = rules.pack.ledger.appeal_window.after(rules.calendar, e.decided_at.unwrap_or(now));
        if now > deadline {
            return Err(StoreError::refused(true, "已超过申诉期限 / the time to appeal has passed"));
        }
        let appeal_id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO appeals (org_id, entry_id, user_id, reason, filed_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(org_id).bind(id).bind(by.id).bind(&reason).bind(now).fetch_one(c).await)?;
        let actor = by.actor();
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind: EventKind::LedgerAppealed,
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
                EventKind::LedgerAppealed,
                &format!("台账 #{id} 有新的申诉待决定 / an appeal awaits your decision"),
            )
            .await?;
        }
        tx.commit().await?;
        self.entry(org_id, id).await
    }

    /// Decides an appeal; a granted appeal reverses the entry.
    #[tracing::instrument(level = "debug", skip_all, fields(org_id = org_id.get()), err(level = "debug"))]
    pub async fn decide_appeal(
        &self,
        org_id: OrgId,
        rules: Rules<'_>,
        by: &User,
        id: i64,
        outcome: AppealOutcome,
        decision: &str,
    ) -> Result<EntryRow> {
        if !rules.pack.ledger.may_decide_appeals(by.role()) {
            return Err(StoreError::refused(
                false,
                "您的角色不能决定申诉 / your role may not decide appeals",
            ));
        }
        let decision = crate::required("decision", decision, 2000)?;
        let mut tx = self.begin().await?;
        let e = self.lock_entry(&mut tx, org_id, id).await?;
        if let Some(why) = about_themselves(by.staff_id, e.staff_id) {
            return Err(StoreError::refused(false, why));
        }
        let Some(appeal_id) = e.appeal_id else {
            return Err(StoreError::refused(true, "该条目没有申诉 / this entry has no appeal"));
        };
        if e.appeal_outcome.is_some() {
            return Err(StoreError::refused(true, "该申诉已有决定 / the appeal has been decided"));
        }
        let appellant: UserId = on_tx!(&mut tx, c => sqlx::query_scalar("SELECT user_id FROM appeals WHERE id = $1")
            .bind(appeal_id).fetch_one(c).await)?;
        if appellant == by.id {
            return Err(StoreError::refused(
                false,
                "不能决定自己的申诉 / you may not decide your own appeal",
            ));
        }
        let now = self.now_ms();
        on_tx!(&mut tx, c => sqlx::query(
            "UPDATE appeals SET outcome = $1, decision = $2, decided_by = $3, decided_at = $4 WHERE id = $5")
            .bind(outcome.as_str()).bind(&decision).bind(by.id).bind(now).bind(appeal_id).execute(c).await.map(|_| ()))?;
        self.changed(&mut tx, org_id, "appeals", appeal_id).await?;
        if outcome == AppealOutcome::Granted {
            self.reverse_tx(&mut tx, org_id, by, &e, &format!("申诉成立：{decision}")).await?;
        }
        let actor = by.actor();
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind: EventKind::LedgerAppealDecided,
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
            EventKind::LedgerAppealDecided,
            &format!("您对台账 #{id} 的申诉已有决定：{} / your appeal was decided", outcome.label_zh()),
        )
        .await?;
        tx.commit().await?;
        self.entry(org_id, id).await
    }
}
