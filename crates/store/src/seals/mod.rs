//! Rows of record sealed into the event chain (issue 17, point 3).
//!
//! Triggers stop the product's records from being edited or deleted out of
//! band, but someone who owns the database can drop a trigger. So every row
//! of a record table is also *sealed*: a `records.sealed` event in its
//! organisation's chain lists a digest of each row as it stands, and
//! [`Store::verify_rows`] recomputes every row's digest and names the first
//! row that no longer matches its latest seal.
//!
//! Which rows to seal comes from the `unsealed` queue (migration 0020): the
//! database queues every new row by trigger, and the product queues each
//! row it changes with [`Store::changed`], in the changing transaction, after
//! the change's event took the chain's head lock. A change made out of band
//! is queued by nobody and shows at the next `verify`. What a seal cannot
//! see is a row changed out of band *and* queued by hand before the next
//! seal (seconds, with `serve` sealing every few seconds): docs/OPERATIONS.md
//! says so.

use chuangkou_domain::OrgId;
use chuangkou_domain::events::EventKind;
use std::collections::HashMap;

use serde_json::json;
use sha2::{Digest, Sha256};

use crate::events::{EVENT_COLUMNS, EventRow, NewEvent};
use crate::{Result, Snapshot, Store, StoreError, Tx, on_read, on_snapshot, on_tx};

mod tables;
pub use tables::{SEALED_TABLES, SealedTable};

/// How often `serve` seals.
pub const SEAL_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The event kind of a seal.
pub const SEAL_KIND: EventKind = EventKind::RecordsSealed;

/// A row's digest: SHA-256 over its columns, each as text or bytes with its
/// length (so that no two rows share a digest by shifting a boundary),
/// shortened to 128 bits.
type RowDigest = [u8; 16];

impl SealedTable {
    /// `SELECT` of the row's id and every column as text (or bytes).
    fn select(&self, filter: &str) -> String {
        let cols: Vec<String> = self
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| {
                if self.blobs.contains(c) {
                    format!("{c} AS v{i}")
                } else if self.flags.contains(c) {
                    format!("CAST(CAST({c} AS INTEGER) AS TEXT) AS v{i}")
                } else {
                    format!("CAST({c} AS TEXT) AS v{i}")
                }
            })
            .collect();
        format!("SELECT id, {} FROM {} WHERE {filter} ORDER BY id", cols.join(", "), self.name)
    }

    /// The row's id and digest, and where the table has flags, the digest
    /// seals made on PostgreSQL before flags were read as 0 or 1 (as
    /// `true`/`false`): a row is as it was sealed if it matches either.
    fn digest<R: sqlx::Row>(
        &self,
        row: &R,
    ) -> std::result::Result<(i64, RowDigest, Option<RowDigest>), sqlx::Error>
    where
        for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        for<'r> Option<Vec<u8>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
        usize: sqlx::ColumnIndex<R>,
    {
        let id: i64 = row.try_get(0usize)?;
        let mut values = Vec::with_capacity(self.columns.len());
        for (i, c) in self.columns.iter().enumerate() {
            values.push(if self.blobs.contains(c) {
                row.try_get(i + 1)?
            } else {
                row.try_get::<Option<String>, _>(i + 1)?.map(String::into_bytes)
            });
        }
        let digest = self.digest_of(&values);
        let earlier = (!self.flags.is_empty()).then(|| self.digest_of(&self.flags_as_words(values)));
        Ok((id, digest, earlier))
    }

    /// The values with each flag as PostgreSQL wrote it before flags were
    /// read as numbers: `true` or `false`.
    fn flags_as_words(&self, mut values: Vec<Option<Vec<u8>>>) -> Vec<Option<Vec<u8>>> {
        for (c, v) in self.columns.iter().zip(values.iter_mut()) {
            if self.flags.contains(c) {
                *v = v.take().map(|b| if b == b"0" { b"false".to_vec() } else { b"true".to_vec() });
            }
        }
        values
    }

    /// SHA-256 over the table's name and the values, each with its length.
    fn digest_of(&self, values: &[Option<Vec<u8>>]) -> RowDigest {
        let mut h = Sha256::new();
        h.update(self.name.as_bytes());
        for value in values {
            match value {
                None => h.update([0u8]),
                Some(v) => {
                    h.update([1u8]);
                    h.update((v.len() as u64).to_le_bytes());
                    h.update(v);
                }
            }
        }
        let full = h.finalize();
        let mut d = [0u8; 16];
        d.copy_from_slice(&full[..16]);
        d
    }
}

fn table(name: &str) -> Option<&'static SealedTable> {
    SEALED_TABLES.iter().find(|t| t.name == name)
}

