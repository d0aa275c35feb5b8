//! The staff console: the organisation tree, the staff roster with import
//! and export, service points with their QR codes, and the event log.

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use chuangkou_domain::Permission;
use chuangkou_domain::org::{ServicePointKind, UnitKind};
use chuangkou_domain::roster::ImportKind;
use chuangkou_store::org::{ServicePoint, Staff, StaffQuery, Unit};
use serde::Deserialize;

use super::{Chrome, PageResult, render, render_with};
use crate::AppState;
use crate::api::import::{parse_mode, roster_workbook, run_import, xlsx_response};
use crate::auth::PageUser;
use crate::csrf::CsrfToken;
use crate::error::AppError;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(tree))
        .route("/console/staff", get(staff))
        .route(
            "/console/staff/import",
            post(import).layer(axum::extract::DefaultBodyLimit::max(crate::UPLOAD_LIMIT)),
        )
        .route("/console/staff/export.xlsx", get(export))
        .route("/console/points", get(points))
        .route("/console/events", get(events))
}

// ---- tree ----

pub struct TreeRow {
    pub depth: usize,
    pub unit: Unit,
    pub kind_label: String,
    pub staff: i64,
}

#[derive(Template)]
#[template(path = "tree.html")]
struct TreePage {
    c: Chrome,
    rows: Vec<TreeRow>,
    total_staff: i64,
}

/// Orders units parent-first, depth-first, for an indented list.
fn flatten(units: &[Unit]) -> Vec<(usize, &Unit)> {
    fn walk<'a>(units: &'a [Unit], parent: Option<i64>, depth: usize, out: &mut Vec<(usize, &'a Unit)>) {
        for u in units.iter().filter(|u| u.parent_id == parent) {
            out.push((depth, u));
            if depth < 16 {
                walk(units, Some(u.id), depth + 1, out);
            }
        }
    }
    let mut out = Vec::with_capacity(units.len());
    walk(units, None, 0, &mut out);
    out
}

async fn tree(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
) -> PageResult {
    if let Some(away) = super::supervisor_elsewhere(&user) {
        return Ok(away);
    }
    let org = user.org_id();
    let units = state.store.units(org).await?;
    let counts = state.store.staff_per_unit(org).await?;
    let rows = flatten(&units)
        .into_iter()
        .map(|(depth, u)| TreeRow {
            depth: depth.min(5),
            unit: u.clone(),
            kind_label: UnitKind::parse(&u.kind).map_or(u.kind.clone(), |k| tr.label(k).to_string()),
            staff: counts.get(&u.id).copied().unwrap_or(0),
        })
        .collect();
    let c = Chrome::for_user(&state, tr, csrf, &user, "tree").await?;
    Ok(render(&TreePage { c, rows, total_staff: counts.values().sum() }))
}

// ---- staff ----

#[derive(Deserialize, Default)]
pub struct StaffFilter {
    #[serde(default)]
    unit: String,
    #[serde(default)]
    q: String,
    #[serde(default)]
    after: String,
}

#[derive(Template)]
#[template(path = "staff.html")]
struct StaffPage {
    c: Chrome,
    /// Each unit and whether it is the selected filter.
    units: Vec<(Unit, bool)>,
    q: String,
    staff: Vec<Staff>,
    next: Option<String>,
    can_manage: bool,
}

const PAGE: i64 = 50;

async fn staff(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    filter: Result<Query<StaffFilter>, axum::extract::rejection::QueryRejection>,
) -> PageResult {
    user.require(Permission::ViewOrganisation)?;
    let f = filter.map(|Query(f)| f).unwrap_or_default();
    let org = user.org_id();
    let unit = f.unit.parse::<i64>().ok();
    let q = f.q.trim().to_string();
    let rows = state
        .store
        .staff_list(
            org,
            &StaffQuery {
                unit_id: unit,
                q: (!q.is_empty()).then(|| q.clone()),
                after_id: f.after.parse().ok(),
                limit: PAGE,
            },
        )
        .await?;
    let next = (rows.len() as i64 == PAGE).then(|| {
        let after = rows.last().map_or(0, |r| r.id.get());
        format!(
            "/console/staff?unit={}&q={}&after={after}",
            unit.map_or(String::new(), |u| u.to_string()),
            url_encode(&q)
        )
    });
    let staff = rows.into_iter().map(|s| crate::api::org::staff_view(&user, s)).collect();
    let c = Chrome::for_user(&state, tr, csrf, &user, "staff").await?;
    Ok(render(&StaffPage {
        c,
        units: state
            .store
            .units(org)
            .await?
            .into_iter()
            .map(|u| {
                let sel = Some(u.id) == unit;
                (u, sel)
            })
            .collect(),
        q,
        staff,
        next,
        can_manage: user.role().can(Permission::ManageOrganisation),
    }))
}

