//! Cases through HTTP: the API, confidentiality, the public portal and
//! tracking, and Open311 — on SQLite and PostgreSQL.

use axum::http::{Method, StatusCode};
use chuangkou_domain::Role;
use chuangkou_store::story;
use chuangkou_store::users::NewUser;
use serde_json::{Value, json};

use crate::common::{PASSWORD, Seed, TestApp, multipart_files, urlencode};
use crate::schema::validate;

const CANARY_NAME: &str = "CANARY-NAME-4b1d9e";
const CANARY_PHONE: &str = "13900004242";
const CANARY_MASKED: &str = "139****4242";

/// The text with every run of 16 or more hex digits (CSRF tokens, hashes)
/// cut out, so that a leak check on digits cannot fail by chance.
fn without_hex_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run = String::new();
    for c in text.chars() {
        if c.is_ascii_hexdigit() {
            run.push(c);
            continue;
        }
        if run.len() < 16 {
            out.push_str(&run);
        }
        run.clear();
        out.push(c);
    }
    if run.len() < 16 {
        out.push_str(&run);
    }
    out
}

async fn register(app: &mut TestApp, token: &str, seed: &Seed) -> Value {
    let r = app
        .post_json(
            "/api/v1/cases?duplicates=true",
            Some(token),
            json!({
                "kind": "complaint", "channel": "hotline", "category": "attitude",
                "description": "出口车道收费员态度生硬，扔卡", "service_point_id": seed.point_id,
                "subject_staff_id": seed.staff_id, "reporter_name": CANARY_NAME, "reporter_phone": CANARY_PHONE,
            }),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    r.json()
}

/// The staff member the case is about, signed in both by token and cookie.
async fn subject_user(app: &mut TestApp, seed: &Seed) -> String {
    let hash = chuangkou_web::auth::hash_password(PASSWORD.into()).await.unwrap();
    let u = app
        .store
        .create_user(
            seed.org_id,
            "test",
            &NewUser {
                username: "collector",
                display_name: "陈晓燕",
                password_hash: &hash,
                role: Role::Staff,
                staff_id: Some(seed.staff_id),
            },
        )
        .await
        .unwrap();
    app.store.create_api_token(&u, "t").await.unwrap().1
}

story!(the_staff_member_a_case_is_about_never_sees_the_reporter, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let case = register(&mut app, &office, &seed).await;
    let id = case["id"].as_i64().unwrap();
    let staff = subject_user(&mut app, &seed).await;
    // Move the case on so that notifications and events exist.
    app.post_json(&format!("/api/v1/cases/{id}/actions"), Some(&office), json!({"action": "start"})).await;
    app.post_json(
        &format!("/api/v1/cases/{id}/actions"),
        Some(&office),
        json!({"action": "note", "text": "已调取录像"}),
    )
    .await;

    let mut bodies = Vec::new();
    for path in [
        "/api/v1/cases".to_string(),
        "/api/v1/cases?inbox=mine".into(),
        format!("/api/v1/cases?q={}", urlencode(CANARY_NAME)),
        format!("/api/v1/cases?q={CANARY_PHONE}"),
        format!("/api/v1/cases/{id}"),
        "/api/v1/notifications".into(),
        "/api/v1/events".into(),
        format!("/api/v1/staff/{}", seed.staff_id),
    ] {
        bodies.push((path.clone(), app.get(&path, Some(&staff)).await));
    }
    let r = app
        .post_json(&format!("/api/v1/cases/{id}/reveal"), Some(&staff), json!({"reason": "想知道是谁"}))
        .await;
    assert_eq!(r.status, StatusCode::NOT_FOUND, "staff cannot reveal, and learn nothing from trying");
    bodies.push(("reveal".into(), r));
    let r =
        app.post_json(&format!("/api/v1/cases/{id}/actions"), Some(&staff), json!({"action": "close"})).await;
    bodies.push(("refused action".into(), r));
    // And in the console.
    app.sign_in("collector", PASSWORD).await;
    for path in [
        "/console/cases".to_string(),
        format!("/console/cases/{id}"),
        format!("/console/cases?q={}", urlencode(CANARY_NAME)),
    ] {
        bodies.push((path.clone(), app.get(&path, None).await));
    }
    let search = app.get(&format!("/console/cases?q={}", urlencode(CANARY_NAME)), None).await.text();
    assert!(search.contains("没有案件"), "searching the reporter's name finds nothing");
    let own_case = app.get(&format!("/api/v1/cases/{id}"), Some(&staff)).await;
    assert_eq!(own_case.status, StatusCode::OK, "the staff member sees the case about them");
    assert!(own_case.json().get("reporter").is_none());
    assert_eq!(own_case.json()["case"]["has_reporter"], false);
    for (path, r) in &bodies {
        // A search page echoes what its user typed; that is not a leak.
        // Tokens and hashes are long hex runs that may hold "4242" by chance.
        let text = without_hex_runs(&r.text().replace(&format!("value=\"{CANARY_NAME}\""), ""));
        for canary in [CANARY_NAME, CANARY_PHONE, CANARY_MASKED, "4242"] {
            assert!(!text.contains(canary), "{path} leaked {canary}: {text}");
        }
    }
    // The office sees it masked, and whole only by a recorded reveal.
    let office_view = app.get(&format!("/api/v1/cases/{id}"), Some(&office)).await.json();
    assert_eq!(office_view["reporter"]["phone"], CANARY_MASKED);
    let revealed = app
        .post_json(&format!("/api/v1/cases/{id}/reveal"), Some(&office), json!({"reason": "回访"}))
        .await
        .json();
    assert_eq!(revealed["name"], CANARY_NAME);
    let events = app.store.events(seed.org_id, None, 100).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind == "case.reporter_revealed").count(), 1);
    assert!(
        events.iter().all(|e| !e.payload.contains(CANARY_NAME) && !e.payload.contains(CANARY_PHONE)),
        "nothing personal in the chain"
    );
});

