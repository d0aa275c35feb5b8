//! Embedded, append-only migrations, run by sqlx's migrator. Each has a
//! SQLite and a PostgreSQL form (one folder per backend, `migrations/sqlite`
//! and `migrations/postgres`, file for file) because DDL is where the
//! dialects differ. sqlx records each applied migration with the SHA-384
//! of its text in `_sqlx_migrations` and refuses a database whose applied
//! migration has since been edited: once applied, a migration is never
//! edited, a change is a new migration.
//!
//! Two things are ours, not sqlx's: migration 22 has a step in code (it
//! re-encrypts reporters' data with derived keys, in the migration's own
//! transaction), and a database migrated before sqlx ran them keeps its
//! book in `schema_migrations`, which is checked and carried over once.

use std::collections::BTreeSet;
use std::sync::LazyLock;

use sqlx::migrate::{Migrate, MigrateError, Migrator};

use crate::{Db, Result, Store, StoreError, Tx};

static SQLITE: LazyLock<Migrator> = LazyLock::new(|| accepting_newer(sqlx::migrate!("migrations/sqlite")));
static POSTGRES: LazyLock<Migrator> =
    LazyLock::new(|| accepting_newer(sqlx::migrate!("migrations/postgres")));

/// A database that a newer binary migrated is run as it is: migrations
/// only add, so going back to the previous binary after an upgrade works,
/// as it did before sqlx ran them. The checksums of the migrations both
/// carry are still compared.
fn accepting_newer(mut m: Migrator) -> Migrator {
    m.set_ignore_missing(true);
    m
}

/// sqlx's book of applied migrations.
const BOOK: &str = "_sqlx_migrations";

/// The migration with a step in code ([`Store::rekey_personal_data`]).
const REKEY_AT: i64 = 22;

/// Migration 36 added checksums to the old runner's book. Migrations are
/// never edited, so a database new to sqlx gets the old book, empty,
/// for it to alter.
const OLD_BOOK_ALTERED_AT: i64 = 36;
const OLD_BOOK: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

/// The number of the latest migration this binary carries.
pub fn latest_migration() -> i64 {
    POSTGRES.iter().map(|m| m.version).max().unwrap_or(0)
}

/// A migration's number and name, as the errors name it: "0005 (ledger inspections)".
fn named(migrator: &Migrator, version: i64) -> String {
    let name = migrator.iter().find(|m| m.version == version).map_or("unknown", |m| &m.description);
    format!("{version:04} ({name})")
}

fn changed(migrator: &Migrator, version: i64) -> StoreError {
    StoreError::Other(format!(
        "migration {} was changed after it was applied to this database: restore its text, \
         or add a new migration for the change",
        named(migrator, version)
    ))
}

/// sqlx's refusals in the product's words; the rest as they come.
fn refused(migrator: &Migrator, e: MigrateError) -> StoreError {
    match e {
        MigrateError::VersionMismatch(v) => changed(migrator, v),
        MigrateError::Execute(e) | MigrateError::ExecuteMigration(e, _) => {
            StoreError::Other(format!("a migration failed: {e}"))
        }
        other => StoreError::Other(format!("migrations: {other}")),
    }
}

