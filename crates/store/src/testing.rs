//! Fresh databases for tests: a new SQLite file or a new PostgreSQL database
//! per test, never shared. Used by this crate's tests and by the web crate's.
//!
//! PostgreSQL is found through `CHUANGKOU_TEST_PG` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`). When it cannot be reached
//! the PostgreSQL half of a story is skipped with a printed notice — unless
//! `CI=true`, where a missing server fails the test.
// Test support: a panic is the failure report.
#![allow(clippy::unwrap_used)]

use crate::Store;
use chuangkou_domain::{CaseId, OrgId};

pub const TEST_KEY: &[u8] = b"chuangkou-test-key";

/// A 1×1 PNG: a photo for tests of inspections and uploads.
pub const PNG: &[u8] = &[
    0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0x00, 0x00, 0x00, 0x0D, 0x49, 0x48, 0x44, 0x52, 0x00,
    0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x06, 0x00, 0x00, 0x00, 0x1F, 0x15, 0xC4, 0x89, 0x00,
    0x00, 0x00, 0x0D, 0x49, 0x44, 0x41, 0x54, 0x78, 0xDA, 0x63, 0xFC, 0xCF, 0xC0, 0x50, 0x0F, 0x00, 0x04,
    0x85, 0x01, 0x80, 0x84, 0xA9, 0x8C, 0x21, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4E, 0x44, 0xAE, 0x42,
    0x60, 0x82,
];

/// A store on a new SQLite file in the system's temporary directory, migrated.
pub async fn sqlite() -> Store {
    let dir = std::env::temp_dir().join("chuangkou-tests");
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join(format!("{}.db", unique_name()));
    let store = Store::connect(&format!("sqlite://{}", path.display()), TEST_KEY.to_vec())
        .await
        .expect("open sqlite");
    store.migrate().await.expect("migrate sqlite");
    store
}

use crate::scratch::unique_name;
pub use crate::scratch::{pg_admin_url, pg_database_url};

/// A store on a new PostgreSQL database, migrated; see [`pg_database_url`].
pub async fn postgres() -> Option<Store> {
    let url = pg_database_url().await?;
    let store = Store::connect(&url, TEST_KEY.to_vec()).await.expect("open postgres");
    store.migrate().await.expect("migrate postgres");
    Some(store)
}

/// Declares one test story that runs twice: `NAME::sqlite` and
/// `NAME::postgres`, each on its own fresh database.
#[macro_export]
macro_rules! story {
    ($(#[$m:meta])* $name:ident, |$store:ident| $body:block) => {
        $(#[$m])*
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $store = $crate::testing::sqlite().await;
                $body
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let Some($store) = $crate::testing::postgres().await else { return };
                $body
            }
        }
    };
}