story!(the_api_takes_a_case_from_registration_to_closing, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let case = register(&mut app, &office, &seed).await;
    let id = case["id"].as_i64().unwrap();
    assert!(case["number"].as_str().unwrap().starts_with("TY-"));
    assert_eq!(case["tracking_code"].as_str().unwrap().len(), 39);
    let act = |a: Value| (format!("/api/v1/cases/{id}/actions"), a);

    let (p, a) = act(json!({"action": "reply", "text": "太早"}));
    let r = app.post_json(&p, Some(&office), a).await;
    assert_eq!((r.status, r.code()), (StatusCode::CONFLICT, "conflict".into()));
    assert!(r.json()["message"].as_str().unwrap().contains("已受理"), "{}", r.text());
    let (p, a) = act(json!({"action": "fly"}));
    assert_eq!(app.post_json(&p, Some(&office), a).await.status, StatusCode::UNPROCESSABLE_ENTITY);

    for a in [
        json!({"action": "start"}),
        json!({"action": "conclude", "finding": "substantiated", "responsibility": "ours", "apology_made": true,
               "summary": "属实，已致歉", "staff_ids": [seed.staff_id], "rule_codes": ["TY-U2"]}),
        json!({"action": "reply", "text": "已对当事收费员批评教育"}),
        json!({"action": "callback", "satisfaction": "satisfied"}),
        json!({"action": "close"}),
    ] {
        let (p, a) = act(a);
        let r = app.post_json(&p, Some(&office), a).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    let view = app.get(&format!("/api/v1/cases/{id}"), Some(&office)).await.json();
    assert_eq!(view["case"]["state"], "closed");
    let kinds: Vec<&str> =
        view["timeline"].as_array().unwrap().iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "case.registered",
            "case.investigation_started",
            "case.concluded",
            "case.replied",
            "case.called_back",
            "case.closed"
        ]
    );
    // The substantiated outcome names the staff and the rule, for the ledger.
    let concluded = &view["timeline"][2]["payload"];
    assert_eq!(concluded["staff_ids"], json!([seed.staff_id]));
    assert_eq!(concluded["rule_codes"], json!(["TY-U2"]));
    // Nothing is ever deleted.
    let r = app
        .request(Method::DELETE, &format!("/api/v1/cases/{id}"), Some(&office), "application/json", "")
        .await;
    assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED);
});

story!(duplicates_are_shown_when_registering, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let first = register(&mut app, &office, &seed).await;
    let second = register(&mut app, &office, &seed).await;
    let dups = second["duplicates"].as_array().unwrap();
    let plain = app
        .post_json("/api/v1/cases", Some(&office), json!({"kind": "complaint", "category": "attitude", "description": "扔卡", "reporter_phone": "13900004242"}))
        .await
        .json();
    assert!(plain.get("duplicates").is_none(), "only when asked");
    // The office sees them on the case page too, ready to merge.
    app.sign_in("office", crate::common::PASSWORD).await;
    let page = app.get(&format!("/console/cases/{}", second["id"]), None).await.text();
    assert!(page.contains("id=\"duplicates\"") && page.contains(first["number"].as_str().unwrap()), "{page}");
    assert_eq!(dups[0]["number"], first["number"]);
    let reasons: Vec<&str> =
        dups[0]["reasons"].as_array().unwrap().iter().map(|r| r.as_str().unwrap()).collect();
    assert_eq!(reasons, ["phone", "service_point", "text"]);
    let probe = app
        .post_json(
            "/api/v1/cases/duplicates",
            Some(&office),
            json!({"description": "完全无关的建议：增加充电桩", "reporter_phone": "13700000000"}),
        )
        .await
        .json();
    assert_eq!(probe["duplicates"], json!([]));
});

