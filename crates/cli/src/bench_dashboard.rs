//! `chuangkou bench dashboard`: a toll company the size of seed 000 (19
//! stations, 1,300 staff, about 150,000 vehicles a day) with a year of
//! ratings, cases, traffic and ledger facts, written through the store's
//! own paths; then the time of the month's full assessment and of the
//! dashboard page and of the monthly notice PDF (the real router, signed
//! in as a leader), as p50/p95.

use std::time::{Duration, Instant};

use anyhow::{Context, Result};
use axum::body::Body;
use axum::http::{Request, header};
use chrono::{Datelike, Months};
use chuangkou_domain::Role;
use chuangkou_domain::cases::{CaseKind, Channel};
use chuangkou_domain::kpi::{Period, VolumeRow};
use chuangkou_domain::ledger::FactKind;
use chuangkou_domain::org::{NewServicePoint, NewStaff, NewUnit, ServicePointKind, UnitKind};
use chuangkou_domain::policy::PolicySet;
use chuangkou_domain::satisfaction::Level;
use chuangkou_store::Store;
use chuangkou_store::cases::NewCase;
use chuangkou_store::ledger::{NewFact, Proposer};
use chuangkou_store::ratings::{NewRating, RatingInput};
use chuangkou_store::users::NewUser;
use chuangkou_web::{AppState, WebConfig};
use tower::ServiceExt;

#[derive(clap::Args)]
pub struct DashboardBenchArgs {
    /// sqlite or postgres (a fresh database on CHUANGKOU_TEST_PG).
    #[arg(long, default_value = "sqlite")]
    pub backend: String,
    #[arg(long, default_value_t = 19)]
    pub stations: usize,
    #[arg(long, default_value_t = 1300)]
    pub staff: usize,
    /// Quick ratings over the year.
    #[arg(long, default_value_t = 1_000_000)]
    pub ratings: usize,
    /// Cases over the year.
    #[arg(long, default_value_t = 50_000)]
    pub cases: usize,
    /// Dashboard requests to time.
    #[arg(long, default_value_t = 30)]
    pub requests: usize,
    /// Keep the generated database in this folder (SQLite) or database
    /// name (PostgreSQL) and, when it already holds one, measure that
    /// instead of generating again — after it is migrated, so a new index
    /// can be measured on the same data.
    #[arg(long)]
    pub keep: Option<std::path::PathBuf>,
}

pub(crate) const PASSWORD: &str = "bench-password-1";

/// How big a generated organisation is.
pub(crate) struct Scale {
    pub stations: usize,
    pub staff: usize,
    pub ratings: usize,
    pub cases: usize,
}

/// The benchmark's database: kept in `keep` (a folder for SQLite, a
/// database of that name for PostgreSQL) or a fresh scratch one. Returns
/// the store, migrated, and the generated organisation's id if the kept
/// database already holds it.
pub(crate) async fn open_bench_db(
    backend: &str,
    keep: Option<&std::path::Path>,
) -> Result<(Store, Option<chuangkou_domain::OrgId>, Option<std::path::PathBuf>)> {
    let (url, dir) = match (keep, backend) {
        (Some(dir), "sqlite") => {
            std::fs::create_dir_all(dir)?;
            (format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()), None)
        }
        (Some(name), "postgres") => {
            let name = name.to_string_lossy();
            let url = chuangkou_store::scratch::pg_named_database_url(&name, true)
                .await
                .context("PostgreSQL is not reachable")?;
            (url, None)
        }
        _ => crate::bench::bench_db(backend).await?,
    };
    let store = Store::connect(&url, crate::bench::SECRET.to_vec()).await?;
    store.migrate().await?;
    let kept = store.organisations().await?.into_iter().find(|o| o.code == "BN").map(|o| o.id);
    if kept.is_some() {
        println!(
            "benchmark: measuring the data kept in {}",
            keep.map_or("?".into(), |k| k.display().to_string())
        );
    }
    Ok((store, kept, dir))
}

