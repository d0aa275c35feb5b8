//! Sign-in, sessions, CSRF and API tokens.

use axum::http::{Method, StatusCode, header};
use chuangkou_domain::Role;
use chuangkou_store::story;
use serde_json::json;

use crate::common::{PASSWORD, TestApp};

story!(an_unknown_user_and_a_wrong_password_get_the_same_answer, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    app.user(seed.org_id, "office", Role::Office).await;
    let wrong = app.sign_in("office", "not the password").await;
    let unknown = app.sign_in("nobody", "not the password").await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert_eq!(unknown.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.text().contains("用户名或密码错误"));
    let strip = |s: String| s.replace("value=\"office\"", "").replace("value=\"nobody\"", "");
    assert_eq!(strip(wrong.text()), strip(unknown.text()), "the pages differ only in the echoed username");
    assert!(app.cookie("ck_session").is_none());
});

story!(repeated_failures_lock_the_name_even_with_the_right_password, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    app.user(seed.org_id, "office", Role::Office).await;
    for _ in 0..chuangkou_store::users::MAX_FAILURES - 1 {
        assert_eq!(app.sign_in("office", "guess").await.status, StatusCode::UNAUTHORIZED);
    }
    let last = app.sign_in("office", "guess").await;
    assert_eq!(last.status, StatusCode::TOO_MANY_REQUESTS);
    let locked = app.sign_in("office", PASSWORD).await;
    assert_eq!(locked.status, StatusCode::TOO_MANY_REQUESTS, "locked even with the right password");
    // Unknown names lock the same way, so locking reveals nothing.
    for _ in 0..chuangkou_store::users::MAX_FAILURES {
        app.sign_in("ghost", "guess").await;
    }
    assert_eq!(app.sign_in("ghost", "guess").await.status, StatusCode::TOO_MANY_REQUESTS);
    // After the lock period the right password works.
    app.store.advance_clock(chuangkou_store::users::LOCK_MS + 1000);
    assert_eq!(app.sign_in("office", PASSWORD).await.status, StatusCode::SEE_OTHER);
});

story!(signing_in_opens_the_console_and_signing_out_ends_the_session, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    app.user(seed.org_id, "office", Role::Office).await;
    assert_eq!(app.get("/console", None).await.headers[header::LOCATION], "/login");
    let r = app.sign_in("Office", PASSWORD).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "usernames are case-insensitive");
    let set = r
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect::<Vec<_>>();
    let session = set.iter().find(|c| c.starts_with("ck_session=")).expect("session cookie");
    assert!(session.contains("HttpOnly") && session.contains("SameSite=Lax"), "{session}");
    let old = app.cookie("ck_session").unwrap();
    assert_eq!(app.get("/console", None).await.status, StatusCode::OK);

    assert_eq!(app.post_form("/logout", &[]).await.status, StatusCode::SEE_OTHER);
    assert!(app.cookie("ck_session").is_none());
    // The old cookie no longer works, even if someone kept it.
    app.cookies.push(("ck_session".into(), old));
    assert_eq!(app.get("/console", None).await.headers[header::LOCATION], "/login");
    assert_eq!(app.get("/api/v1/me", None).await.status, StatusCode::UNAUTHORIZED);
});

story!(forms_without_the_csrf_token_are_refused, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    app.user(seed.org_id, "office", Role::Office).await;
    app.get("/login", None).await;
    let body = format!("username=office&password={}", crate::common::urlencode(PASSWORD));
    let r =
        app.request(Method::POST, "/login", None, "application/x-www-form-urlencoded", body.clone()).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.text().contains("表单已过期"), "a readable page, not a bare error");
    let r = app
        .request(
            Method::POST,
            "/login",
            None,
            "application/x-www-form-urlencoded",
            format!("{body}&_csrf=forged"),
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(app.cookie("ck_session").is_none());

    // A cookie-signed API write needs the token in a header too.
    app.sign_in("office", PASSWORD).await;
    let unit = json!({"code": "S02", "name": "东站", "kind": "station"});
    let r = app.post_json("/api/v1/units", None, unit.clone()).await;
    assert_eq!((r.status, r.code()), (StatusCode::BAD_REQUEST, "csrf".into()));
    let csrf = app.cookie("ck_csrf").unwrap();
    let req = axum::http::Request::builder()
        .method(Method::POST)
        .uri("/api/v1/units")
        .header(header::CONTENT_TYPE, "application/json")
        .header("x-csrf-token", csrf)
        .body(axum::body::Body::from(unit.to_string()))
        .unwrap();
    assert_eq!(app.send(req).await.status, StatusCode::CREATED);
});

