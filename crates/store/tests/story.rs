//! The storage story, told once and run on SQLite and on PostgreSQL.
// Tests: a panic is the failure report, and a test may wait on real time.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use chuangkou_domain::OrgId;
use chuangkou_domain::org::{NewStaff, NewUnit, UnitKind};
use chuangkou_domain::roster::{self, ImportKind};
use chuangkou_store::import::ImportMode;
use chuangkou_store::org::StaffQuery;
use chuangkou_store::{Backend, Store, StoreError, on_tx, story};

async fn org_with_station(store: &Store) -> OrgId {
    let org = store.create_organisation("cli", "TY", "太原高速", "toll", Some("0351-12122")).await.unwrap();
    store
        .create_unit(
            org.id,
            "cli",
            &NewUnit {
                code: "S01".into(),
                name: "小店站".into(),
                kind: UnitKind::Station,
                parent_code: None,
            },
        )
        .await
        .unwrap();
    org.id
}

fn staff(no: &str, name: &str) -> NewStaff {
    NewStaff {
        employee_no: no.into(),
        name: name.into(),
        unit_code: "S01".into(),
        position: Some("收费员".into()),
        phone: None,
        certificate_no: None,
    }
}

/// Runs raw SQL that is expected to fail, returning the database's message.
async fn raw_error(store: &Store, sql: &'static str) -> String {
    let mut tx = store.begin().await.unwrap();
    let r = on_tx!(&mut tx, c => sqlx::raw_sql(sql).execute(c).await.map(|r| r.rows_affected()));
    r.expect_err("the statement should have been refused").to_string()
}

story!(every_change_appends_a_chained_event, |store| {
    let org = org_with_station(&store).await;
    store.create_staff(org, "user:1", &staff("1001", "李娜")).await.unwrap();
    let events = store.events(org, None, 10).await.unwrap();
    let kinds: Vec<&str> = events.iter().rev().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["organisation.created", "unit.created", "staff.created"]);
    assert_eq!(events[0].prev_hash, events[1].hash, "each event names its predecessor's hash");
    let report = store.verify().await.unwrap();
    assert_eq!(report.events, 3);
    assert!(report.broken.is_empty(), "{:?}", report.broken);
});

story!(events_cannot_be_updated_or_deleted, |store| {
    let org = org_with_station(&store).await;
    let msg = raw_error(&store, "UPDATE events SET payload = '{}'").await;
    assert!(msg.contains("append-only"), "{msg}");
    let msg = raw_error(&store, "DELETE FROM events").await;
    assert!(msg.contains("append-only"), "{msg}");
    assert_eq!(store.events(org, None, 10).await.unwrap().len(), 2);
});