pub async fn dashboard(args: DashboardBenchArgs) -> Result<i32> {
    let (store, kept, _dir) = open_bench_db(&args.backend, args.keep.as_deref()).await?;
    let policies = PolicySet::builtin();
    let rules = policies.rules("toll").context("toll pack")?;
    let cal = rules.calendar;
    let scale =
        Scale { stations: args.stations, staff: args.staff, ratings: args.ratings, cases: args.cases };
    let org_id = match kept {
        Some(id) => id,
        None => generate(&store, &scale, rules).await?,
    };
    let today = cal.local_date(store.now_ms());

    // The month's full assessment.
    let month = Period::month(today.year(), today.month()).expect("a month");
    let mut times = Vec::new();
    for _ in 0..5 {
        let t0 = Instant::now();
        let a = store.assess_month(org_id, rules, month).await?;
        times.push(t0.elapsed());
        // Every generated member of staff is assessed (and, on data that
        // `bench inbox` has settled, its station desks too).
        assert!(a.staff.len() >= args.staff, "{} assessed of {}", a.staff.len(), args.staff);
    }
    report("monthly assessment", &mut times);

    // The dashboard page, signed in as a leader, through the real router.
    let app = chuangkou_web::app(AppState::new(store.clone(), WebConfig::default(), PolicySet::builtin()));
    let cookies = sign_in(&app, "bench-leader").await?;
    let mut times = time_get(&app, &cookies, "/console/dashboard", args.requests).await?;
    report("dashboard page", &mut times);
    // The month's printable notice (assessment, indicators, PDF layout).
    let mut times = time_get(&app, &cookies, "/api/v1/exports/notice.pdf", args.requests.min(10)).await?;
    report("notice PDF", &mut times);
    // DESIGN: resident set < 200 MB at this size (the whole process:
    // server, store and the benchmark's own bookkeeping).
    if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
        let field = |name: &str| {
            status
                .lines()
                .find(|l| l.starts_with(name))
                .map_or("?".into(), |l| l[name.len()..].trim().to_string())
        };
        println!("memory               resident now {}, peak {}", field("VmRSS:"), field("VmHWM:"));
    }
    Ok(0)
}

/// Times `n` GETs of `path` through the router, checking each answers.
pub(crate) async fn time_get(
    app: &axum::Router,
    cookies: &str,
    path: &str,
    n: usize,
) -> Result<Vec<Duration>> {
    let mut times = Vec::new();
    for _ in 0..n {
        let req = Request::get(path).header(header::COOKIE, cookies).body(Body::empty())?;
        let t0 = Instant::now();
        let res = app.clone().oneshot(req).await?;
        let status = res.status();
        let body = http_body_util::BodyExt::collect(res.into_body()).await?.to_bytes();
        times.push(t0.elapsed());
        anyhow::ensure!(status.is_success() && body.len() > 1000, "{path} answered {status}");
    }
    Ok(times)
}

/// What the generated cases say, by category: two in six mention 态度.
const TEXTS: [(&str, &str); 6] = [
    ("delay", "出口车道排队时间过长"),
    ("attitude", "收费员服务态度生硬"),
    ("fee", "通行费计费有误，多收了钱"),
    ("facility", "ETC 车道抬杆慢"),
    ("facility", "服务区卫生间不干净"),
    ("general", "收费员态度很好，表扬"),
];
/// A rare case (one in 997), for a search that finds few.
const LOST: (&str, &str) = ("general", "遗失物品请求帮忙查找");