story!(a_reporter_attaches_photos_that_only_those_who_see_the_case_see, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let point = app.get(&format!("/api/v1/service-points/{}", seed.point_id), Some(&office)).await.json();
    let url = point["public_url"].as_str().unwrap().trim_start_matches("http://ck.test").to_string();
    app.get(&format!("{url}/feedback"), None).await;
    let csrf = app.cookie("ck_csrf").unwrap();
    let png = chuangkou_store::testing::PNG;
    let fields = [
        ("_csrf", csrf.as_str()),
        ("kind", "complaint"),
        ("category", "attitude"),
        ("description", "收费亭地面有积水，见照片"),
    ];
    let all = chuangkou_store::cases::CaseFilter { limit: 10, ..Default::default() };
    // Four photos, or one that is not a picture: the form comes back and nothing is written.
    let four: Vec<(&str, &str, &str, &[u8])> =
        (0..4).map(|_| ("photos", "a.png", "image/png", png)).collect();
    let (ct, body) = multipart_files(&fields, &four);
    let r = app.request(Method::POST, &format!("{url}/feedback"), None, &ct, body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("最多可附 3 张照片"));
    let (ct, body) = multipart_files(&fields, &[("photos", "x.png", "image/png", b"not a picture")]);
    let r = app.request(Method::POST, &format!("{url}/feedback"), None, &ct, body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(r.text().contains("JPEG 或 PNG"), "{}", r.text());
    assert!(app.store.cases(seed.org_id, &all).await.unwrap().is_empty(), "nothing registered");
    // Two good ones: registered with the case, re-encoded.
    let two = [("photos", "a.png", "image/png", png), ("photos", "b.png", "image/png", png)];
    let (ct, body) = multipart_files(&fields, &two);
    let r = app.request(Method::POST, &format!("{url}/feedback"), None, &ct, body).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let case = app.store.cases(seed.org_id, &all).await.unwrap().remove(0);
    let photos = app.store.case_photos(seed.org_id, case.id).await.unwrap();
    assert_eq!(photos.len(), 2);
    assert!(photos.iter().all(|p| p.1 == "image/jpeg"), "re-encoded, metadata dropped");
    // The office sees them on the case page; the photo answers as an image, never a page.
    app.user(seed.org_id, "office2", Role::Office).await;
    app.sign_in("office2", PASSWORD).await;
    let html = app.get(&format!("/console/cases/{}", case.id), None).await.text();
    let thumb = format!("/console/cases/{}/photos/{}/thumb", case.id, photos[0].0);
    assert!(html.contains(&thumb), "{html}");
    let img = app.get(&thumb, None).await;
    assert_eq!(img.status, StatusCode::OK);
    assert_eq!(img.headers["content-type"], "image/jpeg");
    assert!(img.headers["content-security-policy"].to_str().unwrap().contains("sandbox"));
    // Under another case's number, or to someone who may not see the case: not found.
    let wrong =
        app.get(&format!("/console/cases/{}/photos/{}/thumb", case.id.get() + 1, photos[0].0), None).await;
    assert_eq!(wrong.status, StatusCode::NOT_FOUND);
    let mut other = TestApp::new(app.store.clone());
    other.user(seed.org_id, "plainstaff", Role::Staff).await;
    other.sign_in("plainstaff", PASSWORD).await;
    let refused = other.get(&thumb, None).await;
    assert!(matches!(refused.status, StatusCode::NOT_FOUND | StatusCode::FORBIDDEN), "{}", refused.status);
    // The photos are records: sealed with the case.
    chuangkou_store::testing::assert_records_whole(&app.store).await;
});

