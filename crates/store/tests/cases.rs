//! The case story, scenario by scenario with the numbers of the shipped
//! packs, on SQLite and on PostgreSQL.
// Tests: a panic is the failure report, and a test may wait on real time.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use chuangkou_domain::Role;
use chuangkou_domain::calendar::Span;
use chuangkou_domain::cases::{Actor, Channel, Command, Satisfaction, State};
use chuangkou_store::cases::{ActInput, CaseFilter, Inbox, NewCase, TrackingError};
use chuangkou_store::{Store, StoreError, story};

mod common;

use common::*;

story!(a_case_number_is_readable_and_the_tracking_code_is_kept_only_as_a_hash, |store| {
    let w = world(&store, "toll").await;
    let r = register(&store, &w, &complaint(&w, "收费员态度恶劣")).await;
    let year = chrono_year(&store);
    assert_eq!(r.number, format!("TY-{year}-000001"));
    let second = register(&store, &w, &complaint(&w, "另一件事")).await;
    assert_eq!(second.number, format!("TY-{year}-000002"));
    let code = r.tracking_code.clone().unwrap();
    assert_eq!(code.replace('-', "").len(), 32, "160 bits");
    let case = store.case(w.org.id, r.id).await.unwrap();
    assert_eq!(
        case.first_responsible_id,
        Some(w.office),
        "the registering staff member is first-responsible"
    );
    assert_eq!(case.owner_id, Some(w.office));
    let events = store.timeline(w.org.id, r.id).await.unwrap();
    let payload = events[0].payload.to_string();
    assert!(!payload.contains(&code) && !payload.contains("王先生") && !payload.contains("13812341234"));
});

fn chrono_year(store: &Store) -> i32 {
    use chrono::{Datelike, TimeZone};
    chrono::FixedOffset::east_opt(8 * 3600).unwrap().timestamp_millis_opt(store.now_ms()).unwrap().year()
}

story!(a_toll_complaint_not_investigated_in_24_hours_escalates_to_the_shift_leader, |store| {
    let w = world(&store, "toll").await;
    let r = register(&store, &w, &complaint(&w, "车道收费员扔卡")).await;
    let registered = store.case(w.org.id, r.id).await.unwrap().registered_at;
    assert_eq!(r.investigate_due, Some(registered + 24 * H), "the pack's 24 hours");
    assert_eq!(r.handle_due, registered + 48 * H, "the pack's 48 hours");

    store.advance_clock(20 * H + 60_000);
    // Before the sweep, /metrics would show the warning's wait.
    let lag = store.backlog().await.unwrap().sweep_lag_ms;
    assert!((60_000..=20 * H + 60_000).contains(&lag), "{lag}");
    let warned = store.sweep_timers(&w.policies).await.unwrap();
    assert_eq!(store.backlog().await.unwrap().sweep_lag_ms, 0, "nothing due is left");
    assert_eq!((warned.escalated, warned.overdue), (1, 0), "the handler is warned 4 hours before");
    assert!(store.case(w.org.id, r.id).await.unwrap().escalated_to.is_none());

    store.advance_clock(4 * H);
    let at_24h = store.sweep_timers(&w.policies).await.unwrap();
    assert_eq!((at_24h.escalated, at_24h.overdue), (1, 1), "{at_24h:?}");
    let case = store.case(w.org.id, r.id).await.unwrap();
    assert_eq!(case.escalated_to.as_deref(), Some("shift_leader"));
    assert!(case.overdue, "missing the investigation deadline makes the case overdue");
    let kinds: Vec<String> =
        store.timeline(w.org.id, r.id).await.unwrap().into_iter().map(|e| e.kind).collect();
    assert!(kinds.contains(&"case.escalated".to_string()));
    let inbox = store.notifications(w.org.id, w.shift_leader, 10).await.unwrap();
    assert_eq!(inbox.len(), 1, "the shift leader of the station hears about it");
    let sms = store.claim_outbox("sms", 10).await.unwrap();
    assert!(
        sms.iter().any(|m| m.to.as_deref() == Some("13900000100") && m.body.contains(&r.number)),
        "and by SMS to the phone on their staff record: {sms:?}"
    );
    assert!(inbox[0].message.contains(&r.number) && inbox[0].message.contains("值班站长"));

    // Then the office head at 48h and the leading group at 72h.
    store.advance_clock(24 * H);
    store.sweep_timers(&w.policies).await.unwrap();
    assert_eq!(store.case(w.org.id, r.id).await.unwrap().escalated_to.as_deref(), Some("office_head"));
    store.advance_clock(24 * H);
    store.sweep_timers(&w.policies).await.unwrap();
    assert_eq!(store.case(w.org.id, r.id).await.unwrap().escalated_to.as_deref(), Some("leader"));
    assert_eq!(store.notifications(w.org.id, w.leader, 10).await.unwrap().len(), 1);
    chuangkou_store::testing::assert_records_whole(&store).await;
});

