//! `chuangkou copy-to`: an installation that started on SQLite moves to
//! PostgreSQL whole — every acknowledged write, the chains and seals, the
//! sign-ins already issued, the search index — and goes on there; a copy
//! into a database that holds data, or from one that is not SQLite, is
//! refused and changes nothing.

#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

mod common;
#[path = "common/load.rs"]
mod load;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chuangkou_store::cases::CaseFilter;
use chuangkou_store::{Store, on_read};
use common::Install;
use load::{Acked, Load, check, client, prepare};

fn stdout(o: &std::process::Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Serves `install` while four clients write cases, ratings, ledger facts
/// with decisions and inspections with photos for `secs`; answers what it
/// acknowledged.
fn write_for(install: &Install, load: &Arc<Load>, secs: u64) -> Vec<Acked> {
    let (mut child, addr) = common::serve(install);
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let clients: Vec<_> = (0..4)
        .map(|kind| {
            let (addr, load, stop, acked) = (addr.clone(), load.clone(), stop.clone(), acked.clone());
            std::thread::spawn(move || client(kind, addr, load, stop, acked))
        })
        .collect();
    std::thread::sleep(Duration::from_secs(secs));
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    // Stopped as an operator stops it before a copy: gracefully.
    let _ = std::process::Command::new("kill").args(["-TERM", &child.id().to_string()]).status();
    child.wait().unwrap();
    let acked = acked.lock().unwrap().clone();
    for kind in ["Case", "Rating", "Fact", "Inspection"] {
        assert!(
            acked.iter().any(|a| format!("{a:?}").starts_with(kind)),
            "no {kind} acknowledged: {acked:?}"
        );
    }
    acked
}

/// Each case's number and the cases a search for the first two characters
/// of its description finds, in the demo organisation.
async fn cases_and_searches(store: &Store) -> Vec<(String, Vec<i64>)> {
    let org = store.organisation_by_code("TY").await.unwrap();
    let cases = store.cases(org.id, &CaseFilter { limit: 200, ..Default::default() }).await.unwrap();
    let mut out = Vec::new();
    for c in cases.iter().filter(|c| c.description.chars().count() >= 2).take(12) {
        let q: String = c.description.chars().take(2).collect();
        let found =
            store.cases(org.id, &CaseFilter { q: Some(q), limit: 200, ..Default::default() }).await.unwrap();
        assert!(found.iter().any(|f| f.id == c.id), "{} finds itself", c.number);
        out.push((c.number.clone(), found.iter().map(|f| f.id.get()).collect()));
    }
    out
}

/// The foreign keys and indexes of a PostgreSQL database, each with its
/// definition: `copy-to` sets them aside while it copies.
async fn keys_and_indexes(store: &Store) -> Vec<String> {
    on_read!(store, c => sqlx::query_scalar(
        "SELECT conrelid::regclass::text || ' ' || conname || ' ' || pg_get_constraintdef(oid) FROM pg_constraint
          WHERE connamespace = current_schema()::regnamespace
         UNION ALL SELECT indexdef FROM pg_indexes WHERE schemaname = current_schema() ORDER BY 1")
        .fetch_all(c).await)
    .unwrap()
}

async fn events(store: &Store) -> i64 {
    on_read!(store, c => sqlx::query_scalar("SELECT COUNT(*) FROM events").fetch_one(c).await).unwrap()
}

#[tokio::test]
async fn a_sqlite_installation_moves_to_postgresql_whole_and_goes_on_there() {
    let Some(sqlite) = Install::new(false).await else { return };
    let Some(pg_url) = chuangkou_store::testing::pg_database_url().await else { return };
    for pack in ["toll", "power"] {
        assert!(sqlite.run(&["demo", "--pack", pack]).status.success());
    }
    let load = Arc::new(prepare(&sqlite).await);
    let mut acked = write_for(&sqlite, &load, 3);
    let before = sqlite.store().await;
    let searches = cases_and_searches(&before).await;
    let events_before = events(&before).await;
    before.close().await;

    let out = sqlite.run(&["copy-to", &pg_url]);
    let text = stdout(&out);
    assert_eq!(out.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&out.stderr));
    assert!(text.contains("in 2 organisation chains verified"), "{text}");
    assert!(text.contains("OK: every row of record matches its seal"), "{text}");
    assert!(text.contains("OK: rating rollups equal a recomputation"), "{text}");
    assert!(text.contains(" case_terms"), "the search index is made for PostgreSQL: {text}");

    // The same installation (its data folder, its secret) on PostgreSQL.
    let pg = Install { data_dir: sqlite.data_dir.clone(), database_url: Some(pg_url.clone()) };
    let after = pg.store().await;
    assert_eq!(events(&after).await, events_before);
    let fresh = chuangkou_store::testing::postgres().await.unwrap();
    let schema = keys_and_indexes(&fresh).await;
    assert!(schema.iter().filter(|l| l.contains("FOREIGN KEY")).count() > 50, "{schema:?}");
    assert_eq!(keys_and_indexes(&after).await, schema, "every key and index is made again");
    assert_eq!(cases_and_searches(&after).await, searches, "every search finds the same cases");
    assert!(check(&after, &acked).await.is_empty(), "{:?}", check(&after, &acked).await);
    after.close().await;

    // It goes on there with the sign-ins issued on SQLite: new rows take
    // new ids after the copied ones, and every write is stored once.
    acked.extend(write_for(&pg, &load, 2));
    let after = pg.store().await;
    let wrong = check(&after, &acked).await;
    assert!(wrong.is_empty(), "{wrong:?}");
    let events_now = events(&after).await;
    assert!(events_now > events_before);

    // A second copy into the same database is refused, and changes nothing.
    let again = sqlite.run(&["copy-to", &pg_url]);
    assert_ne!(again.status.code(), Some(0));
    let err = String::from_utf8_lossy(&again.stderr);
    assert!(err.contains("holds data already"), "{err}");
    assert_eq!(events(&after).await, events_now);
    // An installation on PostgreSQL has nothing to copy from.
    let from_pg = pg.run(&["copy-to", &pg_url]);
    assert_ne!(from_pg.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&from_pg.stderr).contains("on PostgreSQL already"));
    assert_eq!(pg.run(&["verify"]).status.code(), Some(0));
    after.close().await;
}
