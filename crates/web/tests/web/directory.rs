//! The convenience directory (SPEC PUB-1, issue 19): keepers add entries
//! for the organisation or a station; an entry not checked within the
//! pack's review period is on the keeper's to-do list until someone says it
//! is still right; the public reads the entries in use on the QR page; a
//! spreadsheet round-trips, all or nothing.

use axum::http::{Method, StatusCode};
use chuangkou_domain::Role;
use chuangkou_domain::org::NewStaff;
use chuangkou_store::story;
use chuangkou_store::testing::noon_2026;
use serde_json::{Value, json};

use crate::common::{PASSWORD, TestApp};

const DAY: i64 = 86_400_000;

fn names(v: &Value) -> Vec<String> {
    v["entries"].as_array().unwrap().iter().map(|e| e["name"].as_str().unwrap().to_string()).collect()
}

story!(stale_entries_are_someones_work_and_the_public_sees_those_in_use, |store| {
    store.set_clock(noon_2026(11, 5));
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let hospital = json!({"kind": "hospital", "name": "小店区人民医院", "address": "小店区太榆路 1 号",
        "phone": "0351-7654321", "hours": "24小时急诊", "distance_km": "2.5", "unit_id": seed.station_id});
    let r = app.post_json("/api/v1/directory", Some(&office), hospital).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let h = r.json()["entry"]["id"].as_i64().unwrap();
    assert_eq!(r.json()["entry"]["distance_m"], 2500);
    let tow = json!({"kind": "tow", "name": "高速救援", "phone": "12122"});
    let tow =
        app.post_json("/api/v1/directory", Some(&office), tow).await.json()["entry"]["id"].as_i64().unwrap();
    // A bad entry: each field named, nothing written.
    let r = app
        .post_json(
            "/api/v1/directory",
            Some(&office),
            json!({"kind": "castle", "name": "", "distance_km": "far"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(
        app.get("/api/v1/directory", Some(&office)).await.json()["entries"].as_array().unwrap().len(),
        2
    );

    // The public: the station's QR page and the feed show both, with no
    // word of who checked them.
    let token = app.store.service_point(seed.org_id, seed.point_id).await.unwrap().public_token;
    let page = app.get(&format!("/p/{token}"), None).await.text();
    assert!(
        page.contains("小店区人民医院") && page.contains("2.5 km") && page.contains("tel:12122"),
        "{page}"
    );
    let feed = app.get("/api/v1/public/directory/TY?unit=S01", None).await.json();
    assert_eq!(names(&feed), ["高速救援", "小店区人民医院"], "the organisation's first, then the station's");
    assert!(feed["entries"][0].get("checked_by_name").is_none());

    // 91 days on, both are due for a check and on the office's home page.
    store.set_clock(noon_2026(11, 5) + 91 * DAY);
    let list = app.get("/api/v1/directory", Some(&office)).await.json();
    assert!(list["entries"].as_array().unwrap().iter().all(|e| e["stale"] == true));
    app.sign_in("office", PASSWORD).await;
    let home = app.get("/console/home", None).await.text();
    let tile = &home[home.find("id=\"directory-stale\"").expect("the tile")..];
    assert!(tile.contains("<span class=\"big\">2</span>"), "{tile}");
    // "Still right" checks it now; a correction too, and says what changed.
    let r = app
        .post_json(
            &format!("/api/v1/directory/{tow}/check"),
            Some(&office),
            json!({"kind": "tow", "name": "高速救援", "phone": "12122"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let again =
        json!({"kind": "hospital", "name": "小店区人民医院", "phone": "0351-7654000", "distance_km": 2.5});
    app.post_json(&format!("/api/v1/directory/{h}/check"), Some(&office), again).await;
    let list = app.get("/api/v1/directory", Some(&office)).await.json();
    assert!(list["entries"].as_array().unwrap().iter().all(|e| e["stale"] == false));
    let home = app.get("/console/home", None).await.text();
    let tile = &home[home.find("id=\"directory-stale\"").unwrap()..];
    assert!(tile.contains("<span class=\"big\">0</span>"));

    // Retired: gone from the public, kept on record; not retired twice.
    let r = app
        .request(
            Method::POST,
            &format!("/api/v1/directory/{tow}/retirement"),
            Some(&office),
            "application/json",
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .request(
            Method::POST,
            &format!("/api/v1/directory/{tow}/retirement"),
            Some(&office),
            "application/json",
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    assert_eq!(names(&app.get("/api/v1/public/directory/TY", None).await.json()), ["小店区人民医院"]);
    let events = app.store.events(seed.org_id, None, 100).await.unwrap();
    let kinds: Vec<&str> = events
        .iter()
        .filter(|e| e.subject_type == "directory_entry")
        .map(|e| e.kind.as_str())
        .rev()
        .collect();
    assert_eq!(
        kinds,
        ["directory.added", "directory.added", "directory.checked", "directory.checked", "directory.retired"]
    );
});

story!(a_shift_leader_keeps_their_own_station_only, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let chief = app
        .store
        .create_staff(
            seed.org_id,
            "test",
            &NewStaff {
                employee_no: "0100".into(),
                name: "刘强".into(),
                unit_code: "S01".into(),
                position: Some("值班站长".into()),
                phone: None,
                certificate_no: None,
            },
        )
        .await
        .unwrap();
    let shift = app.staff_token(seed.org_id, "shift", Role::ShiftLeader, chief.id).await;
    let fuel = json!({"kind": "fuel", "name": "中石化小店站", "unit_id": seed.station_id});
    let r = app.post_json("/api/v1/directory", Some(&shift), fuel).await;
    assert_eq!(r.status, StatusCode::CREATED, "their own station: {}", r.text());
    // Not the organisation's entries, nor another organisation's.
    let r = app.post_json("/api/v1/directory", Some(&shift), json!({"kind": "tow", "name": "救援"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let org_wide = app
        .post_json("/api/v1/directory", Some(&office), json!({"kind": "tow", "name": "救援"}))
        .await
        .json()["entry"]["id"]
        .as_i64()
        .unwrap();
    let r = app
        .request(
            Method::POST,
            &format!("/api/v1/directory/{org_wide}/retirement"),
            Some(&shift),
            "application/json",
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    let other = app.seed("XY").await;
    let theirs = app.token(other.org_id, "office-xy", Role::Office).await;
    let r = app
        .request(
            Method::POST,
            &format!("/api/v1/directory/{org_wide}/retirement"),
            Some(&theirs),
            "application/json",
            "",
        )
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    // Staff, supervisors, finance, leaders and the public keep none.
    for role in [Role::Staff, Role::Supervisor, Role::Finance, Role::Leader, Role::Discipline] {
        let t = app.token(seed.org_id, &format!("u-{}", role.as_str()), role).await;
        assert_eq!(app.get("/api/v1/directory", Some(&t)).await.status, StatusCode::FORBIDDEN, "{role:?}");
    }
    assert_eq!(app.get("/api/v1/directory", None).await.status, StatusCode::UNAUTHORIZED);
});

story!(the_directory_round_trips_through_a_spreadsheet_all_or_nothing, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let csv = "单位编码,类别,名称,地址,电话,营业时间,距离(公里)\n\
               S01,医院,小店区人民医院,太榆路1号,0351-7654321,24小时,2.5\n\
               ,道路救援,高速救援,,12122,,\n";
    let r = app.request(Method::POST, "/api/v1/imports/directory", Some(&office), "text/csv", csv).await;
    assert_eq!((r.status, r.json()["added"].as_i64()), (StatusCode::CREATED, Some(2)), "{}", r.text());
    // A file with one bad row adds nothing and names the row.
    let bad = "单位编码,类别,名称,地址,电话,营业时间,距离(公里)\nS01,加油站,中石化,,,,1\nS99,城堡,,,,,远\n";
    let r = app.request(Method::POST, "/api/v1/imports/directory", Some(&office), "text/csv", bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(r.json()["errors"][0]["row"], 3);
    assert_eq!(
        app.get("/api/v1/directory", Some(&office)).await.json()["entries"].as_array().unwrap().len(),
        2
    );
    // The export reads back as the same entries.
    let x = app.get("/api/v1/exports/directory.xlsx", Some(&office)).await;
    assert_eq!(x.status, StatusCode::OK);
    let sheet = &chuangkou_tabular::read(&x.body, "directory.xlsx").unwrap()[0];
    assert_eq!(sheet.rows[0][..3], ["单位编码", "类别", "名称"]);
    let rows: Vec<Vec<String>> = sheet.rows[1..].to_vec();
    assert!(
        rows.contains(&vec![
            "S01".into(),
            "医院".into(),
            "小店区人民医院".into(),
            "太榆路1号".into(),
            "0351-7654321".into(),
            "24小时".into(),
            "2.5".into()
        ]),
        "{rows:?}"
    );
    let r = app
        .request(
            Method::POST,
            "/api/v1/imports/directory",
            Some(&office),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            x.body.clone(),
        )
        .await;
    assert_eq!(r.json()["added"], 2, "{}", r.text());
});
