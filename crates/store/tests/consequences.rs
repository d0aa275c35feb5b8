//! Consequences people can trust (pay, awards, reputations), scenario by
//! scenario with the shipped packs' numbers, on SQLite and on PostgreSQL:
//! approved violations count wherever violations count, team awards honour
//! eligibility and ranked roles, and the hall's clock feeds its discipline
//! rules.
// Tests: a panic is the failure report, and a test may wait on real time.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use chrono::NaiveDate;
use chuangkou_domain::cases::{Actor, CaseKind, Channel, Command};
use chuangkou_domain::inspections::{InspectionKind, InspectionMode, ItemResult, TargetKind};
use chuangkou_domain::kpi::Period;
use chuangkou_domain::ledger::{EntryKind, FactKind};
use chuangkou_domain::org::{NewStaff, NewUnit, UnitKind};
use chuangkou_domain::policy::{PolicySet, Rules};
use chuangkou_domain::{Role, StaffId};
use chuangkou_store::cases::{ActInput, NewCase};
use chuangkou_store::indicators::Subject;
use chuangkou_store::inspections::{NewInspection, NewItem};
use chuangkou_store::ledger::{EntryDecision, EntryRow, NewEntry, NewFact, Proposer};
use chuangkou_store::org::Organisation;
use chuangkou_store::users::{NewUser, User};
use chuangkou_store::{Store, story};

const H: i64 = 3_600_000;

struct World {
    org: Organisation,
    policies: PolicySet,
    office: User,
    office2: User,
    leader: User,
    supervisor: User,
    /// Team 一班: the collector 陈晓燕 (1001) and 李强 (1002).
    collector: StaffId,
    t1: i64,
    /// Team 二班: 王芳 (2001) and 赵磊 (2002).
    t2: i64,
    wang: StaffId,
    /// The station master 张站长 (0001), a leader's staff record.
    master: StaffId,
}

impl World {
    fn rules(&self) -> Rules<'_> {
        self.policies.rules(&self.org.pack).unwrap()
    }
}

fn at(cal_day: (u32, u32), hour: i64) -> i64 {
    let cal = PolicySet::builtin().calendars["cn-2026"].clone();
    cal.start_of_day_ms(NaiveDate::from_ymd_opt(2026, cal_day.0, cal_day.1).unwrap()) + hour * H
}

async fn world(store: &Store, pack: &str) -> World {
    let org = store.create_organisation("test", "TY", "太原高速", pack, None).await.unwrap();
    let unit = |c: &str, n: &str, k, p: Option<&str>| NewUnit {
        code: c.into(),
        name: n.into(),
        kind: k,
        parent_code: p.map(Into::into),
    };
    store.create_unit(org.id, "t", &unit("S01", "小店收费站", UnitKind::Station, None)).await.unwrap();
    let t1 =
        store.create_unit(org.id, "t", &unit("S01-T1", "一班", UnitKind::Team, Some("S01"))).await.unwrap();
    let t2 =
        store.create_unit(org.id, "t", &unit("S01-T2", "二班", UnitKind::Team, Some("S01"))).await.unwrap();
    let mut ids = vec![];
    for (no, name, unit, position) in [
        ("1001", "陈晓燕", "S01-T1", "收费员"),
        ("1002", "李强", "S01-T1", "收费员"),
        ("2001", "王芳", "S01-T2", "收费员"),
        ("2002", "赵磊", "S01-T2", "收费员"),
        ("0001", "张站长", "S01", "站长"),
    ] {
        let s = NewStaff {
            employee_no: no.into(),
            name: name.into(),
            unit_code: unit.into(),
            position: Some(position.into()),
            phone: None,
            certificate_no: None,
        };
        ids.push(store.create_staff(org.id, "t", &s).await.unwrap().id);
    }
    let user = |name: &'static str, role, staff_id| async move {
        store
            .create_user(
                org.id,
                "t",
                &NewUser { username: name, display_name: name, password_hash: "x", role, staff_id },
            )
            .await
            .unwrap()
    };
    World {
        policies: PolicySet::builtin(),
        office: user("office", Role::Office, None).await,
        office2: user("office2", Role::Office, None).await,
        leader: user("leader", Role::Leader, Some(ids[4])).await,
        supervisor: user("supervisor", Role::Supervisor, None).await,
        collector: ids[0],
        t1: t1.id,
        t2: t2.id,
        wang: ids[2],
        master: ids[4],
        org,
    }
}

