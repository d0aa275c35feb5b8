//! Service guides and one-time notification (SPEC PUB-3, issue 19; seed
//! 002's 一次性告知制度): a guide lists a matter's basis, time limit,
//! procedure and every material; a case registered for the matter gets the
//! guide's time limit; a desk notifies the missing materials once, in a
//! PDF; a second notification asking for something new is flagged.

use axum::http::StatusCode;
use chuangkou_domain::Role;
use chuangkou_store::story;
use chuangkou_store::testing::noon_2026;
use serde_json::json;

use crate::common::{PASSWORD, TestApp, urlencode};

fn green_lane() -> serde_json::Value {
    json!({
        "code": "G-GREEN", "title": "鲜活农产品运输车辆免费通行（绿色通道）",
        "basis": "《关于进一步优化鲜活农产品运输“绿色通道”政策的通知》（交公路发〔2019〕99号）",
        "track": "feedback",
        "steps": ["驶入绿色通道专用车道", "收费员查验车辆和货物", "符合条件的免收通行费"],
        "materials": [
            {"name": "行驶证", "required": true, "original": true, "count": 1},
            {"name": "道路运输证", "required": true, "original": true, "count": 1},
            {"name": "驾驶员身份证", "required": true, "original": true, "count": 1},
            {"name": "装载货物照片", "required": false, "original": false, "count": 2}
        ],
        "fees": "符合条件的免收车辆通行费", "place": "各收费站绿色通道车道，24小时",
        "refusals": ["混装非鲜活农产品", "超限超载"]
    })
}

story!(a_guide_sets_the_time_limit_and_a_second_notice_may_ask_nothing_new, |store| {
    store.set_clock(noon_2026(11, 5));
    let mut app = TestApp::new(store);
    // A service hall (seed 002's 限时办结: 2 working days with a leader's
    // approval, 7 with research).
    let org = app.store.create_organisation("test", "ZJ", "市质监局服务大厅", "hall", None).await.unwrap();
    let office = app.token(org.id, "office", Role::Office).await;
    let mut guide = green_lane();
    guide["code"] = json!("G-METER");
    guide["title"] = json!("计量器具检定");
    guide["track"] = json!("leader_approval");
    let r = app.post_json("/api/v1/guides", Some(&office), guide).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["guide"]["materials"].as_array().unwrap().len(), 4);

    // A complaint about the matter gets the guide's 2 working days, not a
    // complaint's default 7.
    let case = |extra: serde_json::Value| {
        let mut body = json!({"kind": "complaint", "category": "efficiency", "description": "检定申请无人受理",
            "reporter_phone": "13800000001"});
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    let plain = app.post_json("/api/v1/cases", Some(&office), case(json!({}))).await.json();
    let guided = app.post_json("/api/v1/cases", Some(&office), case(json!({"guide": "G-METER"}))).await;
    assert_eq!(guided.status, StatusCode::CREATED, "{}", guided.text());
    let guided = guided.json();
    let explicit =
        app.post_json("/api/v1/cases", Some(&office), case(json!({"track": "leader_approval"}))).await.json();
    assert_eq!(guided["handle_due"], explicit["handle_due"], "the guide's track decides");
    assert_ne!(guided["handle_due"], plain["handle_due"]);
    let id = guided["id"].as_i64().unwrap();
    let r = app.post_json("/api/v1/cases", Some(&office), case(json!({"guide": "G-NONE"}))).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);

    // The first written notification lists exactly what is missing.
    let notify = |missing: &[&str]| json!({"guide": "G-METER", "missing": missing});
    let r = app
        .post_json(
            &format!("/api/v1/cases/{id}/one-time-notices"),
            Some(&office),
            notify(&["道路运输证", "驾驶员身份证"]),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let first = r.json()["notice"]["id"].as_i64().unwrap();
    assert_eq!(r.json()["notice"]["asked_again"], json!([]));
    let pdf = app.get(&format!("/api/v1/cases/{id}/one-time-notices/{first}.pdf"), Some(&office)).await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.text());
    let text: String = chuangkou_notice::pdftotext(&pdf.body).unwrap().concat().split_whitespace().collect();
    for expected in [
        "一次性告知书",
        "道路运输证",
        "驾驶员身份证",
        "交公路发〔2019〕99号",
        guided["number"].as_str().unwrap(),
    ] {
        assert!(text.contains(expected), "{expected}: {text}");
    }
    for absent in ["行驶证", "装载货物照片"] {
        assert!(!text.contains(absent), "{absent} is not missing: {text}");
    }
    // A material not in the guide is refused; nothing recorded.
    let r = app
        .post_json(&format!("/api/v1/cases/{id}/one-time-notices"), Some(&office), notify(&["营业执照"]))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    // A second notification asking for the photos, which the first did
    // not: flagged to the office.
    let r = app
        .post_json(
            &format!("/api/v1/cases/{id}/one-time-notices"),
            Some(&office),
            notify(&["驾驶员身份证", "装载货物照片"]),
        )
        .await;
    assert_eq!(r.json()["notice"]["asked_again"], json!(["装载货物照片"]));
    let notes = app.get("/api/v1/notifications", Some(&office)).await.json();
    let flagged: Vec<&serde_json::Value> = notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "case.one_time_breached")
        .collect();
    assert_eq!(flagged.len(), 1);
    assert!(flagged[0]["message"].as_str().unwrap().contains("装载货物照片"));

    // The desk does the same from the case page: tick, notify, print.
    app.sign_in("office", PASSWORD).await;
    let page = app.get(&format!("/console/cases/{id}"), None).await.text();
    assert!(page.contains("value=\"驾驶员身份证\""), "the guide's materials to tick");
    let r = app
        .post_form(
            &format!("/console/cases/{id}/one-time-notice"),
            &[("guide", "G-METER"), ("missing", "行驶证"), ("missing", "道路运输证")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = app.get(r.headers["location"].to_str().unwrap(), None).await.text();
    assert!(page.contains("请打印告知书"), "says what happened");
    assert!(page.contains("行驶证、道路运输证"), "the new notice is listed");
    assert_eq!(page.matches(".pdf\">").count(), 3, "each notice has its PDF");
});