story!(a_complaint_handled_at_49_hours_is_overdue_for_good, |store| {
    let w = world(&store, "toll").await;
    let r = register(&store, &w, &complaint(&w, "多收通行费")).await;
    act(&store, &w, r.id, office(&w), ActInput::new(Command::StartInvestigation)).await.unwrap();
    store.advance_clock(10 * H);
    act(&store, &w, r.id, office(&w), conclude()).await.unwrap();
    store.advance_clock(39 * H);
    // Nobody swept in between: replying late still marks it overdue.
    let out = act(&store, &w, r.id, office(&w), reply("经核实多收 10 元，已退还")).await.unwrap();
    assert!(out.case.overdue, "handled at 49h against a 48h limit");
    act(&store, &w, r.id, office(&w), ActInput::new(Command::Callback(Satisfaction::Satisfied)))
        .await
        .unwrap();
    let closed = act(&store, &w, r.id, office(&w), ActInput::new(Command::Close)).await.unwrap();
    assert_eq!(closed.case.state, "closed");
    assert!(closed.case.overdue, "still overdue after closing");
    assert!(
        closed.case.investigated_at.unwrap() - closed.case.registered_at <= 24 * H,
        "investigated in time"
    );
});

story!(a_case_handled_in_time_escalates_to_nobody, |store| {
    let w = world(&store, "toll").await;
    let r = register(&store, &w, &complaint(&w, "态度不好")).await;
    act(&store, &w, r.id, office(&w), ActInput::new(Command::StartInvestigation)).await.unwrap();
    act(&store, &w, r.id, office(&w), conclude()).await.unwrap();
    act(&store, &w, r.id, office(&w), reply("已批评教育")).await.unwrap();
    store.advance_clock(100 * H);
    let report = store.sweep_timers(&w.policies).await.unwrap();
    assert_eq!((report.fired, report.skipped), (0, 7), "{report:?}");
    assert!(!store.case(w.org.id, r.id).await.unwrap().overdue);
});

story!(a_hall_matter_needing_research_is_due_7_working_days_later_across_national_day, |store| {
    use chrono::TimeZone;
    let w = world(&store, "hall").await;
    let tz = chrono::FixedOffset::east_opt(8 * 3600).unwrap();
    store.set_clock(tz.with_ymd_and_hms(2026, 9, 30, 10, 0, 0).unwrap().timestamp_millis());
    let mut nc = complaint(&w, "办理营业执照变更，需调研");
    nc.category = "efficiency".into();
    nc.track = Some("research".into());
    let r = register(&store, &w, &nc).await;
    // 8, 9, 10 (make-up Saturday), 12, 13, 14, 15 October.
    let end_of_15_oct = tz.with_ymd_and_hms(2026, 10, 16, 0, 0, 0).unwrap().timestamp_millis();
    assert_eq!(r.handle_due, end_of_15_oct);
    assert_eq!(r.investigate_due, None);

    nc.track = Some("leader_approval".into());
    let r2 = register(&store, &w, &nc).await;
    assert_eq!(
        r2.handle_due,
        tz.with_ymd_and_hms(2026, 10, 10, 0, 0, 0).unwrap().timestamp_millis(),
        "2 working days: 8 and 9 Oct"
    );
});

