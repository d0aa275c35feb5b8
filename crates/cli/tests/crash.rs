//! The crash drill (issue 17, point 7): `serve` is killed with SIGKILL at a
//! random moment under mixed load — cases, ratings, ledger facts and
//! decisions, inspections with photos — cycle after cycle, on SQLite and on
//! PostgreSQL. After each kill every write that was acknowledged is stored
//! exactly once, the database passes its integrity check, and `verify`
//! passes (chains and rows of record). A negative control shows the checker
//! notices a write that was acknowledged and then lost.
// Tests: a panic is the failure report, and a test may wait on real time.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chuangkou_store::testing::PNG;
use chuangkou_store::{Backend, Store, on_read, on_tx};
use rand::Rng;
use serde_json::{Value, json};

mod common;
use common::Install;

/// A write the server acknowledged: what to look for after the kill.
#[derive(Debug, Clone)]
enum Acked {
    Case { id: i64, marker: String },
    Rating { id: i64, marker: String },
    Fact { marker: String },
    Decision { entry: i64 },
    Inspection { id: i64, marker: String },
    Photo { id: i64 },
}

/// One HTTP/1.1 request on its own connection; `None` when the server is
/// gone before it answered.
fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    ct: &str,
    body: &[u8],
) -> Option<(u16, Value)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{auth}Content-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw);
    let status: u16 = text.split_whitespace().nth(1)?.parse().ok()?;
    let body = text.split_once("\r\n\r\n").map_or("", |(_, b)| b);
    Some((status, serde_json::from_str(body).unwrap_or(Value::Null)))
}

fn post(addr: &str, path: &str, token: Option<&str>, body: Value) -> Option<(u16, Value)> {
    http(addr, "POST", path, token, "application/json", body.to_string().as_bytes())
}

struct Load {
    office: String,
    leader: String,
    supervisor: String,
    point: String,
    staff_id: i64,
}

/// One client's loop until `stop`: its kind of write, again and again.
fn client(kind: usize, addr: String, load: Arc<Load>, stop: Arc<AtomicBool>, acked: Arc<Mutex<Vec<Acked>>>) {
    let mut n = 0;
    while !stop.load(Ordering::Relaxed) {
        n += 1;
        let marker = format!("crash-{}-{kind}-{n}", chuangkou_store::random_token(4));
        let got: Vec<Acked> = match kind {
            0 => {
                let body = json!({"kind": "complaint", "category": "attitude", "description": marker});
                match post(&addr, "/api/v1/cases", Some(&load.office), body) {
                    Some((201, v)) => vec![Acked::Case { id: v["id"].as_i64().unwrap(), marker }],
                    _ => vec![],
                }
            }
            1 => {
                let level = if n % 4 == 0 { 1 } else { 5 };
                let body = json!({"point": load.point, "level": level, "device": marker, "comment": marker});
                match post(&addr, "/api/v1/ratings", None, body) {
                    Some((201, v)) => vec![Acked::Rating { id: v["id"].as_i64().unwrap(), marker }],
                    _ => vec![],
                }
            }
            2 => {
                let fact = json!({"kind": "violation", "staff_id": load.staff_id, "rule_code": "TY-U1", "note": marker});
                match post(&addr, "/api/v1/ledger/facts", Some(&load.office), fact) {
                    Some((201, v)) => {
                        let mut out = vec![Acked::Fact { marker }];
                        if let Some(entry) =
                            v["proposed"].as_array().and_then(|p| p.first()).and_then(Value::as_i64)
                        {
                            let path = format!("/api/v1/ledger/entries/{entry}/decision");
                            if let Some((200, _)) =
                                post(&addr, &path, Some(&load.leader), json!({"approve": true}))
                            {
                                out.push(Acked::Decision { entry });
                            }
                        }
                        out
                    }
                    _ => vec![],
                }
            }
            _ => {
                let body = json!({"target_kind": "staff", "target_id": load.staff_id, "summary": marker,
                    "items": [{"rule_code": "TY-U1", "result": "pass"}]});
                match post(&addr, "/api/v1/inspections", Some(&load.supervisor), body) {
                    Some((201, v)) => {
                        let id = v["id"].as_i64().unwrap();
                        let mut out = vec![Acked::Inspection { id, marker }];
                        let item = http(
                            &addr,
                            "GET",
                            &format!("/api/v1/inspections/{id}"),
                            Some(&load.supervisor),
                            "application/json",
                            b"",
                        )
                        .and_then(|(_, v)| v["items"][0]["id"].as_i64());
                        if let Some(item) = item {
                            let path = format!("/api/v1/inspections/{id}/items/{item}/photos");
                            if let Some((201, v)) =
                                http(&addr, "POST", &path, Some(&load.supervisor), "image/png", PNG)
                            {
                                out.push(Acked::Photo { id: v["id"].as_i64().unwrap() });
                            }
                        }
                        out
                    }
                    _ => vec![],
                }
            }
        };
        acked.lock().unwrap().extend(got);
    }
}

