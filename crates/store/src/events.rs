//! The append-only, hash-chained event log (DESIGN decision 3).
//!
//! [`Store::append`] is the only way an event is written: inside the caller's
//! transaction, after locking the organisation's chain head, so that the
//! change and its event commit together or not at all. The tables refuse
//! `UPDATE` and `DELETE` (triggers in the migrations); [`Store::verify`]
//! re-walks every chain and names the first broken link.

use chuangkou_domain::OrgId;
use chuangkou_domain::events::{ChainVerifier, ChainedEvent, EventKind, GENESIS, chain_hash, head_problem};
use serde::Serialize;

use crate::crypto::CHAIN_KEY_VERSION;
use crate::{Result, Store, StoreError, Tx, on_read, on_snapshot, on_tx};

/// An event about to be appended.
pub struct NewEvent<'a> {
    pub org_id: OrgId,
    /// Who did it: `user:<id>`, `public`, `system`, `cli`.
    pub actor: &'a str,
    /// What happened.
    pub kind: EventKind,
    pub subject_type: &'a str,
    pub subject_id: i64,
    /// The change, as JSON. Never reporters' personal data.
    pub payload: serde_json::Value,
    /// Why, in the actor's words; empty when the action explains itself.
    pub reason: &'a str,
}

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct EventRow {
    pub id: i64,
    pub org_id: OrgId,
    pub seq: i64,
    pub at: i64,
    pub actor: String,
    pub kind: String,
    pub subject_type: String,
    pub subject_id: i64,
    pub payload: String,
    pub reason: String,
    pub prev_hash: String,
    pub hash: String,
    /// The version of the key its hash was made with (`crypto`).
    pub key_version: i64,
}

impl EventRow {
    fn chained(&self) -> ChainedEvent<'_> {
        ChainedEvent {
            org_id: self.org_id,
            seq: self.seq,
            at_ms: self.at,
            actor: &self.actor,
            kind: &self.kind,
            subject_type: &self.subject_type,
            subject_id: self.subject_id,
            payload: &self.payload,
            reason: &self.reason,
            prev_hash: &self.prev_hash,
        }
    }
}

/// The first break found in one organisation's chain.
#[derive(Debug, Clone, Serialize)]
pub struct BrokenLink {
    pub org_id: OrgId,
    pub event_id: i64,
    pub seq: i64,
    pub problem: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct VerifyReport {
    pub organisations: usize,
    pub events: i64,
    pub broken: Vec<BrokenLink>,
    /// Rows of record that differ from their seal (see `seals`), the first
    /// of each table.
    pub rows: Vec<crate::seals::RowProblem>,
}

impl VerifyReport {
    /// Whether everything verified.
    pub fn ok(&self) -> bool {
        self.broken.is_empty() && self.rows.is_empty()
    }
}

/// Events per multi-row insert (see `append_many`).
const EVENT_ROWS: usize = 64;

pub(crate) const EVENT_COLUMNS: &str = "id, org_id, seq, at, actor, kind, subject_type, subject_id, payload, reason, prev_hash, hash, key_version";

impl Store {
    /// The key new events are chained with.
    fn chain_key(&self) -> &[u8] {
        self.keys().chain(CHAIN_KEY_VERSION).expect("the current key version")
    }