story!(a_member_of_the_public_files_from_the_qr_page_and_tracks_it, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let point = app.get(&format!("/api/v1/service-points/{}", seed.point_id), Some(&office)).await.json();
    let url = point["public_url"].as_str().unwrap().trim_start_matches("http://ck.test").to_string();
    let page = app.get(&url, None).await.text();
    assert!(page.contains(&format!("{url}/feedback")), "the QR page links the form");
    let form = app.get(&format!("{url}/feedback"), None).await;
    assert!(
        form.text().contains("name=\"description\"") && !form.text().contains("<script"),
        "works without JavaScript"
    );

    let bad = app
        .post_form(
            &format!("{url}/feedback"),
            &[("kind", "complaint"), ("category", "attitude"), ("description", "")],
        )
        .await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(bad.text().contains("必填"), "a readable error");

    let ok = app
        .post_form(
            &format!("{url}/feedback"),
            &[
                ("kind", "complaint"),
                ("category", "attitude"),
                ("description", "收费员一直在玩手机"),
                ("phone", "13812345678"),
            ],
        )
        .await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    let html = ok.text();
    let grab = |id: &str| {
        let start = html.find(&format!("id=\"{id}\"")).unwrap();
        let rest = &html[start..];
        rest[rest.find('>').unwrap() + 1..rest.find('<').unwrap()].to_string()
    };
    let (number, code) = (grab("case-number"), grab("tracking-code"));
    let case = app.store.case_by_number(seed.org_id, &number).await.unwrap();
    assert_eq!(
        (case.channel.as_str(), case.service_point_id),
        ("web", Some(seed.point_id)),
        "the point is pre-filled"
    );
    assert_eq!(case.owner_id, None, "waits for the office to take it");
    let office_user = app.store.user_by_username("office").await.unwrap().id;
    let r = app
        .post_json(&format!("/api/v1/cases/{}/actions", case.id), Some(&office), json!({"action": "start"}))
        .await;
    assert_eq!(r.json()["case"]["owner_id"], office_user.get(), "starting on it takes it");
    assert_eq!(r.json()["case"]["first_responsible_id"], office_user.get());

    let view = app.post_form("/track", &[("number", &number), ("code", &code)]).await;
    assert_eq!(view.status, StatusCode::OK);
    assert!(view.text().contains("id=\"track-state\">调查中<"), "{}", view.text());
    let wrong = app
        .post_form("/track", &[("number", &number), ("code", "AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA")])
        .await;
    let missing = app.post_form("/track", &[("number", "TY-2099-999999"), ("code", &code)]).await;
    assert_eq!((wrong.status, missing.status), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    let strip = |s: String| {
        s.replace(&number, "")
            .replace("TY-2099-999999", "")
            .replace(&code, "")
            .replace("AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA-AAAA", "")
    };
    assert_eq!(strip(wrong.text()), strip(missing.text()), "a wrong code answers like a missing case");
});

story!(open311_speaks_georeport_v2_in_json_and_xml, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let key = app.token(seed.org_id, "platform12345", Role::Office).await;

    let services = app.get("/open311/v2/services.json?jurisdiction_id=TY", None).await.json();
    assert_eq!(validate("services.json", &services), Vec::<String>::new());
    assert!(services.as_array().unwrap().iter().any(|s| s["service_code"] == "attitude"));
    let def = app.get("/open311/v2/services/attitude.json", None).await.json();
    assert_eq!(validate("service-definition.json", &def), Vec::<String>::new());
    let xml = app.get("/open311/v2/services.xml", None).await;
    assert!(xml.text().contains("<service_code>attitude</service_code>"), "{}", xml.text());

    let body = format!(
        "api_key={key}&jurisdiction_id=TY&service_code=fee&description={}&first_name={}&phone=13711112222",
        urlencode("晋A12345 在武宿站被多收通行费"),
        urlencode("李")
    );
    let created = app
        .request(
            Method::POST,
            "/open311/v2/requests.json",
            None,
            "application/x-www-form-urlencoded",
            body.clone(),
        )
        .await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    let id = created.json()[0]["service_request_id"].as_str().unwrap().to_string();
    let no_key = app
        .request(
            Method::POST,
            "/open311/v2/requests.json",
            None,
            "application/x-www-form-urlencoded",
            body.replace(&key, ""),
        )
        .await;
    assert_eq!(no_key.status, StatusCode::FORBIDDEN);
    assert_eq!(no_key.json()[0]["code"], 403);

    let one = app.get(&format!("/open311/v2/requests/{id}.json?jurisdiction_id=TY"), None).await.json();
    assert_eq!(validate("requests.json", &one), Vec::<String>::new());
    assert_eq!((one[0]["status"].as_str(), one[0]["service_code"].as_str()), (Some("open"), Some("fee")));
    assert!(!one.to_string().contains("13711112222") && !one.to_string().contains("李"), "no personal data");
    let all = app.get("/open311/v2/requests.json?jurisdiction_id=TY&status=open", None).await.json();
    assert_eq!(validate("requests.json", &all), Vec::<String>::new());
    assert_eq!(all.as_array().unwrap().len(), 1);

    // Closing the case shows as closed, with the reply as status notes.
    let case = app.store.case_by_number(seed.org_id, &id).await.unwrap();
    for a in [
        json!({"action": "start"}),
        json!({"action": "conclude", "finding": "unfounded", "responsibility": "reporter", "summary": "收费正确"}),
        json!({"action": "reply", "text": "经核实收费标准正确"}),
        json!({"action": "close"}),
    ] {
        let r = app.post_json(&format!("/api/v1/cases/{}/actions", case.id), Some(&key), a).await;
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    }
    // Anonymous callers get status, service and dates; the organisation's key also the reply and the text.
    let one = app.get(&format!("/open311/v2/requests/{id}.xml"), None).await.text();
    assert!(one.contains("<status>closed</status>") && !one.contains("经核实收费标准正确"), "{one}");
    let all = app.get("/open311/v2/requests.json?jurisdiction_id=TY", None).await.json();
    assert!(all[0]["description"].is_null(), "no description for the public: {all}");
    let one = app.get(&format!("/open311/v2/requests/{id}.xml?api_key={key}"), None).await.text();
    assert!(one.contains("<status>closed</status>") && one.contains("经核实收费标准正确"), "{one}");
    let all =
        app.get(&format!("/open311/v2/requests.json?jurisdiction_id=TY&api_key={key}"), None).await.json();
    assert!(all[0]["description"].as_str().is_some_and(|d| !d.is_empty()), "{all}");
    let bad = app.get(&format!("/open311/v2/requests/{id}.json?api_key=ck_nonsense"), None).await;
    assert_eq!(bad.status, StatusCode::FORBIDDEN);
    let missing = app.get("/open311/v2/requests/TY-2099-000001.json", None).await;
    assert_eq!(missing.status, StatusCode::NOT_FOUND);
});

