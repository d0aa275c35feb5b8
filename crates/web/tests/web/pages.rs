//! The console and public pages as a browser gets them.

use axum::http::{Method, StatusCode, header};
use chuangkou_domain::Role;
use chuangkou_domain::org::NewStaff;
use chuangkou_store::story;

use crate::common::{PASSWORD, TestApp, multipart};

story!(the_console_shows_the_tree_staff_and_points_escaped, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    app.user(seed.org_id, "office", Role::Office).await;
    app.store
        .create_staff(
            seed.org_id,
            "test",
            &NewStaff {
                employee_no: "6666".into(),
                name: "<script>alert(1)</script>".into(),
                unit_code: "S01".into(),
                position: None,
                phone: None,
                certificate_no: None,
            },
        )
        .await
        .unwrap();
    app.sign_in("office", PASSWORD).await;
    let tree = app.get("/console", None).await.text();
    assert!(tree.contains("小店收费站") && tree.contains("一班"));
    let staff = app.get("/console/staff", None).await.text();
    assert!(staff.contains("陈晓燕"));
    assert!(!staff.contains("<script>alert(1)</script>"), "names are escaped");
    assert!(staff.contains("&#60;script&#62;") || staff.contains("&lt;script&gt;"));
    let points = app.get("/console/points", None).await.text();
    assert!(points.contains(&format!("/api/v1/service-points/{}/qr.svg", seed.point_id)));
    // The event log in words, without the raw record (that is for admins).
    let events = app.get("/console/events", None).await.text();
    assert!(events.contains("新增了员工"), "{events}");
    assert!(!events.contains("staff.created") && !events.contains("技术细节"), "{events}");
});

story!(the_console_import_shows_the_report_then_imports_the_fixed_file, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    app.user(seed.org_id, "office", Role::Office).await;
    app.sign_in("office", PASSWORD).await;
    let csrf = app.cookie("ck_csrf").unwrap();
    let bad = "工号,姓名,单位编码\n2001,赵敏,S01-T1\n2002,钱伟,NOPE\n";
    let (ct, body) = multipart(
        &[("_csrf", &csrf), ("kind", "staff"), ("mode", "all_or_nothing")],
        "名册.csv",
        bad.as_bytes(),
    );
    let r = app.request(Method::POST, "/console/staff/import", None, &ct, body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let html = r.text();
    assert!(
        html.contains("id=\"import-report\"") && html.contains("<td>3</td>") && html.contains("NOPE"),
        "{html}"
    );

    let (ct, body) =
        multipart(&[("_csrf", &csrf), ("kind", "staff")], "名册.csv", bad.replace("NOPE", "S01").as_bytes());
    let r = app.request(Method::POST, "/console/staff/import", None, &ct, body).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.text().contains("id=\"created\">2<"));
    assert!(app.get("/console/staff?q=%E9%92%B1%E4%BC%9F", None).await.text().contains("钱伟"));

    // Without the CSRF field the upload is refused and nothing changes.
    let (ct, body) =
        multipart(&[("kind", "staff")], "x.csv", "工号,姓名,单位编码\n2003,孙丽,S01\n".as_bytes());
    assert_eq!(
        app.request(Method::POST, "/console/staff/import", None, &ct, body).await.status,
        StatusCode::BAD_REQUEST
    );
    assert!(!app.get("/console/staff?q=2003", None).await.text().contains("孙丽"));
});

story!(staff_and_supervisors_cannot_import, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    app.user(seed.org_id, "collector", Role::Staff).await;
    app.sign_in("collector", PASSWORD).await;
    let page = app.get("/console/staff", None).await.text();
    assert!(!page.contains("import-form"), "no import form for staff");
    let csrf = app.cookie("ck_csrf").unwrap();
    let (ct, body) = multipart(
        &[("_csrf", &csrf), ("kind", "staff")],
        "x.csv",
        "工号,姓名,单位编码\n2003,孙丽,S01\n".as_bytes(),
    );
    assert_eq!(
        app.request(Method::POST, "/console/staff/import", None, &ct, body).await.status,
        StatusCode::FORBIDDEN
    );
});