    /// Starts an organisation's chain; called once, when it is created.
    pub(crate) async fn start_chain(&self, tx: &mut Tx, org_id: OrgId) -> Result<()> {
        on_tx!(tx, c => sqlx::query("INSERT INTO chain_heads (org_id, seq, head_hash) VALUES ($1, 0, $2)")
            .bind(org_id).bind(GENESIS).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(())
    }

    /// Appends an event about `subject_type` `subject_id` in `tx`: the
    /// shorthand of the small writers (notices, duty, campaigns).
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn event_in(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        actor: &str,
        kind: EventKind,
        (subject_type, subject_id): (&str, i64),
        payload: serde_json::Value,
        reason: &str,
    ) -> Result<()> {
        self.append(tx, NewEvent { org_id, actor, kind, subject_type, subject_id, payload, reason }).await?;
        Ok(())
    }

    /// Appends an event in `tx` and returns its id.
    pub async fn append(&self, tx: &mut Tx, e: NewEvent<'_>) -> Result<i64> {
        let at = self.now_ms();
        let payload = e.payload.to_string();
        // Taking the next place in the chain locks the head row until commit
        // (a row lock on PostgreSQL; the single writer on SQLite).
        let (seq, prev_hash): (i64, String) = on_tx!(tx, c => sqlx::query_as(
            "UPDATE chain_heads SET seq = seq + 1 WHERE org_id = $1 RETURNING seq, head_hash")
            .bind(e.org_id).fetch_optional(c).await)?
        .ok_or_else(|| StoreError::Other(format!("organisation {} has no event chain", e.org_id)))?;
        let hash = chain_hash(
            self.chain_key(),
            &ChainedEvent {
                org_id: e.org_id,
                seq,
                at_ms: at,
                actor: e.actor,
                kind: e.kind.as_str(),
                subject_type: e.subject_type,
                subject_id: e.subject_id,
                payload: &payload,
                reason: e.reason,
                prev_hash: &prev_hash,
            },
        );
        let id: i64 = on_tx!(tx, c => sqlx::query_scalar(
            "INSERT INTO events (org_id, seq, at, actor, kind, subject_type, subject_id, payload, reason, prev_hash, hash, key_version)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12) RETURNING id")
            .bind(e.org_id).bind(seq).bind(at).bind(e.actor).bind(e.kind.as_str()).bind(e.subject_type)
            .bind(e.subject_id).bind(&payload).bind(e.reason).bind(&prev_hash).bind(&hash).bind(CHAIN_KEY_VERSION)
            .fetch_one(&mut *c).await)?;
        on_tx!(tx, c => sqlx::query("UPDATE chain_heads SET head_hash = $1 WHERE org_id = $2")
            .bind(&hash).bind(e.org_id).execute(c).await.map(|r| r.rows_affected()))?;
        Ok(id)
    }

    /// Appends several events of one organisation in `tx` with three
    /// statements however many there are: take `n` places in the chain,
    /// hash them in order, insert them together. Returns their ids in order.
    pub async fn append_many(&self, tx: &mut Tx, org_id: OrgId, events: &[NewEvent<'_>]) -> Result<Vec<i64>> {
        if events.is_empty() {
            return Ok(vec![]);
        }
        let (last, prev) = self.reserve_chain(tx, org_id, events.len() as i64).await?;
        self.write_reserved(tx, org_id, last, prev, events).await
    }

    /// Takes the next `n` places of an organisation's chain in `tx` (locking
    /// its head until commit) for [`Store::write_reserved`], so that rows
    /// written in between can name the place of their event. Returns the
    /// last place taken and the hash the first one follows. Nothing else
    /// may append to the chain in `tx` until the places are written.
    pub(crate) async fn reserve_chain(&self, tx: &mut Tx, org_id: OrgId, n: i64) -> Result<(i64, String)> {
        on_tx!(tx, c => sqlx::query_as(
            "UPDATE chain_heads SET seq = seq + $2 WHERE org_id = $1 RETURNING seq, head_hash")
            .bind(org_id).bind(n).fetch_optional(c).await)?
        .ok_or_else(|| StoreError::Other(format!("organisation {org_id} has no event chain")))
    }

    /// Writes `events` at the places ending at `last` taken by
    /// [`Store::reserve_chain`], after `prev`. Returns their ids in order.
    pub(crate) async fn write_reserved(
        &self,
        tx: &mut Tx,
        org_id: OrgId,
        last: i64,
        mut prev: String,
        events: &[NewEvent<'_>],
    ) -> Result<Vec<i64>> {
        let n = events.len() as i64;
        let at = self.now_ms();
        let mut rows = Vec::with_capacity(events.len());
        for (i, e) in events.iter().enumerate() {
            debug_assert_eq!(e.org_id, org_id);
            let seq = last - n + 1 + i as i64;
            let payload = e.payload.to_string();
            let hash = chain_hash(
                self.chain_key(),
                &ChainedEvent {
                    org_id,
                    seq,
                    at_ms: at,
                    actor: e.actor,
                    kind: e.kind.as_str(),
                    subject_type: e.subject_type,
                    subject_id: e.subject_id,
                    payload: &payload,
                    reason: e.reason,
                    prev_hash: &prev,
                },
            );
            rows.push((seq, payload, prev.clone(), hash.clone()));
            prev = hash;
        }
        let mut ids = Vec::with_capacity(events.len());
        let mut offset = 0;
        let batches = crate::few_shapes(&rows, EVENT_ROWS);
        // On SQLite the chain's new head goes in the rows' round trip.
        let head_with_rows = self.backend() == crate::Backend::Sqlite && batches.len() == 1;
        for chunk in batches {
            let mut got: Vec<(i64, i64)> = on_tx!(tx, c => {
                let mut q = crate::insert_values(
                    "events (org_id, seq, at, actor, kind, subject_type, subject_id, payload, reason, prev_hash, hash, key_version)",
                    chunk.iter().enumerate(),
                    |mut b, (i, (seq, payload, prev_hash, hash))| {
                        let e = &events[offset + i];
                        b.push_bind(org_id).push_bind(*seq).push_bind(at).push_bind(e.actor).push_bind(e.kind.as_str())
                            .push_bind(e.subject_type).push_bind(e.subject_id).push_bind(payload).push_bind(e.reason)
                            .push_bind(prev_hash).push_bind(hash).push_bind(CHAIN_KEY_VERSION);
                    },
                    "RETURNING id, seq",
                );
                if head_with_rows {
                    q.push(";\nUPDATE chain_heads SET head_hash = ").push_bind(&prev).push(" WHERE org_id = ").push_bind(org_id);
                }
                q.build_query_as().fetch_all(c).await
            })?;
            got.sort_by_key(|(_, seq)| *seq);
            ids.extend(got.into_iter().map(|(id, _)| id));
            offset += chunk.len();
        }
        if !head_with_rows {
            on_tx!(tx, c => sqlx::query("UPDATE chain_heads SET head_hash = $1 WHERE org_id = $2")
                .bind(&prev).bind(org_id).execute(c).await.map(|r| r.rows_affected()))?;
        }
        Ok(ids)
    }

    /// The newest events of an organisation, newest first, before `before_seq`.
    pub async fn events(&self, org_id: OrgId, before_seq: Option<i64>, limit: i64) -> Result<Vec<EventRow>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE org_id = $1 AND seq < $2 ORDER BY seq DESC LIMIT $3"
        );
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(before_seq.unwrap_or(i64::MAX)).bind(limit.clamp(1, 500))
            .fetch_all(c).await)?)
    }

