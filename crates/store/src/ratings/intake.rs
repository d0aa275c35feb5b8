//! Taking ratings in: checks against the pack ([`Store::prepare_rating`])
//! and the batch writer behind group commit ([`Store::record_ratings`]),
//! which decides replacements, opens the cases of bad ratings and keeps
//! the rollups, all in one transaction.

use std::collections::HashMap;

use chuangkou_domain::FieldError;
use chuangkou_domain::calendar::Span;
use chuangkou_domain::cases::{CaseKind, Channel};
use chuangkou_domain::policy::Rules;
use chuangkou_domain::satisfaction::{Level, RatingStatus, check_comment, check_tags};
use serde_json::json;

use super::{Counted, Deltas, NewRating, RATING_ROWS, RatingAck, RatingInput};
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
            let tag_titles: Vec<&str> = tags
                .iter()
                .filter_map(|t| policy.tags.iter().find(|k| &k.code == t).map(|k| k.title.as_str()))
                .collect();
            let mut description = format!("服务评价：{}（{}）", level.label_zh(), point.name);
            if !tag_titles.is_empty() {
                description.push_str(&format!("；标签：{}", tag_titles.join("、")));
            }
            if let Some(c) = &comment {
                description.push_str(&format!("；留言：{c}"));
            }
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
            device: self.device_hash(&input.device),
            day,
            at,
            replace_after: at - window_ms,
            bad_case,
        })
    }

    /// Writes ratings in one transaction (see the module doc); answers in
    /// the order given.
    pub async fn record_ratings(&self, items: &[NewRating]) -> Result<Vec<RatingAck>> {
        self.record_ratings_keeping(items, None).await
    }

    /// [`Store::record_ratings`], keeping the answers under `token` in the
    /// same transaction for group commit's lookup (`crate::group`).
    pub async fn record_ratings_keeping(
        &self,
        items: &[NewRating],
        token: Option<&str>,
    ) -> Result<Vec<RatingAck>> {
        let mut tx = self.begin().await?;
        let mut out: Vec<Option<RatingAck>> = vec![None; items.len()];
        let mut orgs: Vec<i64> = items.iter().map(|r| r.org_id).collect();
        orgs.sort_unstable();
        orgs.dedup();
        for org in orgs {
            let idx: Vec<usize> = (0..items.len()).filter(|&i| items[i].org_id == org).collect();
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
        org_id: i64,
        items: &[NewRating],
        idx: &[usize],
    ) -> Result<Vec<(usize, RatingAck)>> {
        // Earlier counted ratings of the same devices still inside the window.
        let cutoff = idx.iter().map(|&i| items[i].replace_after).min().unwrap_or(0);
        let mut devices: Vec<&str> = idx.iter().map(|&i| items[i].device.as_str()).collect();
        devices.sort_unstable();
        devices.dedup();
        let mut latest: HashMap<(&str, i64), (Option<usize>, Counted, i64)> = HashMap::new();
        for chunk in devices.chunks(128) {
            // Padded to a power of two (repeating a device) so that few statement shapes exist.
            let width = chunk.len().next_power_of_two().max(8);
            let sql = numbered(
                self.backend(),
                &format!(
                    "SELECT id, point_id, unit_id, staff_id, level, day, case_id, device, created_at FROM ratings
                     WHERE org_id = # AND status = 'counted' AND created_at >= # AND device IN ({})",
                    row_list("#", width)
                ),
            );
            type Row = (i64, i64, i64, Option<i64>, i64, i64, Option<i64>, String, i64);
            let rows: Vec<Row> = on_tx!(tx, c => {
                let mut q = sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(org_id).bind(cutoff);
                for k in 0..width {
                    q = q.bind(chunk[k.min(chunk.len() - 1)]);
                }
                q.fetch_all(c).await
            })?;
            for (id, point_id, unit_id, staff_id, level, day, case_id, device, at) in rows {
                let d = *chunk.iter().find(|d| **d == device).expect("asked for this device");
                let row = Counted { id, point_id, unit_id, staff_id, level, day, case_id };
                let e = latest.entry((d, point_id)).or_insert((None, row, at));
                if at > e.2 {
                    *e = (None, row, at);
                }
            }
        }
        // Walk the batch in order: who replaces whom, which need a case.
        struct Plan {
            replaces: Option<Replaced>,
            status: RatingStatus,
            round: usize,
            needs_case: bool,
            inherited_case: Option<i64>,
        }
        #[derive(Clone, Copy)]
        enum Replaced {
            Stored(Counted),
            InBatch(usize),
        }
        impl Replaced {
            /// The replaced rating's id, once the batch's ids are known.
            fn id(self, ids: &[i64]) -> i64 {
                match self {
                    Replaced::Stored(row) => row.id,
                    Replaced::InBatch(j) => ids[j],
                }
            }
        }
        let mut plans: Vec<Plan> = Vec::with_capacity(idx.len());
        let mut deltas = Deltas::default();
        let mut stored_replaced: Vec<i64> = Vec::new();
        for (k, &i) in idx.iter().enumerate() {
            let r = &items[i];
            let key = (r.device.as_str(), r.point_id);
            let prev = latest
                .get(&key)
                .filter(|(_, _, at)| *at >= r.replace_after)
                .map(|(slot, row, _)| (*slot, *row));
            let bad = r.level.is_bad();
            let mut plan = Plan {
                replaces: None,
                status: RatingStatus::Counted,
                round: 0,
                needs_case: bad,
                inherited_case: None,
            };
            match prev {
                Some((None, row)) => {
                    plan.replaces = Some(Replaced::Stored(row));
                    stored_replaced.push(row.id);
                    deltas.add(&row, -1);
                    if bad && row.level <= 2 && row.case_id.is_some() {
                        plan.needs_case = false;
                        plan.inherited_case = row.case_id;
                    }
                }
                Some((Some(j), row)) => {
                    plan.replaces = Some(Replaced::InBatch(j));
                    plan.round = plans[j].round + 1;
                    plans[j].status = RatingStatus::Replaced;
                    if bad && row.level <= 2 && (plans[j].needs_case || plans[j].inherited_case.is_some()) {
                        plan.needs_case = false;
                    }
                }
                None => {}
            }
            latest.insert(key, (Some(k), r.counted(0), r.at));
            plans.push(plan);
        }
        // Cases for bad ratings, in the same transaction.
        let case_items: Vec<Prepared> = idx
            .iter()
            .zip(&plans)
            .filter(|(_, p)| p.needs_case)
            .map(|(&i, _)| {
                items[i]
                    .bad_case
                    .clone()
                    .ok_or_else(|| StoreError::Other("a bad rating came without its case".into()))
            })
            .collect::<Result<_>>()?;
        let all: Vec<usize> = (0..case_items.len()).collect();
        let mut opened: Vec<Option<Registered>> = vec![None; idx.len()];
        // The cases' events, to be appended with the batch's own.
        let (mut regs, mut events) = if case_items.is_empty() {
            (vec![], vec![])
        } else {
            self.insert_group(tx, org_id, &case_items, &all).await?
        };
        regs.sort_by_key(|(i, _)| *i);
        let mut regs = regs.into_iter().map(|(_, r)| r);
        for (k, p) in plans.iter().enumerate() {
            if p.needs_case {
                opened[k] = regs.next();
            }
        }
        // A bad rating replacing a bad one in the batch keeps that one's case.
        let mut case_of: Vec<Option<i64>> = vec![None; idx.len()];
        for k in 0..plans.len() {
            case_of[k] = match (&opened[k], plans[k].inherited_case, plans[k].replaces) {
                (Some(reg), _, _) => Some(reg.id),
                (None, Some(c), _) => Some(c),
                (None, None, Some(Replaced::InBatch(j))) if items[idx[k]].level.is_bad() => case_of[j],
                _ => None,
            };
        }
        // The cases' events and then the batch's one event take their places
        // in the chain now, together, so that each rating can name the last.
        let (event_seq, prev_hash) = self.reserve_chain(tx, org_id, events.len() as i64 + 1).await?;
        // The ratings, round by round so that a replacement names the row it replaces.
        let mut ids: Vec<i64> = vec![0; idx.len()];
        let rounds = plans.iter().map(|p| p.round).max().unwrap_or(0);
        for round in 0..=rounds {
            let ks: Vec<usize> = (0..plans.len()).filter(|&k| plans[k].round == round).collect();
            for chunk in crate::few_shapes(&ks, RATING_ROWS) {
                let sql = crate::insert_rows(
                    self.backend(),
                    "ratings (org_id, point_id, unit_id, staff_id, level, tags, comment, device, day,
                           created_at, status, replaces_id, case_id, event_seq)",
                    "(#, #, #, #, #, #, #, #, #, #, #, #, #, #)",
                    chunk.len(),
                    "RETURNING id",
                );
                let mut got: Vec<i64> = on_tx!(tx, c => {
                    let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str()));
                    for &k in chunk {
                        let r = &items[idx[k]];
                        let replaces = plans[k].replaces.map(|p| p.id(&ids));
                        q = q.bind(org_id).bind(r.point_id).bind(r.unit_id).bind(r.staff_id).bind(r.level.number())
                            .bind(r.tags.join(",")).bind(&r.comment).bind(&r.device).bind(r.day).bind(r.at)
                            .bind(plans[k].status.as_str()).bind(replaces).bind(case_of[k]).bind(event_seq);
                    }
                    q.fetch_all(c).await
                })?;
                got.sort_unstable();
                for (&k, id) in chunk.iter().zip(got) {
                    ids[k] = id;
                }
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
        // One event for the batch, listing every rating in insertion order.
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
                    plans[k].replaces.map(|p| p.id(&ids)),
                    case_of[k],
                ])
            })
            .collect();
        events.push(NewEvent {
            org_id,
            actor: "public",
            kind: "ratings.recorded",
            subject_type: "rating_batch",
            subject_id: ids.iter().copied().min().unwrap_or(0),
            payload: json!({ "columns": BATCH_COLUMNS, "ratings": ratings }),
            reason: "",
        });
        self.write_reserved(tx, org_id, event_seq, prev_hash, &events).await?;
        Ok(idx
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                let replaced = plans[k].replaces.map(|p| p.id(&ids));
                (i, RatingAck { id: ids[k], replaced, case: opened[k].clone(), case_id: case_of[k] })
            })
            .collect())
    }
}
