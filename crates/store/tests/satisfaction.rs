//! Satisfaction: quick ratings with the numbers of the shipped packs (a bad
//! rating opens a case due 5 working days later; the same device within
//! 24 hours replaces), rollups that always equal a recomputation, appeals,
//! questionnaires and the five-answer threshold of staff surveys — on
//! SQLite and on PostgreSQL.
// Tests: a panic is the failure report, and a test may wait on real time.
#![allow(clippy::unwrap_used, clippy::disallowed_methods)]

use std::collections::BTreeMap;

use chrono::NaiveDate;
use chuangkou_domain::org::{NewServicePoint, NewStaff, NewUnit, ServicePointKind, UnitKind};
use chuangkou_domain::policy::{PolicySet, Rules};
use chuangkou_domain::satisfaction::{Audience, Dimension, Level, parse_question_lines};
use chuangkou_domain::{OrgId, Role, StaffId};
use chuangkou_store::org::{Organisation, ServicePoint};
use chuangkou_store::ratings::{RatingFilter, RatingInput, Scope};
use chuangkou_store::surveys::Origin;
use chuangkou_store::users::{NewUser, User};
use chuangkou_store::{Store, StoreError, story};

struct World {
    org: Organisation,
    policies: PolicySet,
    points: [ServicePoint; 2],
    units: [i64; 2],
    staff: StaffId,
    office: User,
    leader: User,
    shiftlead: User,
}

impl World {
    fn rules(&self) -> Rules<'_> {
        self.policies.rules(&self.org.pack).unwrap()
    }
}

async fn world(store: &Store, pack: &str) -> World {
    let org = store.create_organisation("test", "TY", "太原高速", pack, None).await.unwrap();
    let unit = |c: &str, k| NewUnit { code: c.into(), name: format!("{c}站"), kind: k, parent_code: None };
    let u1 = store.create_unit(org.id, "t", &unit("S01", UnitKind::Station)).await.unwrap().id;
    let u2 = store.create_unit(org.id, "t", &unit("S02", UnitKind::Station)).await.unwrap().id;
    let staff = store
        .create_staff(
            org.id,
            "t",
            &NewStaff {
                employee_no: "S0111".into(),
                name: "陈晓燕".into(),
                unit_code: "S01".into(),
                position: None,
                phone: None,
                certificate_no: None,
            },
        )
        .await
        .unwrap()
        .id;
    let point = |code: &str, unit: &str| NewServicePoint {
        code: code.into(),
        name: format!("{code} 车道"),
        kind: ServicePointKind::Lane,
        unit_code: unit.into(),
        vehicle_plate: None,
    };
    let p1 = store.create_service_point(org.id, "t", &point("L1", "S01")).await.unwrap();
    let p2 = store.create_service_point(org.id, "t", &point("L2", "S02")).await.unwrap();
    let user = |name: &'static str, role, staff_id| {
        let store = store.clone();
        async move {
            store
                .create_user(
                    org.id,
                    "t",
                    &NewUser { username: name, display_name: name, password_hash: "x", role, staff_id },
                )
                .await
                .unwrap()
        }
    };
    World {
        office: user("office", Role::Office, None).await,
        leader: user("leader", Role::Leader, None).await,
        shiftlead: user("shiftlead", Role::ShiftLeader, Some(staff)).await,
        org,
        policies: PolicySet::builtin(),
        points: [p1, p2],
        units: [u1, u2],
        staff,
    }
}

fn at(m: u32, d: u32, h: i64) -> i64 {
    let cal = PolicySet::builtin().calendars["cn-2026"].clone();
    cal.start_of_day_ms(NaiveDate::from_ymd_opt(2026, m, d).unwrap()) + h * 3_600_000
}

fn input(level: Level, device: &str) -> RatingInput {
    RatingInput { level: level.as_str().into(), device: device.into(), ..Default::default() }
}

