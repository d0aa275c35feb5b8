//! Taking ratings in: checks against the pack ([`Store::prepare_rating`])
//! and the batch writer behind group commit ([`Store::record_ratings`]),
//! which decides replacements, opens the cases of bad ratings and keeps
//! the rollups, all in one transaction.

use chuangkou_domain::events::EventKind;
use std::collections::HashMap;

use chuangkou_domain::calendar::Span;
use chuangkou_domain::cases::{CaseKind, Channel};
use chuangkou_domain::policy::Rules;
use chuangkou_domain::satisfaction::replacement::{self, Earlier, Incoming, Plan, Replaced};
use chuangkou_domain::satisfaction::{
    Level, RatingStatus, bad_rating_description, check_comment, check_tags,
};
use chuangkou_domain::{CaseId, FieldError, OrgId, StaffId};
use serde_json::json;

use super::{Counted, Deltas, Limited, NewRating, RATING_ROWS, RatingAck, RatingInput};
use crate::cases::{NewCase, Prepared, Registered};
use crate::org::{Organisation, ServicePoint};
use crate::{NewEvent, Result, Store, StoreError, Tx, numbered, on_tx, row_list};

/// The fields of each rating in a `ratings.recorded` event's payload.
pub const BATCH_COLUMNS: [&str; 10] =
    ["id", "point_id", "unit_id", "staff_id", "level", "tags", "has_comment", "day", "replaces", "case_id"];