/// A taxi of `unit` driven by the staff member numbered `driver`, with its
/// 服务监督卡 (the QR service point).
async fn taxi(
    store: &Store,
    w: &World,
    plate: &str,
    unit: &str,
    driver: &str,
) -> chuangkou_store::org::ServicePoint {
    let v = chuangkou_domain::org::NewVehicle {
        plate: plate.into(),
        unit_code: unit.into(),
        driver_employee_no: Some(driver.into()),
    };
    store.create_vehicle(w.org.id, "t", &v).await.unwrap();
    let p = chuangkou_domain::org::NewServicePoint {
        code: plate.chars().filter(char::is_ascii_alphanumeric).collect(),
        name: format!("{plate} 服务监督卡"),
        kind: chuangkou_domain::org::ServicePointKind::Taxi,
        unit_code: unit.into(),
        vehicle_plate: Some(plate.into()),
    };
    store.create_service_point(w.org.id, "t", &p).await.unwrap()
}

fn approve() -> EntryDecision {
    EntryDecision { approve: true, kind: None, amount: None, note: String::new() }
}

async fn entries(store: &Store, w: &World, ids: &[i64]) -> Vec<EntryRow> {
    let mut v = vec![];
    for id in ids {
        v.push(store.entry(w.org.id, *id).await.unwrap());
    }
    v
}

fn item(rule: &str, result: ItemResult, note: &str) -> NewItem {
    NewItem { rule_code: rule.into(), result, note: note.into(), photos: vec![] }
}

/// A secret inspection of the collector on 10 March 2026 that fails two items.
async fn secret_inspection_with_two_failures(store: &Store, w: &World) -> Vec<EntryRow> {
    store.set_clock(at((3, 10), 12));
    let n = NewInspection {
        plan_id: None,
        kind: InspectionKind::Routine,
        mode: InspectionMode::Secret,
        target_kind: TargetKind::Staff,
        target_id: w.collector.get(),
        staff_id: None,
        visited_at: store.now_ms() - H,
        summary: "暗访小店收费站".into(),
        facilities: vec![],
        campaign_id: None,
        items: vec![
            item("TY-U1", ItemResult::Fail, "未佩戴工号牌"),
            item("TY-U2", ItemResult::Fail, "未使用文明用语"),
            item("TY-U3", ItemResult::Pass, ""),
        ],
    };
    let out = store.record_inspection(w.org.id, w.rules(), &w.supervisor, &n).await.unwrap();
    assert_eq!(out.failed, 2);
    entries(store, w, &out.proposed).await
}

