//! Public notices (SPEC PUB-2, issue 19): the office publishes a notice for
//! a window; the public page's feed, RSS and a unit's sign show it only
//! inside that window; withdrawing takes it down; each step is an event.

use axum::http::StatusCode;
use chuangkou_domain::Role;
use chuangkou_domain::notices::gb2312;
use chuangkou_store::story;
use chuangkou_store::testing::noon_2026;
use serde_json::json;

use crate::common::TestApp;

const HOUR: i64 = 3_600_000;

/// What the public reads now: the JSON feed's count, the RSS, the sign.
async fn feeds(app: &mut TestApp) -> (usize, String, String) {
    let json = app.get("/api/v1/public/notices/TY", None).await.json();
    let rss = app.get("/o/TY/notices.rss", None).await;
    assert_eq!(rss.headers["content-type"], "application/rss+xml; charset=utf-8");
    let atom = app.get("/o/TY/notices.atom", None).await;
    assert_eq!(atom.headers["content-type"], "application/atom+xml; charset=utf-8");
    let atom = atom.text();
    assert!(
        atom.contains("<feed xmlns=\"http://www.w3.org/2005/Atom\">") && atom.contains("<updated>"),
        "{atom}"
    );
    let entries = atom.matches("<entry>").count();
    assert_eq!(entries, rss.text().matches("<item>").count(), "the same notices in both feeds");
    let sign = app.get("/o/TY/units/S01/sign.txt", None).await;
    assert_eq!(sign.headers["content-type"], "text/plain; charset=utf-8");
    (json["notices"].as_array().unwrap().len(), rss.text(), sign.text())
}

