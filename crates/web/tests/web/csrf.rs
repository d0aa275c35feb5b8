//! Every form of the console and the public pages refuses a post without
//! its CSRF token (issue 22's gate): the page routers' tables are read from
//! their source, so a form route added without its check fails here.

use axum::http::{Method, StatusCode};
use chuangkou_domain::Role;

use crate::common::{PASSWORD, Reply, TestApp, multipart};

fn refused_for_token(r: &Reply) -> bool {
    let text = r.text();
    r.status == StatusCode::BAD_REQUEST && (text.contains("表单已过期") || text.contains("form has expired"))
}
use chuangkou_store::story;

/// `(path, method)` of every route the page routers answer with a write.
fn page_writes() -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src/pages");
    let mut out = vec![];
    for entry in std::fs::read_dir(dir).unwrap() {
        let src = std::fs::read_to_string(entry.unwrap().path()).unwrap();
        let Some(start) = src.find("pub fn router()") else { continue };
        let end = start + src[start..].find("\n}\n").unwrap();
        for piece in src[start..end].split(".route(").skip(1) {
            let path = piece.split('"').nth(1).unwrap();
            let writes = piece.match_indices("post(").any(|(i, _)| {
                i == 0 || !piece.as_bytes()[i - 1].is_ascii_alphanumeric() && piece.as_bytes()[i - 1] != b'_'
            });
            if writes {
                out.push(path.to_string());
            }
        }
    }
    out.sort();
    out
}

story!(no_form_is_accepted_without_its_csrf_token, |store| {
    let mut app = TestApp::new(store);
    let seed = app.seed("CS").await;
    app.user(seed.org_id, "admin", Role::Admin).await;
    app.sign_in("admin", PASSWORD).await;
    let before = app.store.events(seed.org_id, None, 10_000).await.unwrap().len();
    let routes = page_writes();
    assert!(routes.len() > 50, "the page routers were read: {routes:?}");
    let mut refused = 0;
    for route in &routes {
        // Ids of records that exist, so that the check is reached.
        let path = route
            .replace("{id}", "1")
            .replace("{code}", "CS")
            .replace("{org}", "CS")
            .replace("{token}", "x")
            .replace("{serial}", "x")
            .replace("{kind}", "x");
        // A form as a browser would send it, with everything but the token:
        // urlencoded, or multipart where the form uploads.
        let form = "application/x-www-form-urlencoded";
        let mut r = app.request(Method::POST, &path, None, form, "title=x&note=x").await;
        if r.status == StatusCode::BAD_REQUEST && !refused_for_token(&r) {
            let (content_type, body) = multipart(&[("title", "x"), ("note", "x")], "a.csv", b"x\n");
            r = app.request(Method::POST, &path, None, &content_type, body).await;
        }
        assert!(
            !r.status.is_success() && !r.status.is_redirection(),
            "POST {path} without a CSRF token answered {}",
            r.status
        );
        if refused_for_token(&r) {
            refused += 1;
        } else {
            // Refused before the form was read: no such record, a role
            // that may not, or a form missing its fields.
            assert!(
                matches!(r.status.as_u16(), 403 | 404 | 422),
                "POST {path} without a CSRF token answered {}: {}",
                r.status,
                r.text()
            );
        }
    }
    // Nearly all are refused for the missing token itself (49 when this was
    // written: a lower count means a form lost its check, since a handler
    // that reads the form first answers 422 like the few that must); the
    // rest found no such record first. None wrote anything.
    assert!(refused >= 49, "only {refused} of {} refused for the token", routes.len());
    // A form over the body limit is refused as too large before its token
    // is looked at, as an upload is.
    let big = format!("title={}", "x".repeat(chuangkou_web::BODY_LIMIT + 1));
    let r =
        app.request(Method::POST, "/console/notices", None, "application/x-www-form-urlencoded", big).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE, "{}", r.text());
    let after = app.store.events(seed.org_id, None, 10_000).await.unwrap().len();
    assert_eq!(before, after, "a form without its token changed nothing");
});
