//! Indicators (KPI-1, KPI-2) on small hand-computed data and with the taxi
//! figures of seed 002 (41 valid complaints in January and 27 in February,
//! 68 in two months, against 170 a year earlier: down 60 %), on SQLite and
//! on PostgreSQL.
// Tests: a panic is the failure report, and a test may wait on real time.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use chrono::NaiveDate;
use chuangkou_domain::cases::lifecycle::Conclusion;
use chuangkou_domain::cases::{Actor, CaseKind, Channel, Command, Finding, Responsibility, Satisfaction};
use chuangkou_domain::kpi::{Period, parse_volumes};
use chuangkou_domain::org::{NewServicePoint, NewStaff, NewUnit, ServicePointKind, UnitKind};
use chuangkou_domain::policy::PolicySet;
use chuangkou_domain::{CaseId, OrgId, Role, StaffId, UserId};
use chuangkou_store::cases::{ActInput, NewCase};
use chuangkou_store::indicators::Subject;
use chuangkou_store::org::Organisation;
use chuangkou_store::ratings::RatingInput;
use chuangkou_store::users::NewUser;
use chuangkou_store::{Store, StoreError, story};

/// The dashboard's figures by unit (one query a measure, grouped by unit)
/// agree, field by field, with each subject's own.
async fn same_by_unit(
    store: &Store,
    org: OrgId,
    cal: &chuangkou_domain::calendar::Calendar,
    units: &[i64],
    p: Period,
) {
    let (whole, each) = store.indicators_by_unit(org, cal, units, p).await.unwrap();
    let json = |i: &chuangkou_store::indicators::Indicators| serde_json::to_value(i).unwrap();
    let own = store.indicators(org, cal, Subject::Organisation, p).await.unwrap();
    assert_eq!(json(&whole), json(&own), "the organisation");
    assert_eq!(each.len(), units.len());
    for (u, i) in units.iter().zip(&each) {
        let own = store.indicators(org, cal, Subject::Unit(*u), p).await.unwrap();
        assert_eq!(json(i), json(&own), "unit {u}");
    }
}

