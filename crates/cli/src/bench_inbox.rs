//! `chuangkou bench inbox`: the case office's daily screen at a million
//! cases. The organisation of `bench dashboard` (19 stations like seed
//! 000) with a year of cases, settled as a year of work leaves them (the
//! newest 100,000 open, most owned by their station's desk, the late ones
//! marked overdue); then each inbox tab's first page and a page ten deep,
//! the case list page with its tab counts, searches and filters, through
//! the real router as a desk of the office and as a leader, as p50/p95.
//! Exits 1 if a request's p95 is over the budget (DESIGN: 50 ms).

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::body::Body;
use axum::http::{Request, header};
use chuangkou_domain::org::NewStaff;
use chuangkou_domain::policy::PolicySet;
use chuangkou_domain::{OrgId, Role};
use chuangkou_store::Store;
use chuangkou_store::bench::StationDesk;
use chuangkou_store::users::NewUser;
use chuangkou_web::{AppState, WebConfig};
use tower::ServiceExt;

use crate::bench_dashboard::{PASSWORD, Scale, generate, open_bench_db, report, sign_in};

#[derive(clap::Args)]
pub struct InboxBenchArgs {
    /// sqlite or postgres (a fresh database on CHUANGKOU_TEST_PG).
    #[arg(long, default_value = "sqlite")]
    pub backend: String,
    #[arg(long, default_value_t = 19)]
    pub stations: usize,
    #[arg(long, default_value_t = 1300)]
    pub staff: usize,
    /// Cases over the year.
    #[arg(long, default_value_t = 1_000_000)]
    pub cases: usize,
    /// Of which open (the newest).
    #[arg(long, default_value_t = 100_000)]
    pub open: i64,
    /// Times each request is made.
    #[arg(long, default_value_t = 20)]
    pub requests: usize,
    /// p95 budget per request, in milliseconds.
    #[arg(long, default_value_t = 50)]
    pub budget_ms: u64,
    /// Keep the generated database in this folder (SQLite) or database
    /// name (PostgreSQL), and measure it again on the next run.
    #[arg(long)]
    pub keep: Option<std::path::PathBuf>,
}

pub async fn inbox(args: InboxBenchArgs) -> Result<i32> {
    let (store, kept, _dir) = open_bench_db(&args.backend, args.keep.as_deref()).await?;
    let policies = PolicySet::builtin();
    let rules = policies.rules("toll").context("toll pack")?;
    let org_id = match kept {
        Some(id) => id,
        None => {
            let scale = Scale { stations: args.stations, staff: args.staff, ratings: 0, cases: args.cases };
            generate(&store, &scale, rules).await?
        }
    };
    if !store.users(org_id).await?.iter().any(|u| u.username == "bench-desk-01") {
        let t0 = Instant::now();
        let desks = seat_desks(&store, org_id).await?;
        let open = store.bench_settle_cases(org_id, args.open, &desks).await?;
        println!("settled: {open} cases open, in {:.0} s", t0.elapsed().as_secs_f64());
    }

    let app = chuangkou_web::app(AppState::new(store.clone(), WebConfig::default(), PolicySet::builtin()));
    let desk = sign_in(&app, "bench-desk-01").await?;
    let leader = sign_in(&app, "bench-leader").await?;
    let unit = store.units(org_id).await?.into_iter().find(|u| u.code == "S05").context("station S05")?;
    let today = rules.calendar.local_date(store.now_ms());
    let week = |days_ago: u64| {
        let from = today - chrono::Days::new(days_ago);
        format!("/api/v1/cases?since={from}&until={}", from + chrono::Days::new(6))
    };
    let old_week = week(330);
    let mut paths: Vec<(String, &str, String)> = Vec::new();
    for tab in ["mine", "unit", "due", "overdue", "unassigned", "followup", "all"] {
        let first = format!("/api/v1/cases?inbox={tab}");
        let deep = page_ten(&app, &desk, &first).await?;
        paths.push((format!("{tab}: first page"), "desk", first));
        paths.push((format!("{tab}: page 10"), "desk", deep));
    }
    let search = "/api/v1/cases?q=%E6%80%81%E5%BA%A6";
    paths.push(("search 态度: page 10".into(), "desk", page_ten(&app, &desk, search).await?));
    for (what, path) in [
        ("list page, 5 tab counts", "/console/cases?inbox=all".to_string()),
        ("home page, counts", "/console/home".to_string()),
        ("list page, search 态度", "/console/cases?q=%E6%80%81%E5%BA%A6".into()),
        ("search 态度 (1 in 3)", "/api/v1/cases?q=%E6%80%81%E5%BA%A6".into()),
        ("search 遗失 (1 in 997)", "/api/v1/cases?q=%E9%81%97%E5%A4%B1".into()),
        ("search 态度, open only", "/api/v1/cases?inbox=unit&q=%E6%80%81%E5%BA%A6".into()),
        ("filter unit S05", format!("/api/v1/cases?unit_id={}", unit.id)),
        ("filter category fee", "/api/v1/cases?category=fee".into()),
        ("filter state investigating", "/api/v1/cases?state=investigating".into()),
        ("filter a week a month ago", week(30)),
        ("filter a week 11 months ago", old_week.clone()),
        ("  the same, page 10", page_ten(&app, &desk, &old_week).await?),
        ("filter unit + category + due", format!("/api/v1/cases?inbox=due&unit_id={}&category=fee", unit.id)),
    ] {
        paths.push((what.into(), "desk", path));
    }
    paths.push(("leader: all".into(), "leader", "/api/v1/cases?inbox=all".into()));
    // A leader handles no case: "mine" must not walk every open case to say so.
    paths.push(("leader: mine (none)".into(), "leader", "/api/v1/cases?inbox=mine".into()));
    paths.push(("leader: list page, counts".into(), "leader", "/console/cases?inbox=all".into()));
    paths.push(("leader: home page".into(), "leader", "/console/home".into()));
    paths.push(("leader: search 态度".into(), "leader", "/api/v1/cases?q=%E6%80%81%E5%BA%A6".into()));

    println!(
        "inbox benchmark: backend={:?}, {} requests each, budget p95 < {} ms",
        store.backend(),
        args.requests,
        args.budget_ms
    );
    let mut over = Vec::new();
    for (what, who, path) in &paths {
        let cookies = if *who == "leader" { &leader } else { &desk };
        let mut times = Vec::new();
        get(&app, cookies, path).await?; // warm
        for _ in 0..args.requests {
            let t0 = Instant::now();
            get(&app, cookies, path).await?;
            times.push(t0.elapsed());
        }
        times.sort();
        let p95 = times[((times.len() as f64 * 0.95) as usize).min(times.len() - 1)];
        report(what, &mut times);
        if p95 > Duration::from_millis(args.budget_ms) {
            over.push(format!("{what} ({path})"));
        }
    }
    if over.is_empty() {
        println!("every request within budget");
        Ok(0)
    } else {
        println!("over budget: {}", over.join(", "));
        Ok(1)
    }
}

