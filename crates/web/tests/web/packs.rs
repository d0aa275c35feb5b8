//! The sector packs of seed 002 as an organisation runs them (issue 19,
//! point 6): a power-supply company's fault repair on its own clock, its
//! complaints on a calendar with no weekly rest day, the 95598 channel,
//! and its published commitments.

use axum::http::StatusCode;
use chuangkou_domain::Role;
use chuangkou_store::story;
use chuangkou_store::testing::noon_2026;
use serde_json::json;

use crate::common::TestApp;

const HOUR: i64 = 3_600_000;

story!(a_power_companys_fault_repair_runs_on_its_own_clock_seven_days_a_week, |store| {
    // Friday 6 November 2026, noon.
    store.set_clock(noon_2026(11, 6));
    let mut app = TestApp::new(store);
    let org =
        app.store.create_organisation("test", "GD", "城区供电营业厅", "power", Some("95598")).await.unwrap();
    let office = app.token(org.id, "office", Role::Office).await;
    let repair = app
        .post_json(
            "/api/v1/cases",
            Some(&office),
            json!({"kind": "help_request", "channel": "95598", "category": "fault",
                "description": "幸福小区3号楼停电，疑似线路故障", "reporter_phone": "13900000095"}),
        )
        .await;
    assert_eq!(repair.status, StatusCode::CREATED, "{}", repair.text());
    let repair = repair.json();
    let id = repair["id"].as_i64().unwrap();
    let stored = app.get(&format!("/api/v1/cases/{id}"), Some(&office)).await.json();
    let at = |k: &str| stored["case"][k].as_i64().unwrap();
    assert_eq!(at("handle_due") - at("registered_at"), 24 * HOUR, "24 natural hours, over the weekend");
    assert_eq!(at("investigate_due") - at("registered_at"), 2 * HOUR);
    assert!(repair["spoken_code"].is_string(), "a caller on 95598 hears a code to track it by");
    let complaint = app
        .post_json(
            "/api/v1/cases",
            Some(&office),
            json!({"kind": "complaint", "channel": "95598", "category": "attitude", "description": "营业员态度冷淡",
                "reporter_phone": "13900000096"}),
        )
        .await
        .json();
    // Three working days from Friday end with Monday: Saturday and Sunday
    // count (营业场所无周休日).
    assert_eq!(complaint["handle_due"], noon_2026(11, 10) - 12 * HOUR);
    let page = app.get("/o/GD", None).await.text();
    assert!(page.contains("24小时不间断服务"), "{page}");
    // An Open311 client of the power company finds the pack's categories.
    let services = app.get("/open311/v2/services.json?jurisdiction_id=GD", None).await.json();
    let codes: Vec<&str> =
        services.as_array().unwrap().iter().map(|s| s["service_code"].as_str().unwrap()).collect();
    for code in ["fault", "outage", "billing", "business", "attitude"] {
        assert!(codes.contains(&code), "{code}: {codes:?}");
    }
    assert!(!codes.contains(&"fee"), "not the toll company's: {codes:?}");
});