story!(pages_switch_to_english_and_the_public_page_needs_no_sign_in, |store| {
    let mut app = TestApp::new(store);
    app.seed("TY").await;
    let page = app.get("/o/TY", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("监督电话") && page.text().contains("小店收费站"));
    assert!(!page.text().contains("一班"), "internal teams are not public");
    let r = app.get("/lang/en?next=/o/TY", None).await;
    assert_eq!(r.headers[header::LOCATION], "/o/TY");
    assert!(app.get("/o/TY", None).await.text().contains("Supervision hotline"));
    // Without `next` it returns to the page the link was on.
    let req = axum::http::Request::builder()
        .uri("/lang/zh")
        .header(header::REFERER, "http://ck.test/o/TY?x=1")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(app.send(req).await.headers[header::LOCATION], "/o/TY?x=1");
    // The language switch never redirects off-site.
    assert_eq!(app.get("/lang/en?next=//evil.test", None).await.headers[header::LOCATION], "/");
    // A tab or a backslash that a browser drops or reads as a slash never leads off-site.
    for next in ["/%09/evil.test", "/%5Cevil.test", "/%0A/evil.test", "%2F%2Fevil.test"] {
        let r = app.get(&format!("/lang/en?next={next}"), None).await;
        assert_eq!(r.headers[header::LOCATION], "/", "{next}");
    }
    assert_eq!(app.get("/o/NOPE", None).await.status, StatusCode::NOT_FOUND);
});

story!(health_metrics_request_ids_and_safe_headers, |store| {
    let mut app = TestApp::new(store);
    let r = app.get("/healthz", None).await;
    assert_eq!((r.status, r.text().as_str()), (StatusCode::OK, "ok"));
    assert!(r.headers.contains_key("x-request-id"));
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
    ] {
        assert_eq!(r.headers[name], value);
    }
    assert!(r.headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap().contains("frame-ancestors 'none'"));
    // Every response gets its own id; an id the caller (a proxy) sent is kept.
    assert_ne!(app.get("/healthz", None).await.headers["x-request-id"], r.headers["x-request-id"]);
    let req = axum::http::Request::builder()
        .uri("/healthz")
        .header("x-request-id", "lb-42")
        .body(axum::body::Body::empty())
        .unwrap();
    assert_eq!(app.send(req).await.headers["x-request-id"], "lb-42");
    app.get("/login", None).await;
    // Not for the public: no token configured, and the test client is not on loopback.
    assert_eq!(app.get("/metrics", None).await.status, StatusCode::NOT_FOUND);
    let m = metrics_from_loopback(&mut app).await;
    assert!(
        m.contains("chuangkou_http_requests_total{method=\"GET\",route=\"/login\",status=\"200\"} 1"),
        "{m}"
    );
    assert!(m.contains("chuangkou_http_request_duration_seconds_count"));
    assert!(m.contains("\nchuangkou_sweep_lag_seconds 0.000\n"), "nothing is due: {m}");
    assert!(m.contains("\nchuangkou_outbox_undeliverable 0\n"), "{m}");
    // Where a request of this instance waits: its group commits' queues and its connections.
    assert!(m.contains("\nchuangkou_group_commit_waiting{queue=\"cases\"} 0\n"), "{m}");
    assert!(m.contains("\nchuangkou_group_commit_waiting{queue=\"ratings\"} 0\n"), "{m}");
    let max: u32 = m
        .lines()
        .find_map(|l| l.strip_prefix("chuangkou_db_connections{state=\"max\"} "))
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    assert!(max > 0, "the pool's size is shown: {m}");
    let css = app.get("/static/app.css", None).await;
    assert!(css.headers[header::CONTENT_TYPE].to_str().unwrap().starts_with("text/css"));
});

story!(a_request_over_its_time_limit_is_answered_408_and_counted, |store| {
    let config = chuangkou_web::WebConfig {
        request_timeout: std::time::Duration::from_millis(200),
        ..Default::default()
    };
    let mut app = TestApp::with_config(store, config);
    // A body that never ends (a slow or stalled client) holds its request
    // past the limit.
    let stalled = futures_util::stream::pending::<Result<axum::body::Bytes, std::io::Error>>();
    let req = axum::http::Request::builder()
        .method("POST")
        .uri("/api/v1/ratings")
        .header(header::CONTENT_TYPE, "application/json")
        .body(axum::body::Body::from_stream(stalled))
        .unwrap();
    let r = app.send(req).await;
    assert_eq!(r.status, StatusCode::REQUEST_TIMEOUT);
    assert_eq!(r.json()["code"], "timeout");
    assert!(r.headers.contains_key("x-request-id"));
    let m = metrics_from_loopback(&mut app).await;
    assert!(m.contains("route=\"/api/v1/ratings\",status=\"408\"} 1"), "{m}");
});

