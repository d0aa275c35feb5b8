//! The OpenAPI document is served, is well-formed, and every operation it
//! documents is routed (no 404/405 from the router) and answers in the
//! documented shape.

use axum::http::{Method, StatusCode};
use chuangkou_domain::Role;
use chuangkou_store::story;
use serde_json::{Value, json};

use crate::common::TestApp;

story!(every_documented_operation_is_routed, |store| {
    // An installation that signs checkpoints, as `serve` does.
    let key = chuangkou_store::checkpoints::signing_key(&"11".repeat(32)).unwrap();
    let config =
        chuangkou_web::WebConfig { checkpoint_key: Some(std::sync::Arc::new(key)), ..Default::default() };
    let mut app = TestApp::with_config(store, config);
    let seed = app.seed("TY").await;
    let token = app.token(seed.org_id, "admin", Role::Admin).await;

    let case = app
        .post_json(
            "/api/v1/cases",
            Some(&token),
            json!({"kind": "complaint", "category": "attitude", "description": "态度生硬", "reporter_phone": "13800000000"}),
        )
        .await
        .json();
    let (case_id, number, code) =
        (case["id"].as_i64().unwrap(), case["number"].clone(), case["tracking_code"].clone());

    let point_token = app.store.service_point(seed.org_id, seed.point_id).await.unwrap().public_token;
    // Satisfaction: two bad ratings (one to appeal in the loop, one already
    // appealed for the leader to decide), a staff survey to answer and read,
    // and another to close.
    let leader = app.token(seed.org_id, "leader", Role::Leader).await;
    let rate = |device: &str| json!({"point": point_token, "level": 1, "device": device});
    let bad =
        app.post_json("/api/v1/ratings", None, rate("openapi-bad-1")).await.json()["id"].as_i64().unwrap();
    let bad2 =
        app.post_json("/api/v1/ratings", None, rate("openapi-bad-2")).await.json()["id"].as_i64().unwrap();
    let appeal = app
        .post_json(&format!("/api/v1/ratings/{bad2}/appeal"), Some(&token), json!({"reason": "误评"}))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let survey = |code: &str| {
        json!({"code": code, "title": "职工满意度", "audience": "staff",
            "questions": [{"type": "scale", "text": "工作环境", "dimension": "tangibles"}]})
    };
    let staff_q = app.post_json("/api/v1/questionnaires", Some(&token), survey("s1")).await.json()["id"]
        .as_i64()
        .unwrap();
    let close_q = app.post_json("/api/v1/questionnaires", Some(&token), survey("s2")).await.json()["id"]
        .as_i64()
        .unwrap();
    let admin_id = app.store.user_by_username("admin").await.unwrap().id;
    let r = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let doc: Value = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 22, "documented paths: {}", paths.len());

    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            let concrete = path
                .replace("/units/{id}", &format!("/units/{}", seed.station_id))
                .replace("/staff/{id}", &format!("/staff/{}", seed.staff_id))
                .replace("/service-points/{id}", &format!("/service-points/{}", seed.point_id))
                .replace("/cases/{id}", &format!("/cases/{case_id}"))
                .replace("{kind}", "staff")
                .replace("{org}", "TY")
                .replace("/ratings/{id}", &format!("/ratings/{bad}"))
                .replace("/rating-appeals/{id}", &format!("/rating-appeals/{appeal}"))
                .replace("/questionnaires/{id}/close", &format!("/questionnaires/{close_q}/close"))
                .replace("/questionnaires/{id}", &format!("/questionnaires/{staff_q}"))
                .replace("/users/{id}", &format!("/users/{admin_id}"));
            // Appeal decisions and closing a month are the leaders'.
            let token = if path == "/rating-appeals/{id}/decision"
                || path == "/assessment/close"
                || path == "/assessment/close-year"
            {
                &leader
            } else {
                &token
            };
            let url = format!("/api/v1{concrete}");
            let r = match method.as_str() {
                "get" => app.get(&url, Some(token)).await,
                "post" => {
                    let body = if concrete == "/imports/volumes" {
                        "单位编码,日期,车流量\nS01,2026-11-02,150000\n".to_string()
                    } else if concrete.starts_with("/imports") {
                        return_csv()
                    } else if concrete == "/public/track" {
                        json!({"number": number, "code": code}).to_string()
                    } else if concrete == "/ratings" {
                        json!({"point": point_token, "level": 5, "device": "openapi-test"}).to_string()
                    } else {
                        example_body(path)
                    };
                    let ct = if concrete.starts_with("/imports") { "text/csv" } else { "application/json" };
                    app.request(Method::POST, &url, Some(token), ct, body).await
                }
                m => panic!("undocumented method {m}"),
            };
            let documented: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
            assert!(
                documented.contains(&&r.status.as_u16().to_string()),
                "{method} {path} answered {} which is not documented ({documented:?}): {}",
                r.status,
                r.text()
            );
            assert!(
                r.status.is_success(),
                "{method} {path} with valid input answered {}: {}",
                r.status,
                r.text()
            );
        }
    }
});

fn return_csv() -> String {
    "工号,姓名,单位编码\n2001,赵敏,S01-T1\n".to_string()
}

fn example_body(path: &str) -> String {
    match path {
        "/units" => json!({"code": "S09", "name": "东站", "kind": "station"}),
        "/staff" => json!({"employee_no": "3001", "name": "钱伟", "unit_code": "S01"}),
        "/vehicles" => json!({"plate": "晋A12345", "unit_code": "S01", "driver_employee_no": "1001"}),
        "/service-points" => {
            json!({"code": "S01-K01", "name": "便民服务亭", "kind": "kiosk", "unit_code": "S01"})
        }
        "/tokens" => json!({"name": "integration"}),
        "/users" => json!({"username": "openapi", "display_name": "接口", "role": "staff"}),
        "/users/{id}" => json!({"staff_id": null}),
        "/users/{id}/reset" => json!({}),
        "/cases" => {
            json!({"kind": "suggestion", "category": "general", "description": "增加便民服务亭的热水"})
        }
        "/cases/duplicates" => json!({"description": "态度生硬"}),
        "/cases/{id}/actions" => json!({"action": "note", "text": "已电话联系"}),
        "/cases/{id}/reveal" => json!({"reason": "回访"}),
        "/ratings/{id}/appeal" => json!({"reason": "该车道当时关闭"}),
        "/rating-appeals/{id}/decision" => json!({"upheld": true, "note": "核实为误评"}),
        "/questionnaires/{id}/responses" => json!({"answers": {"0": "4"}}),
        "/questionnaires/{id}/close" => json!({}),
        "/assessment/close" => json!({"month": "2026-01"}),
        "/assessment/close-year" => json!({"year": 2025}),
        "/questionnaires" => json!({"code": "visit", "title": "满意度调查", "audience": "public",
            "questions": [{"type": "scale", "text": "等候时间", "dimension": "responsiveness"}]}),
        other => panic!("no example body for {other}"),
    }
    .to_string()
}