story!(the_public_finds_a_guide_by_two_characters_and_reads_it_whole, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    app.post_json("/api/v1/guides", Some(&office), green_lane()).await;
    // Only the office writes guides; a guide without materials is refused.
    let staff = app.token(seed.org_id, "staff", Role::Staff).await;
    assert_eq!(
        app.post_json("/api/v1/guides", Some(&staff), green_lane()).await.status,
        StatusCode::FORBIDDEN
    );
    let mut empty = green_lane();
    empty["materials"] = json!([]);
    assert_eq!(
        app.post_json("/api/v1/guides", Some(&office), empty).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let mut bad_track = green_lane();
    bad_track["track"] = json!("whenever");
    assert_eq!(
        app.post_json("/api/v1/guides", Some(&office), bad_track).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );

    for q in ["绿色", "运输证", "99号"] {
        let found = app.get(&format!("/api/v1/public/guides/TY?q={}", urlencode(q)), None).await.json();
        assert_eq!(found["guides"].as_array().unwrap().len(), 1, "{q}");
    }
    let none = app.get(&format!("/api/v1/public/guides/TY?q={}", urlencode("护照")), None).await.json();
    assert_eq!(none["guides"].as_array().unwrap().len(), 0);
    let list = app.get(&format!("/o/TY/guides?q={}", urlencode("绿色")), None).await.text();
    assert!(list.contains("href=\"/o/TY/guides/G-GREEN\""), "{list}");
    let page = app.get("/o/TY/guides/G-GREEN", None).await.text();
    for expected in [
        "交公路发〔2019〕99号",
        "收费员查验车辆和货物",
        "道路运输证",
        "装载货物照片",
        "超限超载",
        "5 个工作日",
    ] {
        assert!(page.contains(expected), "{expected}");
    }
});

story!(the_office_writes_a_guide_in_the_console_line_by_line, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    app.user(seed.org_id, "office", Role::Office).await;
    app.user(seed.org_id, "staff", Role::Staff).await;
    app.sign_in("staff", PASSWORD).await;
    assert_eq!(app.get("/console/guides", None).await.status, StatusCode::FORBIDDEN);
    app.cookies.clear();
    app.sign_in("office", PASSWORD).await;
    let fields = |materials: &'static str| {
        vec![
            ("code", "G-FEE"),
            ("title", "通行费争议复核"),
            ("basis", "《收费公路管理条例》第三十二条"),
            ("track", "complaint"),
            ("steps", "提出\n复核\n退还"),
            ("materials", materials),
            ("refusals", "超过 30 日未提出"),
        ]
    };
    // A line that is not name|必需/可选|原件/复印件|count comes back beside
    // the field, with everything typed kept; nothing is saved.
    let r = app.post_form("/console/guides", &fields("通行凭证|也许")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let page = r.text();
    assert!(page.contains("id=\"error-materials\""), "{page}");
    assert!(page.contains("《收费公路管理条例》第三十二条"), "the basis is kept");
    let none = app.get("/api/v1/public/guides/TY", None).await.json();
    assert_eq!(none["guides"].as_array().unwrap().len(), 0);
    let r = app.post_form("/console/guides", &fields("通行凭证|必需|原件|1\n驾驶员身份证|必需|原件|1")).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let page = app.get("/o/TY/guides/G-FEE", None).await.text();
    assert!(
        page.contains("驾驶员身份证") && page.contains("超过 30 日未提出") && page.contains("48"),
        "{page}"
    );
});