/// `/metrics` as a scraper on the same machine reads it.
async fn metrics_from_loopback(app: &mut TestApp) -> String {
    let mut req = axum::http::Request::builder().uri("/metrics").body(axum::body::Body::empty()).unwrap();
    let peer: std::net::SocketAddr = "127.0.0.1:40000".parse().unwrap();
    req.extensions_mut().insert(axum::extract::ConnectInfo(peer));
    app.send(req).await.text()
}

story!(metrics_answer_the_configured_scraper_token_and_nobody_else, |store| {
    let config =
        chuangkou_web::WebConfig { metrics_token: Some("scrape-secret".into()), ..Default::default() };
    let mut app = TestApp::with_config(store, config);
    let with = |token: &str| {
        axum::http::Request::builder()
            .uri("/metrics")
            .header(header::AUTHORIZATION, format!("Bearer {token}"))
            .body(axum::body::Body::empty())
            .unwrap()
    };
    assert_eq!(app.send(with("scrape-secret")).await.status, StatusCode::OK);
    assert_eq!(app.send(with("scrape-secreT")).await.status, StatusCode::NOT_FOUND);
    assert_eq!(app.get("/metrics", None).await.status, StatusCode::NOT_FOUND);
});

story!(a_client_dripping_its_headers_is_cut_off_and_a_normal_one_is_served, |store| {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let config = chuangkou_web::WebConfig {
        header_read_timeout: std::time::Duration::from_millis(300),
        ..Default::default()
    };
    let state = chuangkou_web::AppState::new(store, config, chuangkou_domain::policy::PolicySet::builtin());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(chuangkou_web::serve(listener, state));
    // Headers begun and never finished, a byte now and then: the server hangs up.
    let mut slow = tokio::net::TcpStream::connect(addr).await.unwrap();
    slow.write_all(b"GET /healthz HTTP/1.1\r\nHost: ck.test\r\nX-Drip: ").await.unwrap();
    let dripping = async {
        let mut buf = [0u8; 256];
        loop {
            if slow.write_all(b"a").await.is_err() {
                return;
            }
            match tokio::time::timeout(std::time::Duration::from_millis(100), slow.read(&mut buf)).await {
                Ok(Ok(0) | Err(_)) => return,
                Ok(Ok(_)) => {} // a 408 answer; the close follows
                Err(_) => {}    // nothing yet: drip on
            }
        }
    };
    tokio::time::timeout(std::time::Duration::from_secs(5), dripping)
        .await
        .expect("the dripping connection is closed within seconds");
    // A request sent whole is answered as ever.
    let mut ok = tokio::net::TcpStream::connect(addr).await.unwrap();
    ok.write_all(b"GET /healthz HTTP/1.1\r\nHost: ck.test\r\nConnection: close\r\n\r\n").await.unwrap();
    let mut answer = String::new();
    ok.read_to_string(&mut answer).await.unwrap();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
});

story!(the_database_down_is_503_with_retry_after_not_invalid_token, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", chuangkou_domain::Role::Office).await;
    assert_eq!(app.get("/api/v1/me", Some(&office)).await.status, StatusCode::OK);
    assert_eq!(app.get("/healthz", None).await.status, StatusCode::OK);
    store.close().await;
    let r = app.get("/api/v1/me", Some(&office)).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text());
    assert_eq!(r.code(), "database_unavailable");
    assert_eq!(r.headers[header::RETRY_AFTER], "5");
    let h = app.get("/healthz", None).await;
    assert_eq!(h.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(h.json()["database"], "unavailable");
});

