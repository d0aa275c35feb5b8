//! Quick ratings at service points (SPEC SAT-1, SAT-4) with their daily
//! rollups (for assessment) and the units' appeals.
//!
//! Ratings arrive through group commit (`crate::group`): one transaction
//! writes a whole batch — the ratings, the cases that bad ratings open, the
//! status of the ratings they replace, the rollups and one event per rating
//! — so a rating is acknowledged only when all of it is durable, and the
//! rollups never disagree with the ratings.

use std::collections::HashMap;

use chuangkou_domain::FieldError;
use chuangkou_domain::calendar::Span;
use chuangkou_domain::cases::{CaseKind, Channel};
use chuangkou_domain::policy::Rules;
use chuangkou_domain::satisfaction::{Counts, Level, RatingStatus, check_comment, check_tags};
use hmac::{Hmac, Mac};
use serde::Serialize;
use serde_json::json;
use sha2::Sha256;

use crate::cases::{NewCase, Prepared, Registered};
use crate::group::GroupCommit;
use crate::org::{Organisation, ServicePoint};
use crate::{NewEvent, Result, Store, StoreError, Tx, on_read, on_tx};

/// A rating checked and ready to write.
#[derive(Debug, Clone)]
pub struct NewRating {
    pub org_id: i64,
    pub point_id: i64,
    pub unit_id: i64,
    pub staff_id: Option<i64>,
    pub level: Level,
    pub tags: Vec<String>,
    pub comment: Option<String>,
    /// The keyed hash of the device ([`Store::device_hash`]).
    pub device: String,
    /// Local date, yyyymmdd.
    pub day: i64,
    pub at: i64,
    /// An earlier rating of the same point from the same device at or after
    /// this instant is replaced.
    pub replace_after: i64,
    /// The case a bad rating opens, prepared by [`Store::prepare_case`].
    pub bad_case: Option<Prepared>,
}

/// A rating as the public gives it, before checks.
#[derive(Debug, Clone, Default)]
pub struct RatingInput {
    pub level: String,
    pub tags: Vec<String>,
    pub comment: Option<String>,
    /// The employee number of the person who served, when known (a badge's QR).
    pub staff_no: Option<String>,
    /// A phone for the callback of a bad rating (optional).
    pub phone: Option<String>,
    /// What identifies the device: its cookie, or its address and browser.
    pub device: String,
}

