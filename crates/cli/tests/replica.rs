//! A read replica (issue 23 point 6): a PostgreSQL primary and a streaming
//! hot standby of it, made here with Debian's own `initdb`,
//! `pg_basebackup` and `pg_ctl` on ports of their own, and `serve` with
//! `--database-read-url` on the standby. Searches and the indicators are
//! answered from the standby (a search does not find a case while the
//! standby's replay is paused, and finds it once replay resumes); what was
//! just written is read from the primary; `/metrics` shows the standby's
//! lag; with the standby down, reads fall back to the primary.
// Tests: a panic is the failure report, and a test may wait on real time.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use serde_json::{Value, json};
use sqlx::Connection;

mod common;
#[path = "common/load.rs"]
mod load;
use common::Install;
use load::{http, post, request, token};

/// Debian's PostgreSQL programs, if installed.
fn pg_bin() -> Option<PathBuf> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|e| e.ok().map(|e| e.path().join("bin")))
        .filter(|b| b.join("initdb").exists() && b.join("pg_basebackup").exists())
        .collect();
    dirs.sort();
    dirs.pop()
}

/// Runs a PostgreSQL program as the `postgres` user when we are root
/// (they refuse to run as root).
fn pg(bin: &Path, program: &str, args: &[&str]) {
    let out = if is_root() {
        Command::new("runuser").arg("-u").arg("postgres").arg("--").arg(bin.join(program)).args(args).output()
    } else {
        Command::new(bin.join(program)).args(args).output()
    }
    .unwrap();
    assert!(
        out.status.success(),
        "{program} {args:?}: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Whether this process runs as root (from /proc, without unsafe code).
fn is_root() -> bool {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("Uid:")).map(|l| l.split_whitespace().nth(1) == Some("0"))
        })
        .unwrap_or(false)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

/// A primary and its hot standby in `dir`; stopped when dropped.
struct Pair {
    bin: PathBuf,
    dir: PathBuf,
    primary: u16,
    standby: u16,
}

