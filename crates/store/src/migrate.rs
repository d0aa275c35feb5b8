//! Embedded, append-only migrations. Each has a SQLite and a PostgreSQL form
//! because DDL is where the dialects differ; once applied, a migration is
//! never edited: a change is a new migration.

use crate::{Db, Result, Store, StoreError};

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "cases",
        sqlite: include_str!("../migrations/sqlite/0002_cases.sql"),
        postgres: include_str!("../migrations/postgres/0002_cases.sql"),
    },
    Migration {
        version: 3,
        name: "outbox_claims",
        sqlite: include_str!("../migrations/sqlite/0003_outbox_claims.sql"),
        postgres: include_str!("../migrations/postgres/0003_outbox_claims.sql"),
    },
    Migration {
        version: 4,
        name: "user_email",
        sqlite: include_str!("../migrations/sqlite/0004_user_email.sql"),
        postgres: include_str!("../migrations/postgres/0004_user_email.sql"),
    },
    Migration {
        version: 5,
        name: "ledger_inspections",
        sqlite: include_str!("../migrations/sqlite/0005_ledger_inspections.sql"),
        postgres: include_str!("../migrations/postgres/0005_ledger_inspections.sql"),
    },
    Migration {
        version: 6,
        name: "satisfaction",
        sqlite: include_str!("../migrations/sqlite/0006_satisfaction.sql"),
        postgres: include_str!("../migrations/postgres/0006_satisfaction.sql"),
    },
    Migration {
        version: 7,
        name: "volumes",
        sqlite: include_str!("../migrations/sqlite/0007_volumes.sql"),
        postgres: include_str!("../migrations/postgres/0007_volumes.sql"),
    },
    Migration {
        version: 8,
        name: "assessment_months",
        sqlite: include_str!("../migrations/sqlite/0008_assessment_months.sql"),
        postgres: include_str!("../migrations/postgres/0008_assessment_months.sql"),
    },
    Migration {
        version: 9,
        name: "indicator_indexes",
        sqlite: include_str!("../migrations/sqlite/0009_indicator_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0009_indicator_indexes.sql"),
    },
    Migration {
        version: 10,
        name: "open_overdue_cases",
        sqlite: include_str!("../migrations/sqlite/0010_open_overdue_cases.sql"),
        postgres: include_str!("../migrations/postgres/0010_open_overdue_cases.sql"),
    },
    Migration {
        version: 11,
        name: "indicator_covering_indexes",
        sqlite: include_str!("../migrations/sqlite/0011_indicator_covering_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0011_indicator_covering_indexes.sql"),
    },
    Migration {
        version: 12,
        name: "case_search_fts",
        sqlite: include_str!("../migrations/sqlite/0012_case_search_fts.sql"),
        postgres: include_str!("../migrations/postgres/0012_case_search_fts.sql"),
    },
    Migration {
        version: 13,
        name: "tracking_digest",
        sqlite: include_str!("../migrations/sqlite/0013_tracking_digest.sql"),
        postgres: include_str!("../migrations/postgres/0013_tracking_digest.sql"),
    },
    Migration {
        version: 14,
        name: "rating_batch_events",
        sqlite: include_str!("../migrations/sqlite/0014_rating_batch_events.sql"),
        postgres: include_str!("../migrations/postgres/0014_rating_batch_events.sql"),
    },
    Migration {
        version: 15,
        name: "staff_certificates",
        sqlite: include_str!("../migrations/sqlite/0015_staff_certificates.sql"),
        postgres: include_str!("../migrations/postgres/0015_staff_certificates.sql"),
    },
    Migration {
        version: 16,
        name: "fine_waivers",
        sqlite: include_str!("../migrations/sqlite/0016_fine_waivers.sql"),
        postgres: include_str!("../migrations/postgres/0016_fine_waivers.sql"),
    },
    Migration {
        version: 17,
        name: "idempotency",
        sqlite: include_str!("../migrations/sqlite/0017_idempotency.sql"),
        postgres: include_str!("../migrations/postgres/0017_idempotency.sql"),
    },
    Migration {
        version: 18,
        name: "password_resets",
        sqlite: include_str!("../migrations/sqlite/0018_password_resets.sql"),
        postgres: include_str!("../migrations/postgres/0018_password_resets.sql"),
    },
    Migration {
        version: 19,
        name: "records_fixed",
        sqlite: include_str!("../migrations/sqlite/0019_records_fixed.sql"),
        postgres: include_str!("../migrations/postgres/0019_records_fixed.sql"),
    },
    Migration {
        version: 20,
        name: "record_seals",
        sqlite: include_str!("../migrations/sqlite/0020_record_seals.sql"),
        postgres: include_str!("../migrations/postgres/0020_record_seals.sql"),
    },
    Migration {
        version: 21,
        name: "committed_batches",
        sqlite: include_str!("../migrations/sqlite/0021_committed_batches.sql"),
        postgres: include_str!("../migrations/postgres/0021_committed_batches.sql"),
    },
    Migration {
        version: 22,
        name: "derived_keys",
        sqlite: include_str!("../migrations/sqlite/0022_derived_keys.sql"),
        postgres: include_str!("../migrations/postgres/0022_derived_keys.sql"),
    },
    Migration {
        version: 23,
        name: "spoken_codes",
        sqlite: include_str!("../migrations/sqlite/0023_spoken_codes.sql"),
        postgres: include_str!("../migrations/postgres/0023_spoken_codes.sql"),
    },
    Migration {
        version: 24,
        name: "case_photos",
        sqlite: include_str!("../migrations/sqlite/0024_case_photos.sql"),
        postgres: include_str!("../migrations/postgres/0024_case_photos.sql"),
    },
    Migration {
        version: 25,
        name: "case_origins",
        sqlite: include_str!("../migrations/sqlite/0025_case_origins.sql"),
        postgres: include_str!("../migrations/postgres/0025_case_origins.sql"),
    },
    Migration {
        version: 26,
        name: "notices",
        sqlite: include_str!("../migrations/sqlite/0026_notices.sql"),
        postgres: include_str!("../migrations/postgres/0026_notices.sql"),
    },
    Migration {
        version: 27,
        name: "directory",
        sqlite: include_str!("../migrations/sqlite/0027_directory.sql"),
        postgres: include_str!("../migrations/postgres/0027_directory.sql"),
    },
    Migration {
        version: 28,
        name: "guides",
        sqlite: include_str!("../migrations/sqlite/0028_guides.sql"),
        postgres: include_str!("../migrations/postgres/0028_guides.sql"),
    },
    Migration {
        version: 29,
        name: "notice_expiry",
        sqlite: include_str!("../migrations/sqlite/0029_notice_expiry.sql"),
        postgres: include_str!("../migrations/postgres/0029_notice_expiry.sql"),
    },
    Migration {
        version: 30,
        name: "duty_facilities",
        sqlite: include_str!("../migrations/sqlite/0030_duty_facilities.sql"),
        postgres: include_str!("../migrations/postgres/0030_duty_facilities.sql"),
    },
    Migration {
        version: 31,
        name: "campaigns",
        sqlite: include_str!("../migrations/sqlite/0031_campaigns.sql"),
        postgres: include_str!("../migrations/postgres/0031_campaigns.sql"),
    },
    Migration {
        version: 32,
        name: "training",
        sqlite: include_str!("../migrations/sqlite/0032_training.sql"),
        postgres: include_str!("../migrations/postgres/0032_training.sql"),
    },
    Migration {
        version: 33,
        name: "recognition",
        sqlite: include_str!("../migrations/sqlite/0033_recognition.sql"),
        postgres: include_str!("../migrations/postgres/0033_recognition.sql"),
    },
    Migration {
        version: 34,
        name: "task_owner",
        sqlite: include_str!("../migrations/sqlite/0034_task_owner.sql"),
        postgres: include_str!("../migrations/postgres/0034_task_owner.sql"),
    },
    Migration {
        version: 35,
        name: "seal_recognition",
        sqlite: include_str!("../migrations/sqlite/0035_seal_recognition.sql"),
        postgres: include_str!("../migrations/postgres/0035_seal_recognition.sql"),
    },
    Migration {
        version: 36,
        name: "migration_checksums",
        sqlite: include_str!("../migrations/sqlite/0036_migration_checksums.sql"),
        postgres: include_str!("../migrations/postgres/0036_migration_checksums.sql"),
    },
    Migration {
        version: 37,
        name: "outbox_retry",
        sqlite: include_str!("../migrations/sqlite/0037_outbox_retry.sql"),
        postgres: include_str!("../migrations/postgres/0037_outbox_retry.sql"),
    },
    Migration {
        version: 38,
        name: "rate_counts",
        sqlite: include_str!("../migrations/sqlite/0038_rate_counts.sql"),
        postgres: include_str!("../migrations/postgres/0038_rate_counts.sql"),
    },
    Migration {
        version: 39,
        name: "inbox_indexes",
        sqlite: include_str!("../migrations/sqlite/0039_inbox_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0039_inbox_indexes.sql"),
    },
    Migration {
        version: 40,
        name: "intake_children_unchecked",
        sqlite: include_str!("../migrations/sqlite/0040_intake_children_unchecked.sql"),
        postgres: include_str!("../migrations/postgres/0040_intake_children_unchecked.sql"),
    },
    Migration {
        version: 41,
        name: "indicators_by_unit",
        sqlite: include_str!("../migrations/sqlite/0041_indicators_by_unit.sql"),
        postgres: include_str!("../migrations/postgres/0041_indicators_by_unit.sql"),
    },
    Migration {
        version: 42,
        name: "cases_room_to_update",
        sqlite: include_str!("../migrations/sqlite/0042_cases_room_to_update.sql"),
        postgres: include_str!("../migrations/postgres/0042_cases_room_to_update.sql"),
    },
];