pub fn url_encode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn import(
    State(state): State<AppState>,
    tr: Tr,
    token: CsrfToken,
    PageUser(user): PageUser,
    headers: axum::http::HeaderMap,
    multipart: Multipart,
) -> PageResult {
    let bad = |m: String| AppError::bad_request("bad_form", m);
    let up = super::Upload::read_form(&headers, multipart).await?;
    let kind = ImportKind::parse(&up.get("kind"));
    let mode = parse_mode(Some(&up.get("mode")))?;
    let file = up.file("file");
    let kind = kind.ok_or_else(|| bad("请选择导入内容 / choose what to import".into()))?;
    let (name, bytes) =
        file.filter(|(_, b)| !b.is_empty()).ok_or_else(|| bad("请选择文件 / choose a file".into()))?;
    let out = run_import(&state, &user, kind, mode, bytes, name).await?;
    let status = if out.applied { StatusCode::OK } else { StatusCode::UNPROCESSABLE_ENTITY };
    let c = Chrome::for_user(&state, tr, token, &user, "staff").await?;
    Ok(render_with(
        status,
        &super::ImportResultPage {
            c,
            applied: out.applied,
            created: out.created,
            updated: out.updated,
            unchanged: out.unchanged,
            errors: out.errors,
        },
    ))
}

async fn export(State(state): State<AppState>, PageUser(user): PageUser) -> PageResult {
    Ok(xlsx_response(roster_workbook(&state, &user).await?, "roster.xlsx"))
}

// ---- service points ----

pub struct PointRow {
    pub p: ServicePoint,
    pub kind_label: String,
    pub public_url: String,
}

#[derive(Template)]
#[template(path = "points.html")]
struct PointsPage {
    c: Chrome,
    points: Vec<PointRow>,
}

async fn points(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
) -> PageResult {
    user.require(Permission::ViewOrganisation)?;
    let points = state
        .store
        .service_points(user.org_id())
        .await?
        .into_iter()
        .map(|p| PointRow {
            kind_label: ServicePointKind::parse(&p.kind).map_or(p.kind.clone(), |k| tr.label(k).to_string()),
            public_url: crate::api::org::public_point_url(&state, &p.public_token),
            p,
        })
        .collect();
    let c = Chrome::for_user(&state, tr, csrf, &user, "points").await?;
    Ok(render(&PointsPage { c, points }))
}

// ---- event log ----

pub struct EventLine {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub kind: String,
    pub subject: String,
    pub payload: String,
}

#[derive(Template)]
#[template(path = "events.html")]
struct EventsPage {
    c: Chrome,
    events: Vec<EventLine>,
    technical: bool,
}

async fn events(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
) -> PageResult {
    user.require(Permission::ViewEventLog)?;
    let all = state.store.events(user.org_id(), None, 200).await?;
    let names = state.store.users(user.org_id()).await?;
    let events = crate::cases_access::visible_events(&state, &user, all)
        .await?
        .into_iter()
        .map(|e| EventLine {
            seq: e.seq,
            at: format_time(e.at),
            actor: super::actor_label(&e.actor, &names, tr),
            kind: tr.event(&e.kind),
            subject: format!("{} #{}", e.subject_type, e.subject_id),
            payload: e.payload,
        })
        .collect();
    let c = Chrome::for_user(&state, tr, csrf, &user, "events").await?;
    // The raw record is a technical detail, for admins.
    let technical = user.can(Permission::ManageUsers);
    Ok(render(&EventsPage { c, events, technical }))
}

/// Beijing time, as the people using the console read it.
pub fn format_time(ms: i64) -> String {
    use chrono::{FixedOffset, TimeZone};
    let tz = FixedOffset::east_opt(8 * 3600).expect("valid offset");
    tz.timestamp_millis_opt(ms)
        .single()
        .map_or_else(|| ms.to_string(), |t| t.format("%Y-%m-%d %H:%M:%S").to_string())
}