/// Which ratings to list.
#[derive(Debug, Clone, Default)]
pub struct RatingFilter {
    pub unit_ids: Option<Vec<i64>>,
    pub staff_id: Option<i64>,
    pub bad_only: bool,
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// What the rater is told after the commit.
#[derive(Debug, Clone, Serialize)]
pub struct RatingAck {
    pub id: i64,
    /// The earlier rating this one replaced.
    pub replaced: Option<i64>,
    /// The case a bad rating opened (with its tracking code, shown once), or
    /// the case of the bad rating it replaced.
    pub case: Option<Registered>,
    pub case_id: Option<i64>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RatingRow {
    pub id: i64,
    pub point_id: i64,
    pub point_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub staff_id: Option<i64>,
    pub level: i64,
    pub tags: String,
    pub comment: Option<String>,
    pub day: i64,
    pub created_at: i64,
    pub status: String,
    pub replaces_id: Option<i64>,
    pub case_id: Option<i64>,
    pub appeal_id: Option<i64>,
    pub appeal_outcome: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RatingAppeal {
    pub id: i64,
    pub rating_id: i64,
    pub unit_id: i64,
    pub reason: String,
    pub filed_by: i64,
    pub filed_at: i64,
    pub outcome: Option<String>,
    pub note: Option<String>,
    pub decided_by: Option<i64>,
    pub decided_at: Option<i64>,
}

/// What a rollup scope counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub enum Scope {
    Point,
    Staff,
    Unit,
}

impl Scope {
    pub fn as_str(self) -> &'static str {
        match self {
            Scope::Point => "point",
            Scope::Staff => "staff",
            Scope::Unit => "unit",
        }
    }
}

/// A rollup row that disagrees with the ratings it counts.
#[derive(Debug, Clone, Serialize)]
pub struct RollupDifference {
    pub org_id: i64,
    pub scope: String,
    pub scope_id: i64,
    pub day: i64,
    pub rollup: [i64; 5],
    pub recomputed: [i64; 5],
}

/// The rating intake queue.
pub type RatingIntake = GroupCommit<NewRating, RatingAck>;

/// Most ratings one transaction takes.
pub const MAX_BATCH: usize = 512;

const RATING_COLUMNS: &str =
    "r.id, r.point_id, p.name AS point_name, r.unit_id, u.name AS unit_name, r.staff_id,
    r.level, r.tags, r.comment, r.day, r.created_at, r.status, r.replaces_id, r.case_id,
    a.id AS appeal_id, a.outcome AS appeal_outcome";
const RATING_FROM: &str =
    "FROM ratings r JOIN service_points p ON p.id = r.point_id JOIN units u ON u.id = r.unit_id
    LEFT JOIN rating_appeals a ON a.rating_id = r.id";

/// A counted rating as the rollups see it: where, who, when, which level.
#[derive(Debug, Clone, Copy, sqlx::FromRow)]
struct Counted {
    id: i64,
    point_id: i64,
    unit_id: i64,
    staff_id: Option<i64>,
    level: i64,
    day: i64,
    case_id: Option<i64>,
}

/// Rollup changes of one transaction, by (scope, id, day).
#[derive(Default)]
struct Deltas(HashMap<(Scope, i64, i64), [i64; 5]>);

impl Deltas {
    fn add(&mut self, r: &Counted, by: i64) {
        let i = (r.level - 1) as usize;
        let mut bump = |scope, id| self.0.entry((scope, id, r.day)).or_default()[i] += by;
        bump(Scope::Point, r.point_id);
        bump(Scope::Unit, r.unit_id);
        if let Some(s) = r.staff_id {
            bump(Scope::Staff, s);
        }
    }
}

/// A stored rollup: scope, scope id, day, counts by level.
type RollupRow = (String, i64, i64, i64, i64, i64, i64, i64);

/// Rollup rows per multi-row upsert (9 parameters a row).
const ROLLUP_ROWS: usize = 16;
/// Rating rows per multi-row insert (12 parameters a row).
const RATING_ROWS: usize = 16;

impl Store {
    /// Starts the rating intake queue on the current runtime.
    pub fn rating_intake(&self) -> RatingIntake {
        let store = self.clone();
        GroupCommit::start("rating intake", MAX_BATCH, move |items| {
            let store = store.clone();
            async move { store.record_ratings(&items).await }
        })
    }

    /// The keyed hash that stands for a device (its cookie, or its address
    /// and browser): the same device gives the same value, and nothing can
    /// be learnt from it.
    pub fn device_hash(&self, raw: &str) -> String {
        let mut mac = <Hmac<Sha256> as Mac>::new_from_slice(self.key()).expect("any key length");
        mac.update(b"device:");
        mac.update(raw.as_bytes());
        hex::encode(&mac.finalize().into_bytes()[..16])
    }

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
            None => None,
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

    /// A staff member of the organisation by employee number.
    pub async fn staff_id_by_number(&self, org_id: i64, number: &str) -> Result<Option<i64>> {
        Ok(
            on_read!(self, c => sqlx::query_scalar("SELECT id FROM staff WHERE org_id = $1 AND employee_no = $2")
            .bind(org_id).bind(number).fetch_optional(c).await)?,
        )
    }

