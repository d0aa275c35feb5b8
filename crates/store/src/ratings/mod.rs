//! Quick ratings at service points (SPEC SAT-1, SAT-4) with their daily
//! rollups (for assessment) and the units' appeals.
//!
//! Ratings arrive through group commit (`crate::group`): one transaction
//! writes a whole batch — the ratings, the cases that bad ratings open, the
//! status of the ratings they replace, the rollups and one event per rating
//! — so a rating is acknowledged only when all of it is durable, and the
//! rollups never disagree with the ratings.

use chuangkou_domain::{CaseId, OrgId, StaffId, UserId};
use std::collections::HashMap;

use chuangkou_domain::satisfaction::{Counts, Level};
use serde::Serialize;

use crate::cases::{Prepared, Registered};
use crate::group::GroupCommit;
use crate::{Result, Store, StoreError, Tx, on_read, on_snapshot, on_tx};

mod appeals;
mod intake;

/// A rating checked and ready to write.
#[derive(Debug, Clone)]
pub struct NewRating {
    pub org_id: OrgId,
    pub point_id: i64,
    pub unit_id: i64,
    pub staff_id: Option<StaffId>,
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
    /// The hourly limits it is counted against, in order: its network's,
    /// then its device's (none when the store is called directly).
    pub limits: crate::limits::Keys,
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
    /// The network address it came from, for the hourly limits; none for
    /// ratings the system writes itself (demo data, benchmarks).
    pub address: Option<String>,
}

/// Which ratings to list.
#[derive(Debug, Clone, Default)]
pub struct RatingFilter {
    pub unit_ids: Option<Vec<i64>>,
    pub staff_id: Option<StaffId>,
    pub bad_only: bool,
    pub before_id: Option<i64>,
    pub limit: i64,
}

/// What the rater is told after the commit.
#[derive(Debug, Clone, Default, Serialize, serde::Deserialize)]
pub struct RatingAck {
    pub id: i64,
    /// The earlier rating this one replaced.
    pub replaced: Option<i64>,
    /// The case a bad rating opened (with its tracking code, shown once), or
    /// the case of the bad rating it replaced.
    pub case: Option<Registered>,
    pub case_id: Option<CaseId>,
    /// Not stored: an hourly limit stopped it (nothing else is set).
    #[serde(default)]
    pub limited: Option<Limited>,
}

/// The hourly limit that stopped a rating.
#[derive(Debug, Clone, Serialize, serde::Deserialize)]
pub struct Limited {
    /// `address` (the network) or `device`.
    pub kind: String,
    pub limit: u32,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RatingRow {
    pub id: i64,
    pub point_id: i64,
    pub point_name: String,
    pub unit_id: i64,
    pub unit_name: String,
    pub staff_id: Option<StaffId>,
    pub level: i64,
    pub tags: String,
    pub comment: Option<String>,
    pub day: i64,
    pub created_at: i64,
    pub status: String,
    pub replaces_id: Option<i64>,
    pub case_id: Option<CaseId>,
    pub appeal_id: Option<i64>,
    pub appeal_outcome: Option<String>,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct RatingAppeal {
    pub id: i64,
    pub rating_id: i64,
    pub unit_id: i64,
    pub reason: String,
    pub filed_by: UserId,
    pub filed_at: i64,
    pub outcome: Option<String>,
    pub note: Option<String>,
    pub decided_by: Option<UserId>,
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
    pub org_id: OrgId,
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
    staff_id: Option<StaffId>,
    level: i64,
    day: i64,
    case_id: Option<CaseId>,
}

impl NewRating {
    /// This rating as the rollups count it, once stored as `id`.
    fn counted(&self, id: i64) -> Counted {
        Counted {
            id,
            point_id: self.point_id,
            unit_id: self.unit_id,
            staff_id: self.staff_id,
            level: self.level.number(),
            day: self.day,
            case_id: None,
        }
    }
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
            bump(Scope::Staff, s.get());
        }
    }
}

/// A stored rollup: scope, scope id, day, counts by level.
type RollupRow = (String, i64, i64, i64, i64, i64, i64, i64);

/// Rollup rows per multi-row upsert, and rating rows per multi-row insert:
/// a batch of 64 is one statement (see `cases::intake`'s row counts).
const ROLLUP_ROWS: usize = 64;
const RATING_ROWS: usize = 64;

impl Store {
    /// Starts the rating intake queue on a thread of its own, like case
    /// intake (see `crate::group`).
    pub fn rating_intake(&self) -> RatingIntake {
        GroupCommit::start(self.clone(), "rating intake", MAX_BATCH, true, |store, items, token| async move {
            store.record_ratings_keeping(&items, Some(&token)).await
        })
    }

    /// A staff member of the organisation by employee number.
    pub async fn staff_id_by_number(&self, org_id: OrgId, number: &str) -> Result<Option<StaffId>> {
        Ok(
            on_read!(self, c => sqlx::query_scalar("SELECT id FROM staff WHERE org_id = $1 AND employee_no = $2")
            .bind(org_id).bind(number).fetch_optional(c).await)?,
        )
    }

