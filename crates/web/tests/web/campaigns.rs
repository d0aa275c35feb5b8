//! Campaigns (SPEC CMP-1, issue 20; seed 004's 爱心飞扬 服务品牌创建活动):
//! created from the bus pack's template in any year, three dated phases and
//! five tasks led by 站务部; a task runs to acceptance or is sent back; an
//! overdue task escalates once; units evaluate themselves and each other,
//! never themselves; the 回头看 review's finding is a rectification order.

use axum::http::{Method, StatusCode};
use chuangkou_domain::org::{NewStaff, NewUnit, UnitKind};
use chuangkou_domain::{OrgId, Role};
use chuangkou_store::story;
use chuangkou_store::testing::noon_2026;
use serde_json::json;

use crate::common::{PASSWORD, TestApp, multipart_files};

/// The terminal of seed 004: 汽车客运东站 with its 站务部 and 安全部, a shift
/// leader in each; returns (org, 站务部, 安全部, office token, 站务部's
/// token, 安全部's token).
async fn east_station(app: &TestApp) -> (OrgId, i64, i64, String, String, String) {
    let s = &app.store;
    let org =
        s.create_organisation("test", "XZ", "徐州汽车客运东站", "bus", Some("0516-96196")).await.unwrap();
    let unit = |code: &str, name: &str, kind| NewUnit {
        code: code.into(),
        name: name.into(),
        kind,
        parent_code: None,
    };
    s.create_unit(org.id, "test", &unit("E00", "汽车客运东站", UnitKind::Terminal)).await.unwrap();
    let sub = |code: &str, name: &str| NewUnit {
        parent_code: Some("E00".into()),
        ..unit(code, name, UnitKind::Department)
    };
    let station_affairs = s.create_unit(org.id, "test", &sub("E01", "站务部")).await.unwrap().id;
    let safety = s.create_unit(org.id, "test", &sub("E02", "安全部")).await.unwrap().id;
    let person = |no: &str, name: &str, unit: &str| NewStaff {
        employee_no: no.into(),
        name: name.into(),
        unit_code: unit.into(),
        position: None,
        phone: None,
        certificate_no: None,
    };
    let liu = s.create_staff(org.id, "test", &person("0101", "刘猛", "E01")).await.unwrap().id;
    let tang = s.create_staff(org.id, "test", &person("0201", "唐杰", "E02")).await.unwrap().id;
    let office = app.token(org.id, "office", Role::Office).await;
    let affairs = app.staff_token(org.id, "liumeng", Role::ShiftLeader, liu).await;
    let safe = app.staff_token(org.id, "tangjie", Role::ShiftLeader, tang).await;
    (org.id, station_affairs, safety, office, affairs, safe)
}