story!(timers_fire_once_across_restarts_and_concurrent_sweepers, |store| {
    let w = world(&store, "toll").await;
    for i in 0..5 {
        register(&store, &w, &complaint(&w, &format!("第{i}件"))).await;
    }
    store.advance_clock(24 * H + 1);
    // Two instances with their own connections, sweeping at the same time.
    let other = store.reopen().await.unwrap();
    let (a, b) = tokio::join!(store.sweep_timers(&w.policies), other.sweep_timers(&w.policies));
    let (a, b) = (a.unwrap(), b.unwrap());
    assert_eq!(a.fired + b.fired, 5 * 3, "warning, deadline and escalation for each of 5 cases: {a:?} {b:?}");
    // A restart: a new process finds nothing due to fire again.
    store.close().await;
    other.close().await;
    let restarted = store.reopen().await.unwrap();
    assert_eq!(restarted.sweep_timers(&w.policies).await.unwrap(), Default::default());
    let escalations = restarted
        .events(w.org.id, None, 500)
        .await
        .unwrap()
        .iter()
        .filter(|e| e.kind == "case.escalated")
        .count();
    assert_eq!(escalations, 5, "each escalation recorded exactly once");
    // Later deadlines still fire after the restart.
    restarted.advance_clock(24 * H);
    assert_eq!(
        restarted.sweep_timers(&w.policies).await.unwrap().escalated,
        10,
        "handle warning and office-head step for each"
    );
});

story!(a_refused_transition_is_a_conflict_and_changes_nothing, |store| {
    let w = world(&store, "toll").await;
    let r = register(&store, &w, &complaint(&w, "态度不好")).await;
    let before = store.timeline(w.org.id, r.id).await.unwrap().len();
    let e = act(&store, &w, r.id, office(&w), reply("太早了")).await.unwrap_err();
    assert!(matches!(e, StoreError::Refused { conflict: true, .. }), "{e:?}");
    let collector = Actor::User { id: w.shift_leader, role: Role::Staff };
    let e = act(&store, &w, r.id, collector, ActInput::new(Command::StartInvestigation)).await.unwrap_err();
    assert!(matches!(e, StoreError::Refused { conflict: false, .. }), "{e:?}");
    assert_eq!(store.timeline(w.org.id, r.id).await.unwrap().len(), before);
    assert_eq!(store.case(w.org.id, r.id).await.unwrap().state, "registered");
});

story!(a_hand_over_needs_acceptance_and_the_first_responsible_person_stays_recorded, |store| {
    let w = world(&store, "toll").await;
    let r = register(&store, &w, &complaint(&w, "态度不好")).await;
    act(&store, &w, r.id, office(&w), ActInput::new(Command::OfferHandover { to_user_id: w.shift_leader }))
        .await
        .unwrap();
    let case = store.case(w.org.id, r.id).await.unwrap();
    assert_eq!(
        (case.owner_id, case.pending_owner_id),
        (Some(w.office), Some(w.shift_leader)),
        "stays with the sender"
    );
    // Both see it under "mine" meanwhile: the sender handles it, the
    // recipient is being handed it (the two halves the store lists apart).
    let other = register(&store, &w, &complaint(&w, "收费有误")).await;
    let mine = |user| CaseFilter { inbox: Inbox::Mine, user_id: Some(user), limit: 10, ..Default::default() };
    let ids = |rows: Vec<chuangkou_store::cases::CaseRow>| rows.iter().map(|c| c.id).collect::<Vec<_>>();
    assert_eq!(ids(store.cases(w.org.id, &mine(w.office)).await.unwrap()), vec![other.id, r.id]);
    assert_eq!(ids(store.cases(w.org.id, &mine(w.shift_leader)).await.unwrap()), vec![r.id]);
    assert_eq!(store.count_cases(w.org.id, &mine(w.office), 500).await.unwrap(), 2);
    assert_eq!(store.count_cases(w.org.id, &mine(w.shift_leader), 500).await.unwrap(), 1);
    let sl = Actor::User { id: w.shift_leader, role: Role::ShiftLeader };
    let out = act(&store, &w, r.id, sl, ActInput::new(Command::AcceptHandover)).await.unwrap();
    assert_eq!((out.case.owner_id, out.case.state.as_str()), (Some(w.shift_leader), "assigned"));
    assert_eq!(out.case.first_responsible_id, Some(w.office));
});

