//! Training, exams and qualifications (SPEC CMP-2, issue 20 point 3; seed
//! 000's 学习培训计划, seed 002's 客运服务资格证 and 严考核): a plan's
//! hours, a session checked in to by its QR code only by the person signed
//! in and only while it is on, attendance imported all or nothing, a
//! required session's absentee and a failed exam proposing what the bus
//! pack's rules say, a qualification reminded of 30 days (the pack's
//! number) before it expires, once.

use axum::http::{Method, StatusCode};
use chuangkou_domain::org::{NewStaff, NewUnit, UnitKind};
use chuangkou_domain::{OrgId, Role, StaffId};
use chuangkou_store::story;
use chuangkou_store::testing::noon_2026;
use serde_json::{Value, json};

use crate::common::TestApp;

struct Terminal {
    org: OrgId,
    station: i64,
    /// 刘猛, 唐杰, 张丽 and the office's own staff record.
    liu: StaffId,
    tang: StaffId,
    zhang: StaffId,
    office: String,
    /// An office clerk who is on the staff roll herself.
    clerk: String,
    liu_token: String,
    tang_token: String,
}

/// Seed 004's terminal: the station and its 站务部, three people and an
/// office clerk who is staff herself.
async fn terminal(app: &TestApp) -> Terminal {
    let s = &app.store;
    let org = s.create_organisation("test", "XZ", "徐州汽车客运东站", "bus", None).await.unwrap();
    let unit = |code: &str, name: &str, kind, parent: Option<&str>| NewUnit {
        code: code.into(),
        name: name.into(),
        kind,
        parent_code: parent.map(Into::into),
    };
    let station = s
        .create_unit(org.id, "test", &unit("E00", "汽车客运东站", UnitKind::Terminal, None))
        .await
        .unwrap()
        .id;
    s.create_unit(org.id, "test", &unit("E01", "站务部", UnitKind::Department, Some("E00"))).await.unwrap();
    let person = |no: &str, name: &str| NewStaff {
        employee_no: no.into(),
        name: name.into(),
        unit_code: "E01".into(),
        position: None,
        phone: None,
        certificate_no: None,
    };
    let liu = s.create_staff(org.id, "test", &person("0101", "刘猛")).await.unwrap().id;
    let tang = s.create_staff(org.id, "test", &person("0102", "唐杰")).await.unwrap().id;
    let zhang = s.create_staff(org.id, "test", &person("0103", "张丽")).await.unwrap().id;
    let jiao = s.create_staff(org.id, "test", &person("0104", "焦会民")).await.unwrap().id;
    let office = app.token(org.id, "office", Role::Office).await;
    let clerk = app.staff_token(org.id, "jiao", Role::Office, jiao).await;
    let liu_token = app.staff_token(org.id, "liumeng", Role::Staff, liu).await;
    let tang_token = app.staff_token(org.id, "tangjie", Role::Staff, tang).await;
    Terminal { org: org.id, station, liu, tang, zhang, office, clerk, liu_token, tang_token }
}

fn ids(v: &Value, key: &str, field: &str) -> Vec<i64> {
    v[key].as_array().unwrap().iter().map(|x| x[field].as_i64().unwrap()).collect()
}

