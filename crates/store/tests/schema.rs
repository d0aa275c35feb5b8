//! Schema parity (issue 22 point 3): the two folders of migrations are
//! written twice, with their types swapped, and nothing else checks that
//! they agree. This migrates a fresh SQLite file and a fresh PostgreSQL
//! database and compares their tables, columns (in order), indexes and
//! triggers by name. The differences the two databases need are named in
//! `BACKEND_ONLY`, each with its reason; anything else is a mistake.
// Tests: a panic is the failure report, and a test may wait on real time.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::collections::BTreeSet;

use chuangkou_store::{Backend, Store, on_read};

/// What one backend has and the other has not, and why: a line prefix, or
/// `trigger *suffix` for a family of triggers. Each must still occur, so
/// that the list does not outlive what it excuses.
const BACKEND_ONLY: &[(&str, &str)] = &[
    // Case search: FTS5 with its shadow tables on SQLite, a bigram table
    // on PostgreSQL (DESIGN, search).
    ("table case_search", "SQLite's FTS5 index and its shadow tables"),
    ("column case_search", "SQLite's FTS5 index and its shadow tables"),
    ("table case_terms", "PostgreSQL's bigram index"),
    ("column case_terms.", "PostgreSQL's bigram index"),
    // A SQLite trigger fires on one kind of statement; PostgreSQL's guard
    // one trigger for UPDATE OR DELETE, and TRUNCATE, which SQLite lacks.
    ("trigger *_not_truncated", "TRUNCATE guards, PostgreSQL only"),
    ("trigger events.events_no_truncate", "TRUNCATE guard, PostgreSQL only"),
    ("trigger events.events_no_delete", "SQLite's half of events_no_change"),
    ("trigger events.events_no_update", "SQLite's half of events_no_change"),
    ("trigger events.events_no_change", "PostgreSQL's UPDATE OR DELETE guard"),
    ("trigger ratings.ratings_no_delete", "SQLite's half of ratings_guarded"),
    ("trigger ratings.ratings_fixed", "SQLite's half of ratings_guarded"),
    ("trigger ratings.ratings_guarded", "PostgreSQL's UPDATE OR DELETE guard"),
    ("trigger assessment_months.assessment_months_kept", "SQLite's DELETE half of assessment_months_frozen"),
];

