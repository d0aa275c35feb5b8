//! The organisation model through the API: import, export, QR codes and the
//! event log.

use axum::http::{Method, StatusCode, header};
use chuangkou_domain::Role;
use chuangkou_store::story;
use serde_json::json;

use crate::common::TestApp;

story!(an_import_with_a_bad_row_is_rejected_whole_then_accepted_when_fixed, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let token = app.token(seed.org_id, "office", Role::Office).await;
    let bad = "工号,姓名,单位编码,岗位\n2001,赵敏,S01-T1,收费员\n2002,钱伟,S99,收费员\n";
    let r = app
        .request(Method::POST, "/api/v1/imports/staff?file_name=roster.csv", Some(&token), "text/csv", bad)
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "import_rejected".into()));
    let errors = &r.json()["errors"];
    assert_eq!(errors.as_array().unwrap().len(), 1);
    assert_eq!(errors[0]["sheet"], "roster.csv");
    assert_eq!(errors[0]["row"], 3);
    assert_eq!(errors[0]["column"], "单位编码");
    assert_eq!(
        app.get("/api/v1/staff?q=赵敏", Some(&token)).await.json()["staff"].as_array().unwrap().len(),
        0,
        "nothing written"
    );

    let good = bad.replace("S99", "S01-T1");
    let r = app.request(Method::POST, "/api/v1/imports/staff", Some(&token), "text/csv", good).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["created"], 2);
    let found =
        app.get(&format!("/api/v1/staff?q={}", crate::common::urlencode("钱伟")), Some(&token)).await.json();
    assert_eq!(found["staff"][0]["unit_code"], "S01-T1");
});

story!(the_roster_exports_to_xlsx_and_imports_back_unchanged, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let token = app.token(seed.org_id, "office", Role::Office).await;
    app.post_json(
        "/api/v1/vehicles",
        Some(&token),
        json!({"plate": "晋A·12345", "unit_code": "S01", "driver_employee_no": "1001"}),
    )
    .await;
    let r = app.get("/api/v1/exports/roster.xlsx", Some(&token)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.headers[header::CONTENT_TYPE].to_str().unwrap().contains("spreadsheetml"));
    let sheets = chuangkou_tabular::read(&r.body, "roster.xlsx").unwrap();
    let names: Vec<&str> = sheets.iter().map(|s| s.name.as_str()).collect();
    assert_eq!(names, ["单位", "人员名册", "车辆"]);
    assert_eq!(sheets[1].rows[1][..3], ["1001", "陈晓燕", "S01-T1"]);
    assert_eq!(sheets[2].rows[1], ["晋A12345", "S01", "1001"]);

    // The staff sheet of the export imports back with nothing to change.
    let r = app
        .request(
            Method::POST,
            "/api/v1/imports/staff",
            Some(&token),
            "application/octet-stream",
            r.body.clone(),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!((r.json()["created"].as_i64(), r.json()["unchanged"].as_i64()), (Some(0), Some(1)));
});

story!(service_points_have_qr_codes_that_open_their_public_page, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let token = app.token(seed.org_id, "office", Role::Office).await;
    let point = app.get(&format!("/api/v1/service-points/{}", seed.point_id), Some(&token)).await.json();
    let url = point["public_url"].as_str().unwrap().to_string();
    assert!(url.starts_with("http://ck.test/p/"), "{url}");
    let svg = app.get(&format!("/api/v1/service-points/{}/qr.svg", seed.point_id), Some(&token)).await;
    assert_eq!(svg.headers[header::CONTENT_TYPE], "image/svg+xml");
    assert!(svg.text().contains("<svg"));
    let png = app.get(&format!("/api/v1/service-points/{}/qr.png", seed.point_id), Some(&token)).await;
    assert_eq!(&png.body[..4], b"\x89PNG");

    let page = app.get(url.trim_start_matches("http://ck.test"), None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("入口 1 号车道") && page.text().contains("0351-12122"));
    assert_eq!(app.get("/p/00000000000000000000000000000000", None).await.status, StatusCode::NOT_FOUND);

    // A taxi point needs its vehicle.
    let r = app
        .post_json(
            "/api/v1/service-points",
            Some(&token),
            json!({"code": "TX1", "name": "出租车", "kind": "taxi", "unit_code": "S01"}),
        )
        .await;
    assert_eq!(r.json()["details"][0]["field"], "vehicle_plate");
});

story!(every_api_change_is_in_the_event_log_with_its_actor, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let token = app.token(seed.org_id, "office", Role::Office).await;
    let r = app
        .post_json(
            "/api/v1/units",
            Some(&token),
            json!({"code": "S02", "name": "武宿收费站", "kind": "收费站"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED);
    let unit_id = r.json()["id"].as_i64().unwrap();
    let office = app.store.user_by_username("office").await.unwrap();
    let events = app.get("/api/v1/events?limit=5", Some(&token)).await.json();
    let e = &events["events"][0];
    assert_eq!(e["kind"], "unit.created");
    assert_eq!(e["subject_id"], unit_id);
    assert_eq!(e["actor"], format!("user:{}", office.id));
    assert!(app.store.verify().await.unwrap().broken.is_empty());
});