story!(the_aixin_campaign_runs_from_its_template_to_accepted_tasks, |store| {
    // 1 September 2026: the campaign of 2018 is run again this year.
    store.set_clock(noon_2026(9, 1));
    let mut app = TestApp::new(store.clone());
    let (org, affairs_unit, _, office, affairs, safe) = east_station(&app).await;
    let r =
        app.post_json("/api/v1/campaigns", Some(&affairs), json!({"template": "aixin", "year": 2026})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "only the campaign office creates one");
    let r =
        app.post_json("/api/v1/campaigns", Some(&office), json!({"template": "none", "year": 2026})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r =
        app.post_json("/api/v1/campaigns", Some(&office), json!({"template": "aixin", "year": 2026})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let c = r.json();
    let id = c["campaign"]["id"].as_i64().unwrap();
    assert_eq!(c["campaign"]["brand"], "爱心飞扬");
    let phases: Vec<(String, String, String)> = c["phases"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            let p = &p["phase"];
            (
                p["title"].as_str().unwrap().into(),
                p["starts_on"].as_str().unwrap().into(),
                p["ends_on"].as_str().unwrap().into(),
            )
        })
        .collect();
    assert_eq!(
        phases,
        [
            ("动员部署阶段".into(), "2026-08-11".into(), "2026-08-20".into()),
            ("全面推进阶段".into(), "2026-08-21".into(), "2026-12-20".into()),
            ("总结验收阶段".into(), "2026-12-21".into(), "2026-12-31".into())
        ]
    );
    let tasks = c["tasks"].as_array().unwrap();
    assert_eq!(tasks.len(), 5);
    assert!(tasks.iter().all(|t| t["lead_unit_name"] == "站务部" && t["status"] == "not_started"));
    assert_eq!(c["progress"]["percent"], 0);
    let task = tasks[0]["id"].as_i64().unwrap();

    // 站务部 starts and submits; another department may not touch its task.
    let step = |s: &str, text: &str| json!({"step": s, "text": text});
    let url = format!("/api/v1/campaign-tasks/{task}/steps");
    assert_eq!(app.post_json(&url, Some(&safe), step("start", "")).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.post_json(&url, Some(&affairs), step("start", "")).await.status, StatusCode::OK);
    let r = app.post_json(&url, Some(&affairs), step("submit", "")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "evidence is required");
    let r = app.post_json(&url, Some(&affairs), step("submit", "培训 3 次，签到表、照片各 1 份")).await;
    assert_eq!(r.json()["task"]["status"], "submitted", "{}", r.text());
    assert_eq!(app.post_json(&url, Some(&affairs), step("accept", "")).await.status, StatusCode::FORBIDDEN);
    let r = app.post_json(&url, Some(&office), step("send_back", "")).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "a reason is required");
    let r = app.post_json(&url, Some(&office), step("send_back", "缺少互评材料")).await;
    assert_eq!(r.json()["task"]["return_reason"], "缺少互评材料");
    app.post_json(&url, Some(&affairs), step("submit", "补充了互评材料")).await;
    let r = app.post_json(&url, Some(&office), step("accept", "")).await;
    assert_eq!(r.json()["task"]["status"], "accepted", "{}", r.text());
    assert_eq!(app.post_json(&url, Some(&office), step("accept", "")).await.status, StatusCode::CONFLICT);
    let c = app.get(&format!("/api/v1/campaigns/{id}"), Some(&office)).await.json();
    assert_eq!(c["progress"]["accepted"], 1);
    assert_eq!(c["progress"]["percent"], 20);
    assert_eq!(c["units"][0]["unit_id"], affairs_unit);
    let svg = app.get(&format!("/api/v1/campaigns/{id}/phases.svg"), Some(&office)).await;
    assert_eq!(svg.headers["content-type"], "image/svg+xml; charset=utf-8");
    let svg = svg.text();
    assert!(svg.contains("全面推进阶段") && svg.contains("class=\"today\""), "{svg}");

    // The office that submits cannot accept what it submitted itself.
    let other = tasks[1]["id"].as_i64().unwrap();
    let url = format!("/api/v1/campaign-tasks/{other}/steps");
    app.post_json(&url, Some(&office), step("submit", "办公室代交")).await;
    assert_eq!(app.post_json(&url, Some(&office), step("accept", "")).await.status, StatusCode::FORBIDDEN);

    // Three days before 20 December the lead unit is reminded; at its end
    // the four open tasks are overdue, escalated to the office, once.
    let policies = chuangkou_domain::policy::PolicySet::builtin();
    store.set_clock(noon_2026(12, 18));
    assert_eq!(store.sweep_timers(&policies).await.unwrap().campaign_tasks_overdue, 0);
    let notes = app.get("/api/v1/notifications", Some(&affairs)).await.json();
    let reminders = notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "campaign_task.reminder")
        .count();
    assert_eq!(reminders, 3, "the open tasks (not the accepted, not the submitted)");
    store.set_clock(noon_2026(12, 21));
    assert_eq!(store.sweep_timers(&policies).await.unwrap().campaign_tasks_overdue, 3);
    assert_eq!(store.sweep_timers(&policies).await.unwrap().campaign_tasks_overdue, 0, "once");
    let c = app.get(&format!("/api/v1/campaigns/{id}"), Some(&office)).await.json();
    assert_eq!(c["overdue"].as_array().unwrap().len(), 3);
    let office_notes = app.get("/api/v1/notifications", Some(&office)).await.json();
    let escalated = office_notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "campaign_task.overdue")
        .count();
    assert_eq!(escalated, 3);
    let events = app.store.events(org, None, 500).await.unwrap();
    let overdue_events = events.iter().filter(|e| e.kind == "campaign_task.overdue").count();
    assert_eq!(overdue_events, 3);
});

