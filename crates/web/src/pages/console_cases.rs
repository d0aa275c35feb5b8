//! The staff console for cases: the inbox and search, registration with
//! duplicate warnings, and the case page with its timeline and only the
//! actions the rules allow.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chuangkou_domain::cases::lifecycle::Conclusion;
use chuangkou_domain::cases::{Actor, CaseView, Command, Finding, Responsibility, Satisfaction, decide};
use chuangkou_domain::{CaseId, Permission, Role, UserId};
use chuangkou_store::cases::{CaseRow, Duplicate, Reporter, TimelineEntry};
use chuangkou_store::org::Unit;
use chuangkou_store::users::User;
use serde::Deserialize;

use super::console::format_time;
use super::{Chrome, PageResult, render};
use crate::AppState;
use crate::api::cases::{ActionInput, run_action};
use crate::auth::{CurrentUser, PageUser};
use crate::cases_access::{may_see_reporter, visible};
use crate::csrf::CsrfForm;
use crate::csrf::CsrfToken;
use crate::error::AppError;
use crate::extract::parse_id;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/cases/{id}", get(page))
        .route("/console/cases/{id}/act", post(act))
        .route("/console/cases/{id}/reveal", post(reveal))
        .route("/console/cases/{id}/one-time-notice", post(notify_once))
        .route("/console/cases/{id}/photos/{photo}", get(photo))
        .route("/console/cases/{id}/photos/{photo}/thumb", get(thumb))
        .route("/console/notifications", get(notifications))
        .route("/console/notifications/read", axum::routing::post(read_notifications))
}

/// Where another system said a case happened, as shown on its page.
pub struct Place {
    pub address: String,
    pub address_id: String,
    pub coordinates: String,
    /// Shown as text to copy, never as a link or an image: it points
    /// outside, and the page loads nothing from elsewhere.
    pub media_url: Option<String>,
}

/// A photo the reporter attached, to whoever may see the case.
async fn case_photo(state: &AppState, user: &CurrentUser, case: &str, photo: i64, thumb: bool) -> PageResult {
    let (ct, bytes, of) = state.store.case_photo(user.org_id(), photo, thumb).await?;
    if Some(of) != case.parse::<CaseId>().ok() {
        return Err(AppError::NotFound.into());
    }
    visible(user, state.store.case(user.org_id(), of).await?)?;
    Ok(crate::api::inspections::photo_response(photo, &ct, bytes, thumb))
}

async fn photo(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(p): Path<(String, i64)>,
) -> PageResult {
    case_photo(&state, &user, &p.0, p.1, false).await
}

async fn thumb(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(p): Path<(String, i64)>,
) -> PageResult {
    case_photo(&state, &user, &p.0, p.1, true).await
}

/// A case line for lists, with labels resolved.
pub struct CaseLine {
    pub id: CaseId,
    pub number: String,
    pub kind: String,
    pub state: String,
    pub category: String,
    pub description: String,
    pub registered: String,
    pub due: String,
    pub overdue: bool,
    pub unit: String,
    /// Who holds it now (the handler), or nobody yet.
    pub handler: String,
    /// Time left to the handling deadline in words (`剩 5 小时`, `超期 2 天`),
    /// empty once the case is no longer open.
    pub left: String,
    /// How urgent, for the colour: `overdue`, `today` (within a day), `soon`
    /// (within three), or empty.
    pub urgency: &'static str,
}

/// Units' and users' names, for lines that show them.
pub(super) struct Names {
    units: std::collections::HashMap<i64, String>,
    users: std::collections::HashMap<UserId, String>,
}

impl Names {
    pub(super) fn new(units: &[Unit], users: &[User]) -> Names {
        Names {
            units: units.iter().map(|u| (u.id, u.name.clone())).collect(),
            users: users.iter().map(|u| (u.id, u.display_name.clone())).collect(),
        }
    }
}

/// `2 天 3 小时`, `5 小时`, `40 分钟`: a span of time in the largest units.
fn span_words(ms: i64, tr: Tr) -> String {
    let minutes = ((ms + 30_000) / 60_000).max(1);
    let (d, h, m) = (minutes / 1440, minutes % 1440 / 60, minutes % 60);
    let (dw, hw, mw) = if tr.is_en() { (" d", " h", " min") } else { (" 天", " 小时", " 分钟") };
    match (d, h) {
        (0, 0) => format!("{m}{mw}"),
        (0, h) => format!("{h}{hw}"),
        (d, 0) => format!("{d}{dw}"),
        (d, h) => format!("{d}{dw} {h}{hw}"),
    }
}