story!(an_extension_needs_a_leader_and_tells_the_reporter_why, |store| {
    let w = world(&store, "toll").await;
    let r = register(&store, &w, &complaint(&w, "需要调取录像")).await;
    let mut ask = ActInput::new(Command::RequestExtension);
    ask.extension = Some(Span::Hours(24));
    ask.reason = "需调取监控录像核实".into();
    act(&store, &w, r.id, office(&w), ask.clone()).await.unwrap();
    let too_long = ActInput { extension: Some(Span::Hours(100)), ..ask.clone() };
    assert!(act(&store, &w, r.id, office(&w), too_long).await.is_err(), "a second request while one waits");
    let e = act(&store, &w, r.id, office(&w), ActInput::new(Command::DecideExtension { approve: true }))
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Refused { conflict: false, .. }), "the office cannot approve");
    let leader = Actor::User { id: w.leader, role: Role::Leader };
    let out = act(&store, &w, r.id, leader, ActInput::new(Command::DecideExtension { approve: true }))
        .await
        .unwrap();
    assert_eq!(out.case.handle_due, r.handle_due + 24 * H);
    assert_eq!(out.case.investigate_due, Some(r.investigate_due.unwrap() + 24 * H));
    let messages = store.pending_messages(w.org.id).await.unwrap();
    assert!(
        messages.iter().any(|(_, case, body)| *case == Some(r.id) && body.contains("需调取监控录像核实")),
        "{messages:?}"
    );
    // The old 24h timers no longer escalate; the new 48h ones do.
    store.advance_clock(24 * H + 1);
    let s = store.sweep_timers(&w.policies).await.unwrap();
    assert_eq!(s.fired, 0, "{s:?}");
    store.advance_clock(24 * H);
    assert!(store.sweep_timers(&w.policies).await.unwrap().escalated >= 1);
    chuangkou_store::testing::assert_records_whole(&store).await;
});

story!(a_hall_extension_of_two_working_days_ends_two_working_days_after_the_original_deadline, |store| {
    // Seed 002 限时办结: a matter needing a leader's approval is done in 2
    // working days; a leader may extend it. Registered Mon 16 Nov 2026 at
    // 10:00, it is due at the end of Wed 18 Nov; 2wd more is the end of
    // Fri 20 Nov (not Mon 23 Nov).
    let w = world(&store, "hall").await;
    let cal = &w.policies.calendars["cn-2026"];
    let day = |d: u32| cal.start_of_day_ms(chrono::NaiveDate::from_ymd_opt(2026, 11, d).unwrap());
    store.set_clock(day(16) + 10 * H);
    let mut nc = complaint(&w, "许可证办理超时");
    nc.category = "efficiency".into();
    nc.track = Some("leader_approval".into());
    let r = register(&store, &w, &nc).await;
    assert_eq!(r.handle_due, day(19), "the end of Wed 18 Nov");
    let mut ask = ActInput::new(Command::RequestExtension);
    ask.extension = Some(Span::WorkingDays(2));
    ask.reason = "需补充检验报告".into();
    act(&store, &w, r.id, office(&w), ask).await.unwrap();
    let leader = Actor::User { id: w.leader, role: Role::Leader };
    let out = act(&store, &w, r.id, leader, ActInput::new(Command::DecideExtension { approve: true }))
        .await
        .unwrap();
    assert_eq!(out.case.handle_due, day(21), "the end of Fri 20 Nov 2026");
});

story!(a_complaint_about_a_leader_goes_to_the_discipline_body, |store| {
    let w = world(&store, "toll").await;
    let mut nc = complaint(&w, "站长吃拿卡要");
    nc.category = "leader".into();
    let r = register(&store, &w, &nc).await;
    assert_eq!(store.case(w.org.id, r.id).await.unwrap().routed_to, "纪检监察室");
});

