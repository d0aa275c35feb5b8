//! `chuangkou bench sweep` (issue 23 point 2): cases whose every deadline
//! passes in the same second — a weekend's outage catching up — and the
//! sweep that fires their timers, with intake over HTTP and an admin
//! writer on a connection of its own (as the CLI is) running beside it.
//! Prints the sweep's time and rate, the latency of the other writers
//! during it, and checks that every timer fired exactly once.

use std::time::{Duration, Instant};

use anyhow::Result;
use chuangkou_domain::Role;
use chuangkou_domain::policy::PolicySet;
use chuangkou_store::Store;
use chuangkou_store::users::NewUser;
use chuangkou_web::{AppState, WebConfig};

#[derive(clap::Args)]
pub struct SweepBenchArgs {
    /// sqlite or postgres (a fresh database on CHUANGKOU_TEST_PG).
    #[arg(long, default_value = "sqlite")]
    pub backend: String,
    /// Timers due at once: cases are generated until their timers (seven a
    /// toll complaint: first response, warnings, escalations, deadlines)
    /// make this many, and then every one of them passes.
    #[arg(long, default_value_t = 100_000)]
    pub timers: usize,
    /// Sweepers at once: the first is this process, which also serves the
    /// intake; each further one is a process of its own, as a further
    /// `serve` instance is (more than one needs PostgreSQL).
    #[arg(long, default_value_t = 1)]
    pub sweepers: usize,
    /// Intake clients posting cases over HTTP during the sweep …
    #[arg(long, default_value_t = 4)]
    pub clients: usize,
    /// … each one case every this many milliseconds (a busy hotline's
    /// pace; 0 posts as fast as the answers come).
    #[arg(long, default_value_t = 50)]
    pub pace_ms: u64,
}

pub async fn sweep(args: SweepBenchArgs) -> Result<i32> {
    let key = crate::bench::SECRET.to_vec();
    let (url, _dir) = crate::bench::bench_db(&args.backend).await?;
    let store = Store::connect(&url, key.clone()).await?;
    store.migrate().await?;
    let token = crate::bench::setup(&store).await?;
    let org = store.organisation_by_code("BN").await?;
    let policies = PolicySet::builtin();
    println!(
        "sweep benchmark: backend={} timers={} sweepers={} intake={} clients, one case each {} ms",
        args.backend, args.timers, args.sweepers, args.clients, args.pace_ms
    );

    let t0 = Instant::now();
    crate::bench::fill_cases(&store, &org, 1).await?;
    let per_case: i64 = chuangkou_store::on_read!(store, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM timers").fetch_one(c).await)?;
    let cases = args.timers.div_ceil(usize::try_from(per_case.max(1))?);
    crate::bench::fill_cases(&store, &org, cases - 1).await?;
    let timers: i64 = chuangkou_store::on_read!(store, c => sqlx::query_scalar(
        "SELECT COUNT(*) FROM timers WHERE fired_at IS NULL").fetch_one(c).await)?;
    println!("generated:    {cases} cases with {timers} timers in {:.1} s", t0.elapsed().as_secs_f64());
    // A working installation's tables have statistics (autovacuum gathers
    // them within a minute); without them PostgreSQL claimed the first
    // batches of due timers by sorting every timer (50-100 ms a batch).
    store.bench_analyze().await?;

    // Every deadline has passed: a month later, in every process.
    let later = store.now_ms() + 31 * 86_400_000;
    // The first sweeper is this process, which serves intake; the others
    // are processes of their own, connected and waiting for the word.
    store.set_clock(later);
    let mut others = Vec::new();
    for _ in 1..args.sweepers {
        others.push(Instance::start(&url, later)?);
    }
    let admin = Store::connect(&url, key.clone()).await?;

    // The other writers, from now until the sweep ends.
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    let addr = listener.local_addr()?;
    let state = AppState::new(store.clone(), WebConfig::default(), policies.clone());
    let server = tokio::spawn(chuangkou_web::serve(listener, state));
    let (done_tx, done_rx) = tokio::sync::watch::channel(false);
    let pace = (args.pace_ms > 0).then(|| Duration::from_millis(args.pace_ms));
    let mut intake = Vec::new();
    for c in 0..args.clients {
        let token = token.clone();
        let done = done_rx.clone();
        intake.push(tokio::spawn(async move {
            crate::bench::client(addr, move || !*done.borrow(), pace, |i| {
                let body = format!(
                    r#"{{"kind":"complaint","channel":"hotline","category":"attitude","description":"{}"}}"#,
                    crate::bench::text(c + 100, i)
                );
                crate::bench::post("/api/v1/cases", Some(&token), &body)
            })
            .await
        }));
    }
    let mut done = done_rx.clone();
    let admin_org = org.id;
    let admin_writes = tokio::spawn(async move {
        let (mut lat, mut failed) = (Vec::new(), 0);
        let mut i = 0;
        while !*done.borrow() {
            i += 1;
            let name = format!("admin-{i}");
            let t = Instant::now();
            let u = NewUser {
                username: &name,
                display_name: &name,
                password_hash: "-",
                role: Role::Supervisor,
                staff_id: None,
            };
            match admin.create_user(admin_org, "cli", &u).await {
                Ok(_) => lat.push(t.elapsed()),
                Err(e) => {
                    println!("admin write failed after {:.1} s: {e}", t.elapsed().as_secs_f64());
                    failed += 1;
                }
            }
            let _ = tokio::time::timeout(Duration::from_millis(100), done.changed()).await;
        }
        anyhow::Ok((lat, failed))
    });

    let t0 = Instant::now();
    let others: Vec<_> = others.into_iter().map(|i| tokio::task::spawn_blocking(move || i.sweep())).collect();
    let mut fired = store.sweep_timers(&policies).await?.fired;
    for (n, r) in others.into_iter().enumerate() {
        let (f, took) = r.await??;
        println!("instance {}:   fired {f} timers, done {:.2} s after the start", n + 2, took.as_secs_f64());
        fired += f;
    }
    let took = t0.elapsed().as_secs_f64();
    done_tx.send(true)?;
    let (admin_lat, admin_failed) = admin_writes.await??;
    // Intake clients in flight finish their request; the sweep is over.
    let (mut intake_lat, mut intake_errors) = (Vec::new(), 0);
    for t in intake {
        let (lat, errors) = t.await??;
        intake_lat.extend(lat);
        intake_errors += errors;
    }
    server.abort();
    println!("sweep:        {fired} timers fired in {took:.2} s ({:.0}/s)", fired as f64 / took);
    println!("intake:       {}, {intake_errors} refused", percentiles(&mut intake_lat));
    println!("admin writes: {}, {admin_failed} failed", percentiles(&mut admin_lat.clone()));

    // Exactly once.
    let check = |sql: &'static str| {
        let store = store.clone();
        async move { chuangkou_store::on_read!(store, c => sqlx::query_scalar::<_, i64>(sql).fetch_one(c).await) }
    };
    let left = check("SELECT COUNT(*) FROM timers WHERE fired_at IS NULL AND due_at <= (SELECT MAX(due_at) FROM timers WHERE fired_at IS NOT NULL)").await?;
    let twice = check(
        "SELECT COUNT(*) FROM (SELECT subject_id, payload FROM events WHERE kind = 'case.overdue'
         GROUP BY subject_id, payload HAVING COUNT(*) > 1) d",
    )
    .await?;
    let overdue = check("SELECT COUNT(*) FROM events WHERE kind = 'case.overdue'").await?;
    let notes = check("SELECT COUNT(*) FROM notifications").await?;
    let outbox = check("SELECT COUNT(*) FROM outbox").await?;
    println!("written:      {overdue} overdue events, {notes} notifications, {outbox} outbox rows");
    let t0 = Instant::now();
    let report = store.verify().await?;
    println!(
        "chain:        {} in {:.1} s",
        if report.ok() { "unbroken" } else { "BROKEN" },
        t0.elapsed().as_secs_f64()
    );
    if left > 0 || twice > 0 || !report.ok() || admin_failed > 0 {
        println!(
            "FAILED: {left} due timers left, {twice} deadlines recorded twice, {admin_failed} admin writes failed"
        );
        return Ok(1);
    }
    Ok(0)
}

