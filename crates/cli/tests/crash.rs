//! The crash drill (issue 17, point 7): `serve` is killed with SIGKILL at a
//! random moment under mixed load — cases, ratings, ledger facts and
//! decisions, inspections with photos — cycle after cycle, on SQLite and on
//! PostgreSQL. After each kill every write that was acknowledged is stored
//! exactly once, the database passes its integrity check, and `verify`
//! passes (chains and rows of record). A negative control shows the checker
//! notices a write that was acknowledged and then lost.
// Tests: a panic is the failure report, and a test may wait on real time.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chuangkou_store::{Backend, on_read, on_tx};
use rand::Rng;

mod common;
#[path = "common/load.rs"]
mod load;
use common::Install;
use load::{Acked, check, client};

async fn crash_drill(pg: bool, cycles: usize) {
    let Some(install) = Install::new(pg).await else { return };
    assert!(install.run(&["demo"]).status.success());
    let load = Arc::new(load::prepare(&install).await);
    let mut total = 0;
    let mut killed_mid_write = 0;
    // Acknowledged writes of each kind, over all cycles.
    let mut kinds = [0usize; 6];
    for cycle in 0..cycles {
        let (mut child, addr) = common::serve(&install);
        let stop = Arc::new(AtomicBool::new(false));
        let acked = Arc::new(Mutex::new(Vec::new()));
        let clients: Vec<_> = (0..6)
            .map(|k| {
                let (addr, load, stop, acked) = (addr.clone(), load.clone(), stop.clone(), acked.clone());
                std::thread::spawn(move || client(k % 4, addr, load, stop, acked))
            })
            .collect();
        std::thread::sleep(Duration::from_millis(rand::rng().random_range(150..450)));
        // SIGKILL: no shutdown, no flush; whatever was acknowledged must be durable.
        child.kill().unwrap();
        child.wait().unwrap();
        stop.store(true, Ordering::Relaxed);
        for c in clients {
            c.join().unwrap();
        }
        let acked = acked.lock().unwrap().clone();
        killed_mid_write += usize::from(!acked.is_empty());
        for a in &acked {
            kinds[match a {
                Acked::Case { .. } => 0,
                Acked::Rating { .. } => 1,
                Acked::Fact { .. } => 2,
                Acked::Decision { .. } => 3,
                Acked::Inspection { .. } => 4,
                Acked::Photo { .. } => 5,
            }] += 1;
        }
        total += acked.len();
        // Checked as the next process to open the database sees it.
        let fresh = install.store().await;
        let wrong = check(&fresh, &acked).await;
        fresh.close().await;
        assert!(wrong.is_empty(), "cycle {cycle}: {wrong:#?}");
    }
    println!(
        "{cycles} kills: {total} acknowledged writes (cases, ratings, facts, decisions, inspections, photos: {kinds:?}), each stored once; verify and integrity passed every time"
    );
    assert!(total > cycles * 3 && killed_mid_write > cycles / 2, "the load ran: {total} writes");
    assert!(kinds.iter().all(|k| *k > 0), "every kind of write was acknowledged: {kinds:?}");

    // Negative control: an acknowledged rating lost behind the system's back
    // is noticed by the same check.
    let store = install.store().await;
    let victim: (i64, String) = on_read!(store, c => sqlx::query_as(
        "SELECT id, comment FROM ratings WHERE comment LIKE 'crash-%' ORDER BY id DESC LIMIT 1").fetch_one(c).await)
    .unwrap();
    let mut tx = store.begin().await.unwrap();
    let unguard = match store.backend() {
        Backend::Sqlite => "DROP TRIGGER ratings_no_delete",
        Backend::Postgres => "DROP TRIGGER ratings_guarded ON ratings",
    };
    on_tx!(&mut tx, c => sqlx::raw_sql(unguard).execute(&mut *c).await.map(|r| r.rows_affected())).unwrap();
    on_tx!(&mut tx, c => sqlx::query("DELETE FROM ratings WHERE id = $1").bind(victim.0).execute(&mut *c).await.map(|r| r.rows_affected()))
        .unwrap();
    tx.commit().await.unwrap();
    let wrong = check(&store, &[Acked::Rating { id: victim.0, marker: victim.1.clone() }]).await;
    assert!(wrong.iter().any(|w| w.contains(&victim.1) && w.contains("stored []")), "{wrong:?}");
    assert!(wrong.iter().any(|w| w.starts_with("verify:")), "verify notices it too: {wrong:?}");
}

/// Cycles; `CHUANGKOU_CRASH_CYCLES` overrides both counts.
fn cycles(default: usize) -> usize {
    std::env::var("CHUANGKOU_CRASH_CYCLES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_killed_under_load_loses_no_acknowledged_write_sqlite() {
    crash_drill(false, cycles(100)).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serve_killed_under_load_loses_no_acknowledged_write_postgres() {
    crash_drill(true, cycles(30)).await;
}