async fn rate(store: &Store, w: &World, point: usize, i: RatingInput) -> chuangkou_store::ratings::RatingAck {
    let r = store.prepare_rating(&w.org, w.rules(), &w.points[point], &i).await.unwrap();
    store.record_ratings(&[r]).await.unwrap().remove(0)
}

story!(a_bad_rating_opens_a_case_due_five_working_days_later, |store| {
    let w = world(&store, "toll").await;
    // Friday 25 September 2026, 10:00, the first day of the Mid-Autumn
    // holiday (25–27 September), with National Day on 1–7 October: the five
    // working days are 28, 29, 30 September, 8 and 9 October.
    store.set_clock(at(9, 25, 10));
    let mut i = input(Level::Dissatisfied, "phone-1");
    i.tags = vec!["slow".into(), "rude".into()];
    i.comment = Some("等了二十分钟".into());
    i.staff_no = Some("S0111".into());
    i.phone = Some("13812345678".into());
    let ack = rate(&store, &w, 0, i).await;
    let reg = ack.case.expect("a bad rating opens a case");
    assert!(reg.tracking_code.is_some(), "the rater can track the case and give the callback");
    let case = store.case(w.org.id, reg.id).await.unwrap();
    assert_eq!(
        (case.kind.as_str(), case.channel.as_str(), case.track.as_str()),
        ("complaint", "rating", "bad_rating")
    );
    assert_eq!(case.subject_staff_id, Some(w.staff));
    assert_eq!(case.service_point_id, Some(w.points[0].id));
    assert!(
        case.description.contains("不满意") && case.description.contains("等候太久"),
        "{}",
        case.description
    );
    assert_eq!(case.handle_due, at(10, 10, 0), "due at the end of Friday 9 October");
    assert!(case.has_reporter);
    let row = store.rating(w.org.id, ack.id).await.unwrap();
    assert_eq!((row.level, row.case_id, row.tags.as_str()), (2, Some(reg.id), "slow,rude"));
    // 基本满意 opens nothing.
    let ok = rate(&store, &w, 1, input(Level::BasicallySatisfied, "phone-2")).await;
    assert!(ok.case.is_none() && ok.case_id.is_none());
    // Unknown tags and levels change nothing.
    let mut bad = input(Level::Satisfied, "phone-3");
    bad.tags = vec!["colour".into()];
    let e = store.prepare_rating(&w.org, w.rules(), &w.points[0], &bad).await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid(ref f) if f[0].field == "tags"), "{e:?}");
    let e = store
        .prepare_rating(&w.org, w.rules(), &w.points[0], &input(Level::Satisfied, "x").tap_level("6"))
        .await;
    assert!(matches!(e, Err(StoreError::Invalid(_))));
    chuangkou_store::testing::assert_records_whole(&store).await;
});

trait TapLevel {
    fn tap_level(self, l: &str) -> Self;
}
impl TapLevel for RatingInput {
    fn tap_level(mut self, l: &str) -> Self {
        self.level = l.into();
        self
    }
}