story!(units_evaluate_each_other_never_themselves_and_the_review_orders_rectification, |store| {
    store.set_clock(noon_2026(12, 22));
    let mut app = TestApp::new(store.clone());
    let (org, affairs_unit, safety_unit, office, affairs, safe) = east_station(&app).await;
    let leader = app.token(org, "leader", Role::Leader).await;
    let c = app
        .post_json("/api/v1/campaigns", Some(&office), json!({"template": "aixin", "year": 2026}))
        .await
        .json();
    let id = c["campaign"]["id"].as_i64().unwrap();
    let phase = c["phases"][2]["phase"]["id"].as_i64().unwrap();
    let scores = |a: i64| {
        json!([{"criterion": "awareness", "score": a}, {"criterion": "convenience", "score": 25},
            {"criterion": "supervision", "score": 18}, {"criterion": "system", "score": 17}])
    };
    let eval = |kind: &str, by: Option<i64>, of: i64, a: i64| json!({"phase_id": phase, "kind": kind, "by_unit_id": by, "of_unit_id": of, "scores": scores(a)});
    let url = format!("/api/v1/campaigns/{id}/evaluations");
    // 站务部 rates itself, then 安全部; never itself as a peer.
    let r = app.post_json(&url, Some(&affairs), eval("self", Some(affairs_unit), affairs_unit, 28)).await;
    assert_eq!((r.status, r.json()["total"].as_i64()), (StatusCode::CREATED, Some(88)), "{}", r.text());
    let r = app.post_json(&url, Some(&affairs), eval("peer", Some(affairs_unit), affairs_unit, 30)).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    assert!(r.text().contains("互评不能评价本单位"));
    let r = app.post_json(&url, Some(&affairs), eval("peer", Some(affairs_unit), safety_unit, 20)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = app.post_json(&url, Some(&affairs), eval("peer", Some(affairs_unit), safety_unit, 21)).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "once per phase");
    // 安全部 may not speak for 站务部.
    let r = app.post_json(&url, Some(&safe), eval("peer", Some(affairs_unit), safety_unit, 30)).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.post_json(&url, Some(&safe), eval("peer", Some(safety_unit), affairs_unit, 26)).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    // A leader comments; the office does not speak as a leader.
    let comment = json!({"phase_id": phase, "kind": "leader", "of_unit_id": affairs_unit, "comment": "便民举措扎实，宣传还需加强"});
    assert_eq!(app.post_json(&url, Some(&office), comment.clone()).await.status, StatusCode::FORBIDDEN);
    assert_eq!(app.post_json(&url, Some(&leader), comment).await.status, StatusCode::CREATED);
    let all = app.get(&url, Some(&office)).await.json();
    let score =
        |u: i64| all["scores"].as_array().unwrap().iter().find(|s| s["unit_id"] == u).unwrap().clone();
    assert_eq!(score(affairs_unit)["self"], 88);
    assert_eq!(score(affairs_unit)["score"], 86.0, "the peer's view counts");
    assert_eq!(score(safety_unit)["score"], 80.0);
    // The bus pack weighs the campaign a tenth of December's score: 刘猛 of
    // 站务部 0.9 × 100 + 0.1 × 86, 唐杰 of 安全部 0.9 × 100 + 0.1 × 80.
    let month = app.get("/api/v1/assessment?month=2026-12", Some(&leader)).await.json();
    let of = |name: &str| {
        month["results"]["staff"].as_array().unwrap().iter().find(|s| s["name"] == name).unwrap()["score"]
            .clone()
    };
    assert_eq!((of("刘猛"), of("唐杰")), (json!(98.6), json!(98.0)), "{month}");

    // The 回头看 review of 安全部 finds a gap: a rectification order.
    let review = json!({"target_kind": "unit", "target_id": safety_unit, "summary": "回头看",
        "items": [{"rule_code": "BS-01", "result": "fail", "note": "候车室服务公约未上墙"}]});
    let r = app.post_json(&format!("/api/v1/campaigns/{id}/review"), Some(&affairs), review.clone()).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app.post_json(&format!("/api/v1/campaigns/{id}/review"), Some(&office), review).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    assert_eq!(r.json()["rectifications"].as_array().unwrap().len(), 1);
    let inspection = r.json()["id"].as_i64().unwrap();
    assert_eq!(store.campaign_reviews(org, id).await.unwrap(), [inspection]);
    let orders = store.rectifications(org, None, false).await.unwrap();
    assert!(
        orders.iter().any(|o| o.unit_id == safety_unit && o.description.contains("候车室服务公约未上墙"))
    );
});