    async fn apply_deltas(&self, tx: &mut Tx, org_id: OrgId, deltas: Deltas) -> Result<()> {
        let mut rows: Vec<((Scope, i64, i64), [i64; 5])> =
            deltas.0.into_iter().filter(|(_, n)| n.iter().any(|x| *x != 0)).collect();
        // One order for every writer, so that two transactions never wait on each other in a circle.
        rows.sort_unstable_by_key(|(k, _)| *k);
        for chunk in crate::few_shapes(&rows, ROLLUP_ROWS) {
            on_tx!(tx, c => {
                let mut q = crate::insert_values(
                    "rating_rollups (org_id, scope, scope_id, day, n1, n2, n3, n4, n5)",
                    chunk,
                    |mut b, ((scope, id, day), n)| {
                        b.push_bind(org_id).push_bind(scope.as_str()).push_bind(*id).push_bind(*day);
                        for x in n {
                            b.push_bind(*x);
                        }
                    },
                    "ON CONFLICT (org_id, scope, scope_id, day) DO UPDATE SET
                       n1 = rating_rollups.n1 + excluded.n1, n2 = rating_rollups.n2 + excluded.n2,
                       n3 = rating_rollups.n3 + excluded.n3, n4 = rating_rollups.n4 + excluded.n4,
                       n5 = rating_rollups.n5 + excluded.n5",
                );
                q.build().execute(c).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(())
    }

    /// Counted ratings per scope id over days `from..=to` (yyyymmdd), from
    /// the rollups; `ids` narrows to some scope ids.
    pub async fn rating_counts(
        &self,
        org_id: OrgId,
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
    pub async fn ratings(&self, org_id: OrgId, f: &RatingFilter) -> Result<Vec<RatingRow>> {
        // Newest first is a walk down the ids. SQLite, without statistics,
        // took the unit index instead and sorted every rating of the
        // organisation: the console's bad-ratings list took 4 s at 10 M
        // ratings, 2 ms walking the ids. A person's own ratings are few
        // among many, so their list keeps the planner's choice.
        let from = match self.backend() {
            crate::Backend::Sqlite if f.staff_id.is_none() => {
                RATING_FROM.replacen("ratings r", "ratings r NOT INDEXED", 1)
            }
            _ => RATING_FROM.to_string(),
        };
        let mut sql = format!("SELECT {RATING_COLUMNS} {from} WHERE r.org_id = $1 AND r.id < $2");
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

    pub async fn rating(&self, org_id: OrgId, id: i64) -> Result<RatingRow> {
        let sql = format!("SELECT {RATING_COLUMNS} {RATING_FROM} WHERE r.org_id = $1 AND r.id = $2");
        Ok(
            on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(org_id).bind(id).fetch_one(c).await)?,
        )
    }

    /// A rating's whole history, oldest first: the event of the batch that
    /// recorded it (`ratings.recorded`, listing it among the others), then
    /// its own events (appeal, exclusion).
    pub async fn rating_history(&self, org_id: OrgId, id: i64) -> Result<Vec<crate::EventRow>> {
        let seq: Option<i64> = on_read!(self, c => sqlx::query_scalar(
            "SELECT event_seq FROM ratings WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(id).fetch_optional(c).await)?
        .ok_or(StoreError::NotFound)?;
        let mut out = Vec::new();
        if let Some(seq) = seq {
            out.extend(self.event_at(org_id, seq).await?);
        }
        out.extend(self.history(org_id, "rating", id).await?);
        Ok(out)
    }

    /// Recomputes every rollup from the counted ratings and lists the rows
    /// that differ (part of `chuangkou verify`).
    pub async fn verify_rollups(&self) -> Result<Vec<RollupDifference>> {
        let mut diffs = Vec::new();
        // One moment for both sides: read apart beside rating intake, the
        // rollups and the ratings were of different batches.
        let mut snap = self.snapshot().await?;
        for org in self.organisations().await? {
            let mut want: HashMap<(String, i64, i64), [i64; 5]> = HashMap::new();
            for (scope, col) in
                [(Scope::Point, "point_id"), (Scope::Unit, "unit_id"), (Scope::Staff, "staff_id")]
            {
                let sql = format!(
                    "SELECT {col}, day, level, COUNT(*) FROM ratings
                     WHERE org_id = $1 AND status = 'counted' AND {col} IS NOT NULL GROUP BY {col}, day, level"
                );
                let rows: Vec<(i64, i64, i64, i64)> = on_snapshot!(&mut snap, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                    .bind(org.id).fetch_all(c).await)?;
                for (id, day, level, n) in rows {
                    want.entry((scope.as_str().to_string(), id, day)).or_default()[(level - 1) as usize] = n;
                }
            }
            let have: Vec<RollupRow> = on_snapshot!(&mut snap, c => sqlx::query_as(
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