    /// Writes ratings in one transaction (see the module doc); answers in
    /// the order given.
    pub async fn record_ratings(&self, items: &[NewRating]) -> Result<Vec<RatingAck>> {
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
        tx.commit().await?;
        Ok(out.into_iter().map(|a| a.expect("every rating is in its organisation's group")).collect())
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
            let sql = format!(
                "SELECT id, point_id, unit_id, staff_id, level, day, case_id, device, created_at FROM ratings
                 WHERE org_id = $1 AND status = 'counted' AND created_at >= $2 AND device IN ({})",
                (0..width).map(|k| format!("${}", k + 3)).collect::<Vec<_>>().join(", ")
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
            let me = Counted {
                id: 0,
                point_id: r.point_id,
                unit_id: r.unit_id,
                staff_id: r.staff_id,
                level: r.level.number(),
                day: r.day,
                case_id: None,
            };
            latest.insert(key, (Some(k), me, r.at));
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
        if !case_items.is_empty() {
            let mut regs = self.insert_group(tx, org_id, &case_items, &all).await?;
            regs.sort_by_key(|(i, _)| *i);
            let mut regs = regs.into_iter().map(|(_, r)| r);
            for (k, p) in plans.iter().enumerate() {
                if p.needs_case {
                    opened[k] = regs.next();
                }
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
        // The ratings, round by round so that a replacement names the row it replaces.
        let mut ids: Vec<i64> = vec![0; idx.len()];
        let rounds = plans.iter().map(|p| p.round).max().unwrap_or(0);
        for round in 0..=rounds {
            let ks: Vec<usize> = (0..plans.len()).filter(|&k| plans[k].round == round).collect();
            for chunk in crate::few_shapes(&ks, RATING_ROWS) {
                let values: Vec<String> = (0..chunk.len())
                    .map(|n| {
                        let b = 2 + 12 * n;
                        format!(
                            "($1, {})",
                            (b..b + 12).map(|p| format!("${p}")).collect::<Vec<_>>().join(", ")
                        )
                    })
                    .collect();
                let sql = format!(
                    "INSERT INTO ratings (org_id, point_id, unit_id, staff_id, level, tags, comment, device, day, created_at,
                       status, replaces_id, case_id) VALUES {} RETURNING id",
                    values.join(", ")
                );
                let mut got: Vec<i64> = on_tx!(tx, c => {
                    let mut q = sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str())).bind(org_id);
                    for &k in chunk {
                        let r = &items[idx[k]];
                        let replaces = match plans[k].replaces {
                            Some(Replaced::Stored(row)) => Some(row.id),
                            Some(Replaced::InBatch(j)) => Some(ids[j]),
                            None => None,
                        };
                        q = q.bind(r.point_id).bind(r.unit_id).bind(r.staff_id).bind(r.level.number())
                            .bind(r.tags.join(",")).bind(&r.comment).bind(&r.device).bind(r.day).bind(r.at)
                            .bind(plans[k].status.as_str()).bind(replaces).bind(case_of[k]);
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
                let r = &items[i];
                let c = Counted {
                    id: ids[k],
                    point_id: r.point_id,
                    unit_id: r.unit_id,
                    staff_id: r.staff_id,
                    level: r.level.number(),
                    day: r.day,
                    case_id: None,
                };
                deltas.add(&c, 1);
            }
        }
        self.apply_deltas(tx, org_id, deltas).await?;
        let events: Vec<NewEvent<'_>> = idx
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                let r = &items[i];
                let replaces = match plans[k].replaces {
                    Some(Replaced::Stored(row)) => Some(row.id),
                    Some(Replaced::InBatch(j)) => Some(ids[j]),
                    None => None,
                };
                NewEvent {
                    org_id,
                    actor: "public",
                    kind: "rating.recorded",
                    subject_type: "rating",
                    subject_id: ids[k],
                    payload: json!({
                        "point_id": r.point_id, "unit_id": r.unit_id, "staff_id": r.staff_id,
                        "level": r.level.number(), "tags": r.tags, "has_comment": r.comment.is_some(),
                        "day": r.day, "replaces": replaces, "case_id": case_of[k],
                    }),
                    reason: "",
                }
            })
            .collect();
        self.append_many(tx, org_id, &events).await?;
        Ok(idx
            .iter()
            .enumerate()
            .map(|(k, &i)| {
                let replaced = match plans[k].replaces {
                    Some(Replaced::Stored(row)) => Some(row.id),
                    Some(Replaced::InBatch(j)) => Some(ids[j]),
                    None => None,
                };
                (i, RatingAck { id: ids[k], replaced, case: opened[k].clone(), case_id: case_of[k] })
            })
            .collect())
    }

    async fn apply_deltas(&self, tx: &mut Tx, org_id: i64, deltas: Deltas) -> Result<()> {
        let mut rows: Vec<((Scope, i64, i64), [i64; 5])> =
            deltas.0.into_iter().filter(|(_, n)| n.iter().any(|x| *x != 0)).collect();
        // One order for every writer, so that two transactions never wait on each other in a circle.
        rows.sort_unstable_by_key(|(k, _)| *k);
        for chunk in crate::few_shapes(&rows, ROLLUP_ROWS) {
            let values: Vec<String> = (0..chunk.len())
                .map(|n| {
                    let b = 2 + 8 * n;
                    format!("($1, {})", (b..b + 8).map(|p| format!("${p}")).collect::<Vec<_>>().join(", "))
                })
                .collect();
            let sql = format!(
                "INSERT INTO rating_rollups (org_id, scope, scope_id, day, n1, n2, n3, n4, n5) VALUES {}
                 ON CONFLICT (org_id, scope, scope_id, day) DO UPDATE SET
                   n1 = rating_rollups.n1 + excluded.n1, n2 = rating_rollups.n2 + excluded.n2,
                   n3 = rating_rollups.n3 + excluded.n3, n4 = rating_rollups.n4 + excluded.n4,
                   n5 = rating_rollups.n5 + excluded.n5",
                values.join(", ")
            );
            on_tx!(tx, c => {
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(org_id);
                for ((scope, id, day), n) in chunk {
                    q = q.bind(scope.as_str()).bind(*id).bind(*day).bind(n[0]).bind(n[1]).bind(n[2]).bind(n[3]).bind(n[4]);
                }
                q.execute(c).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(())
    }

    /// Counted ratings per scope id over days `from..=to` (yyyymmdd), from
    /// the rollups; `ids` narrows to some scope ids.
    pub async fn rating_counts(
        &self,
        org_id: i64,
        scope: Scope,
        ids: Option<&[i64]>,
        from: i64,
        to: i64,
    ) -> Result<HashMap<i64, Counts>> {
        let narrow = match ids {
            Some([]) => return Ok(HashMap::new()),
            Some(ids) => format!(" AND scope_id IN ({})", crate::id_list(ids)),
            None => String::new(),
        };
        let sql = format!(
            "SELECT scope_id, CAST(SUM(n1) AS BIGINT), CAST(SUM(n2) AS BIGINT), CAST(SUM(n3) AS BIGINT),
                    CAST(SUM(n4) AS BIGINT), CAST(SUM(n5) AS BIGINT) FROM rating_rollups
             WHERE org_id = $1 AND scope = $2 AND day BETWEEN $3 AND $4{narrow} GROUP BY scope_id"
        );
        let rows: Vec<(i64, i64, i64, i64, i64, i64)> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(org_id).bind(scope.as_str()).bind(from).bind(to).fetch_all(c).await)?;
        Ok(rows.into_iter().map(|(id, a, b, c, d, e)| (id, Counts { n: [a, b, c, d, e] })).collect())
    }

    /// Ratings newest first, narrowed by `f`; keyset pagination on id.
    pub async fn ratings(&self, org_id: i64, f: &RatingFilter) -> Result<Vec<RatingRow>> {
        let mut sql = format!("SELECT {RATING_COLUMNS} {RATING_FROM} WHERE r.org_id = $1 AND r.id < $2");
        if let Some(u) = &f.unit_ids {
            if u.is_empty() {
                return Ok(vec![]);
            }
            sql.push_str(&format!(" AND r.unit_id IN ({})", crate::id_list(u)));
        }
        if let Some(s) = f.staff_id {
            sql.push_str(&format!(" AND r.staff_id = {s}"));
        }
        if f.bad_only {
            sql.push_str(" AND r.level <= 2");
        }
        sql.push_str(" ORDER BY r.id DESC LIMIT $3");
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(org_id).bind(f.before_id.unwrap_or(i64::MAX)).bind(f.limit.clamp(1, 500)).fetch_all(c).await)?)
    }

    pub async fn rating(&self, org_id: i64, id: i64) -> Result<RatingRow> {
        let sql = format!("SELECT {RATING_COLUMNS} {RATING_FROM} WHERE r.org_id = $1 AND r.id = $2");
        Ok(
            on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(org_id).bind(id).fetch_one(c).await)?,
        )
    }