/// What is wrong with the database after a kill: acknowledged writes not
/// stored exactly once; an integrity check or `verify` that fails.
async fn check(store: &Store, acked: &[Acked]) -> Vec<String> {
    let mut wrong = Vec::new();
    for a in acked {
        let (sql, bind, want): (&str, String, Option<i64>) = match a {
            Acked::Case { id, marker } => {
                ("SELECT id FROM cases WHERE description = $1", marker.clone(), Some(*id))
            }
            Acked::Rating { id, marker } => {
                ("SELECT id FROM ratings WHERE comment = $1", marker.clone(), Some(*id))
            }
            Acked::Fact { marker } => ("SELECT id FROM facts WHERE note = $1", marker.clone(), None),
            Acked::Decision { entry } => (
                "SELECT id FROM ledger_entries WHERE CAST(id AS TEXT) = $1 AND status = 'approved'",
                entry.to_string(),
                Some(*entry),
            ),
            Acked::Inspection { id, marker } => {
                ("SELECT id FROM inspections WHERE summary = $1", marker.clone(), Some(*id))
            }
            Acked::Photo { id } => {
                ("SELECT id FROM inspection_photos WHERE CAST(id AS TEXT) = $1", id.to_string(), Some(*id))
            }
        };
        let found: Vec<i64> =
            on_read!(store, c => sqlx::query_scalar(sql).bind(&bind).fetch_all(c).await).unwrap();
        let ok = found.len() == 1 && want.is_none_or(|w| found[0] == w);
        if !ok {
            wrong.push(format!("acknowledged {a:?}, stored {found:?}"));
        }
    }
    if store.backend() == Backend::Sqlite {
        let integrity: String =
            on_read!(store, c => sqlx::query_scalar("PRAGMA integrity_check").fetch_one(c).await).unwrap();
        if integrity != "ok" {
            wrong.push(format!("integrity_check: {integrity}"));
        }
    }
    let report = store.verify().await.unwrap();
    if !report.ok() {
        wrong.push(format!("verify: {:?} {:?}", report.broken, report.rows));
    }
    wrong
}

fn token(install: &Install, username: &str) -> String {
    let out = install.run(&["user", "token", "--username", username, "--name", "crash-drill"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = text.lines().find(|l| l.starts_with("token ")).unwrap_or_else(|| panic!("no token: {text}"));
    line.rsplit(' ').next().unwrap().to_string()
}

async fn crash_drill(pg: bool, cycles: usize) {
    let Some(install) = Install::new(pg).await else { return };
    assert!(install.run(&["demo"]).status.success());
    let store = install.store().await;
    let org = store.organisation_by_code("TY").await.unwrap();
    let point: String = on_read!(store, c => sqlx::query_scalar(
        "SELECT public_token FROM service_points WHERE org_id = $1 ORDER BY id LIMIT 1").bind(org.id).fetch_one(c).await)
    .unwrap();
    let staff_id: i64 = on_read!(store, c => sqlx::query_scalar(
        "SELECT id FROM staff WHERE org_id = $1 AND employee_no = 'S0111'").bind(org.id).fetch_one(c).await)
    .unwrap();
    store.close().await;
    let load = Arc::new(Load {
        office: token(&install, "office"),
        leader: token(&install, "leader"),
        supervisor: token(&install, "supervisor"),
        point,
        staff_id,
    });
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