/// Builds the organisation and its year of data; returns its id.
pub(crate) async fn generate(
    store: &Store,
    args: &Scale,
    rules: chuangkou_domain::policy::Rules<'_>,
) -> Result<chuangkou_domain::OrgId> {
    let cal = rules.calendar;
    let started = Instant::now();
    let org = store.create_organisation("bench", "BN", "基准测试收费公司", "toll", None).await?;
    let unit = |code: String, kind, parent: Option<&str>| NewUnit {
        code: code.clone(),
        name: code,
        kind,
        parent_code: parent.map(Into::into),
    };
    store.create_unit(org.id, "bench", &unit("C00".into(), UnitKind::Company, None)).await?;
    let mut staff_numbers = Vec::new();
    let mut points = Vec::new();
    for s in 0..args.stations {
        let code = format!("S{:02}", s + 1);
        store.create_unit(org.id, "bench", &unit(code.clone(), UnitKind::Station, Some("C00"))).await?;
        for t in 1..=4 {
            store
                .create_unit(org.id, "bench", &unit(format!("{code}-T{t}"), UnitKind::Team, Some(&code)))
                .await?;
        }
        for l in 1..=8 {
            let p = NewServicePoint {
                code: format!("{code}-L{l}"),
                name: format!("{code} {l} 号车道"),
                kind: ServicePointKind::Lane,
                unit_code: code.clone(),
                vehicle_plate: None,
            };
            points.push(store.create_service_point(org.id, "bench", &p).await?);
        }
    }
    for n in 0..args.staff {
        let station = n % args.stations + 1;
        let team = n / args.stations % 4 + 1;
        let no = format!("B{n:05}");
        let s = NewStaff {
            employee_no: no.clone(),
            name: format!("员工{n}"),
            unit_code: format!("S{station:02}-T{team}"),
            position: None,
            phone: None,
            certificate_no: None,
        };
        let row = store.create_staff(org.id, "bench", &s).await?;
        staff_numbers.push((row.id, no));
    }
    let hash =
        chuangkou_web::auth::hash_password(PASSWORD.into()).await.map_err(|e| anyhow::anyhow!("{e:?}"))?;
    let leader = store
        .create_user(
            org.id,
            "bench",
            &NewUser {
                username: "bench-leader",
                display_name: "领导",
                password_hash: &hash,
                role: Role::Leader,
                staff_id: None,
            },
        )
        .await?;

    // A year to today, day by day: traffic, ratings, cases, some violations.
    let today = cal.local_date(store.now_ms());
    let first = today.with_day(1).expect("day 1").checked_sub_months(Months::new(11)).expect("in range");
    let days: Vec<chrono::NaiveDate> = first.iter_days().take_while(|d| *d <= today).collect();
    let mut volumes = Vec::new();
    for d in &days {
        for s in 0..args.stations {
            volumes.push(VolumeRow {
                row: volumes.len() + 2,
                unit_code: format!("S{:02}", s + 1),
                date: *d,
                vehicles: 150_000 / args.stations as i64,
                passengers: 0,
                transactions: 0,
            });
        }
    }
    store.record_volumes(org.id, "bench", &volumes).await?;
    let per_day_ratings = args.ratings / days.len();
    let per_day_cases = args.cases / days.len();
    let by = Proposer { actor: "bench".into(), user_id: Some(leader.id) };
    let (mut n_ratings, mut n_cases, mut n_facts) = (0usize, 0usize, 0usize);
    for (di, d) in days.iter().enumerate() {
        let noon = cal.start_of_day_ms(*d) + 12 * 3_600_000;
        store.set_clock(noon);
        let mut batch: Vec<NewRating> = Vec::with_capacity(512);
        for k in 0..per_day_ratings {
            let i = di * per_day_ratings + k;
            let point = &points[i % points.len()];
            let (staff_id, _) = &staff_numbers[(i * 7) % staff_numbers.len()];
            let level = match i % 100 {
                0 => Level::Dissatisfied,
                1..=9 => Level::BasicallySatisfied,
                10..=39 => Level::Satisfied,
                _ => Level::VerySatisfied,
            };
            let r = if level.is_bad() {
                let input =
                    RatingInput { level: "2".into(), device: format!("bench-{i}"), ..Default::default() };
                let mut r = store.prepare_rating(&org, rules, point, &input).await?;
                r.staff_id = Some(*staff_id);
                r
            } else {
                NewRating {
                    org_id: org.id,
                    point_id: point.id,
                    unit_id: point.unit_id,
                    staff_id: i.is_multiple_of(3).then_some(*staff_id),
                    level,
                    tags: vec![],
                    comment: None,
                    device: store.device_hash(&format!("bench-{i}")),
                    day: cal.day_number(noon),
                    at: noon,
                    replace_after: noon - 24 * 3_600_000,
                    bad_case: None,
                    limits: vec![],
                }
            };
            batch.push(r);
            if batch.len() == 512 {
                n_ratings += store.record_ratings(&batch).await?.len();
                batch.clear();
            }
        }
        if !batch.is_empty() {
            n_ratings += store.record_ratings(&batch).await?.len();
        }
        let mut cases = Vec::with_capacity(per_day_cases);
        for k in 0..per_day_cases {
            let i = di * per_day_cases + k;
            let point = &points[(i * 13) % points.len()];
            let (category, text) = if i.is_multiple_of(997) { LOST } else { TEXTS[i % TEXTS.len()] };
            let nc = NewCase {
                kind: if i.is_multiple_of(4) && matches!(category, "delay" | "facility" | "general") {
                    CaseKind::Suggestion
                } else {
                    CaseKind::Complaint
                },
                channel: Channel::Hotline,
                category: category.into(),
                track: None,
                description: format!("第{i}件：{text}"),
                unit_id: None,
                service_point_id: Some(point.id),
                subject_staff_id: i.is_multiple_of(5).then(|| staff_numbers[i % staff_numbers.len()].0),
                plate: None,
                reporter_name: None,
                reporter_phone: None,
                registered_by: Some(leader.id),
                issue_tracking_code: false,
                photos: vec![],
                origin: None,
            };
            cases.push(store.prepare_case(&org, rules, &nc, "bench").await?);
        }
        for chunk in cases.chunks(256) {
            n_cases += store.register_batch(chunk).await?.len();
        }
        // A violation every other day, for someone.
        if di.is_multiple_of(2) {
            let (staff, _) = &staff_numbers[(di * 31) % staff_numbers.len()];
            let mut f = NewFact::new(FactKind::Violation, Some(*staff), noon);
            f.rule_code = Some("TY-U1".into());
            f.note = "着装不规范".into();
            store.record_fact(org.id, rules, &by, &f).await?;
            n_facts += 1;
        }
    }
    #[allow(clippy::disallowed_methods)] // a benchmark's data end today, by the machine's clock
    let wall = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH)?.as_millis() as i64;
    store.set_clock(wall);
    println!(
        "generated: backend={:?} stations={} staff={} ratings={n_ratings} cases={n_cases} facts={n_facts} days={} in {:.0} s",
        store.backend(),
        args.stations,
        args.staff,
        days.len(),
        started.elapsed().as_secs_f64()
    );

    Ok(org.id)
}

