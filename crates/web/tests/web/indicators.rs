//! Indicators over HTTP: the volume import reports bad cells by row and
//! column and changes nothing; the indicators answer per subject and only
//! to those who may see them.

use axum::http::{Method, StatusCode};
use chuangkou_domain::Role;
use chuangkou_store::story;
use serde_json::json;

use crate::common::TestApp;

story!(volumes_import_and_indicators_by_subject, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let staff = app.token(seed.org_id, "someone", Role::Staff).await;
    let token = store.service_point(seed.org_id, seed.point_id).await.unwrap().public_token;

    let bad = "单位编码,日期,车流量\nS01,2026-11-02,150000\nS01,2026-11-31,7\n";
    let r = app
        .request(Method::POST, "/api/v1/imports/volumes?file_name=v.csv", Some(&office), "text/csv", bad)
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert_eq!(r.json()["errors"][0]["row"], 3);
    assert_eq!(r.json()["errors"][0]["column"], "日期");
    let r = app.request(Method::POST, "/api/v1/imports/volumes", Some(&staff), "text/csv", bad).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let good = "单位编码,日期,车流量\nS01,2026-11-02,150000\n";
    let r = app.request(Method::POST, "/api/v1/imports/volumes", Some(&office), "text/csv", good).await;
    assert_eq!((r.status, r.json()["rows"].clone()), (StatusCode::OK, json!(1)), "{}", r.text());

    store.set_clock(chuangkou_store::testing::noon_2026(11, 2));
    let r = app
        .post_json("/api/v1/cases", Some(&office), json!({"kind": "complaint", "category": "attitude", "description": "态度生硬", "unit_id": seed.station_id}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    app.post_json("/api/v1/ratings", None, json!({"point": token, "level": 4, "device": "d1"})).await;

    let url = format!("/api/v1/indicators?unit_id={}&from=2026-11-01&to=2026-11-30", seed.station_id);
    let i = app.get(&url, Some(&office)).await.json();
    assert_eq!(i["valid_complaints"], 1, "{i}");
    assert_eq!(i["volume"]["vehicles"], 150000);
    assert_eq!(i["complaints_per_10k"].as_f64().map(|x| (x * 1000.0).round() / 1000.0), Some(0.067));
    assert_eq!(i["satisfaction_rate"], 1.0);
    // Staff see only themselves; bad periods are named.
    assert_eq!(app.get(&url, Some(&staff)).await.status, StatusCode::NOT_FOUND);
    let r = app.get("/api/v1/indicators?from=2026-11-30&to=2026-11-01", Some(&office)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app
        .get(
            &format!("/api/v1/indicators?unit_id={}&staff_id={}", seed.station_id, seed.staff_id),
            Some(&office),
        )
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
});

story!(the_dashboard_shows_the_month_to_leaders_only, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    store.set_clock(chuangkou_store::testing::noon_2026(11, 2));
    for text in ["态度生硬", "多收费"] {
        let body = json!({"kind": "complaint", "category": "attitude", "description": text, "unit_id": seed.station_id});
        assert_eq!(app.post_json("/api/v1/cases", Some(&office), body).await.status, StatusCode::CREATED);
    }
    app.user(seed.org_id, "boss", Role::Leader).await;
    app.sign_in("boss", crate::common::PASSWORD).await;
    let page = app.get("/console/dashboard?month=2026-11", None).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    assert_eq!(html.matches("class=\"bar\"").count(), 12, "twelve months of complaints");
    assert!(html.contains(r#"data-value="2""#), "November's two complaints are drawn");
    assert!(html.contains("<td>小店收费站</td><td>2</td>"), "{html}");
    assert!(html.contains("<td>1</td><td>陈晓燕</td>"), "the month's ranking lists the staff: {html}");
    assert!(html.contains("服务标兵"), "the pack's awards");
    assert!(!html.contains("<script"), "no script");
    let r = app.get("/console/dashboard?month=2026-13", None).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The leader closes the month from the dashboard; it then shows the frozen results.
    let r = app.post_form("/console/dashboard/close", &[("month", "2026-11")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = app.get("/console/dashboard?month=2026-11", None).await.text();
    assert!(html.contains("id=\"month-closed\"") && !html.contains("关账并冻结本月结果"), "{html}");
    // The toll pack's targets beside the month's figures: 2 complaints due, none on time yet.
    assert!(html.contains("id=\"targets\""), "{html}");
    assert!(html.contains("<td>意见处理及时率</td><td>≥ 100%</td>"), "{html}");
    // The annual review: the year so far, its awards, and the leader's close button.
    let html = app.get("/console/annual?year=2026", None).await.text();
    assert!(html.contains("年度服务标兵") && html.contains("年度金牌服务班组"), "{html}");
    assert!(html.contains("<td>陈晓燕</td>"), "{html}");
    let r = app.post_form("/console/annual/close", &[("year", "2026")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let html = app.get("/console/annual?year=2026", None).await.text();
    assert!(html.contains("id=\"year-closed\"") && !html.contains("关账并冻结本年度结果"), "{html}");
    app.post_form("/logout", &[]).await;
    app.user(seed.org_id, "worker", Role::Staff).await;
    app.sign_in("worker", crate::common::PASSWORD).await;
    assert_eq!(app.get("/console/dashboard", None).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.get("/console/annual", None).await.status, StatusCode::FORBIDDEN);
});

story!(the_months_indicators_export_to_xlsx_as_text, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let staff = app.token(seed.org_id, "someone", Role::Staff).await;
    // A unit whose name looks like a formula stays text.
    let r = app
        .post_json(
            "/api/v1/units",
            Some(&office),
            json!({"code": "S09", "name": "=1+1 东站", "kind": "station"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    store.set_clock(chuangkou_store::testing::noon_2026(11, 2));
    let body = json!({"kind": "complaint", "category": "attitude", "description": "态度生硬", "unit_id": seed.station_id});
    app.post_json("/api/v1/cases", Some(&office), body).await;
    let r = app.get("/api/v1/exports/indicators.xlsx?month=2026-11", Some(&office)).await;
    assert_eq!(r.status, StatusCode::OK);
    let sheets = chuangkou_tabular::read(&r.body, "indicators.xlsx").unwrap();
    let rows = &sheets[0].rows;
    assert_eq!(rows[0][0], "单位");
    let station = rows.iter().find(|r| r[0] == "小店收费站").expect("the station's line");
    assert_eq!(station[1], "1");
    assert!(rows.iter().any(|r| r[0] == "=1+1 东站"), "formula-like text is kept as text");
    assert_eq!(app.get("/api/v1/exports/indicators.xlsx", Some(&staff)).await.status, StatusCode::FORBIDDEN);
    // Switched to English, the exports are English too: headers, sheet names, states.
    app.cookies.push(("ck_lang".into(), "en".into()));
    for (path, first, sheet) in [
        ("/api/v1/exports/indicators.xlsx?month=2026-11", "Unit", "Indicators 2026-11"),
        ("/api/v1/exports/assessment.xlsx?month=2026-11", "Rank", "Assessment 2026-11"),
        ("/api/v1/exports/fines.xlsx", "No.", "Fines"),
    ] {
        let r = app.get(path, Some(&office)).await;
        assert_eq!(r.status, StatusCode::OK, "{path}");
        let sheets = chuangkou_tabular::read(&r.body, "x.xlsx").unwrap();
        assert_eq!((sheets[0].rows[0][0].as_str(), sheets[0].name.as_str()), (first, sheet), "{path}");
        let header = sheets[0].rows[0].join(" ");
        assert!(!header.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)), "{path}: {header}");
    }
});

story!(a_leader_closes_a_month_and_its_results_stay_frozen, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let leader = app.token(seed.org_id, "leader", Role::Leader).await;
    store.set_clock(chuangkou_store::testing::noon_2026(11, 20));
    let open = app.get("/api/v1/assessment?month=2026-11", Some(&office)).await.json();
    assert_eq!(open["closed"], false);
    assert_eq!(open["results"]["staff"][0]["score"], 100.0);
    let close = json!({"month": "2026-11"});
    assert_eq!(
        app.post_json("/api/v1/assessment/close", Some(&office), close.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app.post_json("/api/v1/assessment/close", Some(&leader), json!({"month": "2026-12"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a month not begun");
    let r = app.post_json("/api/v1/assessment/close", Some(&leader), close.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(
        app.post_json("/api/v1/assessment/close", Some(&leader), close).await.status,
        StatusCode::CONFLICT
    );
    // A complaint about the collector registered in November after closing: a difference.
    let body = json!({"kind": "complaint", "category": "attitude", "description": "态度生硬", "subject_staff_id": seed.staff_id});
    assert_eq!(app.post_json("/api/v1/cases", Some(&office), body).await.status, StatusCode::CREATED);
    let closed = app.get("/api/v1/assessment?month=2026-11", Some(&leader)).await.json();
    assert_eq!(closed["closed"], true);
    assert_eq!(closed["results"]["staff"][0]["score"], 100.0, "frozen");
    assert_eq!(closed["differences"][0][2], 100.0);
    assert_eq!(closed["differences"][0][3], 95.0);
    // The ranking export carries the frozen scores too.
    let r = app.get("/api/v1/exports/assessment.xlsx?month=2026-11", Some(&leader)).await;
    assert_eq!(r.status, StatusCode::OK);
    let sheets = chuangkou_tabular::read(&r.body, "assessment.xlsx").unwrap();
    assert!(sheets[0].name.contains("已关账"), "{}", sheets[0].name);
    let chen = sheets[0]
        .rows
        .iter()
        .find(|r| r.get(2).is_some_and(|n| n == "陈晓燕"))
        .expect("the collector's line");
    assert_eq!((chen[0].as_str(), chen[11].as_str()), ("1", "100.00"));
});

story!(the_months_notice_prints_its_results_in_chinese, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let leader = app.token(seed.org_id, "leader", Role::Leader).await;
    let staff = app.token(seed.org_id, "someone", Role::Staff).await;
    let li = chuangkou_domain::org::NewStaff {
        employee_no: "1002".into(),
        name: "李强".into(),
        unit_code: "S01-T1".into(),
        position: None,
        phone: None,
        certificate_no: None,
    };
    let li = store.create_staff(seed.org_id, "test", &li).await.unwrap().id;
    store.set_clock(chuangkou_store::testing::noon_2026(11, 5));
    // A valid complaint about 李强 (100 − 5) and an approved good deed of 陈晓燕 (100 + 2).
    let body = json!({"kind": "complaint", "category": "attitude", "description": "态度生硬", "subject_staff_id": li});
    assert_eq!(app.post_json("/api/v1/cases", Some(&office), body).await.status, StatusCode::CREATED);
    let deed = json!({"kind": "good_deed", "staff_id": seed.staff_id, "deed": "lost_property",
        "item": "钱包", "item_value": "500", "note": "拾金不昧", "date": "2026-11-04"});
    let r = app.post_json("/api/v1/ledger/entries", Some(&office), deed).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["entry"]["id"].as_i64().unwrap();
    let r = app
        .post_json(&format!("/api/v1/ledger/entries/{id}/decision"), Some(&leader), json!({"approve": true}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());

    let r = app.get("/api/v1/exports/notice.pdf?month=2026-11", Some(&office)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.headers["content-type"], "application/pdf");
    let pages = chuangkou_notice::pdftotext(&r.body).expect("pdftotext (poppler-utils)");
    let text: String = pages.concat().split_whitespace().collect();
    for expected in [
        "TY公司",
        "关于2026年11月服务质量考核情况的通报",
        "草稿：本月尚未关账",
        "本月有效投诉1件，上月无有效投诉，上年同期无有效投诉",
        "本月参加考核2人、1个班组",
        // The ranking: 陈晓燕 first with 102.00, 李强 second with 95.00.
        "11001陈晓燕小店收费站一班102.00",
        "21002李强小店收费站一班95.00",
        // 服务标兵 goes to the eligible best at 98 or more.
        "服务标兵：陈晓燕（102.00分）",
        "金牌服务班组：小店收费站一班（98.50分）",
        // Commended for the good deed. A complaint still being looked
        // into is scored, but criticises nobody in a notice.
        "陈晓燕小店收费站一班10102.00",
        "五、批评本月无通报批评",
        // The toll pack's targets beside the month's figures.
        "投诉处理满意度≥100%—无数据",
        "意见处理及时率≥100%",
    ] {
        assert!(text.contains(expected), "{expected:?} is not in the notice:\n{}", pages.concat());
    }
    assert!(!text.contains("关账，结果已冻结"));

    // Only the office and leaders print it; a bad month is named.
    assert_eq!(app.get("/api/v1/exports/notice.pdf", Some(&staff)).await.status, StatusCode::FORBIDDEN);
    let r = app.get("/api/v1/exports/notice.pdf?month=2026-13", Some(&office)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // Once closed, the notice prints the frozen results, and says so.
    let r = app.post_json("/api/v1/assessment/close", Some(&leader), json!({"month": "2026-11"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let body = json!({"kind": "complaint", "category": "attitude", "description": "又一次", "subject_staff_id": seed.staff_id});
    assert_eq!(app.post_json("/api/v1/cases", Some(&office), body).await.status, StatusCode::CREATED);
    let r = app.get("/api/v1/exports/notice.pdf?month=2026-11", Some(&leader)).await;
    let text: String = chuangkou_notice::pdftotext(&r.body).unwrap().concat().split_whitespace().collect();
    assert!(text.contains("2026年11月5日关账，结果已冻结"), "{text}");
    assert!(text.contains("11001陈晓燕小店收费站一班102.00"), "frozen, not 97.00: {text}");
    assert!(!text.contains("草稿"));
});

story!(two_approved_inspection_violations_lower_the_score_and_are_criticised_in_the_notice, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let supervisor = app.token(seed.org_id, "supervisor", Role::Supervisor).await;
    store.set_clock(chuangkou_store::testing::noon_2026(11, 5));
    // A secret visit finds two breaches by the collector 陈晓燕.
    let r = app
        .post_json(
            "/api/v1/inspections",
            Some(&supervisor),
            json!({
            "kind": "routine", "mode": "secret", "target_kind": "staff", "target_id": seed.staff_id,
            "items": [{"rule_code": "TY-U1", "result": "fail", "note": "未佩戴工号牌"},
                      {"rule_code": "TY-U2", "result": "fail", "note": "未用文明用语"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let mut approved = 0;
    for id in r.json()["proposed"].as_array().unwrap() {
        let id = id.as_i64().unwrap();
        let e = app.get(&format!("/api/v1/ledger/entries/{id}"), Some(&office)).await.json();
        if e["entry"]["kind"] == "violation" {
            let url = format!("/api/v1/ledger/entries/{id}/decision");
            let r = app.post_json(&url, Some(&office), json!({"approve": true})).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
            approved += 1;
        }
    }
    assert_eq!(approved, 2);
    let a = app.get("/api/v1/assessment?month=2026-11", Some(&office)).await.json();
    let chen = &a["results"]["staff"][0];
    assert_eq!((chen["name"].as_str(), chen["tally"]["violations"].as_i64()), (Some("陈晓燕"), Some(2)));
    assert_eq!(chen["score"].as_f64(), Some(94.0), "100 − 2 × 3");
    let r = app.get("/api/v1/exports/notice.pdf?month=2026-11", Some(&office)).await;
    let text: String = chuangkou_notice::pdftotext(&r.body).unwrap().concat().split_whitespace().collect();
    assert!(text.contains("违规2起"), "{text}");
    let criticism = text.split("五、批评").nth(1).expect("the criticism section");
    // name, unit, violations 2, criticisms 0, warnings 0, score 94.00
    assert!(criticism.contains("陈晓燕小店收费站一班20094.00"), "{criticism}");
});

story!(without_a_chinese_font_the_notice_is_refused_with_the_reason, |store| {
    let config = chuangkou_web::WebConfig {
        pdf_font: Some("/nonexistent/wqy-microhei.ttc".into()),
        ..Default::default()
    };
    let mut app = TestApp::with_config(store.clone(), config);
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let r = app.get("/api/v1/exports/notice.pdf?month=2026-11", Some(&office)).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.code(), "pdf_font_missing");
    assert!(r.json()["message"].as_str().unwrap().contains("/nonexistent/wqy-microhei.ttc"), "{}", r.text());
});