story!(the_same_device_within_the_window_replaces_instead_of_adding, |store| {
    let w = world(&store, "toll").await;
    store.set_clock(at(11, 2, 9));
    let today = 20261102;
    let counts = |store: Store, org: OrgId, point: i64| async move {
        store
            .rating_counts(org, Scope::Point, Some(&[point]), today, today)
            .await
            .unwrap()
            .get(&point)
            .copied()
            .unwrap_or_default()
    };
    let first = rate(&store, &w, 0, input(Level::VeryDissatisfied, "stuffer")).await;
    let case = first.case_id.unwrap();
    // Ten more from the same device within the hour: still one rating.
    let mut last = first.clone();
    for n in 0..10 {
        store.advance_clock(60_000);
        let level = if n % 2 == 0 { Level::Dissatisfied } else { Level::VeryDissatisfied };
        last = rate(&store, &w, 0, input(level, "stuffer")).await;
        assert_eq!(last.case_id, Some(case), "a bad rating replacing a bad one keeps its case");
        assert!(last.case.is_none(), "no new case");
    }
    let c = counts(store.clone(), w.org.id, w.points[0].id).await;
    assert_eq!(c.total(), 1, "{c:?}");
    assert_eq!(store.rating(w.org.id, first.id).await.unwrap().status, "replaced");
    assert_eq!(store.rating(w.org.id, last.id).await.unwrap().status, "counted");
    // The same device at another point adds; another device adds.
    rate(&store, &w, 1, input(Level::Satisfied, "stuffer")).await;
    rate(&store, &w, 0, input(Level::Satisfied, "someone-else")).await;
    assert_eq!(counts(store.clone(), w.org.id, w.points[0].id).await.total(), 2);
    // Changing one's mind to 满意 replaces the bad one; the case stays open.
    store.advance_clock(3_600_000);
    let mind = rate(&store, &w, 0, input(Level::Satisfied, "stuffer")).await;
    assert_eq!(mind.replaced, Some(last.id));
    let c = counts(store.clone(), w.org.id, w.points[0].id).await;
    assert_eq!((c.total(), c.bad()), (2, 0));
    assert_eq!(store.case(w.org.id, case).await.unwrap().state, "registered");
    // After 24 hours the same device adds again.
    store.advance_clock(25 * 3_600_000);
    let next = rate(&store, &w, 0, input(Level::Satisfied, "stuffer")).await;
    assert_eq!(next.replaced, None);
    // In one batch: the second of a device's two ratings replaces the first.
    let a = store
        .prepare_rating(&w.org, w.rules(), &w.points[1], &input(Level::Dissatisfied, "twice"))
        .await
        .unwrap();
    let b = store
        .prepare_rating(&w.org, w.rules(), &w.points[1], &input(Level::Satisfied, "twice"))
        .await
        .unwrap();
    let acks = store.record_ratings(&[a, b]).await.unwrap();
    assert_eq!(acks[1].replaced, Some(acks[0].id));
    assert_eq!(store.rating(w.org.id, acks[0].id).await.unwrap().status, "replaced");
    assert!(store.verify_rollups().await.unwrap().is_empty());
    chuangkou_store::testing::assert_records_whole(&store).await;
});