impl Store {
    /// Checks a rating against the pack and prepares it (and, for a bad
    /// rating, its case on the pack's bad-rating track). Nothing is written.
    pub async fn prepare_rating(
        &self,
        org: &Organisation,
        rules: Rules<'_>,
        point: &ServicePoint,
        input: &RatingInput,
    ) -> Result<NewRating> {
        let policy = &rules.pack.satisfaction;
        let invalid = |e: FieldError| StoreError::Invalid(vec![e]);
        let level = Level::parse(&input.level)
            .ok_or_else(|| invalid(FieldError::new("level", "请选择一个评价 / please choose a rating")))?;
        let tags = check_tags(&policy.tags, &input.tags).map_err(invalid)?;
        let comment = check_comment(input.comment.as_deref()).map_err(invalid)?;
        let phone = match input.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
            Some(p) => Some(chuangkou_domain::text::phone("phone", p).map_err(invalid)?),
            None => None,
        };
        let staff_id = match input.staff_no.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            Some(no) => Some(self.staff_id_by_number(org.id, no).await?.ok_or_else(|| {
                invalid(FieldError::new("staff_no", "没有这个工号 / no staff member with this number"))
            })?),
            // At a vehicle's QR code its driver answers for the vehicle
            // (seed 002 星级服务车): the driver at the time of the rating.
            None => point.driver_id,
        };
        if point.org_id != org.id {
            return Err(StoreError::NotFound);
        }
        let at = self.now_ms();
        let day = rules.calendar.day_number(at);
        let window_ms = match policy.replace_window {
            Span::Hours(h) => h * 3_600_000,
            Span::WorkingDays(_) => unreachable!("the pack parser allows hours only"),
        };
        let bad_case = if level.is_bad() {
            let description =
                bad_rating_description(&policy.tags, level, &point.name, &tags, comment.as_deref());
            let nc = NewCase {
                kind: CaseKind::Complaint,
                channel: Channel::Rating,
                category: policy.bad_rating_category.clone(),
                track: Some(policy.bad_rating_track.clone()),
                description,
                unit_id: Some(point.unit_id),
                service_point_id: Some(point.id),
                subject_staff_id: staff_id,
                plate: point.plate.clone(),
                reporter_name: None,
                reporter_phone: phone,
                registered_by: None,
                issue_tracking_code: true,
                photos: vec![],
                origin: None,
            };
            Some(self.prepare_case(org, rules, &nc, "public").await?)
        } else {
            None
        };
        Ok(NewRating {
            org_id: org.id,
            point_id: point.id,
            unit_id: point.unit_id,
            staff_id,
            level,
            tags,
            comment,
            limits: self.rating_limits(org.id, policy, input),
            device: self.device_hash(&input.device),
            day,
            at,
            replace_after: at - window_ms,
            bad_case,
        })
    }

    /// The hourly limits a rating from the public is counted against, in
    /// order: its network's, then its device's; none without an address
    /// (ratings the system writes itself).
    fn rating_limits(
        &self,
        org_id: OrgId,
        policy: &chuangkou_domain::policy::SatisfactionPolicy,
        input: &RatingInput,
    ) -> crate::limits::Keys {
        let Some(address) = input.address.as_deref() else { return vec![] };
        vec![
            (self.limit_key("address", address), policy.per_address_per_hour),
            // Counted from the device's stored ratings on SQLite (see `device_counts`).
            (format!("device:{org_id}:{}", self.device_hash(&input.device)), policy.per_device_per_hour),
        ]
    }

    /// Writes ratings in one transaction (see the module doc); answers in
    /// the order given.
    pub async fn record_ratings(&self, items: &[NewRating]) -> Result<Vec<RatingAck>> {
        self.record_ratings_keeping(items, None).await
    }

    /// [`Store::record_ratings`], keeping the answers under `token` in the
    /// same transaction for group commit's lookup (`crate::group`).
    #[tracing::instrument(level = "debug", skip_all, err(level = "debug"))]
    pub async fn record_ratings_keeping(
        &self,
        items: &[NewRating],
        token: Option<&str>,
    ) -> Result<Vec<RatingAck>> {
        let mut tx = self.begin().await?;
        let mut out: Vec<Option<RatingAck>> = vec![None; items.len()];
        // The hourly limits first: a rating they stop is answered and not written.
        let limits: Vec<&crate::limits::Keys> = items.iter().map(|r| &r.limits).collect();
        let devices = self.device_counts(&mut tx, items).await?;
        for (i, stopped) in self.count_attempts(&mut tx, &limits, devices).await?.into_iter().enumerate() {
            if let Some(k) = stopped {
                let (key, limit) = &items[i].limits[k];
                let kind = key.split(':').next().unwrap_or_default().to_string();
                out[i] =
                    Some(RatingAck { limited: Some(Limited { kind, limit: *limit }), ..Default::default() });
            }
        }
        let mut orgs: Vec<OrgId> = items.iter().map(|r| r.org_id).collect();
        orgs.sort_unstable();
        orgs.dedup();
        for org in orgs {
            let idx: Vec<usize> =
                (0..items.len()).filter(|&i| items[i].org_id == org && out[i].is_none()).collect();
            if idx.is_empty() {
                continue;
            }
            for (i, ack) in self.record_org_ratings(&mut tx, org, items, &idx).await? {
                out[i] = Some(ack);
            }
        }
        let out: Vec<RatingAck> =
            out.into_iter().map(|a| a.expect("every rating is in its organisation's group")).collect();
        if let Some(token) = token {
            self.keep_answers(&mut tx, token, &out).await?;
        }
        tx.commit().await?;
        Ok(out)
    }

    async fn record_org_ratings(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        items: &[NewRating],
        idx: &[usize],
    ) -> Result<Vec<(usize, RatingAck)>> {
        let earlier = self.earlier_ratings(tx, org_id, items, idx).await?;
        let batch: Vec<Incoming> = idx
            .iter()
            .map(|&i| {
                let r = &items[i];
                Incoming {
                    device: &r.device,
                    point_id: r.point_id,
                    bad: r.level.is_bad(),
                    at: r.at,
                    replace_after: r.replace_after,
                }
            })
            .collect();
        let seen = earlier.iter().map(|(k, (row, at))| (*k, earlier_of(row, *at))).collect();
        let plans = replacement::plan(&batch, &seen);
        // Cases for bad ratings, in the same transaction; their events are
        // appended with the batch's own.
        let case_items = bad_cases(items, idx, &plans)?;
        let (opened, mut events) = self.open_rating_cases(tx, org_id, &case_items, &plans).await?;
        let case_of = replacement::cases_of(
            &batch,
            &plans,
            &opened.iter().map(|r| r.as_ref().map(|r| r.id)).collect::<Vec<_>>(),
        );
        // The cases' events and then the batch's one event take their places
        // in the chain now, together, so that each rating can name the last.
        let (event_seq, prev_hash) = self.reserve_chain(tx, org_id, events.len() as i64 + 1).await?;
        let ids = self.insert_rating_rounds(tx, org_id, items, idx, &plans, &case_of, event_seq).await?;
        let mut deltas = Deltas::default();
        let mut stored_replaced: Vec<i64> = Vec::new();
        let by_id: HashMap<i64, Counted> = earlier.values().map(|(row, _)| (row.id, *row)).collect();
        for plan in &plans {
            if let Some(Replaced::Stored(id)) = plan.replaces {
                let row = by_id
                    .get(&id)
                    .ok_or_else(|| StoreError::Other("a replaced rating was not loaded".into()))?;
                deltas.add(row, -1);
                stored_replaced.push(id);
            }
        }
        if !stored_replaced.is_empty() {
            let sql = format!(
                "UPDATE ratings SET status = 'replaced' WHERE org_id = $1 AND id IN ({})",
                crate::id_list(&stored_replaced)
            );
            on_tx!(tx, c => sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(org_id).execute(c).await.map(|r| r.rows_affected()))?;
        }
        for (k, &i) in idx.iter().enumerate() {
            if plans[k].status == RatingStatus::Counted {
                deltas.add(&items[i].counted(ids[k]), 1);
            }
        }
        self.apply_deltas(tx, org_id, deltas).await?;
        events.push(batch_event(org_id, items, idx, &plans, &ids, &case_of));
        self.write_reserved(tx, org_id, event_seq, prev_hash, &events).await?;
        Ok(idx
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                let (replaced, case) = (plans[k].replaces.map(|p| p.id(&ids)), opened[k].clone());
                (i, RatingAck { id: ids[k], replaced, case, case_id: case_of[k], limited: None })
            })
            .collect())
    }

    /// On SQLite, how many ratings each limited device of the batch has
    /// made this hour (`device:{org}:{hash}`, as `prepare_rating` names the
    /// key), counted from the ratings themselves (the device index the
    /// batch writes anyway) rather than kept in `rate_counts`: a count row
    /// per device, a random page of its own to write per rating, cost the
    /// single writer a third of its rate. On PostgreSQL, where a batch
    /// costs round trips rather than pages, the devices are counted in
    /// `rate_counts` like every other key, whose row locks let two
    /// instances counting the same device take turns.
    async fn device_counts(&self, tx: &mut Tx, items: &[NewRating]) -> Result<HashMap<String, i64>> {
        let mut by_org: std::collections::BTreeMap<OrgId, Vec<&str>> = Default::default();
        if self.backend() == crate::Backend::Postgres {
            return Ok(HashMap::new());
        }
        for r in items.iter().filter(|r| !r.limits.is_empty()) {
            by_org.entry(r.org_id).or_default().push(&r.device);
        }
        let mut out = HashMap::new();
        if by_org.is_empty() {
            return Ok(out);
        }
        let since = crate::limits::hour_of(self.now_ms()) * 3_600_000;
        for (org_id, mut devices) in by_org {
            devices.sort_unstable();
            devices.dedup();
            let sql =
                "SELECT device, COUNT(*) FROM ratings WHERE org_id = # AND created_at >= # AND device IN (@)
                       GROUP BY device";
            let rows: Vec<(String, i64)> = self.for_devices(tx, sql, org_id, since, &devices).await?;
            out.extend(rows.into_iter().map(|(d, n)| (format!("device:{org_id}:{d}"), n)));
            for d in devices {
                out.entry(format!("device:{org_id}:{d}")).or_insert(0);
            }
        }
        Ok(out)
    }

    /// The rows `sql` selects for `devices` (sorted, distinct) of an
    /// organisation since `since`: its `#` placeholders are the
    /// organisation, the time and the devices (`@`), 128 at a time.
    async fn for_devices<T>(
        &self,
        tx: &mut Tx,
        sql: &str,
        org_id: OrgId,
        since: i64,
        devices: &[&str],
    ) -> Result<Vec<T>>
    where
        T: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow>
            + for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow>
            + Send
            + Unpin,
    {
        let mut out = Vec::new();
        for chunk in devices.chunks(128) {
            // Padded to a power of two (repeating a device) so that few statement shapes exist.
            let width = chunk.len().next_power_of_two().max(8);
            let sql = numbered(self.backend(), &sql.replace('@', &row_list("#", width)));
            let rows: Vec<T> = on_tx!(tx, c => {
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(org_id).bind(since);
                for k in 0..width {
                    q = q.bind(chunk[k.min(chunk.len() - 1)]);
                }
                q.fetch_all(c).await
            })?;
            out.extend(rows);
        }
        Ok(out)
    }

    /// The latest counted rating of each (device, point) of the batch still
    /// inside the replacement window, with when it was made.
    async fn earlier_ratings<'a>(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        items: &'a [NewRating],
        idx: &[usize],
    ) -> Result<HashMap<(&'a str, i64), (Counted, i64)>> {
        let cutoff = idx.iter().map(|&i| items[i].replace_after).min().unwrap_or(0);
        let mut devices: Vec<&str> = idx.iter().map(|&i| items[i].device.as_str()).collect();
        devices.sort_unstable();
        devices.dedup();
        let sql =
            "SELECT id, point_id, unit_id, staff_id, level, day, case_id, device, created_at FROM ratings
                   WHERE org_id = # AND created_at >= # AND device IN (@) AND status = 'counted'";
        type Row = (i64, i64, i64, Option<StaffId>, i64, i64, Option<CaseId>, String, i64);
        let rows: Vec<Row> = self.for_devices(tx, sql, org_id, cutoff, &devices).await?;
        let mut latest: HashMap<(&str, i64), (Counted, i64)> = HashMap::new();
        for (id, point_id, unit_id, staff_id, level, day, case_id, device, at) in rows {
            let Ok(d) = devices.binary_search(&device.as_str()) else { continue };
            let row = Counted { id, point_id, unit_id, staff_id, level, day, case_id };
            let e = latest.entry((devices[d], point_id)).or_insert((row, at));
            if at > e.1 {
                *e = (row, at);
            }
        }
        Ok(latest)
    }

    /// Opens the cases of the bad ratings that need one; answers each
    /// rating's case (if it opened one) and the cases' events.
    async fn open_rating_cases<'a>(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        case_items: &'a [Prepared],
        plans: &[Plan],
    ) -> Result<(Vec<Option<Registered>>, Vec<NewEvent<'a>>)> {
        let mut opened: Vec<Option<Registered>> = vec![None; plans.len()];
        if case_items.is_empty() {
            return Ok((opened, vec![]));
        }
        let all: Vec<usize> = (0..case_items.len()).collect();
        let (mut regs, events) = self.insert_group(tx, org_id, case_items, &all).await?;
        regs.sort_by_key(|(i, _)| *i);
        let mut regs = regs.into_iter().map(|(_, r)| r);
        for (k, p) in plans.iter().enumerate() {
            if p.needs_case {
                opened[k] = regs.next();
            }
        }
        Ok((opened, events))
    }

    /// Inserts the batch's ratings round by round, so that a replacement
    /// names the row it replaces; answers their ids in batch order.
    #[allow(clippy::too_many_arguments)]
    async fn insert_rating_rounds(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        items: &[NewRating],
        idx: &[usize],
        plans: &[Plan],
        case_of: &[Option<CaseId>],
        event_seq: i64,
    ) -> Result<Vec<i64>> {
        let mut ids: Vec<i64> = vec![0; idx.len()];
        let rounds = plans.iter().map(|p| p.round).max().unwrap_or(0);
        for round in 0..=rounds {
            let ks: Vec<usize> = (0..plans.len()).filter(|&k| plans[k].round == round).collect();
            for chunk in crate::few_shapes(&ks, RATING_ROWS) {
                let mut got: Vec<i64> = on_tx!(tx, c => {
                    let mut q = crate::insert_values(
                        "ratings (org_id, point_id, unit_id, staff_id, level, tags, comment, device, day,
                               created_at, status, replaces_id, case_id, event_seq)",
                        chunk,
                        |mut b, &k| {
                            let r = &items[idx[k]];
                            let replaces = plans[k].replaces.map(|p| p.id(&ids));
                            b.push_bind(org_id).push_bind(r.point_id).push_bind(r.unit_id).push_bind(r.staff_id).push_bind(r.level.number())
                                .push_bind(r.tags.join(",")).push_bind(&r.comment).push_bind(&r.device).push_bind(r.day).push_bind(r.at)
                                .push_bind(plans[k].status.as_str()).push_bind(replaces).push_bind(case_of[k]).push_bind(event_seq);
                        },
                        "RETURNING id",
                    );
                    q.build_query_scalar().fetch_all(c).await
                })?;
                got.sort_unstable();
                for (&k, id) in chunk.iter().zip(got) {
                    ids[k] = id;
                }
            }
        }
        Ok(ids)
    }
}