story!(verify_finds_a_tampered_event, |store| {
    let org = org_with_station(&store).await;
    store.create_staff(org, "user:1", &staff("1001", "李娜")).await.unwrap();
    let target =
        store.events(org, None, 10).await.unwrap().into_iter().find(|e| e.kind == "unit.created").unwrap();
    // An attacker with database access drops the guard and edits history.
    let mut tx = store.begin().await.unwrap();
    let drop_guard = match store.backend() {
        Backend::Sqlite => "DROP TRIGGER events_no_update",
        Backend::Postgres => "DROP TRIGGER events_no_change ON events",
    };
    on_tx!(&mut tx, c => sqlx::raw_sql(drop_guard).execute(&mut *c).await.unwrap().rows_affected());
    on_tx!(&mut tx, c => sqlx::query("UPDATE events SET payload = $1 WHERE id = $2")
        .bind(r#"{"code":"S01","name":"篡改站"}"#).bind(target.id).execute(&mut *c).await.unwrap().rows_affected());
    tx.commit().await.unwrap();

    let report = store.verify().await.unwrap();
    assert_eq!(report.broken.len(), 1);
    assert_eq!(report.broken[0].event_id, target.id);
    assert!(report.broken[0].problem.contains("altered"), "{}", report.broken[0].problem);
});

story!(records_of_another_organisation_are_not_found, |store| {
    let a = org_with_station(&store).await;
    let b = store.create_organisation("cli", "JT", "交通集团", "taxi", None).await.unwrap().id;
    let s = store.create_staff(a, "user:1", &staff("1001", "李娜")).await.unwrap();
    assert!(matches!(store.staff(b, s.id).await, Err(StoreError::NotFound)));
    assert_eq!(store.staff(a, s.id).await.unwrap().name, "李娜");
});

story!(a_duplicate_employee_number_is_a_conflict_and_writes_nothing, |store| {
    let org = org_with_station(&store).await;
    store.create_staff(org, "user:1", &staff("1001", "李娜")).await.unwrap();
    let before = store.events(org, None, 50).await.unwrap().len();
    assert!(matches!(
        store.create_staff(org, "user:1", &staff("1001", "王强")).await,
        Err(StoreError::Conflict(_))
    ));
    assert_eq!(store.events(org, None, 50).await.unwrap().len(), before);
    assert!(store.verify().await.unwrap().broken.is_empty(), "a rolled-back append leaves the chain whole");
});

story!(an_import_with_a_bad_row_writes_nothing_until_fixed, |store| {
    let org = org_with_station(&store).await;
    let grid = |rows: &[[&str; 3]]| -> Vec<Vec<String>> {
        rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect()
    };
    let bad = grid(&[["工号", "姓名", "单位编码"], ["2001", "赵敏", "S01"], ["2002", "钱伟", "S09"]]);
    let plan = roster::plan(ImportKind::Staff, "人员名册", &bad, &store.known(org).await.unwrap());
    let out = store.apply_import(org, "user:1", plan, ImportMode::AllOrNothing).await.unwrap();
    assert!(!out.applied);
    assert_eq!((out.errors[0].row, out.errors[0].column.as_str()), (3, "单位编码"));
    assert_eq!(store.staff_count(org).await.unwrap(), 0);

    let good = grid(&[["工号", "姓名", "单位编码"], ["2001", "赵敏", "S01"], ["2002", "钱伟", "S01"]]);
    let plan = roster::plan(ImportKind::Staff, "人员名册", &good, &store.known(org).await.unwrap());
    let out = store.apply_import(org, "user:1", plan, ImportMode::AllOrNothing).await.unwrap();
    assert!(out.applied);
    assert_eq!(out.created, 2);
    let found = store
        .staff_list(org, &StaffQuery { q: Some("钱".into()), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].employee_no, "2002");

    // Importing the same file again changes nothing and writes no event.
    let events = store.events(org, None, 100).await.unwrap().len();
    let plan = roster::plan(ImportKind::Staff, "人员名册", &good, &store.known(org).await.unwrap());
    let out = store.apply_import(org, "user:1", plan, ImportMode::AllOrNothing).await.unwrap();
    assert_eq!((out.created, out.updated, out.unchanged), (0, 0, 2));
    assert_eq!(store.events(org, None, 100).await.unwrap().len(), events);
});

story!(valid_rows_mode_writes_the_good_rows_and_reports_the_rest, |store| {
    let org = org_with_station(&store).await;
    let grid: Vec<Vec<String>> = [["工号", "姓名", "单位编码"], ["2001", "赵敏", "S01"], ["2002", "", "S01"]]
        .iter()
        .map(|r| r.iter().map(|c| c.to_string()).collect())
        .collect();
    let plan = roster::plan(ImportKind::Staff, "人员名册", &grid, &store.known(org).await.unwrap());
    let out = store.apply_import(org, "user:1", plan, ImportMode::ValidRows).await.unwrap();
    assert!(out.applied);
    assert_eq!(out.created, 1);
    assert_eq!((out.errors[0].row, out.errors[0].column.as_str()), (3, "姓名"));
});

story!(sign_in_attempts_are_numbered_atomically_and_lock_after_the_limit, |store| {
    use chuangkou_store::users::{LOCK_MS, MAX_FAILURES};
    // Thirty attempts at once: each gets its own number, so that only the
    // first MAX_FAILURES are ever checked against the password.
    let attempts =
        futures_util::future::join_all((0..30).map(|_| store.take_sign_in_attempt("nobody"))).await;
    let mut numbers: Vec<i64> = attempts.into_iter().map(|t| t.unwrap().failures).collect();
    numbers.sort_unstable();
    assert_eq!(numbers, (1..=30).collect::<Vec<_>>());
    assert!(numbers.iter().filter(|n| **n <= MAX_FAILURES).count() == MAX_FAILURES as usize);
    let until = store.lock_sign_in("nobody").await.unwrap();
    assert!(until > store.now_ms());
    // After the lock the count starts again.
    store.advance_clock(LOCK_MS + 1);
    assert_eq!(store.take_sign_in_attempt("nobody").await.unwrap().failures, 1);
    store.clear_failures("nobody").await.unwrap();
    assert_eq!(store.throttle("nobody").await.unwrap().failures, 0);
});

story!(migrations_run_twice_apply_once, |store| {
    assert!(store.migrate().await.unwrap().is_empty());
});

#[tokio::test]
async fn sqlite_is_durable_by_configuration() {
    let store = chuangkou_store::testing::sqlite().await;
    let chuangkou_store::Db::Sqlite { writer, .. } = &store.db else { unreachable!() };
    let mut guard = writer.lock().await;
    let writer = guard.as_mut().expect("the writer is open");
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode").fetch_one(&mut *writer).await.unwrap();
    let sync: i64 = sqlx::query_scalar("PRAGMA synchronous").fetch_one(&mut *writer).await.unwrap();
    let fk: i64 = sqlx::query_scalar("PRAGMA foreign_keys").fetch_one(&mut *writer).await.unwrap();
    assert_eq!((mode.as_str(), sync, fk), ("wal", 2, 1), "WAL, synchronous=FULL, foreign keys on");
}

story!(a_write_transaction_dropped_before_commit_leaves_nothing, |store| {
    // A batch that fails half-way drops its transaction; the writer must be
    // clean for the next one (on SQLite, one connection taken in turn).
    let org = org_with_station(&store).await;
    {
        let mut tx = store.begin().await.unwrap();
        on_tx!(&mut tx, c => sqlx::raw_sql(sqlx::AssertSqlSafe(format!(
            "INSERT INTO units (org_id, code, name, kind, created_at) VALUES ({org}, 'S99', '半途站', 'station', 0)"
        ))).execute(c).await.map(|_| ()))
        .unwrap();
    }
    let mut tx = store.begin().await.unwrap();
    let n: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(*) FROM units WHERE org_id = {org} AND code = 'S99'"
    ))).fetch_one(c).await)
    .unwrap();
    tx.commit().await.unwrap();
    assert_eq!(n, 0, "the dropped transaction's row is gone");
    let units = store.units(org).await.unwrap();
    assert_eq!(units.iter().map(|u| u.code.as_str()).collect::<Vec<_>>(), ["S01"]);
});

