//! The OpenAPI document is served, is well-formed, and every operation it
//! documents is routed (no 404/405 from the router) and answers in the
//! documented shape.

use axum::http::{Method, StatusCode};
use chuangkou_domain::Role;
use chuangkou_store::story;
use serde_json::{Value, json};

use crate::common::TestApp;

story!(every_documented_operation_is_routed, |store| {
    // An installation that signs checkpoints, as `serve` does.
    let key = chuangkou_store::checkpoints::signing_key(&"11".repeat(32)).unwrap();
    let config =
        chuangkou_web::WebConfig { checkpoint_key: Some(std::sync::Arc::new(key)), ..Default::default() };
    let mut app = TestApp::with_config(store, config);
    let seed = app.seed("TY").await;
    let token = app.token(seed.org_id, "admin", Role::Admin).await;

    let case = app
        .post_json(
            "/api/v1/cases",
            Some(&token),
            json!({"kind": "complaint", "category": "attitude", "description": "态度生硬", "reporter_phone": "13800000000"}),
        )
        .await
        .json();
    let (case_id, number, code) =
        (case["id"].as_i64().unwrap(), case["number"].clone(), case["tracking_code"].clone());

    let point_token = app.store.service_point(seed.org_id, seed.point_id).await.unwrap().public_token;
    // Satisfaction: two bad ratings (one to appeal in the loop, one already
    // appealed for the leader to decide), a staff survey to answer and read,
    // and another to close.
    let leader = app.token(seed.org_id, "leader", Role::Leader).await;
    let rate = |device: &str| json!({"point": point_token, "level": 1, "device": device});
    let bad =
        app.post_json("/api/v1/ratings", None, rate("openapi-bad-1")).await.json()["id"].as_i64().unwrap();
    let bad2 =
        app.post_json("/api/v1/ratings", None, rate("openapi-bad-2")).await.json()["id"].as_i64().unwrap();
    let appeal = app
        .post_json(&format!("/api/v1/ratings/{bad2}/appeal"), Some(&token), json!({"reason": "误评"}))
        .await
        .json()["id"]
        .as_i64()
        .unwrap();
    let survey = |code: &str| {
        json!({"code": code, "title": "职工满意度", "audience": "staff",
            "questions": [{"type": "scale", "text": "工作环境", "dimension": "tangibles"}]})
    };
    let staff_q = app.post_json("/api/v1/questionnaires", Some(&token), survey("s1")).await.json()["id"]
        .as_i64()
        .unwrap();
    let close_q = app.post_json("/api/v1/questionnaires", Some(&token), survey("s2")).await.json()["id"]
        .as_i64()
        .unwrap();
    let admin_id = app.store.user_by_username("admin").await.unwrap().id;
    let facility = json!({"service_point_id": seed.point_id, "kind": "umbrella", "name": "爱心雨伞"});
    let facility = app.post_json("/api/v1/facilities", Some(&token), facility).await.json()["facility"]["id"]
        .as_i64()
        .unwrap();
    let r = app.get("/api/v1/openapi.json", None).await;
    assert_eq!(r.status, StatusCode::OK);
    let doc: Value = r.json();
    assert_eq!(doc["openapi"], "3.1.0");
    let paths = doc["paths"].as_object().unwrap();
    assert!(paths.len() >= 22, "documented paths: {}", paths.len());

    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            if EXERCISED_ELSEWHERE.contains(&(method.as_str(), path.as_str())) {
                continue;
            }
            let concrete = path
                .replace("/units/{id}", &format!("/units/{}", seed.station_id))
                .replace("/staff/{id}", &format!("/staff/{}", seed.staff_id))
                .replace("/service-points/{id}", &format!("/service-points/{}", seed.point_id))
                .replace("/cases/{id}", &format!("/cases/{case_id}"))
                .replace("{kind}", "staff")
                .replace("{org}", "TY")
                .replace("/ratings/{id}", &format!("/ratings/{bad}"))
                .replace("/rating-appeals/{id}", &format!("/rating-appeals/{appeal}"))
                .replace("/questionnaires/{id}/close", &format!("/questionnaires/{close_q}/close"))
                .replace("/questionnaires/{id}", &format!("/questionnaires/{staff_q}"))
                .replace("/users/{id}", &format!("/users/{admin_id}"))
                .replace("/facilities/{id}", &format!("/facilities/{facility}"));
            // Appeal decisions, closing a month, and reading the ledger's and
            // inspections' registers are the leaders'.
            let registers =
                ["/codebook", "/ledger/", "/inspection", "/rectifications", "/reports", "/exports/fines"];
            let token = if path == "/rating-appeals/{id}/decision"
                || path == "/assessment/close"
                || path == "/assessment/close-year"
                || registers.iter().any(|r| path.starts_with(r))
            {
                &leader
            } else {
                &token
            };
            let url = format!("/api/v1{concrete}");
            let r = match method.as_str() {
                "get" => app.get(&url, Some(token)).await,
                "post" => {
                    let body = if concrete == "/imports/directory" || concrete == "/imports/duty" {
                        op["requestBody"]["content"]["text/csv"]["example"].as_str().unwrap().to_string()
                    } else if concrete == "/imports/volumes" {
                        "单位编码,日期,车流量\nS01,2026-11-02,150000\n".to_string()
                    } else if concrete.starts_with("/imports") {
                        return_csv()
                    } else if concrete == "/public/track" {
                        json!({"number": number, "code": code}).to_string()
                    } else if concrete == "/duty" || concrete == "/facilities" {
                        // The example with this database's unit, person and point.
                        let mut body = op["requestBody"]["content"]["application/json"]["example"].clone();
                        for (key, id) in [
                            ("unit_id", seed.station_id),
                            ("staff_id", seed.staff_id.get()),
                            ("service_point_id", seed.point_id),
                        ] {
                            if body.get(key).is_some() {
                                body[key] = json!(id);
                            }
                        }
                        body.to_string()
                    } else if concrete == "/ratings" {
                        json!({"point": point_token, "level": 5, "device": "openapi-test"}).to_string()
                    } else {
                        // The document's own example: an integrator who
                        // copies it gets a success.
                        let media = &op["requestBody"]["content"]["application/json"];
                        if media.is_null() { "{}".to_string() } else { media["example"].to_string() }
                    };
                    let ct = if concrete.starts_with("/imports") { "text/csv" } else { "application/json" };
                    app.request(Method::POST, &url, Some(token), ct, body).await
                }
                m => panic!("undocumented method {m}"),
            };
            let documented: Vec<&String> = op["responses"].as_object().unwrap().keys().collect();
            assert!(
                documented.contains(&&r.status.as_u16().to_string()),
                "{method} {path} answered {} which is not documented ({documented:?}): {}",
                r.status,
                r.text()
            );
            assert!(
                r.status.is_success(),
                "{method} {path} with valid input answered {}: {}",
                r.status,
                r.text()
            );
        }
    }
});