// The toll pack's limits (10 ratings a device, 600 a network, each hour)
// are counted in the database, in the batch's transaction, so that every
// instance sharing it sees the same counts (issue 23 point 5).
story!(the_hourly_limits_are_counted_in_the_database_batch_by_batch, |store| {
    let w = world(&store, "toll").await;
    store.set_clock(at(11, 2, 9));
    let from = |device: &str, address: &str| RatingInput {
        address: Some(address.into()),
        ..input(Level::Satisfied, device)
    };
    let prepare = |i: RatingInput, point: usize| {
        let (store, w) = (&store, &w);
        async move { store.prepare_rating(&w.org, w.rules(), &w.points[point], &i).await.unwrap() }
    };
    // Twelve from one device in one batch (alternating points): ten pass.
    let mut batch = Vec::new();
    for n in 0..12 {
        batch.push(prepare(from("busy-phone", "10.0.0.1"), n % 2).await);
    }
    let acks = store.record_ratings(&batch).await.unwrap();
    let limited: Vec<_> =
        acks.iter().map(|a| a.limited.as_ref().map(|l| (l.kind.clone(), l.limit))).collect();
    assert!(limited[..10].iter().all(Option::is_none), "{limited:?}");
    assert_eq!(limited[10], Some(("device".to_string(), 10)));
    assert_eq!(limited[11], Some(("device".to_string(), 10)));
    assert_eq!((acks[10].id, acks[11].id), (0, 0), "a stopped rating is not written");
    // A later batch sees the counts: the device is still stopped, another passes.
    let acks = store
        .record_ratings(&[
            prepare(from("busy-phone", "10.0.0.1"), 0).await,
            prepare(from("other", "10.0.0.1"), 0).await,
        ])
        .await
        .unwrap();
    assert!(acks[0].limited.is_some() && acks[1].limited.is_none(), "{acks:?}");
    // What was stored: the ten and the other device's one (the rest replaced
    // each other within the window, as a device's ratings of a point do).
    let stored = store.ratings(w.org.id, &RatingFilter { limit: 100, ..Default::default() }).await.unwrap();
    assert_eq!(stored.len(), 11, "{stored:?}");
    // The network's count is kept (as a keyed hash: no address is stored).
    // A device's is its stored ratings of the hour on SQLite, and a row of
    // its own on PostgreSQL (whose lock makes instances take turns).
    let keys: Vec<(String, i64)> = chuangkou_store::on_read!(store, c => sqlx::query_as(
        "SELECT key, n FROM rate_counts ORDER BY key").fetch_all(c).await)
    .unwrap();
    let kept = if store.backend() == chuangkou_store::Backend::Sqlite { 1 } else { 3 };
    assert_eq!(keys.len(), kept, "{keys:?}");
    assert!(keys.iter().all(|(k, _)| !k.contains("10.0.0.1") && !k.contains("busy-phone")), "{keys:?}");
    let network: Vec<_> = keys.iter().filter(|(k, _)| k.starts_with("address:")).collect();
    assert_eq!(network.len(), 1, "{keys:?}");
    assert_eq!(network[0].1, 14, "attempts the device limit stopped still counted for the network");
    // Ratings the system writes itself (no address) are not limited.
    let acks =
        store.record_ratings(&[prepare(input(Level::Satisfied, "busy-phone"), 1).await]).await.unwrap();
    assert!(acks[0].limited.is_none() && acks[0].id > 0);
    // The next hour the device may rate again; two hours on, the old counts go.
    store.advance_clock(3_600_000);
    let acks = store.record_ratings(&[prepare(from("busy-phone", "10.0.0.1"), 0).await]).await.unwrap();
    assert!(acks[0].limited.is_none(), "{acks:?}");
    assert_eq!(store.prune_rate_counts().await.unwrap(), 0, "the previous hour is kept");
    store.advance_clock(3_600_000);
    assert_eq!(store.prune_rate_counts().await.unwrap(), kept as u64);
    // The per-network limit, with the same key the feedback form uses.
    let key = store.limit_key("feedback-address", "10.0.0.9");
    let keys = vec![(key, 2)];
    assert_eq!(store.take_attempt(&keys).await.unwrap(), None);
    assert_eq!(store.take_attempt(&keys).await.unwrap(), None);
    assert_eq!(store.take_attempt(&keys).await.unwrap(), Some(0));
    chuangkou_store::testing::assert_records_whole(&store).await;
});

story!(three_bad_taps_from_one_device_in_one_batch_are_one_complaint, |store| {
    let w = world(&store, "toll").await;
    store.set_clock(at(11, 3, 8));
    let mut batch = vec![];
    for level in [Level::Dissatisfied, Level::VeryDissatisfied, Level::Dissatisfied] {
        batch.push(
            store.prepare_rating(&w.org, w.rules(), &w.points[0], &input(level, "angry")).await.unwrap(),
        );
    }
    let acks = store.record_ratings(&batch).await.unwrap();
    let opened: Vec<bool> = acks.iter().map(|a| a.case.is_some()).collect();
    assert_eq!(opened, [true, false, false], "only the first tap opens a case");
    let case = acks[0].case_id.unwrap();
    assert!(acks.iter().all(|a| a.case_id == Some(case)), "{acks:?}");
    assert_eq!(acks[2].replaced, Some(acks[1].id));
    let c = store
        .rating_counts(w.org.id, Scope::Point, Some(&[w.points[0].id]), 20261103, 20261103)
        .await
        .unwrap()[&w.points[0].id];
    assert_eq!((c.total(), c.bad()), (1, 1));
    assert!(store.verify_rollups().await.unwrap().is_empty());
    chuangkou_store::testing::assert_records_whole(&store).await;
});

