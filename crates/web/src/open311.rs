//! Open311 GeoReport v2 (SPEC API-2): civic-reporting apps and 12345
//! platforms list our services (the pack's case categories), file requests
//! with an API key, and follow their status, in JSON or XML.
//!
//! Errors here use GeoReport's own shape — `[{"code": 400, "description":
//! "…"}]` — because that is what its clients parse. Responses validate
//! against the official schemas (tests/open311/).

use axum::Form;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::SecondsFormat;
use chuangkou_domain::cases::{CaseKind, Channel, State as CaseState};
use chuangkou_domain::policy::Category;
use chuangkou_store::cases::{CaseFilter, CaseRow, NewCase};
use chuangkou_store::org::Organisation;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/open311/v2/{file}", get(list).post(create))
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(one_request))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Format {
    Json,
    Xml,
}

/// Splits `requests.json` into (`requests`, JSON).
fn split(file: &str) -> Option<(&str, Format)> {
    let (name, ext) = file.rsplit_once('.')?;
    let fmt = match ext {
        "json" => Format::Json,
        "xml" => Format::Xml,
        _ => return None,
    };
    Some((name, fmt))
}

struct Open311Error(StatusCode, String, Format);

impl IntoResponse for Open311Error {
    fn into_response(self) -> Response {
        let Open311Error(status, description, fmt) = self;
        let code = status.as_u16();
        match fmt {
            Format::Json => (status, axum::Json(json!([{"code": code, "description": description}]))).into_response(),
            Format::Xml => (
                status,
                [(CONTENT_TYPE, "text/xml; charset=utf-8")],
                format!(
                    "<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<errors><error><code>{code}</code><description>{}</description></error></errors>",
                    xml_escape(&description)
                ),
            )
                .into_response(),
        }
    }
}

type R = Result<Response, Open311Error>;

fn err(status: StatusCode, fmt: Format, message: impl Into<String>) -> Open311Error {
    Open311Error(status, message.into(), fmt)
}

fn internal(fmt: Format) -> impl Fn(chuangkou_store::StoreError) -> Open311Error {
    move |e| {
        if matches!(e, chuangkou_store::StoreError::NotFound) {
            return err(StatusCode::NOT_FOUND, fmt, "not found");
        }
        tracing::error!(error = %e, "open311");
        err(StatusCode::INTERNAL_SERVER_ERROR, fmt, "internal error")
    }
}

#[derive(Deserialize, Default)]
pub struct Params {
    jurisdiction_id: Option<String>,
    service_request_id: Option<String>,
    service_code: Option<String>,
    start_date: Option<String>,
    end_date: Option<String>,
    status: Option<String>,
    /// An API token of the organisation: with it, requests carry their
    /// description and reply; without it, only status, service and dates.
    api_key: Option<String>,
}

/// Whether the caller may read requests in full: a valid API token of this
/// organisation whose user may see every case. A key that is not valid is
/// refused rather than read as anonymous.
async fn full_view(
    state: &AppState,
    org: &Organisation,
    key: Option<&str>,
    fmt: Format,
) -> Result<bool, Open311Error> {
    let Some(key) = key.filter(|k| !k.is_empty()) else { return Ok(false) };
    let user = state
        .store
        .api_token_user(key)
        .await
        .map_err(|_| err(StatusCode::FORBIDDEN, fmt, "invalid api_key"))?;
    if user.org_id != org.id {
        return Err(err(StatusCode::FORBIDDEN, fmt, "api_key is not valid for this jurisdiction"));
    }
    Ok(user.role().can(chuangkou_domain::Permission::ViewAllCases))
}

/// The organisation a request is about: `jurisdiction_id` is its code; with
/// only one organisation it may be left out.
async fn jurisdiction(state: &AppState, id: Option<&str>, fmt: Format) -> Result<Organisation, Open311Error> {
    match id.filter(|s| !s.is_empty()) {
        Some(code) => state
            .store
            .organisation_by_code(code)
            .await
            .map_err(|_| err(StatusCode::NOT_FOUND, fmt, "unknown jurisdiction_id")),
        None => {
            let orgs = state.store.organisations().await.map_err(internal(fmt))?;
            match <[Organisation; 1]>::try_from(orgs) {
                Ok([one]) => Ok(one),
                Err(_) => Err(err(StatusCode::BAD_REQUEST, fmt, "jurisdiction_id is required")),
            }
        }
    }
}

