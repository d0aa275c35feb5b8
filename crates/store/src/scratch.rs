//! Scratch databases: a new PostgreSQL database (or SQLite file name) per
//! test run or benchmark, never shared. Tests reach these through
//! [`crate::testing`]; `chuangkou bench --backend pg` uses them directly.

pub fn unique_name() -> String {
    format!("ck_t_{}_{}", std::process::id(), crate::random_token(6))
}

pub fn pg_admin_url() -> String {
    std::env::var("CHUANGKOU_TEST_PG")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// A URL of a new, empty PostgreSQL database, or `None` (with a notice) when
/// no server is reachable outside CI.
pub async fn pg_database_url() -> Option<String> {
    pg_named_database_url(&unique_name(), false).await
}

/// A URL of the PostgreSQL database `name`, created (empty) unless
/// `reuse` finds it already there: a benchmark keeps its generated data
/// in one, to measure it again after a change.
pub async fn pg_named_database_url(name: &str, reuse: bool) -> Option<String> {
    use sqlx::Connection;
    let admin = pg_admin_url();
    let mut conn = match sqlx::PgConnection::connect(&admin).await {
        Ok(c) => c,
        Err(e) => {
            assert!(
                !std::env::var("CI").is_ok_and(|v| v == "true"),
                "CI=true but PostgreSQL at {admin} is not reachable: {e}"
            );
            eprintln!("NOTICE: PostgreSQL not reachable ({e}); skipping the PostgreSQL half of this test");
            return None;
        }
    };
    static SWEPT: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);
    if !SWEPT.swap(true, std::sync::atomic::Ordering::Relaxed) {
        drop_abandoned(&mut conn).await;
    }
    let exists: bool = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
        .bind(name)
        .fetch_one(&mut conn)
        .await
        .expect("list databases");
    // UTF-8 with a real locale so that text search works on Chinese.
    if !(reuse && exists) {
        assert!(plain(name), "a database name of letters, digits and _");
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "CREATE DATABASE {name} ENCODING 'UTF8' TEMPLATE template0"
        )))
        .execute(&mut conn)
        .await
        .expect("create test database");
    }
    let base = admin.rsplit_once('/').map(|(b, _)| b.to_string()).unwrap_or(admin);
    Some(format!("{base}/{name}"))
}

/// Drops the scratch databases of test runs and benchmarks that have ended
/// (nothing else drops them: a test's process may end at any assertion),
/// once per process: those named by [`unique_name`] for a process no longer
/// running on this machine and with no connection open. A database of a
/// process on another machine sharing the server has its connections open
/// while it runs, and is left alone.
pub async fn drop_abandoned(conn: &mut sqlx::PgConnection) {
    let names: Vec<String> = sqlx::query_scalar(
        "SELECT d.datname FROM pg_database d
         WHERE d.datname LIKE 'ck\\_t\\_%'
           AND NOT EXISTS (SELECT 1 FROM pg_stat_activity a WHERE a.datname = d.datname)",
    )
    .fetch_all(&mut *conn)
    .await
    .unwrap_or_default();
    for name in names {
        let Some(pid) = name.split('_').nth(2).and_then(|p| p.parse::<u32>().ok()) else { continue };
        let ended = !std::path::Path::new(&format!("/proc/{pid}")).exists();
        if ended && std::path::Path::new("/proc/self").exists() && plain(&name) {
            // Another process sweeping at the same moment may have dropped it first.
            let _ = sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name}")))
                .execute(&mut *conn)
                .await;
        }
    }
}

/// Whether `name` may be spliced into a statement as it is (`CREATE`/`DROP
/// DATABASE`, the table and column names `copy-to` reads from the catalogue).
pub(crate) fn plain(name: &str) -> bool {
    name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}
