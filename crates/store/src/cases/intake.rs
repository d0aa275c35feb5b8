//! Registering a case (SPEC CASE-1, CASE-2, CASE-6, CASE-11).
//!
//! One transaction holds the next number of the organisation's year, the
//! encrypted reporter, the case, its search terms, its timers and the
//! `case.registered` event. The number and tracking code are returned only
//! after the commit: nothing acknowledged is ever lost.

use chuangkou_domain::events::EventKind;
use std::collections::HashMap;

use chrono::Datelike;
use chuangkou_domain::cases::clock::{self, PlannedTimer};
use chuangkou_domain::cases::number::{case_number, speaks_code, spoken_code, tracking_code};
use chuangkou_domain::cases::{CaseKind, Channel};
use chuangkou_domain::policy::Rules;
use chuangkou_domain::{CaseId, FieldError, OrgId, StaffId, UserId};
use serde::Serialize;
use serde_json::json;

use crate::duty::OnSite;
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
    pub subject_staff_id: Option<StaffId>,
    pub plate: Option<String>,
    pub reporter_name: Option<String>,
    /// Digits only.
    pub reporter_phone: Option<String>,
    /// The staff user who registers it: the first-responsible person.
    pub registered_by: Option<UserId>,
    /// Issue a tracking code for the public (shown once).
    pub issue_tracking_code: bool,
    /// Photos the reporter attached, checked and re-encoded (at most
    /// [`MAX_CASE_PHOTOS`]); written with the case.
    pub photos: Vec<crate::inspections::Photo>,
    /// Where another system says it happened and who sent it (Open311).
    pub origin: Option<Origin>,
}

/// Open311's optional fields of a request, kept beside the case: the place
/// (address, address id, WGS-84 latitude and longitude, a photo's URL) and
/// the sender (device, account, e-mail, names — the last three encrypted).
#[derive(Debug, Clone, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct Origin {
    pub address: Option<String>,
    pub address_id: Option<String>,
    pub lat: Option<f64>,
    pub long: Option<f64>,
    pub media_url: Option<String>,
    pub device_id: Option<String>,
    pub account_id: Option<String>,
    pub email: Option<String>,
    pub first_name: Option<String>,
    pub last_name: Option<String>,
}

/// The most photos a reporter attaches to a case.
pub const MAX_CASE_PHOTOS: usize = 3;

#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Registered {
    pub id: CaseId,
    pub number: String,
    /// Shown once; only its hash is kept.
    pub tracking_code: Option<String>,
    /// Eight digits for the desk to read out (hotline and walk-in cases a
    /// person registers); shown once, only a keyed hash is kept.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spoken_code: Option<String>,
    pub investigate_due: Option<i64>,
    pub handle_due: i64,
}

/// Rows per multi-row statement: a batch of 64 cases is one statement per
/// table. Every statement is a round trip to the writer's thread, so fewer
/// and larger ones shorten a batch (parameters are positional on SQLite,
/// see `crate::numbered`, so their number costs nothing extra).
const TIMER_ROWS: usize = 256;
const REPORTER_ROWS: usize = 64;
const CASE_ROWS: usize = 64;