fn noon(y: i32, m: u32, d: u32) -> i64 {
    let cal = PolicySet::builtin().calendars["cn-2026"].clone();
    cal.start_of_day_ms(NaiveDate::from_ymd_opt(y, m, d).unwrap()) + 12 * 3_600_000
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

struct World {
    org: Organisation,
    units: [i64; 2],
    staff: StaffId,
    office: UserId,
}

async fn world(store: &Store, pack: &str) -> World {
    let org = store.create_organisation("test", "JT", "交通集团出租车公司", pack, None).await.unwrap();
    let unit = |c: &str, k, p: Option<&str>| NewUnit {
        code: c.into(),
        name: c.into(),
        kind: k,
        parent_code: p.map(Into::into),
    };
    let u1 = store.create_unit(org.id, "t", &unit("C1", UnitKind::Station, None)).await.unwrap().id;
    store.create_unit(org.id, "t", &unit("C1-T1", UnitKind::Team, Some("C1"))).await.unwrap();
    let u2 = store.create_unit(org.id, "t", &unit("C2", UnitKind::Station, None)).await.unwrap().id;
    let staff = store
        .create_staff(
            org.id,
            "t",
            &NewStaff {
                employee_no: "D01".into(),
                name: "王师傅".into(),
                unit_code: "C1-T1".into(),
                position: None,
                phone: None,
                certificate_no: None,
            },
        )
        .await
        .unwrap()
        .id;
    let office = store
        .create_user(
            org.id,
            "t",
            &NewUser {
                username: "office",
                display_name: "o",
                password_hash: "x",
                role: Role::Office,
                staff_id: None,
            },
        )
        .await
        .unwrap()
        .id;
    World { org, units: [u1, u2], staff, office }
}

async fn complaint(store: &Store, w: &World, at: i64, unit: i64, staff: Option<StaffId>) -> CaseId {
    store.set_clock(at);
    let policies = PolicySet::builtin();
    let rules = policies.rules(&w.org.pack).unwrap();
    let nc = NewCase {
        kind: CaseKind::Complaint,
        channel: Channel::Hotline,
        category: "general".into(),
        track: None,
        description: "司机绕道".into(),
        unit_id: Some(unit),
        service_point_id: None,
        subject_staff_id: staff,
        plate: None,
        reporter_name: None,
        reporter_phone: None,
        registered_by: Some(w.office),
        issue_tracking_code: false,
        photos: vec![],
        origin: None,
    };
    store.register_case(&w.org, rules, &nc, "t").await.unwrap().id
}

async fn act(store: &Store, w: &World, case: CaseId, input: ActInput) {
    let policies = PolicySet::builtin();
    let rules = policies.rules(&w.org.pack).unwrap();
    let actor = Actor::User { id: w.office, role: Role::Office };
    store.act(w.org.id, case, actor, &format!("user:{}", w.office), &input, rules).await.unwrap();
}

story!(seed_002_taxi_valid_complaints_fall_sixty_percent_year_on_year, |store| {
    let w = world(&store, "taxi").await;
    let (u1, u2) = (w.units[0], w.units[1]);
    // A year earlier: 170 valid complaints in January and February 2025.
    for n in 0..170 {
        let (m, day) = if n < 95 { (1, 1 + n % 28) } else { (2, 1 + n % 28) };
        complaint(&store, &w, noon(2025, m, day as u32), if n % 2 == 0 { u1 } else { u2 }, None).await;
    }
    // 2026: 41 in January, 27 in February (two of them about the driver).
    for n in 0..41 {
        complaint(&store, &w, noon(2026, 1, 1 + n % 28), u1, None).await;
    }
    for n in 0..27 {
        complaint(
            &store,
            &w,
            noon(2026, 2, 1 + n % 27),
            if n < 20 { u1 } else { u2 },
            (n < 2).then_some(w.staff),
        )
        .await;
    }
    // Not valid: a duplicate merged into its master, one found unfounded, one withdrawn.
    let master = complaint(&store, &w, noon(2026, 2, 10), u1, None).await;
    let dup = complaint(&store, &w, noon(2026, 2, 10), u1, None).await;
    let mut merge = ActInput::new(Command::MergeInto);
    merge.master_case_id = Some(master);
    merge.reason = "多头投诉".into();
    act(&store, &w, dup, merge).await;
    let unfounded = complaint(&store, &w, noon(2026, 2, 11), u1, None).await;
    act(&store, &w, unfounded, ActInput::new(Command::StartInvestigation)).await;
    act(
        &store,
        &w,
        unfounded,
        ActInput::new(Command::Conclude(Conclusion {
            finding: Finding::Unfounded,
            responsibility: Responsibility::Reporter,
            apology_made: false,
            summary: "查看行车记录，路线合理".into(),
        })),
    )
    .await;
    let withdrawn = complaint(&store, &w, noon(2026, 2, 12), u1, None).await;
    let policies = PolicySet::builtin();
    let rules = policies.rules(&w.org.pack).unwrap();
    store
        .act(w.org.id, withdrawn, Actor::Reporter, "public", &ActInput::new(Command::Withdraw), rules)
        .await
        .unwrap();
    // The master of the merged pair counts once: February has 27 + 1.
    let cal = &policies.calendars["cn-2026"];

    let jan = store
        .indicators(w.org.id, cal, Subject::Organisation, Period::month(2026, 1).unwrap())
        .await
        .unwrap();
    assert_eq!(jan.valid_complaints, 41);
    let feb = store
        .indicators(w.org.id, cal, Subject::Organisation, Period::month(2026, 2).unwrap())
        .await
        .unwrap();
    assert_eq!(
        feb.valid_complaints, 28,
        "27 plus the master of the merged pair; the duplicate, the unfounded and the withdrawn do not count"
    );
    assert_eq!((feb.month_on_month.current, feb.month_on_month.previous), (28, 41));
    let two = Period::new(d(2026, 1, 1), d(2026, 2, 28)).unwrap();
    let both = store.indicators(w.org.id, cal, Subject::Organisation, two).await.unwrap();
    assert_eq!(both.valid_complaints, 69);
    assert_eq!(both.year_on_year.previous, 170);
    // Without the master (registered on 10 February at C1), C1 and C2 add up to the seed's 68.
    let c1 = store.indicators(w.org.id, cal, Subject::Unit(u1), two).await.unwrap();
    let c2 = store.indicators(w.org.id, cal, Subject::Unit(u2), two).await.unwrap();
    assert_eq!((c1.valid_complaints, c2.valid_complaints), (41 + 20 + 1, 7));
    let seed = chuangkou_domain::kpi::compare(
        c1.valid_complaints - 1 + c2.valid_complaints,
        both.year_on_year.previous,
    );
    assert_eq!(
        (seed.current, seed.previous, seed.change),
        (68, 170, Some(-0.6)),
        "down 60 % as seed 002 reports"
    );
    // The team is inside C1: a unit's indicators include the units under it.
    let driver = store.indicators(w.org.id, cal, Subject::Staff(w.staff), two).await.unwrap();
    assert_eq!(driver.valid_complaints, 2);
    same_by_unit(&store, w.org.id, cal, &[u1, u2], two).await;
    let (_, by_unit) = store.indicators_by_unit(w.org.id, cal, &[u2, u1], two).await.unwrap();
    assert_eq!((by_unit[0].valid_complaints, by_unit[1].valid_complaints), (7, 62), "in the order asked");
});

story!(each_indicator_on_a_small_hand_computed_set, |store| {
    let w = world(&store, "taxi").await;
    let (u1, u2) = (w.units[0], w.units[1]);
    let policies = PolicySet::builtin();
    let rules = policies.rules(&w.org.pack).unwrap();
    let cal = &policies.calendars["cn-2026"];
    // Volume: 150,000 vehicles at C1 in March (two days), 50,000 at C2.
    let grid = |rows: &[&[&str]]| {
        rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()).collect::<Vec<Vec<String>>>()
    };
    let (rows, errors) = parse_volumes(
        "业务量",
        &grid(&[
            &["单位编码", "日期", "车流量"],
            &["C1", "2026-03-02", "100000"],
            &["C1", "2026-03-03", "50000"],
            &["C2", "2026-03-02", "50000"],
        ]),
    );
    assert!(errors.is_empty());
    assert_eq!(store.record_volumes(w.org.id, "t", &rows).await.unwrap(), 3);
    // A re-import of a day replaces it; an unknown unit changes nothing.
    let (again, _) = parse_volumes(
        "x",
        &grid(&[&["单位编码", "日期", "车流量"], &["C2", "2026-03-02", "50000"], &["C9", "2026-03-02", "1"]]),
    );
    assert!(matches!(store.record_volumes(w.org.id, "t", &again).await, Err(StoreError::Invalid(_))));
    store.record_volumes(w.org.id, "t", &again[..1]).await.unwrap();

    // Complaints in March: 3 at C1, 1 at C2. One at C1 is handled on time
    // with a satisfied callback; one answered late (overdue); one still open.
    let a = complaint(&store, &w, noon(2026, 3, 2), u1, None).await;
    let b = complaint(&store, &w, noon(2026, 3, 3), u1, None).await;
    complaint(&store, &w, noon(2026, 3, 4), u1, None).await;
    complaint(&store, &w, noon(2026, 3, 4), u2, None).await;
    store.set_clock(noon(2026, 3, 2) + 3_600_000);
    for s in [
        ActInput::new(Command::StartInvestigation),
        ActInput::new(Command::Conclude(Conclusion {
            finding: Finding::Substantiated,
            responsibility: Responsibility::Ours,
            apology_made: true,
            summary: "属实".into(),
        })),
        {
            let mut r = ActInput::new(Command::Reply);
            r.text = Some("已处理".into());
            r
        },
    ] {
        act(&store, &w, a, s).await;
    }
    store
        .act(
            w.org.id,
            a,
            Actor::Reporter,
            "public",
            &ActInput::new(Command::Callback(Satisfaction::Satisfied)),
            rules,
        )
        .await
        .unwrap();
    // b: replied two weeks later, after its deadline; the sweep marks it overdue first.
    store.set_clock(noon(2026, 3, 20));
    store.sweep_timers(&chuangkou_domain::policy::PolicySet::builtin()).await.unwrap();
    for s in [
        ActInput::new(Command::StartInvestigation),
        ActInput::new(Command::Conclude(Conclusion {
            finding: Finding::PartlySubstantiated,
            responsibility: Responsibility::Shared,
            apology_made: false,
            summary: "部分属实".into(),
        })),
        {
            let mut r = ActInput::new(Command::Reply);
            r.text = Some("已处理".into());
            r
        },
    ] {
        act(&store, &w, b, s).await;
    }
    store
        .act(
            w.org.id,
            b,
            Actor::Reporter,
            "public",
            &ActInput::new(Command::Callback(Satisfaction::Dissatisfied)),
            rules,
        )
        .await
        .unwrap();

    // Ratings in March at a C1 point: 3 good, 1 bad (which opens a 5th complaint, at C1).
    let point = store
        .create_service_point(
            w.org.id,
            "t",
            &NewServicePoint {
                code: "P1".into(),
                name: "调度窗口".into(),
                kind: ServicePointKind::Window,
                unit_code: "C1".into(),
                vehicle_plate: None,
            },
        )
        .await
        .unwrap();
    store.set_clock(noon(2026, 3, 5));
    for (i, level) in ["5", "4", "3", "1"].iter().enumerate() {
        let r = RatingInput { level: level.to_string(), device: format!("dev-{i}"), ..Default::default() };
        let r = store.prepare_rating(&w.org, rules, &point, &r).await.unwrap();
        store.record_ratings(&[r]).await.unwrap();
    }

    let march = Period::month(2026, 3).unwrap();
    store.set_clock(noon(2026, 4, 1));
    let org = store.indicators(w.org.id, cal, Subject::Organisation, march).await.unwrap();
    assert_eq!(org.valid_complaints, 5);
    assert_eq!(org.volume.vehicles, 200_000);
    assert_eq!(org.complaints_per_10k, Some(0.25), "5 per 200,000 vehicles");
    assert_eq!((org.ratings.total(), org.satisfaction_rate), (4, Some(0.75)));
    assert_eq!((org.callbacks, org.handling_satisfaction), (2, Some(0.5)));
    // Due in March: all five; on time: only a (b was late; the rest are unanswered and overdue by now).
    store.sweep_timers(&chuangkou_domain::policy::PolicySet::builtin()).await.unwrap();
    let org = store.indicators(w.org.id, cal, Subject::Organisation, march).await.unwrap();
    assert_eq!((org.cases_due, org.cases_on_time), (5, 1));
    assert_eq!(org.timely_rate, Some(0.2));
    let c1 = store.indicators(w.org.id, cal, Subject::Unit(u1), march).await.unwrap();
    assert_eq!((c1.valid_complaints, c1.volume.vehicles), (4, 150_000));
    assert_eq!(c1.ratings.total(), 4);
    let c2 = store.indicators(w.org.id, cal, Subject::Unit(u2), march).await.unwrap();
    assert_eq!((c2.valid_complaints, c2.complaints_per_10k), (1, Some(0.2)));
    assert_eq!((c2.ratings.total(), c2.satisfaction_rate), (0, None));
    // Nothing in the ledger or inspections yet: counts are zero, rates absent.
    assert_eq!((org.good_deeds, org.violations, org.fines), (0, 0, chuangkou_domain::Fen::ZERO));
    assert_eq!((org.items_checked, org.compliance_rate, org.rectification_rate), (0, None, None));
    same_by_unit(&store, w.org.id, cal, &[u1, u2], march).await;
});

