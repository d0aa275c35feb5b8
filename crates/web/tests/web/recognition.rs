//! Recognition and publicity (SPEC CMP-1/2, issue 20 point 4): a closed
//! month's award winners get certificates — a PDF with the name, the award
//! and a serial anyone can verify — once each, with the pack's reward
//! booked for finance to pay (never by the office, never twice); a typical
//! case written from a complaint never shows its reporter (canary), and
//! the news page shows only what was published.

use axum::http::StatusCode;
use chuangkou_domain::Role;
use chuangkou_store::story;
use chuangkou_store::testing::noon_2026;
use serde_json::{Value, json};

use crate::common::TestApp;

const CANARY_NAME: &str = "金丝雀乙";
const CANARY_PHONE: &str = "13987654321";

story!(a_closed_months_winners_get_certificates_once_and_finance_pays_their_rewards, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let leader = app.token(seed.org_id, "leader", Role::Leader).await;
    let finance = app.token(seed.org_id, "finance", Role::Finance).await;
    store.set_clock(noon_2026(12, 2));
    let issue = json!({"period": "2026-11"});
    let r = app.post_json("/api/v1/certificates/issue", Some(&office), issue.clone()).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "not before the month is closed: {}", r.text());
    let r = app.post_json("/api/v1/assessment/close", Some(&leader), json!({"month": "2026-11"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let results = app.get("/api/v1/assessment?month=2026-11", Some(&leader)).await.json();
    let winners: Vec<(String, String)> = results["results"]["awards"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|a| {
            let title = a["title"].as_str().unwrap().to_string();
            a["winners"]
                .as_array()
                .unwrap()
                .iter()
                .map(move |w| (title.clone(), w[1].as_str().unwrap().to_string()))
        })
        .collect();
    assert!(!winners.is_empty(), "the seed's month has winners");
    assert_eq!(
        app.post_json("/api/v1/certificates/issue", Some(&finance), issue.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app.post_json("/api/v1/certificates/issue", Some(&office), issue.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let certs = r.json()["certificates"].as_array().unwrap().clone();
    assert_eq!(certs.len(), winners.len(), "one per winner");
    let again = app.post_json("/api/v1/certificates/issue", Some(&office), issue).await.json();
    assert_eq!(again["certificates"], json!([]), "none twice");
    // The toll pack: 服务标兵 300 yuan, 金牌服务班组 500.
    let model = certs.iter().find(|c| c["award_code"] == "service_model").expect("a service model");
    assert_eq!(model["reward_fen"], 30_000);
    let id = model["id"].as_i64().unwrap();
    let serial = model["serial"].as_str().unwrap().to_string();
    let name = model["recipient"].as_str().unwrap().to_string();

    // The PDF holds the name, the award and the serial.
    let pdf = app.get(&format!("/api/v1/certificates/{id}/pdf"), Some(&office)).await;
    assert_eq!(pdf.status, StatusCode::OK, "{}", pdf.text());
    let text: String = chuangkou_notice::pdftotext(&pdf.body).unwrap().concat().split_whitespace().collect();
    for expected in ["荣誉证书", name.as_str(), "服务标兵", serial.as_str(), "2026年11月"] {
        assert!(text.contains(expected), "{expected:?} is not in the certificate: {text}");
    }
    // Anyone verifies it by its serial; a made-up one is not.
    let page = app.get(&format!("/verify/{serial}"), None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains(&name) && page.text().contains("服务标兵"));
    assert_eq!(app.get("/verify/TY-202611-FAKE00", None).await.status, StatusCode::NOT_FOUND);

    // Finance pays it, once; the office may not.
    let pay = format!("/api/v1/certificates/{id}/payment");
    let receipt = json!({"receipt_no": "财-2026-118"});
    assert_eq!(app.post_json(&pay, Some(&office), receipt.clone()).await.status, StatusCode::FORBIDDEN);
    let r = app.post_json(&pay, Some(&finance), receipt.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["certificate"]["receipt_no"], "财-2026-118");
    assert_eq!(app.post_json(&pay, Some(&finance), receipt).await.status, StatusCode::CONFLICT);
    // The certificate is a row of record: sealed, and an amount changed out
    // of band is named by verify.
    chuangkou_store::testing::assert_records_whole(&store).await;
    let sql = format!("UPDATE certificates SET reward_fen = 9999900 WHERE id = {id}");
    chuangkou_store::testing::out_of_band(&store, &[&sql]).await;
    let report = store.verify().await.unwrap();
    let found: Vec<(&str, i64)> = report.rows.iter().map(|r| (r.table.as_str(), r.row_id)).collect();
    assert_eq!(found, [("certificates", id)]);

    // A campaign honour (seed 004 六(五) 优质服务先进个人): never to oneself,
    // once per person.
    let unit = chuangkou_domain::org::NewUnit {
        code: "C01".into(),
        name: "征费室".into(),
        kind: chuangkou_domain::org::UnitKind::Department,
        parent_code: None,
    };
    app.store.create_unit(seed.org_id, "test", &unit).await.unwrap();
    let r = app
        .post_json("/api/v1/campaigns", Some(&office), json!({"template": "standard", "year": 2026}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let campaign = r.json()["campaign"]["id"].as_i64().unwrap();
    let honour = json!({"campaign_id": campaign, "award_title": "优质服务先进个人", "staff_id": seed.staff_id,
        "reward": "200"});
    let clerk = app.staff_token(seed.org_id, "clerk", Role::Office, seed.staff_id).await;
    let r = app.post_json("/api/v1/certificates", Some(&clerk), honour.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "nobody honours themselves: {}", r.text());
    let r = app.post_json("/api/v1/certificates", Some(&office), honour.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(
        (r.json()["certificate"]["period"].as_str(), r.json()["certificate"]["reward_fen"].as_i64()),
        (Some("2026"), Some(20_000))
    );
    assert_eq!(
        app.post_json("/api/v1/certificates", Some(&office), honour).await.status,
        StatusCode::CONFLICT
    );
    // The holder sees their own certificates, and no one else's.
    let holder = app.staff_token(seed.org_id, "holder", Role::Staff, seed.staff_id).await;
    let mine = app.get("/api/v1/certificates", Some(&holder)).await.json();
    assert!(!mine["certificates"].as_array().unwrap().is_empty());
    assert!(mine["certificates"].as_array().unwrap().iter().all(|c| c["staff_id"] == seed.staff_id.get()));
    let events = app.store.events(seed.org_id, None, 500).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind == "certificate.issued").count(), winners.len() + 1);
    assert_eq!(events.iter().filter(|e| e.kind == "reward.paid").count(), 1);
});

story!(a_typical_case_never_shows_its_reporter, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let staff = app.staff_token(seed.org_id, "collector", Role::Staff, seed.staff_id).await;
    let case = app
        .post_json(
            "/api/v1/cases",
            Some(&office),
            json!({"kind": "complaint", "category": "attitude", "description": "收费员态度生硬，未找零",
                "reporter_name": CANARY_NAME, "reporter_phone": CANARY_PHONE}),
        )
        .await
        .json();
    let case_id = case["id"].as_i64().unwrap();
    let number = case["number"].as_str().unwrap().to_string();
    let write = |story: &str| {
        json!({"kind": "complaint", "title": "一起找零投诉的规范处置", "story": story, "happened_on": "2026-11-20",
            "source_type": "case", "source_id": case_id})
    };
    let r = app.post_json("/api/v1/typical-cases", Some(&staff), write("一位司机来电反映")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "staff do not curate");
    for leak in [format!("{CANARY_NAME}先生来电反映"), "回访电话 139 8765 4321 已接通".to_string()]
    {
        let r = app.post_json("/api/v1/typical-cases", Some(&office), write(&leak)).await;
        assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{leak}: {}", r.text());
    }
    let mut stray = write("一位司机来电反映");
    stray["campaign_id"] = json!(999_999);
    let r = app.post_json("/api/v1/typical-cases", Some(&office), stray).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "no such campaign: {}", r.text());
    let story = "一位司机来电反映收费员未找零。值班站长当日调查清楚，收费员当面致歉并补足找零，24小时内办结，回访满意。监督电话 0351-12345678。";
    let r = app.post_json("/api/v1/typical-cases", Some(&office), write(story)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["typical_case"]["id"].as_i64().unwrap();
    let news = app.get("/o/TY/news", None).await.text();
    assert!(!news.contains("一起找零投诉的规范处置"), "not before it is published");
    let r = app.post_json(&format!("/api/v1/typical-cases/{id}/publication"), Some(&office), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app.post_json(&format!("/api/v1/typical-cases/{id}/publication"), Some(&office), json!({})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "once");
    let media = json!({"outlet": "太原日报", "published_on": "2026-11-25", "title": "高速收费站的微笑服务",
        "link": "https://example.org/news/1"});
    assert_eq!(app.post_json("/api/v1/media-items", Some(&office), media).await.status, StatusCode::CREATED);

    let news = app.get("/o/TY/news", None).await;
    assert_eq!(news.status, StatusCode::OK);
    let html = news.text();
    assert!(html.contains("一起找零投诉的规范处置") && html.contains("回访满意"), "{html}");
    assert!(html.contains("太原日报") && html.contains("https://example.org/news/1"));
    assert!(html.contains("0351-123****5678"), "a long number is masked: {html}");
    for secret in [CANARY_NAME, CANARY_PHONE, "8765", number.as_str(), "12345678"] {
        assert!(!html.contains(secret), "{secret:?} is on the public news page");
    }
    // Withdrawn, it leaves the page.
    let r = app.post_json(&format!("/api/v1/typical-cases/{id}/withdrawal"), Some(&office), json!({})).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!app.get("/o/TY/news", None).await.text().contains("一起找零投诉的规范处置"));
    let list: Value = app.get("/api/v1/typical-cases", Some(&office)).await.json();
    assert_eq!(list["typical_cases"].as_array().unwrap().len(), 1, "kept, withdrawn");
});