#[tokio::test]
async fn sqlite_checkpoints_its_wal_beside_the_writer() {
    let dir = std::env::temp_dir().join("chuangkou-tests");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("checkpoint-{}-{}.db", std::process::id(), chuangkou_store::random_token(4)));
    let store = chuangkou_store::Store::connect(&format!("sqlite://{}", path.display()), b"k".to_vec())
        .await
        .unwrap();
    store.migrate().await.unwrap();
    store.checkpoint_in_background(std::time::Duration::from_millis(20)).await.unwrap();
    {
        let chuangkou_store::Db::Sqlite { writer, .. } = &store.db else { unreachable!() };
        let mut guard = writer.lock().await;
        let w = guard.as_mut().unwrap();
        let auto: i64 = sqlx::query_scalar("PRAGMA wal_autocheckpoint").fetch_one(&mut *w).await.unwrap();
        assert_eq!(auto, 100_000, "the writer checkpoints only as a safety net");
        sqlx::raw_sql("PRAGMA wal_checkpoint(TRUNCATE)").execute(&mut *w).await.unwrap();
    }
    let before = std::fs::metadata(&path).unwrap().len();
    // About 4 MB in one commit: it goes to the WAL, and only a checkpoint
    // copies it into the database file.
    let mut tx = store.begin().await.unwrap();
    on_tx!(&mut tx, c => sqlx::raw_sql(
        "CREATE TABLE ballast (b BLOB);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
         INSERT INTO ballast SELECT randomblob(4000) FROM n"
    ).execute(c).await.map(|_| ()))
    .unwrap();
    tx.commit().await.unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut size = std::fs::metadata(&path).unwrap().len();
    while size < before + 3_000_000 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
        size = std::fs::metadata(&path).unwrap().len();
    }
    assert!(size >= before + 3_000_000, "the database file grew from {before} to only {size} bytes");
    store.close().await;
}

