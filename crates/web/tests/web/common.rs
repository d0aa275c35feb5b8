//! A test client that keeps cookies, over the real application router.

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chuangkou_domain::org::{NewServicePoint, NewStaff, NewUnit, ServicePointKind, UnitKind};
use chuangkou_domain::{OrgId, Role, StaffId};
use chuangkou_store::Store;
use chuangkou_store::users::NewUser;
use chuangkou_web::{AppState, WebConfig};
use http_body_util::BodyExt;
use serde_json::Value;
use tower::ServiceExt;

pub const PASSWORD: &str = "correct horse battery";

pub struct TestApp {
    pub store: Store,
    router: Router,
    pub cookies: Vec<(String, String)>,
}

pub struct Reply {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn code(&self) -> String {
        self.json()["code"].as_str().unwrap_or_default().to_string()
    }
}

/// An organisation with one station, one team, two staff and a lane.
pub struct Seed {
    pub org_id: OrgId,
    pub station_id: i64,
    pub staff_id: StaffId,
    pub point_id: i64,
}

impl TestApp {
    pub fn new(store: Store) -> Self {
        TestApp::with_config(store, WebConfig::default())
    }

    /// With `config`, but never a login delay and always the test's public URL.
    pub fn with_config(store: Store, config: WebConfig) -> Self {
        let config = WebConfig { login_delay_ms: 0, public_url: "http://ck.test".into(), ..config };
        let router = chuangkou_web::app(AppState::new(
            store.clone(),
            config,
            chuangkou_domain::policy::PolicySet::builtin(),
        ));
        TestApp { store, router, cookies: vec![] }
    }

    pub async fn seed(&self, code: &str) -> Seed {
        let s = &self.store;
        let org = s
            .create_organisation("test", code, &format!("{code} 公司"), "toll", Some("0351-12122"))
            .await
            .unwrap();
        let unit = |c: &str, n: &str, k, p: Option<&str>| NewUnit {
            code: c.into(),
            name: n.into(),
            kind: k,
            parent_code: p.map(Into::into),
        };
        let station =
            s.create_unit(org.id, "test", &unit("S01", "小店收费站", UnitKind::Station, None)).await.unwrap();
        s.create_unit(org.id, "test", &unit("S01-T1", "一班", UnitKind::Team, Some("S01"))).await.unwrap();
        let staff = s
            .create_staff(
                org.id,
                "test",
                &NewStaff {
                    employee_no: "1001".into(),
                    name: "陈晓燕".into(),
                    unit_code: "S01-T1".into(),
                    position: Some("收费员".into()),
                    phone: Some("13912345678".into()),
                    certificate_no: None,
                },
            )
            .await
            .unwrap();
        let point = s
            .create_service_point(
                org.id,
                "test",
                &NewServicePoint {
                    code: "S01-L01".into(),
                    name: "入口 1 号车道".into(),
                    kind: ServicePointKind::Lane,
                    unit_code: "S01".into(),
                    vehicle_plate: None,
                },
            )
            .await
            .unwrap();
        Seed { org_id: org.id, station_id: station.id, staff_id: staff.id, point_id: point.id }
    }

    pub async fn user(&self, org_id: OrgId, username: &str, role: Role) {
        let hash = chuangkou_web::auth::hash_password(PASSWORD.into()).await.unwrap();
        self.store
            .create_user(
                org_id,
                "test",
                &NewUser { username, display_name: username, password_hash: &hash, role, staff_id: None },
            )
            .await
            .unwrap();
    }

    /// A user linked to a staff record, with an API token; returns the token.
    pub async fn staff_token(&self, org_id: OrgId, username: &str, role: Role, staff_id: StaffId) -> String {
        let hash = chuangkou_web::auth::hash_password(PASSWORD.into()).await.unwrap();
        let u = self
            .store
            .create_user(
                org_id,
                "test",
                &NewUser {
                    username,
                    display_name: username,
                    password_hash: &hash,
                    role,
                    staff_id: Some(staff_id),
                },
            )
            .await
            .unwrap();
        self.store.create_api_token(&u, "test").await.unwrap().1
    }

    /// A staff member of team S01-T1; returns the id.
    pub async fn staff(&self, org_id: OrgId, no: &str, name: &str) -> StaffId {
        let s = NewStaff {
            employee_no: no.into(),
            name: name.into(),
            unit_code: "S01-T1".into(),
            position: None,
            phone: None,
            certificate_no: None,
        };
        self.store.create_staff(org_id, "test", &s).await.unwrap().id
    }