story!(the_months_assessment_ranks_scores_and_honours_eligibility, |store| {
    let w = world(&store, "toll").await;
    let policies = PolicySet::builtin();
    let rules = policies.rules(&w.org.pack).unwrap();
    // Team C1-T1: 王师傅 (D01) and three more; one more at C2, in no team.
    let mut ids = vec![w.staff];
    for (no, name, unit) in
        [("D02", "李强", "C1-T1"), ("D03", "张敏", "C1-T1"), ("D04", "赵静", "C1-T1"), ("E01", "周平", "C2")]
    {
        let s = NewStaff {
            employee_no: no.into(),
            name: name.into(),
            unit_code: unit.into(),
            position: None,
            phone: None,
            certificate_no: None,
        };
        ids.push(store.create_staff(w.org.id, "t", &s).await.unwrap().id);
    }
    // D01 broke a rule in January: no awards all year, though March is clean.
    let mut f = chuangkou_store::ledger::NewFact::new(
        chuangkou_domain::ledger::FactKind::Violation,
        Some(ids[0]),
        noon(2026, 1, 15),
    );
    f.rule_code = Some("TY-U1".into());
    f.note = "未着装".into();
    let by = chuangkou_store::ledger::Proposer { actor: "t".into(), user_id: Some(w.office) };
    store.record_fact(w.org.id, rules, &by, &f).await.unwrap();
    // March: a valid complaint about D02; two bad ratings naming D03.
    complaint(&store, &w, noon(2026, 3, 3), w.units[0], Some(ids[1])).await;
    let point = store
        .create_service_point(
            w.org.id,
            "t",
            &NewServicePoint {
                code: "L1".into(),
                name: "1 号车道".into(),
                kind: ServicePointKind::Lane,
                unit_code: "C1".into(),
                vehicle_plate: None,
            },
        )
        .await
        .unwrap();
    store.set_clock(noon(2026, 3, 5));
    for dev in ["a", "b"] {
        let r = RatingInput {
            level: "2".into(),
            staff_no: Some("D03".into()),
            device: dev.into(),
            ..Default::default()
        };
        let r = store.prepare_rating(&w.org, rules, &point, &r).await.unwrap();
        store.record_ratings(&[r]).await.unwrap();
    }

    let a = store.assess_month(w.org.id, rules, Period::month(2026, 3).unwrap()).await.unwrap();
    let by_no = |no: &str| a.staff.iter().find(|s| s.employee_no == no).unwrap();
    // The bad ratings opened cases about D03; they are scored once, as bad ratings: 100 − 2.
    assert_eq!(
        (by_no("D01").score, by_no("D02").score, by_no("D03").score, by_no("D04").score),
        (100.0, 95.0, 98.0, 100.0)
    );
    assert_eq!(by_no("D03").tally.complaints, 0);
    assert_eq!(by_no("D03").tally.bad_ratings, 2);
    let order: Vec<(&str, usize)> = a.staff.iter().map(|s| (s.employee_no.as_str(), s.rank)).collect();
    assert_eq!(order, [("D01", 1), ("D04", 1), ("E01", 1), ("D03", 4), ("D02", 5)]);
    assert_eq!((by_no("D01").stars, by_no("D03").stars, by_no("D02").stars), (5, 4, 3));
    assert!(!by_no("D01").eligible && !by_no("D01").reasons.is_empty());
    // 服务标兵: the best three eligible at 98 or more; D01 is shown as ineligible, with the reason.
    let model = a.awards.iter().find(|x| x.title == "服务标兵").unwrap();
    assert_eq!(model.winners.iter().map(|w| w.1.as_str()).collect::<Vec<_>>(), ["赵静", "周平", "张敏"]);
    assert_eq!(model.ineligible.len(), 1);
    assert_eq!(model.ineligible[0].1, "王师傅");
    assert!(!model.ineligible[0].3.is_empty());
    // 金牌服务班组: the team's mean, (100 + 95 + 98 + 100) / 4 = 98.25 ≥ 95.
    assert_eq!(a.teams.len(), 1);
    assert_eq!(a.teams[0].score, 98.25);
    let gold = a.awards.iter().find(|x| x.title == "金牌服务班组").unwrap();
    assert_eq!(gold.winners[0].1, "C1C1-T1", "a team is named with its station");

    // A leader closes March: the results are frozen; a violation recorded
    // later for March shows as a difference, not as a rewrite.
    let march = Period::month(2026, 3).unwrap();
    assert!(store.closed_month(w.org.id, rules, march).await.unwrap().is_none());
    let closed = store.close_month(w.org.id, rules, march, w.office).await.unwrap();
    assert!(closed.differences.is_empty());
    let e = store.close_month(w.org.id, rules, march, w.office).await.unwrap_err();
    assert!(matches!(e, StoreError::Refused { conflict: true, .. }), "{e:?}");
    let mut late = chuangkou_store::ledger::NewFact::new(
        chuangkou_domain::ledger::FactKind::Violation,
        Some(ids[3]),
        noon(2026, 3, 20),
    );
    late.rule_code = Some("TY-U2".into());
    late.note = "补录".into();
    let out = store.record_fact(w.org.id, rules, &by, &late).await.unwrap();
    // It counts once approved (by someone other than its proposer).
    let leader = store
        .create_user(
            w.org.id,
            "t",
            &NewUser {
                username: "leader",
                display_name: "l",
                password_hash: "x",
                role: Role::Leader,
                staff_id: None,
            },
        )
        .await
        .unwrap();
    for id in out.proposed {
        if store.entry(w.org.id, id).await.unwrap().kind == "violation" {
            let ok = chuangkou_store::ledger::EntryDecision {
                approve: true,
                kind: None,
                amount: None,
                note: String::new(),
            };
            store.decide_entry(w.org.id, rules, &leader, id, &ok).await.unwrap();
        }
    }
    let now = store.closed_month(w.org.id, rules, march).await.unwrap().unwrap();
    let frozen_d04 = now.results.staff.iter().find(|s| s.employee_no == "D04").unwrap().score;
    assert_eq!(frozen_d04, 100.0, "the frozen results stay as they were");
    assert_eq!(now.differences, vec![(ids[3], "赵静".to_string(), 100.0, 97.0)]);
    let events = store.events(w.org.id, None, 50).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "assessment.closed" && e.payload.contains("2026-03")));
    let cal = &PolicySet::builtin().calendars["cn-2026"];
    let ledger = store.indicators(w.org.id, cal, Subject::Unit(w.units[0]), march).await.unwrap();
    assert!(ledger.violations > 0, "the ledger's measures are compared too");
    same_by_unit(&store, w.org.id, cal, &w.units, march).await;
});