/// The prepared cases of the bad ratings that open one, in batch order.
fn bad_cases(items: &[NewRating], idx: &[usize], plans: &[Plan]) -> Result<Vec<Prepared>> {
    idx.iter()
        .zip(plans)
        .filter(|(_, p)| p.needs_case)
        .map(|(&i, _)| {
            items[i]
                .bad_case
                .clone()
                .ok_or_else(|| StoreError::Other("a bad rating came without its case".into()))
        })
        .collect()
}

fn earlier_of(row: &Counted, at: i64) -> Earlier {
    Earlier {
        id: row.id,
        bad: Level::from_number(row.level).is_some_and(Level::is_bad),
        case_id: row.case_id,
        at,
    }
}

/// One event for the batch, listing every rating in insertion order.
fn batch_event(
    org_id: OrgId,
    items: &[NewRating],
    idx: &[usize],
    plans: &[Plan],
    ids: &[i64],
    case_of: &[Option<CaseId>],
) -> NewEvent<'static> {
    let ratings: Vec<serde_json::Value> = idx
        .iter()
        .enumerate()
        .map(|(k, &i)| {
            let r = &items[i];
            json!([
                ids[k],
                r.point_id,
                r.unit_id,
                r.staff_id,
                r.level.number(),
                r.tags.join(","),
                r.comment.is_some(),
                r.day,
                plans[k].replaces.map(|p| p.id(ids)),
                case_of[k],
            ])
        })
        .collect();
    NewEvent {
        org_id,
        actor: "public",
        kind: EventKind::RatingsRecorded,
        subject_type: "rating_batch",
        subject_id: ids.iter().copied().min().unwrap_or(0),
        payload: json!({ "columns": BATCH_COLUMNS, "ratings": ratings }),
        reason: "",
    }
}
