//! Bad input gets a 4xx in our error shape — never a 500 — and changes nothing.

use axum::http::{Method, StatusCode};
use chuangkou_domain::Role;
use chuangkou_store::story;
use serde_json::json;

use crate::common::TestApp;

story!(malformed_and_mistyped_json_get_clear_errors_and_change_nothing, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let token = app.token(seed.org_id, "office", Role::Office).await;
    let before = app.store.events(seed.org_id, None, 500).await.unwrap().len();

    let r = app.request(Method::POST, "/api/v1/units", Some(&token), "application/json", "{\"code\": ").await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "malformed_json".into()));

    let r = app
        .request(
            Method::POST,
            "/api/v1/units",
            Some(&token),
            "application/json",
            b"{\"code\":\"\xff\xfe\"}".to_vec(),
        )
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "malformed_json".into()), "bad UTF-8");

    let r = app
        .post_json("/api/v1/units", Some(&token), json!({"code": 5, "name": "东站", "kind": "station"}))
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::UNPROCESSABLE_ENTITY, "validation".into()));
    assert_eq!(r.json()["details"][0]["field"], "code", "the wrong-typed field is named");

    let r = app
        .post_json(
            "/api/v1/units",
            Some(&token),
            json!({"code": "S02", "name": "东站", "kind": "station", "colour": "red"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.json()["details"][0]["message"].as_str().unwrap().contains("colour"), "{}", r.text());

    let r = app
        .post_json("/api/v1/units", Some(&token), json!({"code": "S 02", "name": "", "kind": "castle"}))
        .await;
    let fields: Vec<String> = r.json()["details"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["field"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(fields, ["code", "name", "kind"], "every bad field is reported at once");

    let r = app.request(Method::POST, "/api/v1/units", Some(&token), "text/plain", "code=S02").await;
    assert_eq!((r.status, r.code()), (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type".into()));

    let huge = format!(
        "{{\"code\":\"S02\",\"name\":\"{}\",\"kind\":\"station\"}}",
        "x".repeat(chuangkou_web::BODY_LIMIT + 10)
    );
    let r = app.request(Method::POST, "/api/v1/units", Some(&token), "application/json", huge).await;
    assert_eq!((r.status, r.code()), (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large".into()));

    let r = app
        .post_json(
            "/api/v1/staff",
            Some(&token),
            json!({"employee_no": "1001", "name": "重复", "unit_code": "S01"}),
        )
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "conflict".into()), "duplicate employee number");

    let r = app.request(Method::DELETE, "/api/v1/units", Some(&token), "application/json", "").await;
    assert_eq!(
        (r.status, r.code()),
        (StatusCode::METHOD_NOT_ALLOWED, "method_not_allowed".into()),
        "nothing is ever deleted"
    );

    let r = app.get("/api/v1/no-such-thing", Some(&token)).await;
    assert_eq!((r.status, r.code()), (StatusCode::NOT_FOUND, "not_found".into()));

    let r = app.get("/api/v1/staff?limit=many", Some(&token)).await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "bad_query".into()));

    assert_eq!(
        app.store.events(seed.org_id, None, 500).await.unwrap().len(),
        before,
        "no bad request wrote anything"
    );
});

story!(another_organisations_records_answer_exactly_like_missing_ones, |store| {
    let mut app = TestApp::new(store);
    let a = app.seed("TY").await;
    let b = app.seed("JT").await;
    let token_b = app.token(b.org_id, "office_b", Role::Office).await;
    for (template, id) in [
        ("/api/v1/staff/{}", a.staff_id.get()),
        ("/api/v1/units/{}", a.station_id),
        ("/api/v1/service-points/{}", a.point_id),
        ("/api/v1/service-points/{}/qr.svg", a.point_id),
    ] {
        let foreign = app.get(&template.replace("{}", &id.to_string()), Some(&token_b)).await;
        let missing = app.get(&template.replace("{}", "999999"), Some(&token_b)).await;
        assert_eq!(foreign.status, StatusCode::NOT_FOUND, "{template}");
        assert_eq!((foreign.status, foreign.body), (missing.status, missing.body), "{template}");
    }
    // B's own record is there.
    assert_eq!(
        app.get(&format!("/api/v1/staff/{}", b.staff_id), Some(&token_b)).await.status,
        StatusCode::OK
    );
    // A's staff never show in B's list.
    let list = app.get("/api/v1/staff", Some(&token_b)).await.json();
    assert!(list["staff"].as_array().unwrap().iter().all(|s| s["id"] != a.staff_id.get()));
});

story!(roles_are_checked_on_the_server, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let staff = app.token(seed.org_id, "collector", Role::Staff).await;
    let supervisor = app.token(seed.org_id, "inspector", Role::Supervisor).await;
    let r = app
        .post_json("/api/v1/units", Some(&staff), json!({"code": "S02", "name": "东站", "kind": "station"}))
        .await;
    assert_eq!((r.status, r.code()), (StatusCode::FORBIDDEN, "forbidden".into()));
    assert_eq!(app.get("/api/v1/staff", Some(&supervisor)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/api/v1/events", Some(&staff)).await.status, StatusCode::FORBIDDEN);
    // Staff see colleagues' phones masked.
    let me = app.get(&format!("/api/v1/staff/{}", seed.staff_id), Some(&staff)).await.json();
    assert_eq!(me["phone"], "139****5678");
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let full = app.get(&format!("/api/v1/staff/{}", seed.staff_id), Some(&office)).await.json();
    assert_eq!(full["phone"], "13912345678");
});

story!(a_path_segment_of_the_wrong_type_is_a_json_error, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let token = app.token(seed.org_id, "office", Role::Office).await;
    for (method, path) in [
        (Method::GET, "/api/v1/questionnaires/x/results"),
        (Method::POST, "/api/v1/ratings/x/appeal"),
        (Method::GET, "/api/v1/inspections/1.5"),
        (Method::GET, "/api/v1/ledger/entries/-"),
    ] {
        let r = app.request(method.clone(), path, Some(&token), "application/json", "{}").await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{method} {path}: {}", r.text());
        assert_eq!(r.headers["content-type"], "application/json", "{method} {path}");
        assert_eq!(r.code(), "bad_path", "{method} {path}");
    }
    // A year with no 1 January to count from (found by schemathesis): refused, not a panic.
    let leader = app.token(seed.org_id, "leader", Role::Leader).await;
    for path in ["/api/v1/ledger/eligibility?year=2111750", "/api/v1/ledger/entries?year=-5"] {
        let r = app.get(path, Some(&leader)).await;
        assert_eq!(
            (r.status, r.code()),
            (StatusCode::UNPROCESSABLE_ENTITY, "validation".into()),
            "{path}: {}",
            r.text()
        );
    }
});