/// Reaching behind the system's back, for tests that check what the system
/// itself would never do or show.
impl Store {
    /// Bumps one rollup row directly, as a bad migration or a hand edit
    /// might, so that `verify_rollups` has something to find.
    pub async fn break_rollup_for_test(&self, org_id: OrgId) {
        let mut tx = self.begin().await.expect("begin");
        crate::on_tx!(&mut tx, c => sqlx::query(
            "UPDATE rating_rollups SET n5 = n5 + 1 WHERE org_id = $1
             AND scope_id = (SELECT MIN(scope_id) FROM rating_rollups WHERE org_id = $1 AND scope = 'unit') AND scope = 'unit'
             AND day = (SELECT MIN(day) FROM rating_rollups WHERE org_id = $1 AND scope = 'unit')")
            .bind(org_id).execute(c).await.map(|r| r.rows_affected()))
        .expect("update rollup");
        tx.commit().await.expect("commit");
    }

    /// The messages of a case's notifications, as stored.
    pub async fn notifications_for_test(&self, case_id: CaseId) -> Vec<String> {
        crate::on_read!(self, c => sqlx::query_scalar("SELECT message FROM notifications WHERE case_id = $1 ORDER BY id")
            .bind(case_id).fetch_all(c).await)
        .expect("read notifications")
    }

    /// The e-mail addresses of Open311 senders, as stored.
    pub async fn raw_origin_emails_for_test(&self) -> Vec<Vec<u8>> {
        crate::on_read!(self, c => sqlx::query_scalar("SELECT email_enc FROM case_origins WHERE email_enc IS NOT NULL ORDER BY id")
            .fetch_all(c).await)
        .expect("read origins")
    }

    /// The spoken-code digests kept, as they sit in the database.
    pub async fn spoken_digests_for_test(&self) -> Vec<String> {
        crate::on_read!(self, c => sqlx::query_scalar("SELECT digest FROM spoken_codes").fetch_all(c).await)
            .expect("read spoken codes")
    }

    /// The raw rows of a questionnaire's responses: id, day, answers.
    pub async fn raw_responses_for_test(&self, questionnaire_id: i64) -> Vec<(String, i64, String)> {
        crate::on_read!(self, c => sqlx::query_as("SELECT id, day, answers FROM survey_responses WHERE questionnaire_id = $1")
            .bind(questionnaire_id).fetch_all(c).await)
        .expect("read responses")
    }
}

/// Noon of a day of 2026 in Beijing, in milliseconds: for tests that set the clock.
pub fn noon_2026(month: u32, day: u32) -> i64 {
    let cal = chuangkou_domain::policy::PolicySet::builtin().calendars["cn-2026"].clone();
    cal.start_of_day_ms(chrono::NaiveDate::from_ymd_opt(2026, month, day).expect("a date")) + 12 * 3_600_000
}

/// Caps a SQLite database at `pages` pages (`None`: as large as it is now),
/// so that a write fails as on a full disk (`SQLITE_FULL`); a large number
/// lifts the cap again. For tests of a full disk without filling one.
pub async fn sqlite_page_limit(store: &Store, pages: Option<i64>) {
    let crate::Db::Sqlite { writer, .. } = &store.db else { panic!("a SQLite store") };
    let mut guard = writer.lock().await;
    let conn = guard.as_mut().expect("the writer is open");
    let now: i64 = sqlx::query_scalar("PRAGMA page_count").fetch_one(&mut *conn).await.expect("page_count");
    let max = pages.unwrap_or(now);
    sqlx::query(sqlx::AssertSqlSafe(format!("PRAGMA max_page_count = {max}")))
        .execute(&mut *conn)
        .await
        .expect("max_page_count");
}

/// Seals what is queued and checks that every chain and every row of record
/// verifies: the product's own transitions must never look like tampering.
/// Called at the end of the stories that move records through their states.
pub async fn assert_records_whole(store: &Store) {
    let before = store.verify().await.expect("verify");
    assert!(before.ok(), "before sealing: {:?} {:?}", before.broken, before.rows);
    store.seal().await.expect("seal");
    let after = store.verify().await.expect("verify");
    assert!(after.ok(), "after sealing: {:?} {:?}", after.broken, after.rows);
    assert_eq!(store.seal().await.expect("seal again"), 0, "nothing is left to seal");
}

/// A PostgreSQL cluster of a test's own, in a temporary folder on a free
/// port, that the test may stop and start (`pg_ctl stop -m immediate`, as a
/// crash or an operator would) without touching the shared server. `None`
/// (with a notice) when PostgreSQL's programs are not installed — unless
/// `CI=true`, where that fails the test. As root, the programs run as the
/// `postgres` user (initdb refuses root).
pub struct PrivateCluster {
    pub dir: std::path::PathBuf,
    pub port: u16,
    bin: std::path::PathBuf,
}

impl PrivateCluster {
    pub fn start() -> Option<PrivateCluster> {
        let bin = std::fs::read_dir("/usr/lib/postgresql")
            .ok()
            .and_then(|d| {
                let mut v: Vec<_> = d.filter_map(|e| e.ok()).map(|e| e.path().join("bin")).collect();
                v.sort();
                v.pop()
            })
            .filter(|b| b.join("pg_ctl").exists());
        let Some(bin) = bin else {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true"),
                "CI=true but PostgreSQL's programs (initdb, pg_ctl) are not installed"
            );
            eprintln!("NOTICE: no /usr/lib/postgresql/*/bin/pg_ctl; skipping the private-cluster test");
            return None;
        };
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let dir = std::env::temp_dir().join(format!("ck-pg-{}", unique_name()));
        std::fs::create_dir_all(&dir).unwrap();
        let cluster = PrivateCluster { dir, port, bin };
        if cluster.as_root() {
            let ok = std::process::Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(&cluster.dir)
                .status()
                .unwrap();
            assert!(ok.success(), "chown the cluster's folder");
        }
        cluster.run(
            "initdb",
            &["-D", cluster.data(), "-U", "postgres", "-A", "trust", "-E", "UTF8", "--no-sync"],
        );
        cluster.start_again();
        Some(cluster)
    }

