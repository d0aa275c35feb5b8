//! Shortcuts for `chuangkou bench` only: bulk changes that no user can
//! make, which give a generated organisation the shape of one that has
//! been working for a year. They write the cases' projection directly,
//! without events, so they must never be reachable from the web or from an
//! operator's command; the benchmarks that use them run on databases of
//! their own.

use crate::{Result, Store, on_tx};
use chuangkou_domain::{OrgId, UserId};

/// Who handles a station's open cases in a settled benchmark organisation.
#[derive(Debug, Clone, Copy)]
pub struct StationDesk {
    pub unit_id: i64,
    pub user_id: UserId,
}

impl Store {
    /// Gathers the planner's statistics on PostgreSQL, as autovacuum does
    /// within a minute of a table's first rows (SQLite keeps none unless
    /// asked, and plans without them). A benchmark that writes into fresh
    /// tables for ten seconds would otherwise measure plans PostgreSQL made
    /// for empty tables and keeps for its prepared statements until the
    /// statistics change: the rating batch's look-up of earlier ratings
    /// by device walked every rating of the day by unit instead.
    pub async fn bench_analyze(&self) -> Result<()> {
        if self.backend() == crate::Backend::Postgres {
            let mut tx = self.begin().await?;
            on_tx!(&mut tx, c => sqlx::query("ANALYZE").execute(&mut *c).await.map(|r| r.rows_affected()))?;
            tx.commit().await?;
        }
        Ok(())
    }

    /// Settles a generated organisation's cases as a year of work would
    /// have left them: all but the newest `open` cases closed, in a day
    /// (one in twenty in ten days, late), and one in a hundred of the older
    /// ones still open, forgotten; two in three open
    /// cases of a station owned by its desk and being investigated, the
    /// rest unassigned, and every case past its deadline marked overdue, as
    /// the sweep would have. Timers are left as generated: serving the kept
    /// database fires a year of them.
    /// Returns how many cases are open.
    pub async fn bench_settle_cases(&self, org_id: OrgId, open: i64, desks: &[StationDesk]) -> Result<i64> {
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        let open_now = on_tx!(&mut tx, c => {
            let max: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) FROM cases WHERE org_id = $1")
                .bind(org_id).fetch_one(&mut *c).await?;
            sqlx::query(
                "UPDATE cases SET state = 'closed',
                   handled_at = registered_at + CASE WHEN id % 20 = 0 THEN 864000000 ELSE 86400000 END,
                   closed_at = registered_at + CASE WHEN id % 20 = 0 THEN 950400000 ELSE 172800000 END,
                   updated_at = $3
                 WHERE org_id = $1 AND id <= $2 AND id % 100 <> 0")
                .bind(org_id).bind(max - open).bind(now).execute(&mut *c).await?;
            for d in desks {
                sqlx::query(
                    "UPDATE cases SET owner_id = $3, state = 'investigating', updated_at = $4
                     WHERE org_id = $1 AND unit_id = $2 AND state = 'registered' AND id % 3 <> 0")
                    .bind(org_id).bind(d.unit_id).bind(d.user_id).bind(now).execute(&mut *c).await?;
            }
            sqlx::query("UPDATE cases SET owner_id = NULL WHERE org_id = $1 AND state = 'registered'")
                .bind(org_id).execute(&mut *c).await?;
            sqlx::query(
                "UPDATE cases SET overdue = TRUE
                 WHERE org_id = $1 AND handle_due < $2 AND (state <> 'closed' OR handled_at > handle_due)")
                .bind(org_id).bind(now).execute(&mut *c).await?;
            if self.backend() == crate::Backend::Postgres {
                // As autovacuum would after a change this size: without
                // fresh statistics the planner takes a common search term
                // for a rare one.
                sqlx::query("ANALYZE").execute(&mut *c).await?;
            }
            sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM cases WHERE org_id = $1 AND state <> 'closed'")
                .bind(org_id).fetch_one(&mut *c).await
        })?;
        tx.commit().await?;
        Ok(open_now)
    }
}