fn service(c: &Category) -> Value {
    json!({
        "service_code": c.code,
        "service_name": c.title,
        "description": c.title_en,
        "metadata": false,
        "type": "realtime",
        "keywords": c.kinds.iter().map(|k| k.as_str()).collect::<Vec<_>>().join(","),
        "group": c.kinds.first().map(|k| k.label_zh()),
    })
}

async fn list(
    State(state): State<AppState>,
    Path(file): Path<String>,
    q: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> R {
    let Some((name, fmt)) = split(&file) else {
        return Err(err(StatusCode::NOT_FOUND, Format::Json, "unknown resource"));
    };
    let q = q.map(|Query(q)| q).map_err(|e| err(StatusCode::BAD_REQUEST, fmt, e.body_text()))?;
    let org = jurisdiction(&state, q.jurisdiction_id.as_deref(), fmt).await?;
    let rules =
        state.rules(&org.pack).map_err(|_| err(StatusCode::INTERNAL_SERVER_ERROR, fmt, "internal error"))?;
    match name {
        "services" => {
            let services: Vec<Value> = rules.pack.cases.categories.iter().map(service).collect();
            Ok(render(fmt, "services", "service", &services))
        }
        "requests" => {
            let full = full_view(&state, &org, q.api_key.as_deref(), fmt).await?;
            let ids: Vec<&str> = q
                .service_request_id
                .as_deref()
                .map(|s| s.split(',').map(str::trim).collect())
                .unwrap_or_default();
            let mut out = Vec::new();
            if !ids.is_empty() {
                for id in ids {
                    if let Ok(c) = state.store.case_by_number(org.id, id).await
                        && c.channel == Channel::Open311.as_str()
                    {
                        out.push(request_json(&state, &org, &c, full));
                    }
                }
            } else {
                let f = CaseFilter {
                    channel: Some(Channel::Open311.as_str().into()),
                    category: q.service_code.clone(),
                    registered_from: q.start_date.as_deref().and_then(parse_time),
                    registered_to: q.end_date.as_deref().and_then(parse_time),
                    limit: 200,
                    ..Default::default()
                };
                for c in state.store.cases(org.id, &f).await.map_err(internal(fmt))? {
                    let v = request_json(&state, &org, &c, full);
                    if q.status.as_deref().is_none_or(|s| s.split(',').any(|s| s.trim() == v["status"])) {
                        out.push(v);
                    }
                }
            }
            Ok(render(fmt, "service_requests", "request", &out))
        }
        _ => Err(err(StatusCode::NOT_FOUND, fmt, "unknown resource")),
    }
}

fn parse_time(s: &str) -> Option<i64> {
    chrono::DateTime::parse_from_rfc3339(s).ok().map(|t| t.timestamp_millis())
}

fn iso(state_offset: chrono::FixedOffset, ms: i64) -> String {
    use chrono::TimeZone;
    state_offset
        .timestamp_millis_opt(ms)
        .single()
        .map(|t| t.to_rfc3339_opts(SecondsFormat::Secs, false))
        .unwrap_or_default()
}

/// A case as a GeoReport request: status, public notes, no personal data.
/// Anonymous callers (`full` false) get status, service and dates only: the
/// description and the reply are the reporter's and the organisation's
/// words about a person, not public information.
fn request_json(state: &AppState, org: &Organisation, c: &CaseRow, full: bool) -> Value {
    let offset = state
        .rules(&org.pack)
        .map(|r| r.calendar.offset)
        .unwrap_or_else(|_| chrono::FixedOffset::east_opt(8 * 3600).expect("valid"));
    let st = CaseState::parse(&c.state).unwrap_or(CaseState::Registered);
    let category =
        state.rules(&org.pack).ok().and_then(|r| r.pack.cases.category(&c.category).map(|x| x.title.clone()));
    let notes = match &c.reply {
        Some(reply) if full => format!("{}：{reply}", st.label_zh()),
        _ => st.label_zh().to_string(),
    };
    json!({
        "service_request_id": c.number,
        "status": if st.is_open() { "open" } else { "closed" },
        "status_notes": notes,
        "service_name": category,
        "service_code": c.category,
        "description": if full { Value::from(c.description.clone()) } else { Value::Null },
        "agency_responsible": org.name,
        "service_notice": Value::Null,
        "requested_datetime": iso(offset, c.registered_at),
        "updated_datetime": iso(offset, c.updated_at),
        "expected_datetime": iso(offset, c.handle_due),
        "address": Value::Null,
        "address_id": Value::Null,
        "zipcode": Value::Null,
        "lat": Value::Null,
        "long": Value::Null,
        "media_url": Value::Null,
    })
}

async fn service_definition(
    State(state): State<AppState>,
    Path(file): Path<String>,
    q: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> R {
    let Some((code, fmt)) = split(&file) else {
        return Err(err(StatusCode::NOT_FOUND, Format::Json, "unknown resource"));
    };
    let q = q.map(|Query(q)| q).map_err(|e| err(StatusCode::BAD_REQUEST, fmt, e.body_text()))?;
    let org = jurisdiction(&state, q.jurisdiction_id.as_deref(), fmt).await?;
    let rules =
        state.rules(&org.pack).map_err(|_| err(StatusCode::INTERNAL_SERVER_ERROR, fmt, "internal error"))?;
    let cat = rules
        .pack
        .cases
        .category(code)
        .ok_or_else(|| err(StatusCode::NOT_FOUND, fmt, "unknown service_code"))?;
    let def = json!({"service_code": cat.code, "attributes": []});
    Ok(match fmt {
        Format::Json => axum::Json(def).into_response(),
        Format::Xml => xml_response(format!(
            "<service_definition><service_code>{}</service_code><attributes></attributes></service_definition>",
            xml_escape(&cat.code)
        )),
    })
}

async fn one_request(
    State(state): State<AppState>,
    Path(file): Path<String>,
    q: Result<Query<Params>, axum::extract::rejection::QueryRejection>,
) -> R {
    let Some((id, fmt)) = split(&file) else {
        return Err(err(StatusCode::NOT_FOUND, Format::Json, "unknown resource"));
    };
    let q = q.map(|Query(q)| q).map_err(|e| err(StatusCode::BAD_REQUEST, fmt, e.body_text()))?;
    let org = jurisdiction(&state, q.jurisdiction_id.as_deref(), fmt).await?;
    let c = state.store.case_by_number(org.id, id).await.map_err(internal(fmt))?;
    if c.channel != Channel::Open311.as_str() {
        return Err(err(StatusCode::NOT_FOUND, fmt, "not found"));
    }
    let full = full_view(&state, &org, q.api_key.as_deref(), fmt).await?;
    Ok(render(fmt, "service_requests", "request", &[request_json(&state, &org, &c, full)]))
}

#[derive(Deserialize, Default)]
pub struct CreateForm {
    api_key: Option<String>,
    jurisdiction_id: Option<String>,
    service_code: Option<String>,
    description: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
    address_string: Option<String>,
}

async fn create(
    State(state): State<AppState>,
    Path(file): Path<String>,
    form: Result<Form<CreateForm>, axum::extract::rejection::FormRejection>,
) -> R {
    let Some(("requests", fmt)) = split(&file) else {
        return Err(err(StatusCode::NOT_FOUND, Format::Json, "unknown resource"));
    };
    let Form(f) = form.map_err(|e| err(StatusCode::BAD_REQUEST, fmt, e.body_text()))?;
    let key = f
        .api_key
        .as_deref()
        .filter(|k| !k.is_empty())
        .ok_or_else(|| err(StatusCode::FORBIDDEN, fmt, "api_key is required"))?;
    let user = state
        .store
        .api_token_user(key)
        .await
        .map_err(|_| err(StatusCode::FORBIDDEN, fmt, "invalid api_key"))?;
    let org = jurisdiction(&state, f.jurisdiction_id.as_deref(), fmt).await?;
    if org.id != user.org_id {
        return Err(err(StatusCode::FORBIDDEN, fmt, "api_key is not valid for this jurisdiction"));
    }
    let rules =
        state.rules(&org.pack).map_err(|_| err(StatusCode::INTERNAL_SERVER_ERROR, fmt, "internal error"))?;
    let code = f.service_code.as_deref().unwrap_or("");
    let cat = rules
        .pack
        .cases
        .category(code)
        .ok_or_else(|| err(StatusCode::BAD_REQUEST, fmt, "service_code not found"))?;
    let kind = if cat.kinds.contains(&CaseKind::Complaint) { CaseKind::Complaint } else { cat.kinds[0] };
    let mut description = f.description.clone().unwrap_or_default();
    if let Some(addr) = f.address_string.as_deref().filter(|a| !a.trim().is_empty()) {
        description = format!("{description}\n地点：{addr}");
    }
    let description = chuangkou_domain::text::required("description", &description, 4000)
        .map_err(|e| err(StatusCode::BAD_REQUEST, fmt, format!("{}: {}", e.field, e.message)))?;
    let name =
        [f.last_name.as_deref(), f.first_name.as_deref()].into_iter().flatten().collect::<Vec<_>>().concat();
    let phone = match f.phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => Some(
            chuangkou_domain::text::phone("phone", p)
                .map_err(|e| err(StatusCode::BAD_REQUEST, fmt, e.message))?,
        ),
        None => None,
    };
    let nc = NewCase {
        kind,
        channel: Channel::Open311,
        category: cat.code.clone(),
        track: None,
        description,
        unit_id: None,
        service_point_id: None,
        subject_staff_id: None,
        plate: None,
        reporter_name: (!name.trim().is_empty()).then(|| name.trim().to_string()),
        reporter_phone: phone,
        registered_by: None,
        issue_tracking_code: false,
    };
    let r = state.register_case(&org, &nc, &format!("user:{}", user.id)).await.map_err(|e| match e {
        crate::AppError::Validation(f) => err(
            StatusCode::BAD_REQUEST,
            fmt,
            f.iter().map(|f| f.message.clone()).collect::<Vec<_>>().join("; "),
        ),
        other => {
            tracing::error!(error = %other.message(), "open311 intake");
            err(StatusCode::INTERNAL_SERVER_ERROR, fmt, "internal error")
        }
    })?;
    let body = [
        json!({"service_request_id": r.number, "service_notice": format!("已受理，编号 {}", r.number), "account_id": Value::Null}),
    ];
    Ok(match fmt {
        Format::Json => (StatusCode::CREATED, axum::Json(json!(body))).into_response(),
        Format::Xml => {
            let mut res = render(fmt, "service_requests", "request", &body);
            *res.status_mut() = StatusCode::CREATED;
            res
        }
    })
}

fn render(fmt: Format, list: &str, item: &str, items: &[Value]) -> Response {
    match fmt {
        Format::Json => axum::Json(json!(items)).into_response(),
        Format::Xml => {
            let mut out = format!("<{list}>");
            for v in items {
                out += &format!("<{item}>");
                if let Some(obj) = v.as_object() {
                    for (k, v) in obj {
                        let text = match v {
                            Value::Null => String::new(),
                            Value::String(s) => xml_escape(s),
                            other => xml_escape(&other.to_string()),
                        };
                        out += &format!("<{k}>{text}</{k}>");
                    }
                }
                out += &format!("</{item}>");
            }
            out += &format!("</{list}>");
            xml_response(out)
        }
    }
}

fn xml_response(body: String) -> Response {
    (
        [(CONTENT_TYPE, "text/xml; charset=utf-8")],
        format!("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n{body}"),
    )
        .into_response()
}

fn xml_escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}