story!(two_approved_violations_from_a_secret_inspection_lower_the_score_and_count_everywhere, |store| {
    let w = world(&store, "toll").await;
    let rules = w.rules();
    let per_violation = rules.pack.assessment.per_violation;
    let base = rules.pack.assessment.base;
    let march = Period::month(2026, 3).unwrap();
    let proposed = secret_inspection_with_two_failures(&store, &w).await;
    let violations: Vec<&EntryRow> = proposed.iter().filter(|e| e.kind == "violation").collect();
    assert_eq!(violations.len(), 2, "one violation per failed item");

    // Proposed only: nothing counts yet.
    let a = store.assess_month(w.org.id, rules, march).await.unwrap();
    let chen = a.staff.iter().find(|s| s.staff_id == w.collector).unwrap();
    assert_eq!((chen.tally.violations, chen.score), (0, base));

    // The office approves both (the supervisor proposed them).
    for e in &violations {
        store.decide_entry(w.org.id, rules, &w.office, e.id, &approve()).await.unwrap();
    }
    let a = store.assess_month(w.org.id, rules, march).await.unwrap();
    let chen = a.staff.iter().find(|s| s.staff_id == w.collector).unwrap();
    assert_eq!(chen.tally.violations, 2);
    assert_eq!(chen.score, base - 2.0 * per_violation, "100 − 2 × 3");
    assert!(chen.tally.criticised(), "listed under 批评 in the notice");
    let cal = rules.calendar;
    let org = store.indicators(w.org.id, cal, Subject::Organisation, march).await.unwrap();
    let her = store.indicators(w.org.id, cal, Subject::Staff(w.collector), march).await.unwrap();
    let team = store.indicators(w.org.id, cal, Subject::Unit(w.t1), march).await.unwrap();
    assert_eq!((org.violations, her.violations, team.violations), (2, 2, 2));

    // A reversed violation no longer counts (and its reversal entry neither).
    store.reverse_entry(w.org.id, rules, &w.leader, violations[0].id, "复核：工号牌已佩戴").await.unwrap();
    let a = store.assess_month(w.org.id, rules, march).await.unwrap();
    let chen = a.staff.iter().find(|s| s.staff_id == w.collector).unwrap();
    assert_eq!((chen.tally.violations, chen.score), (1, base - per_violation));
    let org = store.indicators(w.org.id, cal, Subject::Organisation, march).await.unwrap();
    assert_eq!(org.violations, 1);
    chuangkou_store::testing::assert_records_whole(&store).await;
});

story!(a_team_that_lost_eligibility_is_passed_over_for_the_gold_team_award, |store| {
    let w = world(&store, "toll").await;
    let rules = w.rules();
    let by = Proposer::user(&w.office);
    // 二班 has a valid complaint about 王芳: mean (95 + 100) / 2 = 97.5;
    // 一班 is clean (100) but the team itself broke a service rule in
    // January: the pack proposes the team's loss of award eligibility.
    store.set_clock(at((1, 20), 12));
    let mut f = NewFact::new(FactKind::Violation, None, at((1, 15), 12));
    f.unit_id = Some(w.t1);
    f.rule_code = Some("TY-U4".into());
    f.note = "一班亭内物品未定置摆放".into();
    let out = store.record_fact(w.org.id, rules, &by, &f).await.unwrap();
    let team_entries = entries(&store, &w, &out.proposed).await;
    let lost =
        team_entries.iter().find(|e| e.kind == "award_ineligible").expect("the team loses eligibility");
    assert_eq!((lost.staff_id, lost.unit_id), (None, w.t1));
    store.decide_entry(w.org.id, rules, &w.office2, lost.id, &approve()).await.unwrap();
    store.set_clock(at((3, 3), 12));
    let nc = NewCase {
        kind: CaseKind::Complaint,
        channel: Channel::Hotline,
        category: "attitude".into(),
        track: None,
        description: "收费员态度生硬".into(),
        unit_id: Some(w.t2),
        service_point_id: None,
        subject_staff_id: Some(w.wang),
        plate: None,
        reporter_name: None,
        reporter_phone: None,
        registered_by: Some(w.office.id),
        issue_tracking_code: false,
        photos: vec![],
        origin: None,
    };
    store.register_case(&w.org, rules, &nc, "t").await.unwrap();

    // An inspector of the company's office: scored, never a 服务标兵 candidate.
    let office =
        NewUnit {
            code: "C01".into(), name: "征费室".into(), kind: UnitKind::Department, parent_code: None
        };
    store.create_unit(w.org.id, "t", &office).await.unwrap();
    let clerk = NewStaff {
        employee_no: "3001".into(),
        name: "李卫东".into(),
        unit_code: "C01".into(),
        position: Some("稽查员".into()),
        phone: None,
        certificate_no: None,
    };
    let clerk = store.create_staff(w.org.id, "t", &clerk).await.unwrap().id;
    let a = store.assess_month(w.org.id, rules, Period::month(2026, 3).unwrap()).await.unwrap();
    let c = a.staff.iter().find(|s| s.staff_id == clerk).unwrap();
    assert_eq!((c.score, c.ranked), (100.0, false));
    let score = |id: i64| a.teams.iter().find(|t| t.unit_id == id).unwrap().score;
    assert_eq!((score(w.t1), score(w.t2)), (100.0, 97.5));
    let gold = a.awards.iter().find(|x| x.title == "金牌服务班组").unwrap();
    assert_eq!(gold.winners.iter().map(|x| x.1.as_str()).collect::<Vec<_>>(), ["小店收费站二班"]);
    assert_eq!(gold.ineligible.len(), 1);
    assert_eq!(gold.ineligible[0].1, "小店收费站一班");
    assert!(gold.ineligible[0].3[0].contains(&format!("#{}", lost.id)), "{:?}", gold.ineligible[0].3);

    // 服务标兵 goes to front-line staff: the station master (a leader's
    // staff record, 100 points) is scored but is not a candidate.
    let master = a.staff.iter().find(|s| s.staff_id == w.master).unwrap();
    assert_eq!((master.score, master.ranked), (100.0, false));
    let model = a.awards.iter().find(|x| x.title == "服务标兵").unwrap();
    let names: Vec<&str> = model.winners.iter().map(|x| x.1.as_str()).collect();
    assert_eq!(names, ["陈晓燕", "李强", "赵磊"]);
    assert!(model.ineligible.is_empty());
});