pub(super) fn line(state: &AppState, pack: &str, c: &CaseRow, tr: Tr, names: &Names) -> CaseLine {
    let category = state
        .rules(pack)
        .ok()
        .and_then(|r| r.pack.cases.category(&c.category).map(|x| tr.pick(&x.title, &x.title_en).to_string()))
        .unwrap_or_else(|| c.category.clone());
    let st = c.state;
    CaseLine {
        id: c.id,
        number: c.number.clone(),
        kind: tr.label(c.kind).into(),
        state: tr.label(st).into(),
        category,
        description: c.description.chars().take(60).collect(),
        registered: format_time(c.registered_at),
        due: format_time(c.handle_due),
        overdue: c.overdue,
        unit: c.unit_id.and_then(|u| names.units.get(&u).cloned()).unwrap_or_default(),
        handler: c.owner_id.and_then(|u| names.users.get(&u).cloned()).unwrap_or_default(),
        left: if st.is_open() {
            let left = c.handle_due - state.store.now_ms();
            if left < 0 {
                format!("{}{}", tr.pick("超期 ", "overdue "), span_words(-left, tr))
            } else {
                format!("{}{}", tr.pick("剩 ", ""), span_words(left, tr)) + tr.pick("", " left")
            }
        } else {
            String::new()
        },
        urgency: match c.handle_due - state.store.now_ms() {
            _ if !st.is_open() => "",
            l if l < 0 => "overdue",
            l if l < 86_400_000 => "today",
            l if l < 3 * 86_400_000 => "soon",
            _ => "",
        },
    }
}

// ---- the case page ----

pub struct Step {
    pub at: String,
    pub actor: String,
    pub kind: String,
    pub detail: String,
}

#[derive(Template)]
#[template(path = "case.html")]
struct CasePage {
    c: Chrome,
    case: CaseLine,
    row: CaseRow,
    unit: String,
    channel: String,
    routed: String,
    finding: String,
    owner: String,
    pending: String,
    first_responsible: String,
    investigate_due: String,
    timeline: Vec<Step>,
    reporter: Option<Reporter>,
    revealed: bool,
    new_code: Option<String>,
    new_spoken: Option<String>,
    allowed: Vec<&'static str>,
    users: Vec<(UserId, String)>,
    units: Vec<Unit>,
    findings: Vec<(String, String)>,
    responsibilities: Vec<(String, String)>,
    satisfactions: Vec<(String, String)>,
    /// For a substantiated finding: whom it concerns and which rule.
    /// The staff picker's groups, the case's unit first.
    staff: Vec<super::StaffGroup>,
    codebook: Vec<(String, String)>,
    /// Likely duplicates, for those who may merge.
    duplicates: Vec<Duplicate>,
    /// What the last action did, or why it was refused (with what was typed).
    outcome: Outcome,
    /// The ids of the photos the reporter attached.
    photos: Vec<i64>,
    /// Where another system said it happened (Open311): address, address
    /// id, coordinates, a photo's link.
    place: Option<Place>,
    /// The service guides a desk can notify missing materials against (an
    /// open case, for those who register cases), and the case's written
    /// one-time notifications with their guide's title (PUB-3).
    guides: Vec<chuangkou_store::guides::Guide>,
    one_time: Vec<(chuangkou_store::guides::OneTimeNotice, String)>,
}

/// The end of an action, shown on the case page it returns to.
#[derive(Default)]
pub(super) struct Outcome {
    /// What happened, in words.
    pub done: Option<String>,
    /// The action refused, why, and the values to put back in its form.
    pub refused: Option<(String, String, Typed)>,
    /// The reporter's data, just revealed.
    pub revealed: Option<Reporter>,
    /// A case just registered: its tracking code, shown this once.
    pub new_code: Option<String>,
    /// And its spoken code, for the desk to read out, shown this once.
    pub new_spoken: Option<String>,
}

/// A form's fields as posted: `(name, value)`.
pub(super) type Typed = Vec<(String, String)>;

