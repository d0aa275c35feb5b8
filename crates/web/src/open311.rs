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
use chuangkou_domain::cases::{CaseKind, Channel};
use chuangkou_domain::policy::Category;
use chuangkou_store::cases::{CaseFilter, CaseRow, NewCase, Origin};
use chuangkou_store::org::Organisation;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/open311/discovery.{ext}", get(discovery))
        .route(
            "/open311/v2/{file}",
            get(list)
                .post(create)
                .layer(axum::extract::DefaultBodyLimit::max(crate::photos::MAX_PHOTO_BYTES + 64 * 1024)),
        )
        .route("/open311/v2/services/{file}", get(service_definition))
        .route("/open311/v2/requests/{file}", get(one_request))
        .route("/open311/v2/tokens/{file}", get(token))
        // Anything else under /open311 answers in GeoReport's own shape.
        .route("/open311/{*rest}", axum::routing::any(unknown))
}

/// The format a path asks for: `.xml` is XML, anything else JSON.
fn format_of(path: &str) -> Format {
    if path.ends_with(".xml") { Format::Xml } else { Format::Json }
}

async fn unknown(uri: axum::http::Uri) -> Open311Error {
    err(StatusCode::NOT_FOUND, format_of(uri.path()), "unknown resource")
}

/// GeoReport's tokens are for servers that create requests later; ours
/// are created at once and answered with their service_request_id.
async fn token(Path(file): Path<String>) -> Open311Error {
    err(
        StatusCode::NOT_FOUND,
        format_of(&file),
        "tokens are not used here: a request is created at once and answered with its service_request_id",
    )
}

/// Service discovery: where the endpoint is, its formats, and how it
/// answers (a created request is answered 201 with its id).
async fn discovery(State(state): State<AppState>, Path(ext): Path<String>) -> R {
    let fmt = match ext.as_str() {
        "json" => Format::Json,
        "xml" => Format::Xml,
        _ => return Err(err(StatusCode::NOT_FOUND, Format::Json, "unknown resource")),
    };
    let base = state.config.public_url.trim_end_matches('/');
    let changeset = "2026-12-02T00:00:00+08:00";
    let contact = "POST /open311/v2/requests.{json,xml} with api_key (form body or query string) answers 201 Created \
                   with [{service_request_id, service_notice, account_id}]; errors are [{code, description}].";
    Ok(match fmt {
        Format::Json => json_response(discovery_value(base, changeset, contact)),
        Format::Xml => xml_response("discovery", &discovery_value(base, changeset, contact)),
    })
}

fn discovery_value(base: &str, changeset: &str, contact: &str) -> Value {
    json!({
        "changeset": changeset,
        "contact": contact,
        "key_service": format!("{base}/console (API tokens: chuangkou user token)"),
        "endpoints": [{
            "specification": "http://wiki.open311.org/GeoReport_v2",
            "url": format!("{base}/open311/v2"),
            "changeset": changeset,
            "type": "production",
            "formats": ["application/json", "text/xml"],
        }],
    })
}

/// JSON with its charset said, as GeoReport clients expect.
fn json_response(v: Value) -> Response {
    ([(CONTENT_TYPE, "application/json; charset=utf-8")], v.to_string()).into_response()
}