/// Operations that need a world of their own (an approved entry, a fine,
/// an inspection with a failed item, a photo, an appeal…): each is called
/// with valid input, and its answer checked, by the stories named here.
const EXERCISED_ELSEWHERE: &[(&str, &str)] = &[
    // A campaign needs a pack with a template (bus) and its departments.
    ("get", "/campaigns/{id}"),              // campaigns.rs
    ("get", "/campaigns/{id}/phases.svg"),   // campaigns.rs
    ("post", "/campaigns"),                  // campaigns.rs
    ("get", "/campaigns/{id}/evaluations"),  // campaigns.rs
    ("post", "/campaigns/{id}/evaluations"), // campaigns.rs
    ("post", "/campaigns/{id}/review"),      // campaigns.rs
    ("post", "/campaign-tasks/{id}/steps"),  // campaigns.rs
    // Training needs sessions, people and a unit of this database.
    ("post", "/training-plans"),                           // training.rs
    ("get", "/training-plans/{id}"),                       // training.rs
    ("post", "/training-sessions"),                        // training.rs
    ("get", "/training-sessions/{id}"),                    // training.rs
    ("post", "/training-sessions/{id}/attendance"),        // training.rs
    ("post", "/training-sessions/{id}/attendance/import"), // training.rs
    ("post", "/training-sessions/{id}/close"),             // training.rs
    ("post", "/check-in"),                                 // training.rs
    ("get", "/exams/{id}"),                                // training.rs
    ("post", "/exams/{id}/results"),                       // training.rs
    ("post", "/qualifications"),                           // training.rs
    ("get", "/training/me"),                               // training.rs
    // Certificates need a closed month and a campaign; publishing needs a case.
    ("post", "/certificates"),                         // recognition.rs
    ("post", "/certificates/issue"),                   // recognition.rs
    ("get", "/certificates/{id}/pdf"),                 // recognition.rs
    ("post", "/certificates/{id}/payment"),            // recognition.rs
    ("post", "/typical-cases/{id}/publication"),       // recognition.rs
    ("post", "/typical-cases/{id}/withdrawal"),        // recognition.rs
    ("post", "/campaigns/{id}/members"),               // campaigns.rs
    ("post", "/campaigns/{id}/units"),                 // campaigns.rs
    ("post", "/campaigns/{id}/files"),                 // campaigns.rs
    ("get", "/campaign-files/{id}"),                   // campaigns.rs
    ("post", "/campaign-tasks/{id}/assignment"),       // campaigns.rs
    ("post", "/ledger/facts"),                         // access.rs, pages.rs
    ("post", "/ledger/entries"),                       // ledger.rs
    ("get", "/ledger/entries/{id}"),                   // ledger.rs, access.rs
    ("post", "/ledger/entries/{id}/decision"),         // ledger.rs
    ("post", "/ledger/entries/{id}/reversal"),         // below
    ("post", "/ledger/entries/{id}/appeal"),           // ledger.rs
    ("post", "/ledger/entries/{id}/appeal/decision"),  // ledger.rs
    ("post", "/ledger/fines/{id}/collection"),         // ledger.rs
    ("post", "/ledger/fines/{id}/waiver"),             // access.rs
    ("post", "/imports/attendance"),                   // ledger.rs
    ("post", "/units/{id}/manager"),                   // below
    ("post", "/inspection-plans"),                     // below
    ("post", "/inspections"),                          // ledger.rs
    ("get", "/inspections/{id}"),                      // access.rs
    ("post", "/inspections/{id}/items/{item}/photos"), // ledger.rs
    ("get", "/photos/{id}"),                           // access.rs, ledger.rs
    ("get", "/photos/{id}/thumb"),                     // ledger.rs
    ("post", "/rectifications/{id}/steps"),            // ledger.rs
    ("post", "/reports"),                              // below
    ("post", "/reports/{id}/decision"),                // below
    ("post", "/notices/{id}/publication"),             // notices.rs
    ("post", "/notices/{id}/withdrawal"),              // notices.rs
    ("post", "/directory/{id}/check"),                 // directory.rs
    ("post", "/directory/{id}/retirement"),            // directory.rs
    ("post", "/cases/{id}/one-time-notices"),          // guides.rs
    ("get", "/cases/{id}/one-time-notices/{file}"),    // guides.rs
];