impl CasePage {
    fn when(&self, ms: &i64) -> String {
        format_time(*ms)
    }
    /// Names as a list in the page's language: 甲、乙 / A, B.
    fn list(&self, items: &[String]) -> String {
        items.join(self.c.tr.pick("、", ", "))
    }

    /// Why `action` was refused, when it was the one refused.
    fn refusal(&self, action: &str) -> Option<&str> {
        self.outcome.refused.as_ref().filter(|(a, _, _)| a == action).map(|(_, m, _)| m.as_str())
    }

    /// Whether option `value` of `field` is the one to show chosen: the one
    /// chosen in the refused form, or else `default`.
    fn chosen(&self, action: &str, field: &str, value: &str, default: bool) -> bool {
        match &self.outcome.refused {
            Some((a, _, values)) if a == action => values.iter().any(|(k, v)| k == field && v == value),
            _ => default,
        }
    }

    /// Whether the staff member `id` is the one the case is about.
    fn subject_is(&self, id: impl ToString) -> bool {
        self.row.subject_staff_id.map(|s| s.to_string()) == Some(id.to_string())
    }

    /// The value typed into `field` of the refused `action`'s form.
    fn typed(&self, action: &str, field: &str) -> &str {
        match &self.outcome.refused {
            Some((a, _, values)) if a == action => {
                values.iter().find(|(k, _)| k == field).map_or("", |(_, v)| v.as_str())
            }
            _ => "",
        }
    }
}

/// Actions that cannot be taken back ask for a tick first; concluding that
/// a complaint is substantiated too, since it goes on a person's ledger.
const CONFIRM: [&str; 3] = ["withdraw", "close", "merge"];

fn step(e: &TimelineEntry, names: &[User], tr: Tr) -> Step {
    let actor = super::actor_label(&e.actor, names, tr);
    let name_of = |id: UserId| names.iter().find(|u| u.id == id).map(|u| u.display_name.clone());
    // "王静 将案件移交给 李强": the event in words, with whom it names.
    let mut kind = tr.event(&e.kind);
    if e.kind == "case.handover_offered"
        && let Some(to) =
            e.payload.get("to_user_id").and_then(|v| v.as_i64()).map(UserId::new).and_then(name_of)
    {
        kind = format!("{kind} {to}");
    }
    let mut detail: Vec<String> = Vec::new();
    if e.kind == "case.escalated"
        && let Some(to) = e.payload.get("to").and_then(|v| v.as_str())
    {
        detail.push(format!("→ {to}"));
    }
    for key in ["summary", "reply", "note", "finding", "satisfaction", "extension", "master_number"] {
        if let Some(v) = e.payload.get(key).and_then(|v| v.as_str()) {
            detail.push(v.to_string());
        }
    }
    if !e.reason.is_empty() {
        detail.push(e.reason.clone());
    }
    Step { at: format_time(e.at), actor, kind, detail: detail.join(" · ") }
}

/// Which actions the rules allow this user now, by trying each.
fn allowed(case: &CaseRow, user: &CurrentUser) -> Vec<&'static str> {
    let st = case.state;
    let view = CaseView {
        state: st,
        owner_user_id: case.owner_id,
        pending_owner_user_id: case.pending_owner_id,
        extension_requested: case.extension_requested,
        // For the buttons: whether the viewer is the subject is all that counts.
        subject_user_ids: if crate::cases_access::is_subject(user, case) { vec![user.0.id] } else { vec![] },
        about_leader: crate::cases_access::about_leader(case),
        undoable_withdrawal: None,
    };
    let actor = Actor::User { id: user.0.id, role: user.role() };
    let probe = Conclusion {
        finding: Finding::Unfounded,
        responsibility: Responsibility::Ours,
        apology_made: false,
        summary: String::new(),
    };
    let candidates: [(&str, Command); 14] = [
        ("accept", Command::AcceptHandover),
        ("decline", Command::DeclineHandover),
        ("start", Command::StartInvestigation),
        ("conclude", Command::Conclude(probe)),
        ("reply", Command::Reply),
        ("callback", Command::Callback(Satisfaction::Satisfied)),
        ("close", Command::Close),
        ("handover", Command::OfferHandover { to_user_id: UserId::new(-1) }),
        ("transfer", Command::Transfer),
        ("request_extension", Command::RequestExtension),
        ("decide_extension", Command::DecideExtension { approve: true }),
        ("merge", Command::MergeInto),
        ("withdraw", Command::Withdraw),
        ("note", Command::AddNote),
    ];
    candidates.into_iter().filter(|(_, c)| decide(&view, actor, c).is_ok()).map(|(n, _)| n).collect()
}