story!(rollups_equal_a_recomputation_after_a_concurrent_load, |store| {
    let w = world(&store, "toll").await;
    store.set_clock(at(11, 3, 8));
    let intake = store.rating_intake();
    let levels = Level::ALL;
    let mut tasks = Vec::new();
    for t in 0..16 {
        let (store, intake, org, rules_org) =
            (store.clone(), intake.clone(), w.org.clone(), w.org.pack.clone());
        let points = w.points.clone();
        tasks.push(tokio::spawn(async move {
            let policies = PolicySet::builtin();
            let rules = policies.rules(&rules_org).unwrap();
            let mut acks = Vec::new();
            for n in 0..25 {
                // A few devices repeat, so replacements happen under load too.
                let device = format!("dev-{}", (t * 25 + n) % 150);
                let mut i = input(levels[(t + n) % 5], &device);
                if n % 3 == 0 {
                    i.staff_no = Some("S0111".into());
                }
                let r = store.prepare_rating(&org, rules, &points[n % 2], &i).await.unwrap();
                acks.push(intake.submit(r).await.unwrap());
            }
            acks
        }));
    }
    let mut acked = 0;
    for t in tasks {
        acked += t.await.unwrap().len();
    }
    assert_eq!(acked, 400);
    assert_eq!(store.verify_rollups().await.unwrap().len(), 0, "rollups equal a recomputation");
    // Every acknowledged rating is stored; counted ones are what the rollups hold.
    let all = store.ratings(w.org.id, &RatingFilter { limit: 500, ..Default::default() }).await.unwrap();
    assert_eq!(all.len(), 400);
    let counted = all.iter().filter(|r| r.status == "counted").count() as i64;
    let by_unit = store.rating_counts(w.org.id, Scope::Unit, None, 20261103, 20261103).await.unwrap();
    assert_eq!(by_unit.values().map(|c| c.total()).sum::<i64>(), counted);
    assert!(counted < 400, "repeated devices replaced some ratings");
    let staff = store
        .rating_counts(w.org.id, Scope::Staff, Some(&[w.staff.get()]), 20261101, 20261130)
        .await
        .unwrap();
    let staff_counted =
        all.iter().filter(|r| r.status == "counted" && r.staff_id == Some(w.staff)).count() as i64;
    assert_eq!(staff[&w.staff.get()].total(), staff_counted);
    // A rollup changed behind the system's back is found.
    store.break_rollup_for_test(w.org.id).await;
    let diffs = store.verify_rollups().await.unwrap();
    assert_eq!(diffs.len(), 1, "{diffs:?}");
});