/// An optional argument: empty counts as absent.
fn given(v: &Option<String>) -> Option<&str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty())
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
            Format::Json => (
                status,
                [(CONTENT_TYPE, "application/json; charset=utf-8")],
                json!([{"code": code, "description": description}]).to_string(),
            )
                .into_response(),
            Format::Xml => {
                let body = json!([{"code": code, "description": description}]);
                (status, xml_response_of("errors", Some("error"), &body)).into_response()
            }
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
    if name == "discovery" {
        return discovery(State(state), Path(if fmt == Format::Xml { "xml" } else { "json" }.into())).await;
    }
    let org = jurisdiction(&state, given(&q.jurisdiction_id), fmt).await?;
    let rules =
        state.rules(&org.pack).map_err(|_| err(StatusCode::INTERNAL_SERVER_ERROR, fmt, "internal error"))?;
    match name {
        "services" => {
            let services: Vec<Value> = rules.pack.cases.categories.iter().map(service).collect();
            Ok(render(fmt, "services", "service", &services))
        }
        "requests" => {
            let full = full_view(&state, &org, given(&q.api_key), fmt).await?;
            let ids: Vec<&str> = given(&q.service_request_id)
                .map(|s| s.split(',').map(str::trim).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default();
            let codes: Vec<&str> = given(&q.service_code)
                .map(|s| s.split(',').map(str::trim).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default();
            let statuses: Vec<&str> = given(&q.status)
                .map(|s| s.split(',').map(str::trim).filter(|s| !s.is_empty()).collect())
                .unwrap_or_default();
            let date = |v: &Option<String>, name: &str| match given(v) {
                None => Ok(None),
                Some(s) => parse_time(s).map(Some).ok_or_else(|| {
                    err(StatusCode::BAD_REQUEST, fmt, format!("{name} must be a W3C date-time"))
                }),
            };
            let (from, to) = (date(&q.start_date, "start_date")?, date(&q.end_date, "end_date")?);
            let mut out = Vec::new();
            if !ids.is_empty() {
                for id in ids {
                    if let Ok(c) = state.store.case_by_number(org.id, id).await
                        && c.channel == Channel::Open311
                    {
                        out.push(request_json(&state, &org, &c, full).await);
                    }
                }
            } else {
                let f = CaseFilter {
                    channel: Some(Channel::Open311.as_str().into()),
                    // One code is filtered by the database; a list here.
                    category: (codes.len() == 1).then(|| codes[0].to_string()),
                    registered_from: from,
                    registered_to: to,
                    limit: 200,
                    ..Default::default()
                };
                for c in state.store.cases(org.id, &f).await.map_err(internal(fmt))? {
                    if !codes.is_empty() && !codes.contains(&c.category.as_str()) {
                        continue;
                    }
                    let v = request_json(&state, &org, &c, full).await;
                    if statuses.is_empty() || statuses.iter().any(|s| *s == v["status"]) {
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
async fn request_json(state: &AppState, org: &Organisation, c: &CaseRow, full: bool) -> Value {
    // Where the sender said it happened: given back as it came.
    let origin = state.store.case_origin(org.id, c.id).await.ok().flatten().unwrap_or_default();
    let offset = state
        .rules(&org.pack)
        .map(|r| r.calendar.offset)
        .unwrap_or_else(|_| chrono::FixedOffset::east_opt(8 * 3600).expect("valid"));
    let st = c.state;
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
        "address": origin.address,
        "address_id": origin.address_id,
        "zipcode": Value::Null,
        "lat": origin.lat,
        "long": origin.long,
        "media_url": origin.media_url,
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
    let org = jurisdiction(&state, given(&q.jurisdiction_id), fmt).await?;
    let rules =
        state.rules(&org.pack).map_err(|_| err(StatusCode::INTERNAL_SERVER_ERROR, fmt, "internal error"))?;
    let cat = rules
        .pack
        .cases
        .category(code)
        .ok_or_else(|| err(StatusCode::NOT_FOUND, fmt, "unknown service_code"))?;
    let def = json!({"service_code": cat.code, "attributes": []});
    Ok(match fmt {
        Format::Json => json_response(def),
        Format::Xml => xml_response("service_definition", &def),
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
    let org = jurisdiction(&state, given(&q.jurisdiction_id), fmt).await?;
    let c = state.store.case_by_number(org.id, id).await.map_err(internal(fmt))?;
    if c.channel != Channel::Open311 {
        return Err(err(StatusCode::NOT_FOUND, fmt, "not found"));
    }
    let full = full_view(&state, &org, given(&q.api_key), fmt).await?;
    Ok(render(fmt, "service_requests", "request", &[request_json(&state, &org, &c, full).await]))
}

/// A POST's arguments. GeoReport's `attribute[…]` fields are accepted and
/// not used: our services have no attributes.
#[derive(Deserialize, Default)]
pub struct CreateForm {
    api_key: Option<String>,
    jurisdiction_id: Option<String>,
    service_code: Option<String>,
    description: Option<String>,
    first_name: Option<String>,
    last_name: Option<String>,
    phone: Option<String>,
    email: Option<String>,
    address_string: Option<String>,
    address_id: Option<String>,
    lat: Option<String>,
    long: Option<String>,
    media_url: Option<String>,
    device_id: Option<String>,
    account_id: Option<String>,
}

/// The api_key (and the jurisdiction) may come in the query string too, as
/// the spec's examples and some clients (`open311`) send them.
#[derive(Deserialize, Default)]
pub struct KeyQuery {
    api_key: Option<String>,
    jurisdiction_id: Option<String>,
}

/// A POST as clients send it: urlencoded, or multipart with a `media` file
/// (`three` sends the photo so). The photo becomes the case's photo.
struct PostedRequest {
    form: Result<CreateForm, String>,
    media: Option<Vec<u8>>,
}

impl<S: Send + Sync> axum::extract::FromRequest<S> for PostedRequest {
    type Rejection = std::convert::Infallible;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, Self::Rejection> {
        if !crate::pages::is_multipart(req.headers()) {
            let form = Form::<CreateForm>::from_request(req, state)
                .await
                .map(|Form(f)| f)
                .map_err(|e| e.body_text());
            return Ok(PostedRequest { form, media: None });
        }
        let parts = match axum::extract::Multipart::from_request(req, state).await {
            Ok(p) => p,
            Err(e) => return Ok(PostedRequest { form: Err(e.body_text()), media: None }),
        };
        let up = match crate::pages::Upload::read(parts).await {
            Ok(up) => up,
            Err(e) => return Ok(PostedRequest { form: Err(e.message()), media: None }),
        };
        let media = up.files.iter().find(|f| f.0 == "media").map(|f| f.2.clone());
        let get = |k: &str| up.fields.get(k).cloned();
        let form = CreateForm {
            api_key: get("api_key"),
            jurisdiction_id: get("jurisdiction_id"),
            service_code: get("service_code"),
            description: get("description"),
            first_name: get("first_name"),
            last_name: get("last_name"),
            phone: get("phone"),
            email: get("email"),
            address_string: get("address_string"),
            address_id: get("address_id"),
            lat: get("lat"),
            long: get("long"),
            media_url: get("media_url"),
            device_id: get("device_id"),
            account_id: get("account_id"),
        };
        Ok(PostedRequest { form: Ok(form), media })
    }
}

/// An optional short field: trimmed, at most `max` characters, plain text.
fn short(fmt: Format, field: &str, v: &Option<String>, max: usize) -> Result<Option<String>, Open311Error> {
    match given(v) {
        None => Ok(None),
        Some(s) => chuangkou_domain::text::required(field, s, max)
            .map(Some)
            .map_err(|e| err(StatusCode::BAD_REQUEST, fmt, format!("{field}: {}", e.message))),
    }
}

/// The place and sender of a request, checked.
fn origin_of(fmt: Format, f: &CreateForm) -> Result<Origin, Open311Error> {
    let coordinate = |field: &str, v: &Option<String>, limit: f64| -> Result<Option<f64>, Open311Error> {
        match given(v) {
            None => Ok(None),
            Some(s) => match s.parse::<f64>() {
                Ok(x) if x.is_finite() && x.abs() <= limit => Ok(Some(x)),
                _ => Err(err(StatusCode::BAD_REQUEST, fmt, format!("{field} must be a WGS-84 degree value"))),
            },
        }
    };
    let media_url = short(fmt, "media_url", &f.media_url, 2000)?;
    if let Some(u) = &media_url
        && !(u.starts_with("https://") || u.starts_with("http://"))
    {
        return Err(err(StatusCode::BAD_REQUEST, fmt, "media_url must be an http(s) URL"));
    }
    let email = short(fmt, "email", &f.email, 254)?;
    if let Some(e) = &email
        && (!e.contains('@') || e.contains(char::is_whitespace))
    {
        return Err(err(StatusCode::BAD_REQUEST, fmt, "email is not an e-mail address"));
    }
    Ok(Origin {
        address: short(fmt, "address_string", &f.address_string, 500)?,
        address_id: short(fmt, "address_id", &f.address_id, 100)?,
        lat: coordinate("lat", &f.lat, 90.0)?,
        long: coordinate("long", &f.long, 180.0)?,
        media_url,
        device_id: short(fmt, "device_id", &f.device_id, 200)?,
        account_id: short(fmt, "account_id", &f.account_id, 200)?,
        email,
        first_name: short(fmt, "first_name", &f.first_name, 50)?,
        last_name: short(fmt, "last_name", &f.last_name, 50)?,
    })
}

async fn create(
    State(state): State<AppState>,
    Path(file): Path<String>,
    query: Result<Query<KeyQuery>, axum::extract::rejection::QueryRejection>,
    posted: PostedRequest,
) -> R {
    let Some(("requests", fmt)) = split(&file) else {
        return Err(err(StatusCode::NOT_FOUND, format_of(&file), "unknown resource"));
    };
    let mut f = posted.form.map_err(|e| err(StatusCode::BAD_REQUEST, fmt, e))?;
    let q = query.map(|Query(q)| q).unwrap_or_default();
    if given(&f.jurisdiction_id).is_none() {
        f.jurisdiction_id = q.jurisdiction_id;
    }
    let key = given(&f.api_key)
        .or(given(&q.api_key))
        .ok_or_else(|| err(StatusCode::FORBIDDEN, fmt, "api_key is required"))?;
    let user = state
        .store
        .api_token_user(key)
        .await
        .map_err(|_| err(StatusCode::FORBIDDEN, fmt, "invalid api_key"))?;
    let org = jurisdiction(&state, given(&f.jurisdiction_id), fmt).await?;
    if org.id != user.org_id {
        return Err(err(StatusCode::FORBIDDEN, fmt, "api_key is not valid for this jurisdiction"));
    }
    let rules =
        state.rules(&org.pack).map_err(|_| err(StatusCode::INTERNAL_SERVER_ERROR, fmt, "internal error"))?;
    let code = given(&f.service_code)
        .ok_or_else(|| err(StatusCode::BAD_REQUEST, fmt, "service_code is required"))?;
    let cat = rules
        .pack
        .cases
        .category(code)
        .ok_or_else(|| err(StatusCode::NOT_FOUND, fmt, "service_code not found"))?;
    let kind = if cat.kinds.contains(&CaseKind::Complaint) { CaseKind::Complaint } else { cat.kinds[0] };
    let origin = origin_of(fmt, &f)?;
    // A photo sent with the request is checked like any reporter's photo.
    let photos = match posted.media {
        None => vec![],
        Some(bytes) => match crate::photos::process(bytes).await {
            Ok(p) => vec![p],
            Err(crate::AppError::TooLarge) => {
                return Err(err(StatusCode::PAYLOAD_TOO_LARGE, fmt, "media is too large"));
            }
            Err(e) => return Err(err(StatusCode::BAD_REQUEST, fmt, format!("media: {}", e.message()))),
        },
    };
    // A request may be only a service and a place: the case then says so.
    let description = match given(&f.description) {
        Some(d) => chuangkou_domain::text::multiline("description", d, 4000)
            .map_err(|e| err(StatusCode::BAD_REQUEST, fmt, format!("{}: {}", e.field, e.message)))?,
        None => format!("{}（未附描述 / no description given）", cat.title),
    };
    let name = [origin.last_name.as_deref(), origin.first_name.as_deref()]
        .into_iter()
        .flatten()
        .collect::<Vec<_>>()
        .concat();
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
        photos,
        origin: Some(origin),
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
        Format::Json => {
            let mut res = json_response(json!(body));
            *res.status_mut() = StatusCode::CREATED;
            res
        }
        Format::Xml => {
            let mut res = render(fmt, "service_requests", "request", &body);
            *res.status_mut() = StatusCode::CREATED;
            res
        }
    })
}

fn render(fmt: Format, list: &str, item: &str, items: &[Value]) -> Response {
    match fmt {
        Format::Json => json_response(json!(items)),
        Format::Xml => xml_response_of(list, Some(item), &json!(items)),
    }
}

fn xml_response(root: &str, v: &Value) -> Response {
    xml_response_of(root, None, v)
}

fn xml_response_of(root: &str, item: Option<&str>, v: &Value) -> Response {
    ([(CONTENT_TYPE, "text/xml; charset=utf-8")], to_xml(root, item, v)).into_response()
}

/// GeoReport's XML for a JSON value, written by quick-xml so that every
/// text is escaped: an object's fields are elements, a list's entries are
/// `item` elements (at the top) or the list's name without its plural `s`
/// (`endpoints` → `endpoint`), null is an empty element. Characters XML 1.0
/// forbids are replaced, so one stored value can never make a document
/// ill-formed.
fn to_xml(root: &str, item: Option<&str>, v: &Value) -> Vec<u8> {
    use quick_xml::Writer;
    use quick_xml::events::{BytesDecl, BytesEnd, BytesStart, BytesText, Event};
    fn element(w: &mut Writer<Vec<u8>>, name: &str, item: Option<&str>, v: &Value) -> std::io::Result<()> {
        w.write_event(Event::Start(BytesStart::new(name)))?;
        match v {
            Value::Null => {}
            Value::Object(fields) => {
                for (k, x) in fields {
                    element(w, k, None, x)?;
                }
            }
            Value::Array(entries) => {
                let each = item.unwrap_or_else(|| name.strip_suffix('s').unwrap_or(name));
                for x in entries {
                    element(w, each, None, x)?;
                }
            }
            Value::String(s) => {
                w.write_event(Event::Text(BytesText::new(&chuangkou_domain::text::xml_safe(s))))?;
            }
            other => w.write_event(Event::Text(BytesText::new(&other.to_string())))?,
        }
        w.write_event(Event::End(BytesEnd::new(name)))
    }
    let mut w = Writer::new(Vec::new());
    let written = w
        .write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))
        .and_then(|()| w.write_event(Event::Text(BytesText::from_escaped("\n"))))
        .and_then(|()| element(&mut w, root, item, v));
    // Writing to a Vec cannot fail.
    written.expect("XML into memory");
    w.into_inner()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads `xml` back with quick-xml's reader: each element's text, or
    /// the first error (an ill-formed document).
    fn texts(xml: &[u8]) -> Result<Vec<String>, quick_xml::Error> {
        use quick_xml::events::Event;
        let mut reader = quick_xml::Reader::from_reader(xml);
        let (mut out, mut text, mut buf) = (vec![], String::new(), vec![]);
        loop {
            match reader.read_event_into(&mut buf)? {
                Event::Text(t) => text += &t.xml10_content(),
                Event::GeneralRef(r) => text.push(match &*r.xml10_content() {
                    "amp" => '&',
                    "lt" => '<',
                    "gt" => '>',
                    "quot" => '"',
                    "apos" => '\'',
                    other => panic!("entity {other}"),
                }),
                Event::End(_) if !text.trim().is_empty() => out.push(std::mem::take(&mut text)),
                Event::End(_) | Event::Start(_) => text.clear(),
                Event::Eof => return Ok(out),
                _ => {}
            }
            buf.clear();
        }
    }

    #[test]
    fn every_text_is_escaped_and_a_forbidden_character_replaced() {
        let v = json!([{"description": "<b>收费员</b> & \"他\" 'x'\u{FFFE}\u{1}", "lat": 37.86, "media_url": null}]);
        let xml = to_xml("service_requests", Some("request"), &v);
        let text = String::from_utf8(xml.clone()).unwrap();
        assert!(
            text.starts_with("<?xml version=\"1.0\" encoding=\"utf-8\"?>\n<service_requests><request>"),
            "{text}"
        );
        assert!(text.contains("<media_url></media_url>"), "{text}");
        let read = texts(&xml).expect("well-formed");
        assert_eq!(read, ["<b>收费员</b> & \"他\" 'x'\u{FFFD}\u{FFFD}", "37.86"]);
    }

    #[test]
    fn lists_inside_are_named_by_their_singular() {
        let v = json!({"endpoints": [{"formats": ["application/json", "text/xml"]}]});
        let text = String::from_utf8(to_xml("discovery", None, &v)).unwrap();
        assert!(
            text.ends_with(
                "<discovery><endpoints><endpoint><formats><format>application/json</format>\
                 <format>text/xml</format></formats></endpoint></endpoints></discovery>"
            ),
            "{text}"
        );
    }
}
