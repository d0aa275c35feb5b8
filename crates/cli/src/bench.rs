//! `chuangkou bench cases`: case intake over HTTP on loopback, with
//! concurrent keep-alive clients, every acknowledged case durable
//! (SQLite `synchronous=FULL`, PostgreSQL's defaults). Prints cases/s and
//! latency percentiles, then reopens the database and checks that every
//! acknowledged case is there.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use chuangkou_domain::Role;
use chuangkou_domain::org::{NewServicePoint, NewUnit, ServicePointKind, UnitKind};
use chuangkou_domain::policy::PolicySet;
use chuangkou_store::Store;
use chuangkou_store::users::NewUser;
use chuangkou_web::{AppState, WebConfig};
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpStream;

/// The secret of every benchmark's database (a scratch database, or one
/// kept with `--keep`), so that a kept one can be measured again and a
/// further process of the benchmark can open it.
pub const SECRET: &[u8] = b"bench-secret-bench-secret";

#[derive(clap::Args)]
pub struct BenchArgs {
    /// sqlite or postgres (a fresh database on CHUANGKOU_TEST_PG).
    #[arg(long, default_value = "sqlite")]
    pub backend: String,
    /// Concurrent keep-alive clients.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// How long to run.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Worst case for duplicate detection: five texts repeated, so that every
    /// case looks like hundreds of others.
    #[arg(long)]
    pub identical_texts: bool,
    /// Ask for likely duplicates in every answer (`?duplicates=true`).
    #[arg(long)]
    pub with_duplicates: bool,
    /// Skip HTTP: time the store's group commit alone, in batches of this size.
    #[arg(long)]
    pub store_only_batch: Option<usize>,
    /// Cases written through the store before the clock starts, then the
    /// planner's statistics gathered: the tables of an installation that
    /// has been working, not of one seconds old.
    #[arg(long, default_value_t = 2000)]
    pub history: usize,
}

