//! The ledger and inspections over HTTP: who may see and do what, photos
//! checked by content and served safely, the fines export, attendance
//! imports with row errors.

use axum::http::{Method, StatusCode, header};
use chuangkou_domain::Role;
use chuangkou_store::story;
use chuangkou_store::users::NewUser;
use serde_json::json;

use crate::common::TestApp;
use chuangkou_store::testing::PNG;

story!(inspection_to_fine_to_appeal_over_the_api_with_every_door_checked, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let leader = app.token(seed.org_id, "leader", Role::Leader).await;
    let supervisor = app.token(seed.org_id, "supervisor", Role::Supervisor).await;
    let finance = app.token(seed.org_id, "finance", Role::Finance).await;
    let staff_user = store
        .create_user(
            seed.org_id,
            "t",
            &NewUser {
                username: "chen",
                display_name: "陈",
                password_hash: "x",
                role: Role::Staff,
                staff_id: Some(seed.staff_id),
            },
        )
        .await
        .unwrap();
    let staff = store.create_api_token(&staff_user, "t").await.unwrap().1;
    let other = app.token(seed.org_id, "other", Role::Staff).await;

    // The supervisor records a secret visit; one item fails.
    let r = app
        .post_json("/api/v1/inspections", Some(&supervisor), json!({
            "kind": "routine", "mode": "secret", "target_kind": "staff", "target_id": seed.staff_id,
            "items": [{"rule_code": "TY-U1", "result": "pass"}, {"rule_code": "TY-U2", "result": "fail", "note": "未用文明用语"}]}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let out = r.json();
    let inspection = out["id"].as_i64().unwrap();
    assert_eq!(out["rectifications"].as_array().unwrap().len(), 1);
    // A photo: a PNG by content, whatever it is called; anything else refused.
    let item = app.get(&format!("/api/v1/inspections/{inspection}"), Some(&supervisor)).await.json()["items"]
        [1]["id"]
        .as_i64()
        .unwrap();
    let url = format!("/api/v1/inspections/{inspection}/items/{item}/photos");
    let r = app
        .request(Method::POST, &url, Some(&supervisor), "image/jpeg", b"<svg onload=alert(1)>".to_vec())
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "bad_photo".into()));
    let r =
        app.request(Method::POST, &url, Some(&supervisor), "application/octet-stream", PNG.to_vec()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let photo = r.json()["id"].as_i64().unwrap();
    let r = app.get(&format!("/api/v1/photos/{photo}"), Some(&office)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.headers[header::CONTENT_TYPE], "image/jpeg");
    assert_eq!(r.headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
    assert!(r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("sandbox"));
    assert_eq!(&r.body[..3], &[0xFF, 0xD8, 0xFF]);
    // Finance and unrelated staff do not see inspections or their photos.
    assert_eq!(app.get(&format!("/api/v1/photos/{photo}"), Some(&other)).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/api/v1/inspections", Some(&finance)).await.status, StatusCode::FORBIDDEN);

    // Supervisors do nothing else: no ledger, no roster.
    assert_eq!(app.get("/api/v1/ledger/entries", Some(&supervisor)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/staff", Some(&supervisor)).await.status, StatusCode::FORBIDDEN);

    // The office approves the proposed fine (proposed by the supervisor).
    let waiting = app.get("/api/v1/ledger/entries?status=proposed", Some(&office)).await.json();
    let fine = waiting["entries"].as_array().unwrap().iter().find(|e| e["kind"] == "fine").unwrap().clone();
    assert_eq!(fine["fine_max"], 20000);
    let fine_id = fine["id"].as_i64().unwrap();
    let r = app
        .post_json(
            &format!("/api/v1/ledger/entries/{fine_id}/decision"),
            Some(&office),
            json!({"approve": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // A second decision is a conflict; staff cannot approve.
    let r = app
        .post_json(
            &format!("/api/v1/ledger/entries/{fine_id}/decision"),
            Some(&leader),
            json!({"approve": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // The staff member sees their own entries only; another sees nothing of them.
    let mine = app.get("/api/v1/ledger/entries", Some(&staff)).await.json();
    assert!(mine["entries"].as_array().unwrap().iter().all(|e| e["staff_id"] == seed.staff_id.get()));
    assert!(!mine["entries"].as_array().unwrap().is_empty());
    assert_eq!(
        app.get(&format!("/api/v1/ledger/entries/{fine_id}"), Some(&other)).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(app.get("/api/v1/ledger/eligibility", Some(&staff)).await.status, StatusCode::FORBIDDEN);
    let r = app
        .post_json(
            &format!("/api/v1/ledger/entries/{fine_id}/appeal"),
            Some(&staff),
            json!({"reason": "有特情"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = app
        .post_json(
            &format!("/api/v1/ledger/entries/{fine_id}/appeal"),
            Some(&staff),
            json!({"reason": "再次"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let r = app
        .post_json(
            &format!("/api/v1/ledger/entries/{fine_id}/appeal/decision"),
            Some(&leader),
            json!({"outcome": "upheld", "decision": "事实清楚"}),
        )
        .await;
    assert_eq!(r.json()["entry"]["appeal_outcome"], "upheld");

    // Finance collects and exports; a formula-like name stays text.
    let fines = app.get("/api/v1/ledger/fines", Some(&finance)).await.json();
    assert_eq!(crate::openapi::answer_problems("/ledger/fines", &fines), Vec::<String>::new());
    let fid = fines["fines"][0]["id"].as_i64().unwrap();
    let r = app
        .post_json(
            &format!("/api/v1/ledger/fines/{fid}/collection"),
            Some(&finance),
            json!({"receipt_no": "=1+1"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let x = app.get("/api/v1/exports/fines.xlsx", Some(&finance)).await;
    assert_eq!(x.status, StatusCode::OK);
    let sheets = chuangkou_tabular::read(&x.body, "fines.xlsx").unwrap();
    let row = &sheets[0].rows[1];
    assert_eq!((row[4].as_str(), row[5].as_str(), row[9].as_str()), ("200.00", "已收缴", "=1+1"));
    assert_eq!(app.get("/api/v1/exports/fines.xlsx", Some(&staff)).await.status, StatusCode::FORBIDDEN);

    // The inspected unit's rectification: reported by its people, verified by the inspector.
    let rects = app.get("/api/v1/rectifications", Some(&office)).await.json();
    assert_eq!(crate::openapi::answer_problems("/rectifications", &rects), Vec::<String>::new());
    let inspections = app.get("/api/v1/inspections", Some(&office)).await.json();
    assert!(!inspections["inspections"].as_array().unwrap().is_empty());
    assert_eq!(crate::openapi::answer_problems("/inspections", &inspections), Vec::<String>::new());
    let rid = rects["rectifications"][0]["id"].as_i64().unwrap();
    let r = app
        .post_json(
            &format!("/api/v1/rectifications/{rid}/steps"),
            Some(&office),
            json!({"step": "report", "note": "已整改"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .post_json(
            &format!("/api/v1/rectifications/{rid}/steps"),
            Some(&supervisor),
            json!({"step": "accept", "note": "复查合格"}),
        )
        .await;
    assert_eq!(r.json()["rectification"]["state"], "verified");
});

story!(attendance_imports_are_all_or_nothing_with_a_row_report, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let bad = "工号,日期,类型,备注\n1001,2026-03-02,迟到,\n9999,2026-03-03,迟到,\n1001,03/04,早退,\n";
    let r = app
        .request(Method::POST, "/api/v1/imports/attendance?file_name=a.csv", Some(&office), "text/csv", bad)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let errs = r.json()["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["row"].as_i64().unwrap(), e["column"].as_str().unwrap().to_string()))
        .collect::<Vec<_>>();
    assert_eq!(errs, [(3, "工号".to_string()), (4, "日期".to_string())]);
    let good = "工号,日期,类型,备注\n1001,2026-03-02,迟到,\n1001,2026-03-03,早退,\n";
    let r = app
        .request(Method::POST, "/api/v1/imports/attendance?file_name=a.csv", Some(&office), "text/csv", good)
        .await;
    assert_eq!((r.status, r.json()["facts"].as_i64()), (StatusCode::OK, Some(2)));
    // Nothing of the refused file was written: two facts, not three.
    let events = app.get("/api/v1/events?limit=200", Some(&office)).await.json();
    let facts = events["events"].as_array().unwrap().iter().filter(|e| e["kind"] == "fact.recorded").count();
    assert_eq!(facts, 2);
});

story!(an_inspection_dated_today_is_taken_in_the_morning_and_tomorrow_is_refused, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let supervisor = app.token(seed.org_id, "supervisor", Role::Supervisor).await;
    // 08:30 in Beijing on 2 December 2026 (00:30 UTC): today's noon has not come yet.
    store.set_clock(
        chrono::DateTime::parse_from_rfc3339("2026-12-02T08:30:00+08:00").unwrap().timestamp_millis(),
    );
    let visit = |date: &str| {
        json!({"kind": "routine", "mode": "open", "target_kind": "staff", "target_id": seed.staff_id, "date": date,
               "items": [{"rule_code": "TY-U1", "result": "pass"}]})
    };
    let r = app.post_json("/api/v1/inspections", Some(&supervisor), visit("2026-12-02")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = app.post_json("/api/v1/inspections", Some(&supervisor), visit("2026-12-01")).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = app.post_json("/api/v1/inspections", Some(&supervisor), visit("2026-12-03")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["details"][0]["field"], "date", "{}", r.text());
});

story!(a_form_that_does_not_pass_names_what_is_wrong_on_the_page, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    app.token(seed.org_id, "office", Role::Office).await;
    app.sign_in("office", crate::common::PASSWORD).await;
    let staff = seed.staff_id.to_string();
    let fields = [("what", "fact"), ("kind", "violation"), ("staff_id", &staff), ("date", "2099-01-01")];
    let r = app.post_form("/console/ledger/new", &fields).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let html = r.text();
    assert!(html.contains("data-field=\"date\"") && html.contains("日期不能晚于今天"), "{html}");
});
