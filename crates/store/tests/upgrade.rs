//! Upgrading a database that holds data written by an older version: the
//! migrations that move data keep every case findable and trackable.
//! Run on a fresh SQLite file and a fresh PostgreSQL database.
// Tests: a panic is the failure report, and a test may wait on real time.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use chuangkou_domain::cases::number::{normalise_tracking_code, tracking_code};
use chuangkou_domain::cases::similar::bigrams;
use chuangkou_store::cases::CaseFilter;
use chuangkou_store::testing::{TEST_KEY, pg_database_url};
use chuangkou_store::users::sha256_hex;
use chuangkou_store::{Store, on_read, on_tx};

/// A fresh SQLite file, not migrated.
async fn unmigrated_sqlite() -> Store {
    let dir = std::env::temp_dir().join("chuangkou-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("upgrade_{}_{}.db", std::process::id(), chuangkou_store::random_token(6)));
    Store::connect(&format!("sqlite://{}", path.display()), TEST_KEY.to_vec()).await.unwrap()
}

/// A fresh PostgreSQL database, not migrated; `None` without a server.
async fn unmigrated_postgres() -> Option<Store> {
    let url = pg_database_url().await?;
    Some(Store::connect(&url, TEST_KEY.to_vec()).await.unwrap())
}

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
    let store = unmigrated_sqlite().await;
    cases_written_before_0012_stay_findable_and_trackable(store).await;
}

#[tokio::test]
async fn postgres() {
    let Some(store) = unmigrated_postgres().await else { return };
    cases_written_before_0012_stay_findable_and_trackable(store).await;
}

/// Migration 0021 is the last before keys were derived per purpose (0022).
const BEFORE_DERIVED_KEYS: i64 = 21;

/// What version 1 wrote — a chain keyed with the secret itself, a reporter
/// encrypted with the old data key and a phone hashed with the secret —
/// still verifies, reads and matches after the upgrade, which re-encrypts
/// and re-hashes the personal data with the derived keys.
async fn data_written_with_the_secret_itself_moves_to_derived_keys(store: Store) {
    use chuangkou_domain::events::{ChainedEvent, GENESIS, chain_hash};
    store.migrate_until(BEFORE_DERIVED_KEYS).await.unwrap();
    let phone = "13912345678";
    // A fresh database: the first organisation, reporter and case are id 1.
    let mut tx = store.begin().await.unwrap();
    let payload = r#"{"code":"TY"}"#;
    let e = ChainedEvent {
        org_id: chuangkou_domain::OrgId::new(1),
        seq: 1,
        at_ms: 1_000,
        actor: "cli",
        kind: "organisation.created",
        subject_type: "organisation",
        subject_id: 1,
        payload,
        reason: "",
        prev_hash: GENESIS,
    };
    let hash = chain_hash(TEST_KEY, &e);
    let statements: Vec<(&str, Vec<String>)> = vec![
        ("INSERT INTO organisations (code, name, pack, created_at) VALUES ('TY', '太原', 'toll', 0)", vec![]),
        ("INSERT INTO chain_heads (org_id, seq, head_hash) VALUES (1, 1, $1)", vec![hash.clone()]),
        (
            "INSERT INTO events (org_id, seq, at, actor, kind, subject_type, subject_id, payload, reason, prev_hash, hash)
             VALUES (1, 1, 1000, 'cli', 'organisation.created', 'organisation', 1, $1, '', $2, $3)",
            vec![payload.into(), GENESIS.into(), hash],
        ),
    ];
    for (sql, binds) in statements {
        on_tx!(&mut tx, c => {
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for b in &binds {
                q = q.bind(b);
            }
            q.execute(c).await.map(|r| r.rows_affected())
        })
        .unwrap();
    }
    let (name, phone_enc) = (store.encrypt_v1_for_test("王先生"), store.encrypt_v1_for_test(phone));
    on_tx!(&mut tx, c => sqlx::query("INSERT INTO reporters (org_id, name_enc, phone_enc, phone_hash, created_at) VALUES (1, $1, $2, $3, 0)")
        .bind(&name).bind(&phone_enc).bind(store.phone_hash_v1_for_test(phone)).execute(c).await.map(|r| r.rows_affected()))
    .unwrap();
    on_tx!(&mut tx, c => sqlx::query(
        "INSERT INTO cases (org_id, number, kind, channel, category, track, state, description, routed_to,
           reporter_id, phone_hash, registered_at, handle_due, updated_at)
         VALUES (1, 'TY-2026-000001', 'complaint', 'hotline', 'attitude', 'complaint', 'registered', '态度生硬',
           'office', 1, $1, 0, 172800000, 0)")
        .bind(store.phone_hash_v1_for_test(phone)).execute(c).await.map(|r| r.rows_affected()))
    .unwrap();
    tx.commit().await.unwrap();

    assert_eq!(store.migrate().await.unwrap()[0], 22, "the derived keys come first");
    // The old event verifies under its own key version, the new ones under theirs.
    let events = store.events(chuangkou_domain::OrgId::new(1), None, 10).await.unwrap();
    let versions: Vec<(String, i64)> = events.iter().rev().map(|e| (e.kind.clone(), e.key_version)).collect();
    assert_eq!(versions, [("organisation.created".into(), 1), ("records.rekeyed".into(), 2)]);
    chuangkou_store::testing::assert_records_whole(&store).await;
    // The reporter reads back, no longer under the old key; the phone's
    // hash is the derived key's, on the reporter and on its case.
    let r = store
        .masked_reporter(chuangkou_domain::OrgId::new(1), chuangkou_domain::CaseId::new(1))
        .await
        .unwrap();
    assert_eq!(r.phone.as_deref(), Some("139****5678"));
    let (blob, on_reporter): (Vec<u8>, String) = chuangkou_store::on_read!(store, c => sqlx::query_as(
        "SELECT phone_enc, phone_hash FROM reporters WHERE id = 1").fetch_one(c).await)
    .unwrap();
    assert!(!store.decrypts_with_v1_for_test(&blob), "re-encrypted with the derived key");
    let on_case: String = chuangkou_store::on_read!(store, c => sqlx::query_scalar(
        "SELECT phone_hash FROM cases WHERE id = 1").fetch_one(c).await)
    .unwrap();
    assert_eq!(
        (on_reporter.as_str(), on_case.as_str()),
        (store.phone_hash(phone).as_str(), store.phone_hash(phone).as_str())
    );
    assert_ne!(
        store.phone_hash(phone),
        store.phone_hash_v1_for_test(phone),
        "a key of its own, not the secret"
    );
}