    fn as_root(&self) -> bool {
        std::env::var("USER").is_ok_and(|u| u == "root")
            || std::fs::read_to_string("/proc/self/status").is_ok_and(|s| {
                s.lines().any(|l| l.starts_with("Uid:") && l.split_whitespace().nth(1) == Some("0"))
            })
    }

    fn data(&self) -> &str {
        self.dir.to_str().expect("a UTF-8 path")
    }

    fn run(&self, program: &str, args: &[&str]) {
        let path = self.bin.join(program);
        let mut cmd = if self.as_root() {
            let mut c = std::process::Command::new("runuser");
            c.args(["-u", "postgres", "--"]).arg(&path);
            c
        } else {
            std::process::Command::new(&path)
        };
        let out = cmd.args(args).output().unwrap_or_else(|e| panic!("{program}: {e}"));
        assert!(
            out.status.success(),
            "{program} {args:?}: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// `postgres://…` of the cluster's `postgres` database.
    pub fn url(&self) -> String {
        format!("postgres://postgres@127.0.0.1:{}/postgres", self.port)
    }

    /// Starts the server and waits until it accepts connections.
    pub fn start_again(&self) {
        let opts = format!(
            "-p {} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=60",
            self.port,
            self.data()
        );
        let log = format!("{}/server.log", self.data());
        self.run("pg_ctl", &["-D", self.data(), "-l", &log, "-w", "-o", &opts, "start"]);
    }

    /// Stops the server at once, as a crash would: no checkpoint, no
    /// goodbye to the clients; what committed is in the WAL.
    pub fn stop_immediate(&self) {
        self.run("pg_ctl", &["-D", self.data(), "-m", "immediate", "-w", "stop"]);
    }
}

impl Drop for PrivateCluster {
    fn drop(&mut self) {
        let path = self.bin.join("pg_ctl");
        let args = ["-D", self.data(), "-m", "immediate", "stop"];
        let _ = if self.as_root() {
            std::process::Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(&path)
                .args(args)
                .output()
        } else {
            std::process::Command::new(&path).args(args).output()
        };
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// Runs statements as someone with database access would, outside the
/// product: for tests that tamper with records and expect `verify` to see.
pub async fn out_of_band(store: &Store, statements: &[&str]) {
    let mut tx = store.begin().await.expect("begin");
    for sql in statements {
        crate::on_tx!(&mut tx, c => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut *c).await.map(|r| r.rows_affected()))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    tx.commit().await.expect("commit");
}

/// The store's migrations with migration `version`'s text edited (a line
/// appended), as a binary built from an edited file would carry them.
pub fn migrations_edited(store: &Store, version: i64) -> sqlx::migrate::Migrator {
    use sqlx::SqlSafeStr;
    let migrations = store
        .migrator()
        .iter()
        .map(|m| match m.version == version {
            true => sqlx::migrate::Migration::new(
                m.version,
                m.description.clone(),
                m.migration_type,
                sqlx::AssertSqlSafe(format!("{}\n-- edited\n", m.sql.as_str())).into_sql_str(),
                m.no_tx,
            ),
            false => m.clone(),
        })
        .collect();
    let mut m = sqlx::migrate::Migrator::with_migrations(migrations);
    m.set_ignore_missing(true);
    m
}

/// The store's migrations up to `last`: what an older binary carries.
pub fn migrations_until(store: &Store, last: i64) -> sqlx::migrate::Migrator {
    let mut m = sqlx::migrate::Migrator::with_migrations(
        store.migrator().iter().filter(|m| m.version <= last).cloned().collect(),
    );
    m.set_ignore_missing(true);
    m
}