story!(the_lead_unit_submits_with_photos_and_the_office_accepts_in_the_console, |store| {
    store.set_clock(noon_2026(9, 1));
    let mut app = TestApp::new(store.clone());
    let (org, _, _, _, _, _) = east_station(&app).await;
    app.user(org, "leader", Role::Leader).await;
    // The office starts the campaign from the console.
    app.sign_in("office", PASSWORD).await;
    let page = app.get("/console/campaigns", None).await.text();
    assert!(page.contains("id=\"campaign-form\"") && page.contains("爱心飞扬"), "{page}");
    let r = app.post_form("/console/campaigns", &[("template", "aixin"), ("year", "2026")]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let at = r.headers["location"].to_str().unwrap().to_string();
    let id: i64 = at.rsplit('/').next().unwrap().parse().unwrap();
    let page = app.get(&at, None).await.text();
    assert!(
        page.contains("id=\"phase-bars\"") && page.contains("全面推进阶段") && page.contains("站务部"),
        "{page}"
    );
    let task = store.campaign_tasks(org, id).await.unwrap()[0].id;
    app.cookies.clear();

    // 站务部 submits from its phone with a photo.
    app.sign_in("liumeng", PASSWORD).await;
    let page = app.get(&at, None).await.text();
    assert!(page.contains("class=\"submit-task\""), "the lead unit may submit");
    assert!(!page.contains("class=\"inline accept-task\""), "and may not accept");
    let csrf = app.cookie("ck_csrf").unwrap();
    let fields = [("_csrf", csrf.as_str()), ("step", "submit"), ("text", "便民服务台设立完毕，见照片")];
    let png = chuangkou_store::testing::PNG;
    let (ct, body) = multipart_files(&fields, &[("photos", "desk.png", "image/png", png)]);
    let url = format!("/console/campaign-tasks/{task}/steps");
    let r = app.request(Method::POST, &url, None, &ct, body).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    let photos = store.campaign_task_photos(org, task).await.unwrap();
    assert_eq!(photos.len(), 1);
    assert_eq!(photos[0].1, "image/jpeg", "re-encoded");
    app.cookies.clear();

    // The leader sees the photo and accepts.
    app.sign_in("leader", PASSWORD).await;
    let page = app.get(&at, None).await.text();
    let photo = format!("/console/campaign-tasks/{task}/photos/{}", photos[0].0);
    assert!(page.contains(&photo) && page.contains("accept-task"), "{page}");
    let img = app.get(&photo, None).await;
    assert_eq!(img.headers["content-type"], "image/jpeg");
    let csrf = app.cookie("ck_csrf").unwrap();
    let (ct, body) = multipart_files(&[("_csrf", csrf.as_str()), ("step", "accept")], &[]);
    let r = app.request(Method::POST, &url, None, &ct, body).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER, "{}", r.text());
    assert_eq!(store.campaign_task(org, task).await.unwrap().status, "accepted");
    let page = app.get(&at, None).await.text();
    assert!(page.contains("id=\"percent\">20%"), "{page}");
    // Staff and other organisations see nothing of it.
    app.cookies.clear();
    let other = app.seed("TY").await;
    app.user(other.org_id, "tystaff", Role::Staff).await;
    app.sign_in("tystaff", PASSWORD).await;
    assert_eq!(app.get(&at, None).await.status, StatusCode::FORBIDDEN);
});