impl Store {
    /// The migrations for this store's backend.
    pub fn migrator(&self) -> &'static Migrator {
        match self.db {
            Db::Sqlite { .. } => &SQLITE,
            Db::Pg(_) => &POSTGRES,
        }
    }

    /// Applies every migration not yet applied, each in its own transaction.
    /// Safe to run from several instances at once on PostgreSQL (sqlx takes
    /// an advisory lock). Returns the versions applied now — by this call,
    /// or by another instance migrating at the same moment.
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        self.migrate_with(self.migrator(), i64::MAX).await
    }

    /// Applies the migrations not yet applied up to version `last`: what
    /// `migrate` does, stopped early — for tests of upgrading a database
    /// that holds data written by an older version.
    pub async fn migrate_until(&self, last: i64) -> Result<Vec<i64>> {
        self.migrate_with(self.migrator(), last).await
    }

    /// `migrate_until` with the given migrations: a test passes the
    /// binary's own with one text edited, as an edited file would be.
    #[doc(hidden)]
    pub async fn migrate_with(&self, migrator: &Migrator, last: i64) -> Result<Vec<i64>> {
        self.adopt_old_book(migrator).await?;
        let before = self.applied().await;
        // Up to date: nothing to do, and no DDL — so that a role that owns
        // nothing (see [`postgres_app_grants`]) can open the database.
        if let Some(applied) = &before {
            for (version, sum) in applied {
                match migrator.iter().find(|m| m.version == *version) {
                    Some(m) if *m.checksum != **sum => return Err(changed(migrator, *version)),
                    // Applied by a newer binary: see [`accepting_newer`].
                    Some(_) | None => {}
                }
            }
            let done: BTreeSet<i64> = applied.iter().map(|(v, _)| *v).collect();
            if migrator.iter().filter(|m| m.version <= last).all(|m| done.contains(&m.version)) {
                return Ok(vec![]);
            }
        }
        let before: BTreeSet<i64> = before.unwrap_or_default().into_iter().map(|(v, _)| v).collect();
        if last >= OLD_BOOK_ALTERED_AT && !before.contains(&OLD_BOOK_ALTERED_AT) {
            let mut tx = self.begin().await?;
            // Two instances creating it at once on PostgreSQL would race
            // in the catalogue, IF NOT EXISTS notwithstanding.
            if let Tx::Pg(t) = &mut tx {
                sqlx::query("SELECT pg_advisory_xact_lock(7243001)").execute(&mut **t).await?;
            }
            crate::on_tx!(&mut tx, c => sqlx::raw_sql(OLD_BOOK).execute(&mut *c).await.map(|_| ()))?;
            tx.commit().await?;
        }
        if last >= REKEY_AT && !before.contains(&REKEY_AT) {
            self.run_migrator(migrator, REKEY_AT - 1, false).await?;
            self.apply_with_rekey(migrator).await?;
        }
        self.run_migrator(migrator, last, false).await?;
        let after = self.applied().await.unwrap_or_default();
        Ok(after.into_iter().map(|(v, _)| v).filter(|v| *v <= last && !before.contains(v)).collect())
    }

    /// The applied migrations with their checksums; `None` before the
    /// first migration (or where the book cannot be read).
    async fn applied(&self) -> Option<Vec<(i64, Vec<u8>)>> {
        crate::on_read!(self, c => sqlx::query_as(
            "SELECT version, checksum FROM _sqlx_migrations WHERE success ORDER BY version").fetch_all(c).await)
        .ok()
    }

    /// Runs sqlx's migrator up to `target` on the writer (SQLite) or the
    /// pool (PostgreSQL); `skip` records them as applied without running them.
    async fn run_migrator(&self, migrator: &Migrator, target: i64, skip: bool) -> Result<()> {
        let ran = match &self.db {
            Db::Sqlite { writer, .. } => {
                let mut guard = writer.lock().await;
                let conn = guard.as_mut().ok_or_else(|| StoreError::Other("the store is closed".into()))?;
                migrator.run_direct(Some(target), conn, skip).await
            }
            Db::Pg(pool) => {
                let mut conn = pool.acquire().await?;
                migrator.run_direct(Some(target), &mut *conn, skip).await
            }
        };
        ran.map_err(|e| refused(migrator, e))
    }

    /// Migration 22 and its step in code, in one transaction: the DDL, the
    /// re-encryption, and sqlx's record of it. On PostgreSQL an advisory
    /// lock lets one instance do it while another waits, then finds it done.
    async fn apply_with_rekey(&self, migrator: &Migrator) -> Result<()> {
        let Some(m) = migrator.iter().find(|m| m.version == REKEY_AT) else { return Ok(()) };
        let mut tx = self.begin().await?;
        if let Tx::Pg(t) = &mut tx {
            sqlx::query("SELECT pg_advisory_xact_lock(7243001)").execute(&mut **t).await?;
        }
        let done: Option<i64> = crate::on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT version FROM _sqlx_migrations WHERE version = $1").bind(REKEY_AT).fetch_optional(c).await)?;
        if done.is_some() {
            return Ok(());
        }
        crate::on_tx!(&mut tx, c => sqlx::raw_sql(m.sql.clone()).execute(&mut *c).await.map(|_| ()))
            .map_err(|e| StoreError::Other(format!("migration {} failed: {e}", named(migrator, REKEY_AT))))?;
        self.rekey_personal_data(&mut tx).await?;
        crate::on_tx!(&mut tx, c => c.skip(BOOK, m).await).map_err(|e| refused(migrator, e))?;
        tx.commit().await
    }

    /// A database migrated before sqlx ran the migrations keeps its book in
    /// `schema_migrations`: versions, names, and (from migration 36) the
    /// SHA-256 of each text. Once, it is checked against this binary's
    /// texts and carried into sqlx's book as applied; the old book stays,
    /// as a record.
    async fn adopt_old_book(&self, migrator: &Migrator) -> Result<()> {
        let old: std::result::Result<Vec<(i64, Option<String>)>, _> = crate::on_read!(self, c => sqlx::query_as(
            "SELECT version, checksum FROM schema_migrations ORDER BY version").fetch_all(c).await);
        let Ok(old) = old else { return Ok(()) };
        if self.applied().await.is_some() {
            return Ok(());
        }
        for (version, recorded) in &old {
            let Some(m) = migrator.iter().find(|m| m.version == *version) else { continue };
            if recorded.as_ref().is_some_and(|r| *r != sha256_hex(m.sql.as_str())) {
                return Err(changed(migrator, *version));
            }
        }
        let last = old.last().map_or(0, |(v, _)| *v);
        if old.len() as i64 != last {
            return Err(StoreError::Other(format!(
                "schema_migrations records {} migrations up to {last}: one is missing, so this database cannot be upgraded",
                old.len()
            )));
        }
        self.run_migrator(migrator, last, true).await
    }
}