/// One row that does not match what the chain says of it.
#[derive(Debug, Clone, serde::Serialize)]
pub struct RowProblem {
    pub org_id: OrgId,
    pub table: String,
    pub row_id: i64,
    pub problem: String,
}

/// What the seal events of the chain say: each row's latest digest and the
/// place of the seal that recorded it. Filled while `verify` walks the chain.
#[derive(Default)]
pub(crate) struct Seals {
    rows: HashMap<(usize, i64), (RowDigest, i64, OrgId)>,
    /// Per organisation, how many ratings the batch events list.
    pub(crate) ratings_listed: HashMap<OrgId, i64>,
}

impl Seals {
    /// Counts the ratings a `ratings.recorded` event lists.
    pub(crate) fn add_ratings(&mut self, org_id: OrgId, payload: &serde_json::Value) {
        let n = payload.get("ratings").and_then(|r| r.as_array()).map_or(0, Vec::len);
        *self.ratings_listed.entry(org_id).or_default() += n as i64;
    }

    /// Takes in one `records.sealed` event's payload; an error names what
    /// is wrong with it.
    pub(crate) fn add(
        &mut self,
        org_id: OrgId,
        seq: i64,
        payload: &serde_json::Value,
    ) -> std::result::Result<(), String> {
        let tables = payload.get("rows").and_then(|r| r.as_object()).ok_or("no \"rows\" object")?;
        for (name, rows) in tables {
            let t = SEALED_TABLES
                .iter()
                .position(|t| t.name == name)
                .ok_or_else(|| format!("seals an unknown table {name:?}"))?;
            for r in rows.as_array().ok_or_else(|| format!("{name}: not a list"))? {
                let (id, d) = r
                    .as_array()
                    .and_then(|p| Some((p.first()?.as_i64()?, p.get(1)?.as_str()?)))
                    .ok_or_else(|| format!("{name}: a row is not [id, digest]"))?;
                let mut digest = [0u8; 16];
                hex::decode_to_slice(d, &mut digest)
                    .map_err(|_| format!("{name} #{id}: the digest is not hex"))?;
                self.rows.insert((t, id), (digest, seq, org_id));
            }
        }
        Ok(())
    }
}

impl Store {
    /// Queues a row the product changes for the next seal, in the changing
    /// transaction (before or after the change itself).
    pub(crate) async fn changed(&self, tx: &mut Tx, org_id: OrgId, table_name: &str, id: i64) -> Result<()> {
        debug_assert!(table(table_name).is_some(), "{table_name} is not sealed");
        // An update on conflict, not "do nothing": on PostgreSQL it locks the
        // queue entry, so that a seal taking it (which deletes the entry,
        // then reads the row) waits for this transaction and reads the row
        // as it commits; a seal that took it first makes this wait and
        // queue the row again.
        on_tx!(tx, c => sqlx::query(
            "INSERT INTO unsealed (org_id, tbl, row_id) VALUES ($1, $2, $3)
             ON CONFLICT (org_id, tbl, row_id) DO UPDATE SET row_id = excluded.row_id")
            .bind(org_id).bind(table_name).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// [`Store::changed`] for many rows of `table_name`, `(org_id, id)`
    /// each and each once, in a statement or three.
    pub(crate) async fn changed_many(
        &self,
        tx: &mut Tx,
        table_name: &str,
        rows: &[(OrgId, i64)],
    ) -> Result<()> {
        debug_assert!(table(table_name).is_some(), "{table_name} is not sealed");
        for chunk in crate::sql::few_shapes(rows, 64) {
            on_tx!(tx, c => {
                let mut q = crate::insert_values("unsealed (org_id, tbl, row_id)", chunk, |mut b, (org, id)| {
                    b.push_bind(*org).push_bind(table_name).push_bind(*id);
                }, "ON CONFLICT (org_id, tbl, row_id) DO UPDATE SET row_id = excluded.row_id");
                q.build().execute(c).await.map(|r| r.rows_affected())
            })?;
        }
        Ok(())
    }

    /// Seals every queued row of every organisation; returns how many.
    pub async fn seal(&self) -> Result<usize> {
        let orgs: Vec<OrgId> = on_read!(self, c => sqlx::query_scalar(
            "SELECT DISTINCT org_id FROM unsealed ORDER BY org_id").fetch_all(c).await)?;
        let mut sealed = 0;
        for org_id in orgs {
            loop {
                let n = self.seal_some(org_id).await?;
                sealed += n;
                if n == 0 {
                    break;
                }
            }
        }
        Ok(sealed)
    }

    /// Seals up to one batch of each table's queued rows of an organisation
    /// in one transaction with one event; returns how many rows.
    async fn seal_some(&self, org_id: OrgId) -> Result<usize> {
        let mut tx = self.begin().await?;
        let mut rows = serde_json::Map::new();
        let mut n = 0;
        for t in SEALED_TABLES {
            // Taken off the queue first, then read: on PostgreSQL the delete
            // waits for a transaction that queued the row and reads what it
            // committed. Rows another instance's sealer is taking are
            // skipped, not waited for (`claim_rows`): it seals them.
            let sql = format!(
                "DELETE FROM unsealed WHERE org_id = $1 AND tbl = $2 AND row_id IN
                   (SELECT row_id FROM unsealed WHERE org_id = $1 AND tbl = $2 ORDER BY row_id LIMIT $3{})
                 RETURNING row_id",
                self.claim_rows()
            );
            let ids: Vec<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(org_id).bind(t.name).bind(t.batch).fetch_all(c).await)?;
            if ids.is_empty() {
                continue;
            }
            let sql = t.select(&format!("org_id = $1 AND id IN ({})", crate::id_list(&ids)));
            let digests: Vec<(i64, RowDigest)> = on_tx!(&mut tx, c => {
                let found = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(org_id).fetch_all(c).await?;
                found.iter().map(|r| t.digest(r).map(|(id, d, _)| (id, d))).collect::<std::result::Result<Vec<_>, _>>()
            })?;
            n += digests.len();
            rows.insert(
                t.name.to_string(),
                digests.iter().map(|(id, d)| json!([id, hex::encode(d)])).collect::<Vec<_>>().into(),
            );
        }
        if n == 0 {
            drop(tx);
            return Ok(0);
        }
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: "system",
                kind: SEAL_KIND,
                subject_type: "organisation",
                subject_id: org_id.get(),
                payload: json!({ "rows": rows }),
                reason: "",
            },
        )
        .await?;
        tx.commit().await?;
        Ok(n)
    }

