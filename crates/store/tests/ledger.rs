//! The ledger and inspections, rule by rule with the numbers of the shipped
//! packs (seed 001 for toll, seed 002 第三篇 for hall), on SQLite and on
//! PostgreSQL.
// Tests: a panic is the failure report, and a test may wait on real time.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use chrono::NaiveDate;
use chuangkou_domain::cases::lifecycle::Conclusion;
use chuangkou_domain::cases::{Actor, CaseKind, Channel, Command, Finding, Responsibility};
use chuangkou_domain::inspections::{
    InspectionKind, InspectionMode, ItemResult, RectificationStep, ReportOutcome, TargetKind,
};
use chuangkou_domain::ledger::{AppealOutcome, AttendanceKind, EntryKind, FactKind, FineStatus};
use chuangkou_domain::org::{NewStaff, NewUnit, UnitKind};
use chuangkou_domain::policy::{PolicySet, Rules};
use chuangkou_domain::{Fen, OrgId, Role, StaffId};
use chuangkou_store::cases::{ActInput, NewCase};
use chuangkou_store::inspections::{NewInspection, NewItem};
use chuangkou_store::ledger::{EntryDecision, EntryFilter, EntryRow, FineFilter, NewFact, Proposer};
use chuangkou_store::org::Organisation;
use chuangkou_store::users::{NewUser, User};
use chuangkou_store::{Store, StoreError, story};

struct World {
    org: OrgId,
    policies: PolicySet,
    office: User,
    office2: User,
    leader: User,
    supervisor: User,
    finance: User,
    /// The collector, and their user.
    staff: [StaffId; 3],
    staff_user: User,
    manager: StaffId,
    team: i64,
    organisation: Organisation,
}

impl World {
    fn rules(&self) -> Rules<'_> {
        self.policies.rules(&self.organisation.pack).unwrap()
    }
}

async fn world(store: &Store, pack: &str) -> World {
    let organisation = store.create_organisation("test", "TY", "太原高速", pack, None).await.unwrap();
    let org = organisation.id;
    let unit = |c: &str, k, p: Option<&str>| NewUnit {
        code: c.into(),
        name: c.into(),
        kind: k,
        parent_code: p.map(Into::into),
    };
    store.create_unit(org, "t", &unit("S01", UnitKind::Station, None)).await.unwrap();
    let team = store.create_unit(org, "t", &unit("S01-T1", UnitKind::Team, Some("S01"))).await.unwrap().id;
    let staff = |no: &str| NewStaff {
        employee_no: no.into(),
        name: format!("员工{no}"),
        unit_code: "S01-T1".into(),
        position: None,
        phone: None,
        certificate_no: None,
    };
    let mut ids = [StaffId::default(); 3];
    for (i, no) in ["1001", "1002", "1003"].iter().enumerate() {
        ids[i] = store.create_staff(org, "t", &staff(no)).await.unwrap().id;
    }
    let manager = store.create_staff(org, "t", &staff("1000")).await.unwrap().id;
    store.set_unit_manager(org, "t", team, Some(manager)).await.unwrap();
    let user = |name: &'static str, role, staff_id| async move {
        store
            .create_user(
                org,
                "t",
                &NewUser { username: name, display_name: name, password_hash: "x", role, staff_id },
            )
            .await
            .unwrap()
    };
    World {
        org,
        policies: PolicySet::builtin(),
        office: user("office", Role::Office, None).await,
        office2: user("office2", Role::Office, None).await,
        leader: user("leader", Role::Leader, None).await,
        supervisor: user("supervisor", Role::Supervisor, None).await,
        finance: user("finance", Role::Finance, None).await,
        staff_user: user("collector", Role::Staff, Some(ids[0])).await,
        staff: ids,
        manager,
        team,
        organisation,
    }
}

/// Noon on a day of 2026 in Beijing.
fn day(m: u32, d: u32) -> i64 {
    let cal = PolicySet::builtin().calendars["cn-2026"].clone();
    cal.start_of_day_ms(NaiveDate::from_ymd_opt(2026, m, d).unwrap()) + 12 * 3_600_000
}