story!(records_of_what_happened_refuse_out_of_band_changes_and_deletes, |store| {
    let org = org_with_station(&store).await;
    let organisation = store.organisation(org).await.unwrap();
    let policies = chuangkou_domain::policy::PolicySet::builtin();
    let rules = policies.rules(&organisation.pack).unwrap();
    let nc = chuangkou_store::cases::NewCase {
        kind: chuangkou_domain::cases::CaseKind::Complaint,
        channel: chuangkou_domain::cases::Channel::Hotline,
        category: "attitude".into(),
        track: None,
        description: "收费员态度生硬".into(),
        unit_id: None,
        service_point_id: None,
        subject_staff_id: None,
        plate: None,
        reporter_name: Some("王先生".into()),
        reporter_phone: Some("13812341234".into()),
        registered_by: None,
        issue_tracking_code: true,
        photos: vec![],
        origin: None,
    };
    let case = store.register_case(&organisation, rules, &nc, "t").await.unwrap();
    let attempt = |sql: &'static str| {
        let store = store.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            let r = chuangkou_store::on_tx!(&mut tx, c => sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *c).await.map(|r| r.rows_affected()));
            r.is_err()
        }
    };
    for sql in [
        "UPDATE cases SET description = '已和解'",
        "UPDATE cases SET subject_staff_id = NULL",
        "DELETE FROM cases",
        "UPDATE reporters SET phone_hash = 'x'",
        "DELETE FROM reporters",
    ] {
        assert!(attempt(sql).await, "{sql} is refused");
    }
    // The product's own transitions still move a case on.
    let office = store.case(org, case.id).await.unwrap();
    assert_eq!(office.description, "收费员态度生硬");
    let mut tx = store.begin().await.unwrap();
    let moved = chuangkou_store::on_tx!(&mut tx, c => sqlx::query("UPDATE cases SET state = 'assigned' WHERE id = $1")
        .bind(case.id).execute(&mut *c).await.map(|r| r.rows_affected()));
    assert_eq!(moved.unwrap(), 1);
});

story!(verify_says_precisely_whether_the_chain_head_was_edited_or_events_removed, |store| {
    let org = org_with_station(&store).await;
    assert!(store.verify().await.unwrap().broken.is_empty());
    let edit = |sql: &'static str| {
        let store = store.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            chuangkou_store::on_tx!(&mut tx, c => sqlx::query(sqlx::AssertSqlSafe(sql)).execute(&mut *c).await.map(|r| r.rows_affected()))
                .unwrap();
            tx.commit().await.unwrap();
        }
    };
    // The head's hash rewritten, the events untouched.
    edit("UPDATE chain_heads SET head_hash = 'f00d'").await;
    let r = store.verify().await.unwrap();
    assert_eq!(r.broken.len(), 1);
    assert!(r.broken[0].problem.contains("the head was edited"), "{}", r.broken[0].problem);
    assert!(!r.broken[0].problem.contains("removed"));
    // The head moved on past the last event: events look removed.
    edit("UPDATE chain_heads SET seq = seq + 3").await;
    let r = store.verify().await.unwrap();
    assert!(r.broken[0].problem.contains("removed"), "{}", r.broken[0].problem);
    let _ = org;
});

