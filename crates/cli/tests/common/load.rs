//! Mixed load over HTTP and the check that each acknowledged write is
//! stored exactly once: shared by the crash drill and the several-instances
//! test.

// Each test crate uses a part of it.
#![allow(dead_code)]

use chuangkou_domain::StaffId;
use std::io::{Read, Write};
use std::net::TcpStream;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chuangkou_store::testing::PNG;
use chuangkou_store::{Backend, Store, on_read};
use serde_json::{Value, json};

use crate::common::Install;

/// A write the server acknowledged: what to look for after the kill.
#[derive(Debug, Clone)]
pub enum Acked {
    Case { id: i64, marker: String },
    Rating { id: i64, marker: String },
    Fact { marker: String },
    Decision { entry: i64 },
    Inspection { id: i64, marker: String },
    Photo { id: i64 },
}

/// One HTTP/1.1 request on its own connection; `None` when the server is
/// gone before it answered.
pub fn http(
    addr: &str,
    method: &str,
    path: &str,
    token: Option<&str>,
    ct: &str,
    body: &[u8],
) -> Option<(u16, Value)> {
    let auth = token.map(|t| format!("Authorization: Bearer {t}\r\n")).unwrap_or_default();
    let (status, _, body) = request(addr, method, path, &auth, ct, body)?;
    Some((status, serde_json::from_str(&body).unwrap_or(Value::Null)))
}

/// One HTTP/1.1 request with `headers` (each ending in CRLF); answers the
/// status, the head and the body.
pub fn request(
    addr: &str,
    method: &str,
    path: &str,
    headers: &str,
    ct: &str,
    body: &[u8],
) -> Option<(u16, String, String)> {
    let mut s = TcpStream::connect(addr).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(30))).ok()?;
    let head = format!(
        "{method} {path} HTTP/1.1\r\nHost: {addr}\r\n{headers}Content-Type: {ct}\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    s.write_all(head.as_bytes()).ok()?;
    s.write_all(body).ok()?;
    let mut raw = Vec::new();
    s.read_to_end(&mut raw).ok()?;
    let text = String::from_utf8_lossy(&raw);
    let status: u16 = text.split_whitespace().nth(1)?.parse().ok()?;
    let (head, body) = text.split_once("\r\n\r\n").unwrap_or((&text, ""));
    Some((status, head.to_string(), body.to_string()))
}

pub fn post(addr: &str, path: &str, token: Option<&str>, body: Value) -> Option<(u16, Value)> {
    http(addr, "POST", path, token, "application/json", body.to_string().as_bytes())
}

pub struct Load {
    pub office: String,
    pub leader: String,
    pub supervisor: String,
    pub point: String,
    pub staff_id: StaffId,
}

/// One client's loop until `stop`: its kind of write, again and again.
pub fn client(
    kind: usize,
    addr: String,
    load: Arc<Load>,
    stop: Arc<AtomicBool>,
    acked: Arc<Mutex<Vec<Acked>>>,
) {
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
pub async fn check(store: &Store, acked: &[Acked]) -> Vec<String> {
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

pub fn token(install: &Install, username: &str) -> String {
    let out = install.run(&["user", "token", "--username", username, "--name", "load"]);
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let line = text.lines().find(|l| l.starts_with("token ")).unwrap_or_else(|| panic!("no token: {text}"));
    line.rsplit(' ').next().unwrap().to_string()
}

/// The demo's organisation, a service point, a staff member and the
/// office's, leader's and supervisor's tokens: what [`client`] needs.
pub async fn prepare(install: &Install) -> Load {
    let store = install.store().await;
    let org = store.organisation_by_code("TY").await.unwrap();
    let point: String = on_read!(store, c => sqlx::query_scalar(
        "SELECT public_token FROM service_points WHERE org_id = $1 ORDER BY id LIMIT 1").bind(org.id).fetch_one(c).await)
    .unwrap();
    let staff_id: StaffId = on_read!(store, c => sqlx::query_scalar(
        "SELECT id FROM staff WHERE org_id = $1 AND employee_no = 'S0111'").bind(org.id).fetch_one(c).await)
    .unwrap();
    store.close().await;
    Load {
        office: token(install, "office"),
        leader: token(install, "leader"),
        supervisor: token(install, "supervisor"),
        point,
        staff_id,
    }
}