/// The old book's checksum: the SHA-256 of a migration's text, in hex.
fn sha256_hex(sql: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(sql.as_bytes()))
}

/// Tables the product only ever inserts into (organisations included: one is
/// never changed once created); the application's role gets no UPDATE on them.
const APPEND_ONLY: &[&str] = &[
    "events",
    "reporters",
    "inspections",
    "inspection_items",
    "inspection_photos",
    "case_photos",
    "case_origins",
    "one_time_notices",
    "survey_responses",
    "organisations",
    // The books of migrations: `serve` only reads them.
    "_sqlx_migrations",
    "schema_migrations",
];

/// Tables the product deletes rows from: queues and caches, never records.
const DELETED_FROM: &[&str] = &["unsealed", "committed_batches", "idempotency_keys"];

/// The grants for a PostgreSQL role that runs `serve` but owns nothing
/// (docs/OPERATIONS.md): it reads and inserts everywhere, updates only
/// where the product moves a record through its states, deletes only from
/// the queues, truncates nothing, and — not being the owner — cannot drop
/// or disable a trigger. Migrations run as the owner.
pub fn postgres_app_grants(role: &str) -> String {
    let role = format!("\"{}\"", role.replace('"', ""));
    let mut sql = vec![
        format!("GRANT USAGE ON SCHEMA public TO {role};"),
        format!("GRANT SELECT, INSERT ON ALL TABLES IN SCHEMA public TO {role};"),
        format!("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO {role};"),
        format!(
            "DO $$ DECLARE t text; BEGIN FOR t IN SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename NOT IN ({}) LOOP EXECUTE format('GRANT UPDATE ON %I TO {role}', t); END LOOP; END $$;",
            APPEND_ONLY.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(", ")
        ),
    ];
    for t in DELETED_FROM {
        sql.push(format!("GRANT DELETE ON {t} TO {role};"));
    }
    sql.join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_backends_carry_the_same_migrations_numbered_without_gaps() {
        let names =
            |m: &Migrator| m.iter().map(|m| (m.version, m.description.to_string())).collect::<Vec<_>>();
        assert_eq!(names(&SQLITE), names(&POSTGRES));
        let versions: Vec<i64> = POSTGRES.iter().map(|m| m.version).collect();
        assert_eq!(versions, (1..=latest_migration()).collect::<Vec<_>>());
        assert!(POSTGRES.iter().chain(SQLITE.iter()).all(|m| !m.no_tx), "each in its own transaction");
    }
}