/// A further sweeping instance: this binary again, in a process of its
/// own (`bench sweep-instance`), connected and waiting for the word.
struct Instance {
    child: std::process::Child,
    said: std::io::Lines<std::io::BufReader<std::process::ChildStdout>>,
}

impl Instance {
    fn start(url: &str, clock_ms: i64) -> Result<Self> {
        use std::io::BufRead;
        use std::process::{Command, Stdio};
        let mut child = Command::new(std::env::current_exe()?)
            .args(["bench", "sweep-instance", "--clock-ms", &clock_ms.to_string()])
            // In the environment, not the arguments: a database URL may
            // carry a password, and arguments are public (`ps`).
            .env(INSTANCE_URL, url)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .spawn()?;
        let out = child.stdout.take().ok_or_else(|| anyhow::anyhow!("no stdout"))?;
        let mut said = std::io::BufReader::new(out).lines();
        match said.next() {
            Some(Ok(l)) if l == "ready" => Ok(Self { child, said }),
            other => anyhow::bail!("the sweeping instance did not start: {other:?}"),
        }
    }

    /// Says go, and waits for the count of timers it fired.
    fn sweep(mut self) -> Result<(usize, Duration)> {
        use std::io::Write;
        let t0 = Instant::now();
        let mut input = self.child.stdin.take().ok_or_else(|| anyhow::anyhow!("no stdin"))?;
        writeln!(input, "go")?;
        let line = self.said.next().transpose()?.unwrap_or_default();
        let took = t0.elapsed();
        let status = self.child.wait()?;
        match line.strip_prefix("fired ").and_then(|n| n.parse().ok()) {
            Some(n) if status.success() => Ok((n, took)),
            _ => anyhow::bail!("the sweeping instance failed ({status}): {line}"),
        }
    }
}

/// Where a further sweeping instance finds the benchmark's database.
const INSTANCE_URL: &str = "CHUANGKOU_BENCH_SWEEP_URL";

#[derive(clap::Args)]
pub struct SweepInstanceArgs {
    /// The database the benchmark made.
    #[arg(long, env = INSTANCE_URL, hide_env_values = true)]
    pub url: String,
    /// The benchmark's clock, a month after the cases.
    #[arg(long)]
    pub clock_ms: i64,
}

/// `bench sweep-instance`: one further instance of `bench sweep` in a
/// process of its own. Connects, says `ready`, sweeps when a line comes
/// on stdin, and says `fired N`.
pub async fn sweep_instance(args: SweepInstanceArgs) -> Result<i32> {
    let store = Store::connect(&args.url, crate::bench::SECRET.to_vec()).await?;
    store.set_clock(args.clock_ms);
    println!("ready");
    let go = tokio::task::spawn_blocking(|| std::io::stdin().read_line(&mut String::new()));
    go.await??;
    let fired = store.sweep_timers(&PolicySet::builtin()).await?.fired;
    println!("fired {fired}");
    Ok(0)
}

fn percentiles(lat: &mut [Duration]) -> String {
    lat.sort();
    let n = lat.len();
    let pct = |p: f64| {
        lat.get(((n as f64 * p) as usize).min(n.saturating_sub(1))).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    format!("{n} writes, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms", pct(0.5), pct(0.99), pct(1.0))
}