fn return_csv() -> String {
    "工号,姓名,单位编码\n2001,赵敏,S01-T1\n".to_string()
}

/// Every route of the API's router is in the document, with each of its
/// methods, and the document has no operation the router lacks: the
/// router's table is read from its source, so a route added without its
/// description fails here.
#[test]
fn the_document_and_the_router_list_the_same_operations() {
    let src = include_str!("../../src/api/mod.rs");
    let start = src.find("pub fn router()").expect("the router");
    let body = &src[start..start + src[start..].find("\n}\n").expect("its end")];
    let mut routed = std::collections::BTreeSet::new();
    for piece in body.split(".route(").skip(1) {
        let path = piece.split('"').nth(1).expect("a path");
        // The handlers up to the next route: `get(…)`, `.post(…)`.
        for method in ["get", "post", "put", "patch", "delete"] {
            let called = piece.match_indices(&format!("{method}(")).any(|(i, _)| {
                i == 0 || !piece.as_bytes()[i - 1].is_ascii_alphanumeric() && piece.as_bytes()[i - 1] != b'_'
            });
            if called {
                routed.insert((path.to_string(), method.to_string()));
            }
        }
    }
    let doc: serde_json::Value = serde_json::from_str(include_str!("../../src/api/openapi.json")).unwrap();
    let documented: std::collections::BTreeSet<(String, String)> = doc["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .filter(|m| *m != "parameters")
                .map(move |m| (p.clone(), m.clone()))
        })
        .collect();
    assert!(routed.len() > 70, "the router's table was read: {routed:?}");
    let undocumented: Vec<_> = routed.difference(&documented).collect();
    let unrouted: Vec<_> = documented.difference(&routed).collect();
    assert!(undocumented.is_empty(), "routed but not in openapi.json: {undocumented:?}");
    assert!(unrouted.is_empty(), "in openapi.json but not routed: {unrouted:?}");
    // Every operation says what it is, which errors it answers, the shape
    // of its JSON request and answers field by field, with an example of
    // each that conforms to its schema.
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let at = format!("{method} {path}");
            assert!(op["summary"].as_str().is_some_and(|s| !s.is_empty()), "{at}: no summary");
            assert!(
                op["responses"].as_object().is_some_and(|r| r.keys().any(|k| k.starts_with('4'))),
                "{at}: no error"
            );
            let mut media: Vec<(String, &Value)> = vec![];
            if let Some(m) = op["requestBody"]["content"].get("application/json") {
                media.push(("request".into(), m));
            }
            for (code, r) in op["responses"].as_object().unwrap() {
                if let Some(m) = r["content"].get("application/json")
                    && code.starts_with('2')
                    && path != "/openapi.json"
                {
                    media.push((code.clone(), m));
                }
            }
            for (what, m) in media {
                let schema = &m["schema"];
                let described = !schema["$ref"].is_null()
                    || !schema["properties"].is_null()
                    || !schema["items"].is_null()
                    || !schema["anyOf"].is_null();
                assert!(described, "{at} {what}: a schema without fields: {schema}");
                assert!(!m["example"].is_null(), "{at} {what}: no example");
                let mut problems = vec![];
                conforms(&doc, schema, &m["example"], &format!("{at} {what} example"), &mut problems);
                assert!(problems.is_empty(), "{problems:?}");
            }
        }
    }
}