/// A case checked and ready to write: see [`Store::prepare_case`].
#[derive(Debug, Clone)]
pub struct Prepared {
    org_id: OrgId,
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
    spoken_code: Option<String>,
    unit_id: Option<i64>,
    point_id: Option<i64>,
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
        Ok(self.register_batch(std::slice::from_ref(&p)).await?.remove(0))
    }

    /// Registers prepared cases in one transaction — one commit, one fsync —
    /// with a handful of multi-row statements however many there are (group
    /// commit). Returns them in the order given.
    pub async fn register_batch(&self, items: &[Prepared]) -> Result<Vec<Registered>> {
        self.register_batch_keeping(items, None).await
    }

    /// [`Store::register_batch`], keeping the answers under `token` in the
    /// same transaction for group commit's lookup (`crate::group`).
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    pub async fn register_batch_keeping(
        &self,
        items: &[Prepared],
        token: Option<&str>,
    ) -> Result<Vec<Registered>> {
        let t0 = std::time::Instant::now();
        let mut tx = self.begin().await?;
        let t1 = t0.elapsed();
        let mut out: Vec<Option<Registered>> = vec![None; items.len()];
        let mut orgs: Vec<OrgId> = items.iter().map(|p| p.org_id).collect();
        orgs.sort_unstable();
        orgs.dedup();
        for org in orgs {
            let idx: Vec<usize> = (0..items.len()).filter(|&i| items[i].org_id == org).collect();
            let (registered, events) = self.insert_group(&mut tx, org, items, &idx).await?;
            self.append_many(&mut tx, org, &events).await?;
            for (i, r) in registered {
                out[i] = Some(r);
            }
        }
        let out: Vec<Registered> =
            out.into_iter().map(|r| r.expect("every item is in its organisation's group")).collect();
        if let Some(token) = token {
            self.keep_answers(&mut tx, token, &out).await?;
        }
        let t2 = t0.elapsed();
        tx.commit().await?;
        let t3 = t0.elapsed();
        tracing::debug!(
            n = items.len(),
            begin = t1.as_micros() as u64,
            stmts = (t2 - t1).as_micros() as u64,
            commit = (t3 - t2).as_micros() as u64,
            "phases"
        );
        Ok(out)
    }

    /// Writes the cases `idx` of `items`, all of one organisation, and
    /// returns them with their `case.registered` events, in order, for the
    /// caller to append — rating intake appends them with its batch's own.
    pub(crate) async fn insert_group<'a>(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        items: &'a [Prepared],
        idx: &[usize],
    ) -> Result<(Vec<(usize, Registered)>, Vec<NewEvent<'a>>)> {
        let numbers = self.take_numbers(tx, org_id, items, idx).await?;
        let reporter_of = self.insert_reporters(tx, org_id, items, idx).await?;
        let id_of = self.insert_case_rows(tx, org_id, items, idx, &numbers, &reporter_of).await?;
        let case_id = |i: usize| id_of[&numbers[i]];
        // What came with each case: photos, an outside system's place and
        // sender, a spoken code.
        for &i in idx {
            let p = &items[i];
            self.insert_extras(tx, org_id, case_id(i), &numbers[i], p.now, &p.nc, p.spoken_code.as_deref())
                .await?;
        }
        // Search terms and timers of all of them.
        let docs: Vec<(CaseId, &str)> =
            idx.iter().map(|&i| (case_id(i), items[i].nc.description.as_str())).collect();
        self.index_case_texts(tx, org_id, &docs).await?;
        let timers: Vec<(CaseId, &PlannedTimer)> =
            idx.iter().flat_map(|&i| items[i].timers.iter().map(move |t| (case_id(i), t))).collect();
        self.insert_first_timers(tx, org_id, &timers).await?;
        // A case raised on the spot goes to whoever leads the unit now.
        for &i in idx {
            let (p, nc) = (&items[i], &items[i].nc);
            let on_site = OnSite {
                channel: nc.channel,
                point: p.point_id,
                unit: p.unit_id,
                subject: nc.subject_staff_id,
            };
            if p.routed_to == "office" {
                self.tell_on_duty(tx, org_id, case_id(i), &numbers[i], on_site).await?;
            }
        }
        // One `case.registered` event each, chained in order.
        let events: Vec<NewEvent<'_>> = idx
            .iter()
            .map(|&i| registered_event(org_id, &items[i], case_id(i), &numbers[i], reporter_of[i].is_some()))
            .collect();
        let registered = idx
            .iter()
            .map(|&i| {
                let p = &items[i];
                let r = Registered {
                    id: case_id(i),
                    number: numbers[i].clone(),
                    tracking_code: p.tracking_code.clone(),
                    spoken_code: p.spoken_code.clone(),
                    investigate_due: p.deadlines.investigate,
                    handle_due: p.deadlines.handle,
                };
                (i, r)
            })
            .collect();
        Ok((registered, events))
    }

    /// Case numbers for `idx`: a block of each year's sequence at once.
    async fn take_numbers(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        items: &[Prepared],
        idx: &[usize],
    ) -> Result<Vec<String>> {
        let mut numbers: Vec<String> = vec![String::new(); items.len()];
        let mut years: Vec<i32> = idx.iter().map(|&i| items[i].year).collect();
        years.sort_unstable();
        years.dedup();
        for year in years {
            let of_year: Vec<usize> = idx.iter().copied().filter(|&i| items[i].year == year).collect();
            let n = of_year.len() as i64;
            let last: i64 = on_tx!(tx, c => sqlx::query_scalar(
                "INSERT INTO case_counters (org_id, year, last) VALUES ($1, $2, $3)
                 ON CONFLICT (org_id, year) DO UPDATE SET last = case_counters.last + $3 RETURNING last")
                .bind(org_id).bind(year as i64).bind(n).fetch_one(c).await)?;
            for (k, &i) in of_year.iter().enumerate() {
                numbers[i] = case_number(&items[i].org_code, year, last - n + 1 + k as i64);
            }
        }
        Ok(numbers)
    }

    /// The reporters of `idx`, encrypted; their ids by item.
    async fn insert_reporters(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        items: &[Prepared],
        idx: &[usize],
    ) -> Result<Vec<Option<i64>>> {
        let with_reporter: Vec<usize> = idx
            .iter()
            .copied()
            .filter(|&i| items[i].nc.reporter_name.is_some() || items[i].nc.reporter_phone.is_some())
            .collect();
        let mut reporter_of: Vec<Option<i64>> = vec![None; items.len()];
        for chunk in crate::few_shapes(&with_reporter, REPORTER_ROWS) {
            // Ids come back in insertion order.
            let mut ids: Vec<i64> = on_tx!(tx, c => {
                let mut q = crate::insert_values("reporters (org_id, name_enc, phone_enc, phone_hash, created_at)", chunk, |mut b, &i| {
                    let p = &items[i];
                    b.push_bind(org_id).push_bind(p.nc.reporter_name.as_deref().map(|n| self.encrypt(n)))
                        .push_bind(p.nc.reporter_phone.as_deref().map(|n| self.encrypt(n)))
                        .push_bind(&p.phone_hash).push_bind(p.now);
                }, "RETURNING id");
                q.build_query_scalar().fetch_all(c).await
            })?;
            ids.sort_unstable();
            for (&i, id) in chunk.iter().zip(ids) {
                reporter_of[i] = Some(id);
            }
        }
        Ok(reporter_of)
    }

    /// The case rows; each id is matched back by its unique number.
    async fn insert_case_rows(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        items: &[Prepared],
        idx: &[usize],
        numbers: &[String],
        reporter_of: &[Option<i64>],
    ) -> Result<HashMap<String, CaseId>> {
        let mut id_of: HashMap<String, CaseId> = HashMap::new();
        for chunk in crate::few_shapes(idx, CASE_ROWS) {
            let got: Vec<(CaseId, String)> = on_tx!(tx, c => {
                let mut q = crate::insert_values(
                    "cases (org_id, number, kind, channel, category, track, state, description, unit_id, service_point_id,
                       subject_staff_id, plate, routed_to, reporter_id, phone_hash, tracking_digest, first_responsible_id,
                       owner_id, registered_at, investigate_due, handle_due, updated_at)",
                    chunk,
                    |mut b, &i| {
                        let (p, nc) = (&items[i], &items[i].nc);
                        b.push_bind(org_id).push_bind(&numbers[i]).push_bind(nc.kind.as_str()).push_bind(nc.channel.as_str())
                            .push_bind(&p.category).push_bind(&p.track).push("'registered'")
                            .push_bind(&nc.description).push_bind(p.unit_id).push_bind(p.point_id).push_bind(nc.subject_staff_id)
                            .push_bind(&nc.plate).push_bind(&p.routed_to).push_bind(reporter_of[i]).push_bind(&p.phone_hash)
                            .push_bind(p.tracking_code.as_deref().map(sha256_hex)).push_bind(nc.registered_by).push_bind(nc.registered_by)
                            .push_bind(p.now).push_bind(p.deadlines.investigate).push_bind(p.deadlines.handle).push_bind(p.now);
                    },
                    "RETURNING id, number",
                );
                q.build_query_as().fetch_all(c).await
            })?;
            id_of.extend(got.into_iter().map(|(id, number)| (number, id)));
        }
        Ok(id_of)
    }

    /// New cases' timers, all of deadline version 1.
    async fn insert_first_timers(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        timers: &[(CaseId, &PlannedTimer)],
    ) -> Result<()> {
        for chunk in crate::few_shapes(timers, TIMER_ROWS) {
            on_tx!(tx, c => {
                let mut q = crate::insert_values("timers (org_id, case_id, action, version, due_at)", chunk, |mut b, (id, t)| {
                    b.push_bind(org_id).push_bind(*id).push_bind(t.action.encode()).push("1").push_bind(t.due_at);
                }, "");
                q.build().execute(c).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(())
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
        if nc.photos.len() > MAX_CASE_PHOTOS {
            return Err(invalid(
                "photos",
                format!("最多 {MAX_CASE_PHOTOS} 张照片 / at most {MAX_CASE_PHOTOS} photos"),
            ));
        }
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
        let (unit_id, point_id, subject) = self.check_refs(org.id, nc).await?;
        let now = self.now_ms();
        let deadlines = clock::deadlines(track, cal, now, None);
        let code = nc.issue_tracking_code.then(|| {
            let mut raw = [0u8; 20];
            rand::RngCore::fill_bytes(&mut rand::rng(), &mut raw);
            tracking_code(&raw)
        });
        let spoken = (code.is_some() && speaks_code(nc.channel, nc.registered_by.is_some()))
            .then(|| spoken_code(rand::RngCore::next_u32(&mut rand::rng())));
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
            timers: {
                let mut timers = clock::plan(policy, &deadlines);
                // Only a case a person registered has a first-responsible person.
                if nc.registered_by.is_some() {
                    timers.extend(clock::first_response(policy, cal, now));
                }
                timers
            },
            deadlines,
            year: cal.local(now).year(),
            now,
            phone_hash: nc.reporter_phone.as_deref().map(|p| self.phone_hash(p)),
            tracking_code: code,
            spoken_code: spoken,
            unit_id,
            point_id,
            nc: NewCase { subject_staff_id: subject, ..nc.clone() },
        })
    }

    /// Checks that referenced records are the organisation's; a service
    /// point also gives the case its unit. (Units, points and staff are never
    /// deleted, so a check made before the write still holds at commit.)
    /// Checks the case's references; returns its unit (the service point's
    /// when none is given), service point and the staff member concerned —
    /// at a vehicle's service point its driver when nobody else is named
    /// (seed 002 星级服务车: the driver answers for the taxi).
    async fn check_refs(
        &self,
        org_id: OrgId,
        nc: &NewCase,
    ) -> Result<(Option<i64>, Option<i64>, Option<StaffId>)> {
        let mut unit_id = nc.unit_id;
        let mut subject = nc.subject_staff_id;
        if let Some(p) = nc.service_point_id {
            let row: Option<(i64, Option<StaffId>)> = on_read!(self, c => sqlx::query_as(
                "SELECT p.unit_id, v.driver_id FROM service_points p LEFT JOIN vehicles v ON v.id = p.vehicle_id
                 WHERE p.org_id = $1 AND p.id = $2")
                .bind(org_id).bind(p).fetch_optional(c).await)?;
            let (unit, driver) =
                row.ok_or_else(|| invalid("service_point_id", "服务点不存在 / no such service point"))?;
            unit_id = unit_id.or(Some(unit));
            subject = subject.or(driver);
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
        Ok((unit_id, nc.service_point_id, subject))
    }

    /// Writes a case's timers in one statement.
    pub(crate) async fn insert_timers(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        case_id: CaseId,
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
}

/// A new case's `case.registered` event.
fn registered_event<'a>(
    org_id: OrgId,
    p: &'a Prepared,
    id: CaseId,
    number: &str,
    has_reporter: bool,
) -> NewEvent<'a> {
    let (nc, d) = (&p.nc, p.deadlines);
    NewEvent {
        org_id,
        actor: &p.actor,
        kind: EventKind::CaseRegistered,
        subject_type: "case",
        subject_id: id.get(),
        payload: json!({
            "number": number, "kind": nc.kind.as_str(), "channel": nc.channel.as_str(),
            "category": p.category, "track": p.track, "routed_to": p.routed_to,
            "unit_id": p.unit_id, "service_point_id": p.point_id, "subject_staff_id": nc.subject_staff_id,
            "first_responsible_id": nc.registered_by, "has_reporter": has_reporter,
            "photos": nc.photos.iter().map(|p| p.sha256.as_str()).collect::<Vec<_>>(),
            "investigate_due": d.investigate, "handle_due": d.handle,
        }),
        reason: "",
    }
}