#[tokio::test]
async fn derived_keys_sqlite() {
    let store = unmigrated_sqlite().await;
    data_written_with_the_secret_itself_moves_to_derived_keys(store).await;
}

#[tokio::test]
async fn derived_keys_postgres() {
    let Some(store) = unmigrated_postgres().await else { return };
    data_written_with_the_secret_itself_moves_to_derived_keys(store).await;
}

/// Migration 0040, past the old runner's checksums (0036).
const OLD_BOOK_AT: i64 = 40;

/// A database the old runner migrated keeps its book in
/// `schema_migrations`, with the SHA-256 of each text: it is checked and
/// carried into sqlx's book once, then the rest is applied. An edited
/// migration in the old book is refused by name, and nothing is carried.
async fn a_database_the_old_runner_migrated_is_carried_over(store: Store) {
    use chuangkou_store::testing::out_of_band;
    store.migrate_until(OLD_BOOK_AT).await.unwrap();
    // What the old runner left: its own book, and no sqlx book.
    let rows: Vec<String> = store
        .migrator()
        .iter()
        .filter(|m| m.version <= OLD_BOOK_AT)
        .map(|m| {
            format!(
                "INSERT INTO schema_migrations (version, name, applied_at, checksum) VALUES ({}, '{}', 0, '{}')",
                m.version,
                m.description.replace(' ', "_"),
                sha256_hex(m.sql.as_str())
            )
        })
        .collect();
    // (The table is there, empty: migration 36 altered it.)
    let mut statements = vec!["DROP TABLE _sqlx_migrations"];
    statements.extend(rows.iter().map(String::as_str));
    out_of_band(&store, &statements).await;
    let sqlx_book = |store: Store| async move {
        on_read!(store, c => sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM _sqlx_migrations").fetch_one(c).await)
    };

    out_of_band(&store, &["UPDATE schema_migrations SET checksum = 'edited' WHERE version = 5"]).await;
    let e = store.migrate().await.unwrap_err().to_string();
    assert!(e.contains("migration 0005 (ledger inspections) was changed after it was applied"), "{e}");
    assert!(sqlx_book(store.clone()).await.is_err(), "nothing carried over");

    let text = &store.migrator().iter().find(|m| m.version == 5).unwrap().sql;
    let restore =
        format!("UPDATE schema_migrations SET checksum = '{}' WHERE version = 5", sha256_hex(text.as_str()));
    out_of_band(&store, &[&restore]).await;
    assert_eq!(store.migrate().await.unwrap(), vec![41, 42], "the old book carried over, the rest applied");
    assert_eq!(sqlx_book(store.clone()).await.unwrap(), chuangkou_store::latest_migration());
    let old: i64 =
        on_read!(store, c => sqlx::query_scalar("SELECT COUNT(*) FROM schema_migrations").fetch_one(c).await)
            .unwrap();
    assert_eq!(old, OLD_BOOK_AT, "the old book stays, as a record");
    assert_eq!(store.migrate().await.unwrap(), Vec::<i64>::new(), "once");
}

#[tokio::test]
async fn old_book_sqlite() {
    let store = unmigrated_sqlite().await;
    a_database_the_old_runner_migrated_is_carried_over(store).await;
}

#[tokio::test]
async fn old_book_postgres() {
    let Some(store) = unmigrated_postgres().await else { return };
    a_database_the_old_runner_migrated_is_carried_over(store).await;
}

/// Three instances starting at once on a fresh PostgreSQL database (a first
/// deployment behind a balancer): each migrates or finds it done, none
/// fails, and every migration is applied once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn instances_migrating_at_once_apply_each_migration_once() {
    let Some(url) = pg_database_url().await else { return };
    let mut stores = vec![];
    for _ in 0..3 {
        stores.push(Store::connect(&url, TEST_KEY.to_vec()).await.unwrap());
    }
    let runs = futures_util::future::join_all(stores.iter().map(|s| s.migrate())).await;
    for r in runs {
        r.unwrap();
    }
    // One row a migration (the version is the book's key), each a success.
    let book: (i64, i64) = on_read!(stores[0], c => sqlx::query_as(
        "SELECT COUNT(*), CAST(COALESCE(SUM(CASE WHEN success THEN 1 ELSE 0 END), 0) AS BIGINT) FROM _sqlx_migrations")
        .fetch_one(c).await)
    .unwrap();
    let n = chuangkou_store::latest_migration();
    assert_eq!(book, (n, n));
    for s in &stores {
        assert_eq!(s.migrate().await.unwrap(), Vec::<i64>::new(), "up to date for each");
    }
}