story!(api_tokens_authenticate_machines_and_bad_tokens_are_refused, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let token = app.token(seed.org_id, "office", Role::Office).await;
    let me = app.get("/api/v1/me", Some(&token)).await;
    assert_eq!(me.json()["username"], "office");
    let r = app.get("/api/v1/me", Some("ck_not_a_token")).await;
    assert_eq!((r.status, r.code()), (StatusCode::UNAUTHORIZED, "unauthorized".into()));
    // A token can issue another (e.g. for an integration); it is stored hashed.
    let r = app.post_json("/api/v1/tokens", Some(&token), json!({"name": "12345 platform"})).await;
    assert_eq!(r.status, StatusCode::CREATED);
    let second = r.json()["token"].as_str().unwrap().to_string();
    assert_eq!(app.get("/api/v1/me", Some(&second)).await.status, StatusCode::OK);
});

story!(a_burst_of_parallel_sign_ins_checks_no_more_passwords_than_the_limit, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    app.user(seed.org_id, "office", Role::Office).await;
    app.get("/login", None).await;
    let csrf = app.cookie("ck_csrf").unwrap();
    let attempt = |password: &str| {
        let body = format!("username=office&password={password}&_csrf={csrf}");
        axum::http::Request::builder()
            .method("POST")
            .uri("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("ck_csrf={csrf}"))
            .body(axum::body::Body::from(body))
            .unwrap()
    };
    let router = app.router();
    let answers = futures_util::future::join_all(
        (0..30).map(|i| tower::ServiceExt::oneshot(router.clone(), attempt(&format!("wrong-{i}")))),
    )
    .await;
    let locked =
        answers.iter().filter(|r| r.as_ref().unwrap().status() == StatusCode::TOO_MANY_REQUESTS).count();
    // Five were checked: four answered "wrong password", the fifth failure
    // locked the name; the other twenty-five were refused unchecked.
    let max = chuangkou_store::users::MAX_FAILURES as usize;
    assert_eq!(30 - locked, max - 1, "only the first five were checked");
    // The right password after the burst is locked out too.
    let r = tower::ServiceExt::oneshot(router, attempt(crate::common::PASSWORD)).await.unwrap();
    assert_eq!(r.status(), StatusCode::TOO_MANY_REQUESTS);
});

story!(a_burst_of_parallel_tracking_guesses_checks_no_more_than_the_limit, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let body = json!({"kind": "complaint", "category": "attitude", "description": "态度生硬", "reporter_phone": "13800000000"});
    let case = app.post_json("/api/v1/cases", Some(&office), body).await.json();
    let number = case["number"].as_str().unwrap().to_string();
    let guess = |code: String| {
        axum::http::Request::builder()
            .method("POST")
            .uri("/api/v1/public/track")
            .header(header::CONTENT_TYPE, "application/json")
            .body(axum::body::Body::from(json!({"number": number, "code": code}).to_string()))
            .unwrap()
    };
    let router = app.router();
    let answers = futures_util::future::join_all(
        (0..40).map(|i| tower::ServiceExt::oneshot(router.clone(), guess(format!("{i:032}")))),
    )
    .await;
    let checked = answers.iter().filter(|r| r.as_ref().unwrap().status() == StatusCode::NOT_FOUND).count();
    assert_eq!(checked, 10, "ten guesses an address may make; the other thirty are refused unchecked");
});