// Issue 21, points 1-6: what real GeoReport clients send is accepted and
// given back; what XML forbids never gets in; every answer under /open311
// is GeoReport's own shape, with its charset.
story!(open311_takes_what_real_clients_post_and_gives_it_back, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let key = app.token(seed.org_id, "platform12345", Role::Office).await;
    let store = app.store.clone();
    let post = |body: String| {
        let mut app = TestApp::new(store.clone());
        async move {
            app.request(
                Method::POST,
                "/open311/v2/requests.json",
                None,
                "application/x-www-form-urlencoded",
                body,
            )
            .await
        }
    };
    // An address, coordinates, a photo's link, e-mail, device and account,
    // and a description in two paragraphs (\r\n), as the clients send them.
    let body = format!(
        "api_key={key}&jurisdiction_id=TY&service_code=fee&description={}&address_string={}&lat=37.86&long=112.55&address_id=A-17&media_url={}&email=li%40example.com&device_id=dev-1&account_id=acct-9&first_name={}&last_name={}",
        urlencode("多收了通行费。\r\n\r\n请核实。"),
        urlencode("武宿收费站 出口 2 号车道"),
        urlencode("https://example.com/p/1.jpg"),
        urlencode("明"),
        urlencode("李"),
    );
    let created = post(body).await;
    assert_eq!(created.status, StatusCode::CREATED, "{}", created.text());
    assert_eq!(created.headers["content-type"], "application/json; charset=utf-8");
    let id = created.json()[0]["service_request_id"].as_str().unwrap().to_string();
    let case = app.store.case_by_number(seed.org_id, &id).await.unwrap();
    assert_eq!(case.description, "多收了通行费。\n\n请核实。", "paragraphs kept, the address not glued on");
    let origin = app.store.case_origin(seed.org_id, case.id).await.unwrap().unwrap();
    assert_eq!(origin.address.as_deref(), Some("武宿收费站 出口 2 号车道"));
    assert_eq!((origin.lat, origin.long), (Some(37.86), Some(112.55)));
    assert_eq!(origin.email.as_deref(), Some("li@example.com"), "decrypted for the office");
    let raw = app.store.raw_origin_emails_for_test().await;
    assert!(!String::from_utf8_lossy(&raw[0]).contains("example.com"), "encrypted at rest");
    let one = app.get(&format!("/open311/v2/requests/{id}.json?jurisdiction_id=TY"), None).await.json();
    assert_eq!(validate("requests.json", &one), Vec::<String>::new());
    assert_eq!(one[0]["address"], "武宿收费站 出口 2 号车道");
    assert_eq!((one[0]["lat"].as_f64(), one[0]["long"].as_f64()), (Some(37.86), Some(112.55)));
    assert_eq!(
        (one[0]["address_id"].as_str(), one[0]["media_url"].as_str()),
        (Some("A-17"), Some("https://example.com/p/1.jpg"))
    );
    assert!(!one.to_string().contains("li@example.com"), "no e-mail given back");
    // Only a service and a place: accepted; the case says no description came.
    let bare = post(format!("api_key={key}&service_code=fee&lat=37.8&long=112.5")).await;
    assert_eq!(bare.status, StatusCode::CREATED, "{}", bare.text());
    let bare_id = bare.json()[0]["service_request_id"].as_str().unwrap().to_string();
    assert!(
        app.store.case_by_number(seed.org_id, &bare_id).await.unwrap().description.contains("no description")
    );
    // A photo sent as `three` sends it: multipart, in `media`; checked and attached.
    let (ct, body) = multipart_files(
        &[
            ("api_key", key.as_str()),
            ("service_code", "fee"),
            ("description", "附照片"),
            ("address_string", "小店"),
        ],
        &[("media", "photo.png", "image/png", chuangkou_store::testing::PNG)],
    );
    let r = app.request(Method::POST, "/open311/v2/requests.json", None, &ct, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let with_photo = app
        .store
        .case_by_number(seed.org_id, r.json()[0]["service_request_id"].as_str().unwrap())
        .await
        .unwrap();
    assert_eq!(app.store.case_photos(seed.org_id, with_photo.id).await.unwrap().len(), 1);
    let (ct, body) = multipart_files(
        &[("api_key", key.as_str()), ("service_code", "fee")],
        &[("media", "x.png", "image/png", b"nope")],
    );
    let r = app.request(Method::POST, "/open311/v2/requests.json", None, &ct, body).await;
    assert_eq!((r.status, r.json()[0]["code"].as_i64()), (StatusCode::BAD_REQUEST, Some(400)));
    // The key may come in the query string.
    let r = app
        .request(
            Method::POST,
            &format!("/open311/v2/requests.json?api_key={key}"),
            None,
            "application/x-www-form-urlencoded",
            "service_code=fee&description=x".to_string(),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // Unknown service: 404; bad coordinates: 400; U+FFFE refused at intake.
    let r = post(format!("api_key={key}&service_code=nope&description=x")).await;
    assert_eq!((r.status, r.json()[0]["code"].as_i64()), (StatusCode::NOT_FOUND, Some(404)));
    let r = post(format!("api_key={key}&service_code=fee&lat=91&long=0")).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    let r = post(format!("api_key={key}&service_code=fee&description={}", urlencode("坏\u{FFFE}字"))).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "{}", r.text());
    // Empty arguments are absent; service_code takes a list.
    let all = app
        .get("/open311/v2/requests.json?jurisdiction_id=TY&status=&service_code=&start_date=", None)
        .await
        .json();
    assert_eq!(all.as_array().unwrap().len(), 4, "{all}");
    let listed = app.get("/open311/v2/requests.json?service_code=attitude,fee", None).await.json();
    assert_eq!(listed.as_array().unwrap().len(), 4);
    let none = app.get("/open311/v2/requests.json?service_code=attitude", None).await.json();
    assert_eq!(none.as_array().unwrap().len(), 0);
    let bad_date = app.get("/open311/v2/requests.json?start_date=yesterday", None).await;
    assert_eq!(bad_date.status, StatusCode::BAD_REQUEST);
    // XML is well-formed and has its charset.
    let xml = app.get(&format!("/open311/v2/requests/{id}.xml?api_key={key}"), None).await;
    assert_eq!(xml.headers["content-type"], "text/xml; charset=utf-8");
    assert!(
        xml.text().contains("<lat>37.86</lat>") && xml.text().contains("<address_id>A-17</address_id>"),
        "{}",
        xml.text()
    );
    // Discovery, tokens, and unknown paths answer in GeoReport's shape.
    let d = app.get("/open311/discovery.json", None).await;
    assert_eq!(d.status, StatusCode::OK);
    assert!(d.json()["endpoints"][0]["url"].as_str().unwrap().ends_with("/open311/v2"));
    assert!(app.get("/open311/v2/discovery.xml", None).await.text().contains("<discovery>"));
    let t = app.get("/open311/v2/tokens/abc.json", None).await;
    assert_eq!((t.status, t.json()[0]["code"].as_i64()), (StatusCode::NOT_FOUND, Some(404)));
    for path in ["/open311/v2/nothing/here.json", "/open311/v3/services.json", "/open311/v2/requests.csv"] {
        let r = app.get(path, None).await;
        assert_eq!(r.status, StatusCode::NOT_FOUND, "{path}");
        assert_eq!(r.json()[0]["code"], 404, "{path}: {}", r.text());
    }
    assert!(app.get("/open311/v2/nothing.xml/x.xml", None).await.text().contains("<errors>"));
});

