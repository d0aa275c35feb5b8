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
    /// Sweepers at once, each on its own connections as separate `serve`
    /// instances are (more than one needs PostgreSQL).
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
    let key = b"bench-secret-bench-secret".to_vec();
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

    // Every deadline has passed: a month later, on every handle.
    let later = store.now_ms() + 31 * 86_400_000;
    // The first sweeper is the instance that serves intake; the others are
    // further instances on their own connections.
    store.set_clock(later);
    let mut sweepers = vec![store.clone()];
    for _ in 1..args.sweepers {
        let s = Store::connect(&url, key.clone()).await?;
        s.set_clock(later);
        sweepers.push(s);
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
    let runs: Vec<_> = sweepers
        .iter()
        .map(|s| {
            let (s, p) = (s.clone(), policies.clone());
            tokio::spawn(async move { s.sweep_timers(&p).await })
        })
        .collect();
    let mut fired = 0;
    for r in runs {
        fired += r.await??.fired;
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

fn percentiles(lat: &mut [Duration]) -> String {
    lat.sort();
    let n = lat.len();
    let pct = |p: f64| {
        lat.get(((n as f64 * p) as usize).min(n.saturating_sub(1))).map_or(0.0, |d| d.as_secs_f64() * 1000.0)
    };
    format!("{n} writes, p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms", pct(0.5), pct(0.99), pct(1.0))
}