story!(duplicates_are_found_and_merged_cases_follow_their_master, |store| {
    let w = world(&store, "toll").await;
    let first = register(&store, &w, &complaint(&w, "出口2号车道收费员态度恶劣，还扔卡")).await;
    // The same reporter by another channel, and a stranger with a similar story.
    let dups = store.likely_duplicates(w.org.id, &probe(Some("13812341234"), "投诉收费员")).await.unwrap();
    assert_eq!(dups[0].case_id, first.id);
    assert!(dups[0].reasons.contains(&"phone"));
    let by_text = store
        .likely_duplicates(w.org.id, &probe(None, "2号车道的收费员态度很恶劣，把卡扔给我"))
        .await
        .unwrap();
    assert_eq!(by_text.len(), 1);
    assert_eq!(by_text[0].reasons, vec!["text"]);

    let mut again = complaint(&w, "2号车道收费员扔卡，态度恶劣");
    again.channel = Channel::Hotline12345;
    let second = register(&store, &w, &again).await;
    let mut merge = ActInput::new(Command::MergeInto);
    merge.master_case_id = Some(first.id);
    merge.reason = "同一事件多头投诉".into();
    act(&store, &w, second.id, office(&w), merge).await.unwrap();
    act(&store, &w, first.id, office(&w), ActInput::new(Command::StartInvestigation)).await.unwrap();

    let view =
        store.track(&second.number, second.tracking_code.as_deref().unwrap(), "1.2.3.4").await.unwrap();
    assert_eq!(view.master_number.as_deref(), Some(first.number.as_str()));
    assert_eq!(view.state, "investigating", "the reporter of the merged case sees the master's progress");
    let open = store
        .cases(w.org.id, &CaseFilter { state: Some("merged".into()), limit: 10, ..Default::default() })
        .await
        .unwrap();
    assert_eq!(open.len(), 1);
    chuangkou_store::testing::assert_records_whole(&store).await;
});

story!(public_tracking_answers_wrong_codes_like_missing_cases_and_slows_guessing, |store| {
    let w = world(&store, "toll").await;
    let r = register(&store, &w, &complaint(&w, "态度不好")).await;
    let code = r.tracking_code.clone().unwrap();
    let view = store.track(&r.number, &code.to_lowercase(), "9.9.9.9").await.unwrap();
    assert_eq!(view.state, "registered");
    assert!(matches!(
        store.track(&r.number, "0000-0000-0000-0000-0000-0000-0000-0000", "5.5.5.5").await,
        Err(TrackingError::NotFound)
    ));
    assert!(matches!(store.track("TY-2099-000001", &code, "5.5.5.5").await, Err(TrackingError::NotFound)));
    for _ in 0..8 {
        let _ = store.track(&r.number, "nonsense", "5.5.5.5").await;
    }
    assert!(
        matches!(store.track(&r.number, &code, "5.5.5.5").await, Err(TrackingError::TooMany)),
        "even the right code waits"
    );
    assert!(store.track(&r.number, &code, "6.6.6.6").await.is_ok(), "other addresses are not affected");
});

story!(a_desk_reads_eight_digits_to_the_caller_and_guessing_them_locks_only_them, |store| {
    let w = world(&store, "toll").await;
    let r = register(&store, &w, &complaint(&w, "电话投诉：态度不好")).await;
    let spoken = r.spoken_code.clone().expect("a hotline case registered at the desk has a spoken code");
    assert!(spoken.len() == 9 && spoken.as_bytes()[4] == b' ', "read in two groups: {spoken}");
    // The caller tracks it with the number and the digits, typed any way.
    let view = store.track(&r.number, &spoken.replace(' ', "-"), "1.1.1.1").await.unwrap();
    assert_eq!(view.number, r.number);
    // Only a keyed hash is kept.
    let digits = spoken.replace(' ', "");
    let kept = store.spoken_digests_for_test().await;
    assert_eq!(kept.len(), 1);
    assert!(!kept[0].contains(&digits));
    // Wrong digits from many addresses: the per-client limit does not stop
    // them, the per-case one does, and then even the right digits fail.
    let wrong = if digits == "00000000" { "00000001" } else { "00000000" };
    for i in 0..chuangkou_domain::cases::number::SPOKEN_CODE_TRIES {
        let client = format!("10.0.0.{i}");
        assert!(matches!(store.track(&r.number, wrong, &client).await, Err(TrackingError::NotFound)));
    }
    assert!(matches!(store.track(&r.number, &digits, "2.2.2.2").await, Err(TrackingError::NotFound)));
    // The full code still opens it.
    assert!(store.track(&r.number, r.tracking_code.as_deref().unwrap(), "2.2.2.2").await.is_ok());
    // A case from the web, or one nobody registered, has no spoken code.
    let web = register(&store, &w, &NewCase { channel: Channel::Web, ..complaint(&w, "网上投诉") }).await;
    assert!(web.spoken_code.is_none());
    let nobody = register(&store, &w, &NewCase { registered_by: None, ..complaint(&w, "无人登记") }).await;
    assert!(nobody.spoken_code.is_none());
    // Another case's digits do not open this one.
    let other = register(&store, &w, &complaint(&w, "另一件")).await;
    let other_digits = other.spoken_code.unwrap().replace(' ', "");
    if other_digits != digits {
        assert!(matches!(
            store.track(&r.number, &other_digits, "3.3.3.3").await,
            Err(TrackingError::NotFound)
        ));
    }
    assert!(store.track(&other.number, &other_digits, "3.3.3.3").await.is_ok());
});