story!(a_unit_appeals_a_malicious_rating_and_the_decision_is_recorded, |store| {
    let w = world(&store, "toll").await;
    store.set_clock(at(11, 4, 9));
    let bad = rate(&store, &w, 0, input(Level::VeryDissatisfied, "angry")).await;
    let good = rate(&store, &w, 0, input(Level::Satisfied, "happy")).await;
    let e = store.appeal_rating(w.org.id, good.id, w.shiftlead.id, "误评").await.unwrap_err();
    assert!(matches!(e, StoreError::Refused { conflict: true, .. }), "{e:?}");
    let appeal =
        store.appeal_rating(w.org.id, bad.id, w.shiftlead.id, "当日该车道关闭，评价对象有误").await.unwrap();
    assert!(store.appeal_rating(w.org.id, bad.id, w.shiftlead.id, "again").await.is_err(), "once");
    assert_eq!(store.open_rating_appeals(w.org.id).await.unwrap().len(), 1);
    let e =
        store.decide_rating_appeal(w.org.id, appeal.id, w.shiftlead.id, true, "自己决定").await.unwrap_err();
    assert!(matches!(e, StoreError::Refused { conflict: false, .. }), "{e:?}");
    let day = 20261104;
    let before = store.rating_counts(w.org.id, Scope::Unit, None, day, day).await.unwrap()[&w.units[0]];
    assert_eq!((before.total(), before.bad()), (2, 1));
    let d = store.decide_rating_appeal(w.org.id, appeal.id, w.leader.id, true, "核实为误评").await.unwrap();
    assert_eq!(d.outcome.as_deref(), Some("upheld"));
    let after = store.rating_counts(w.org.id, Scope::Unit, None, day, day).await.unwrap()[&w.units[0]];
    assert_eq!((after.total(), after.bad()), (1, 0), "an upheld appeal takes the rating out of the counts");
    assert_eq!(store.rating(w.org.id, bad.id).await.unwrap().status, "excluded");
    assert!(
        store.decide_rating_appeal(w.org.id, appeal.id, w.leader.id, false, "改判").await.is_err(),
        "decided once"
    );
    let history = store.rating_history(w.org.id, bad.id).await.unwrap();
    let kinds: Vec<&str> = history.iter().map(|e| e.kind.as_str()).collect();
    assert_eq!(kinds, ["ratings.recorded", "rating.appealed", "rating.excluded"]);
    // The batch's event lists this rating with its level and case.
    let recorded: serde_json::Value = serde_json::from_str(&history[0].payload).unwrap();
    let columns: Vec<&str> =
        recorded["columns"].as_array().unwrap().iter().map(|c| c.as_str().unwrap()).collect();
    let line = recorded["ratings"].as_array().unwrap().iter().find(|r| r[0] == bad.id).expect("listed");
    assert_eq!(line[columns.iter().position(|c| *c == "level").unwrap()], Level::VeryDissatisfied.number());
    assert_eq!(line[columns.iter().position(|c| *c == "case_id").unwrap()], serde_json::json!(bad.case_id));
    // A rejected appeal leaves the rating counted.
    let other = rate(&store, &w, 1, input(Level::Dissatisfied, "angry2")).await;
    let a2 = store.appeal_rating(w.org.id, other.id, w.office.id, "恶意差评").await.unwrap();
    store.decide_rating_appeal(w.org.id, a2.id, w.leader.id, false, "证据不足").await.unwrap();
    assert_eq!(store.rating(w.org.id, other.id).await.unwrap().status, "counted");
    assert!(store.verify_rollups().await.unwrap().is_empty());
    chuangkou_store::testing::assert_records_whole(&store).await;
});

