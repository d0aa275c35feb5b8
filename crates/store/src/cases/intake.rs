//! Registering a case (SPEC CASE-1, CASE-2, CASE-6, CASE-11).
//!
//! One transaction holds the next number of the organisation's year, the
//! encrypted reporter, the case, its search terms, its timers and the
//! `case.registered` event. The number and tracking code are returned only
//! after the commit: nothing acknowledged is ever lost.

use chrono::Datelike;
use chuangkou_domain::FieldError;
use chuangkou_domain::cases::clock::{self, PlannedTimer};
use chuangkou_domain::cases::number::{case_number, tracking_code};
use chuangkou_domain::cases::similar::{LIKELY_DUPLICATE, bigrams, dice};
use chuangkou_domain::cases::{CaseKind, Channel};
use chuangkou_domain::policy::Rules;
use serde::Serialize;
use serde_json::json;

use super::CASE_COLUMNS;
use crate::org::Organisation;
use crate::users::sha256_hex;
use crate::{NewEvent, Result, Store, StoreError, Tx, on_read, on_tx};

#[derive(Debug, Clone)]
pub struct NewCase {
    pub kind: CaseKind,
    pub channel: Channel,
    pub category: String,
    /// A handling track of the pack; `None` takes the kind's default.
    pub track: Option<String>,
    pub description: String,
    pub unit_id: Option<i64>,
    pub service_point_id: Option<i64>,
    /// The staff member the case is about.
    pub subject_staff_id: Option<i64>,
    pub plate: Option<String>,
    pub reporter_name: Option<String>,
    /// Digits only.
    pub reporter_phone: Option<String>,
    /// The staff user who registers it: the first-responsible person.
    pub registered_by: Option<i64>,
    /// Issue a tracking code for the public (shown once).
    pub issue_tracking_code: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Registered {
    pub id: i64,
    pub number: String,
    /// Shown once; only its hash is kept.
    pub tracking_code: Option<String>,
    pub investigate_due: Option<i64>,
    pub handle_due: i64,
}

/// What intake knows of a new matter, to look for earlier ones like it.
#[derive(Debug, Clone, Copy)]
pub struct DuplicateProbe<'a> {
    /// Digits only.
    pub phone: Option<&'a str>,
    pub service_point_id: Option<i64>,
    pub plate: Option<&'a str>,
    pub text: &'a str,
    /// How far back to look.
    pub window_ms: i64,
    /// The case itself, when probing for an existing case.
    pub exclude_case: Option<i64>,
}

/// A case checked and ready to write: see [`Store::prepare_case`].
#[derive(Debug, Clone)]
pub struct Prepared {
    org_id: i64,
    org_code: String,
    actor: String,
    nc: NewCase,
    category: String,
    track: String,
    routed_to: String,
    deadlines: clock::Deadlines,
    timers: Vec<PlannedTimer>,
    year: i32,
    now: i64,
    phone_hash: Option<String>,
    tracking_code: Option<String>,
    unit_id: Option<i64>,
    point_id: Option<i64>,
}

/// An earlier case that looks like the same matter.
#[derive(Debug, Clone, Serialize)]
pub struct Duplicate {
    pub case_id: i64,
    pub number: String,
    pub state: String,
    pub registered_at: i64,
    pub description: String,
    /// `phone`, `service_point`, `plate`, `text`.
    pub reasons: Vec<&'static str>,
    pub similarity: f64,
}

fn invalid(field: &str, message: impl Into<String>) -> StoreError {
    StoreError::Invalid(vec![FieldError::new(field, message)])
}

impl Store {
    /// Registers one case in its own transaction. Under load, prefer
    /// [`super::Intake`], which commits many at once.
    pub async fn register_case(
        &self,
        org: &Organisation,
        rules: Rules<'_>,
        nc: &NewCase,
        actor: &str,
    ) -> Result<Registered> {
        let p = self.prepare_case(org, rules, nc, actor).await?;
        let mut tx = self.begin().await?;
        let r = self.insert_prepared(&mut tx, &p).await?;
        tx.commit().await?;
        Ok(r)
    }