pub(super) async fn case_page(
    state: &AppState,
    tr: Tr,
    csrf: CsrfToken,
    user: &CurrentUser,
    id: CaseId,
    mut outcome: Outcome,
) -> PageResult {
    let reporter_override = outcome.revealed.take();
    let new_code = outcome.new_code.take();
    let new_spoken = outcome.new_spoken.take();
    let row = visible(user, state.store.case(user.org_id(), id).await?)?;
    let photos = state.store.case_photos(user.org_id(), row.id).await?.into_iter().map(|p| p.0).collect();
    let place = state.store.case_origin(user.org_id(), row.id).await?.map(|o| Place {
        address: o.address.unwrap_or_default(),
        address_id: o.address_id.unwrap_or_default(),
        coordinates: match (o.lat, o.long) {
            (Some(lat), Some(long)) => format!("{lat:.6}, {long:.6}"),
            _ => String::new(),
        },
        media_url: o.media_url,
    });
    let org = state.store.organisation(user.org_id()).await?;
    let users = state.store.users(org.id).await?;
    let name = |id: Option<UserId>| {
        id.and_then(|id| users.iter().find(|u| u.id == id))
            .map(|u| u.display_name.clone())
            .unwrap_or_default()
    };
    let units = state.store.units(org.id).await?;
    let may_conclude = allowed(&row, user).contains(&"conclude");
    let staff = if may_conclude { super::staff_groups(state, org.id, row.unit_id).await? } else { vec![] };
    let codebook = state
        .rules(&org.pack)?
        .pack
        .codebook
        .iter()
        .map(|r| (r.code.clone(), format!("{} {}", r.code, r.title)))
        .collect();
    let unit = row
        .unit_id
        .and_then(|u| units.iter().find(|x| x.id == u))
        .map(|u| u.name.clone())
        .unwrap_or_default();
    let timeline = state.store.timeline(org.id, id).await?.iter().map(|e| step(e, &users, tr)).collect();
    let revealed = reporter_override.is_some();
    let reporter = match reporter_override {
        Some(r) => Some(r),
        None if may_see_reporter(user, &row) && row.has_reporter => {
            Some(state.store.masked_reporter(org.id, id).await?)
        }
        None => None,
    };
    let open = row.state.is_open();
    let duplicates = if may_see_reporter(user, &row) && open {
        let rules = state.rules(&org.pack)?;
        let window = rules.pack.cases.duplicate_window.after(rules.calendar, 0);
        crate::api::cases::only_visible(state, user, state.store.duplicates_of(org.id, &row, window).await?)
            .await?
    } else {
        vec![]
    };
    let handover = handover_choices(&users, user, &row);
    let guides = if open && user.can(Permission::RegisterCase) {
        state.store.guides(org.id, None).await?
    } else {
        vec![]
    };
    let mut one_time = vec![];
    for n in state.store.one_time_notices(org.id, row.id).await? {
        let title = state.store.guide_by_id(org.id, n.guide_id).await.map(|g| g.title).unwrap_or_default();
        one_time.push((n, title));
    }
    let c = Chrome::for_user(state, tr, csrf, user, "cases").await?;
    Ok(render(&CasePage {
        guides,
        one_time,
        duplicates,
        case: line(state, &org.pack, &row, tr, &Names::new(&units, &users)),
        unit,
        channel: tr.label(row.channel).into(),
        routed: if row.routed_to == "office" {
            tr.pick("受理/督查办公室", "The office").into()
        } else {
            row.routed_to.clone()
        },
        finding: row.finding.map(|x| tr.label(x).to_string()).unwrap_or_default(),
        owner: name(row.owner_id),
        pending: name(row.pending_owner_id),
        first_responsible: name(row.first_responsible_id),
        investigate_due: row.investigate_due.map(format_time).unwrap_or_default(),
        allowed: allowed(&row, user),
        row,
        timeline,
        reporter,
        revealed,
        new_code: new_code.filter(|c| !c.is_empty()),
        new_spoken,
        users: handover,
        outcome,
        photos,
        place,
        units,
        findings: tr.choices(Finding::ALL),
        responsibilities: tr.choices(Responsibility::ALL),
        satisfactions: tr.choices(Satisfaction::ALL),
        staff,
        codebook,
        c,
    }))
}

