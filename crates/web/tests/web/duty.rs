//! Duty rosters and facilities (issue 19 point 5; seed 000: 值班站长必须在
//! 现场处理, 便民亭值守; seed 002 4.2.2: 设置值班主任，安排领导接待日): whoever
//! the roster has on duty is who on-site cases and escalations reach and
//! whom an inspection names; the public sees them (where the pack says so),
//! the fee standards and the facilities in use.

use axum::http::{Method, StatusCode};
use chuangkou_domain::org::NewStaff;
use chuangkou_domain::{OrgId, Role, StaffId};
use chuangkou_store::story;
use chuangkou_store::testing::noon_2026;
use serde_json::json;

use crate::common::{PASSWORD, Seed, TestApp};

const DAY: i64 = 86_400_000;

/// A staff member of unit `unit`; returns the id.
async fn staff_of(app: &TestApp, org_id: OrgId, unit: &str, no: &str, name: &str) -> StaffId {
    let s = NewStaff {
        employee_no: no.into(),
        name: name.into(),
        unit_code: unit.into(),
        position: None,
        phone: None,
        certificate_no: None,
    };
    app.store.create_staff(org_id, "test", &s).await.unwrap().id
}

/// The kinds of the notifications `token`'s user has.
async fn notified(app: &mut TestApp, token: &str) -> Vec<String> {
    let n = app.get("/api/v1/notifications", Some(token)).await.json();
    n["notifications"].as_array().unwrap().iter().map(|n| n["kind"].as_str().unwrap().to_string()).collect()
}