story!(a_hall_matter_overdue_and_a_neglected_first_question_warn_their_clerk_without_a_hand_entry, |store| {
    let w = world(&store, "hall").await;
    let rules = w.rules();
    let cal = rules.calendar;
    // The office clerk 陈晓燕 registers two matters on Mon 16 Nov 2026 at 10:00.
    let clerk = store
        .create_user(
            w.org.id,
            "t",
            &NewUser {
                username: "clerk",
                display_name: "陈晓燕",
                password_hash: "x",
                role: Role::Office,
                staff_id: Some(w.collector),
            },
        )
        .await
        .unwrap();
    store.set_clock(at((11, 16), 10));
    let matter = |text: &str| NewCase {
        kind: CaseKind::Complaint,
        channel: Channel::WalkIn,
        category: "efficiency".into(),
        track: Some("leader_approval".into()),
        description: text.into(),
        unit_id: Some(w.t1),
        service_point_id: None,
        subject_staff_id: None,
        plate: None,
        reporter_name: None,
        reporter_phone: None,
        registered_by: Some(clerk.id),
        issue_tracking_code: false,
        photos: vec![],
        origin: None,
    };
    let handled = store.register_case(&w.org, rules, &matter("许可证延续办理"), "t").await.unwrap();
    let ignored = store.register_case(&w.org, rules, &matter("咨询计量器具检定"), "t").await.unwrap();
    // She starts the first at once, but does not answer it in 2 working days;
    // the second she neither starts nor hands over.
    let me = Actor::User { id: clerk.id, role: Role::Office };
    store
        .act(w.org.id, handled.id, me, "user:clerk", &ActInput::new(Command::StartInvestigation), rules)
        .await
        .unwrap();

    // The end of Monday: the first-question check fires for the untouched one only.
    store.set_clock(at((11, 17), 0) + 1);
    let s = store.sweep_timers(&w.policies).await.unwrap();
    assert_eq!(s.facts, 1, "{s:?}");
    let warnings = |kind: EntryKind| {
        let store = store.clone();
        let org = w.org.id;
        async move {
            let f = chuangkou_store::ledger::EntryFilter { limit: 500, ..Default::default() };
            let all = store.entries(org, &f).await.unwrap();
            all.into_iter().filter(|e| e.kind == kind.as_str()).collect::<Vec<_>>()
        }
    };
    let first = warnings(EntryKind::EfficiencyWarning).await;
    assert_eq!(first.len(), 1);
    assert_eq!(
        (first[0].staff_id, first[0].rule_code.as_str()),
        (Some(w.collector), "first_question_neglected")
    );
    assert_eq!(first[0].case_id, Some(ignored.id));
    assert_eq!(first[0].proposed_by, "system");

    // The end of Wed 18 Nov passes with both unanswered: each is overdue at
    // 2 working days and each proposes a warning for its handler.
    store.set_clock(at((11, 19), 0) + 1);
    let s = store.sweep_timers(&w.policies).await.unwrap();
    assert_eq!((s.overdue, s.facts), (2, 2), "{s:?}");
    let all = warnings(EntryKind::EfficiencyWarning).await;
    let missed: Vec<&EntryRow> = all.iter().filter(|e| e.rule_code == "deadline_missed").collect();
    assert_eq!(missed.len(), 2);
    assert!(missed.iter().all(|e| e.staff_id == Some(w.collector)));
    // 累计3人次 in her department this month: a collective warning, with no hand entry.
    let collective = warnings(EntryKind::CollectiveWarning).await;
    assert_eq!(collective.len(), 1, "three warnings of one person are three 人次");
    assert_eq!((collective[0].staff_id, collective[0].unit_id), (None, w.t1));
    assert!(collective[0].explanation.contains("累计 3 人次"), "{}", collective[0].explanation);
    // Sweeping again records nothing twice.
    assert_eq!(store.sweep_timers(&w.policies).await.unwrap().facts, 0);

    // Approved warnings lower her November score by the pack's number.
    for e in &all {
        store.decide_entry(w.org.id, rules, &w.leader, e.id, &approve()).await.unwrap();
    }
    let a = store.assess_month(w.org.id, rules, Period::month(2026, 11).unwrap()).await.unwrap();
    let chen = a.staff.iter().find(|s| s.staff_id == w.collector).unwrap();
    let p = &rules.pack.assessment;
    assert_eq!(chen.tally.warnings, 3);
    assert_eq!(chen.score, p.base - 3.0 * p.per_efficiency_warning);
    assert!(chen.tally.criticised());
    let _ = cal;
    chuangkou_store::testing::assert_records_whole(&store).await;
});