/// Whom a case can be handed over to: people who handle cases — never the
/// staff member it is about, nor the one handing it over; the office and
/// shift leaders first, leaders last (a leader is not the default).
fn handover_choices(users: &[User], me: &CurrentUser, row: &CaseRow) -> Vec<(UserId, String)> {
    let rank = |role: &str| match Role::parse(role) {
        Some(Role::Office) => Some(0),
        Some(Role::ShiftLeader) => Some(1),
        Some(Role::Staff) => Some(2),
        Some(Role::Leader | Role::Admin) => Some(3),
        Some(Role::Discipline) if crate::cases_access::about_leader(row) => Some(0),
        _ => None,
    };
    let mut out: Vec<(i64, &User)> = users
        .iter()
        .filter(|u| u.id != me.0.id && !u.disabled)
        .filter(|u| row.subject_staff_id.is_none() || u.staff_id != row.subject_staff_id)
        .filter_map(|u| rank(&u.role).map(|r| (r, u)))
        .collect();
    out.sort_by_key(|(r, u)| (*r, u.display_name.clone()));
    out.into_iter().map(|(_, u)| (u.id, u.display_name.clone())).collect()
}

#[derive(Deserialize)]
struct PageQuery {
    /// The action just done, after the redirect that ends it.
    done: Option<String>,
}