story!(verify_beside_live_writers_reads_one_moment_and_finds_nothing_wrong, |store| {
    // `chuangkou verify` is run beside a serving system, and the crash
    // drill runs it while PostgreSQL may still be finishing a killed
    // process's last commit. Read statement by statement, it saw the head
    // before an append and the events after it ("the head was moved
    // back"), or a row committed after its seal queue was read ("never
    // sealed nor queued").
    let org = org_with_station(&store).await;
    for i in 0..200 {
        store.create_staff(org, "cli", &staff(&format!("{}", 2000 + i), "王芳")).await.unwrap();
    }
    // Two writers append (and seal) until verify has walked the chains
    // 15 times and they have written 100 records meanwhile.
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    let (stop, written) =
        (std::sync::Arc::new(AtomicBool::new(false)), std::sync::Arc::new(AtomicUsize::new(0)));
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let (store, stop, written) = (store.clone(), stop.clone(), written.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(Ordering::Relaxed) {
                    store.create_staff(org, "cli", &staff(&format!("{w}{n:05}"), "赵强")).await.unwrap();
                    if n % 7 == 0 {
                        store.seal().await.unwrap();
                    }
                    n += 1;
                    written.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    // A third writes ratings, whose batches move the rollups.
    let organisation = store.organisation_by_code("TY").await.unwrap();
    let point = chuangkou_domain::org::NewServicePoint {
        code: "S01-L01".into(),
        name: "1 号车道".into(),
        kind: chuangkou_domain::org::ServicePointKind::Lane,
        unit_code: "S01".into(),
        vehicle_plate: None,
    };
    let point = store.create_service_point(org, "cli", &point).await.unwrap();
    let rater = {
        let (store, stop) = (store.clone(), stop.clone());
        tokio::spawn(async move {
            let policies = chuangkou_domain::policy::PolicySet::builtin();
            let rules = policies.rules(&organisation.pack).unwrap();
            let mut n = 0;
            while !stop.load(Ordering::Relaxed) {
                let mut batch = Vec::new();
                for k in 0..8 {
                    let input = chuangkou_store::ratings::RatingInput {
                        level: ["5", "4", "3"][k % 3].into(),
                        device: format!("phone-{n}-{k}"),
                        ..Default::default()
                    };
                    batch.push(store.prepare_rating(&organisation, rules, &point, &input).await.unwrap());
                }
                store.record_ratings(&batch).await.unwrap();
                n += 1;
            }
            n
        })
    };
    let mut walks = 0;
    while walks < 15 || (written.load(Ordering::Relaxed) < 100 && walks < 5000) {
        let r = store.verify().await.unwrap();
        assert!(r.broken.is_empty() && r.rows.is_empty(), "{:?} {:?}", r.broken, r.rows);
        let rollups = store.verify_rollups().await.unwrap();
        assert!(rollups.is_empty(), "rollups against the ratings of another moment: {rollups:?}");
        walks += 1;
    }
    stop.store(true, Ordering::Relaxed);
    for w in writers {
        w.await.unwrap();
    }
    assert!(rater.await.unwrap() > 0, "ratings were written meanwhile");
    assert!(written.load(Ordering::Relaxed) >= 100, "the writers ran beside {walks} walks");
    let r = store.verify().await.unwrap();
    assert!(r.broken.is_empty() && r.rows.is_empty(), "{:?} {:?}", r.broken, r.rows);
});

/// Appends an event row by hand, with a valid link when `key` is given (as
/// someone holding the chain's key could), and moves the head to it.
async fn forge_event(store: &Store, org: OrgId, payload: &str, key: Option<&[u8]>) -> i64 {
    use chuangkou_domain::events::{ChainedEvent, chain_hash};
    let head = store.events(org, None, 1).await.unwrap().remove(0);
    let seq = head.seq + 1;
    let e = ChainedEvent {
        org_id: org,
        seq,
        at_ms: head.at,
        actor: "cli",
        kind: "unit.renamed",
        subject_type: "unit",
        subject_id: 1,
        payload,
        reason: "",
        prev_hash: &head.hash,
    };
    let hash = key.map_or_else(|| "0".repeat(64), |k| chain_hash(k, &e));
    let mut tx = store.begin().await.unwrap();
    let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
        "INSERT INTO events (org_id, seq, at, actor, kind, subject_type, subject_id, payload, reason, prev_hash, hash)
         VALUES ($1, $2, $3, 'cli', 'unit.renamed', 'unit', 1, $4, '', $5, $6) RETURNING id")
        .bind(org).bind(seq).bind(head.at).bind(payload).bind(&head.hash).bind(&hash).fetch_one(&mut *c).await)
    .unwrap();
    on_tx!(&mut tx, c => sqlx::query("UPDATE chain_heads SET seq = $1, head_hash = $2 WHERE org_id = $3")
        .bind(seq).bind(&hash).bind(org).execute(&mut *c).await.map(|r| r.rows_affected()))
    .unwrap();
    tx.commit().await.unwrap();
    id
}

story!(verify_names_an_event_whose_payload_is_not_json, |store| {
    let org = org_with_station(&store).await;
    let id = forge_event(&store, org, "{\"name\": \"篡改", Some(chuangkou_store::testing::TEST_KEY)).await;
    let report = store.verify().await.unwrap();
    assert_eq!(report.broken.len(), 1, "{:?}", report.broken);
    assert_eq!((report.broken[0].event_id, report.broken[0].seq), (id, 3));
    assert!(report.broken[0].problem.contains("payload is not JSON"), "{}", report.broken[0].problem);
});

#[tokio::test]
async fn verify_names_an_event_that_cannot_be_read_instead_of_stopping() {
    let store = chuangkou_store::testing::sqlite().await;
    let org = org_with_station(&store).await;
    let id = forge_event(&store, org, "{}", None).await;
    // The payload becomes bytes that are not text: decoding the row fails.
    let mut tx = store.begin().await.unwrap();
    on_tx!(&mut tx, c => sqlx::raw_sql("DROP TRIGGER events_no_update").execute(&mut *c).await.map(|r| r.rows_affected()))
        .unwrap();
    on_tx!(&mut tx, c => sqlx::query("UPDATE events SET payload = X'FFFE00' WHERE id = $1")
        .bind(id).execute(&mut *c).await.map(|r| r.rows_affected()))
    .unwrap();
    tx.commit().await.unwrap();
    let report = store.verify().await.expect("verify reports instead of failing");
    assert_eq!(report.broken.len(), 1, "{:?}", report.broken);
    assert_eq!((report.broken[0].event_id, report.broken[0].seq), (id, 3));
    assert!(report.broken[0].problem.contains("cannot be read"), "{}", report.broken[0].problem);
}