    /// Registers several prepared cases in one transaction: one commit, one
    /// fsync, for all of them (group commit).
    pub async fn register_batch(&self, items: &[Prepared]) -> Result<Vec<Registered>> {
        let mut tx = self.begin().await?;
        let mut out = Vec::with_capacity(items.len());
        for p in items {
            out.push(self.insert_prepared(&mut tx, p).await?);
        }
        tx.commit().await?;
        Ok(out)
    }

    /// Checks a new case against the pack and the organisation's records and
    /// computes its deadlines and timers. Nothing is written.
    pub async fn prepare_case(
        &self,
        org: &Organisation,
        rules: Rules<'_>,
        nc: &NewCase,
        actor: &str,
    ) -> Result<Prepared> {
        let (policy, cal) = (&rules.pack.cases, rules.calendar);
        let category =
            policy.category(&nc.category).filter(|c| c.kinds.contains(&nc.kind)).ok_or_else(|| {
                invalid(
                    "category",
                    format!(
                        "类别 {} 不适用于{} / unknown category for this kind",
                        nc.category,
                        nc.kind.label_zh()
                    ),
                )
            })?;
        let track = match &nc.track {
            Some(code) => policy.track(code).filter(|t| t.kinds.contains(&nc.kind)).ok_or_else(|| {
                invalid("track", format!("办理时限 {code} 不适用 / unknown track for this kind"))
            })?,
            None => policy.default_track(nc.kind).ok_or_else(|| invalid("kind", "no default track"))?,
        };
        let (unit_id, point_id) = self.check_refs(org.id, nc).await?;
        let now = self.now_ms();
        let deadlines = clock::deadlines(track, cal, now, None);
        let code = nc.issue_tracking_code.then(|| {
            let mut raw = [0u8; 20];
            rand::RngCore::fill_bytes(&mut rand::rng(), &mut raw);
            tracking_code(&raw)
        });
        Ok(Prepared {
            org_id: org.id,
            org_code: org.code.clone(),
            actor: actor.to_string(),
            category: category.code.clone(),
            track: track.code.clone(),
            routed_to: if category.about_leader {
                policy.discipline_body.clone()
            } else {
                "office".to_string()
            },
            timers: clock::plan(policy, &deadlines),
            deadlines,
            year: cal.local(now).year(),
            now,
            phone_hash: nc.reporter_phone.as_deref().map(|p| self.phone_hash(p)),
            tracking_code: code,
            unit_id,
            point_id,
            nc: nc.clone(),
        })
    }

