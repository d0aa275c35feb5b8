//! Who may do what (issue 16), through the real router on both backends:
//! nobody decides, waives, handles or unmasks anything about themselves,
//! and complaints about leaders are the discipline body's alone.

use axum::http::StatusCode;
use chuangkou_domain::Role;
use chuangkou_store::story;
use serde_json::json;

use crate::common::{PASSWORD, TestApp};

story!(nobody_decides_appeals_or_waives_an_entry_about_themselves, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let office2 = app.token(seed.org_id, "office2", Role::Office).await;
    // The leader 赵建国 has a staff record of his own.
    let zhao = app.staff(seed.org_id, "0001", "赵建国").await;
    let leader = app.staff_token(seed.org_id, "leader", Role::Leader, zhao).await;
    store.set_clock(chuangkou_store::testing::noon_2026(11, 5));
    // A breach of his is recorded; the rules propose a violation and a 200-yuan fine about him.
    let fact = json!({"kind": "violation", "staff_id": zhao, "rule_code": "TY-U1", "note": "未按规定着装", "date": "2026-11-05"});
    let r = app.post_json("/api/v1/ledger/facts", Some(&office), fact).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let mut fine = None;
    for id in r.json()["proposed"].as_array().unwrap() {
        let id = id.as_i64().unwrap();
        let e = app.get(&format!("/api/v1/ledger/entries/{id}"), Some(&office)).await.json();
        let url = format!("/api/v1/ledger/entries/{id}/decision");
        // He cannot approve an entry about himself: 403 with the reason, nothing changed.
        let r = app.post_json(&url, Some(&leader), json!({"approve": false})).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
        assert!(r.json()["message"].as_str().unwrap().contains("about themselves"), "{}", r.text());
        let still = app.get(&format!("/api/v1/ledger/entries/{id}"), Some(&office)).await.json();
        assert_eq!(still["entry"]["status"], "proposed");
        // The office's second clerk approves (the first proposed it).
        let r = app.post_json(&url, Some(&office2), json!({"approve": true})).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        if e["entry"]["kind"] == "fine" {
            fine = Some(id);
        }
    }
    let entry = fine.expect("a fine was proposed");
    // He appeals it (the person concerned may) but cannot decide his own appeal.
    let r = app
        .post_json(
            &format!("/api/v1/ledger/entries/{entry}/appeal"),
            Some(&leader),
            json!({"reason": "当天在外开会"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = app
        .post_json(
            &format!("/api/v1/ledger/entries/{entry}/appeal/decision"),
            Some(&leader),
            json!({"outcome": "granted", "decision": "准"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    // Nor waive his fine; a waiver passes two approvers, never one twice.
    let fines = app.get("/api/v1/ledger/fines", Some(&office)).await.json();
    let fine_id = fines["fines"][0]["id"].as_i64().unwrap();
    let waive = |reason: &str| json!({"reason": reason});
    let url = format!("/api/v1/ledger/fines/{fine_id}/waiver");
    assert_eq!(app.post_json(&url, Some(&leader), waive("免")).await.status, StatusCode::FORBIDDEN);
    let r = app.post_json(&url, Some(&office), waive("初次，经研究提请免除")).await;
    assert_eq!(
        (r.status, r.json()["status"].as_str()),
        (StatusCode::OK, Some("waiver_proposed")),
        "{}",
        r.text()
    );
    let r = app.post_json(&url, Some(&office), waive("确认")).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "the proposer does not confirm: {}", r.text());
    let r = app.post_json(&url, Some(&office2), waive("同意")).await;
    assert_eq!((r.status, r.json()["status"].as_str()), (StatusCode::OK, Some("waived")), "{}", r.text());
});

story!(the_person_a_complaint_is_about_never_reveals_handles_or_notes_it, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    // An office clerk who is also the staff member complained about.
    let wang = app.staff(seed.org_id, "C0101", "王静").await;
    let subject = app.staff_token(seed.org_id, "wangjing", Role::Office, wang).await;
    let body = json!({"kind": "complaint", "category": "attitude", "description": "办公室王静推诿", "subject_staff_id": wang,
        "reporter_name": "李先生", "reporter_phone": "13812345678"});
    let r = app.post_json("/api/v1/cases", Some(&office), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = chuangkou_domain::CaseId::new(r.json()["id"].as_i64().unwrap());
    let r = app.get(&format!("/api/v1/cases/{id}"), Some(&subject)).await;
    assert_eq!(r.status, StatusCode::OK);
    // Neither the number nor its masked form (a bare "1381" could be part
    // of a timestamp).
    let text = r.text();
    assert!(
        r.json().get("reporter").is_none() && !text.contains("13812345678") && !text.contains("138****"),
        "{text}"
    );
    let r =
        app.post_json(&format!("/api/v1/cases/{id}/reveal"), Some(&subject), json!({"reason": "回访"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    assert!(!r.text().contains("李先生"));
    for action in [json!({"action": "note", "text": "我没有推诿"}), json!({"action": "start"})] {
        let r = app.post_json(&format!("/api/v1/cases/{id}/actions"), Some(&subject), action).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    }
    // Nor does she write the one-time notice on it, at the API or the desk.
    let guide = json!({"code": "G-FEE", "title": "通行费争议复核", "basis": "《收费公路管理条例》", "track": "complaint",
        "materials": [{"name": "通行凭证", "required": true, "original": true, "count": 1}]});
    assert_eq!(app.post_json("/api/v1/guides", Some(&office), guide).await.status, StatusCode::CREATED);
    let notify = json!({"guide": "G-FEE", "missing": ["通行凭证"]});
    let r = app.post_json(&format!("/api/v1/cases/{id}/one-time-notices"), Some(&subject), notify).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    app.sign_in("wangjing", PASSWORD).await;
    let r = app
        .post_form(
            &format!("/console/cases/{id}/one-time-notice"),
            &[("guide", "G-FEE"), ("missing", "通行凭证")],
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    app.cookies.clear();
    assert!(store.one_time_notices(seed.org_id, id).await.unwrap().is_empty(), "nothing recorded");
    // Never handed to her.
    let me = store.user_by_username("wangjing").await.unwrap().id;
    let r = app
        .post_json(
            &format!("/api/v1/cases/{id}/actions"),
            Some(&office),
            json!({"action": "handover", "to_user_id": me}),
        )
        .await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    // The office reveals as before (recorded).
    let r =
        app.post_json(&format!("/api/v1/cases/{id}/reveal"), Some(&office), json!({"reason": "回访"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("李先生"));
});

story!(complaints_about_leaders_are_seen_and_handled_by_the_discipline_body_alone, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let office2 = app.token(seed.org_id, "office2", Role::Office).await;
    let zhao = app.staff(seed.org_id, "0001", "赵建国").await;
    let leader = app.staff_token(seed.org_id, "leader", Role::Leader, zhao).await;
    let other_leader = app.token(seed.org_id, "leader2", Role::Leader).await;
    let shift = app.token(seed.org_id, "shift", Role::ShiftLeader).await;
    let discipline = app.token(seed.org_id, "jijian", Role::Discipline).await;
    let body = json!({"kind": "complaint", "category": "leader", "description": "站长吃拿卡要", "subject_staff_id": zhao,
        "reporter_phone": "13912345678"});
    let r = app.post_json("/api/v1/cases", Some(&office), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    let case = format!("/api/v1/cases/{id}");
    for who in [&leader, &other_leader, &shift, &office2] {
        assert_eq!(app.get(&case, Some(who)).await.status, StatusCode::NOT_FOUND);
        let list = app.get("/api/v1/cases?inbox=all", Some(who)).await.json();
        assert!(list["cases"].as_array().unwrap().iter().all(|c| c["id"] != id), "hidden from lists");
        let found = app.get("/api/v1/cases?inbox=all&q=%E5%90%83%E6%8B%BF", Some(who)).await.json();
        assert!(found["cases"].as_array().unwrap().is_empty(), "and from search");
    }
    // The discipline body sees it in its queue, with the reporter masked, and handles it.
    let list = app.get("/api/v1/cases?inbox=all", Some(&discipline)).await.json();
    assert!(list["cases"].as_array().unwrap().iter().any(|c| c["id"] == id));
    let r = app.get(&case, Some(&discipline)).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.json()["reporter"]["phone"].as_str().unwrap().contains('*'), "{}", r.text());
    let r = app.post_json(&format!("{case}/actions"), Some(&discipline), json!({"action": "start"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    // Nor does the event log tell a leader the complaint exists.
    let log = app.get("/api/v1/events?limit=200", Some(&leader)).await.json();
    assert!(
        log["events"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| !(e["subject_type"] == "case" && e["subject_id"] == id)),
        "{log}"
    );
    // The public feedback form offers the category.
    let point = store.service_point(seed.org_id, seed.point_id).await.unwrap();
    let html = app.get(&format!("/p/{}/feedback", point.public_token), None).await.text();
    assert!(html.contains("领导干部作风"), "the category is offered");
});

story!(the_duplicate_probe_answers_only_desk_roles_and_only_with_what_they_may_see, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let shift = app.token(seed.org_id, "shift", Role::ShiftLeader).await;
    let staff = app.token(seed.org_id, "worker", Role::Staff).await;
    let supervisor = app.token(seed.org_id, "sup", Role::Supervisor).await;
    let zhao = app.staff(seed.org_id, "0001", "赵建国").await;
    let subject = app.staff_token(seed.org_id, "chen", Role::Office, seed.staff_id).await;
    // A complaint about the collector, and one about a leader, from the same phone.
    for (category, who, text) in
        [("attitude", seed.staff_id, "收费员态度恶劣扔卡"), ("leader", zhao, "站长态度恶劣吃拿卡要")]
    {
        let body = json!({"kind": "complaint", "category": category, "description": text, "subject_staff_id": who,
            "reporter_phone": "13812345678"});
        assert_eq!(app.post_json("/api/v1/cases", Some(&office), body).await.status, StatusCode::CREATED);
    }
    let probe = json!({"description": "态度恶劣", "reporter_phone": "13812345678"});
    for who in [&staff, &supervisor] {
        let r = app.post_json("/api/v1/cases/duplicates", Some(who), probe.clone()).await;
        assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    }
    // The shift leader finds the ordinary one, never the one about a leader.
    let r = app.post_json("/api/v1/cases/duplicates", Some(&shift), probe.clone()).await;
    let found = r.json()["duplicates"].as_array().unwrap().clone();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0]["description"].as_str().unwrap().contains("收费员"));
    // The collector, an office clerk here, never learns by phone who complained about her.
    let r = app.post_json("/api/v1/cases/duplicates", Some(&subject), probe.clone()).await;
    assert!(r.json()["duplicates"].as_array().unwrap().is_empty(), "{}", r.text());
    // The registering office sees both (it registered the one about the leader).
    let r = app.post_json("/api/v1/cases/duplicates", Some(&office), probe).await;
    assert_eq!(r.json()["duplicates"].as_array().unwrap().len(), 2, "{}", r.text());
});

story!(a_photo_is_refused_for_who_may_not_add_it_before_it_is_decoded, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let supervisor = app.token(seed.org_id, "sup", Role::Supervisor).await;
    let other = app.token(seed.org_id, "sup2", Role::Supervisor).await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let r = app
        .post_json(
            "/api/v1/inspections",
            Some(&supervisor),
            json!({
            "kind": "routine", "mode": "secret", "target_kind": "staff", "target_id": seed.staff_id,
            "items": [{"rule_code": "TY-U2", "result": "fail", "note": "未用文明用语"}]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = r.json()["id"].as_i64().unwrap();
    let item =
        app.get(&format!("/api/v1/inspections/{id}"), Some(&supervisor)).await.json()["items"][0]["id"]
            .as_i64()
            .unwrap();
    let url = format!("/api/v1/inspections/{id}/items/{item}/photos");
    // Not even read: the office may see the inspection but is not its inspector; the
    // other supervisor may not see it at all. (Before, both bodies were decoded first.)
    let junk = b"\x89PNG\r\n\x1a\n-not-an-image".to_vec();
    let r = app.request(axum::http::Method::POST, &url, Some(&office), "image/png", junk.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    let r = app.request(axum::http::Method::POST, &url, Some(&other), "image/png", junk.clone()).await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "{}", r.text());
    // The inspector's junk is read, and refused as not a photo.
    let r = app.request(axum::http::Method::POST, &url, Some(&supervisor), "image/png", junk).await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "bad_photo".to_string()));
    // A real one is kept; the full photo downloads, the thumbnail shows inline.
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(image::RgbImage::new(4, 4))
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .unwrap();
    let r = app.request(axum::http::Method::POST, &url, Some(&supervisor), "image/png", png).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let photo = r.json()["id"].as_i64().unwrap();
    let full = app.get(&format!("/api/v1/photos/{photo}"), Some(&office)).await;
    assert!(full.headers["content-disposition"].to_str().unwrap().starts_with("attachment"));
    let thumb = app.get(&format!("/api/v1/photos/{photo}/thumb"), Some(&office)).await;
    assert_eq!(thumb.headers["content-disposition"], "inline");
});

story!(a_post_from_another_site_is_refused_and_public_forms_are_limited_per_address, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let point = store.service_point(seed.org_id, seed.point_id).await.unwrap();
    app.get(&format!("/p/{}/feedback", point.public_token), None).await;
    let csrf = app.cookie("ck_csrf").unwrap();
    let form = |n: usize, origin: Option<&str>| {
        let body = format!(
            "kind=suggestion&category=general&description=%E5%BB%BA%E8%AE%AE{n}&name=&phone=&plate=&_csrf={csrf}"
        );
        let mut b = axum::http::Request::builder()
            .method("POST")
            .uri(format!("/p/{}/feedback", point.public_token))
            .header("content-type", "application/x-www-form-urlencoded")
            .header("host", "ck.test");
        if let Some(o) = origin {
            b = b.header("origin", o);
        }
        b.body(axum::body::Body::from(body)).unwrap()
    };
    // Another site's page posting the form, even with a stolen token, is refused.
    let r = app.send(form(0, Some("https://evil.example"))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "{}", r.text());
    // This site's own form goes through, ten an hour from one address; the eleventh is told to wait.
    for n in 1..=10 {
        let r = app.send(form(n, Some("http://ck.test"))).await;
        assert_eq!(r.status, StatusCode::OK, "{n}: {}", r.text());
    }
    let r = app.send(form(11, Some("http://ck.test"))).await;
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(r.text().contains("提交太频繁") && r.text().contains("<html"), "a readable page: {}", r.text());
});

story!(a_replayed_write_answers_the_first_answer_and_writes_nothing_more, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let case = json!({"kind": "complaint", "category": "attitude", "description": "态度生硬", "reporter_phone": "13800000000"});
    let first = send(&mut app, "/api/v1/cases", "k-1", case.clone(), Some(&office)).await;
    assert_eq!(first.status, StatusCode::CREATED, "{}", first.text());
    let again = send(&mut app, "/api/v1/cases", "k-1", case.clone(), Some(&office)).await;
    assert_eq!(again.status, StatusCode::CREATED);
    assert_eq!(again.headers["idempotent-replayed"], "true");
    assert_eq!(again.json()["number"], first.json()["number"], "the first answer again");
    assert_eq!(again.json()["tracking_code"], first.json()["tracking_code"]);
    let other = json!({"kind": "complaint", "category": "attitude", "description": "另一件事"});
    let r = send(&mut app, "/api/v1/cases", "k-1", other, Some(&office)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "{}", r.text());
    let all = app.get("/api/v1/cases?inbox=all", Some(&office)).await.json();
    assert_eq!(all["cases"].as_array().unwrap().len(), 1, "one case, not two");
    // Ratings from the public, by the point's organisation.
    let point = store.service_point(seed.org_id, seed.point_id).await.unwrap();
    let rating = json!({"point": point.public_token, "level": 2, "device": "phone-1"});
    let a = send(&mut app, "/api/v1/ratings", "r-1", rating.clone(), None).await;
    let b = send(&mut app, "/api/v1/ratings", "r-1", rating, None).await;
    assert_eq!((a.status, b.status), (StatusCode::CREATED, StatusCode::CREATED), "{}", a.text());
    assert_eq!(a.json()["id"], b.json()["id"]);
    let cases = app.get("/api/v1/cases?inbox=all", Some(&office)).await.json();
    assert_eq!(cases["cases"].as_array().unwrap().len(), 2, "the bad rating opened one case, once");
    // The ledger: a fact recorded twice with one key is recorded once.
    let fact =
        json!({"kind": "violation", "staff_id": seed.staff_id, "rule_code": "TY-U1", "note": "未着装"});
    let a = send(&mut app, "/api/v1/ledger/facts", "f-1", fact.clone(), Some(&office)).await;
    let b = send(&mut app, "/api/v1/ledger/facts", "f-1", fact, Some(&office)).await;
    assert_eq!((a.status, b.status), (StatusCode::CREATED, StatusCode::CREATED), "{}", a.text());
    assert_eq!(a.json()["fact_id"], b.json()["fact_id"]);
});

story!(a_public_form_sent_twice_registers_one_case, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let point = store.service_point(seed.org_id, seed.point_id).await.unwrap();
    let page = app.get(&format!("/p/{}/feedback", point.public_token), None).await.text();
    let once = page.split("name=\"once\" value=\"").nth(1).unwrap().split('"').next().unwrap().to_string();
    assert_eq!(once.len(), 32, "the copy of the form has its token");
    let fields = [
        ("kind", "complaint"),
        ("category", "attitude"),
        ("description", "收费员态度生硬"),
        ("name", ""),
        ("phone", ""),
        ("plate", ""),
        ("once", once.as_str()),
    ];
    let url = format!("/p/{}/feedback", point.public_token);
    let first = app.post_form(&url, &fields).await.text();
    let second = app.post_form(&url, &fields).await.text();
    let number =
        |html: &str| html.split("id=\"case-number\">").nth(1).unwrap().split('<').next().unwrap().to_string();
    assert_eq!(number(&first), number(&second), "the same case");
    assert!(first.contains("tracking-code") && !second.contains("tracking-code"), "the code is shown once");
    let all = app.get("/api/v1/cases?inbox=all", Some(&office)).await.json();
    assert_eq!(all["cases"].as_array().unwrap().len(), 1);
});

/// A JSON POST with an `Idempotency-Key`.
async fn send(
    app: &mut TestApp,
    path: &str,
    key: &str,
    body: serde_json::Value,
    token: Option<&str>,
) -> crate::common::Reply {
    let mut b = axum::http::Request::builder()
        .method("POST")
        .uri(path)
        .header("content-type", "application/json")
        .header("idempotency-key", key);
    if let Some(t) = token {
        b = b.header("authorization", format!("Bearer {t}"));
    }
    app.send(b.body(axum::body::Body::from(body.to_string())).unwrap()).await
}