fn violation(staff: StaffId, rule: &str, at: i64) -> NewFact {
    let mut f = NewFact::new(FactKind::Violation, Some(staff), at);
    f.rule_code = Some(rule.into());
    f.note = "未使用文明用语".into();
    f
}

fn kinds(entries: &[EntryRow]) -> Vec<&str> {
    let mut k: Vec<&str> = entries.iter().map(|e| e.kind.as_str()).collect();
    k.sort();
    k
}

async fn of(store: &Store, w: &World, ids: &[i64]) -> Vec<EntryRow> {
    let mut v = vec![];
    for id in ids {
        v.push(store.entry(w.org, *id).await.unwrap());
    }
    v
}

fn approve() -> EntryDecision {
    EntryDecision { approve: true, kind: None, amount: None, note: String::new() }
}

story!(two_violations_in_one_year_cost_400_yuan_all_awards_and_a_serious_handling, |store| {
    let w = world(&store, "toll").await;
    let by = Proposer::user(&w.office);
    // March: the first violation of 六个统一 (seed 001 八(一)).
    let march =
        store.record_fact(w.org, w.rules(), &by, &violation(w.staff[0], "TY-U2", day(3, 10))).await.unwrap();
    let first = of(&store, &w, &march.proposed).await;
    assert_eq!(kinds(&first), ["award_ineligible", "fine", "violation"]);
    let fine = first.iter().find(|e| e.kind == "fine").unwrap();
    assert_eq!((fine.fine_min, fine.fine_max), (Some(Fen::new(20000)), Some(Fen::new(20000))));
    assert!(fine.explanation.contains("200元"), "{}", fine.explanation);
    assert!(fine.explanation.contains(&format!("#{}", march.fact_id)), "{}", fine.explanation);
    // September: the second, in the same year.
    let sept =
        store.record_fact(w.org, w.rules(), &by, &violation(w.staff[0], "TY-U1", day(9, 2))).await.unwrap();
    let second = of(&store, &w, &sept.proposed).await;
    assert_eq!(kinds(&second), ["admonition", "fine", "violation"], "awards are lost once, not twice");
    let serious = second.iter().find(|e| e.kind == "admonition").unwrap();
    assert_eq!(serious.rule_code, "ten_prohibitions");
    assert_eq!(
        serious.choice_kinds(),
        [EntryKind::Admonition, EntryKind::Criticism, EntryKind::Suspension, EntryKind::Dismissal]
    );
    assert!(serious.explanation.contains("第 2 次"), "{}", serious.explanation);
    assert!(
        serious.explanation.contains(&format!("#{}", march.fact_id))
            && serious.explanation.contains(&format!("#{}", sept.fact_id))
    );

    // The office approves — but not the officer who proposed.
    for e in first.iter().chain(&second) {
        let r = store.decide_entry(w.org, w.rules(), &w.office, e.id, &approve()).await;
        assert!(matches!(r, Err(StoreError::Refused { conflict: false, .. })), "{r:?}");
        store.decide_entry(w.org, w.rules(), &w.office2, e.id, &approve()).await.unwrap();
    }
    let fines =
        store.fines(w.org, &FineFilter { staff_id: Some(w.staff[0]), ..Default::default() }).await.unwrap();
    assert_eq!(fines.iter().map(|f| f.amount).sum::<Fen>(), Fen::new(40000), "400 yuan, in fen");
    assert!(fines.iter().all(|f| f.status == FineStatus::Due.as_str()));

    // No awards this year, with the reason; next year is clean.
    let el = store.eligibility(w.org, w.rules(), 2026, None).await.unwrap();
    let me = el.iter().find(|e| e.staff_id == w.staff[0]).unwrap();
    assert!(!me.eligible);
    assert!(me.reasons[0].contains("取消当年各类评先资格"), "{:?}", me.reasons);
    assert!(el.iter().find(|e| e.staff_id == w.staff[1]).unwrap().eligible);
    assert!(store.eligibility(w.org, w.rules(), 2027, None).await.unwrap().iter().all(|e| e.eligible));

    // A decided entry cannot be decided again.
    let r = store.decide_entry(w.org, w.rules(), &w.leader, fine.id, &approve()).await;
    assert!(matches!(r, Err(StoreError::Refused { conflict: true, .. })), "{r:?}");
    chuangkou_store::testing::assert_records_whole(&store).await;
});