impl Pair {
    fn start(bin: PathBuf) -> Pair {
        let dir =
            std::env::temp_dir().join(format!("chuangkou-replica-{}", chuangkou_store::random_token(4)));
        std::fs::create_dir_all(&dir).unwrap();
        if is_root() {
            assert!(Command::new("chown").arg("postgres:postgres").arg(&dir).status().unwrap().success());
        }
        let (primary, standby) = (free_port(), free_port());
        let p = dir.join("primary");
        let s = dir.join("standby");
        let d = |p: &Path| p.display().to_string();
        pg(
            &bin,
            "initdb",
            &["-D", &d(&p), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--locale=C.UTF-8"],
        );
        let conf = format!(
            "port = {primary}\nlisten_addresses = '127.0.0.1'\nunix_socket_directories = '{}'\nwal_level = replica\nmax_wal_senders = 4\nhot_standby = on\nfsync = off\n",
            d(&dir)
        );
        append(&p.join("postgresql.conf"), &conf);
        let pair = Pair { bin: bin.clone(), dir: dir.clone(), primary, standby };
        pg(&bin, "pg_ctl", &["-D", &d(&p), "-l", &d(&dir.join("primary.log")), "-w", "start"]);
        // The standby: a base backup that streams from the primary (-R
        // writes its primary_conninfo and standby.signal).
        let port = primary.to_string();
        pg(
            &bin,
            "pg_basebackup",
            &["-h", "127.0.0.1", "-p", &port, "-U", "postgres", "-D", &d(&s), "-R", "-X", "stream"],
        );
        append(&s.join("postgresql.conf"), &format!("port = {standby}\n"));
        pg(&bin, "pg_ctl", &["-D", &d(&s), "-l", &d(&dir.join("standby.log")), "-w", "start"]);
        pair
    }

    fn url(&self, port: u16, db: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{port}/{db}")
    }

    fn stop_standby(&self) {
        let s = self.dir.join("standby").display().to_string();
        pg(&self.bin, "pg_ctl", &["-D", &s, "-m", "immediate", "-w", "stop"]);
    }
}

impl Drop for Pair {
    fn drop(&mut self) {
        for which in ["standby", "primary"] {
            let d = self.dir.join(which).display().to_string();
            let _ = Command::new("runuser")
                .args(["-u", "postgres", "--"])
                .arg(self.bin.join("pg_ctl"))
                .args(["-D", &d, "-m", "immediate", "stop"])
                .output();
            let _ =
                Command::new(self.bin.join("pg_ctl")).args(["-D", &d, "-m", "immediate", "stop"]).output();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn append(path: &Path, text: &str) {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new().append(true).open(path).unwrap();
    f.write_all(text.as_bytes()).unwrap();
}

async fn exec(url: &str, sql: &str) {
    let mut c = sqlx::PgConnection::connect(url).await.unwrap();
    sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut c).await.unwrap();
}

/// The case numbers a search of the list finds.
fn search(addr: &str, token: &str, q: &str) -> Vec<String> {
    let path = format!("/api/v1/cases?q={}", urlencode(q));
    let (status, body) = http(addr, "GET", &path, Some(token), "application/json", b"").unwrap();
    assert_eq!(status, 200, "{body}");
    body["cases"].as_array().unwrap().iter().map(|c| c["number"].as_str().unwrap().to_string()).collect()
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
        .collect()
}

/// `/metrics` as a map of the lines' names (with labels) to values.
fn metrics(addr: &str) -> std::collections::HashMap<String, f64> {
    let (status, _, body) = request(addr, "GET", "/metrics", "", "text/plain", b"").unwrap();
    assert_eq!(status, 200);
    body.lines()
        .filter(|l| !l.starts_with('#'))
        .filter_map(|l| l.rsplit_once(' ').and_then(|(k, v)| Some((k.to_string(), v.parse().ok()?))))
        .collect()
}

/// Waits up to `secs` for `f` to hold.
fn eventually(secs: u64, mut f: impl FnMut() -> bool) -> bool {
    let t0 = Instant::now();
    while t0.elapsed() < Duration::from_secs(secs) {
        if f() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    false
}

fn register(addr: &str, office: &str, point: i64, text: &str) -> Value {
    let body = json!({"kind": "complaint", "channel": "hotline", "category": "attitude",
        "description": text, "service_point_id": point});
    let (status, case) = post(addr, "/api/v1/cases", Some(office), body).unwrap();
    assert_eq!(status, 201, "{case}");
    case
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn searches_and_indicators_read_the_standby_and_fall_back_to_the_primary() {
    let Some(bin) = pg_bin() else {
        assert!(
            !std::env::var("CI").is_ok_and(|v| v == "true"),
            "CI=true but PostgreSQL's programs are missing"
        );
        eprintln!("NOTICE: no /usr/lib/postgresql/*/bin; skipping the replica test");
        return;
    };
    let pair = Pair::start(bin);
    exec(&pair.url(pair.primary, "postgres"), "CREATE DATABASE ck ENCODING 'UTF8' TEMPLATE template0").await;
    let data_dir = std::env::temp_dir().join("chuangkou-cli-tests").join(chuangkou_store::random_token(6));
    std::fs::create_dir_all(&data_dir).unwrap();
    let install = Install { data_dir, database_url: Some(pair.url(pair.primary, "ck")) };
    assert!(install.run(&["demo"]).status.success());
    let office = token(&install, "office");
    let leader = token(&install, "leader");
    let point = {
        let store = install.store().await;
        let org = store.organisation_by_code("TY").await.unwrap();
        let id: i64 = chuangkou_store::on_read!(store, c => sqlx::query_scalar(
            "SELECT id FROM service_points WHERE org_id = $1 ORDER BY id LIMIT 1").bind(org.id).fetch_one(c).await)
        .unwrap();
        store.close().await;
        id
    };
    let standby = pair.url(pair.standby, "ck");
    let mut cmd = install.command(&["serve", "--listen", "127.0.0.1:0"]);
    cmd.env("CHUANGKOU_DATABASE_READ_URL", &standby).stdout(std::process::Stdio::piped());
    let (mut server, addr) = common::serve_with(cmd);

    // The standby answers, and a write on the primary becomes visible there.
    let m = metrics(&addr);
    assert_eq!(m.get("chuangkou_replica_up"), Some(&1.0), "{m:?}");
    assert!(m.contains_key("chuangkou_replica_lag_seconds"));
    let parrot = register(&addr, &office, point, "车道里飞进一只鹦鹉，收费员态度冷淡");
    let number = parrot["number"].as_str().unwrap().to_string();
    assert!(eventually(10, || search(&addr, &office, "鹦鹉") == vec![number.clone()]), "replicated");
    let (status, body) =
        http(&addr, "GET", "/api/v1/indicators", Some(&leader), "application/json", b"").unwrap();
    assert_eq!(status, 200, "the indicators, from the standby: {body}");

    // Replay paused on the standby: a new case is read back from the
    // primary at once, but the search (on the standby) does not find it.
    exec(&standby, "SELECT pg_wal_replay_pause()").await;
    let peacock = register(&addr, &office, point, "服务区里有一只孔雀");
    let id = peacock["id"].as_i64().unwrap();
    let (status, _) =
        http(&addr, "GET", &format!("/api/v1/cases/{id}"), Some(&office), "application/json", b"").unwrap();
    assert_eq!(status, 200, "what was just written is read from the primary");
    std::thread::sleep(Duration::from_millis(1500));
    assert!(search(&addr, &office, "孔雀").is_empty(), "searches read the standby, whose replay is paused");
    let lag = metrics(&addr)["chuangkou_replica_lag_seconds"];
    assert!(lag > 0.5, "the lag shows in /metrics: {lag}");
    exec(&standby, "SELECT pg_wal_replay_resume()").await;
    let peacock_number = peacock["number"].as_str().unwrap().to_string();
    assert!(
        eventually(10, || search(&addr, &office, "孔雀") == vec![peacock_number.clone()]),
        "replay resumed"
    );

    // The standby down: reads fall back to the primary, and /metrics says so.
    pair.stop_standby();
    assert_eq!(search(&addr, &office, "孔雀"), vec![peacock_number.clone()], "from the primary");
    let (status, _) =
        http(&addr, "GET", "/api/v1/indicators", Some(&leader), "application/json", b"").unwrap();
    assert_eq!(status, 200);
    assert_eq!(metrics(&addr).get("chuangkou_replica_up"), Some(&0.0));

    server.kill().unwrap();
    server.wait().unwrap();
    let _ = std::fs::remove_dir_all(&install.data_dir);
}