story!(the_reporter_closes_the_loop_and_a_dissatisfied_callback_reopens, |store| {
    let w = world(&store, "toll").await;
    let r = register(&store, &w, &complaint(&w, "态度不好")).await;
    let code = r.tracking_code.clone().unwrap();
    act(&store, &w, r.id, office(&w), ActInput::new(Command::StartInvestigation)).await.unwrap();
    act(&store, &w, r.id, office(&w), conclude()).await.unwrap();
    act(&store, &w, r.id, office(&w), reply("已致歉并批评教育当事员工")).await.unwrap();
    let v = store.track(&r.number, &code, "1.1.1.1").await.unwrap();
    assert!(v.can_call_back);
    assert_eq!(v.reply.as_deref(), Some("已致歉并批评教育当事员工"));
    assert!(v.timeline.iter().all(|s| !s.kind.contains("note") && !s.kind.contains("escalat")));
    let v = store
        .reporter_acts(
            &r.number,
            &code,
            "1.1.1.1",
            Command::Callback(Satisfaction::Dissatisfied),
            &w.policies,
        )
        .await
        .unwrap();
    assert_eq!(v.state, "investigating", "dissatisfied reopens");
    act(&store, &w, r.id, office(&w), conclude()).await.unwrap();
    act(&store, &w, r.id, office(&w), reply("已再次核实并处理")).await.unwrap();
    let v = store
        .reporter_acts(&r.number, &code, "1.1.1.1", Command::Callback(Satisfaction::Basic), &w.policies)
        .await
        .unwrap();
    assert_eq!(v.state, "closed", "the reporter's callback closes the case");
    assert!(store.case(w.org.id, r.id).await.unwrap().closed_at.is_some());
    chuangkou_store::testing::assert_records_whole(&store).await;
});