story!(violations_in_different_years_do_not_add_up, |store| {
    let w = world(&store, "toll").await;
    let by = Proposer::user(&w.office);
    store.record_fact(w.org, w.rules(), &by, &violation(w.staff[0], "TY-U2", day(3, 10))).await.unwrap();
    let mut next_year = violation(w.staff[0], "TY-U2", day(3, 10) + 365 * 86_400_000);
    next_year.note = "次年".into();
    let out = store.record_fact(w.org, w.rules(), &by, &next_year).await.unwrap();
    // A new year: awards lost again, but no serious handling.
    assert_eq!(kinds(&of(&store, &w, &out.proposed).await), ["award_ineligible", "fine", "violation"]);
});

story!(a_substantiated_serious_complaint_costs_200_to_500_and_holds_the_manager_to_account, |store| {
    let w = world(&store, "toll").await;
    let rules = w.rules();
    let nc = NewCase {
        kind: CaseKind::Complaint,
        channel: Channel::Hotline,
        category: "conduct".into(),
        track: None,
        description: "收费员索要好处".into(),
        unit_id: Some(w.team),
        service_point_id: None,
        subject_staff_id: Some(w.staff[0]),
        plate: None,
        reporter_name: None,
        reporter_phone: None,
        registered_by: Some(w.office.id),
        issue_tracking_code: false,
        photos: vec![],
        origin: None,
    };
    let reg =
        store.register_case(&w.organisation, rules, &nc, &format!("user:{}", w.office.id)).await.unwrap();
    let actor = Actor::User { id: w.office.id, role: Role::Office };
    let a = |c| ActInput::new(c);
    let refs = format!("user:{}", w.office.id);
    store.act(w.org, reg.id, actor, &refs, &a(Command::StartInvestigation), rules).await.unwrap();
    let mut conclude = a(Command::Conclude(Conclusion {
        finding: Finding::Substantiated,
        responsibility: Responsibility::Ours,
        apology_made: true,
        summary: "经查属实".into(),
    }));
    conclude.staff_ids = vec![w.staff[0]];
    conclude.rule_codes = vec!["TY-D3".into()];
    store.act(w.org, reg.id, actor, &refs, &conclude, rules).await.unwrap();

    let all = store.entries(w.org, &EntryFilter::default()).await.unwrap();
    let about_case: Vec<&EntryRow> = all.iter().filter(|e| e.case_id == Some(reg.id)).collect();
    let fine = about_case.iter().find(|e| e.rule_code == "serious_complaint" && e.kind == "fine").unwrap();
    assert_eq!((fine.fine_min, fine.fine_max), (Some(Fen::new(20000)), Some(Fen::new(50000))));
    assert_eq!(fine.choice_kinds(), [EntryKind::Fine, EntryKind::Suspension, EntryKind::Dismissal]);
    let to_manager = about_case
        .iter()
        .find(|e| e.rule_code == "serious_complaint" && e.staff_id == Some(w.manager))
        .expect("the manager is held to account");
    assert_eq!(to_manager.kind, "criticism");
    // A grave complaint is not also the ordinary 200-yuan fine.
    assert!(!about_case.iter().any(|e| e.rule_code == "fine_per_complaint"));

    // The approver chooses within the range, or chooses suspension instead.
    let over = EntryDecision { amount: Some(Fen::new(60000)), ..approve() };
    assert!(matches!(
        store.decide_entry(w.org, rules, &w.leader, fine.id, &over).await,
        Err(StoreError::Invalid(_))
    ));
    let none = store.decide_entry(w.org, rules, &w.leader, fine.id, &approve()).await;
    assert!(matches!(none, Err(StoreError::Invalid(_))), "a range needs a chosen amount");
    let chosen = store
        .decide_entry(
            w.org,
            rules,
            &w.leader,
            fine.id,
            &EntryDecision { amount: Some(Fen::new(50000)), ..approve() },
        )
        .await
        .unwrap();
    assert_eq!(chosen.amount, Some(Fen::new(50000)));
    let susp = store
        .decide_entry(
            w.org,
            rules,
            &w.leader,
            to_manager.id,
            &EntryDecision { kind: Some(EntryKind::Dismissal), ..approve() },
        )
        .await;
    assert!(matches!(susp, Err(StoreError::Invalid(_))), "criticism offers no dismissal");
});