    /// Compares every row of the record tables with its latest seal and
    /// names, per table, the first row that differs, is missing, or was
    /// never sealed nor queued for a seal.
    pub(crate) async fn verify_rows(&self, snap: &mut Snapshot, seals: &Seals) -> Result<Vec<RowProblem>> {
        let mut problems = Vec::new();
        let mut seen: HashMap<(usize, i64), ()> = HashMap::new();
        for (ti, t) in SEALED_TABLES.iter().enumerate() {
            let queued: std::collections::HashSet<i64> = on_snapshot!(&mut *snap, c => sqlx::query_scalar(
                "SELECT row_id FROM unsealed WHERE tbl = $1").bind(t.name).fetch_all(c).await)?
            .into_iter()
            .collect();
            let sql = format!("{} LIMIT 1000", t.select("id > $1"));
            let mut after = 0i64;
            let mut first: Option<RowProblem> = None;
            loop {
                let page: Vec<(i64, OrgId, RowDigest, Option<RowDigest>)> = on_snapshot!(&mut *snap, c => {
                    let found = sqlx::query(sqlx::AssertSqlSafe(sql.as_str())).bind(after).fetch_all(c).await?;
                    found
                        .iter()
                        .map(|r| {
                            let org: OrgId = sqlx::Row::try_get(r, 2usize)
                                .map(|o: Option<String>| o.and_then(|o| o.parse().ok()).unwrap_or(OrgId::new(0)))?;
                            t.digest(r).map(|(id, d, earlier)| (id, org, d, earlier))
                        })
                        .collect::<std::result::Result<Vec<_>, sqlx::Error>>()
                })
                .map_err(|e| StoreError::Other(format!("{}: a row after #{after} cannot be read: {e}", t.name)))?;
                let Some(last) = page.last() else { break };
                after = last.0;
                for (id, org_id, digest, earlier) in page {
                    seen.insert((ti, id), ());
                    if first.is_some() || queued.contains(&id) {
                        continue;
                    }
                    let problem = match seals.rows.get(&(ti, id)) {
                        Some((d, _, _)) if *d == digest || Some(*d) == earlier => continue,
                        Some((_, seq, _)) => format!(
                            "differs from its seal at seq {seq}: changed outside the product (or the seal was edited)"
                        ),
                        None => "was never sealed nor queued for a seal: written outside the product".into(),
                    };
                    first = Some(RowProblem { org_id, table: t.name.into(), row_id: id, problem });
                }
            }
            problems.extend(first);
        }
        // Sealed rows that are gone.
        let gone = seals.rows.iter().filter(|(k, _)| !seen.contains_key(k)).min_by_key(|(k, _)| **k);
        if let Some(((t, id), (_, seq, org_id))) = gone {
            problems.push(RowProblem {
                org_id: *org_id,
                table: SEALED_TABLES[*t].name.into(),
                row_id: *id,
                problem: format!(
                    "was sealed at seq {seq} but is no longer stored (deleted outside the product)"
                ),
            });
        }
        Ok(problems)
    }
}

