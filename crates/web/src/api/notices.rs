//! The notices API (SPEC PUB-2): the office writes, publishes and
//! withdraws; anyone reads what is valid now, as JSON, RSS or the plain
//! text of a unit's variable message sign.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::CONTENT_TYPE;
use axum::response::{IntoResponse, Response};
use chrono::{FixedOffset, NaiveDateTime, TimeZone};
use chuangkou_domain::{OrgId, Permission, notices};
use chuangkou_store::notices::NoticeRow;
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiResult, AppError};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::{AppState, auth::CurrentUser};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NoticeInput {
    pub kind: String,
    pub title: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub area: Option<String>,
    /// RFC 3339, or `YYYY-MM-DDTHH:MM` in the organisation's time.
    pub valid_from: String,
    pub valid_until: String,
    #[serde(default)]
    pub unit_id: Option<i64>,
    #[serde(default)]
    pub publish: bool,
}

/// A time as a person or a client writes it: RFC 3339, or a form's
/// `YYYY-MM-DDTHH:MM` (or with a space) in the organisation's offset.
pub fn parse_time(s: &str, offset: FixedOffset) -> Option<i64> {
    let s = s.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(s) {
        return Some(t.timestamp_millis());
    }
    ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"]
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .and_then(|t| offset.from_local_datetime(&t).single())
        .map(|t| t.timestamp_millis())
}

pub async fn offset_of(state: &AppState, org_id: OrgId) -> ApiResult<FixedOffset> {
    let org = state.store.organisation(org_id).await?;
    Ok(state.rules(&org.pack)?.calendar.offset)
}

/// Checks an input against the domain's rules, times read in `offset`.
pub fn check(input: &NoticeInput, offset: FixedOffset) -> Result<notices::NewNotice, AppError> {
    let window = (parse_time(&input.valid_from, offset), parse_time(&input.valid_until, offset));
    notices::check(
        &input.kind,
        &input.title,
        &input.body,
        input.area.as_deref().unwrap_or(""),
        window,
        input.unit_id,
    )
    .map_err(AppError::from)
}

pub async fn list(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    user.require(Permission::PublishNotices)?;
    Ok(Json(json!({"notices": state.store.notices(user.org_id()).await?})))
}

pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<NoticeInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    user.require(Permission::PublishNotices)?;
    let n = check(&input, offset_of(&state, user.org_id()).await?)?;
    let id = state.store.create_notice(user.org_id(), &user.0, &n, input.publish).await?;
    Ok((StatusCode::CREATED, Json(json!({"notice": state.store.notice(user.org_id(), id).await?}))))
}