async fn page(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    headers: HeaderMap,
    Path(id): Path<String>,
    Query(q): Query<PageQuery>,
) -> PageResult {
    // Only the known actions have words; anything else in the link is ignored.
    let done = q
        .done
        .filter(|a| a.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
        .and_then(|a| tr.lookup(&format!("done.{a}")).map(str::to_string));
    let id = parse_id(&id)?;
    // A case just registered: its codes come once, in a sealed cookie the
    // registration set for this case's page, and are cleared as they are shown.
    let flash = super::console_case_new::take_codes(&state, &headers, id);
    let (new_code, new_spoken) = flash.clone().unwrap_or_default();
    let page =
        case_page(&state, tr, csrf, &user, id, Outcome { done, new_code, new_spoken, ..Default::default() })
            .await?;
    Ok(match flash {
        Some(_) => super::console_case_new::clear_codes(&state, id, page),
        None => page,
    })
}

#[allow(clippy::too_many_arguments)]
async fn act(
    State(state): State<AppState>,
    tr: Tr,
    csrf_token: CsrfToken,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> PageResult {
    let get = |k: &str| pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).filter(|v| !v.is_empty());
    let id = parse_id(&id)?;
    let a = ActionInput {
        action: get("action").unwrap_or_default(),
        to_user_id: get("to_user_id").and_then(|v| v.parse().ok()),
        to_unit_id: get("to_unit_id").and_then(|v| v.parse().ok()),
        master_case_id: match get("master_number") {
            Some(n) => Some(
                state
                    .store
                    .case_by_number(user.org_id(), n.trim())
                    .await
                    .map_err(|_| {
                        AppError::Validation(vec![chuangkou_domain::FieldError::new(
                            "master_number",
                            "没有这个编号的案件 / no case with that number",
                        )])
                    })?
                    .id,
            ),
            None => None,
        },
        finding: get("finding"),
        responsibility: get("responsibility"),
        apology_made: Some(get("apology_made").is_some()),
        summary: get("summary"),
        text: get("text"),
        satisfaction: get("satisfaction"),
        approve: get("approve").map(|v| v == "yes"),
        extension: get("extension"),
        reason: get("reason").unwrap_or_default(),
        staff_ids: get("staff_id").and_then(|v| v.parse().ok()).into_iter().collect(),
        rule_codes: get("rule_code").into_iter().collect(),
    };
    let substantiated = a.action == "conclude" && a.finding.as_deref() == Some("substantiated");
    let result = if (CONFIRM.contains(&a.action.as_str()) || substantiated) && get("confirm").is_none() {
        Err(AppError::Validation(vec![chuangkou_domain::FieldError::new(
            "confirm",
            tr.pick("请勾选确认后再提交", "Tick the confirmation first"),
        )]))
    } else {
        run_action(&state, &user, id, &a).await.map(|_| ())
    };
    match result {
        // After the redirect a reload shows the page, never posts again.
        Ok(()) => Ok(Redirect::to(&format!("/console/cases/{id}?done={}#actions", a.action)).into_response()),
        // A refusal comes back on the case page, beside the action's form,
        // with what was typed.
        Err(e @ (AppError::Validation(_) | AppError::Refused(_) | AppError::Conflict(_))) => {
            let message = match &e {
                AppError::Validation(fields) => {
                    fields.iter().map(|f| tr.msg(&f.message)).collect::<Vec<_>>().join(tr.pick("；", "; "))
                }
                other => tr.msg(&other.message()),
            };
            let values = pairs.into_iter().filter(|(k, _)| k != "_csrf").collect();
            let outcome =
                Outcome { refused: Some((a.action.clone(), message, values)), ..Default::default() };
            let page = case_page(&state, tr, csrf_token, &user, id, outcome).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Deserialize)]
pub struct RevealForm {
    #[serde(default)]
    reason: String,
}

async fn reveal(
    State(state): State<AppState>,
    tr: Tr,
    token: CsrfToken,
    PageUser(user): PageUser,
    Path(id): Path<String>,
    CsrfForm(f): CsrfForm<RevealForm>,
) -> PageResult {
    if !user.can(chuangkou_domain::Permission::ViewReporter) {
        return Err(AppError::NotFound.into());
    }
    let id = parse_id(&id)?;
    let case = visible(&user, state.store.case(user.org_id(), id).await?)?;
    if !may_see_reporter(&user, &case) {
        return Err(AppError::Refused(crate::cases_access::SUBJECT_REVEAL.into()).into());
    }
    let reason = chuangkou_domain::text::required("reason", &f.reason, 200)
        .map_err(|e| AppError::Validation(vec![e]))?;
    let reporter = state.store.reveal_reporter(user.org_id(), id, &user.actor(), &reason).await?;
    case_page(&state, tr, token, &user, id, Outcome { revealed: Some(reporter), ..Default::default() }).await
}

pub struct NoticeLine {
    pub at: String,
    pub message: String,
    pub case_id: Option<CaseId>,
}

#[derive(Template)]
#[template(path = "notifications.html")]
struct NoticesPage {
    c: Chrome,
    notices: Vec<NoticeLine>,
}

/// In-app notifications: hand-overs, escalations, extension decisions.
/// Marks the user's notifications read (the badge goes).
async fn read_notifications(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    CsrfForm(_form): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    state.store.mark_notifications_read(user.org_id(), user.0.id).await?;
    Ok(axum::response::Redirect::to("/console/notifications").into_response())
}

async fn notifications(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
) -> PageResult {
    let notices = state
        .store
        .notifications(user.org_id(), user.0.id, 100)
        .await?
        .into_iter()
        .map(|n| NoticeLine {
            at: format_time(n.created_at),
            message: tr.msg(&n.message),
            case_id: n.case_id,
        })
        .collect();
    let c = Chrome::for_user(&state, tr, csrf, &user, "notices").await?;
    Ok(render(&NoticesPage { c, notices }))
}

/// A desk's written one-time notification from the case page: the guide
/// and the materials ticked as missing (PUB-3); back on the case page with
/// the PDF to print.
async fn notify_once(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<CaseId>,
    CsrfForm(fields): CsrfForm<Vec<(String, String)>>,
) -> PageResult {
    let get = |k: &str| fields.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()).unwrap_or_default();
    user.require(Permission::RegisterCase)?;
    let case = crate::cases_access::visible(&user, state.store.case(user.org_id(), id).await?)?;
    crate::cases_access::not_about_themselves(&user, &case)?;
    let guide = state.store.guide(user.org_id(), &get("guide")).await?;
    let missing: Vec<String> =
        fields.iter().filter(|(n, _)| n == "missing").map(|(_, v)| v.clone()).collect();
    let n = state.store.notify_once(user.org_id(), &user.0, id, &guide, &missing).await?;
    Ok(Redirect::to(&format!("/console/cases/{id}?done=one_time_notice#one-time-{}", n.id)).into_response())
}