story!(a_minor_substantiated_complaint_is_a_200_yuan_violation, |store| {
    let w = world(&store, "toll").await;
    let mut f = NewFact::new(FactKind::ComplaintSubstantiated, Some(w.staff[1]), day(4, 1));
    f.rule_code = Some("TY-S1".into());
    let out = store.record_fact(w.org, w.rules(), &Proposer::user(&w.office), &f).await.unwrap();
    let e = of(&store, &w, &out.proposed).await;
    assert_eq!(kinds(&e), ["award_ineligible", "fine", "violation"]);
    assert_eq!(e.iter().find(|x| x.kind == "fine").unwrap().fine_max, Some(Fen::new(20000)));
});

story!(mishandling_a_complaint_fines_the_handler_and_the_manager, |store| {
    let w = world(&store, "toll").await;
    let f = NewFact::new(FactKind::ComplaintMishandled, Some(w.staff[2]), day(5, 6));
    let out = store.record_fact(w.org, w.rules(), &Proposer::user(&w.office), &f).await.unwrap();
    let e = of(&store, &w, &out.proposed).await;
    let fines: Vec<_> = e.iter().filter(|x| x.kind == "fine").collect();
    assert_eq!(fines.len(), 2);
    assert!(fines.iter().all(|x| (x.fine_min, x.fine_max) == (Some(Fen::new(20000)), Some(Fen::new(50000)))));
    let mut who: Vec<Option<StaffId>> = fines.iter().map(|x| x.staff_id).collect();
    who.sort();
    let mut expected = vec![Some(w.staff[2]), Some(w.manager)];
    expected.sort();
    assert_eq!(who, expected);
    assert!(e.iter().any(|x| x.kind == "criticism" && x.staff_id.is_none() && x.unit_id == w.team));
});

story!(four_late_arrivals_for_three_members_of_one_team_warn_each_and_the_team, |store| {
    let w = world(&store, "hall").await;
    let by = Proposer::user(&w.office);
    let late = |staff: StaffId, d: u32| {
        let mut f = NewFact::new(FactKind::Attendance, Some(staff), day(3, d));
        f.detail = Some(if d.is_multiple_of(2) { AttendanceKind::Late } else { AttendanceKind::EarlyLeave });
        f
    };
    let mut proposed = vec![];
    for staff in w.staff {
        for (i, d) in [2u32, 3, 4, 5].into_iter().enumerate() {
            let out = store.record_fact(w.org, w.rules(), &by, &late(staff, d)).await.unwrap();
            if i < 3 {
                assert!(out.proposed.is_empty(), "three times is not more than three");
            }
            proposed.extend(out.proposed);
        }
    }
    let e = of(&store, &w, &proposed).await;
    let warnings: Vec<_> = e.iter().filter(|x| x.kind == "efficiency_warning").collect();
    assert_eq!(warnings.len(), 3);
    let collective: Vec<_> = e.iter().filter(|x| x.kind == "collective_warning").collect();
    assert_eq!(collective.len(), 1);
    assert_eq!((collective[0].staff_id, collective[0].unit_id), (None, w.team));
    assert!(collective[0].explanation.contains("3 人"), "{}", collective[0].explanation);
    // A fifth late arrival in the month adds nothing; April starts again.
    let out = store.record_fact(w.org, w.rules(), &by, &late(w.staff[0], 6)).await.unwrap();
    assert!(out.proposed.is_empty());
    let mut april = late(w.staff[0], 6);
    april.occurred_at = day(4, 7);
    assert!(store.record_fact(w.org, w.rules(), &by, &april).await.unwrap().proposed.is_empty());
    // An efficiency warning costs award eligibility in the hall pack.
    let el = store.eligibility(w.org, w.rules(), 2026, None).await.unwrap();
    assert!(!el.iter().find(|x| x.staff_id == w.staff[0]).unwrap().eligible);
    // Attendance facts need their kind.
    let bad = NewFact::new(FactKind::Attendance, Some(w.staff[0]), day(3, 9));
    assert!(matches!(store.record_fact(w.org, w.rules(), &by, &bad).await, Err(StoreError::Invalid(_))));
});