story!(admins_manage_users_and_every_change_of_role_status_or_password_ends_the_old_sessions, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    let admin = app.token(seed.org_id, "admin", Role::Admin).await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let new =
        json!({"username": "WangJing", "display_name": "王静", "role": "office", "staff_id": seed.staff_id});
    assert_eq!(
        app.post_json("/api/v1/users", Some(&office), new.clone()).await.status,
        StatusCode::FORBIDDEN
    );
    let r = app.post_json("/api/v1/users", Some(&admin), new).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let body = r.json();
    let id = chuangkou_domain::UserId::new(body["user"]["id"].as_i64().unwrap());
    assert_eq!(
        (body["user"]["username"].as_str(), body["user"]["staff_id"].as_i64()),
        (Some("wangjing"), Some(seed.staff_id.get()))
    );
    let link = body["reset_link"].as_str().unwrap().to_string();
    let path = link.trim_start_matches("http://ck.test").to_string();
    // The one-time link: a page with the name; the password set once.
    let page = app.get(&path, None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("王静"));
    let r = app.post_form(&path, &[("password", "a-long-password"), ("again", "another-one!!")]).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.post_form(&path, &[("password", "a-long-password"), ("again", "a-long-password")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(app.get(&path, None).await.status, StatusCode::NOT_FOUND, "a link works once");
    // She signs in; she also has an API token.
    let r = app.sign_in("wangjing", "a-long-password").await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(app.get("/console", None).await.status, StatusCode::OK);
    let her = store.user_by_username("wangjing").await.unwrap();
    let token = store.create_api_token(&her, "t").await.unwrap().1;
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status, StatusCode::OK);
    // A new role ends her session and her token.
    let r = app.post_json(&format!("/api/v1/users/{id}"), Some(&admin), json!({"role": "leader"})).await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(r.json()["user"]["role"], "leader");
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status, StatusCode::UNAUTHORIZED);
    assert_ne!(app.get("/console", None).await.status, StatusCode::OK, "the old session is over");
    // So does a new password (the CLI's `user passwd` and the reset link alike).
    app.sign_in("wangjing", "a-long-password").await;
    let token = store.create_api_token(&her, "t2").await.unwrap().1;
    store.set_password(seed.org_id, id, "cli", "x").await.unwrap();
    assert_eq!(app.get("/api/v1/me", Some(&token)).await.status, StatusCode::UNAUTHORIZED);
    assert_ne!(app.get("/console", None).await.status, StatusCode::OK);
    // Unlinked, then disabled: she cannot sign in.
    let r = app
        .post_json(&format!("/api/v1/users/{id}"), Some(&admin), json!({"staff_id": null, "disabled": true}))
        .await;
    assert_eq!(
        (r.json()["user"]["staff_id"].is_null(), r.json()["user"]["disabled"].as_bool()),
        (true, Some(true))
    );
    // An admin does not lock themselves out.
    let me = store.user_by_username("admin").await.unwrap().id;
    let r = app.post_json(&format!("/api/v1/users/{me}"), Some(&admin), json!({"disabled": true})).await;
    assert_eq!(r.status, StatusCode::CONFLICT);
    let events = store.events(seed.org_id, None, 100).await.unwrap();
    assert!(events.iter().filter(|e| e.kind == "user.updated").count() >= 3);
    assert!(events.iter().any(|e| e.kind == "user.reset_issued"));
});

story!(the_users_page_is_the_admins_and_shows_a_new_users_link_once, |store| {
    let mut app = TestApp::new(store.clone());
    let seed = app.seed("TY").await;
    app.user(seed.org_id, "office", Role::Office).await;
    app.user(seed.org_id, "admin", Role::Admin).await;
    app.sign_in("office", PASSWORD).await;
    assert_eq!(app.get("/console/users", None).await.status, StatusCode::FORBIDDEN);
    app.post_form("/logout", &[]).await;
    app.sign_in("admin", PASSWORD).await;
    let page = app.get("/console/users", None).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.text().contains("纪检监察室"), "every role is offered");
    let r = app
        .post_form(
            "/console/users",
            &[("username", "jijian"), ("display_name", "孔亮"), ("role", "discipline"), ("staff_id", "")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert!(r.text().contains("id=\"reset-link\"") && r.text().contains("http://ck.test/reset/"));
    assert_eq!(store.user_by_username("jijian").await.unwrap().role, "discipline");
});