pub async fn cases(args: BenchArgs) -> Result<i32> {
    let key = SECRET.to_vec();
    let (url, _dir) = bench_db(&args.backend).await?;
    let store = Store::connect(&url, key.clone()).await?;
    store.migrate().await?;
    let token = setup(&store).await?;
    let org = store.organisation_by_code("BN").await?;
    let policies = PolicySet::builtin();
    let rules = policies.rules("toll").context("toll pack")?;
    write_cases(&store, &org, rules, 1_000_000, args.history, 250).await?;
    store.bench_analyze().await?;
    if let Some(batch) = args.store_only_batch {
        let write = |n: usize| write_cases(&store, &org, rules, n, batch, batch);
        return store_only("cases", batch, args.seconds, write).await;
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    store.checkpoint_in_background(chuangkou_store::CHECKPOINT_EVERY).await?;
    let state = AppState::new(store.clone(), WebConfig::default(), PolicySet::builtin());
    let server = tokio::spawn(chuangkou_web::serve(listener, state));

    println!(
        "case intake benchmark: backend={} clients={} seconds={} texts={} duplicates={}",
        args.backend,
        args.clients,
        args.seconds,
        if args.identical_texts { "identical" } else { "varied" },
        args.with_duplicates
    );
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let mut tasks = Vec::new();
    for c in 0..args.clients {
        let token = token.clone();
        let identical = args.identical_texts;
        let path = if args.with_duplicates { "/api/v1/cases?duplicates=true" } else { "/api/v1/cases" };
        tasks.push(tokio::spawn(async move {
            client(addr, move || Instant::now() < deadline, None, |i| {
                let body = format!(
                    r#"{{"kind":"complaint","channel":"hotline","category":"attitude","description":"{}","reporter_phone":"139{:08}"}}"#,
                    if identical { TEXTS[(c + i) % TEXTS.len()].to_string() } else { text(c, i) },
                    (c * 1_000_003 + i) % 100_000_000
                );
                post(path, Some(&token), &body)
            })
            .await
        }));
    }
    let n = report("cases", tasks).await?;
    server.abort();

    // Durability: a fresh connection finds every acknowledged case.
    store.close().await;
    let reopened = Store::connect(&url, key).await?;
    let org = reopened.organisation_by_code("BN").await?;
    let stored: i64 = chuangkou_store::on_read!(reopened, c => sqlx::query_scalar("SELECT COUNT(*) FROM cases WHERE org_id = $1")
        .bind(org.id).fetch_one(c).await)?;
    let stored = stored - args.history as i64;
    println!("durable:      {stored} cases stored for {n} acknowledged (and {} of history)", args.history);
    if (stored as usize) < n {
        println!("FAILED: acknowledged cases are missing");
        return Ok(1);
    }
    Ok(0)
}

/// An HTTP/1.1 POST of a JSON body.
pub(crate) fn post(path: &str, token: Option<&str>, body: &str) -> String {
    let auth = token.map_or(String::new(), |t| format!("Authorization: Bearer {t}\r\n"));
    format!(
        "POST {path} HTTP/1.1\r\nHost: bench\r\n{auth}Content-Type: application/json\r\nContent-Length: {}\r\n\r\n{body}",
        body.len()
    )
}

type ClientTask = tokio::task::JoinHandle<Result<(Vec<Duration>, usize)>>;

/// Waits for the clients and prints throughput and latency; returns how
/// many writes were acknowledged.
async fn report(what: &str, tasks: Vec<ClientTask>) -> Result<usize> {
    let started = Instant::now();
    let mut latencies: Vec<Duration> = Vec::new();
    let mut errors = 0usize;
    for t in tasks {
        let (lat, err) = t.await??;
        latencies.extend(lat);
        errors += err;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort();
    let n = latencies.len();
    let pct = |p: f64| {
        latencies
            .get(((n as f64 * p) as usize).min(n.saturating_sub(1)))
            .map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    println!("acknowledged: {n} {what} in {elapsed:.1} s, errors: {errors}");
    println!("throughput:   {:.0} {what}/s", n as f64 / elapsed);
    println!("latency:      p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms", pct(0.50), pct(0.99), pct(1.0));
    Ok(n)
}

/// A fresh database for a benchmark: a temporary SQLite file or a new
/// PostgreSQL database.
pub(crate) async fn bench_db(backend: &str) -> Result<(String, Option<std::path::PathBuf>)> {
    Ok(match backend {
        "sqlite" => {
            let dir =
                std::env::temp_dir().join(format!("chuangkou-bench-{}", chuangkou_store::random_token(4)));
            std::fs::create_dir_all(&dir)?;
            (format!("sqlite://{}", dir.join("bench.db").display()), Some(dir))
        }
        "postgres" => {
            (chuangkou_store::scratch::pg_database_url().await.context("PostgreSQL is not reachable")?, None)
        }
        other => bail!("--backend must be sqlite or postgres, not {other}"),
    })
}

#[derive(clap::Args)]
pub struct RatingBenchArgs {
    /// sqlite or postgres (a fresh database on CHUANGKOU_TEST_PG).
    #[arg(long, default_value = "sqlite")]
    pub backend: String,
    /// Concurrent keep-alive clients.
    #[arg(long, default_value_t = 64)]
    pub clients: usize,
    /// How long to run.
    #[arg(long, default_value_t = 10)]
    pub seconds: u64,
    /// Ratings in a hundred that are 不满意 (each opens a case).
    #[arg(long, default_value_t = 2)]
    pub bad_percent: usize,
    /// Skip HTTP: time the store's batches alone, of this size.
    #[arg(long)]
    pub store_only_batch: Option<usize>,
    /// Ratings written through the store before the clock starts, then the
    /// planner's statistics gathered (see `bench cases --history`).
    #[arg(long, default_value_t = 5000)]
    pub history: usize,
}

/// `chuangkou bench ratings`: the public rating API over HTTP on loopback,
/// every acknowledged rating durable; afterwards every one must be stored
/// and the rollups must equal a recomputation.
pub async fn ratings(args: RatingBenchArgs) -> Result<i32> {
    let key = SECRET.to_vec();
    let (url, _dir) = bench_db(&args.backend).await?;
    let store = Store::connect(&url, key.clone()).await?;
    store.migrate().await?;
    setup(&store).await?;
    let org = store.organisation_by_code("BN").await?;
    let mut tokens = Vec::new();
    for p in 2..=20 {
        let point = NewServicePoint {
            code: format!("S01-L{p:02}"),
            name: format!("{p} 号车道"),
            kind: ServicePointKind::Lane,
            unit_code: "S01".into(),
            vehicle_plate: None,
        };
        store.create_service_point(org.id, "bench", &point).await?;
    }
    let points = store.service_points(org.id).await?;
    for p in &points {
        tokens.push(p.public_token.clone());
    }
    let policies = PolicySet::builtin();
    let rules = policies.rules("toll").context("toll pack")?;
    let history = |first: usize, count: usize, batch: usize| {
        write_ratings(&store, &org, rules, &points, args.bad_percent, first, count, batch)
    };
    history(1_000_000, args.history, 250).await?;
    store.bench_analyze().await?;
    if let Some(batch) = args.store_only_batch {
        return store_only("ratings", batch, args.seconds, |n| history(n, batch, batch)).await;
    }
    // Every client comes from 127.0.0.1: the per-address limit is raised
    // for the benchmark (it is still checked on every request).
    let mut policies = PolicySet::builtin();
    policies.packs.get_mut("toll").context("toll pack")?.satisfaction.per_address_per_hour = u32::MAX;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    store.checkpoint_in_background(chuangkou_store::CHECKPOINT_EVERY).await?;
    let state = AppState::new(store.clone(), WebConfig::default(), policies);
    let server = tokio::spawn(chuangkou_web::serve(listener, state));
    println!(
        "rating intake benchmark: backend={} clients={} seconds={} points={} bad={}%",
        args.backend,
        args.clients,
        args.seconds,
        tokens.len(),
        args.bad_percent
    );
    let deadline = Instant::now() + Duration::from_secs(args.seconds);
    let tokens = std::sync::Arc::new(tokens);
    let bad = args.bad_percent;
    let mut tasks = Vec::new();
    for c in 0..args.clients {
        let tokens = tokens.clone();
        tasks.push(tokio::spawn(async move {
            client(
                addr,
                move || Instant::now() < deadline,
                None,
                |i| {
                    let k = c.wrapping_mul(7919).wrapping_add(i.wrapping_mul(104_729));
                    let level = if k % 100 < bad { 2 } else { 3 + k % 3 };
                    let body = format!(
                        r#"{{"point":"{}","level":{level},"tags":["smile"],"device":"phone-{c}-{i}"}}"#,
                        tokens[k % tokens.len()]
                    );
                    post("/api/v1/ratings", None, &body)
                },
            )
            .await
        }));
    }
    let n = report("ratings", tasks).await?;
    server.abort();
    store.close().await;
    let reopened = Store::connect(&url, key).await?;
    let stored: i64 = chuangkou_store::on_read!(reopened, c => sqlx::query_scalar("SELECT COUNT(*) FROM ratings WHERE org_id = $1")
        .bind(org.id).fetch_one(c).await)?;
    let stored = stored - args.history as i64;
    println!("durable:      {stored} ratings stored for {n} acknowledged (and {} of history)", args.history);
    let diffs = reopened.verify_rollups().await?;
    println!("rollups:      {} rows differ from a recomputation", diffs.len());
    if (stored as usize) < n || !diffs.is_empty() {
        println!("FAILED");
        return Ok(1);
    }
    Ok(0)
}

/// Writes `count` ratings (devices numbered from `first`) through the
/// store in batches of `batch`; answers the time spent committing.
#[allow(clippy::too_many_arguments)]
async fn write_ratings(
    store: &Store,
    org: &chuangkou_store::org::Organisation,
    rules: chuangkou_domain::policy::Rules<'_>,
    points: &[chuangkou_store::org::ServicePoint],
    bad_percent: usize,
    first: usize,
    count: usize,
    batch: usize,
) -> Result<Duration> {
    let mut spent = Duration::ZERO;
    for start in (first..first + count).step_by(batch.max(1)) {
        let mut items = Vec::with_capacity(batch);
        for i in start..(start + batch).min(first + count) {
            let input = chuangkou_store::ratings::RatingInput {
                level: if i % 100 < bad_percent { "2" } else { "5" }.into(),
                device: format!("d-{i}"),
                ..Default::default()
            };
            items.push(store.prepare_rating(org, rules, &points[i % points.len()], &input).await?);
        }
        let t0 = Instant::now();
        store.record_ratings(&items).await?;
        spent += t0.elapsed();
    }
    Ok(spent)
}

pub(crate) async fn setup(store: &Store) -> Result<String> {
    let org = store.create_organisation("bench", "BN", "基准测试收费公司", "toll", Some("12122")).await?;
    let unit =
        NewUnit { code: "S01".into(), name: "一号站".into(), kind: UnitKind::Station, parent_code: None };
    store.create_unit(org.id, "bench", &unit).await?;
    let point = NewServicePoint {
        code: "S01-L01".into(),
        name: "一号车道".into(),
        kind: ServicePointKind::Lane,
        unit_code: "S01".into(),
        vehicle_plate: None,
    };
    store.create_service_point(org.id, "bench", &point).await?;
    let user = store
        .create_user(
            org.id,
            "bench",
            &NewUser {
                username: "bench-office",
                display_name: "bench",
                password_hash: "-",
                role: Role::Office,
                staff_id: None,
            },
        )
        .await?;
    Ok(store.create_api_token(&user, "bench").await?.1)
}

const TEXTS: &[&str] = &[
    "出口车道收费员态度生硬，把卡扔出窗外",
    "入口排队时间过长，只开了一条车道",
    "便民服务亭没有热水，卫生间不干净",
    "收费员多收了通行费，要求退还",
    "司机反映ETC车道抬杆慢",
];

const WHERE: &[&str] =
    &["小店站", "武宿站", "晋祠站", "太原东站", "机场站", "北营站", "榆次站", "阳曲站", "古交站", "清徐站"];
const WHO: &[&str] = &["收费员", "值班站长", "保洁员", "稽查员", "便民亭值守人员", "监控员"];
const WHAT: &[&str] = &[
    "态度生硬，不理睬询问",
    "多收通行费二十元",
    "找零错误",
    "边收费边打手机",
    "不使用文明用语",
    "拒绝开具票据",
    "抬杆太慢造成拥堵",
    "扔卡扔零钱",
    "服务亭没有热水",
    "卫生间无人打扫",
    "导向标志不清楚",
    "绿色通道查验太慢",
    "车道只开一条，排队半小时",
    "微笑服务做得好",
];
const WHEN: &[&str] = &["早上七点", "中午", "傍晚", "夜里十一点", "周末", "节假日", "昨天下午", "今天凌晨"];

/// A varied complaint text, as real traffic is: place, person, what, when.
pub(crate) fn text(n: usize, i: usize) -> String {
    let k = n.wrapping_mul(7919).wrapping_add(i.wrapping_mul(104_729));
    format!(
        "{}{}{}的{}{}",
        WHEN[k % WHEN.len()],
        WHERE[(k / 7) % WHERE.len()],
        if k.is_multiple_of(3) { "出口" } else { "入口" },
        WHO[(k / 13) % WHO.len()],
        WHAT[(k / 31) % WHAT.len()]
    )
}

/// One keep-alive client: sends the requests `make` builds while
/// `keep_going`, one each `pace` if given; returns the latencies of the `201`s and the number of others.
pub(crate) async fn client(
    addr: std::net::SocketAddr,
    keep_going: impl Fn() -> bool,
    pace: Option<Duration>,
    mut make: impl FnMut(usize) -> String,
) -> Result<(Vec<Duration>, usize)> {
    let stream = TcpStream::connect(addr).await?;
    stream.set_nodelay(true)?;
    let (r, mut w) = stream.into_split();
    let mut r = BufReader::new(r);
    let mut lat = Vec::new();
    let mut errors = 0;
    let mut i = 0usize;
    let mut line = String::new();
    while keep_going() {
        i += 1;
        let req = make(i);
        let t0 = Instant::now();
        w.write_all(req.as_bytes()).await?;
        line.clear();
        r.read_line(&mut line).await?;
        let ok = line.starts_with("HTTP/1.1 201");
        let mut len = 0usize;
        loop {
            line.clear();
            r.read_line(&mut line).await?;
            if line == "\r\n" || line.is_empty() {
                break;
            }
            if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                len = v.trim().parse().unwrap_or(0);
            }
        }
        let mut buf = vec![0u8; len];
        r.read_exact(&mut buf).await?;
        if ok {
            lat.push(t0.elapsed());
        } else {
            errors += 1;
        }
        if let Some(pace) = pace {
            tokio::time::sleep(pace.saturating_sub(t0.elapsed())).await;
        }
    }
    Ok((lat, errors))
}

/// The `i`-th case of a generated load: a hotline complaint with a
/// reporter's phone.
fn new_case(i: usize) -> chuangkou_store::cases::NewCase {
    chuangkou_store::cases::NewCase {
        kind: chuangkou_domain::cases::CaseKind::Complaint,
        channel: chuangkou_domain::cases::Channel::Hotline,
        category: "attitude".into(),
        track: None,
        description: text(0, i),
        unit_id: None,
        service_point_id: None,
        subject_staff_id: None,
        plate: None,
        reporter_name: None,
        reporter_phone: Some(format!("139{i:08}")),
        registered_by: None,
        issue_tracking_code: true,
        photos: vec![],
        origin: None,
    }
}

/// Registers `n` generated cases in `org` through group commit, in
/// batches of 500.
pub(crate) async fn fill_cases(
    store: &Store,
    org: &chuangkou_store::org::Organisation,
    n: usize,
) -> Result<()> {
    let policies = PolicySet::builtin();
    let rules = policies.rules(&org.pack).context("the pack")?;
    let mut i = 0;
    while i < n {
        let mut items = Vec::with_capacity(500);
        for _ in 0..500.min(n - i) {
            i += 1;
            items.push(store.prepare_case(org, rules, &new_case(i), "bench").await?);
        }
        store.register_batch(&items).await?;
    }
    Ok(())
}

/// Group commit without HTTP: batches of `batch` written by `write` (given
/// the number of the first) for `seconds`; prints the commit time.
async fn store_only<F, Fut>(what: &str, batch: usize, seconds: u64, write: F) -> Result<i32>
where
    F: Fn(usize) -> Fut,
    Fut: std::future::Future<Output = Result<Duration>>,
{
    let deadline = Instant::now() + Duration::from_secs(seconds);
    let (mut n, mut spent) = (0usize, Duration::ZERO);
    while Instant::now() < deadline {
        spent += write(n).await?;
        n += batch;
    }
    println!(
        "store only: {n} {what} in batches of {batch}: {:.0} {what}/s of commit time ({:.2} ms a batch)",
        n as f64 / spent.as_secs_f64(),
        spent.as_secs_f64() * 1000.0 / (n / batch) as f64
    );
    Ok(0)
}

/// Writes `count` cases (numbered from `first`) through the store in
/// batches of `batch`; answers the time spent committing.
async fn write_cases(
    store: &Store,
    org: &chuangkou_store::org::Organisation,
    rules: chuangkou_domain::policy::Rules<'_>,
    first: usize,
    count: usize,
    batch: usize,
) -> Result<Duration> {
    let mut spent = Duration::ZERO;
    for start in (first..first + count).step_by(batch.max(1)) {
        let mut items = Vec::with_capacity(batch);
        for i in start..(start + batch).min(first + count) {
            items.push(store.prepare_case(org, rules, &new_case(i), "bench").await?);
        }
        let t0 = Instant::now();
        store.register_batch(&items).await?;
        spent += t0.elapsed();
    }
    Ok(spent)
}
