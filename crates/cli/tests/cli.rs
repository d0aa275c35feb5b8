//! The binary itself: demo, verify (and its answer to tampering), import and
//! user administration, on SQLite and on PostgreSQL.
// Tests: a panic is the failure report, and a test may wait on real time.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::path::Path;
use std::process::Output;

use chuangkou_store::{Backend, Store, on_tx, random_token};

mod common;
use common::Install;

fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p.display().to_string()
}

async fn verify_reports_the_first_tampered_event(pg: bool) {
    let Some(install) = Install::new(pg).await else { return };
    let demo = install.run(&["demo"]);
    assert!(demo.status.success(), "{}", String::from_utf8_lossy(&demo.stderr));
    let out = stdout(&demo);
    assert!(out.contains("office") && out.contains("受理/督查办公室"), "{out}");
    let ok = install.run(&["verify"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    // The demo has cases in several states for a newcomer to look at.
    let store = install.store().await;
    let org = store.organisation_by_code("TY").await.unwrap();
    let cases = store
        .cases(org.id, &chuangkou_store::cases::CaseFilter { limit: 10, ..Default::default() })
        .await
        .unwrap();
    let mut states: Vec<&str> = cases.iter().map(|c| c.state.as_str()).collect();
    states.sort();
    // The fifth, registered, is the one the demo's bad rating opened.
    assert_eq!(states, ["closed", "investigating", "registered", "registered", "replied"]);
    // The demo's ratings: one bad, which opened a case.
    let bad = store
        .ratings(
            org.id,
            &chuangkou_store::ratings::RatingFilter { bad_only: true, limit: 10, ..Default::default() },
        )
        .await
        .unwrap();
    assert_eq!(bad.len(), 1);
    assert!(bad[0].case_id.is_some());
    store.close().await;
    assert!(stdout(&ok).starts_with("OK:"));
    assert!(stdout(&ok).contains("rating rollups equal"), "{}", stdout(&ok));

    // A rollup changed by hand is reported, and put back it passes again.
    let store = install.store().await;
    let bump = |by: i64| {
        let store = store.clone();
        async move {
            let mut tx = store.begin().await.unwrap();
            on_tx!(&mut tx, c => sqlx::query("UPDATE rating_rollups SET n5 = n5 + $1 WHERE scope = 'unit' AND scope_id = (SELECT MIN(scope_id) FROM rating_rollups WHERE scope = 'unit')")
                .bind(by).execute(&mut *c).await.unwrap().rows_affected());
            tx.commit().await.unwrap();
        }
    };
    bump(1).await;
    let off = install.run(&["verify"]);
    assert_eq!(off.status.code(), Some(1), "{}", stdout(&off));
    assert!(stdout(&off).contains("ROLLUP: organisation"), "{}", stdout(&off));
    bump(-1).await;
    store.close().await;
    assert_eq!(install.run(&["verify"]).status.code(), Some(0));

    // Someone with database access drops the guard and rewrites a staff name.
    let store = install.store().await;
    let org = store.organisation_by_code("TY").await.unwrap();
    let target = store
        .events(org.id, None, 500)
        .await
        .unwrap()
        .into_iter()
        .find(|e| e.kind == "staff.created")
        .unwrap();
    let mut tx = store.begin().await.unwrap();
    let drop_guard = match store.backend() {
        Backend::Sqlite => "DROP TRIGGER events_no_update",
        Backend::Postgres => "DROP TRIGGER events_no_change ON events",
    };
    on_tx!(&mut tx, c => sqlx::raw_sql(drop_guard).execute(&mut *c).await.unwrap().rows_affected());
    on_tx!(&mut tx, c => sqlx::query("UPDATE events SET payload = REPLACE(payload, '收费员', '站长') WHERE id = $1")
        .bind(target.id).execute(&mut *c).await.unwrap().rows_affected());
    tx.commit().await.unwrap();
    store.close().await;

    let bad = install.run(&["verify"]);
    assert_eq!(bad.status.code(), Some(1));
    let out = stdout(&bad);
    assert!(out.contains(&format!("at event id {} (seq {})", target.id, target.seq)), "{out}");
    assert!(out.contains("altered"), "{out}");
}

#[tokio::test]
async fn verify_reports_the_first_tampered_event_sqlite() {
    verify_reports_the_first_tampered_event(false).await;
}

#[tokio::test]
async fn verify_reports_the_first_tampered_event_postgres() {
    verify_reports_the_first_tampered_event(true).await;
}

async fn import_and_users_from_the_command_line(pg: bool) {
    let Some(install) = Install::new(pg).await else { return };
    let created =
        install.run(&["org", "create", "--code", "JT", "--name", "交通集团出租车公司", "--pack", "hall"]);
    assert!(created.status.success(), "{}", String::from_utf8_lossy(&created.stderr));
    let units = write(&install.data_dir, "units.csv", "单位编码,单位名称,类型\nC1,一分公司,公司\n");
    assert!(install.run(&["import", "--org", "JT", "--kind", "units", &units]).status.success());

    let bad = write(&install.data_dir, "staff.csv", "工号,姓名,单位编码\n1,张三,C1\n2,李四,C9\n");
    let out = install.run(&["import", "--org", "JT", "--kind", "staff", &bad]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains("staff.csv row 3 column 单位编码"), "{}", stdout(&out));
    let good = write(&install.data_dir, "staff2.csv", "工号,姓名,单位编码\n1,张三,C1\n2,李四,C1\n");
    let out = install.run(&["import", "--org", "JT", "--kind", "staff", &good]);
    assert_eq!(out.status.code(), Some(0));
    assert!(stdout(&out).contains("2 created"));

    let out = install.run(&["user", "create", "--org", "JT", "--username", "Dispatch", "--role", "office"]);
    assert!(out.status.success());
    assert!(stdout(&out).contains("password: "), "a generated password is printed once");
    let out = install.run(&["user", "create", "--org", "JT", "--username", "x", "--role", "emperor"]);
    assert!(!out.status.success());
    let list = stdout(&install.run(&["user", "list", "--org", "JT"]));
    assert!(list.contains("dispatch") && list.contains("office"), "{list}");
    let token = stdout(&install.run(&["user", "token", "--username", "dispatch", "--name", "12345"]));
    assert!(token.contains("ck_"), "{token}");
    let verify = install.run(&["verify"]);
    assert_eq!(verify.status.code(), Some(0), "{}", stdout(&verify));
}

#[tokio::test]
async fn policy_check_names_file_line_and_reason() {
    let Some(install) = Install::new(false).await else { return };
    let good =
        install.run(&["policy", "check", concat!(env!("CARGO_MANIFEST_DIR"), "/../../policy/toll.toml")]);
    assert_eq!(good.status.code(), Some(0), "{}", stdout(&good));
    let text = include_str!("../../../policy/toll.toml").replace("handle = \"48h\"", "handle = \"two days\"");
    let line = text.lines().position(|l| l.contains("two days")).unwrap() + 1;
    let bad = write(&install.data_dir, "toll.toml", &text);
    let out = install.run(&["policy", "check", &bad]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains(&format!("{bad}:{line}: handle: \"two days\"")), "{}", stdout(&out));

    // The same bad pack stops `serve` before it listens.
    std::fs::create_dir_all(install.data_dir.join("calendar")).unwrap();
    std::fs::copy(
        concat!(env!("CARGO_MANIFEST_DIR"), "/../../policy/calendar/cn-2026.toml"),
        install.data_dir.join("calendar/cn-2026.toml"),
    )
    .unwrap();
    let dir = install.data_dir.display().to_string();
    let out = install.run(&["--policy-dir", &dir, "serve", "--listen", "127.0.0.1:0"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains(&format!("toll.toml:{line}")), "{err}");
    assert!(!stdout(&out).contains("listening"));
}

#[tokio::test]
async fn import_and_users_from_the_command_line_sqlite() {
    import_and_users_from_the_command_line(false).await;
}

#[tokio::test]
async fn import_and_users_from_the_command_line_postgres() {
    import_and_users_from_the_command_line(true).await;
}

/// `serve` runs the runtime's workers below the SQLite writer's thread, so
/// that under load a commit is not queued behind request handling.
#[cfg(target_os = "linux")]
#[tokio::test]
async fn serve_runs_its_workers_below_the_sqlite_writer() {
    let install = Install::new(false).await.unwrap();
    let (mut child, _) = common::serve(&install);
    // (thread name, nice value) of every thread of the process.
    let list = || -> Vec<(String, i32)> {
        std::fs::read_dir(format!("/proc/{}/task", child.id()))
            .unwrap()
            .filter_map(|t| {
                let stat = std::fs::read_to_string(t.ok()?.path().join("stat")).ok()?;
                let (name, rest) = stat.split_once(" (")?.1.rsplit_once(") ")?;
                // After the name: state is field 3; nice is field 19.
                Some((name.to_string(), rest.split_whitespace().nth(16)?.parse().ok()?))
            })
            .collect()
    };
    // A thread takes its name once it runs: wait (a while, on a busy machine) for the queues'.
    let named = |t: &[(String, i32)]| {
        ["rating intake q", "case intake que"].iter().all(|q| t.iter().any(|(n, _)| n == q))
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    let mut threads = list();
    while !named(&threads) && std::time::Instant::now() < deadline {
        std::thread::sleep(std::time::Duration::from_millis(50));
        threads = list();
    }
    let _ = child.kill();
    let _ = child.wait();
    let nice_of = |name: &str| threads.iter().filter(|(n, _)| n == name).map(|(_, v)| *v).collect::<Vec<_>>();
    assert_eq!(nice_of("sqlite-writer"), vec![0], "{threads:?}");
    // The intake queues' threads (names cut to 15 bytes by the kernel) too.
    assert_eq!(nice_of("rating intake q"), vec![0], "{threads:?}");
    assert_eq!(nice_of("case intake que"), vec![0], "{threads:?}");
    let workers = nice_of("tokio-rt-worker");
    assert!(!workers.is_empty() && workers.iter().all(|n| *n == 10), "{threads:?}");
}

/// The restore drill: a backup taken while cases are being registered is
/// restored into a fresh folder and verifies there, with the same counts;
/// a copy that does not verify is refused; a data folder without its secret
/// is refused instead of getting a new one.
#[tokio::test]
async fn backup_under_load_restores_and_verifies_and_a_missing_secret_is_refused() {
    let Some(install) = Install::new(false).await else { return };
    assert!(install.run(&["demo"]).status.success());
    // Writers go on while the backup is taken.
    let store = install.store().await;
    let org = store.organisation_by_code("TY").await.unwrap();
    let policies = chuangkou_domain::policy::PolicySet::builtin();
    let writer = {
        let (store, org) = (store.clone(), org.clone());
        tokio::spawn(async move {
            let rules = policies.rules(&org.pack).unwrap();
            for i in 0..60 {
                let nc = chuangkou_store::cases::NewCase {
                    kind: chuangkou_domain::cases::CaseKind::Suggestion,
                    channel: chuangkou_domain::cases::Channel::Hotline,
                    category: "general".into(),
                    track: None,
                    description: format!("建议 {i}"),
                    unit_id: None,
                    service_point_id: None,
                    subject_staff_id: None,
                    plate: None,
                    reporter_name: None,
                    reporter_phone: None,
                    registered_by: None,
                    issue_tracking_code: false,
                    photos: vec![],
                    origin: None,
                };
                store.register_case(&org, rules, &nc, "test").await.unwrap();
            }
        })
    };
    let backup = install.data_dir.join("backup.db");
    let b = install.run(&["backup", backup.to_str().unwrap()]);
    assert!(b.status.success(), "{}{}", stdout(&b), String::from_utf8_lossy(&b.stderr));
    writer.await.unwrap();
    store.close().await;
    // Restore into a fresh folder that holds only the installation's secret.
    let fresh = Install::new(false).await.unwrap();
    std::fs::copy(install.data_dir.join("secret.key"), fresh.data_dir.join("secret.key")).unwrap();
    let r = fresh.run(&["restore", backup.to_str().unwrap()]);
    assert!(r.status.success(), "{}{}", stdout(&r), String::from_utf8_lossy(&r.stderr));
    assert!(stdout(&r).contains("restored"), "{}", stdout(&r));
    let v = fresh.run(&["verify"]);
    assert_eq!(v.status.code(), Some(0), "{}", stdout(&v));
    let restored = fresh.store().await;
    let backed_up = Store::connect(
        &format!("sqlite://{}", backup.display()),
        std::fs::read_to_string(install.data_dir.join("secret.key")).unwrap().trim().as_bytes().to_vec(),
    )
    .await
    .unwrap();
    let cases = |s: &Store| {
        let s = s.clone();
        async move {
            let n: i64 = chuangkou_store::on_read!(&s, c => sqlx::query_scalar("SELECT COUNT(*) FROM cases").fetch_one(c).await).unwrap();
            n
        }
    };
    let (a, b) = (cases(&restored).await, cases(&backed_up).await);
    assert_eq!(a, b, "the restored database holds what the backup held");
    assert!(a >= 5, "the demo's cases at least");
    restored.close().await;
    backed_up.close().await;

    // A backup read with another secret does not verify: refused, nothing changed.
    let other = Install::new(false).await.unwrap();
    std::fs::write(other.data_dir.join("secret.key"), random_token(32)).unwrap();
    let r = other.run(&["restore", backup.to_str().unwrap()]);
    assert_eq!(r.status.code(), Some(1), "{}", stdout(&r));
    assert!(stdout(&r).contains("REFUSED"), "{}", stdout(&r));
    assert!(!other.data_dir.join("chuangkou.db").exists());

    // Without its secret, a data folder with records is refused, not re-keyed.
    std::fs::remove_file(fresh.data_dir.join("secret.key")).unwrap();
    let v = fresh.run(&["verify"]);
    assert_ne!(v.status.code(), Some(0));
    assert!(
        String::from_utf8_lossy(&v.stderr).contains("secret.key is missing"),
        "{}",
        String::from_utf8_lossy(&v.stderr)
    );
    assert!(!fresh.data_dir.join("secret.key").exists(), "no new secret was made");
}

/// A chain cut at its tail and its head rewritten passes the chain walk,
/// but not the signed checkpoint taken before.
async fn checkpoints_catch_a_cut_tail_the_chain_alone_cannot(pg: bool) {
    let Some(install) = Install::new(pg).await else { return };
    assert!(install.run(&["demo"]).status.success());
    let dir = install.data_dir.join("cps");
    let c = install.run(&["checkpoint", "--dir", dir.to_str().unwrap()]);
    assert!(c.status.success(), "{}{}", stdout(&c), String::from_utf8_lossy(&c.stderr));
    assert!(stdout(&c).contains("1 checkpoints written"), "{}", stdout(&c));
    let ok = install.run(&["verify", "--checkpoints", dir.to_str().unwrap()]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("holds its checkpoint"), "{}", stdout(&ok));

    // Someone with database access removes the last three events and moves the head back.
    let store = install.store().await;
    let org = store.organisation_by_code("TY").await.unwrap();
    let events = store.events(org.id, None, 10).await.unwrap();
    let keep = &events[3];
    let mut tx = store.begin().await.unwrap();
    let drop_guard = match store.backend() {
        Backend::Sqlite => "DROP TRIGGER events_no_delete",
        Backend::Postgres => "DROP TRIGGER events_no_change ON events",
    };
    on_tx!(&mut tx, c => sqlx::raw_sql(drop_guard).execute(&mut *c).await.unwrap().rows_affected());
    on_tx!(&mut tx, c => sqlx::query("DELETE FROM events WHERE org_id = $1 AND seq > $2")
        .bind(org.id).bind(keep.seq).execute(&mut *c).await.unwrap().rows_affected());
    on_tx!(&mut tx, c => sqlx::query("UPDATE chain_heads SET seq = $1, head_hash = $2 WHERE org_id = $3")
        .bind(keep.seq).bind(&keep.hash).bind(org.id).execute(&mut *c).await.unwrap().rows_affected());
    // The cut took the latest seal; queueing every row again hides that.
    for t in chuangkou_store::seals::SEALED_TABLES {
        let sql = format!(
            "INSERT INTO unsealed (org_id, tbl, row_id) SELECT org_id, '{0}', id FROM {0} WHERE TRUE ON CONFLICT DO NOTHING",
            t.name
        );
        on_tx!(&mut tx, c => sqlx::raw_sql(sqlx::AssertSqlSafe(sql)).execute(&mut *c).await.unwrap().rows_affected());
    }
    tx.commit().await.unwrap();
    store.close().await;
    let walk = install.run(&["verify"]);
    assert_eq!(walk.status.code(), Some(0), "the chain alone looks whole: {}", stdout(&walk));
    let caught = install.run(&["verify", "--checkpoints", dir.to_str().unwrap()]);
    assert_eq!(caught.status.code(), Some(1), "{}", stdout(&caught));
    assert!(stdout(&caught).contains("behind its checkpoint"), "{}", stdout(&caught));
}

#[tokio::test]
async fn checkpoints_catch_a_cut_tail_the_chain_alone_cannot_sqlite() {
    checkpoints_catch_a_cut_tail_the_chain_alone_cannot(false).await;
}

#[tokio::test]
async fn checkpoints_catch_a_cut_tail_the_chain_alone_cannot_postgres() {
    checkpoints_catch_a_cut_tail_the_chain_alone_cannot(true).await;
}

/// `chuangkou user token … | head -1`: a reader that closes the pipe early
/// ends the command quietly, not with a panic.
#[tokio::test]
async fn a_closed_pipe_ends_the_output_quietly() {
    let Some(install) = Install::new(false).await else { return };
    assert!(install.run(&["demo"]).status.success());
    let mut child = install
        .command(&["user", "token", "--username", "office", "--name", "pipe"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The reader goes away before anything is written.
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert_eq!(out.status.code(), Some(0), "{stderr}");
}

/// Every sector's demo (issue 19: `serve --demo --pack power|bank|…`) is an
/// organisation of its own beside the toll one, in its own pack, with
/// users named after the pack, cases in its categories, a notice, today's
/// roster and a kiosk's facilities; the chains verify.
async fn each_sector_has_a_demo_of_its_own(pg: bool) {
    let Some(install) = Install::new(pg).await else { return };
    for pack in ["toll", "power", "bank", "taxi", "hall", "lock", "bus"] {
        let out = install.run(&["demo", "--pack", pack]);
        assert!(out.status.success(), "{pack}: {}", String::from_utf8_lossy(&out.stderr));
        let text = stdout(&out);
        let office = if pack == "toll" { "office".to_string() } else { format!("{pack}-office") };
        assert!(text.contains(&format!("pack {pack}")) && text.contains(&office), "{text}");
    }
    let again = install.run(&["demo", "--pack", "power"]);
    assert!(stdout(&again).contains("power-office"), "a second start prints the same sign-ins");
    assert!(!install.run(&["demo", "--pack", "castle"]).status.success());
    let store = install.store().await;
    let now = store.now_ms();
    for (code, pack) in
        [("GD", "power"), ("YH", "bank"), ("CZ", "taxi"), ("ZJ", "hall"), ("CZ-LOCK", "lock"), ("KY", "bus")]
    {
        let org = store.organisation_by_code(code).await.unwrap();
        assert_eq!(org.pack, pack);
        let cases = store
            .cases(org.id, &chuangkou_store::cases::CaseFilter { limit: 10, ..Default::default() })
            .await
            .unwrap();
        assert_eq!(cases.len(), 2, "{pack}");
        assert_eq!(store.public_notices(org.id, None, now).await.unwrap().len(), 1, "{pack}");
        let on_duty = store.shifts(org.id, None, now, now + 1).await.unwrap();
        assert!(!on_duty.is_empty(), "{pack}: someone is on duty now");
        assert_eq!(store.facilities(org.id, None).await.unwrap().len(), 5, "{pack}");
        assert!(store.user_by_username(&format!("{pack}-office")).await.unwrap().org_id == org.id);
    }
    // The power demo's fault report is a help request on 95598.
    let power = store.organisation_by_code("GD").await.unwrap();
    let cases = store
        .cases(power.id, &chuangkou_store::cases::CaseFilter { limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert!(
        cases.iter().any(|c| c.channel == "95598" && c.track == "fault_repair"),
        "{:?}",
        cases.iter().map(|c| (&c.channel, &c.track)).collect::<Vec<_>>()
    );
    store.close().await;
    let ok = install.run(&["verify"]);
    assert_eq!(ok.status.code(), Some(0), "{}", stdout(&ok));
    assert!(stdout(&ok).contains("in 7 organisation chains"), "{}", stdout(&ok));
}

#[tokio::test]
async fn each_sector_has_a_demo_of_its_own_sqlite() {
    each_sector_has_a_demo_of_its_own(false).await;
}

#[tokio::test]
async fn each_sector_has_a_demo_of_its_own_postgres() {
    each_sector_has_a_demo_of_its_own(true).await;
}

/// With the debug log of the web and store crates on, a request's line
/// names its request id and route, and the store's use case under it closes
/// with its own time: a slow request can be broken down from the log
/// (issue 22 point 5).
#[tokio::test]
async fn a_slow_request_can_be_broken_down_from_the_debug_log() {
    use std::io::{Read, Write};
    let install = Install::new(false).await.unwrap();
    assert!(
        install
            .run(&["org", "create", "--code", "TY", "--name", "太原高速", "--pack", "toll"])
            .status
            .success()
    );
    assert!(
        install
            .run(&["user", "create", "--org", "TY", "--username", "lead", "--role", "leader"])
            .status
            .success()
    );
    let token = stdout(&install.run(&["user", "token", "--username", "lead", "--name", "log"]));
    let token = token.split_whitespace().find(|w| w.starts_with("ck_")).expect("a token").to_string();
    let log_path = install.data_dir.join("serve.log");
    let mut child = install
        .command(&["serve", "--listen", "127.0.0.1:0"])
        .env("CHUANGKOU_LOG", "info,chuangkou_web=debug,chuangkou_store=debug")
        .stdout(std::process::Stdio::piped())
        .stderr(std::fs::File::create(&log_path).unwrap())
        .spawn()
        .unwrap();
    let mut out = std::io::BufReader::new(child.stdout.take().unwrap());
    let addr = std::io::BufRead::lines(&mut out)
        .map_while(Result::ok)
        .find_map(|l| l.split_once("listening on http://").map(|(_, a)| a.trim().to_string()))
        .expect("serve did not start");
    let mut s = std::net::TcpStream::connect(&addr).unwrap();
    write!(
        s,
        "GET /api/v1/indicators HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nX-Request-Id: slow-1\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    s.read_to_string(&mut answer).unwrap();
    // A span's closing line is written when its last reference goes, which
    // can be just after the answer is sent: wait for it (up to 10 s)
    // rather than stop the server under it.
    let mut log = String::new();
    for _ in 0..100 {
        log = std::fs::read_to_string(&log_path).unwrap();
        if log
            .lines()
            .any(|l| l.contains("request_id=\"slow-1\"") && l.contains("chuangkou_store::indicators"))
        {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    let _ = child.kill();
    let _ = child.wait();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(!log.contains('\u{1b}'), "no terminal colours in a log file");
    let closes: Vec<&str> = log.lines().filter(|l| l.contains("request_id=\"slow-1\"")).collect();
    assert!(
        closes.iter().any(|l| l.contains("chuangkou_store::indicators")
            && l.contains("close")
            && l.contains("time.busy")),
        "the store's use case closes under the request: {log}"
    );
    assert!(
        closes.iter().any(|l| l.contains("route=\"/api/v1/indicators\"")
            && l.contains("frame")
            && l.contains("close")),
        "the request itself closes with its time: {log}"
    );
    assert!(!log.contains(&token), "no secret in the log");
}

/// `bench sweep`, small: every due timer fires once with intake and an
/// admin writer beside the sweep — on PostgreSQL with two instances
/// sweeping at once (issue 23 point 2). The benchmark checks itself and
/// exits 1 on a timer left, a deadline recorded twice, a broken chain or a
/// starved admin write.
#[tokio::test]
async fn the_sweep_fires_each_timer_once_beside_other_writers() {
    let run = |args: &[&str]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_chuangkou"))
            .args(["bench", "sweep", "--timers", "1400", "--clients", "2"])
            .args(args)
            .env("CHUANGKOU_LOG", "error")
            .output()
            .unwrap();
        let text = stdout(&out);
        assert_eq!(out.status.code(), Some(0), "{text}{}", String::from_utf8_lossy(&out.stderr));
        text
    };
    let text = run(&["--backend", "sqlite"]);
    assert!(text.contains("sweep:        1400 timers fired"), "{text}");
    assert!(text.contains("written:      400 overdue events"), "{text}");
    assert!(text.contains("0 failed") && text.contains("chain:        unbroken"), "{text}");
    if Install::new(true).await.is_some() {
        let text = run(&["--backend", "postgres", "--sweepers", "2"]);
        assert!(
            text.contains("sweep:        1400 timers fired") && text.contains("400 overdue events"),
            "{text}"
        );
    }
}

#[tokio::test]
async fn a_read_replica_beside_sqlite_is_refused_before_anything_is_created() {
    let install = common::Install::new(false).await.unwrap();
    let out = install.run(&["--database-read-url", "postgres://127.0.0.1:1/x", "migrate"]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("CHUANGKOU_DATABASE_READ_URL names a PostgreSQL standby"), "{err}");
    assert!(!install.data_dir.join("chuangkou.db").exists(), "no database created");
    assert!(!install.data_dir.join("secret.key").exists(), "no secret written");
}
