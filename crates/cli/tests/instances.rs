//! Several instances (issue 23 point 5): three `serve` processes on one
//! PostgreSQL database, with mixed load spread over them. Every
//! acknowledged write is stored once and the organisation's chain stays
//! unbroken; each due timer fires once and each SMS goes out once, though
//! all three sweep and send; the hourly rating limit and the tracking-code
//! guessing limit hold across instances; a session signed in on one is
//! valid on the others; a month closed on one is closed for all.
// Tests: a panic is the failure report, and a test may wait on real time.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::collections::HashMap;
use std::io::{Read, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Datelike;
use chuangkou_store::on_read;
use serde_json::{Value, json};

mod common;
#[path = "common/load.rs"]
mod load;
use common::Install;
use load::{Acked, check, client, post, request};

const INSTANCES: usize = 3;

/// An SMS gateway on a free port: answers 200 to every `POST` and keeps
/// the JSON bodies it was given.
fn gateway() -> (String, Arc<Mutex<Vec<Value>>>) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/sms", listener.local_addr().unwrap());
    let got = Arc::new(Mutex::new(Vec::new()));
    let kept = got.clone();
    std::thread::spawn(move || {
        for s in listener.incoming() {
            let Ok(mut s) = s else { continue };
            let mut raw = Vec::new();
            let mut buf = [0u8; 4096];
            // Reads the head, then as much body as it announces.
            let body = loop {
                let Ok(n) = s.read(&mut buf) else { break None };
                if n == 0 {
                    break None;
                }
                raw.extend_from_slice(&buf[..n]);
                let text = String::from_utf8_lossy(&raw).into_owned();
                if let Some((head, body)) = text.split_once("\r\n\r\n") {
                    let length = head
                        .lines()
                        .find_map(|l| {
                            let (k, v) = l.split_once(':')?;
                            k.eq_ignore_ascii_case("content-length")
                                .then(|| v.trim().parse::<usize>().ok())?
                        })
                        .unwrap_or(0);
                    if body.len() >= length {
                        break Some(body.to_string());
                    }
                }
            };
            if let Some(body) = body {
                kept.lock().unwrap().push(serde_json::from_str(&body).unwrap_or(Value::Null));
            }
            let _ = s.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
        }
    });
    (url, got)
}

/// A form post from a browser with the form token `csrf` (double submit)
/// and optional session cookie: answers status and head.
fn form(addr: &str, path: &str, csrf: &str, session: Option<&str>, fields: &str) -> (u16, String) {
    let cookie = match session {
        Some(s) => format!("Cookie: ck_csrf={csrf}; ck_session={s}\r\n"),
        None => format!("Cookie: ck_csrf={csrf}\r\n"),
    };
    let body = format!("{fields}&_csrf={csrf}");
    let (status, head, _) =
        request(addr, "POST", path, &cookie, "application/x-www-form-urlencoded", body.as_bytes()).unwrap();
    (status, head)
}

/// nginx in front of the instances with `deploy/nginx/chuangkou-proxy.conf`,
/// on a free port of loopback; stopped when dropped.
struct Nginx {
    child: std::process::Child,
    addr: String,
}