    /// A unit appeals a bad rating as malicious or mistaken (SAT-1). Only a
    /// counted bad rating, once.
    pub async fn appeal_rating(
        &self,
        org_id: i64,
        rating_id: i64,
        user_id: i64,
        reason: &str,
    ) -> Result<RatingAppeal> {
        let reason = crate::required("reason", reason, 1000)?;
        let mut tx = self.begin().await?;
        let lock = self.lock_rows();
        let row: Option<(i64, i64, String)> = on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT level, unit_id, status FROM ratings WHERE org_id = $1 AND id = $2{lock}")))
            .bind(org_id).bind(rating_id).fetch_optional(c).await)?;
        let (level, unit_id, status) = row.ok_or(StoreError::NotFound)?;
        if level > 2 {
            return Err(StoreError::refused(
                true,
                "只能对“不满意”及以下的评价申诉 / only bad ratings can be appealed",
            ));
        }
        if status != RatingStatus::Counted.as_str() {
            return Err(StoreError::refused(
                true,
                "这条评价已不计入，无需申诉 / this rating no longer counts",
            ));
        }
        let now = self.now_ms();
        let id: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO rating_appeals (org_id, rating_id, unit_id, reason, filed_by, filed_at) VALUES ($1, $2, $3, $4, $5, $6)
             ON CONFLICT (rating_id) DO NOTHING RETURNING id")
            .bind(org_id).bind(rating_id).bind(unit_id).bind(&reason).bind(user_id).bind(now).fetch_optional(c).await)?;
        let id = id.ok_or_else(|| {
            StoreError::refused(true, "这条评价已经申诉过 / this rating has already been appealed")
        })?;
        let actor = format!("user:{user_id}");
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind: "rating.appealed",
                subject_type: "rating",
                subject_id: rating_id,
                payload: json!({ "appeal_id": id, "unit_id": unit_id }),
                reason: &reason,
            },
        )
        .await?;
        tx.commit().await?;
        self.rating_appeal(org_id, id).await
    }

    /// Decides an appeal: upheld takes the rating out of every count (its
    /// rollups go down in the same transaction); rejected leaves it counted.
    pub async fn decide_rating_appeal(
        &self,
        org_id: i64,
        appeal_id: i64,
        user_id: i64,
        upheld: bool,
        note: &str,
    ) -> Result<RatingAppeal> {
        let note = crate::required("note", note, 1000)?;
        let mut tx = self.begin().await?;
        let lock = self.lock_rows();
        let row: Option<(i64, Option<String>, i64)> = on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT rating_id, outcome, filed_by FROM rating_appeals WHERE org_id = $1 AND id = $2{lock}")))
            .bind(org_id).bind(appeal_id).fetch_optional(c).await)?;
        let (rating_id, outcome, filed_by) = row.ok_or(StoreError::NotFound)?;
        if outcome.is_some() {
            return Err(StoreError::refused(true, "这项申诉已经决定 / this appeal has been decided"));
        }
        if filed_by == user_id {
            return Err(StoreError::refused(
                false,
                "申诉人不能决定自己的申诉 / the appellant cannot decide it",
            ));
        }
        let now = self.now_ms();
        let outcome = if upheld { "upheld" } else { "rejected" };
        on_tx!(&mut tx, c => sqlx::query(
            "UPDATE rating_appeals SET outcome = $1, note = $2, decided_by = $3, decided_at = $4 WHERE id = $5")
            .bind(outcome).bind(&note).bind(user_id).bind(now).bind(appeal_id).execute(c).await.map(|r| r.rows_affected()))?;
        if upheld {
            let r: Option<Counted> = on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(format!(
                "SELECT id, point_id, unit_id, staff_id, level, day, case_id FROM ratings
                 WHERE org_id = $1 AND id = $2 AND status = 'counted'{lock}")))
                .bind(org_id).bind(rating_id).fetch_optional(c).await)?;
            if let Some(r) = r {
                on_tx!(&mut tx, c => sqlx::query("UPDATE ratings SET status = 'excluded' WHERE id = $1")
                    .bind(rating_id).execute(c).await.map(|r| r.rows_affected()))?;
                let mut d = Deltas::default();
                d.add(&r, -1);
                self.apply_deltas(&mut tx, org_id, d).await?;
            }
        }
        let actor = format!("user:{user_id}");
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind: if upheld { "rating.excluded" } else { "rating.appeal_rejected" },
                subject_type: "rating",
                subject_id: rating_id,
                payload: json!({ "appeal_id": appeal_id, "outcome": outcome }),
                reason: &note,
            },
        )
        .await?;
        tx.commit().await?;
        self.rating_appeal(org_id, appeal_id).await
    }

    pub async fn rating_appeal(&self, org_id: i64, id: i64) -> Result<RatingAppeal> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT id, rating_id, unit_id, reason, filed_by, filed_at, outcome, note, decided_by, decided_at
             FROM rating_appeals WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(id).fetch_one(c).await)?)
    }

    /// Appeals waiting for a decision, oldest first.
    pub async fn open_rating_appeals(&self, org_id: i64) -> Result<Vec<RatingAppeal>> {
        Ok(on_read!(self, c => sqlx::query_as(
            "SELECT id, rating_id, unit_id, reason, filed_by, filed_at, outcome, note, decided_by, decided_at
             FROM rating_appeals WHERE org_id = $1 AND outcome IS NULL ORDER BY id LIMIT 500")
            .bind(org_id).fetch_all(c).await)?)
    }

    /// Recomputes every rollup from the counted ratings and lists the rows
    /// that differ (part of `chuangkou verify`).
    pub async fn verify_rollups(&self) -> Result<Vec<RollupDifference>> {
        let mut diffs = Vec::new();
        for org in self.organisations().await? {
            let mut want: HashMap<(String, i64, i64), [i64; 5]> = HashMap::new();
            for (scope, col) in
                [(Scope::Point, "point_id"), (Scope::Unit, "unit_id"), (Scope::Staff, "staff_id")]
            {
                let sql = format!(
                    "SELECT {col}, day, level, COUNT(*) FROM ratings
                     WHERE org_id = $1 AND status = 'counted' AND {col} IS NOT NULL GROUP BY {col}, day, level"
                );
                let rows: Vec<(i64, i64, i64, i64)> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(org.id).fetch_all(c).await)?;
                for (id, day, level, n) in rows {
                    want.entry((scope.as_str().to_string(), id, day)).or_default()[(level - 1) as usize] = n;
                }
            }
            let have: Vec<RollupRow> = on_read!(self, c => sqlx::query_as(
                "SELECT scope, scope_id, day, n1, n2, n3, n4, n5 FROM rating_rollups WHERE org_id = $1")
                .bind(org.id).fetch_all(c).await)?;
            for (scope, id, day, a, b, c, d, e) in have {
                let rollup = [a, b, c, d, e];
                let recomputed = want.remove(&(scope.clone(), id, day)).unwrap_or_default();
                if rollup != recomputed {
                    diffs.push(RollupDifference {
                        org_id: org.id,
                        scope,
                        scope_id: id,
                        day,
                        rollup,
                        recomputed,
                    });
                }
            }
            for ((scope, id, day), recomputed) in want {
                diffs.push(RollupDifference {
                    org_id: org.id,
                    scope,
                    scope_id: id,
                    day,
                    rollup: [0; 5],
                    recomputed,
                });
            }
        }
        Ok(diffs)
    }
}