story!(the_office_proposes_an_efficiency_warning_by_hand_and_it_counts_towards_the_collective_one, |store| {
    let w = world(&store, "hall").await;
    let rules = w.rules();
    store.set_clock(at((11, 20), 12));
    let warn = |staff: StaffId| NewEntry {
        kind: EntryKind::EfficiencyWarning,
        staff_id: Some(staff),
        unit_id: None,
        amount: None,
        occurred_at: at((11, 20), 9),
        note: "串岗聊天，经提醒不改".into(),
        detail: None,
    };
    let mut ids = vec![];
    for _ in 0..2 {
        ids.push(store.propose_entry(w.org.id, rules, &w.office, &warn(w.collector)).await.unwrap());
    }
    let collective = |store: Store| async move {
        let f = chuangkou_store::ledger::EntryFilter { limit: 500, ..Default::default() };
        let all = store.entries(w.org.id, &f).await.unwrap();
        all.into_iter().filter(|e| e.kind == "collective_warning").count()
    };
    assert_eq!(collective(store.clone()).await, 0, "two 人次 are not three");
    ids.push(store.propose_entry(w.org.id, rules, &w.office, &warn(w.collector)).await.unwrap());
    assert_eq!(collective(store.clone()).await, 1);
    // The proposer does not approve it; the leader does.
    let e = store.decide_entry(w.org.id, rules, &w.office, ids[0], &approve()).await;
    assert!(e.is_err(), "the office cannot approve in the hall pack, and never its own proposal");
    store.decide_entry(w.org.id, rules, &w.leader, ids[0], &approve()).await.unwrap();
    // A warning names its person.
    let nobody = NewEntry { staff_id: None, unit_id: Some(w.t1), ..warn(w.collector) };
    assert!(store.propose_entry(w.org.id, rules, &w.office, &nobody).await.is_err());
});

