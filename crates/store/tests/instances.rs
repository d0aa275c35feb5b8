//! Several instances on one PostgreSQL database (issue 23 point 5), at the
//! store: senders on separate connection pools, as separate `serve`
//! processes are, claiming the outbox at once. (The whole binary, three
//! processes behind nginx, is `crates/cli/tests/instances.rs`.)
// Tests: a panic is the failure report, and a test may wait on real time.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::collections::HashMap;

use chuangkou_store::testing::TEST_KEY;
use chuangkou_store::{Store, on_tx};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn senders_of_several_instances_claim_each_message_once() {
    let Some(url) = chuangkou_store::testing::pg_database_url().await else { return };
    let first = Store::connect(&url, TEST_KEY.to_vec()).await.unwrap();
    first.migrate().await.unwrap();
    let second = Store::connect(&url, TEST_KEY.to_vec()).await.unwrap();
    let org = first.create_organisation("test", "TY", "太原高速", "toll", None).await.unwrap();
    const MESSAGES: i64 = 600;
    let mut tx = first.begin().await.unwrap();
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO outbox (org_id, channel, body, created_at)
         SELECT $1, 'sms', 'message ' || g, 0 FROM generate_series(1, $2) g")
        .bind(org.id).bind(MESSAGES).execute(c).await.map(|r| r.rows_affected()))
    .unwrap();
    tx.commit().await.unwrap();
    // Eight senders, four on each instance's pool, each claiming ten at a
    // time and recording each as sent, until nothing is left.
    let senders: Vec<_> = (0..8)
        .map(|k| {
            let store = if k % 2 == 0 { first.clone() } else { second.clone() };
            tokio::spawn(async move {
                let mut claimed = Vec::new();
                loop {
                    let batch = store.claim_outbox("sms", 10).await.unwrap();
                    if batch.is_empty() {
                        return claimed;
                    }
                    for m in batch {
                        store.outbox_result(m.id, Ok(())).await.unwrap();
                        claimed.push(m.id);
                    }
                }
            })
        })
        .collect();
    let mut times: HashMap<i64, usize> = HashMap::new();
    for s in senders {
        for id in s.await.unwrap() {
            *times.entry(id).or_default() += 1;
        }
    }
    let twice: Vec<_> = times.iter().filter(|(_, n)| **n > 1).collect();
    assert!(twice.is_empty(), "claimed more than once: {twice:?}");
    assert_eq!(times.len() as i64, MESSAGES, "every message was claimed");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn scratch_databases_of_ended_processes_are_dropped_and_live_ones_kept() {
    use chuangkou_store::scratch;
    use sqlx::Connection;
    let Some(_) = chuangkou_store::testing::pg_database_url().await else { return };
    let mut admin = sqlx::PgConnection::connect(&scratch::pg_admin_url()).await.unwrap();
    // A process that has ended, and this one (which is running).
    let ended = std::process::Command::new("true").spawn().unwrap();
    let ended_pid = ended.id();
    let mut ended = ended;
    ended.wait().unwrap();
    let gone = format!("ck_t_{ended_pid}_{}", chuangkou_store::random_token(3));
    let kept = format!("ck_t_{}_{}", std::process::id(), chuangkou_store::random_token(3));
    for name in [&gone, &kept] {
        sqlx::raw_sql(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .unwrap();
    }
    scratch::drop_abandoned(&mut admin).await;
    let exists = |name: String| {
        let url = scratch::pg_admin_url();
        async move {
            let mut c = sqlx::PgConnection::connect(&url).await.unwrap();
            sqlx::query_scalar::<_, bool>("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
                .bind(name)
                .fetch_one(&mut c)
                .await
                .unwrap()
        }
    };
    assert!(!exists(gone.clone()).await, "{gone}: its process has ended");
    assert!(exists(kept.clone()).await, "{kept}: its process is running");
    sqlx::raw_sql(sqlx::AssertSqlSafe(format!("DROP DATABASE {kept}"))).execute(&mut admin).await.unwrap();
}