story!(the_person_concerned_appeals_once_and_a_granted_appeal_reverses_and_waives, |store| {
    let w = world(&store, "toll").await;
    let out = store
        .record_fact(w.org, w.rules(), &Proposer::user(&w.office), &violation(w.staff[0], "TY-U2", day(6, 1)))
        .await
        .unwrap();
    let entries = of(&store, &w, &out.proposed).await;
    store.seal().await.unwrap();
    for e in &entries {
        store.decide_entry(w.org, w.rules(), &w.leader, e.id, &approve()).await.unwrap();
    }
    store.seal().await.unwrap();
    let fine = entries.iter().find(|e| e.kind == "fine").unwrap();
    let violation_entry = entries.iter().find(|e| e.kind == "violation").unwrap();
    // Someone else cannot appeal it.
    let r = store.appeal(w.org, w.rules(), &w.office, fine.id, "不是我").await;
    assert!(matches!(r, Err(StoreError::Refused { conflict: false, .. })));
    store.appeal(w.org, w.rules(), &w.staff_user, fine.id, "当时在处理特情").await.unwrap();
    store.seal().await.unwrap();
    let again = store.appeal(w.org, w.rules(), &w.staff_user, fine.id, "再申诉").await;
    assert!(matches!(again, Err(StoreError::Refused { conflict: true, .. })), "once only: {again:?}");
    // Only the appeal deciders (leaders in toll) decide.
    let r = store.decide_appeal(w.org, w.rules(), &w.office, fine.id, AppealOutcome::Granted, "同意").await;
    assert!(matches!(r, Err(StoreError::Refused { conflict: false, .. })));
    let decided = store
        .decide_appeal(w.org, w.rules(), &w.leader, fine.id, AppealOutcome::Granted, "经核实当时在处理特情")
        .await
        .unwrap();
    assert_eq!(decided.status, "reversed");
    assert_eq!(decided.appeal_outcome.as_deref(), Some("granted"));
    let f = store.fines(w.org, &FineFilter::default()).await.unwrap();
    assert_eq!(f[0].status, "waived");
    // The reversal is its own entry; the original is unchanged but marked.
    let all = store.entries(w.org, &EntryFilter::default()).await.unwrap();
    let reversal = all.iter().find(|e| e.reverses_id == Some(fine.id)).unwrap();
    assert_eq!((reversal.status.as_str(), reversal.fine_min), ("approved", Some(Fen::new(-20000))));
    // The violation itself upheld; an upheld appeal changes nothing.
    store.appeal(w.org, w.rules(), &w.staff_user, violation_entry.id, "不服").await.unwrap();
    let upheld = store
        .decide_appeal(w.org, w.rules(), &w.leader, violation_entry.id, AppealOutcome::Upheld, "事实清楚")
        .await
        .unwrap();
    assert_eq!((upheld.status.as_str(), upheld.appeal_outcome.as_deref()), ("approved", Some("upheld")));
    chuangkou_store::testing::assert_records_whole(&store).await;
});