/// The cases of the `case.escalated` notifications `token`'s user has.
async fn escalated(app: &mut TestApp, token: &str) -> Vec<i64> {
    let n = app.get("/api/v1/notifications", Some(token)).await.json();
    n["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "case.escalated")
        .filter_map(|n| n["case_id"].as_i64())
        .collect()
}

/// A second station with its own shift leader, who keeps only that one.
async fn second_station(app: &TestApp, seed: &Seed) -> String {
    let unit = chuangkou_domain::org::NewUnit {
        code: "S02".into(),
        name: "武宿收费站".into(),
        kind: chuangkou_domain::org::UnitKind::Station,
        parent_code: None,
    };
    app.store.create_unit(seed.org_id, "test", &unit).await.unwrap();
    let wu = staff_of(app, seed.org_id, "S02", "0201", "吴站长").await;
    app.staff_token(seed.org_id, "wu", Role::ShiftLeader, wu).await
}

story!(the_station_master_on_the_roster_gets_on_site_cases_and_escalations, |store| {
    // Thursday 5 November 2026, noon, China time.
    store.set_clock(noon_2026(11, 5));
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let zhao = staff_of(&app, seed.org_id, "S01", "0001", "赵建国").await;
    let zhao_token = app.staff_token(seed.org_id, "zhao", Role::ShiftLeader, zhao).await;
    let li = staff_of(&app, seed.org_id, "S01", "0002", "李明").await;
    let li_token = app.staff_token(seed.org_id, "li", Role::ShiftLeader, li).await;
    let wu = second_station(&app, &seed).await;

    // Zhao is today's station master, entered by hand; tomorrow's comes
    // from a sheet. Another station's shift leader rosters nothing here.
    let today =
        json!({"unit_id": seed.station_id, "staff_id": zhao, "date": "2026-11-05", "duty": "值班站长"});
    let r = app.post_json("/api/v1/duty", Some(&wu), today.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = app.post_json("/api/v1/duty", Some(&li_token), today).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["shift"]["staff_name"], "赵建国");
    assert_eq!(
        r.json()["shift"]["ends_at"].as_i64().unwrap() - r.json()["shift"]["starts_at"].as_i64().unwrap(),
        DAY
    );
    let header = "日期,单位编码,值守类别,工号,开始,结束,备注\n";
    let bad = format!(
        "{header}2026-11-06,S01,值班站长,0001,,,\n2026-11-06,S01,门卫,0002,,,\n2026-11-07,S09,值班站长,0009,,,\n"
    );
    let r = app.request(Method::POST, "/api/v1/imports/duty", Some(&office), "text/csv", bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let rows: Vec<i64> =
        r.json()["errors"].as_array().unwrap().iter().map(|e| e["row"].as_i64().unwrap()).collect();
    assert_eq!(rows, [3, 4], "every bad row named: {}", r.text());
    let week = app.get("/api/v1/duty?from=2026-11-05", Some(&office)).await.json();
    assert_eq!(week["shifts"].as_array().unwrap().len(), 1, "nothing of the bad sheet was written");
    let good =
        format!("{header}2026-11-06,S01,值班站长,0001,,,\n2026-11-06,S01,便民亭值守,0002,08:00,20:00,\n");
    let r = app.request(Method::POST, "/api/v1/imports/duty", Some(&office), "text/csv", good).await;
    assert_eq!((r.status, r.json()["added"].as_i64()), (StatusCode::CREATED, Some(2)), "{}", r.text());
    // The other station's keeper does not see this station's roster.
    assert_eq!(app.get("/api/v1/duty?from=2026-11-05", Some(&wu)).await.json()["shifts"], json!([]));

    // A complaint made in person at the station reaches Zhao, on duty, and
    // not Li; one about Zhao himself does not reach him.
    let walk_in = |about: Option<StaffId>| {
        json!({"kind": "complaint", "channel": "walk_in", "category": "attitude", "unit_id": seed.station_id,
            "description": "收费员态度生硬", "reporter_phone": "13800000001", "subject_staff_id": about})
    };
    let r = app.post_json("/api/v1/cases", Some(&office), walk_in(None)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(notified(&mut app, &zhao_token).await, ["case.on_site"]);
    assert!(notified(&mut app, &li_token).await.is_empty());
    let about_zhao = app.post_json("/api/v1/cases", Some(&office), walk_in(Some(zhao))).await.json()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(notified(&mut app, &zhao_token).await.len(), 1, "not the case about himself");

    // A case by hotline about the station is not on-site; 24 hours later
    // its investigation escalates to the station master on duty then —
    // tomorrow's, from the sheet — and not to every shift leader.
    let hotline = json!({"kind": "complaint", "channel": "hotline", "category": "attitude", "unit_id": seed.station_id,
        "description": "车道收费员扔卡", "reporter_phone": "13800000002"});
    let hotline = app.post_json("/api/v1/cases", Some(&office), hotline).await.json()["id"].as_i64().unwrap();
    store.advance_clock(DAY + 1);
    app.store.sweep_timers(&chuangkou_domain::policy::PolicySet::builtin()).await.unwrap();
    assert!(escalated(&mut app, &zhao_token).await.contains(&hotline));
    assert!(!escalated(&mut app, &li_token).await.contains(&hotline));
    assert!(escalated(&mut app, &wu).await.is_empty(), "nothing of another station");
    // The case about Zhao climbs past him, to the station's shift leaders.
    assert!(!escalated(&mut app, &zhao_token).await.contains(&about_zhao));
    assert!(escalated(&mut app, &li_token).await.contains(&about_zhao));

    // The public sees who is on duty now, with 工号 (the toll pack
    // publishes them), and the published fee standards.
    let home = app.get("/o/TY", None).await.text();
    for expected in
        ["id=\"on-duty\"", "赵建国", "0001", "李明", "便民亭值守", "车辆通行费", "《收费公路管理条例》"]
    {
        assert!(home.contains(expected), "{expected}: {home}");
    }
    let token = app.store.service_point(seed.org_id, seed.point_id).await.unwrap().public_token;
    let page = app.get(&format!("/p/{token}"), None).await.text();
    assert!(page.contains("赵建国") && page.contains("车辆通行费"), "the QR page too");
    // At 21:00 the kiosk's day shift has ended.
    store.set_clock(noon_2026(11, 6) + 9 * 3_600_000);
    let evening = app.get("/o/TY", None).await.text();
    assert!(evening.contains("赵建国") && !evening.contains("李明"), "{evening}");
});

story!(facilities_are_kept_checked_by_inspections_and_renewed_before_they_expire, |store| {
    store.set_clock(noon_2026(11, 5));
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let inspector = app.token(seed.org_id, "inspector", Role::Supervisor).await;
    let wu = second_station(&app, &seed).await;
    let kiosk = staff_of(&app, seed.org_id, "S01", "0003", "王芳").await;
    let add = |body: serde_json::Value| {
        let mut b = json!({"service_point_id": seed.point_id});
        b.as_object_mut().unwrap().extend(body.as_object().unwrap().clone());
        b
    };
    // Medicine without its expiry is refused; nothing is written.
    let r = app
        .post_json(
            "/api/v1/facilities",
            Some(&office),
            add(json!({"kind": "medicine", "name": "藿香正气水"})),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let r =
        app.post_json("/api/v1/facilities", Some(&wu), add(json!({"kind": "water", "name": "饮水机"}))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "another station's keeper");
    let mut ids = vec![];
    for body in [
        json!({"kind": "medicine", "name": "藿香正气水", "quantity": 10, "expires_on": "2026-11-25"}),
        json!({"kind": "water", "name": "饮水机"}),
        json!({"kind": "umbrella", "name": "爱心雨伞", "quantity": 20}),
    ] {
        let r = app.post_json("/api/v1/facilities", Some(&office), add(body)).await;
        assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
        ids.push(r.json()["facility"]["id"].as_i64().unwrap());
    }
    let list = app.get("/api/v1/facilities", Some(&office)).await.json();
    let expiring: Vec<bool> =
        list["facilities"].as_array().unwrap().iter().map(|f| f["expiring"].as_bool().unwrap()).collect();
    assert_eq!(expiring.iter().filter(|e| **e).count(), 1, "the medicine, 20 days from expiry (pack: 30)");
    // The office's home page lists it as work.
    app.sign_in("office", PASSWORD).await;
    let home = app.get("/console/home", None).await.text();
    let tile = &home[home.find("id=\"facilities-due\"").expect("the tile")..];
    assert!(tile.contains("<span class=\"big\">1</span>"), "{tile}");

    // Wang is on the kiosk today: an inspection of the lane names her by
    // default and finds the water dispenser broken.
    let shift = json!({"unit_id": seed.station_id, "staff_id": kiosk, "date": "2026-11-05", "duty": "kiosk",
        "from": "08:00", "to": "20:00"});
    assert_eq!(app.post_json("/api/v1/duty", Some(&office), shift).await.status, StatusCode::CREATED);
    let visit = |facility: i64| {
        json!({"target_kind": "service_point", "target_id": seed.point_id,
            "items": [{"rule_code": "TY-U2", "result": "pass"}],
            "facilities": [{"facility_id": facility, "condition": "broken", "note": "漏水"}]})
    };
    let r = app.post_json("/api/v1/inspections", Some(&inspector), visit(ids[1])).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    let (inspection, ..) = app.store.inspection(seed.org_id, id).await.unwrap();
    assert_eq!(inspection.staff_id, Some(kiosk), "the kiosk attendant on duty");
    let water = app.store.facility(seed.org_id, ids[1]).await.unwrap();
    assert_eq!((water.condition.as_str(), water.checked_at.is_some()), ("broken", true));
    // A facility of no such point in the inspection refuses the whole visit.
    let before = app.store.events(seed.org_id, None, 500).await.unwrap().len();
    let r = app.post_json("/api/v1/inspections", Some(&inspector), visit(9_999)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(app.store.events(seed.org_id, None, 500).await.unwrap().len(), before, "nothing recorded");

    // The public sees what it can use: not the broken water dispenser.
    let token = app.store.service_point(seed.org_id, seed.point_id).await.unwrap().public_token;
    let page = app.get(&format!("/p/{token}"), None).await.text();
    assert!(page.contains("爱心雨伞") && page.contains("藿香正气水"), "{page}");
    assert!(!page.contains("饮水机"), "broken: not offered");
    // Retired, not deleted: gone from the lists, kept with its events.
    let r = app
        .post_json(
            &format!("/api/v1/facilities/{}/retirement", ids[2]),
            Some(&office),
            json!({"reason": "已损耗"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(!app.get(&format!("/p/{token}"), None).await.text().contains("爱心雨伞"));
    let kinds: Vec<String> = app
        .store
        .events(seed.org_id, None, 500)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.subject_type == "facility")
        .map(|e| e.kind)
        .collect();
    assert_eq!(kinds.iter().filter(|k| *k == "facility.added").count(), 3);
    assert!(
        kinds.contains(&"facility.checked".to_string()) && kinds.contains(&"facility.retired".to_string())
    );
});

story!(the_keeper_rosters_and_keeps_facilities_in_the_console, |store| {
    store.set_clock(noon_2026(11, 5));
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    app.user(seed.org_id, "office", Role::Office).await;
    app.user(seed.org_id, "staff", Role::Staff).await;
    app.sign_in("staff", PASSWORD).await;
    assert_eq!(app.get("/console/duty", None).await.status, StatusCode::FORBIDDEN);
    app.cookies.clear();
    app.sign_in("office", PASSWORD).await;
    let page = app.get("/console/duty", None).await.text();
    assert!(page.contains("id=\"duty-form\"") && page.contains("id=\"facility-form\""), "{page}");
    let station = seed.station_id.to_string();
    let staff = seed.staff_id.to_string();
    let missing = app
        .post_form(
            "/console/duty",
            &[("unit_id", &station), ("staff_id", ""), ("date", "11/5"), ("duty", "kiosk")],
        )
        .await;
    assert_eq!(missing.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = missing.text();
    assert!(html.contains("id=\"error-staff_id\"") && html.contains("id=\"error-date\""), "{html}");
    let r = app
        .post_form(
            "/console/duty",
            &[
                ("unit_id", &station),
                ("staff_id", &staff),
                ("date", "2026-11-05"),
                ("duty", "kiosk"),
                ("from", "08:00"),
                ("to", "20:00"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let shown = app.get(r.headers["location"].to_str().unwrap(), None).await.text();
    assert!(shown.contains("id=\"duty-done\"") && shown.contains("便民亭值守"), "{shown}");
    let point = seed.point_id.to_string();
    let r = app
        .post_form(
            "/console/facilities",
            &[
                ("service_point_id", &point),
                ("kind", "fire"),
                ("name", "灭火器"),
                ("quantity", "2"),
                ("expires_on", "2026-11-20"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let shown = app.get("/console/duty", None).await.text();
    assert!(shown.contains("灭火器") && shown.contains("即将过期"), "{shown}");
});