// The operations no other story calls, called as their users would, each
// answer checked against the document.
story!(plans_reports_unit_heads_and_reversals_answer_as_documented, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("TY").await;
    let office = app.token(seed.org_id, "office", Role::Office).await;
    let leader = app.token(seed.org_id, "leader", Role::Leader).await;
    let supervisor = app.token(seed.org_id, "supervisor", Role::Supervisor).await;
    let doc: Value = serde_json::from_str(include_str!("../../src/api/openapi.json")).unwrap();
    let documented = |method: &str, path: &str, status: StatusCode| {
        let codes = doc["paths"][path][method]["responses"].as_object().unwrap();
        assert!(codes.contains_key(status.as_str()), "{method} {path} answered {status}, not documented");
    };
    let r = app
        .post_json(
            &format!("/api/v1/units/{}/manager", seed.station_id),
            Some(&office),
            json!({"staff_id": seed.staff_id}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    documented("post", "/units/{id}/manager", r.status);
    let r = app
        .post_json(
            "/api/v1/inspection-plans",
            Some(&office),
            json!({"title": "十一月暗访", "kind": "routine", "mode": "secret", "checklist": ["TY-U1"]}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    documented("post", "/inspection-plans", r.status);
    let r = app
        .post_json(
            "/api/v1/reports",
            Some(&supervisor),
            json!({"title": "晋祠站夜班脱岗", "findings": "23:00 后收费亭无人", "proposals": "通报批评"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    documented("post", "/reports", r.status);
    let report = r.json()["id"].as_i64().unwrap();
    let r = app
        .post_json(
            &format!("/api/v1/reports/{report}/decision"),
            Some(&leader),
            json!({"outcome": "adopted", "decision": "责成站长整改"}),
        )
        .await;
    documented("post", "/reports/{id}/decision", r.status);
    assert!(r.status.is_success(), "{}", r.text());
    let r = app
        .post_json(
            "/api/v1/ledger/entries",
            Some(&office),
            json!({"kind": "commendation", "staff_id": seed.staff_id, "note": "拾金不昧"}),
        )
        .await;
    assert_eq!(r.status, StatusCode::CREATED, "{}", r.text());
    let entry = r.json()["entry"]["id"].as_i64().unwrap();
    let r = app
        .post_json(
            &format!("/api/v1/ledger/entries/{entry}/decision"),
            Some(&leader),
            json!({"approve": true}),
        )
        .await;
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = app
        .post_json(
            &format!("/api/v1/ledger/entries/{entry}/reversal"),
            Some(&leader),
            json!({"reason": "录入对象有误"}),
        )
        .await;
    documented("post", "/ledger/entries/{id}/reversal", r.status);
    assert!(r.status.is_success(), "{}", r.text());
    for path in ["/codebook", "/inspection-plans", "/reports", "/ledger/entries"] {
        let r = app.get(&format!("/api/v1{path}"), Some(&leader)).await;
        documented("get", path, r.status);
        assert_eq!(r.status, StatusCode::OK, "{path}: {}", r.text());
        // The rows just made are described field by field by the document.
        let schema = &doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
        let body = r.json();
        let mut problems = vec![];
        conforms(&doc, schema, &body, path, &mut problems);
        assert!(problems.is_empty(), "{path}: {problems:?}");
        if path != "/codebook" {
            let list = body.as_object().unwrap().values().find(|v| v.is_array()).unwrap();
            assert!(!list.as_array().unwrap().is_empty(), "{path}: a row to check");
        }
    }
});

/// Checks `v` against an OpenAPI 3.1 schema of this document: `$ref` to
/// its components, `type` (one or a list), `required`, `properties`,
/// `additionalProperties`, `items`, `enum`, `anyOf`, `allOf`, lengths and
/// ranges (patterns are left to schemathesis, which has a regex engine).
pub(crate) fn conforms(doc: &Value, schema: &Value, v: &Value, at: &str, problems: &mut Vec<String>) {
    if let Some(r) = schema["$ref"].as_str() {
        let name = r.trim_start_matches("#/components/schemas/");
        return conforms(doc, &doc["components"]["schemas"][name], v, at, problems);
    }
    for part in schema["allOf"].as_array().into_iter().flatten() {
        conforms(doc, part, v, at, problems);
    }
    if let Some(options) = schema["anyOf"].as_array() {
        let ok = options.iter().any(|o| {
            let mut p = vec![];
            conforms(doc, o, v, at, &mut p);
            p.is_empty()
        });
        if !ok {
            problems.push(format!("{at}: matches none of anyOf"));
        }
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(t) => vec![t.as_str()],
        Value::Array(ts) => ts.iter().filter_map(Value::as_str).collect(),
        _ => vec![],
    };
    let is = |t: &str| match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        _ => true,
    };
    if !types.is_empty() && !types.iter().any(|t| is(t)) {
        problems.push(format!("{at}: {v} is not {types:?}"));
        return;
    }
    if let Some(text) = v.as_str() {
        let n = text.chars().count() as u64;
        if schema["minLength"].as_u64().is_some_and(|m| n < m)
            || schema["maxLength"].as_u64().is_some_and(|m| n > m)
        {
            problems.push(format!("{at}: {v} has a length outside the schema's"));
        }
    }
    if let Some(x) = v.as_f64()
        && (schema["minimum"].as_f64().is_some_and(|m| x < m)
            || schema["maximum"].as_f64().is_some_and(|m| x > m))
    {
        problems.push(format!("{at}: {v} is outside the schema's range"));
    }
    if let Some(e) = schema["enum"].as_array()
        && !e.contains(v)
    {
        problems.push(format!("{at}: {v} not in {e:?}"));
    }
    for r in schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str) {
        if v.get(r).is_none() {
            problems.push(format!("{at}: missing {r}"));
        }
    }
    if let (Some(props), Some(obj)) = (schema["properties"].as_object(), v.as_object()) {
        for (k, sub) in props {
            if let Some(x) = obj.get(k) {
                conforms(doc, sub, x, &format!("{at}.{k}"), problems);
            }
        }
    }
    if let Some(obj) = v.as_object() {
        let known = schema["properties"].as_object();
        let extra = obj.iter().filter(|(k, _)| !known.is_some_and(|p| p.contains_key(*k)));
        match &schema["additionalProperties"] {
            Value::Bool(false) => {
                for (k, _) in extra {
                    problems.push(format!("{at}: {k} is not in the schema"));
                }
            }
            sub @ Value::Object(_) => {
                for (k, x) in extra {
                    conforms(doc, sub, x, &format!("{at}.{k}"), problems);
                }
            }
            _ => {}
        }
    }
    if let Some(arr) = v.as_array()
        && !schema["items"].is_null()
    {
        for (i, x) in arr.iter().enumerate() {
            conforms(doc, &schema["items"], x, &format!("{at}[{i}]"), problems);
        }
    }
}

/// Problems of a `GET` answer of `path` against the document's 200 schema.
pub(crate) fn answer_problems(path: &str, body: &Value) -> Vec<String> {
    let doc: Value = serde_json::from_str(include_str!("../../src/api/openapi.json")).unwrap();
    let schema = &doc["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"];
    assert!(!schema.is_null(), "{path}: no 200 schema");
    let mut problems = vec![];
    conforms(&doc, schema, body, path, &mut problems);
    problems
}

/// The document, read once.
pub(crate) fn document() -> &'static Value {
    static DOC: std::sync::OnceLock<Value> = std::sync::OnceLock::new();
    DOC.get_or_init(|| serde_json::from_str(include_str!("../../src/api/openapi.json")).unwrap())
}

/// Problems of any answer of the API against the document: the operation
/// is documented, the status is one it lists, and a JSON body has the
/// schema listed for that status. `TestApp` checks every answer of every
/// story with it, so a story that meets an undocumented answer fails.
pub(crate) fn check_answer(
    method: &str,
    uri: &str,
    status: u16,
    content_type: &str,
    body: &[u8],
) -> Vec<String> {
    let doc = document();
    let path = uri.split('?').next().unwrap_or_default();
    let Some(path) = path.strip_prefix("/api/v1") else { return vec![] };
    let segments: Vec<&str> = path.split('/').collect();
    // The template that matches with the most literal segments:
    // `/cases/duplicates` before `/cases/{id}`.
    let template = doc["paths"]
        .as_object()
        .unwrap()
        .keys()
        .filter(|t| {
            let ts: Vec<&str> = t.split('/').collect();
            ts.len() == segments.len() && ts.iter().zip(&segments).all(|(t, s)| t.starts_with('{') || t == s)
        })
        .max_by_key(|t| t.split('/').filter(|s| !s.starts_with('{')).count());
    let method = method.to_ascii_lowercase();
    let Some(op) = template.map(|t| &doc["paths"][t][method.as_str()]).filter(|op| !op.is_null()) else {
        // A path or method the API does not have is refused by the router.
        return if status == 404 || status == 405 {
            vec![]
        } else {
            vec![format!("{method} {path} answered {status} but is not in the document")]
        };
    };
    let template = template.unwrap();
    let mut answer = &op["responses"][status.to_string()];
    if let Some(r) = answer["$ref"].as_str() {
        answer = &doc["components"]["responses"][r.trim_start_matches("#/components/responses/")];
    }
    if answer.is_null() {
        let body = String::from_utf8_lossy(body);
        return vec![format!("{method} {template} answered {status}, which it does not list: {body}")];
    }
    if !content_type.starts_with("application/json") {
        return vec![];
    }
    let schema = &answer["content"]["application/json"]["schema"];
    if schema.is_null() {
        return vec![format!("{method} {template} {status}: JSON answer without a schema")];
    }
    let Ok(v) = serde_json::from_slice::<Value>(body) else {
        return vec![format!("{method} {template} {status}: not JSON")];
    };
    let mut problems = vec![];
    conforms(doc, schema, &v, &format!("{method} {template} {status}"), &mut problems);
    problems
}

/// Every list of codes in the document is the domain's list: a code the
/// product answers is never missing from the document (a user's role
/// `discipline` once was), and the document never offers a code the
/// product refuses. Lists that are a deliberate part are named.
#[test]
fn the_documents_code_lists_are_the_domains() {
    use chuangkou_domain::{cases, inspections as i, ledger as l, org, satisfaction as s};
    fn codes<T: Copy>(all: &[T], f: fn(T) -> &'static str) -> Vec<&'static str> {
        all.iter().map(|v| f(*v)).collect()
    }
    let domain: Vec<(&str, Vec<&str>)> = vec![
        ("Role", codes(&Role::ALL, Role::as_str)),
        ("State", codes(&cases::State::ALL, cases::State::as_str)),
        ("CaseKind", codes(cases::CaseKind::ALL, cases::CaseKind::as_str)),
        ("Channel", codes(cases::Channel::ALL, cases::Channel::as_str)),
        ("Finding", codes(cases::Finding::ALL, cases::Finding::as_str)),
        ("Responsibility", codes(cases::Responsibility::ALL, cases::Responsibility::as_str)),
        ("Satisfaction", codes(cases::Satisfaction::ALL, cases::Satisfaction::as_str)),
        ("EntryKind", codes(l::EntryKind::ALL, l::EntryKind::as_str)),
        ("EntryStatus", codes(l::EntryStatus::ALL, l::EntryStatus::as_str)),
        ("FactKind", codes(l::FactKind::ALL, l::FactKind::as_str)),
        ("Severity", codes(l::Severity::ALL, l::Severity::as_str)),
        ("AppealOutcome", codes(l::AppealOutcome::ALL, l::AppealOutcome::as_str)),
        ("FineStatus", codes(l::FineStatus::ALL, l::FineStatus::as_str)),
        ("UnitKind", codes(org::UnitKind::ALL, org::UnitKind::as_str)),
        ("ServicePointKind", codes(org::ServicePointKind::ALL, org::ServicePointKind::as_str)),
        ("InspectionKind", codes(i::InspectionKind::ALL, i::InspectionKind::as_str)),
        ("InspectionMode", codes(i::InspectionMode::ALL, i::InspectionMode::as_str)),
        ("TargetKind", codes(i::TargetKind::ALL, i::TargetKind::as_str)),
        ("ItemResult", codes(i::ItemResult::ALL, i::ItemResult::as_str)),
        ("RectificationState", codes(i::RectificationState::ALL, i::RectificationState::as_str)),
        ("ReportOutcome", codes(i::ReportOutcome::ALL, i::ReportOutcome::as_str)),
        ("Audience", codes(s::Audience::ALL, s::Audience::as_str)),
        ("Dimension", codes(s::Dimension::ALL, s::Dimension::as_str)),
        ("RatingStatus", codes(s::RatingStatus::ALL, s::RatingStatus::as_str)),
    ];
    fn walk<'a>(v: &'a Value, at: String, out: &mut Vec<(String, Vec<&'a str>)>) {
        match v {
            Value::Object(o) => {
                if let Some(e) = o.get("enum").and_then(Value::as_array) {
                    out.push((at.clone(), e.iter().filter_map(Value::as_str).collect()));
                }
                for (k, x) in o {
                    walk(x, format!("{at}/{k}"), out);
                }
            }
            Value::Array(a) => a.iter().enumerate().for_each(|(i, x)| walk(x, format!("{at}/{i}"), out)),
            _ => {}
        }
    }
    let mut lists = vec![];
    walk(document(), String::new(), &mut lists);
    let mut problems = vec![];
    let mut checked = 0;
    for (at, list) in &lists {
        // The domain list it shares most codes with, if two or more.
        let Some((name, codes)) = domain
            .iter()
            .map(|(n, c)| (n, c, list.iter().filter(|x| c.contains(x)).count()))
            .filter(|(_, _, shared)| *shared >= 2)
            .max_by_key(|(_, _, shared)| *shared)
            .map(|(n, c, _)| (n, c))
        else {
            continue;
        };
        checked += 1;
        let foreign: Vec<_> = list.iter().filter(|x| !codes.contains(x)).collect();
        let missing: Vec<_> = codes.iter().filter(|x| !list.contains(x)).collect();
        if NOT_ONE_DOMAIN_LIST.iter().any(|p| at.contains(p)) {
            continue;
        }
        if !foreign.is_empty() || !missing.is_empty() {
            problems.push(format!("{at} ({name}): not in the domain {foreign:?}, missing {missing:?}"));
        }
    }
    assert!(checked >= 10, "code lists compared: {checked}");
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Lists that are not one domain list whole, on purpose.
const NOT_ONE_DOMAIN_LIST: &[&str] = &[
    // A waiver answers one of its two outcomes.
    "/ledger/fines/{id}/waiver/post/responses/200",
    // The tracking page's actions: the reporter's verdict, or withdrawing.
    "/public/track/post/requestBody/content/application/json/schema/properties/action",
];