story!(finance_collects_fines_and_approvers_waive_them_by_decision, |store| {
    let w = world(&store, "toll").await;
    for d in [1, 2] {
        let out = store
            .record_fact(
                w.org,
                w.rules(),
                &Proposer::user(&w.office),
                &violation(w.staff[1], "TY-U3", day(7, d)),
            )
            .await
            .unwrap();
        for e in of(&store, &w, &out.proposed).await.iter().filter(|e| e.kind == "fine") {
            store.decide_entry(w.org, w.rules(), &w.leader, e.id, &approve()).await.unwrap();
        }
    }
    let fines = store.fines(w.org, &FineFilter::default()).await.unwrap();
    assert_eq!(fines.len(), 2);
    store.seal().await.unwrap();
    let r = store.collect_fine(w.org, &w.office, fines[0].id, "R-1").await;
    assert!(matches!(r, Err(StoreError::Refused { conflict: false, .. })), "only finance collects");
    store.collect_fine(w.org, &w.finance, fines[0].id, "R-2026-001").await.unwrap();
    let twice = store.collect_fine(w.org, &w.finance, fines[0].id, "R-2026-002").await;
    assert!(matches!(twice, Err(StoreError::Refused { conflict: true, .. })));
    // A waiver passes two approvers: the leader proposes it, and may not confirm it himself.
    let to =
        store.waive_fine(w.org, w.rules(), &w.leader, fines[1].id, "初犯，经研究免除", true).await.unwrap();
    assert_eq!(to, FineStatus::WaiverProposed);
    let alone = store.waive_fine(w.org, w.rules(), &w.leader, fines[1].id, "确认", true).await;
    assert!(matches!(alone, Err(StoreError::Refused { conflict: false, .. })), "{alone:?}");
    let r = store.collect_fine(w.org, &w.finance, fines[1].id, "R-9").await;
    assert!(r.is_err(), "a fine whose waiver waits is not collected");
    let to = store.waive_fine(w.org, w.rules(), &w.office, fines[1].id, "同意免除", true).await.unwrap();
    assert_eq!(to, FineStatus::Waived);
    let after = store.fines(w.org, &FineFilter::default()).await.unwrap();
    let status = |id| after.iter().find(|f| f.id == id).unwrap().status.clone();
    assert_eq!((status(fines[0].id), status(fines[1].id)), ("collected".into(), "waived".into()));
    let collected = store
        .fines(w.org, &FineFilter { status: Some(FineStatus::Collected), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(collected[0].receipt_no.as_deref(), Some("R-2026-001"));
    chuangkou_store::testing::assert_records_whole(&store).await;
});

story!(a_failed_inspection_item_proposes_a_fine_and_a_rectification_that_falls_due_once, |store| {
    let w = world(&store, "toll").await;
    let rules = w.rules();
    let n = NewInspection {
        plan_id: None,
        kind: InspectionKind::Routine,
        mode: InspectionMode::Secret,
        target_kind: TargetKind::Staff,
        target_id: w.staff[0].get(),
        staff_id: None,
        visited_at: store.now_ms() - 3_600_000,
        summary: "暗访".into(),
        facilities: vec![],
        campaign_id: None,
        items: vec![
            NewItem {
                rule_code: "TY-U1".into(),
                result: ItemResult::Pass,
                note: String::new(),
                photos: vec![],
            },
            NewItem {
                rule_code: "TY-U4".into(),
                result: ItemResult::Fail,
                note: "亭内杂物堆放".into(),
                photos: vec![],
            },
            NewItem {
                rule_code: "TY-U5".into(),
                result: ItemResult::NotApplicable,
                note: String::new(),
                photos: vec![],
            },
        ],
    };
    // Staff and finance cannot record inspections.
    assert!(matches!(
        store.record_inspection(w.org, rules, &w.staff_user, &n).await,
        Err(StoreError::Refused { .. })
    ));
    let out = store.record_inspection(w.org, rules, &w.supervisor, &n).await.unwrap();
    assert_eq!((out.failed, out.rectifications.len()), (1, 1));
    let proposed = of(&store, &w, &out.proposed).await;
    assert!(
        proposed.iter().any(|e| e.kind == "fine"
            && e.fine_max == Some(Fen::new(20000))
            && e.staff_id == Some(w.staff[0]))
    );
    assert!(proposed.iter().all(|e| e.inspection_id == Some(out.id)));
    // The supervisor proposed it; the office approves.
    let fine = proposed.iter().find(|e| e.kind == "fine").unwrap();
    store.decide_entry(w.org, rules, &w.office, fine.id, &approve()).await.unwrap();

    // The rectification falls due after 5 working days and fires once,
    // even across a restart.
    let r = store.rectification(w.org, out.rectifications[0]).await.unwrap();
    assert_eq!(r.state, "open");
    store.advance_clock(9 * 86_400_000);
    assert_eq!(store.sweep_timers(&w.policies).await.unwrap().rectifications_overdue, 1);
    let again = store.reopen().await.unwrap();
    assert_eq!(again.sweep_timers(&w.policies).await.unwrap().rectifications_overdue, 0);
    assert!(store.rectification(w.org, r.id).await.unwrap().overdue);
    // The unit reports it done; the inspector verifies; overdue stays.
    let shift = store
        .create_user(
            w.org,
            "t",
            &NewUser {
                username: "shift",
                display_name: "shift",
                password_hash: "x",
                role: Role::ShiftLeader,
                staff_id: Some(w.manager),
            },
        )
        .await
        .unwrap();
    let early = store.rectification_step(w.org, &w.supervisor, r.id, RectificationStep::Accept, "看过").await;
    assert!(matches!(early, Err(StoreError::Refused { conflict: true, .. })), "{early:?}");
    store.rectification_step(w.org, &shift, r.id, RectificationStep::Report, "已清理").await.unwrap();
    let done = store
        .rectification_step(w.org, &w.supervisor, r.id, RectificationStep::Accept, "复查合格")
        .await
        .unwrap();
    assert_eq!((done.state.as_str(), done.overdue), ("verified", true));

    // A failed item needs a note; an unknown rule is refused; nothing is written.
    let mut bad = n.clone();
    bad.items[1].note.clear();
    bad.items[0].rule_code = "XX-99".into();
    match store.record_inspection(w.org, rules, &w.supervisor, &bad).await {
        Err(StoreError::Invalid(e)) => assert_eq!(e.len(), 2, "{e:?}"),
        other => panic!("{other:?}"),
    }
    assert_eq!(store.inspections(w.org, None, None).await.unwrap().len(), 1);
    chuangkou_store::testing::assert_records_whole(&store).await;
});

story!(written_reports_need_a_decision_of_the_leading_group, |store| {
    let w = world(&store, "toll").await;
    let id = store
        .submit_report(
            w.org,
            &w.supervisor,
            Some(w.team),
            "二班文明用语问题",
            "多次未使用规范用语",
            "建议通报批评",
        )
        .await
        .unwrap();
    assert!(store.reports(w.org, None).await.unwrap()[0].decided_at.is_none());
    let r = store.decide_report(w.org, &w.office, id, ReportOutcome::Adopted, "采纳").await;
    assert!(matches!(r, Err(StoreError::Refused { conflict: false, .. })));
    store.decide_report(w.org, &w.leader, id, ReportOutcome::Partly, "通报批评，暂不罚款").await.unwrap();
    let rep = &store.reports(w.org, Some(w.supervisor.id)).await.unwrap()[0];
    assert_eq!(
        (rep.outcome.as_deref(), rep.decision.as_deref()),
        (Some("partly"), Some("通报批评，暂不罚款"))
    );
    let twice = store.decide_report(w.org, &w.leader, id, ReportOutcome::Adopted, "改").await;
    assert!(matches!(twice, Err(StoreError::Refused { conflict: true, .. })));
    let _ = EntryKind::Commendation;
});