/// A desk of the case office at each station, which owns that station's
/// open cases once they are settled.
async fn seat_desks(store: &Store, org_id: OrgId) -> Result<Vec<StationDesk>> {
    let hash =
        chuangkou_web::auth::hash_password(PASSWORD.into()).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let mut desks = Vec::new();
    let stations: Vec<_> = store.units(org_id).await?.into_iter().filter(|u| u.kind == "station").collect();
    for (n, unit) in stations.iter().enumerate() {
        let no = format!("D{:02}", n + 1);
        let s = NewStaff {
            employee_no: no.clone(),
            name: format!("受理员{}", n + 1),
            unit_code: unit.code.clone(),
            position: None,
            phone: None,
            certificate_no: None,
        };
        let staff = store.create_staff(org_id, "bench", &s).await?;
        let username = format!("bench-desk-{:02}", n + 1);
        let user = store
            .create_user(
                org_id,
                "bench",
                &NewUser {
                    username: &username,
                    display_name: &s.name,
                    password_hash: &hash,
                    role: Role::Office,
                    staff_id: Some(staff.id),
                },
            )
            .await?;
        desks.push(StationDesk { unit_id: unit.id, user_id: user.id });
    }
    Ok(desks)
}

/// GETs `path`; the body, if it answered 2xx.
async fn get(app: &axum::Router, cookies: &str, path: &str) -> Result<axum::body::Bytes> {
    let req = Request::get(path).header(header::COOKIE, cookies).body(Body::empty())?;
    let res = app.clone().oneshot(req).await?;
    let status = res.status();
    let body = http_body_util::BodyExt::collect(res.into_body()).await?.to_bytes();
    anyhow::ensure!(status.is_success(), "{path} answered {status}");
    Ok(body)
}

/// The path of the tenth page of the list at `first` (or its last page if
/// it has fewer), following each page's `next_before`.
async fn page_ten(app: &axum::Router, cookies: &str, first: &str) -> Result<String> {
    let mut path = first.to_string();
    for _ in 0..9 {
        let body: serde_json::Value = serde_json::from_slice(&get(app, cookies, &path).await?)?;
        match body["next_before"].as_i64() {
            Some(before) => path = format!("{first}&before={before}"),
            None => break,
        }
    }
    Ok(path)
}