pub(crate) fn report(what: &str, times: &mut [Duration]) {
    times.sort();
    let pct = |p: f64| times[((times.len() as f64 * p) as usize).min(times.len() - 1)].as_secs_f64() * 1000.0;
    println!(
        "{what:<20} n={} p50 {:.0} ms, p95 {:.0} ms, max {:.0} ms",
        times.len(),
        pct(0.5),
        pct(0.95),
        pct(1.0)
    );
}

/// Signs the benchmark's leader in; returns the `Cookie` header to send.
pub(crate) async fn sign_in(app: &axum::Router, username: &str) -> Result<String> {
    let res = app.clone().oneshot(Request::get("/login").body(Body::empty())?).await?;
    let mut jar: Vec<String> = set_cookies(&res);
    let csrf = jar.iter().find_map(|c| c.strip_prefix("ck_csrf=")).context("no form token")?.to_string();
    let body = format!("username={username}&password={PASSWORD}&_csrf={csrf}");
    let req = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, jar.join("; "))
        .body(Body::from(body))?;
    let res = app.clone().oneshot(req).await?;
    anyhow::ensure!(res.status().is_redirection(), "sign-in answered {}", res.status());
    jar.extend(set_cookies(&res));
    Ok(jar.join("; "))
}

fn set_cookies(res: &axum::http::Response<Body>) -> Vec<String> {
    res.headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next().map(str::to_string))
        .collect()
}