    /// A user with an API token; returns the token.
    pub async fn token(&self, org_id: OrgId, username: &str, role: Role) -> String {
        self.user(org_id, username, role).await;
        let user = self.store.user_by_username(username).await.unwrap();
        self.store.create_api_token(&user, "test").await.unwrap().1
    }

    pub fn cookie(&self, name: &str) -> Option<String> {
        self.cookies.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    /// The router itself, for requests sent at the same time.
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    pub async fn send(&mut self, req: Request<Body>) -> Reply {
        let mut req = req;
        if !self.cookies.is_empty() && !req.headers().contains_key(header::COOKIE) {
            let jar = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join("; ");
            req.headers_mut().insert(header::COOKIE, jar.parse().unwrap());
        }
        let (method, uri) = (req.method().to_string(), req.uri().to_string());
        let res = self.router.clone().oneshot(req).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        for sc in headers.get_all(header::SET_COOKIE) {
            let sc = sc.to_str().unwrap();
            let (kv, attrs) = sc.split_once(';').unwrap_or((sc, ""));
            let (k, v) = kv.split_once('=').unwrap();
            self.cookies.retain(|(name, _)| name != k);
            if !attrs.contains("Max-Age=0") {
                self.cookies.push((k.to_string(), v.to_string()));
            }
        }
        let body = res.into_body().collect().await.unwrap().to_bytes().to_vec();
        // Every answer of the API, in every story, is as the document says.
        let content_type = headers.get(header::CONTENT_TYPE).and_then(|v| v.to_str().ok()).unwrap_or("");
        let problems = crate::openapi::check_answer(&method, &uri, status.as_u16(), content_type, &body);
        assert!(problems.is_empty(), "the answer differs from openapi.json: {problems:#?}");
        Reply { status, headers, body }
    }

    pub async fn get(&mut self, path: &str, token: Option<&str>) -> Reply {
        let mut b = Request::builder().uri(path);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        self.send(b.body(Body::empty()).unwrap()).await
    }

    pub async fn request(
        &mut self,
        method: Method,
        path: &str,
        token: Option<&str>,
        content_type: &str,
        body: impl Into<Body>,
    ) -> Reply {
        let mut b = Request::builder().method(method).uri(path).header(header::CONTENT_TYPE, content_type);
        if let Some(t) = token {
            b = b.header(header::AUTHORIZATION, format!("Bearer {t}"));
        }
        self.send(b.body(body.into()).unwrap()).await
    }

    pub async fn post_json(&mut self, path: &str, token: Option<&str>, body: Value) -> Reply {
        self.request(Method::POST, path, token, "application/json", body.to_string()).await
    }

    /// Loads a page to get the CSRF cookie, then posts the form with it.
    pub async fn post_form(&mut self, path: &str, fields: &[(&str, &str)]) -> Reply {
        if self.cookie("ck_csrf").is_none() {
            self.get("/login", None).await;
        }
        let csrf = self.cookie("ck_csrf").unwrap();
        let mut body: Vec<String> = fields.iter().map(|(k, v)| format!("{k}={}", urlencode(v))).collect();
        body.push(format!("_csrf={csrf}"));
        self.request(Method::POST, path, None, "application/x-www-form-urlencoded", body.join("&")).await
    }

    pub async fn sign_in(&mut self, username: &str, password: &str) -> Reply {
        self.post_form("/login", &[("username", username), ("password", password)]).await
    }
}

pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A multipart body with the given text fields and one file.
pub fn multipart(fields: &[(&str, &str)], file_name: &str, file: &[u8]) -> (String, Vec<u8>) {
    multipart_files(fields, &[("file", file_name, "text/csv", file)])
}

/// A multipart body with text fields and files `(field, file name, type, bytes)`.
pub fn multipart_files(fields: &[(&str, &str)], files: &[(&str, &str, &str, &[u8])]) -> (String, Vec<u8>) {
    let boundary = "----chuangkou-test-boundary";
    let mut body = Vec::new();
    for (k, v) in fields {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n").as_bytes(),
        );
    }
    for (field, file_name, ct, bytes) in files {
        body.extend(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{file_name}\"\r\nContent-Type: {ct}\r\n\r\n")
                .as_bytes(),
        );
        body.extend(*bytes);
        body.extend(b"\r\n");
    }
    body.extend(format!("--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}