    /// The event at place `seq` of an organisation's chain.
    pub async fn event_at(&self, org_id: OrgId, seq: i64) -> Result<Option<EventRow>> {
        let sql = format!("SELECT {EVENT_COLUMNS} FROM events WHERE org_id = $1 AND seq = $2");
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(seq).fetch_optional(c).await)?)
    }

    /// The events about one record, oldest first: its history.
    pub async fn history(&self, org_id: OrgId, subject_type: &str, subject_id: i64) -> Result<Vec<EventRow>> {
        let sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE org_id = $1 AND subject_type = $2 AND subject_id = $3 ORDER BY seq"
        );
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(subject_type).bind(subject_id).fetch_all(c).await)?)
    }

    /// Walks every organisation's chain in pages and reports the first broken
    /// link of each, plus a head that does not match the last event.
    ///
    /// It reads one [`Snapshot`](crate::Snapshot): run beside a serving
    /// system (or just after a killed one, whose last commit PostgreSQL may
    /// still be finishing), statement-by-statement reads saw a head from
    /// before an append and events from after it, and reported a sound
    /// chain as broken.
    pub async fn verify(&self) -> Result<VerifyReport> {
        let mut snap = self.snapshot().await?;
        let heads: Vec<(OrgId, i64, String)> = on_snapshot!(&mut snap, c => sqlx::query_as(
            "SELECT org_id, seq, head_hash FROM chain_heads ORDER BY org_id").fetch_all(c).await)?;
        let mut report = VerifyReport { organisations: heads.len(), ..Default::default() };
        let mut seals = crate::seals::Seals::default();
        for (org_id, head_seq, head_hash) in heads {
            let (verified, last, broken) = self.verify_chain(&mut snap, org_id, &mut seals).await?;
            report.events += verified;
            // Events cut off the end of the chain leave the head ahead.
            let broken = broken.or_else(|| {
                let (last_seq, last_hash) =
                    last.as_ref().map_or((0, GENESIS), |(seq, _, h)| (*seq, h.as_str()));
                head_problem(head_seq, &head_hash, last_seq, last_hash).map(|problem| BrokenLink {
                    org_id,
                    event_id: last.as_ref().map_or(0, |(_, id, _)| *id),
                    seq: last_seq,
                    problem,
                })
            });
            report.broken.extend(broken);
        }
        // Rows are checked against chains that verified; a broken chain is
        // already the finding.
        if report.broken.is_empty() {
            report.rows = self.verify_rows(&mut snap, &seals).await?;
            report.rows.extend(self.verify_ratings(&mut snap, &seals.ratings_listed).await?);
        }
        Ok(report)
    }

    /// One organisation's chain, page by page: how many events verified,
    /// the last one's `(seq, id, hash)`, and the first broken link.
    async fn verify_chain(
        &self,
        snap: &mut crate::Snapshot,
        org_id: OrgId,
        seals: &mut crate::seals::Seals,
    ) -> Result<(i64, Option<(i64, i64, String)>, Option<BrokenLink>)> {
        let page_sql = format!(
            "SELECT {EVENT_COLUMNS} FROM events WHERE org_id = $1 AND seq > $2 ORDER BY seq LIMIT 2000"
        );
        let mut v = ChainVerifier::new(self.chain_key());
        let mut after = 0i64;
        let mut last: Option<(i64, i64, String)> = None;
        loop {
            // Rows are decoded one by one, so that one that cannot be
            // read is named instead of stopping the walk.
            let page: Vec<std::result::Result<EventRow, BrokenLink>> = on_snapshot!(&mut *snap, c => {
                let rows = sqlx::query(sqlx::AssertSqlSafe(page_sql.as_str()))
                    .bind(org_id).bind(after).fetch_all(c).await?;
                rows.iter().map(|r| {
                    <EventRow as sqlx::FromRow<_>>::from_row(r).map_err(|e| BrokenLink {
                        org_id,
                        event_id: sqlx::Row::try_get(r, "id").unwrap_or(0),
                        seq: sqlx::Row::try_get(r, "seq").unwrap_or(0),
                        problem: format!("the event cannot be read: {e}"),
                    })
                }).collect::<Vec<_>>()
            });
            if page.is_empty() {
                return Ok((v.verified(), last, None));
            }
            for e in page {
                let e = match e {
                    Ok(e) => e,
                    Err(b) => return Ok((v.verified(), last, Some(b))),
                };
                if let Some(problem) = self.check_event(&mut v, &e, seals) {
                    let broken = BrokenLink { org_id, event_id: e.id, seq: e.seq, problem };
                    return Ok((v.verified(), last, Some(broken)));
                }
                after = e.seq;
                last = Some((e.seq, e.id, e.hash));
            }
        }
    }

    /// What is wrong with the next event of a chain: an unknown key, a
    /// broken link, a payload that is not JSON, a malformed seal.
    fn check_event(
        &self,
        v: &mut ChainVerifier<'_>,
        e: &EventRow,
        seals: &mut crate::seals::Seals,
    ) -> Option<String> {
        let Some(key) = self.keys().chain(e.key_version) else {
            return Some(format!("key version {} is unknown to this version of Chuangkou", e.key_version));
        };
        if let Err(b) = v.check_with(key, &e.chained(), &e.hash) {
            return Some(b.to_string());
        }
        // A payload is JSON; a seal's is read for the row check.
        match serde_json::from_str::<serde_json::Value>(&e.payload) {
            Err(err) => Some(format!("the payload is not JSON ({err})")),
            Ok(p) if e.kind == crate::seals::SEAL_KIND => {
                seals.add(e.org_id, e.seq, &p).err().map(|m| format!("a malformed seal: {m}"))
            }
            Ok(p) if e.kind == EventKind::RatingsRecorded => {
                seals.add_ratings(e.org_id, &p);
                None
            }
            Ok(_) => None,
        }
    }
}