story!(a_reporter_undoes_a_mistaken_withdrawal_within_a_day_and_the_clock_runs_again, |store| {
    let w = world(&store, "toll").await;
    let r = register(&store, &w, &complaint(&w, "态度不好")).await;
    let code = r.tracking_code.clone().unwrap();
    act(&store, &w, r.id, office(&w), ActInput::new(Command::StartInvestigation)).await.unwrap();
    let withdraw = |store: Store| {
        let (n, c, p) = (r.number.clone(), code.clone(), w.policies.clone());
        async move { store.reporter_acts(&n, &c, "1.1.1.1", Command::Withdraw, &p).await }
    };
    let undo = |store: Store| {
        let (n, c, p) = (r.number.clone(), code.clone(), w.policies.clone());
        async move { store.reporter_acts(&n, &c, "1.1.1.1", Command::UndoWithdrawal, &p).await }
    };
    let v = withdraw(store.clone()).await.unwrap();
    assert_eq!(v.state, "withdrawn");
    assert!(v.can_undo_withdrawal && !v.can_withdraw);
    // The investigation deadline passes while it is withdrawn.
    store.advance_clock(25 * H);
    assert_eq!(store.sweep_timers(&w.policies).await.unwrap().overdue, 0, "a withdrawn case is not overdue");
    // Too late now.
    assert!(undo(store.clone()).await.is_err(), "the window is a day");
    let c = store.case(w.org.id, r.id).await.unwrap();
    assert_eq!(c.state, "withdrawn", "a refused undo changes nothing");

    // Another case, undone within the hour: back to where it was, and its
    // clock runs again — a deadline that passed meanwhile fires at once.
    let r2 = register(&store, &w, &complaint(&w, "态度不好，第二件")).await;
    let code2 = r2.tracking_code.clone().unwrap();
    act(&store, &w, r2.id, office(&w), ActInput::new(Command::StartInvestigation)).await.unwrap();
    store.reporter_acts(&r2.number, &code2, "1.1.1.1", Command::Withdraw, &w.policies).await.unwrap();
    store.advance_clock(23 * H);
    let sweep = store.sweep_timers(&w.policies).await.unwrap();
    assert_eq!(sweep.overdue, 0);
    let v = store
        .reporter_acts(&r2.number, &code2, "1.1.1.1", Command::UndoWithdrawal, &w.policies)
        .await
        .unwrap();
    assert_eq!(v.state, "investigating", "back to the state it was withdrawn from");
    assert!(v.timeline.iter().any(|s| s.kind == "case.reinstated"), "the reporter sees it");
    assert!(!v.can_undo_withdrawal && v.can_withdraw);
    let c2 = store.case(w.org.id, r2.id).await.unwrap();
    assert!(c2.closed_at.is_none());
    assert!(!store.pending_timers(r2.id).await.unwrap().is_empty(), "the clock runs again");
    store.advance_clock(2 * H);
    store.sweep_timers(&w.policies).await.unwrap();
    assert!(
        store.case(w.org.id, r2.id).await.unwrap().overdue,
        "the 24-hour investigation deadline has passed"
    );
    // The handler is told.
    let told = store.notifications_for_test(r2.id).await;
    assert!(told.iter().any(|m| m.contains("撤销了案件") && m.contains(&r2.number)), "{told:?}");
    // Only the reporter's own withdrawal can be undone by the reporter.
    let r3 = register(&store, &w, &complaint(&w, "态度不好，第三件")).await;
    let mut by_office = ActInput::new(Command::Withdraw);
    by_office.reason = "投诉人电话要求撤回".into();
    act(&store, &w, r3.id, office(&w), by_office).await.unwrap();
    let code3 = r3.tracking_code.clone().unwrap();
    let v3 = store.track(&r3.number, &code3, "1.1.1.1").await.unwrap();
    assert!(!v3.can_undo_withdrawal);
    assert!(
        store
            .reporter_acts(&r3.number, &code3, "1.1.1.1", Command::UndoWithdrawal, &w.policies)
            .await
            .is_err()
    );
    chuangkou_store::testing::assert_records_whole(&store).await;
});

story!(reporter_data_is_encrypted_masked_and_every_reveal_is_recorded, |store| {
    let w = world(&store, "toll").await;
    let mut nc = complaint(&w, "态度不好");
    nc.reporter_name = Some("CANARY-NAME-7f3a".into());
    nc.reporter_phone = Some("13900007777".into());
    let r = register(&store, &w, &nc).await;
    let raw: Vec<Vec<u8>> = chuangkou_store::on_read!(store, c => sqlx::query_scalar(
        "SELECT name_enc FROM reporters").fetch_all(c).await)
    .unwrap();
    assert!(!String::from_utf8_lossy(&raw[0]).contains("CANARY"), "stored encrypted");
    let masked = store.masked_reporter(w.org.id, r.id).await.unwrap();
    assert_eq!(masked.phone.as_deref(), Some("139****7777"));
    assert_eq!(masked.name.as_deref(), Some("C**"));
    let full =
        store.reveal_reporter(w.org.id, r.id, &format!("user:{}", w.office), "回访需要").await.unwrap();
    assert_eq!(full.name.as_deref(), Some("CANARY-NAME-7f3a"));
    let reveals = store
        .timeline(w.org.id, r.id)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "case.reporter_revealed")
        .count();
    assert_eq!(reveals, 1);
    chuangkou_store::testing::assert_records_whole(&store).await;
});

story!(group_commit_registers_a_rush_with_distinct_numbers_and_a_whole_chain, |store| {
    let w = world(&store, "toll").await;
    let intake = chuangkou_store::cases::Intake::start(store.clone());
    let rules = w.policies.rules("toll").unwrap();
    let mut waiting = Vec::new();
    for i in 0..120 {
        let p = store
            .prepare_case(&w.org, rules, &complaint(&w, &format!("第{i}位司机反映车道排队")), "test")
            .await
            .unwrap();
        let intake = intake.clone();
        waiting.push(tokio::spawn(async move { intake.register(p).await }));
    }
    let mut numbers = Vec::new();
    for h in waiting {
        numbers.push(h.await.unwrap().unwrap().number);
    }
    numbers.sort();
    numbers.dedup();
    assert_eq!(numbers.len(), 120, "every acknowledged case has its own number");
    let all = store.cases(w.org.id, &CaseFilter { limit: 200, ..Default::default() }).await.unwrap();
    assert_eq!(all.len(), 120, "every acknowledged case is stored");
    let report = store.verify().await.unwrap();
    assert!(report.broken.is_empty(), "{:?}", report.broken);
});