story!(the_console_inbox_filters_by_category_channel_unit_and_period, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let case = register(&mut app, &office, &seed).await;
    app.sign_in("office", PASSWORD).await;
    let number = case["number"].as_str().unwrap();
    // Every field of the form, empty unless set, as a browser sends them.
    let list = |set: &[(&str, &str)]| {
        let fields = ["inbox", "q", "state", "category", "channel", "unit_id", "since", "until"];
        let pairs: Vec<String> = fields
            .iter()
            .map(|f| {
                let v = set
                    .iter()
                    .find(|(k, _)| k == f)
                    .map_or(if *f == "inbox" { "all" } else { "" }, |(_, v)| *v);
                format!("{f}={}", urlencode(v))
            })
            .collect();
        format!("/console/cases?{}", pairs.join("&"))
    };
    let station = seed.station_id.to_string();
    let found = |r: &crate::common::Reply| {
        assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        r.text().contains(number)
    };
    assert!(found(&app.get(&list(&[]), None).await), "empty form fields are no filter");
    assert!(found(&app.get(&list(&[("category", "attitude")]), None).await));
    assert!(!found(&app.get(&list(&[("category", "fee")]), None).await));
    assert!(found(&app.get(&list(&[("unit_id", &station)]), None).await));
    assert!(found(&app.get(&list(&[("channel", "hotline")]), None).await));
    assert!(!found(&app.get(&list(&[("channel", "letter")]), None).await));
    assert!(!found(&app.get(&list(&[("since", "2099-01-01")]), None).await));
    assert!(found(&app.get(&list(&[("since", "2020-01-01"), ("until", "2099-12-31")]), None).await));
    assert!(found(&app.get(&list(&[("inbox", "mine"), ("q", "扔卡")]), None).await));
    let bad = app.get(&list(&[("since", "yesterday")]), None).await;
    assert_eq!(bad.status, StatusCode::UNPROCESSABLE_ENTITY);
    // The next page keeps the filters: a page of one attitude complaint
    // leads to the other, not to the fee dispute registered in between.
    let fee = json!({"kind": "complaint", "channel": "hotline", "category": "fee",
        "description": "多收了通行费", "service_point_id": seed.point_id});
    let fee = app.post_json("/api/v1/cases", Some(&office), fee).await;
    assert_eq!(fee.status, StatusCode::CREATED, "{}", fee.text());
    let newest = register(&mut app, &office, &seed).await;
    let first = app.get(&format!("{}&limit=1", list(&[("category", "attitude")])), None).await.text();
    assert!(first.contains(newest["number"].as_str().unwrap()));
    let more = first
        .split("href=\"")
        .map(|h| h[..h.find('"').unwrap_or(0)].replace("&#38;", "&"))
        .find(|h| h.starts_with("/console/cases?") && h.contains("before="))
        .expect("a link to the next page");
    assert!(more.contains("category=attitude") && more.contains("limit=1"), "{more}");
    let second = app.get(&more, None).await.text();
    assert!(second.contains(number), "the older attitude complaint is on the next page");
    let fee_number = fee.json()["number"].as_str().unwrap().to_string();
    assert!(!second.contains(&fee_number), "the fee dispute is filtered out: {fee_number} {second}");
});