story!(a_bad_rating_at_a_taxis_qr_code_lowers_its_drivers_score, |store| {
    let w = world(&store, "taxi").await;
    let rules = w.rules();
    // 晋A·T1234 is driven by 王芳 (2001); the taxi's 服务监督卡 is its QR point.
    let point = taxi(&store, &w, "晋AT1234", "S01-T2", "2001").await;
    assert_eq!((point.driver_id, point.driver_name.as_deref()), (Some(w.wang), Some("王芳")));
    store.set_clock(at((3, 5), 12));
    let rate = |level: &str, device: &str| chuangkou_store::ratings::RatingInput {
        level: level.into(),
        device: device.into(),
        ..Default::default()
    };
    let r = store.prepare_rating(&w.org, rules, &point, &rate("1", "passenger-1")).await.unwrap();
    let out = store.record_ratings(&[r]).await.unwrap();
    let case_id = out[0].case_id.expect("a bad rating opens a case");
    assert_eq!(store.case(w.org.id, case_id).await.unwrap().subject_staff_id, Some(w.wang));

    // A new driver takes the taxi: the earlier rating stays with 王芳.
    let v = chuangkou_domain::org::NewVehicle {
        plate: "晋AT1234".into(),
        unit_code: "S01-T2".into(),
        driver_employee_no: Some("2002".into()),
    };
    store.create_vehicle(w.org.id, "t", &v).await.unwrap();
    let a = store.assess_month(w.org.id, rules, Period::month(2026, 3).unwrap()).await.unwrap();
    let wang = a.staff.iter().find(|s| s.staff_id == w.wang).unwrap();
    let p = &rules.pack.assessment;
    assert_eq!(wang.tally.bad_ratings, 1);
    assert_eq!(wang.score, p.base - p.per_bad_rating);
    let zhao = a.staff.iter().find(|s| s.name == "赵磊").unwrap();
    assert_eq!((zhao.tally.bad_ratings, zhao.score), (0, p.base));
    // The next rating names the new driver.
    let point = store.service_point(w.org.id, point.id).await.unwrap();
    assert_eq!(point.driver_name.as_deref(), Some("赵磊"));
});