pub async fn publish(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Value>> {
    user.require(Permission::PublishNotices)?;
    Ok(Json(json!({"notice": state.store.publish_notice(user.org_id(), &user.0, id).await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct WithdrawInput {
    pub reason: String,
}

pub async fn withdraw(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<WithdrawInput>,
) -> ApiResult<Json<Value>> {
    user.require(Permission::PublishNotices)?;
    Ok(Json(json!({"notice": state.store.withdraw_notice(user.org_id(), &user.0, id, &input.reason).await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PublicQuery {
    /// A unit's code: that unit's notices and the organisation's.
    #[serde(default)]
    pub unit: Option<String>,
}

/// What the public sees now, for the organisation or one unit of it.
pub async fn current(state: &AppState, org_code: &str, unit: Option<&str>) -> ApiResult<Vec<NoticeRow>> {
    let org = state.store.organisation_by_code(org_code).await?;
    let unit_id = unit_by_code(state, org.id, unit).await?;
    Ok(state.store.public_notices(org.id, unit_id, state.store.now_ms()).await?)
}

/// The unit a public feed's `?unit=CODE` names (404 if none); empty or
/// absent: the whole organisation.
pub async fn unit_by_code(state: &AppState, org_id: OrgId, code: Option<&str>) -> ApiResult<Option<i64>> {
    let Some(code) = code.map(str::trim).filter(|u| !u.is_empty()) else { return Ok(None) };
    let units = state.store.units(org_id).await?;
    Ok(Some(units.into_iter().find(|u| u.code == code).ok_or(AppError::NotFound)?.id))
}

/// `GET /api/v1/public/notices/{org}`: the notices valid now, as JSON.
pub async fn public_json(
    State(state): State<AppState>,
    ApiPath(org): ApiPath<String>,
    ApiQuery(q): ApiQuery<PublicQuery>,
) -> ApiResult<Json<Value>> {
    let rows = current(&state, &org, q.unit.as_deref()).await?;
    let public: Vec<Value> = rows.iter().map(public_view).collect();
    Ok(Json(json!({"notices": public})))
}

/// A notice as the public sees it: no author, no internal state.
pub fn public_view(n: &NoticeRow) -> Value {
    json!({"id": n.id, "kind": n.kind, "title": n.title, "body": n.body, "area": n.area,
        "unit_name": n.unit_name, "valid_from": n.valid_from, "valid_until": n.valid_until})
}

/// The plain text of a unit's variable message sign: the titles and texts
/// of what is valid now, newest first, in lines no wider than the sign and
/// in characters a GB2312 sign can show. Empty when nothing is valid.
pub fn sign_text(rows: &[NoticeRow], width: usize) -> String {
    let texts: Vec<String> = rows.iter().map(|n| format!("{} {}", n.title, n.body)).collect();
    let mut out = notices::sign_lines(texts.iter().map(String::as_str), width).join("\n");
    if !out.is_empty() {
        out.push('\n');
    }
    out
}

pub fn text_response(body: String) -> Response {
    ([(CONTENT_TYPE, "text/plain; charset=utf-8")], body).into_response()
}

type XmlWriter = quick_xml::Writer<Vec<u8>>;

/// `<name>text</name>`, the text escaped and stripped of what XML cannot hold.
fn leaf(w: &mut XmlWriter, name: &str, text: &str) -> std::io::Result<()> {
    use quick_xml::events::{BytesEnd, BytesStart, BytesText, Event};
    w.write_event(Event::Start(BytesStart::new(name)))?;
    w.write_event(Event::Text(BytesText::new(&chuangkou_domain::text::xml_safe(text))))?;
    w.write_event(Event::End(BytesEnd::new(name)))
}

/// A feed written into memory by `write` (which cannot fail there).
fn xml_document(write: impl FnOnce(&mut XmlWriter) -> std::io::Result<()>) -> Vec<u8> {
    use quick_xml::events::{BytesDecl, Event};
    let mut w = quick_xml::Writer::new(Vec::new());
    let written =
        w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None))).and_then(|()| write(&mut w));
    written.expect("XML into memory");
    w.into_inner()
}

const FEED_TITLE: &str = "公告 / notices";
const FEED_ABOUT: &str = "天气、路况、停电与服务变更 / weather, roads, outages and service changes";

/// What a feed entry says: the area of an outage, then the text.
fn entry_text(n: &NoticeRow) -> String {
    let area = n.area.as_deref().map(|a| format!("范围 / area: {a}\n")).unwrap_or_default();
    format!("{area}{}", n.body)
}

/// RSS 2.0 of the notices valid now: one item each, written by quick-xml
/// so that every text is escaped.
pub fn rss(org_name: &str, link: &str, rows: &[NoticeRow]) -> Vec<u8> {
    use quick_xml::events::{BytesEnd, BytesStart, Event};
    let rfc2822 =
        |ms: i64| chrono::DateTime::from_timestamp_millis(ms).map(|t| t.to_rfc2822()).unwrap_or_default();
    xml_document(|w| {
        w.write_event(Event::Start(BytesStart::new("rss").with_attributes([("version", "2.0")])))?;
        w.write_event(Event::Start(BytesStart::new("channel")))?;
        leaf(w, "title", &format!("{org_name} {FEED_TITLE}"))?;
        leaf(w, "link", link)?;
        leaf(w, "description", FEED_ABOUT)?;
        for n in rows {
            w.write_event(Event::Start(BytesStart::new("item")))?;
            leaf(w, "title", &n.title)?;
            leaf(w, "description", &entry_text(n))?;
            leaf(w, "category", &n.kind)?;
            leaf(w, "guid", &format!("{link}#notice-{}", n.id))?;
            leaf(w, "pubDate", &rfc2822(n.valid_from))?;
            w.write_event(Event::End(BytesEnd::new("item")))?;
        }
        w.write_event(Event::End(BytesEnd::new("channel")))?;
        w.write_event(Event::End(BytesEnd::new("rss")))
    })
}

/// Atom (RFC 4287) of the notices valid now: the feed's `updated` is the
/// newest entry's, each entry's id a stable tag URI of the notice.
pub fn atom(org_name: &str, link: &str, rows: &[NoticeRow]) -> Vec<u8> {
    use quick_xml::events::{BytesEnd, BytesStart, Event};
    let rfc3339 = |ms: i64| {
        chrono::DateTime::from_timestamp_millis(ms)
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true))
            .unwrap_or_default()
    };
    let changed = |n: &NoticeRow| n.published_at.unwrap_or(n.created_at).max(n.valid_from);
    let updated = rows.iter().map(changed).max().unwrap_or(0);
    let href = |w: &mut XmlWriter, rel: &str, to: &str| {
        w.write_event(Event::Empty(BytesStart::new("link").with_attributes([("rel", rel), ("href", to)])))
    };
    xml_document(|w| {
        w.write_event(Event::Start(
            BytesStart::new("feed").with_attributes([("xmlns", "http://www.w3.org/2005/Atom")]),
        ))?;
        leaf(w, "title", &format!("{org_name} {FEED_TITLE}"))?;
        leaf(w, "subtitle", FEED_ABOUT)?;
        leaf(w, "id", &format!("{link}/notices.atom"))?;
        href(w, "alternate", link)?;
        href(w, "self", &format!("{link}/notices.atom"))?;
        leaf(w, "updated", &rfc3339(updated))?;
        w.write_event(Event::Start(BytesStart::new("author")))?;
        leaf(w, "name", org_name)?;
        w.write_event(Event::End(BytesEnd::new("author")))?;
        for n in rows {
            w.write_event(Event::Start(BytesStart::new("entry")))?;
            leaf(w, "title", &n.title)?;
            leaf(w, "id", &format!("{link}#notice-{}", n.id))?;
            href(w, "alternate", &format!("{link}#notice-{}", n.id))?;
            leaf(w, "updated", &rfc3339(changed(n)))?;
            w.write_event(Event::Empty(
                BytesStart::new("category").with_attributes([("term", n.kind.as_str())]),
            ))?;
            leaf(w, "content", &entry_text(n))?;
            w.write_event(Event::End(BytesEnd::new("entry")))?;
        }
        w.write_event(Event::End(BytesEnd::new("feed")))
    })
}