story!(escalations_reach_the_shift_leaders_notification_page, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    app.user(seed.org_id, "shiftlead", Role::ShiftLeader).await;
    let case = register(&mut app, &office, &seed).await;
    app.store.advance_clock(24 * 3_600_000 + 1);
    app.store.sweep_timers(&chuangkou_domain::policy::PolicySet::builtin()).await.unwrap();
    app.sign_in("shiftlead", PASSWORD).await;
    let page = app.get("/console/notifications", None).await.text();
    assert!(page.contains(case["number"].as_str().unwrap()) && page.contains("已升级至值班站长"), "{page}");
});

story!(the_desk_form_warns_of_duplicates_before_registering, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let first = register(&mut app, &office, &seed).await;
    app.sign_in("office", PASSWORD).await;
    assert!(app.get("/console/cases/new", None).await.text().contains("id=\"case-form\""));
    let fields = [
        ("kind", "complaint"),
        ("channel", "walk_in"),
        ("category", "attitude"),
        ("track", ""),
        ("service_point_id", ""),
        ("unit_id", ""),
        ("description", "收费员态度生硬，扔卡"),
        ("plate", ""),
        ("reporter_name", "赵女士"),
        ("reporter_phone", CANARY_PHONE),
        ("confirm", ""),
    ];
    let warned = app.post_form("/console/cases/new", &fields).await;
    assert_eq!(warned.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = warned.text();
    assert!(html.contains("id=\"duplicates\"") && html.contains(first["number"].as_str().unwrap()), "{html}");
    assert!(html.contains("name=\"confirm\" value=\"1\""), "the form now asks to confirm");
    let all = chuangkou_store::cases::CaseFilter { limit: 10, ..Default::default() };
    assert_eq!(app.store.cases(seed.org_id, &all).await.unwrap().len(), 1, "nothing written yet");

    let mut confirmed = fields.to_vec();
    confirmed.retain(|(k, _)| *k != "confirm");
    confirmed.push(("confirm", "1"));
    let done = app.post_form("/console/cases/new", &confirmed).await;
    // Post, redirect, get: a reload of the page shown never registers again.
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.text());
    let to = done.headers["location"].to_str().unwrap().to_string();
    assert!(to.starts_with("/console/cases/") && to.ends_with("?done=registered"), "{to}");
    let shown = app.get(&to, None).await;
    assert_eq!(shown.status, StatusCode::OK);
    let html = shown.text();
    assert!(html.contains("id=\"tracking-code\""), "the code to give the reporter, once");
    assert!(html.contains("id=\"spoken-code\""), "a walk-in case has digits to read out");
    assert!(app.cookie("ck_codes").is_none(), "the codes' cookie is cleared as they are shown");
    let again = app.get(&to, None).await.text();
    assert!(
        !again.contains("id=\"tracking-code\"") && !again.contains("id=\"spoken-code\""),
        "shown only once"
    );
    let cases = app.store.cases(seed.org_id, &all).await.unwrap();
    assert_eq!(cases.len(), 2);
    let case = &cases[0];
    assert_eq!((case.channel.as_str(), case.kind.as_str()), ("walk_in", "complaint"));
    assert_eq!(case.first_responsible_id, Some(app.store.user_by_username("office").await.unwrap().id));
});

