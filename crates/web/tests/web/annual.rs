//! The taxi: its driver answers for it on its public card and in the
//! scores, and the annual review grades every taxi — over HTTP, on SQLite
//! and PostgreSQL.

use axum::http::StatusCode;
use chuangkou_domain::Role;
use chuangkou_domain::org::{NewServicePoint, NewStaff, NewUnit, NewVehicle, ServicePointKind, UnitKind};
use chuangkou_store::story;
use serde_json::json;

use crate::common::TestApp;

story!(a_taxis_card_names_its_driver_and_the_annual_review_grades_it, |store| {
    let mut app = TestApp::new(store.clone());
    // The company and its driver from the start of the year.
    store.set_clock(chuangkou_store::testing::noon_2026(1, 2));
    let org = store
        .create_organisation("test", "PZH", "攀枝花出租车公司", "taxi", Some("0812-3333333"))
        .await
        .unwrap();
    let unit =
        NewUnit { code: "C1".into(), name: "一车队".into(), kind: UnitKind::Team, parent_code: None };
    store.create_unit(org.id, "t", &unit).await.unwrap();
    let driver = NewStaff {
        employee_no: "D001".into(),
        name: "王师傅".into(),
        unit_code: "C1".into(),
        position: Some("驾驶员".into()),
        phone: None,
        certificate_no: Some("510400123456".into()),
    };
    store.create_staff(org.id, "t", &driver).await.unwrap();
    let v = NewVehicle {
        plate: "川D12345".into(),
        unit_code: "C1".into(),
        driver_employee_no: Some("D001".into()),
    };
    store.create_vehicle(org.id, "t", &v).await.unwrap();
    let point = NewServicePoint {
        code: "D12345".into(),
        name: "川D12345 服务监督卡".into(),
        kind: ServicePointKind::Taxi,
        unit_code: "C1".into(),
        vehicle_plate: Some("川D12345".into()),
    };
    let point = store.create_service_point(org.id, "t", &point).await.unwrap();
    let office = app.token(org.id, "office", Role::Office).await;
    let leader = app.token(org.id, "leader", Role::Leader).await;
    let staff = app.token(org.id, "someone", Role::Staff).await;

    // The public card: the driver's name and certificate, and the regulator's hotline from the pack.
    let page = app.get(&format!("/p/{}", point.public_token), None).await;
    assert_eq!(page.status, StatusCode::OK);
    let html = page.text();
    for expected in ["王师傅", "510400123456", "12328", "市交通运输局运管处"] {
        assert!(html.contains(expected), "{expected} is not on the card");
    }

    // A passenger rates the taxi badly in March: the driver's score moves.
    store.set_clock(chuangkou_store::testing::noon_2026(3, 5));
    let r = app
        .post_json("/api/v1/ratings", None, json!({"point": point.public_token, "level": 2, "device": "p1"}))
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let m = app.get("/api/v1/assessment?month=2026-03", Some(&office)).await.json();
    let s = &m["results"]["staff"][0];
    assert_eq!(
        (s["name"].as_str(), s["tally"]["bad_ratings"].as_i64(), s["score"].as_f64()),
        (Some("王师傅"), Some(1), Some(99.0))
    );

    // The annual review (January to March): mean (100 + 100 + 99) / 3 = 99.67, four stars.
    let y = app.get("/api/v1/assessment/year?year=2026", Some(&office)).await;
    assert_eq!(y.status, StatusCode::OK, "{}", y.text());
    let y = y.json();
    assert_eq!(y["closed"], false);
    assert_eq!(y["results"]["staff"][0]["score"].as_f64(), Some(99.67));
    let taxi = &y["results"]["vehicles"][0];
    assert_eq!((taxi["plate"].as_str(), taxi["stars"].as_u64()), (Some("川D12345"), Some(4)));
    assert_eq!(app.get("/api/v1/assessment/year", Some(&staff)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(
        app.get("/api/v1/assessment/year?year=2030", Some(&office)).await.status,
        StatusCode::UNPROCESSABLE_ENTITY
    );
    let sheet = app.get("/api/v1/exports/assessment-year.xlsx?year=2026", Some(&office)).await;
    let sheets = chuangkou_tabular::read(&sheet.body, "y.xlsx").unwrap();
    assert!(sheets[0].rows.iter().any(|r| r.first().is_some_and(|c| c == "川D12345") && r[3] == "★★★★"));

    // Only a leader closes the year, once.
    let close = json!({"year": 2026});
    assert_eq!(
        app.post_json("/api/v1/assessment/close-year", Some(&office), close.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app.post_json("/api/v1/assessment/close-year", Some(&leader), close.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(
        app.post_json("/api/v1/assessment/close-year", Some(&leader), close).await.status,
        StatusCode::CONFLICT
    );

    // The annual notice.
    let r = app.get("/api/v1/exports/annual-notice.pdf?year=2026", Some(&office)).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let text: String = chuangkou_notice::pdftotext(&r.body).unwrap().concat().split_whitespace().collect();
    for expected in [
        "关于2026年度服务质量考核情况的通报",
        "关账，结果已冻结",
        "年度优质文明服务驾驶员：王师傅（99.67分）",
        "六、星级服务车",
        "川D12345王师傅99.67★★★★",
    ] {
        assert!(text.contains(expected), "{expected:?} is not in the annual notice:\n{text}");
    }
});