story!(the_annual_review_sums_the_months_grades_each_taxi_and_is_closed_once, |store| {
    // Everyone joined at the start of the year.
    store.set_clock(at((1, 2), 9));
    let w = world(&store, "taxi").await;
    let rules = w.rules();
    let by = Proposer::user(&w.office);
    // Three taxis: 王芳 drives 晋AT0001, 赵磊 晋AT0002, 陈晓燕 晋AT0003.
    let point = taxi(&store, &w, "晋AT0001", "S01-T2", "2001").await;
    taxi(&store, &w, "晋AT0002", "S01-T2", "2002").await;
    taxi(&store, &w, "晋AT0003", "S01-T1", "1001").await;
    // January: a bad rating of 王芳's taxi (99 that month); the month is closed.
    store.set_clock(at((1, 10), 12));
    let r = chuangkou_store::ratings::RatingInput {
        level: "2".into(),
        device: "p1".into(),
        ..Default::default()
    };
    let r = store.prepare_rating(&w.org, rules, &point, &r).await.unwrap();
    store.record_ratings(&[r]).await.unwrap();
    store.set_clock(at((2, 2), 12));
    store.close_month(w.org.id, rules, Period::month(2026, 1).unwrap(), w.leader.id).await.unwrap();
    // February: 陈晓燕 refuses a fare (TX-03, serious): a violation, and no star this year.
    let mut f = NewFact::new(FactKind::Violation, Some(w.collector), at((2, 10), 12));
    f.rule_code = Some("TX-03".into());
    f.note = "拒载".into();
    store.set_clock(at((2, 10), 13));
    let out = store.record_fact(w.org.id, rules, &by, &f).await.unwrap();
    for e in entries(&store, &w, &out.proposed).await {
        store.decide_entry(w.org.id, rules, &w.leader, e.id, &approve()).await.unwrap();
    }

    // The review in March covers January to March.
    store.set_clock(at((3, 20), 12));
    let y = store.assess_year(w.org.id, rules, 2026).await.unwrap();
    assert_eq!(y.month, "2026");
    let by_name = |n: &str| y.staff.iter().find(|s| s.name == n).unwrap();
    let p = &rules.pack.assessment;
    assert_eq!(by_name("王芳").tally.bad_ratings, 1, "the months' tallies add up");
    let mean = |months: f64| (months / 3.0 * 100.0).round() / 100.0;
    assert_eq!(by_name("王芳").score, mean((p.base - p.per_bad_rating) + 2.0 * p.base), "the months' mean");
    assert_eq!(by_name("王芳").score, 99.67);
    assert_eq!(by_name("陈晓燕").score, mean((p.base - p.per_violation) + 2.0 * p.base));
    assert!(!by_name("陈晓燕").eligible);
    // 星级服务车: by the pack's thresholds, none for the ineligible driver.
    let star = |plate: &str| y.vehicles.iter().find(|v| v.plate == plate).unwrap();
    assert_eq!((star("晋AT0002").stars, star("晋AT0001").stars, star("晋AT0003").stars), (5, 4, 0));
    assert!(!star("晋AT0003").reasons.is_empty());
    assert_eq!(star("晋AT0001").driver_name.as_deref(), Some("王芳"));
    // The annual award: front-line drivers at 97 or more, the ineligible apart.
    let award = y.awards.iter().find(|a| a.title == "年度优质文明服务驾驶员").unwrap();
    let names: Vec<&str> = award.winners.iter().map(|x| x.1.as_str()).collect();
    assert_eq!(names, ["李强", "赵磊", "王芳"], "张站长 is a leader's staff record");
    assert_eq!(award.ineligible.iter().map(|x| x.1.as_str()).collect::<Vec<_>>(), ["陈晓燕"]);

    // A leader closes the year once; later changes show as differences.
    let closed = store.close_year(w.org.id, rules, 2026, w.leader.id).await.unwrap();
    assert!(closed.differences.is_empty());
    assert!(store.close_year(w.org.id, rules, 2026, w.leader.id).await.is_err());
    store.set_clock(at((3, 21), 12));
    let r = chuangkou_store::ratings::RatingInput {
        level: "1".into(),
        device: "p2".into(),
        ..Default::default()
    };
    let r = store.prepare_rating(&w.org, rules, &point, &r).await.unwrap();
    store.record_ratings(&[r]).await.unwrap();
    let now = store.year_results(w.org.id, rules, 2026).await.unwrap();
    let c = now.closed().expect("closed");
    assert_eq!(c.results.vehicles.len(), 3, "the frozen results keep the vehicles");
    assert_eq!(c.differences.len(), 1, "{:?}", c.differences);
    assert_eq!(c.differences[0].1, "王芳");
    let events = store.events(w.org.id, None, 100).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "assessment.year_closed" && e.payload.contains("\"2026\"")));
    // A future year is refused.
    assert!(store.assess_year(w.org.id, rules, 2027).await.is_err());
    // Someone who joined in March is scored on March alone, not on clean
    // months before they came.
    let newcomer = chuangkou_domain::org::NewStaff {
        employee_no: "3003".into(),
        name: "新人".into(),
        unit_code: "S01-T1".into(),
        position: None,
        phone: None,
        certificate_no: None,
    };
    store.set_clock(at((3, 15), 9));
    let id = store.create_staff(w.org.id, "t", &newcomer).await.unwrap().id;
    let mut f = NewFact::new(FactKind::Violation, Some(id), at((3, 16), 9));
    f.rule_code = Some("TX-05".into());
    f.note = "车内吸烟".into();
    store.set_clock(at((3, 16), 10));
    for e in entries(&store, &w, &store.record_fact(w.org.id, rules, &by, &f).await.unwrap().proposed).await {
        if e.kind == "violation" {
            store.decide_entry(w.org.id, rules, &w.leader, e.id, &approve()).await.unwrap();
        }
    }
    let y = store.assess_year(w.org.id, rules, 2026).await.unwrap();
    let n = y.staff.iter().find(|s| s.staff_id == id).unwrap();
    assert_eq!(n.score, p.base - p.per_violation, "March alone, not (100 + 100 + 97) / 3");
});