/// A rating as its batch's `ratings.recorded` event lists it.
type RatingFields = (OrgId, i64, i64, i64, i64, Option<i64>, i64, String, i64, i64, Option<i64>, Option<i64>);

impl Store {
    /// Compares every rating with the `ratings.recorded` event of its batch
    /// (ratings are recorded by their batch's event, not sealed: rating
    /// intake is the busiest write), and names the first that differs or
    /// that its event does not list. `listed` counts, per organisation, the
    /// ratings the chain's batch events list; fewer stored means some were
    /// deleted.
    pub(crate) async fn verify_ratings(
        &self,
        snap: &mut Snapshot,
        listed: &HashMap<OrgId, i64>,
    ) -> Result<Vec<RowProblem>> {
        let sql = "SELECT org_id, event_seq, id, point_id, unit_id, staff_id, CAST(level AS BIGINT), tags,
                          CAST(CASE WHEN comment IS NULL THEN 0 ELSE 1 END AS BIGINT), CAST(day AS BIGINT),
                          replaces_id, case_id
                   FROM ratings WHERE event_seq IS NOT NULL AND id > $1 ORDER BY id LIMIT 2000";
        let mut events: HashMap<(OrgId, i64), HashMap<i64, serde_json::Value>> = HashMap::new();
        let mut stored: HashMap<OrgId, i64> = HashMap::new();
        let mut first: Option<RowProblem> = None;
        let mut after = 0i64;
        let event_sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE org_id = $1 AND seq = $2");
        loop {
            let page: Vec<RatingFields> =
                on_snapshot!(&mut *snap, c => sqlx::query_as(sql).bind(after).fetch_all(c).await)?;
            let Some(last) = page.last() else { break };
            after = last.2;
            for (org_id, seq, id, point, unit, staff, level, tags, comment, day, replaces, case) in page {
                *stored.entry(org_id).or_default() += 1;
                if first.is_some() {
                    continue;
                }
                if !events.contains_key(&(org_id, seq)) {
                    if events.len() > 256 {
                        events.clear();
                    }
                    let event: Option<EventRow> = on_snapshot!(&mut *snap, c => sqlx::query_as(
                        sqlx::AssertSqlSafe(event_sql.as_str())).bind(org_id).bind(seq).fetch_optional(c).await)?;
                    let listed = match event {
                        Some(e) if e.kind == EventKind::RatingsRecorded => {
                            serde_json::from_str::<serde_json::Value>(&e.payload)
                                .ok()
                                .and_then(|p| p.get("ratings").and_then(|r| r.as_array()).cloned())
                                .unwrap_or_default()
                                .into_iter()
                                .filter_map(|r| Some((r.get(0)?.as_i64()?, r)))
                                .collect()
                        }
                        _ => HashMap::new(),
                    };
                    events.insert((org_id, seq), listed);
                }
                let row = json!([id, point, unit, staff, level, tags, comment == 1, day, replaces, case]);
                let problem = match events[&(org_id, seq)].get(&id) {
                    Some(recorded) if *recorded == row => continue,
                    Some(_) => {
                        format!("differs from its batch's event at seq {seq}: changed outside the product")
                    }
                    None => format!(
                        "is not listed by the batch event it names (seq {seq}): written outside the product"
                    ),
                };
                first = Some(RowProblem { org_id, table: "ratings".into(), row_id: id, problem });
            }
        }
        let mut problems: Vec<RowProblem> = first.into_iter().collect();
        let mut orgs: Vec<_> = listed.iter().collect();
        orgs.sort();
        for (&org_id, &n) in orgs {
            let have = stored.get(&org_id).copied().unwrap_or(0);
            if have < n {
                problems.push(RowProblem {
                    org_id,
                    table: "ratings".into(),
                    row_id: 0,
                    problem: format!(
                        "the chain's batch events list {n} ratings but {have} are stored (deleted outside the product)"
                    ),
                });
            }
        }
        Ok(problems)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_flag_read_as_a_number_has_its_earlier_word_form() {
        let t = table("exam_results").unwrap();
        let value = |c: &str| -> Option<Vec<u8>> {
            match c {
                "passed" => Some(b"0".to_vec()),
                "fact_id" => None,
                _ => Some(b"7".to_vec()),
            }
        };
        let values: Vec<Option<Vec<u8>>> = t.columns.iter().map(|c| value(c)).collect();
        let words = t.flags_as_words(values.clone());
        let i = t.columns.iter().position(|c| *c == "passed").unwrap();
        assert_eq!(words[i].as_deref(), Some(&b"false"[..]));
        assert_eq!(words.iter().filter(|v| v.as_deref() == Some(&b"7"[..])).count(), t.columns.len() - 2);
        assert_ne!(t.digest_of(&values), t.digest_of(&words), "the two forms are two digests");
    }
}