#[tokio::test]
async fn a_full_disk_refuses_writes_with_507_keeps_reads_and_recovers_by_itself() {
    // SQLite's page limit stands in for a full disk: the same SQLITE_FULL.
    let store = chuangkou_store::testing::sqlite().await;
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", chuangkou_domain::Role::Office).await;
    let case =
        |text: &str| serde_json::json!({"kind": "suggestion", "category": "general", "description": text});
    let first = app.post_json("/api/v1/cases", Some(&office), case("增加便民服务亭的热水")).await;
    assert_eq!(first.status, StatusCode::CREATED);
    chuangkou_store::testing::sqlite_page_limit(&store, None).await;
    let big = "很长的建议".repeat(700);
    let r = app.post_json("/api/v1/cases", Some(&office), case(&big)).await;
    assert_eq!(r.status, StatusCode::INSUFFICIENT_STORAGE, "{}", r.text());
    assert_eq!(r.code(), "insufficient_storage");
    assert_eq!(r.headers[header::RETRY_AFTER], "5");
    // Reads go on; /healthz says so.
    let id = first.json()["id"].as_i64().unwrap();
    assert_eq!(app.get(&format!("/api/v1/cases/{id}"), Some(&office)).await.status, StatusCode::OK);
    let h = app.get("/healthz", None).await;
    assert_eq!((h.status, h.json()["disk"].as_str()), (StatusCode::SERVICE_UNAVAILABLE, Some("full")));
    // Space returns: writes work again without a restart.
    chuangkou_store::testing::sqlite_page_limit(&store, Some(1_073_741_823)).await;
    let r = app.post_json("/api/v1/cases", Some(&office), case(&big)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
}

story!(a_case_action_ends_on_the_case_page_saying_what_happened_or_why_not, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    app.user(seed.org_id, "aoffice2", Role::Office).await;
    app.user(seed.org_id, "aleader", Role::Leader).await;
    app.user(seed.org_id, "supervisor", Role::Supervisor).await;
    // 陈晓燕 has an account; the complaint is about her.
    app.staff_token(seed.org_id, "chen", Role::Staff, seed.staff_id).await;
    let body = serde_json::json!({"kind": "complaint", "category": "attitude", "description": "态度生硬",
        "subject_staff_id": seed.staff_id});
    let r = app.post_json("/api/v1/cases", Some(&office), body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let id = chuangkou_domain::CaseId::new(r.json()["id"].as_i64().unwrap());
    app.sign_in("office", PASSWORD).await;
    let page = app.get(&format!("/console/cases/{id}"), None).await.text();

    // Hand-over offers people who handle cases: nobody by default, the
    // office before the leaders, never the person the complaint is about
    // (nor a supervisor, nor oneself).
    let handover = page.split("name=\"to_user_id\"").nth(1).unwrap().split("</select>").next().unwrap();
    let names: Vec<&str> = handover
        .split("<option")
        .skip(1)
        .map(|o| o.split_once('>').unwrap().1.split('<').next().unwrap())
        .collect();
    assert_eq!(names.first(), Some(&"— 请选择 —"), "{names:?}");
    assert!(names.contains(&"aoffice2") && names.contains(&"aleader"), "{names:?}");
    let pos = |n: &str| names.iter().position(|x| *x == n).unwrap();
    assert!(pos("aoffice2") < pos("aleader"), "{names:?}");
    assert!(
        !names.contains(&"chen") && !names.contains(&"supervisor") && !names.contains(&"office"),
        "{names:?}"
    );

    // Withdrawing asks for a tick; without it the page comes back with the
    // reason beside the form, as typed, and the case is unchanged.
    let url = format!("/console/cases/{id}/act");
    let r = app.post_form(&url, &[("action", "withdraw"), ("reason", "重复登记<b>")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let page = r.text();
    let form = page.split("data-action=\"withdraw\"").nth(1).unwrap().split("</form>").next().unwrap();
    assert!(form.contains("请勾选确认后再提交"), "the message sits in the withdraw form: {form}");
    assert!(
        form.contains("value=\"重复登记&#60;b&#62;\"") || form.contains("value=\"重复登记&lt;b&gt;\""),
        "{form}"
    );
    assert_eq!(store.case(seed.org_id, id).await.unwrap().state, "registered");

    // Ticked: done, and the redirect's page says so (a reload posts nothing).
    let r = app.post_form(&url, &[("action", "withdraw"), ("reason", "重复登记"), ("confirm", "1")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let to = r.headers[header::LOCATION].to_str().unwrap().to_string();
    assert_eq!(to, format!("/console/cases/{id}?done=withdraw#actions"));
    assert_eq!(store.case(seed.org_id, id).await.unwrap().state, "withdrawn");
    let page = app.get(to.split('#').next().unwrap(), None).await.text();
    assert!(page.contains("id=\"action-done\">案件已撤回<"), "{page}");
    // A made-up `done` shows nothing.
    let page = app.get(&format!("/console/cases/{id}?done=%3Cscript%3E"), None).await.text();
    assert!(!page.contains("action-done"));
});

story!(the_case_list_shows_unit_handler_and_time_left_coloured_by_urgency, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    store.set_clock(chuangkou_store::testing::noon_2026(11, 2));
    let body = |d: &str| {
        serde_json::json!({"kind": "complaint", "category": "attitude", "description": d,
            "service_point_id": seed.point_id})
    };
    let late =
        app.post_json("/api/v1/cases", Some(&office), body("早登记的")).await.json()["id"].as_i64().unwrap();
    // Two days on, the first is a few hours from its 48-hour deadline; a new one has two days.
    store.advance_clock(44 * 3_600_000);
    app.post_json("/api/v1/cases", Some(&office), body("新登记的")).await;
    app.sign_in("office", PASSWORD).await;
    let page = app.get("/console/cases?inbox=all", None).await.text();
    let row = |d: &str| {
        page.split("<tr>").find(|r| r.contains(d)).unwrap_or_else(|| panic!("{d}: {page}")).to_string()
    };
    let first = row("早登记的");
    assert!(first.contains("小店收费站"), "the unit: {first}");
    assert!(first.contains("class=\"left today\"") && first.contains(">剩 4 小时<"), "{first}");
    assert!(first.contains(">office<"), "the handler: {first}");
    let second = row("新登记的");
    assert!(second.contains("class=\"left soon\"") && second.contains(">剩 2 天<"), "{second}");
    // Past the deadline it says by how much, in the overdue colour.
    store.advance_clock(6 * 3_600_000);
    let page = app.get("/console/cases?inbox=all", None).await.text();
    let first = page.split("<tr>").find(|r| r.contains("早登记的")).unwrap();
    assert!(first.contains("class=\"left overdue\"") && first.contains(">超期 2 小时<"), "{first}");
    assert!(page.contains(&format!("/console/cases/{late}")));
    // The filters other than the search start folded, and unfold when one is set.
    assert!(page.contains("<details class=\"more-filters\" >"), "folded");
    let page = app.get("/console/cases?inbox=all&category=attitude", None).await.text();
    assert!(page.contains("<details class=\"more-filters\" open>"), "unfolded");
});

story!(each_role_lands_on_its_work_with_counts_that_match_the_lists, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    store.set_clock(chuangkou_store::testing::noon_2026(11, 2));
    let body = |d: &str| serde_json::json!({"kind": "complaint", "category": "attitude", "description": d});
    for d in ["一", "二"] {
        assert_eq!(app.post_json("/api/v1/cases", Some(&office), body(d)).await.status, StatusCode::CREATED);
    }
    // A breach proposes entries for a leader to decide.
    let fact = serde_json::json!({"kind": "violation", "staff_id": seed.staff_id, "rule_code": "TY-U1",
        "note": "未按规定着装", "date": "2026-11-02"});
    assert_eq!(app.post_json("/api/v1/ledger/facts", Some(&office), fact).await.status, StatusCode::CREATED);
    let r = app.sign_in("office", PASSWORD).await;
    assert_eq!(r.headers[header::LOCATION], "/console/home", "signing in lands on the work, not the tree");
    let tile = |page: &str, id: &str| -> (i64, bool) {
        let t = page.split(&format!("id=\"{id}\"")).next().unwrap().rsplit("<a ").next().unwrap().to_string();
        let rest =
            page.split(&format!("id=\"{id}\"")).nth(1).unwrap_or_else(|| panic!("no tile {id}: {page}"));
        let n =
            rest.split("<span class=\"big\">").nth(1).unwrap().split('<').next().unwrap().parse().unwrap();
        (n, t.contains("urgent"))
    };
    let page = app.get("/console/home", None).await.text();
    assert_eq!(tile(&page, "mine-open"), (2, false), "the two cases the office registered are its own");
    assert_eq!(tile(&page, "mine-overdue"), (0, false));
    assert_eq!(tile(&page, "mine-soon").0, 2, "due in 48 hours");
    let (approvals, urgent) = tile(&page, "approvals");
    assert!(approvals >= 1 && urgent, "entries wait for a decision: {approvals}");
    // Past the 48-hour deadline both are overdue, in red.
    store.advance_clock(49 * 3_600_000);
    app.sign_in("office", PASSWORD).await; // the session idled out meanwhile
    let page = app.get("/console/home", None).await.text();
    assert_eq!(tile(&page, "mine-overdue"), (2, true));
    let overdue =
        app.get("/api/v1/cases?inbox=overdue", Some(&office)).await.json()["cases"].as_array().unwrap().len();
    assert_eq!(tile(&page, "desk-overdue").0, overdue as i64);
    // The case list's tabs carry the same counts.
    let list = app.get("/console/cases?inbox=all", None).await.text();
    let tab = |id: &str| -> String {
        let rest = list.split(&format!("id=\"tab-{id}\"")).nth(1).unwrap_or_else(|| panic!("no tab {id}"));
        rest.split("</a>")
            .next()
            .unwrap()
            .split("class=\"count\">")
            .nth(1)
            .unwrap()
            .split('<')
            .next()
            .unwrap()
            .into()
    };
    assert_eq!(tab("mine"), "2");
    assert_eq!(tab("overdue"), overdue.to_string());
    assert!(!list.split("id=\"tab-all\"").nth(1).unwrap().split("</a>").next().unwrap().contains("count"));
});