impl Nginx {
    fn start(install: &Install, upstreams: &[String]) -> Option<Nginx> {
        let bin =
            ["/usr/sbin/nginx", "/usr/bin/nginx"].into_iter().find(|p| std::path::Path::new(p).exists())?;
        let dir = install.data_dir.join("nginx");
        std::fs::create_dir_all(&dir).unwrap();
        let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let shared = concat!(env!("CARGO_MANIFEST_DIR"), "/../../deploy/nginx/chuangkou-proxy.conf");
        let servers: String =
            upstreams.iter().map(|a| format!("server {a} max_fails=1 fail_timeout=10s;\n")).collect();
        let d = dir.display();
        let conf = format!(
            "worker_processes 1;\npid {d}/nginx.pid;\nerror_log {d}/error.log;\nevents {{ worker_connections 256; }}\n\
             http {{\n access_log off;\n client_body_temp_path {d}/body;\n proxy_temp_path {d}/proxy;\n\
             fastcgi_temp_path {d}/fastcgi;\n uwsgi_temp_path {d}/uwsgi;\n scgi_temp_path {d}/scgi;\n\
             upstream chuangkou {{\n{servers} keepalive 8;\n }}\n\
             server {{\n listen 127.0.0.1:{port};\n include {shared};\n }}\n}}\n"
        );
        std::fs::write(dir.join("nginx.conf"), conf).unwrap();
        let child = std::process::Command::new(bin)
            .args(["-p", &d.to_string(), "-c", &format!("{d}/nginx.conf"), "-g", "daemon off;"])
            .spawn()
            .unwrap();
        let nginx = Nginx { child, addr: format!("127.0.0.1:{port}") };
        let deadline = Instant::now() + Duration::from_secs(10);
        while request(&nginx.addr, "GET", "/healthz", "", "text/plain", b"").is_none() {
            assert!(
                Instant::now() < deadline,
                "nginx did not start: {:?}",
                std::fs::read_to_string(dir.join("error.log"))
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(nginx)
    }
}

impl Drop for Nginx {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

async fn scalar(store: &chuangkou_store::Store, sql: &'static str) -> i64 {
    on_read!(store, c => sqlx::query_scalar::<_, i64>(sql).fetch_one(c).await).unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn three_instances_on_one_postgresql_database_act_as_one() {
    let Some(install) = Install::new(true).await else { return };
    assert!(install.run(&["demo"]).status.success());
    let password = "Three-Instances-2026";
    assert!(
        install.run(&["user", "passwd", "--username", "leader", "--password", password]).status.success()
    );
    let load = Arc::new(load::prepare(&install).await);
    // Every open timer of the demo falls due now, for the three sweepers to race on.
    let store = install.store().await;
    let now = chrono::Utc::now().timestamp_millis();
    on_read!(store, c => sqlx::query("UPDATE timers SET due_at = $1 WHERE fired_at IS NULL").bind(now - 1000)
        .execute(c).await.map(|r| r.rows_affected()))
    .unwrap();
    let due = scalar(&store, "SELECT COUNT(*) FROM timers WHERE fired_at IS NULL").await;
    assert!(due > 0, "the demo has open timers");

    let (sms_url, sms) = gateway();
    let mut children = Vec::new();
    let mut addrs = Vec::new();
    for _ in 0..INSTANCES {
        let mut cmd = install.command(&[
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--sweep-ms",
            "200",
            "--trusted-proxy",
            "127.0.0.1",
        ]);
        // Three instances of eight connections each, under PostgreSQL's limit together.
        cmd.env("CHUANGKOU_SMS_WEBHOOK", &sms_url)
            .env("CHUANGKOU_DB_CONNECTIONS", "8")
            .stdout(std::process::Stdio::piped());
        let (child, addr) = common::serve_with(cmd);
        children.push(child);
        addrs.push(addr);
    }

    // The hourly limit of a device (10 in the toll pack), tried 15 times at
    // once, round the instances: ten are taken.
    let tries: Vec<_> = (0..15)
        .map(|n| {
            let (addr, point) = (addrs[n % INSTANCES].clone(), load.point.clone());
            std::thread::spawn(move || {
                let body = json!({"point": point, "level": 5, "device": "one-phone"});
                post(&addr, "/api/v1/ratings", None, body).unwrap().0
            })
        })
        .collect();
    let statuses: Vec<u16> = tries.into_iter().map(|t| t.join().unwrap()).collect();
    assert_eq!(statuses.iter().filter(|s| **s == 201).count(), 10, "{statuses:?}");
    assert_eq!(statuses.iter().filter(|s| **s == 429).count(), 5, "{statuses:?}");

    // The tracking-code guessing limit (10 failures) across instances: a
    // bad rating's case, guessed at round the instances, then the right code.
    let (_, rated) =
        post(&addrs[0], "/api/v1/ratings", None, json!({"point": load.point, "level": 1, "device": "angry"}))
            .unwrap();
    let (number, code) =
        (rated["case"]["number"].as_str().unwrap(), rated["case"]["tracking_code"].as_str().unwrap());
    let track = |n: usize, code: &str| {
        post(&addrs[n % INSTANCES], "/api/v1/public/track", None, json!({"number": number, "code": code}))
            .unwrap()
            .0
    };
    assert_eq!(track(1, code), 200, "the right code, on another instance");
    for n in 0..10 {
        assert_eq!(track(n, "AAAAAAAA"), 404, "guess {n}");
    }
    assert_eq!(track(2, code), 429, "the eleventh attempt, right or not, waits");

    // Behind nginx with the shipped proxy configuration: each network its
    // own guessing limit (the proxy passes the client's address on), and
    // /metrics kept from the public.
    match Nginx::start(&install, &addrs) {
        Some(nginx) => {
            let through = |network: &str, code: &str| {
                let xff = format!("X-Forwarded-For: {network}\r\n");
                let body = json!({"number": number, "code": code}).to_string();
                request(
                    &nginx.addr,
                    "POST",
                    "/api/v1/public/track",
                    &xff,
                    "application/json",
                    body.as_bytes(),
                )
                .unwrap()
                .0
            };
            for n in 0..10 {
                assert_eq!(through("198.51.100.1", "AAAAAAAA"), 404, "guess {n} through the proxy");
            }
            assert_eq!(through("198.51.100.1", code), 429, "that network waits");
            assert_eq!(through("198.51.100.2", code), 200, "another network is not held up");
            let get = |addr: &str, path: &str| request(addr, "GET", path, "", "text/plain", b"").unwrap().0;
            assert_eq!(get(&nginx.addr, "/metrics"), 404, "not through the proxy");
            assert_eq!(get(&addrs[0], "/metrics"), 200, "on the instance, from this machine");
            let (_, _, metrics) = request(&addrs[0], "GET", "/metrics", "", "text/plain", b"").unwrap();
            assert!(metrics.contains("\nchuangkou_db_connections{state=\"max\"} 8\n"), "{metrics}");
            assert_eq!(get(&nginx.addr, "/healthz"), 200);
        }
        None if std::env::var("CI").as_deref() == Ok("true") => {
            panic!("nginx is missing: scripts/ensure-deps installs it");
        }
        None => {
            println!("nginx is not installed (scripts/ensure-deps installs it): the proxy part was skipped");
        }
    }

    // A session signed in on one instance is valid on the others.
    let csrf = "x".repeat(32);
    let (status, head) =
        form(&addrs[0], "/login", &csrf, None, &format!("username=leader&password={password}"));
    assert_eq!(status, 303, "{head}");
    let session = head
        .lines()
        .find_map(|l| l.split_once("ck_session=").map(|(_, v)| v.split(';').next().unwrap().to_string()))
        .unwrap();
    for addr in &addrs {
        let cookie = format!("Cookie: ck_session={session}\r\n");
        let (status, _, body) = request(addr, "GET", "/console/home", &cookie, "text/plain", b"").unwrap();
        assert_eq!(status, 200, "signed in on {addr}");
        assert!(body.contains("退出") || body.contains("logout"), "the console, not the login page");
    }

    // Mixed load round the instances: cases, ratings, facts and decisions,
    // inspections with photos.
    let stop = Arc::new(AtomicBool::new(false));
    let acked = Arc::new(Mutex::new(Vec::new()));
    let clients: Vec<_> = (0..8)
        .map(|k| {
            let (addr, load, stop, acked) =
                (addrs[k % INSTANCES].clone(), load.clone(), stop.clone(), acked.clone());
            std::thread::spawn(move || client(k % 4, addr, load, stop, acked))
        })
        .collect();
    // Meanwhile the leader closes last month on all three at once: once.
    let month = {
        let today = chrono::Utc::now().date_naive();
        (today - chrono::Days::new(u64::from(today.day()))).format("%Y-%m").to_string()
    };
    let closes: Vec<_> = addrs
        .iter()
        .map(|addr| {
            let (addr, leader, month) = (addr.clone(), load.leader.clone(), month.clone());
            std::thread::spawn(move || {
                post(&addr, "/api/v1/assessment/close", Some(&leader), json!({"month": month})).unwrap().0
            })
        })
        .collect();
    let mut closed: Vec<u16> = closes.into_iter().map(|t| t.join().unwrap()).collect();
    closed.sort_unstable();
    assert_eq!(closed, vec![201, 409, 409], "closed once");
    std::thread::sleep(Duration::from_secs(3));
    stop.store(true, Ordering::Relaxed);
    for c in clients {
        c.join().unwrap();
    }
    for addr in &addrs {
        let (status, v) = load::http(
            addr,
            "GET",
            &format!("/api/v1/assessment?month={month}"),
            Some(&load.leader),
            "application/json",
            b"",
        )
        .unwrap();
        assert_eq!(status, 200);
        assert_eq!(v["closed"], true, "{addr}: {v}");
    }

    // The three sweep and send until nothing is due or waiting.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = scalar(&store, "SELECT COUNT(*) FROM timers WHERE fired_at IS NULL AND due_at <= (SELECT MAX(due_at) FROM timers WHERE fired_at IS NOT NULL)").await;
        let waiting = scalar(
            &store,
            "SELECT COUNT(*) FROM outbox WHERE channel = 'sms' AND sent_at IS NULL AND attempts < 10",
        )
        .await;
        if left == 0 && waiting == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "{left} timers and {waiting} SMS still due after a minute");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    for mut c in children {
        c.kill().unwrap();
        c.wait().unwrap();
    }

    let acked: Vec<Acked> = acked.lock().unwrap().clone();
    assert!(acked.len() > 20, "the load ran: {} writes", acked.len());
    let wrong = check(&store, &acked).await;
    assert!(wrong.is_empty(), "{wrong:#?}");
    let twice = scalar(
        &store,
        "SELECT COUNT(*) FROM (SELECT subject_id, payload FROM events WHERE kind IN ('case.overdue', 'case.escalated')
         GROUP BY kind, subject_id, payload HAVING COUNT(*) > 1) d",
    )
    .await;
    assert_eq!(twice, 0, "a deadline recorded twice");
    let fired =
        scalar(&store, "SELECT COUNT(*) FROM events WHERE kind IN ('case.overdue', 'case.escalated')").await;
    assert!(fired > 0, "the timers fired");
    // Each SMS went out once: every message the gateway got is a sent one,
    // none came twice, and none that was sent is missing.
    let got = sms.lock().unwrap().clone();
    let mut per_id: HashMap<i64, usize> = HashMap::new();
    for m in &got {
        *per_id.entry(m["id"].as_i64().unwrap()).or_default() += 1;
    }
    let sent =
        scalar(&store, "SELECT COUNT(*) FROM outbox WHERE channel = 'sms' AND sent_at IS NOT NULL").await;
    assert!(sent > 0, "SMS were sent");
    assert!(per_id.values().all(|n| *n == 1), "an SMS went out twice: {per_id:?}");
    assert_eq!(per_id.len() as i64, sent);
    // The limits are shared in the database, not kept by one process.
    assert!(scalar(&store, "SELECT COUNT(*) FROM rate_counts").await > 0);
    println!(
        "{INSTANCES} instances: {} acknowledged writes each stored once, {due} timers fired once ({fired} events), {sent} SMS sent once",
        acked.len()
    );
}