/// The schema as a set of lines: `table t`, `column t.c#n`, `index t.i`,
/// `trigger t.g`.
async fn shape(store: &Store) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let pg = store.backend() == Backend::Postgres;
    let tables: Vec<String> = if pg {
        on_read!(store, c => sqlx::query_scalar(
            "SELECT table_name::text FROM information_schema.tables
              WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'").fetch_all(c).await)
    } else {
        on_read!(store, c => sqlx::query_scalar(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").fetch_all(c).await)
    }
    .unwrap();
    for t in &tables {
        out.insert(format!("table {t}"));
        let columns: Vec<String> = if pg {
            on_read!(store, c => sqlx::query_scalar(
                "SELECT column_name::text FROM information_schema.columns
                  WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position")
                .bind(t).fetch_all(c).await)
        } else {
            on_read!(store, c => sqlx::query_scalar("SELECT name FROM pragma_table_info($1) ORDER BY cid")
                .bind(t).fetch_all(c).await)
        }
        .unwrap();
        for (i, col) in columns.iter().enumerate() {
            out.insert(format!("column {t}.{col}#{i}"));
        }
    }
    let indexes: Vec<(String, String)> = if pg {
        // Indexes that back a primary key or a unique constraint are the
        // constraint's, named by PostgreSQL: not compared.
        on_read!(store, c => sqlx::query_as(
            "SELECT tablename::text, indexname::text FROM pg_indexes i
              WHERE schemaname = current_schema()
                AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conname = i.indexname)").fetch_all(c).await)
    } else {
        on_read!(store, c => sqlx::query_as(
            "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL").fetch_all(c).await)
    }
    .unwrap();
    for (t, i) in indexes {
        out.insert(format!("index {t}.{i}"));
    }
    let triggers: Vec<(String, String)> = if pg {
        on_read!(store, c => sqlx::query_as(
            "SELECT DISTINCT c.relname::text, g.tgname::text FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
              JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE NOT g.tgisinternal AND n.nspname = current_schema()").fetch_all(c).await)
    } else {
        on_read!(store, c => sqlx::query_as(
            "SELECT tbl_name, name FROM sqlite_master WHERE type = 'trigger'").fetch_all(c).await)
    }
    .unwrap();
    for (t, g) in triggers {
        out.insert(format!("trigger {t}.{g}"));
    }
    out
}

/// Whether `line` is excused by `pattern`.
fn excuses(pattern: &str, line: &str) -> bool {
    match pattern.strip_prefix("trigger *") {
        Some(suffix) => line.starts_with("trigger ") && line.ends_with(suffix),
        None => line.starts_with(pattern),
    }
}

/// Whether a line is one of the named backend-only differences.
fn expected(line: &str) -> bool {
    BACKEND_ONLY.iter().any(|(pattern, _)| excuses(pattern, line))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_and_postgresql_have_the_same_schema() {
    let Some(pg) = chuangkou_store::testing::postgres().await else { return };
    let lite = chuangkou_store::testing::sqlite().await;
    let (a, b) = (shape(&lite).await, shape(&pg).await);
    assert!(a.len() > 100 && a.iter().any(|l| l == "table certificates"), "{} lines", a.len());
    let differ: Vec<&String> = a.symmetric_difference(&b).collect();
    for (pattern, why) in BACKEND_ONLY {
        assert!(differ.iter().any(|l| excuses(pattern, l)), "{pattern} ({why}) no longer differs: drop it");
    }
    let only_sqlite: Vec<&String> = a.difference(&b).filter(|l| !expected(l)).collect();
    let only_pg: Vec<&String> = b.difference(&a).filter(|l| !expected(l)).collect();
    assert!(
        only_sqlite.is_empty() && only_pg.is_empty(),
        "the migrations disagree:\nonly on SQLite: {only_sqlite:#?}\nonly on PostgreSQL: {only_pg:#?}"
    );
}

// A migration edited after it ran (issue 22 point 2): sqlx records each
// applied migration with the SHA-384 of its text, and a database whose
// record no longer matches the binary's text is refused by name. The
// binary's own migrations with migration 5's text edited stand for a
// binary built from an edited file.
chuangkou_store::story!(a_migration_edited_after_it_ran_is_refused_by_name, |store| {
    use chuangkou_store::testing::{migrations_edited, migrations_until};
    assert_eq!(store.migrate().await.unwrap(), Vec::<i64>::new(), "up to date, and the checksums agree");
    let recorded: i64 = on_read!(store, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM _sqlx_migrations WHERE success AND length(checksum) = 48").fetch_one(c).await)
    .unwrap();
    assert_eq!(recorded, chuangkou_store::latest_migration(), "every migration with its SHA-384");
    let e = store.migrate_with(&migrations_edited(&store, 5), i64::MAX).await.unwrap_err().to_string();
    assert!(
        e.contains("migration 0005 (ledger inspections)") && e.contains("changed after it was applied"),
        "{e}"
    );
    // The previous binary on a database this one migrated (a rollback):
    // run as it is, its own migrations' checksums compared.
    let previous = migrations_until(&store, 41);
    assert_eq!(store.migrate_with(&previous, i64::MAX).await.unwrap(), Vec::<i64>::new());
    assert_eq!(store.migrate().await.unwrap(), Vec::<i64>::new(), "and still up to date");
});

/// A row's digest reads each sealed column as text, bytes or a flag (0 or
/// 1), the same on both backends, so that a row copied from SQLite into
/// PostgreSQL (`copy-to`) still matches its seal: PostgreSQL writes a
/// boolean as `true`, SQLite as `1`. The lists in `seals::SEALED_TABLES`
/// must name every column of the table, its bytes and its booleans.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_sealed_column_is_read_the_same_on_both_backends() {
    let Some(pg) = chuangkou_store::testing::postgres().await else { return };
    for t in chuangkou_store::seals::SEALED_TABLES {
        let types: Vec<(String, String)> = on_read!(pg, c => sqlx::query_as(
            "SELECT column_name::text, data_type::text FROM information_schema.columns
              WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position")
            .bind(t.name).fetch_all(c).await)
        .unwrap();
        let of = |ty: &str| -> BTreeSet<&str> {
            types.iter().filter(|(_, t)| t == ty).map(|(c, _)| c.as_str()).collect()
        };
        let all: BTreeSet<&str> = types.iter().map(|(c, _)| c.as_str()).collect();
        assert_eq!(t.columns.iter().copied().collect::<BTreeSet<_>>(), all, "{}: the columns", t.name);
        assert_eq!(t.blobs.iter().copied().collect::<BTreeSet<_>>(), of("bytea"), "{}: the bytes", t.name);
        assert_eq!(t.flags.iter().copied().collect::<BTreeSet<_>>(), of("boolean"), "{}: the flags", t.name);
    }
}

/// PostgreSQL's case pages keep a fifth free (migration 42), so that an
/// update that changes no indexed column (an escalation, a reply) stays on
/// its page without an entry in each of the table's twenty indexes: the
/// sweep at 100,000 timers went from 13-14 s to 11.6 s with it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn case_pages_keep_room_for_updates_on_postgresql() {
    let Some(pg) = chuangkou_store::testing::postgres().await else { return };
    let options: Option<String> = on_read!(pg, c => sqlx::query_scalar(
        "SELECT array_to_string(reloptions, ',') FROM pg_class WHERE relname = 'cases'
            AND relnamespace = current_schema()::regnamespace").fetch_one(c).await)
    .unwrap();
    assert_eq!(options.as_deref(), Some("fillfactor=80"));
}