story!(the_leading_group_its_papers_and_its_office_head_told_of_what_is_overdue, |store| {
    store.set_clock(noon_2026(9, 1));
    let mut app = TestApp::new(store.clone());
    let (org, affairs_unit, safety_unit, office, affairs, safe) = east_station(&app).await;
    let id = app
        .post_json("/api/v1/campaigns", Some(&office), json!({"template": "aixin", "year": 2026}))
        .await
        .json()["campaign"]["id"]
        .as_i64()
        .unwrap();
    let liu = store.staff_id_by_number(org, "0101").await.unwrap().unwrap();
    let tang = store.staff_id_by_number(org, "0201").await.unwrap().unwrap();
    // Seed 004 四: 刘猛 a member and head of the office — here 唐杰 heads it.
    let members = format!("/api/v1/campaigns/{id}/members");
    let r = app.post_json(&members, Some(&affairs), json!({"staff_id": liu, "role": "member"})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "the campaign office names the group");
    let r = app.post_json(&members, Some(&office), json!({"staff_id": liu, "role": "chief"})).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY);
    let r = app.post_json(&members, Some(&office), json!({"staff_id": liu, "role": "member"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = app.post_json(&members, Some(&office), json!({"staff_id": tang, "role": "office_head"})).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let r = app.post_json(&members, Some(&office), json!({"staff_id": tang, "role": "office_head"})).await;
    assert_eq!(r.status, StatusCode::CONFLICT, "once in a role");
    let units = format!("/api/v1/campaigns/{id}/units");
    for u in [affairs_unit, safety_unit] {
        assert_eq!(
            app.post_json(&units, Some(&office), json!({"unit_id": u})).await.status,
            StatusCode::CREATED
        );
    }
    // The basis document is a PDF, the logo an image re-encoded.
    let files = format!("/api/v1/campaigns/{id}/files");
    let basis = |kind: &str, bytes: &[u8]| {
        multipart_files(
            &[
                ("kind", kind),
                ("title", "关于开展服务品牌创建评比专项行动的通知"),
                ("number", "徐委办【2018】114号"),
                ("dated_on", "2018-08-10"),
            ],
            &[("file", "basis.pdf", "application/pdf", bytes)],
        )
    };
    let (ct, body) = basis("basis", b"not a pdf");
    let r = app.request(Method::POST, &files, Some(&office), &ct, body).await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let (ct, body) = basis("basis", b"%PDF-1.4\n%%EOF\n");
    let r = app.request(Method::POST, &files, Some(&office), &ct, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let (ct, body) = multipart_files(
        &[("kind", "logo"), ("title", "爱心飞扬品牌标识")],
        &[("file", "logo.png", "image/png", chuangkou_store::testing::PNG)],
    );
    let r = app.request(Method::POST, &files, Some(&office), &ct, body).await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let detail = app.get(&format!("/api/v1/campaigns/{id}"), Some(&affairs)).await.json();
    let roles: Vec<&str> =
        detail["members"].as_array().unwrap().iter().map(|m| m["role"].as_str().unwrap()).collect();
    assert_eq!(roles, ["member", "office_head"]);
    assert_eq!(detail["participants"].as_array().unwrap().len(), 2);
    let kinds: Vec<&str> =
        detail["files"].as_array().unwrap().iter().map(|f| f["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["basis", "logo"]);
    assert_eq!(detail["files"][0]["number"], "徐委办【2018】114号");
    // A task's owner and co-operating unit; never the lead unit itself.
    let task = detail["tasks"][0]["id"].as_i64().unwrap();
    let assign = format!("/api/v1/campaign-tasks/{task}/assignment");
    let r = app
        .post_json(&assign, Some(&office), json!({"owner_staff_id": liu, "co_unit_ids": [affairs_unit]}))
        .await;
    assert_eq!(r.status, StatusCode::UNPROCESSABLE_ENTITY, "{}", r.text());
    let r = app.post_json(&assign, Some(&affairs), json!({"owner_staff_id": liu})).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let r = app
        .post_json(&assign, Some(&office), json!({"owner_staff_id": liu, "co_unit_ids": [safety_unit]}))
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    assert_eq!(
        (r.json()["task"]["owner_staff_id"].as_i64(), r.json()["task"]["co_units"].as_str()),
        (Some(liu.get()), Some(safety_unit.to_string().as_str()))
    );
    let pdf_id = detail["files"][0]["id"].as_i64().unwrap();
    let r = app.get(&format!("/api/v1/campaign-files/{pdf_id}"), Some(&safe)).await;
    assert_eq!((r.status, r.headers["content-type"].to_str().unwrap()), (StatusCode::OK, "application/pdf"));
    assert!(r.body.starts_with(b"%PDF-"));

    // At the deadline the head of the campaign office, a shift leader of
    // another department, is told of 站务部's overdue tasks too.
    let policies = chuangkou_domain::policy::PolicySet::builtin();
    store.set_clock(noon_2026(12, 21));
    let overdue = store.sweep_timers(&policies).await.unwrap().campaign_tasks_overdue;
    assert!(overdue > 0);
    let notes = app.get("/api/v1/notifications", Some(&safe)).await.json();
    let told = notes["notifications"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "campaign_task.overdue")
        .count();
    assert_eq!(told, overdue);
    let events = app.store.events(org, None, 500).await.unwrap();
    assert_eq!(events.iter().filter(|e| e.kind == "campaign.member_added").count(), 2);
    assert_eq!(events.iter().filter(|e| e.kind == "campaign.file_added").count(), 2);
});