story!(a_case_walks_from_registration_to_closing_and_exactly_the_right_inbox_holds_it, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let handler = app.token(seed.org_id, "handler", Role::ShiftLeader).await;
    let handler_id = store.user_by_username("handler").await.unwrap().id;
    let body = json!({"kind": "complaint", "category": "attitude", "description": "收费员态度生硬", "reporter_phone": "13800000000"});
    let id = app.post_json("/api/v1/cases", Some(&office), body).await.json()["id"].as_i64().unwrap();
    let holds = |inbox: &'static str, token: String| {
        let mut app = TestApp::new(store.clone());
        async move {
            let list = app.get(&format!("/api/v1/cases?inbox={inbox}"), Some(&token)).await.json();
            list["cases"].as_array().unwrap().iter().any(|c| c["id"] == id)
        }
    };
    let act = |body: serde_json::Value, token: String| {
        let mut app = TestApp::new(store.clone());
        async move {
            let r = app.post_json(&format!("/api/v1/cases/{id}/actions"), Some(&token), body).await;
            assert_eq!(r.status, StatusCode::OK, "{}", r.text());
        }
    };
    // Registered: the office's own.
    assert!(holds("mine", office.clone()).await && !holds("mine", handler.clone()).await);
    // Offered to the handler: theirs to accept.
    act(json!({"action": "handover", "to_user_id": handler_id}), office.clone()).await;
    assert!(holds("mine", handler.clone()).await);
    act(json!({"action": "accept"}), handler.clone()).await;
    assert!(holds("mine", handler.clone()).await && !holds("mine", office.clone()).await);
    act(json!({"action": "start"}), handler.clone()).await;
    act(json!({"action": "conclude", "finding": "substantiated", "responsibility": "ours", "summary": "属实"}), handler.clone()).await;
    assert!(!holds("followup", office.clone()).await, "not yet the office's");
    // Replied: now the office's to do (callback and closing), and the office is told.
    act(json!({"action": "reply", "text": "已批评教育，向您致歉"}), handler.clone()).await;
    assert!(holds("followup", office.clone()).await, "after the reply the office holds it");
    assert!(!holds("mine", handler.clone()).await, "and the handler's part is done");
    let notes = app.get("/api/v1/notifications", Some(&office)).await.json();
    assert!(notes.to_string().contains("请回访并办结"), "{notes}");
    act(json!({"action": "callback", "satisfaction": "satisfied"}), office.clone()).await;
    assert!(holds("followup", office.clone()).await, "called back: still to close");
    act(json!({"action": "close"}), office.clone()).await;
    for (inbox, token) in [("followup", office.clone()), ("mine", office.clone()), ("mine", handler.clone())]
    {
        assert!(!holds(inbox, token).await, "closed: in nobody's to do ({inbox})");
    }
});

story!(the_header_counts_unread_notifications_until_they_are_read, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    app.user(seed.org_id, "handler", Role::ShiftLeader).await;
    let handler_id = store.user_by_username("handler").await.unwrap().id;
    let body = json!({"kind": "complaint", "category": "attitude", "description": "态度生硬"});
    let id = app.post_json("/api/v1/cases", Some(&office), body).await.json()["id"].as_i64().unwrap();
    let offer = json!({"action": "handover", "to_user_id": handler_id});
    assert_eq!(
        app.post_json(&format!("/api/v1/cases/{id}/actions"), Some(&office), offer).await.status,
        StatusCode::OK
    );
    app.sign_in("handler", PASSWORD).await;
    let page = app.get("/console", None).await.text();
    assert!(page.contains("id=\"unread-badge\">1<"), "one unread notification: {page}");
    // A backlog is counted up to a hundred, shown as 99+ (each page counts
    // it: a leader with millions unread waited 300 ms a page).
    let double = format!(
        "INSERT INTO notifications (org_id, user_id, case_id, kind, message, created_at)
         SELECT org_id, user_id, case_id, kind, message, created_at FROM notifications WHERE user_id = {handler_id}"
    );
    chuangkou_store::testing::out_of_band(&store, &[double.as_str(); 6]).await;
    let page = app.get("/console", None).await.text();
    assert!(page.contains("id=\"unread-badge\">64<"), "64 unread: {page}");
    chuangkou_store::testing::out_of_band(&store, &[double.as_str()]).await;
    let page = app.get("/console", None).await.text();
    assert!(page.contains("id=\"unread-badge\">99+<"), "128 unread: {page}");
    assert_eq!(store.unread_notifications(seed.org_id, handler_id).await.unwrap(), 100);
    let r = app.post_form("/console/notifications/read", &[]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = app.get("/console", None).await.text();
    assert!(!page.contains("unread-badge"), "read: no badge");
});