/// Runs statements as someone with the database's password would, around
/// the product: `DROP TRIGGER` and edits.
async fn out_of_band(store: &Store, statements: &[&str]) {
    let mut tx = store.begin().await.unwrap();
    for sql in statements {
        chuangkou_store::on_tx!(&mut tx, c => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.to_string())).execute(&mut *c).await.map(|r| r.rows_affected()))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    tx.commit().await.unwrap();
}

story!(verify_names_each_row_of_record_changed_or_deleted_out_of_band, |store| {
    let w = world(&store, "toll").await;
    let a = register(&store, &w, &complaint(&w, "态度不好")).await;
    let b = register(&store, &w, &complaint(&w, "收费有误")).await;
    act(&store, &w, b.id, office(&w), ActInput::new(Command::StartInvestigation)).await.unwrap();
    let mut substantiated = conclude();
    substantiated.staff_ids = vec![w.collector_staff];
    act(&store, &w, b.id, office(&w), substantiated).await.unwrap();
    chuangkou_store::testing::assert_records_whole(&store).await;
    let fact: i64 = chuangkou_store::on_read!(store, c => sqlx::query_scalar("SELECT MIN(id) FROM facts")
        .fetch_one(c).await)
    .unwrap();
    let reporter: i64 = chuangkou_store::on_read!(store, c => sqlx::query_scalar("SELECT reporter_id FROM cases WHERE id = $1")
        .bind(a.id).fetch_one(c).await)
    .unwrap();

    // A state column, which no trigger guards; a guarded column and a
    // deleted row, with their triggers dropped first.
    let pg = store.backend() == chuangkou_store::Backend::Postgres;
    let drop = |t: &str| {
        if pg {
            format!("DROP TRIGGER {t} ON {}", t.rsplit_once('_').unwrap().0)
        } else {
            format!("DROP TRIGGER {t}")
        }
    };
    out_of_band(
        &store,
        &[
            &format!("UPDATE cases SET state = 'closed' WHERE id = {}", a.id),
            &drop("reporters_fixed"),
            &format!("UPDATE reporters SET phone_hash = 'forged' WHERE id = {reporter}"),
            &drop("facts_kept"),
            &format!("DELETE FROM facts WHERE id = {fact}"),
        ],
    )
    .await;
    let report = store.verify().await.unwrap();
    assert!(report.broken.is_empty(), "the chain itself is whole: {:?}", report.broken);
    let found: Vec<(&str, i64, &str)> =
        report.rows.iter().map(|r| (r.table.as_str(), r.row_id, r.problem.as_str())).collect();
    assert_eq!(found.len(), 3, "{found:?}");
    assert_eq!((found[0].0, found[0].1), ("cases", a.id.get()));
    assert!(found[0].2.contains("differs from its seal"), "{}", found[0].2);
    assert_eq!((found[1].0, found[1].1), ("reporters", reporter));
    assert_eq!((found[2].0, found[2].1), ("facts", fact));
    assert!(found[2].2.contains("no longer stored"), "{}", found[2].2);
    // Sealing again does not launder an edit nobody queued.
    store.seal().await.unwrap();
    assert_eq!(store.verify().await.unwrap().rows.len(), 3);
});

story!(a_stored_code_that_is_no_state_is_an_error_not_another_state, |store| {
    let w = world(&store, "toll").await;
    let a = register(&store, &w, &complaint(&w, "态度不好")).await;
    assert_eq!(store.case(w.org.id, a.id).await.unwrap().state, State::Registered);
    // Read back typed: a code no version of the product wrote fails to
    // decode, naming its column, where a fallback once took it for 已登记.
    out_of_band(&store, &[&format!("UPDATE cases SET state = 'bogus' WHERE id = {}", a.id)]).await;
    let err = store.case(w.org.id, a.id).await.unwrap_err().to_string();
    assert!(err.contains("decoding column state"), "{err}");
});