story!(a_session_is_attended_by_qr_by_sheet_and_its_absentee_goes_to_the_ledger, |store| {
    store.set_clock(noon_2026(9, 1));
    let mut app = TestApp::new(store.clone());
    let t = terminal(&app).await;
    let plan = json!({"year": 2026, "title": "2026年服务礼仪培训", "topics": "文明用语、仪容仪表",
        "unit_id": t.station, "hours": 2});
    let r = app.post_json("/api/v1/training-plans", Some(&t.liu_token), plan.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "staff do not plan training");
    let r = app.post_json("/api/v1/training-plans", Some(&t.office), plan).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let plan_id = r.json()["plan"]["id"].as_i64().unwrap();
    let session = json!({"plan_id": plan_id, "unit_id": t.station, "topic": "文明用语", "place": "二楼会议室",
        "trainer": "王芳", "date": "2026-09-10", "from": "09:00", "to": "11:00", "required": true});
    let bad = json!({"unit_id": t.station, "topic": "", "place": "x", "trainer": "y", "date": "9/10",
        "from": "11:00", "to": "09:00"});
    let r = app.post_json("/api/v1/training-sessions", Some(&t.office), bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.post_json("/api/v1/training-sessions", Some(&t.office), session).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let s = r.json();
    let id = s["session"]["id"].as_i64().unwrap();
    let url = s["checkin_url"].as_str().unwrap().to_string();
    let code = url.rsplit('/').next().unwrap().to_string();
    assert!(s["session"].get("checkin_code").is_none(), "the code is only in the check-in address");

    // Before the session the code checks nobody in; at it, the person
    // signed in, once.
    let check_in = json!({"code": code});
    let r = app.post_json("/api/v1/check-in", Some(&t.liu_token), check_in.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "not open on 1 September: {}", r.text());
    store.set_clock(noon_2026(9, 10) - 3 * 3_600_000 + 60_000); // 09:01 CST
    let r = app.post_json("/api/v1/check-in", Some(&t.liu_token), check_in.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = app.post_json("/api/v1/check-in", Some(&t.liu_token), check_in.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "once");
    let r = app.post_json("/api/v1/check-in", Some(&t.liu_token), json!({"code": "guessed"})).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);

    // The clerk may not enter her own attendance by hand.
    let me = app.store.staff_id_by_number(t.org, "0104").await.unwrap().unwrap();
    let r = app
        .post_json(
            &format!("/api/v1/training-sessions/{id}/attendance"),
            Some(&t.clerk),
            json!({"staff_ids": [me]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());

    // A sheet with a bad row is refused whole, every bad row named.
    let sheet = |rows: &[[&str; 2]]| {
        let mut all = vec![vec!["工号".to_string(), "姓名".to_string()]];
        all.extend(rows.iter().map(|r| r.iter().map(|c| c.to_string()).collect()));
        chuangkou_tabular::write_xlsx(&[chuangkou_tabular::Sheet { name: "出勤".into(), rows: all }]).unwrap()
    };
    let xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
    let import = format!("/api/v1/training-sessions/{id}/attendance/import");
    let bad = sheet(&[["0102", "唐杰"], ["0999", "无名"], ["0103", "李四"]]);
    let r = app.request(Method::POST, &import, Some(&t.office), xlsx, bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(ids(&r.json(), "errors", "row"), [3, 4], "{}", r.text());
    let detail = app.get(&format!("/api/v1/training-sessions/{id}"), Some(&t.office)).await.json();
    assert_eq!(ids(&detail, "attendance", "staff_id"), [t.liu.get()], "nothing of the bad sheet was written");
    let r = app.request(Method::POST, &import, Some(&t.office), xlsx, sheet(&[["0102", "唐杰"]])).await;
    assert_eq!((r.status, r.json()["added"].as_i64()), (StatusCode::CREATED, Some(1)), "{}", r.text());

    // Closing the required session: 张丽 and the clerk did not come; each
    // absence proposes the bus pack's 记违规一次.
    store.set_clock(noon_2026(9, 10));
    let r = app.post_json(&format!("/api/v1/training-sessions/{id}/close"), Some(&t.office), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let mut absent: Vec<StaffId> =
        r.json()["absent"].as_array().unwrap().iter().map(|v| StaffId::new(v.as_i64().unwrap())).collect();
    absent.sort();
    assert_eq!(absent, [t.zhang, me]);
    let entries = app.get("/api/v1/ledger/entries?status=proposed", Some(&t.office)).await.json();
    let violations: Vec<StaffId> = entries["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "violation")
        .map(|e| StaffId::new(e["staff_id"].as_i64().unwrap()))
        .collect();
    assert_eq!(violations.len(), 2, "{entries}");
    assert!(violations.contains(&t.zhang));
    let r = app.post_json(&format!("/api/v1/training-sessions/{id}/close"), Some(&t.office), json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "closed once");
    let r = app.post_json("/api/v1/check-in", Some(&t.tang_token), check_in).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "no check-in after closing");

    // Completion against the plan: two of four attended its two hours.
    let p = app.get(&format!("/api/v1/training-plans/{plan_id}"), Some(&t.office)).await.json();
    assert_eq!(p["total"], json!({"staff": 4, "completed": 2, "percent": 50}), "{p}");
    // 刘猛 sees the session in his own record, and nobody else's.
    let mine = app.get("/api/v1/training/me", Some(&t.liu_token)).await.json();
    assert_eq!(ids(&mine, "sessions", "session_id"), [id]);
    assert_eq!(mine["minutes"], 120);
    assert_eq!(mine["sessions"][0]["way"], "qr");
    let other = app.get(&format!("/api/v1/staff/{}/training", t.tang), Some(&t.liu_token)).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/training-plans", Some(&t.liu_token)).await.status, StatusCode::FORBIDDEN);
    // The bus pack adds half a point per hour of training to the month's score.
    let month = app.get("/api/v1/assessment?month=2026-09", Some(&t.office)).await.json();
    let score = |id: StaffId| {
        month["results"]["staff"].as_array().unwrap().iter().find(|s| s["staff_id"] == id.get()).unwrap()["score"]
            .as_f64()
            .unwrap()
    };
    assert_eq!((score(t.liu), score(t.zhang)), (101.0, 100.0), "{month}");
    let events = app.store.events(t.org, None, 200).await.unwrap();
    assert!(events.iter().any(|e| e.kind == "training.attended"));
    assert!(events.iter().any(|e| e.kind == "training_session.closed"));
    // Attendance is a row of record, sealed into the chain.
    chuangkou_store::testing::assert_records_whole(&store).await;
    let sql = format!(
        "UPDATE training_attendance SET way = 'entered' WHERE session_id = {id} AND staff_id = {}",
        t.liu
    );
    chuangkou_store::testing::out_of_band(&store, &[&sql]).await;
    let report = store.verify().await.unwrap();
    assert_eq!(report.rows.len(), 1, "{:?}", report.rows);
    assert_eq!(report.rows[0].table, "training_attendance");
});

story!(a_failed_exam_proposes_what_the_pack_says_and_nobody_scores_themselves, |store| {
    store.set_clock(noon_2026(11, 2));
    let mut app = TestApp::new(store.clone());
    let t = terminal(&app).await;
    let exam = json!({"kind": "exam", "title": "岗位技能考核", "held_on": "2026-11-02"});
    let r = app.post_json("/api/v1/exams", Some(&t.office), exam).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["exam"]["id"].as_i64().unwrap();
    assert_eq!(r.json()["exam"]["pass_mark"], 60, "the bus pack's pass mark");
    let url = format!("/api/v1/exams/{id}/results");
    let me = app.store.staff_id_by_number(t.org, "0104").await.unwrap().unwrap();
    let r = app.post_json(&url, Some(&t.clerk), json!({"results": [{"staff_id": me, "score": 99}]})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "nobody records their own score");
    let r =
        app.post_json(&url, Some(&t.office), json!({"results": [{"staff_id": t.liu, "score": 101}]})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "above the full mark");
    let scores = json!({"results": [{"staff_id": t.liu, "score": 55}, {"staff_id": t.tang, "score": 86}]});
    let r = app.post_json(&url, Some(&t.office), scores.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let results = r.json()["results"].clone();
    let failed: Vec<StaffId> = results
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["passed"] == false)
        .map(|r| StaffId::new(r["staff_id"].as_i64().unwrap()))
        .collect();
    assert_eq!(failed, [t.liu]);
    assert_eq!(app.post_json(&url, Some(&t.office), scores).await.status, StatusCode::CONFLICT, "once");
    // The bus pack: 业务考试、技能考核不合格的，约见谈话 — proposed for 刘猛 alone.
    let entries = app.get("/api/v1/ledger/entries?status=proposed", Some(&t.office)).await.json();
    let talks: Vec<(String, StaffId)> = entries["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["kind"].as_str().unwrap().to_string(), StaffId::new(e["staff_id"].as_i64().unwrap())))
        .collect();
    assert_eq!(talks, [("admonition".to_string(), t.liu)], "{entries}");
    // A skill competition has winners, not failures: no fact.
    let contest =
        json!({"kind": "competition", "title": "售票技能比赛", "held_on": "2026-11-03", "pass_mark": 90});
    let cid =
        app.post_json("/api/v1/exams", Some(&t.office), contest).await.json()["exam"]["id"].as_i64().unwrap();
    let r = app
        .post_json(
            &format!("/api/v1/exams/{cid}/results"),
            Some(&t.office),
            json!({"results": [{"staff_id": t.zhang, "score": 70}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let entries = app.get("/api/v1/ledger/entries?status=proposed", Some(&t.office)).await.json();
    assert_eq!(entries["entries"].as_array().unwrap().len(), 1);
    let mine = app.get("/api/v1/training/me", Some(&t.liu_token)).await.json();
    assert_eq!(
        (mine["results"][0]["score"].as_i64(), mine["results"][0]["passed"].as_bool()),
        (Some(55), Some(false))
    );
});

story!(a_qualification_is_reminded_of_thirty_days_before_it_expires_once, |store| {
    store.set_clock(noon_2026(9, 1));
    let mut app = TestApp::new(store.clone());
    let t = terminal(&app).await;
    let q = json!({"staff_id": t.liu, "kind": "客运服务资格证", "number": "320300123", "issued_on": "2020-11-01",
        "expires_on": "2026-10-31"});
    let r = app.post_json("/api/v1/qualifications", Some(&t.liu_token), q.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.post_json("/api/v1/qualifications", Some(&t.office), q).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let policies = chuangkou_domain::policy::PolicySet::builtin();
    let count = |v: Value| {
        v["notifications"]
            .as_array()
            .unwrap()
            .iter()
            .filter(|n| n["kind"] == "qualification.expiring")
            .count()
    };
    // 30 September is 31 days before; 1 October, 30.
    store.set_clock(noon_2026(9, 30));
    assert_eq!(store.sweep_timers(&policies).await.unwrap().qualifications_reminded, 0);
    store.set_clock(noon_2026(10, 1));
    assert_eq!(store.sweep_timers(&policies).await.unwrap().qualifications_reminded, 1);
    assert_eq!(store.sweep_timers(&policies).await.unwrap().qualifications_reminded, 0, "once");
    assert_eq!(count(app.get("/api/v1/notifications", Some(&t.liu_token)).await.json()), 1);
    assert_eq!(count(app.get("/api/v1/notifications", Some(&t.office)).await.json()), 1);
    assert_eq!(count(app.get("/api/v1/notifications", Some(&t.tang_token)).await.json()), 0);
    // Who sees it: the holder and the office; not a colleague.
    let mine = app.get("/api/v1/qualifications", Some(&t.liu_token)).await.json();
    assert_eq!(mine["qualifications"].as_array().unwrap().len(), 1);
    let theirs = app.get("/api/v1/qualifications", Some(&t.tang_token)).await.json();
    assert_eq!(theirs["qualifications"], json!([]));
});