story!(a_notice_for_tomorrow_shows_only_inside_its_window, |store| {
    // Today is 5 November 2026, noon (China time).
    store.set_clock(noon_2026(11, 5));
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let notice = json!({
        "kind": "road", "title": "小店站团雾",
        "body": "小店收费站附近团雾，能见度低于50米😀，请减速慢行，开启雾灯。",
        "valid_from": "2026-11-06T08:00", "valid_until": "2026-11-06T18:00",
        "unit_id": seed.station_id, "publish": true,
    });
    let r = app.post_json("/api/v1/notices", Some(&office), notice.clone()).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["notice"]["id"].as_i64().unwrap();
    assert_eq!(r.json()["notice"]["state"], "published");

    let (n, rss, sign) = feeds(&mut app).await;
    assert_eq!((n, rss.contains("小店站团雾"), sign.as_str()), (0, false, ""), "not yet: today");
    store.set_clock(noon_2026(11, 6) - 3 * HOUR);
    let (n, rss, sign) = feeds(&mut app).await;
    assert_eq!((n, rss.contains("<item><title>小店站团雾</title>")), (1, true), "09:00 tomorrow: {rss}");
    let atom = app.get("/o/TY/notices.atom", None).await.text();
    assert!(atom.contains("<entry><title>小店站团雾</title><id>http://ck.test/o/TY#notice-"), "{atom}");
    assert!(atom.contains("<category term=\"road\"/>"), "{atom}");
    let home = app.get("/o/TY", None).await.text();
    assert!(home.contains("href=\"/o/TY/notices.atom\""), "the public page names its feeds");
    // The sign: lines no wider than the pack's 16, GB2312 only (the emoji
    // is dropped), title first.
    let lines: Vec<&str> = sign.lines().collect();
    assert!(lines.len() >= 3, "{sign}");
    assert!(lines[0].starts_with("小店站团雾"), "{sign}");
    for l in &lines {
        assert!(l.chars().count() <= 16 && l.chars().all(gb2312), "{l:?}");
    }
    assert!(!sign.contains('😀'));
    // The station's notice reaches the signs of the teams under it.
    assert_eq!(app.get("/o/TY/units/S01-T1/sign.txt", None).await.text(), sign);
    store.set_clock(noon_2026(11, 6) + 6 * HOUR + 60_000);
    let (n, _, sign) = feeds(&mut app).await;
    assert_eq!((n, sign.as_str()), (0, ""), "18:01: expired");
    // The sweep writes the expiry, once, as an event; it cannot be withdrawn then.
    let policies = chuangkou_domain::policy::PolicySet::builtin();
    assert_eq!(store.sweep_timers(&policies).await.unwrap().notices_expired, 1);
    assert_eq!(store.sweep_timers(&policies).await.unwrap().notices_expired, 0);
    assert_eq!(store.notice(seed.org_id, id).await.unwrap().state, "expired");
    let r = app
        .post_json(&format!("/api/v1/notices/{id}/withdrawal"), Some(&office), json!({"reason": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());

    // Another, withdrawn while valid, goes at once; withdrawing twice is a
    // conflict; the public never sees a draft.
    store.set_clock(noon_2026(11, 10));
    let now_window = json!({"kind": "outage", "title": "计划停电", "body": "线路检修", "area": "小店区",
        "valid_from": "2026-11-10T08:00", "valid_until": "2026-11-10T20:00"});
    let draft =
        app.post_json("/api/v1/notices", Some(&office), now_window.clone()).await.json()["notice"]["id"]
            .as_i64()
            .unwrap();
    assert_eq!(feeds(&mut app).await.0, 0, "a draft is not public");
    let r = app.post_json(&format!("/api/v1/notices/{draft}/publication"), Some(&office), json!({})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let public = app.get("/api/v1/public/notices/TY", None).await.json();
    assert_eq!(public["notices"][0]["area"], "小店区");
    assert!(public["notices"][0].get("state").is_none(), "the public sees no internal state");
    let withdraw = json!({"reason": "检修取消"});
    let r =
        app.post_json(&format!("/api/v1/notices/{draft}/withdrawal"), Some(&office), withdraw.clone()).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(feeds(&mut app).await.0, 0, "withdrawn");
    let r = app.post_json(&format!("/api/v1/notices/{draft}/withdrawal"), Some(&office), withdraw).await;
    assert_eq!(r.status, StatusCode::CONFLICT);

    // Every step is in the chain.
    let events = app.store.events(seed.org_id, None, 100).await.unwrap();
    let kinds: Vec<&str> =
        events.iter().filter(|e| e.subject_type == "notice").map(|e| e.kind.as_str()).rev().collect();
    assert_eq!(
        kinds,
        [
            "notice.drafted",
            "notice.published",
            "notice.expired",
            "notice.drafted",
            "notice.published",
            "notice.withdrawn"
        ]
    );
    assert_eq!(app.get("/api/v1/notices", Some(&office)).await.json()["notices"][1]["id"], id);
});

story!(only_the_office_publishes_and_bad_notices_change_nothing, |store| {
    store.set_clock(noon_2026(11, 5));
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let good = json!({"kind": "weather", "title": "大风", "body": "今日大风", "valid_from": "2026-11-05T08:00",
        "valid_until": "2026-11-05T20:00", "publish": true});
    for role in
        [Role::Staff, Role::ShiftLeader, Role::Supervisor, Role::Finance, Role::Discipline, Role::Leader]
    {
        let token = app.token(seed.org_id, &format!("u-{}", role.as_str()), role).await;
        let r = app.post_json("/api/v1/notices", Some(&token), good.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{role:?}");
    }
    let r = app.post_json("/api/v1/notices", None, good.clone()).await;
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
    // An outage without its area, a window that ends before it starts, an
    // unknown kind: each named, nothing written.
    let mut bad = good.clone();
    bad["kind"] = json!("outage");
    bad["valid_until"] = json!("2026-11-05T07:00");
    let r = app.post_json("/api/v1/notices", Some(&office), bad).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let body = r.json();
    let fields: Vec<&str> =
        body["details"].as_array().unwrap().iter().map(|d| d["field"].as_str().unwrap()).collect();
    assert_eq!(fields, ["area", "valid_until"]);
    let list = app.get("/api/v1/notices", Some(&office)).await.json();
    assert_eq!(list["notices"].as_array().unwrap().len(), 0);
    // Another organisation's notice is not found.
    let other = app.seed("XY").await;
    let theirs = app.token(other.org_id, "office-xy", Role::Office).await;
    let id =
        app.post_json("/api/v1/notices", Some(&theirs), good).await.json()["notice"]["id"].as_i64().unwrap();
    let r = app
        .post_json(&format!("/api/v1/notices/{id}/withdrawal"), Some(&office), json!({"reason": "x"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND);
    assert_eq!(
        app.get("/api/v1/public/notices/TY", None).await.json()["notices"].as_array().unwrap().len(),
        0
    );
    assert_eq!(
        app.get("/api/v1/public/notices/XY", None).await.json()["notices"].as_array().unwrap().len(),
        1
    );
});

story!(the_public_pages_show_what_is_valid_now_and_the_packs_commitments, |store| {
    store.set_clock(noon_2026(11, 5));
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let notice = json!({"kind": "weather", "title": "大风蓝色预警", "body": "今日有6级大风\n请注意行车安全",
        "valid_from": "2026-11-05T08:00", "valid_until": "2026-11-05T20:00", "publish": true});
    let r = app.post_json("/api/v1/notices", Some(&office), notice).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let token = app.store.service_point(seed.org_id, seed.point_id).await.unwrap().public_token;
    for path in ["/o/TY".to_string(), format!("/p/{token}")] {
        let page = app.get(&path, None).await.text();
        // The notice, each paragraph its own; the toll pack's commitments
        // (seed 000) and a station's hours, every day without listing weekends.
        assert!(page.contains("大风蓝色预警"), "{path}");
        assert!(page.contains("<p class=\"data\">请注意行车安全</p>"), "{path}");
        assert!(page.contains("投诉24小时内调查清楚，48小时内予以处理"), "{path}");
        assert!(page.contains("收费站：每天 00:00–24:00"), "{path}");
    }
    app.get("/lang/en", None).await;
    let page = app.get("/o/TY", None).await.text();
    assert!(page.contains("Every complaint investigated within 24 hours"), "{page}");
    assert!(page.contains("Every day 00:00–24:00"));
    // After the window, the notice is gone and the commitments stay.
    app.store.set_clock(noon_2026(11, 5) + 8 * HOUR + 1);
    let page = app.get("/o/TY", None).await.text();
    assert!(!page.contains("大风蓝色预警") && page.contains("48 hours"));
});