/// The first migration recorded with its checksum (it adds the column).
const CHECKSUMS_FROM: i64 = 36;

/// The SHA-256 of a migration's text, as `schema_migrations` keeps it.
fn checksum(sql: &str) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(sql.as_bytes()))
}

const CREATE_TABLE: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)";

impl Store {
    /// Applies every migration not yet applied, each in its own transaction.
    /// Safe to run from several instances at once on PostgreSQL (an advisory
    /// lock serialises them). Returns the versions applied now.
    pub async fn migrate(&self) -> Result<Vec<i64>> {
        self.migrate_until(i64::MAX).await
    }

    /// Applies the migrations not yet applied up to version `last`: what
    /// `migrate` does, stopped early — for tests of upgrading a database
    /// that holds data written by an older version.
    pub async fn migrate_until(&self, last: i64) -> Result<Vec<i64>> {
        self.check_applied_migrations().await?;
        // Up to date: nothing to do, and no DDL — so that a role that owns
        // nothing (see [`postgres_app_grants`]) can open the database.
        let target = MIGRATIONS.iter().take_while(|m| m.version <= last).count() as i64;
        let applied: std::result::Result<i64, _> = crate::on_read!(self, c => sqlx::query_scalar(
            "SELECT COUNT(*) FROM schema_migrations").fetch_one(c).await);
        if applied.is_ok_and(|n| n >= target) {
            return Ok(vec![]);
        }
        let mut applied_now = Vec::new();
        for m in MIGRATIONS.iter().take_while(|m| m.version <= last) {
            let mut tx = self.begin().await?;
            if let crate::Tx::Pg(t) = &mut tx {
                sqlx::query("SELECT pg_advisory_xact_lock(7243001)").execute(&mut **t).await?;
            }
            let done: Option<i64> = crate::on_tx!(&mut tx, c => {
                sqlx::raw_sql(CREATE_TABLE).execute(&mut *c).await?;
                sqlx::query_scalar("SELECT version FROM schema_migrations WHERE version = $1")
                    .bind(m.version)
                    .fetch_optional(&mut *c)
                    .await?
            });
            if done.is_some() {
                continue;
            }
            let sql = match self.db {
                Db::Sqlite { .. } => m.sqlite,
                Db::Pg(_) => m.postgres,
            };
            let now = self.now_ms();
            crate::on_tx!(&mut tx, c => {
                sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *c).await.map_err(|e| {
                    StoreError::Other(format!("migration {} ({}) failed: {e}", m.version, m.name))
                })?;
                if m.version >= CHECKSUMS_FROM {
                    sqlx::query("INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES ($1, $2, $3, $4)")
                        .bind(m.version).bind(m.name).bind(now).bind(checksum(sql))
                        .execute(&mut *c)
                        .await?;
                } else {
                    sqlx::query("INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)")
                        .bind(m.version)
                        .bind(m.name)
                        .bind(now)
                        .execute(&mut *c)
                        .await?;
                }
                if m.version == CHECKSUMS_FROM {
                    // Those applied before: their text as it stands now.
                    for earlier in MIGRATIONS.iter().take_while(|e| e.version < CHECKSUMS_FROM) {
                        let text = match self.db {
                            Db::Sqlite { .. } => earlier.sqlite,
                            Db::Pg(_) => earlier.postgres,
                        };
                        sqlx::query("UPDATE schema_migrations SET checksum = $1 WHERE version = $2 AND checksum IS NULL")
                            .bind(checksum(text)).bind(earlier.version)
                            .execute(&mut *c)
                            .await?;
                    }
                }
            });
            // A step in code, in the migration's own transaction.
            if m.version == 22 {
                self.rekey_personal_data(&mut tx).await?;
            }
            tx.commit().await?;
            applied_now.push(m.version);
        }
        Ok(applied_now)
    }
}

impl Store {
    /// Refuses a database whose applied migrations were since edited: each
    /// applied migration's recorded checksum must be that of its text in
    /// this binary. Only reads, so that a role owning nothing may run it.
    /// A database without the checksums yet (or without any table) passes.
    async fn check_applied_migrations(&self) -> Result<()> {
        let rows: std::result::Result<Vec<(i64, Option<String>)>, _> = crate::on_read!(self, c => sqlx::query_as(
            "SELECT version, checksum FROM schema_migrations WHERE checksum IS NOT NULL ORDER BY version")
            .fetch_all(c).await);
        let Ok(rows) = rows else { return Ok(()) };
        for (version, recorded) in rows {
            let Some(m) = MIGRATIONS.iter().find(|m| m.version == version) else { continue };
            let text = match self.db {
                Db::Sqlite { .. } => m.sqlite,
                Db::Pg(_) => m.postgres,
            };
            if recorded.as_deref() != Some(checksum(text).as_str()) {
                return Err(StoreError::Other(format!(
                    "migration {version:04} ({}) was changed after it was applied to this database: restore its text, \
                     or add a new migration for the change",
                    m.name
                )));
            }
        }
        Ok(())
    }
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