    async fn insert_prepared(&self, tx: &mut Tx, p: &Prepared) -> Result<Registered> {
        let (org_id, nc, now) = (p.org_id, &p.nc, p.now);
        let seq: i64 = on_tx!(tx, c => sqlx::query_scalar(
            "INSERT INTO case_counters (org_id, year, last) VALUES ($1, $2, 1)
             ON CONFLICT (org_id, year) DO UPDATE SET last = case_counters.last + 1 RETURNING last")
            .bind(org_id).bind(p.year as i64).fetch_one(c).await)?;
        let number = case_number(&p.org_code, p.year, seq);
        let reporter_id: Option<i64> = if nc.reporter_name.is_some() || nc.reporter_phone.is_some() {
            let name = nc.reporter_name.as_deref().map(|n| self.encrypt(n));
            let phone = nc.reporter_phone.as_deref().map(|p| self.encrypt(p));
            Some(on_tx!(tx, c => sqlx::query_scalar(
                "INSERT INTO reporters (org_id, name_enc, phone_enc, phone_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
                .bind(org_id).bind(name).bind(phone).bind(&p.phone_hash).bind(now).fetch_one(c).await)?)
        } else {
            None
        };
        let d = p.deadlines;
        let id: i64 = on_tx!(tx, c => sqlx::query_scalar(
            "INSERT INTO cases (org_id, number, kind, channel, category, track, state, description, unit_id, service_point_id,
               subject_staff_id, plate, routed_to, reporter_id, phone_hash, tracking_hash, first_responsible_id, owner_id,
               registered_at, investigate_due, handle_due, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 'registered', $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16, $17, $18, $19, $17)
             RETURNING id")
            .bind(org_id).bind(&number).bind(nc.kind.as_str()).bind(nc.channel.as_str()).bind(&p.category)
            .bind(&p.track).bind(&nc.description).bind(p.unit_id).bind(p.point_id).bind(nc.subject_staff_id)
            .bind(&nc.plate).bind(&p.routed_to).bind(reporter_id).bind(&p.phone_hash)
            .bind(p.tracking_code.as_deref().map(sha256_hex)).bind(nc.registered_by).bind(now)
            .bind(d.investigate).bind(d.handle)
            .fetch_one(c).await)?;
        self.index_terms(tx, org_id, id, &nc.description).await?;
        self.insert_timers(tx, org_id, id, 1, &p.timers).await?;
        self.append(
            tx,
            NewEvent {
                org_id,
                actor: &p.actor,
                kind: "case.registered",
                subject_type: "case",
                subject_id: id,
                payload: json!({
                    "number": number, "kind": nc.kind.as_str(), "channel": nc.channel.as_str(),
                    "category": p.category, "track": p.track, "routed_to": p.routed_to,
                    "unit_id": p.unit_id, "service_point_id": p.point_id, "subject_staff_id": nc.subject_staff_id,
                    "first_responsible_id": nc.registered_by, "has_reporter": reporter_id.is_some(),
                    "investigate_due": d.investigate, "handle_due": d.handle,
                }),
                reason: "",
            },
        )
        .await?;
        Ok(Registered {
            id,
            number,
            tracking_code: p.tracking_code.clone(),
            investigate_due: d.investigate,
            handle_due: d.handle,
        })
    }

    /// Checks that referenced records are the organisation's; a service
    /// point also gives the case its unit. (Units, points and staff are never
    /// deleted, so a check made before the write still holds at commit.)
    async fn check_refs(&self, org_id: i64, nc: &NewCase) -> Result<(Option<i64>, Option<i64>)> {
        let mut unit_id = nc.unit_id;
        if let Some(p) = nc.service_point_id {
            let unit: Option<i64> = on_read!(self, c => sqlx::query_scalar("SELECT unit_id FROM service_points WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(p).fetch_optional(c).await)?;
            let unit =
                unit.ok_or_else(|| invalid("service_point_id", "服务点不存在 / no such service point"))?;
            unit_id = unit_id.or(Some(unit));
        }
        if let Some(u) = unit_id {
            let ok: Option<i64> = on_read!(self, c => sqlx::query_scalar("SELECT id FROM units WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(u).fetch_optional(c).await)?;
            ok.ok_or_else(|| invalid("unit_id", "单位不存在 / no such unit"))?;
        }
        if let Some(s) = nc.subject_staff_id {
            let ok: Option<i64> = on_read!(self, c => sqlx::query_scalar("SELECT id FROM staff WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(s).fetch_optional(c).await)?;
            ok.ok_or_else(|| invalid("subject_staff_id", "员工不存在 / no such staff member"))?;
        }
        Ok((unit_id, nc.service_point_id))
    }

    /// Indexes a text's bigrams in one statement.
    pub(crate) async fn index_terms(&self, tx: &mut Tx, org_id: i64, case_id: i64, text: &str) -> Result<()> {
        let terms: Vec<String> = bigrams(text).into_iter().collect();
        for chunk in terms.chunks(200) {
            let values: Vec<String> = (0..chunk.len()).map(|i| format!("($1, ${}, $2)", i + 3)).collect();
            let sql = format!(
                "INSERT INTO case_terms (org_id, term, case_id) VALUES {} ON CONFLICT DO NOTHING",
                values.join(", ")
            );
            on_tx!(tx, c => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(org_id).bind(case_id);
                for t in chunk {
                    q = q.bind(t);
                }
                q.execute(c).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(())
    }

    /// Writes a case's timers in one statement.
    pub(crate) async fn insert_timers(
        &self,
        tx: &mut Tx,
        org_id: i64,
        case_id: i64,
        version: i64,
        timers: &[PlannedTimer],
    ) -> Result<()> {
        if timers.is_empty() {
            return Ok(());
        }
        let values: Vec<String> =
            (0..timers.len()).map(|i| format!("($1, $2, ${}, $3, ${})", 4 + 2 * i, 5 + 2 * i)).collect();
        let sql = format!(
            "INSERT INTO timers (org_id, case_id, action, version, due_at) VALUES {}",
            values.join(", ")
        );
        on_tx!(tx, c => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(org_id).bind(case_id).bind(version);
            for t in timers {
                q = q.bind(t.action.encode()).bind(t.due_at);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })?;
        Ok(())
    }

    /// Earlier cases within `window_ms` that look like the same matter: the
    /// same phone, service point or plate, or a similar text (CASE-6).
    pub async fn likely_duplicates(&self, org_id: i64, probe: &DuplicateProbe<'_>) -> Result<Vec<Duplicate>> {
        let DuplicateProbe { phone, service_point_id, plate, text, window_ms, exclude_case } = *probe;
        let since = self.now_ms() - window_ms;
        let phone_hash = phone.map(|p| self.phone_hash(p));
        let sql = format!(
            "SELECT {CASE_COLUMNS}, k.phone_hash FROM cases k WHERE k.org_id = $1 AND k.registered_at >= $2
               AND k.state <> 'merged' AND ((k.phone_hash IS NOT NULL AND k.phone_hash = $3) OR k.service_point_id = $4
               OR (k.plate IS NOT NULL AND k.plate = $5))
             ORDER BY k.registered_at DESC LIMIT 50"
        );
        #[derive(sqlx::FromRow)]
        struct Hit {
            #[sqlx(flatten)]
            case: super::CaseRow,
            phone_hash: Option<String>,
        }
        let hits: Vec<Hit> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(org_id).bind(since).bind(&phone_hash).bind(service_point_id).bind(plate).fetch_all(c).await)?;
        let mut out: Vec<Duplicate> = Vec::new();
        for h in hits {
            let mut reasons = Vec::new();
            if phone_hash.is_some() && h.phone_hash == phone_hash {
                reasons.push("phone");
            }
            if service_point_id.is_some() && h.case.service_point_id == service_point_id {
                reasons.push("service_point");
            }
            if plate.is_some() && h.case.plate.as_deref() == plate {
                reasons.push("plate");
            }
            let similarity = dice(text, &h.case.description);
            if similarity >= LIKELY_DUPLICATE {
                reasons.push("text");
            }
            out.push(dup(h.case, reasons, similarity));
        }
        // Similar text with nothing else in common, through the term index.
        let terms: Vec<String> = bigrams(text).into_iter().take(64).collect();
        if !terms.is_empty() {
            let placeholders: Vec<String> = (0..terms.len()).map(|i| format!("${}", i + 3)).collect();
            let sql = format!(
                "SELECT {} FROM cases k JOIN (SELECT case_id, COUNT(*) AS n FROM case_terms
                   WHERE org_id = $1 AND term IN ({}) GROUP BY case_id ORDER BY n DESC LIMIT 20) t ON t.case_id = k.id
                 WHERE k.org_id = $1 AND k.registered_at >= $2 AND k.state <> 'merged'",
                CASE_COLUMNS,
                placeholders.join(", ")
            );
            let mut rows: Vec<super::CaseRow> = on_read!(self, c => {
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(org_id).bind(since);
                for t in &terms {
                    q = q.bind(t);
                }
                q.fetch_all(c).await
            })?;
            rows.retain(|r| !out.iter().any(|d| d.case_id == r.id));
            for r in rows {
                let similarity = dice(text, &r.description);
                if similarity >= LIKELY_DUPLICATE {
                    out.push(dup(r, vec!["text"], similarity));
                }
            }
        }
        out.retain(|d| Some(d.case_id) != exclude_case && !d.reasons.is_empty());
        out.sort_by(|a, b| b.reasons.len().cmp(&a.reasons.len()).then(b.similarity.total_cmp(&a.similarity)));
        Ok(out)
    }
}

fn dup(c: super::CaseRow, reasons: Vec<&'static str>, similarity: f64) -> Duplicate {
    Duplicate {
        case_id: c.id,
        number: c.number,
        state: c.state,
        registered_at: c.registered_at,
        description: c.description,
        reasons,
        similarity: (similarity * 100.0).round() / 100.0,
    }
}
