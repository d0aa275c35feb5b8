//! Upgrading a database that holds data written by an older version: the
//! migrations that move data keep every case findable and trackable.
//! Run on a fresh SQLite file and a fresh PostgreSQL database.

use chuangkou_domain::cases::number::{normalise_tracking_code, tracking_code};
use chuangkou_domain::cases::similar::bigrams;
use chuangkou_store::cases::CaseFilter;
use chuangkou_store::testing::{TEST_KEY, pg_database_url};
use chuangkou_store::users::sha256_hex;
use chuangkou_store::{Store, on_tx};

/// Migration 0011 is the last before case search moved to FTS5 on SQLite
/// (0012) and the tracking digest to its own column (0013).
const BEFORE: i64 = 11;

async fn cases_written_before_0012_stay_findable_and_trackable(store: Store) {
    store.migrate_until(BEFORE).await.unwrap();
    let code = tracking_code(&[7; 20]);
    let description = "出口车道收费员态度生硬，把卡扔出窗外";
    // What the intake of that version wrote: the case with its code's hash
    // in `tracking_hash`, and one `case_terms` row per bigram.
    let exec = |sql: String| {
        let store = store.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            on_tx!(&mut tx, c => sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(c).await.map(|_| ()))
                .unwrap();
            tx.commit().await.unwrap();
        }
    };
    exec("INSERT INTO organisations (code, name, pack, created_at) VALUES ('TY', '太原', 'toll', 0)".into())
        .await;
    exec(format!(
        "INSERT INTO cases (org_id, number, kind, channel, category, track, state, description, routed_to,
           tracking_hash, registered_at, handle_due, updated_at)
         VALUES ((SELECT id FROM organisations WHERE code = 'TY'), 'TY-2026-000001', 'complaint', 'hotline', 'attitude', 'complaint', 'registered', '{description}',
           'office', '{}', 0, 172800000, 0)",
        sha256_hex(&normalise_tracking_code(&code).unwrap())
    ))
    .await;
    for term in bigrams(description) {
        exec(format!(
            "INSERT INTO case_terms (org_id, term, case_id)
             SELECT org_id, '{term}', id FROM cases WHERE number = 'TY-2026-000001'"
        ))
        .await;
    }

    store.migrate().await.unwrap();
    let org = store.organisation_by_code("TY").await.unwrap().id;

    let find = |q: &str| CaseFilter { q: Some(q.into()), limit: 10, ..Default::default() };
    for q in ["态度", "收费员态度", "扔出窗外"] {
        let hits = store.cases(org, &find(q)).await.unwrap();
        let numbers: Vec<&str> = hits.iter().map(|c| c.number.as_str()).collect();
        assert_eq!(numbers, ["TY-2026-000001"], "{q} finds the old case");
    }
    assert!(store.cases(org, &find("绕道")).await.unwrap().is_empty());
    let view = store.track("TY-2026-000001", &code, "upgrade-test").await.expect("tracked with its code");
    assert_eq!(view.number, "TY-2026-000001");
    assert!(store.track("TY-2026-000001", &tracking_code(&[8; 20]), "upgrade-test").await.is_err());
}

#[tokio::test]
async fn sqlite() {
    let dir = std::env::temp_dir().join("chuangkou-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("upgrade_{}_{}.db", std::process::id(), chuangkou_store::random_token(6)));
    let store = Store::connect(&format!("sqlite://{}", path.display()), TEST_KEY.to_vec()).await.unwrap();
    cases_written_before_0012_stay_findable_and_trackable(store).await;
}

#[tokio::test]
async fn postgres() {
    let Some(url) = pg_database_url().await else { return };
    let store = Store::connect(&url, TEST_KEY.to_vec()).await.unwrap();
    cases_written_before_0012_stay_findable_and_trackable(store).await;
}