story!(a_staff_survey_shows_results_only_from_five_answers, |store| {
    let w = world(&store, "toll").await;
    store.set_clock(at(11, 5, 9));
    let qs = parse_question_lines(
        "scale | empathy | 您对本单位的关怀是否满意？\nscale | reliability | 排班是否合理？\ntext | 建议",
    )
    .unwrap();
    let q = store
        .publish_questionnaire(w.org.id, w.office.id, "staff-2026", "职工满意度调查", Audience::Staff, &qs)
        .await
        .unwrap();
    let mut users = Vec::new();
    for n in 0..5 {
        let name: &'static str = Box::leak(format!("worker{n}").into_boxed_str());
        let u = store
            .create_user(
                w.org.id,
                "t",
                &NewUser {
                    username: name,
                    display_name: name,
                    password_hash: "x",
                    role: Role::Staff,
                    staff_id: None,
                },
            )
            .await
            .unwrap();
        users.push(u);
    }
    let answers =
        |a: &str, b: &str| -> BTreeMap<usize, String> { [(0, a.to_string()), (1, b.to_string())].into() };
    let origin = Origin { unit_id: Some(w.units[0]), point_id: None };
    for (n, u) in users.iter().take(4).enumerate() {
        store
            .answer_questionnaire(&q, Some(u.id), origin, &answers(&format!("{}", n + 2), "4"), 20261105)
            .await
            .unwrap();
    }
    // Twice is refused.
    let e = store
        .answer_questionnaire(&q, Some(users[0].id), origin, &answers("5", "5"), 20261105)
        .await
        .unwrap_err();
    assert!(matches!(e, StoreError::Refused { conflict: true, .. }), "{e:?}");
    let min = w.rules().pack.satisfaction.survey_min_answers;
    assert_eq!(min, 5);
    let r = store.questionnaire_results(&q, 20261101, 20261130, min).await.unwrap();
    assert_eq!(r[0].responses, 4);
    assert!(r.iter().all(|g| g.results.is_none()), "four answers show nothing");
    store.answer_questionnaire(&q, Some(users[4].id), origin, &answers("5", "2"), 20261105).await.unwrap();
    let r = store.questionnaire_results(&q, 20261101, 20261130, min).await.unwrap();
    let all = r[0].results.as_ref().expect("five answers show results");
    assert_eq!(all.responses, 5);
    // empathy: 2, 3, 4, 5, 5 → 3.8; reliability: 4, 4, 4, 4, 2 → 3.6.
    assert_eq!(all.dimensions, vec![(Dimension::Reliability, 3.6), (Dimension::Empathy, 3.8)]);
    // Nothing in the responses names a person or a day.
    let raw: Vec<(String, i64, String)> = store.raw_responses_for_test(q.id).await;
    for (id, day, answers) in &raw {
        assert_eq!(id.len(), 32);
        assert_eq!(*day, 20261101, "staff answers keep only the month");
        assert!(!answers.contains("worker"));
    }
    assert!(
        store
            .history(w.org.id, "questionnaire", q.id)
            .await
            .unwrap()
            .iter()
            .all(|e| e.kind == "questionnaire.published"),
        "staff answers are not chained as events"
    );
    // One more unit with a single answer hides the organisation total too,
    // which would otherwise give that one answer away by subtraction.
    let lone = store
        .create_user(
            w.org.id,
            "t",
            &NewUser {
                username: "lone",
                display_name: "lone",
                password_hash: "x",
                role: Role::Staff,
                staff_id: None,
            },
        )
        .await
        .unwrap();
    store
        .answer_questionnaire(
            &q,
            Some(lone.id),
            Origin { unit_id: Some(w.units[1]), point_id: None },
            &answers("1", "1"),
            20261105,
        )
        .await
        .unwrap();
    let r = store.questionnaire_results(&q, 20261101, 20261130, min).await.unwrap();
    assert!(r[0].results.is_none(), "total hidden");
    assert!(r.iter().find(|g| g.unit_id == Some(w.units[0])).unwrap().results.is_some());
    assert!(r.iter().find(|g| g.unit_id == Some(w.units[1])).unwrap().results.is_none());
});

story!(public_questionnaires_are_versioned_and_summarised_per_unit, |store| {
    let w = world(&store, "hall").await;
    store.set_clock(at(11, 6, 9));
    let v1 = parse_question_lines("scale | responsiveness | 等候时间\nchoice | 业务 | 缴费; 咨询").unwrap();
    let q1 = store
        .publish_questionnaire(w.org.id, w.office.id, "visit", "办事满意度", Audience::Public, &v1)
        .await
        .unwrap();
    let o1 = Origin { unit_id: Some(w.units[0]), point_id: Some(w.points[0].id) };
    let o2 = Origin { unit_id: Some(w.units[1]), point_id: Some(w.points[1].id) };
    let a = |x: &str, y: &str| -> BTreeMap<usize, String> { [(0, x.to_string()), (1, y.to_string())].into() };
    store.answer_questionnaire(&q1, None, o1, &a("5", "缴费"), 20261106).await.unwrap();
    store.answer_questionnaire(&q1, None, o1, &a("3", "咨询"), 20261106).await.unwrap();
    store.answer_questionnaire(&q1, None, o2, &a("1", "咨询"), 20261106).await.unwrap();
    let e = store.answer_questionnaire(&q1, None, o1, &a("7", "缴费"), 20261106).await.unwrap_err();
    assert!(matches!(e, StoreError::Invalid(_)));
    let v2 = parse_question_lines(
        "scale | responsiveness | 等候时间\nscale | tangibles | 大厅环境\nchoice | 业务 | 缴费; 咨询",
    )
    .unwrap();
    let q2 = store
        .publish_questionnaire(w.org.id, w.office.id, "visit", "办事满意度", Audience::Public, &v2)
        .await
        .unwrap();
    assert_eq!(q2.version, 2);
    let q1 = store.questionnaire(w.org.id, q1.id).await.unwrap();
    assert_eq!(q1.status, "closed");
    assert!(store.answer_questionnaire(&q1, None, o1, &a("5", "缴费"), 20261106).await.is_err(), "closed");
    let r = store.questionnaire_results(&q1, 20261101, 20261130, 5).await.unwrap();
    assert_eq!(r[0].responses, 3);
    let all = r[0].results.as_ref().unwrap();
    assert_eq!(all.dimensions, vec![(Dimension::Responsiveness, 3.0)]);
    let u1 = r.iter().find(|g| g.unit_id == Some(w.units[0])).unwrap();
    assert_eq!(u1.results.as_ref().unwrap().dimensions, vec![(Dimension::Responsiveness, 4.0)]);
    // Another period has none.
    assert_eq!(store.questionnaire_results(&q1, 20261201, 20261231, 5).await.unwrap()[0].responses, 0);
    assert_eq!(store.questionnaires(w.org.id).await.unwrap().len(), 2);
});

story!(verify_compares_each_rating_with_its_batch_event, |store| {
    let w = world(&store, "toll").await;
    store.set_clock(at(11, 2, 9));
    let kept = rate(&store, &w, 0, input(Level::Satisfied, "device-a")).await;
    let edited = rate(&store, &w, 1, input(Level::VeryDissatisfied, "device-b")).await;
    let gone = rate(&store, &w, 1, input(Level::Satisfied, "device-c")).await;
    chuangkou_store::testing::assert_records_whole(&store).await;

    // Someone with the database's password drops the guards, turns a very
    // dissatisfied rating into a satisfied one and deletes another.
    let guards: &[&str] = match store.backend() {
        chuangkou_store::Backend::Sqlite => &["DROP TRIGGER ratings_fixed", "DROP TRIGGER ratings_no_delete"],
        chuangkou_store::Backend::Postgres => &["DROP TRIGGER ratings_guarded ON ratings"],
    };
    let mut tx = store.begin().await.unwrap();
    for sql in guards.iter().map(|s| s.to_string()).chain([
        format!("UPDATE ratings SET level = 5 WHERE id = {}", edited.id),
        format!("DELETE FROM ratings WHERE id = {}", gone.id),
    ]) {
        chuangkou_store::on_tx!(&mut tx, c => sqlx::raw_sql(sqlx::AssertSqlSafe(sql.clone())).execute(&mut *c).await.map(|r| r.rows_affected()))
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }
    tx.commit().await.unwrap();
    let report = store.verify().await.unwrap();
    let found: Vec<(i64, &str)> = report.rows.iter().map(|r| (r.row_id, r.problem.as_str())).collect();
    assert_eq!(found.len(), 2, "{found:?}");
    assert_eq!(found[0].0, edited.id, "{found:?}");
    assert!(found[0].1.contains("differs from its batch's event"), "{found:?}");
    assert!(found[1].1.contains("list 3 ratings but 2 are stored"), "{found:?}");
    assert_ne!(found[0].0, kept.id);
});
