//! The cases API: registration, the inbox and search, one case with its
//! timeline, lifecycle actions, revealing a reporter, notifications, and the
//! public tracking endpoint.

use axum::Json;
use axum::extract::State;

use crate::extract::ApiPath as Path;
use axum::http::StatusCode;
use chuangkou_domain::calendar::Span;
use chuangkou_domain::cases::lifecycle::Conclusion;
use chuangkou_domain::cases::{Actor, CaseKind, Channel, Command, Finding, Responsibility, Satisfaction};
use chuangkou_domain::{CaseId, FieldError, Permission, StaffId, UserId, text};
use chuangkou_store::cases::{
    ActInput, CaseFilter, Duplicate, DuplicateProbe, Inbox, NewCase, TrackingError,
};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::CurrentUser;
use crate::cases_access::{self, SUBJECT_REVEAL, for_viewer, may_see_reporter, visible};
use crate::error::{ApiResult, AppError};
use crate::extract::parse_id;
use crate::extract::{ApiJson, ApiQuery, ClientAddr};

/// A new case as staff, the API or a form describe it.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct CaseInput {
    pub kind: Option<String>,
    pub channel: Option<String>,
    pub category: Option<String>,
    pub track: Option<String>,
    pub description: Option<String>,
    pub unit_id: Option<i64>,
    pub service_point_id: Option<i64>,
    pub subject_staff_id: Option<StaffId>,
    pub plate: Option<String>,
    pub reporter_name: Option<String>,
    pub reporter_phone: Option<String>,
    /// Issue a tracking code for the reporter (default: yes).
    pub tracking_code: Option<bool>,
    /// The matter (a service guide's code) the case is registered for: the
    /// case gets the guide's track, and so its committed time limit.
    pub guide: Option<String>,
}

/// Checks a case input field by field, collecting every problem.
pub fn parse_case(input: &CaseInput, default_channel: Channel) -> Result<NewCase, AppError> {
    let mut errors = Vec::new();
    let kind = CaseKind::parse(input.kind.as_deref().unwrap_or("complaint"));
    if kind.is_none() {
        errors.push(FieldError::new("kind", "未知类型 / unknown kind"));
    }
    let channel = match input.channel.as_deref() {
        None | Some("") => Some(default_channel),
        Some(c) => Channel::parse(c),
    };
    if channel.is_none() {
        errors.push(FieldError::new("channel", "未知渠道 / unknown channel"));
    }
    let description = text::multiline("description", input.description.as_deref().unwrap_or(""), 4000)
        .map_err(|e| errors.push(e))
        .ok();
    let category =
        input.category.clone().filter(|c| !c.trim().is_empty()).unwrap_or_else(|| "general".into());
    let name = text::optional("reporter_name", input.reporter_name.as_deref().unwrap_or(""), 40)
        .map_err(|e| errors.push(e))
        .ok();
    let phone = match input.reporter_phone.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => text::phone("reporter_phone", p).map(Some).map_err(|e| errors.push(e)).ok(),
        None => Some(None),
    };
    let plate = match input.plate.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(p) => chuangkou_domain::org::plate("plate", p).map(Some).map_err(|e| errors.push(e)).ok(),
        None => Some(None),
    };
    match (kind, channel, description, name, phone, plate) {
        (
            Some(kind),
            Some(channel),
            Some(description),
            Some(reporter_name),
            Some(reporter_phone),
            Some(plate),
        ) if errors.is_empty() => Ok(NewCase {
            kind,
            channel,
            category,
            track: input.track.clone().filter(|t| !t.trim().is_empty()),
            description,
            unit_id: input.unit_id,
            service_point_id: input.service_point_id,
            subject_staff_id: input.subject_staff_id,
            plate,
            reporter_name,
            reporter_phone,
            registered_by: None,
            issue_tracking_code: input.tracking_code.unwrap_or(true),
            photos: vec![],
            origin: None,
        }),
        _ => Err(AppError::Validation(errors)),
    }
}

/// Likely duplicates of `nc` that `user` may see: the probe answers only
/// with cases the user may open, never with one about the user (a phone
/// match would tell them who complained), and only to roles that register
/// cases at a desk.
pub async fn duplicates_for(
    state: &AppState,
    user: &CurrentUser,
    pack: &str,
    nc: &NewCase,
    exclude: Option<CaseId>,
) -> ApiResult<Vec<Duplicate>> {
    if !user.can(Permission::ProbeDuplicates) {
        return Ok(vec![]);
    }
    let org_id = user.org_id();
    let rules = state.rules(pack)?;
    let window_ms = rules.pack.cases.duplicate_window.after(rules.calendar, 0);
    let probe = DuplicateProbe {
        phone: nc.reporter_phone.as_deref(),
        service_point_id: nc.service_point_id,
        plate: nc.plate.as_deref(),
        text: &nc.description,
        window_ms,
        exclude_case: exclude,
    };
    only_visible(state, user, state.store.likely_duplicates(org_id, &probe).await?).await
}

/// The duplicates `user` may see: cases they may open, not about themselves.
pub async fn only_visible(
    state: &AppState,
    user: &CurrentUser,
    dups: Vec<Duplicate>,
) -> ApiResult<Vec<Duplicate>> {
    let mut out = vec![];
    for d in dups {
        let case = state.store.case(user.org_id(), d.case_id).await?;
        if cases_access::may_see(user, &case) && !cases_access::is_subject(user, &case) {
            out.push(d);
        }
    }
    Ok(out)
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct RegisterQuery {
    /// Also list likely duplicates in the answer (`true`). Off by default:
    /// machine intake should not wait for it; the console shows them before
    /// registering and on the case page.
    #[serde(default)]
    pub duplicates: bool,
}

pub async fn register(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<RegisterQuery>,
    ApiJson(input): ApiJson<CaseInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    if !cases_access::may_register(&user) {
        return Err(AppError::Forbidden);
    }
    let default_channel = Channel::default_for(user.role());
    let mut nc = parse_case(&input, default_channel)?;
    nc.registered_by = Some(user.0.id);
    apply_guide(&state, &user, input.guide.as_deref(), &mut nc).await?;
    let org = state.store.organisation(user.org_id()).await?;
    let r = state.register_case(&org, &nc, &user.actor()).await?;
    let mut body = json!(r);
    if q.duplicates {
        body["duplicates"] = json!(duplicates_for(&state, &user, &org.pack, &nc, Some(r.id)).await?);
    }
    Ok((StatusCode::CREATED, Json(body)))
}

/// A case registered for a matter (a service guide's code) gets the
/// guide's track, and so its committed time limit (PUB-3).
pub async fn apply_guide(
    state: &AppState,
    user: &CurrentUser,
    guide: Option<&str>,
    nc: &mut chuangkou_store::cases::NewCase,
) -> ApiResult<()> {
    let Some(code) = guide.map(str::trim).filter(|g| !g.is_empty()) else { return Ok(()) };
    let guide = state.store.guide(user.org_id(), code).await.map_err(|e| match e {
        chuangkou_store::StoreError::NotFound => AppError::field("guide", "没有这个办事指南 / no such guide"),
        other => other.into(),
    })?;
    if guide.track.is_some() {
        nc.track = guide.track;
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ProbeInput {
    pub description: String,
    pub reporter_phone: Option<String>,
    pub service_point_id: Option<i64>,
    pub plate: Option<String>,
}

/// Likely duplicates of a matter about to be registered.
pub async fn probe(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(p): ApiJson<ProbeInput>,
) -> ApiResult<Json<Value>> {
    user.require(Permission::ProbeDuplicates)?;
    let input = CaseInput {
        description: Some(p.description),
        reporter_phone: p.reporter_phone,
        service_point_id: p.service_point_id,
        plate: p.plate,
        ..Default::default()
    };
    let nc = parse_case(&input, Channel::Hotline)?;
    let org = state.store.organisation(user.org_id()).await?;
    Ok(Json(json!({"duplicates": duplicates_for(&state, &user, &org.pack, &nc, None).await?})))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ListQuery {
    pub inbox: Option<String>,
    pub q: Option<String>,
    #[serde(default, deserialize_with = "crate::extract::opt_i64")]
    pub unit_id: Option<i64>,
    pub category: Option<String>,
    pub state: Option<String>,
    pub channel: Option<String>,
    pub kind: Option<String>,
    /// Registered at or after (ms since the epoch).
    #[serde(default, deserialize_with = "crate::extract::opt_i64")]
    pub from: Option<i64>,
    /// Registered before (ms since the epoch).
    #[serde(default, deserialize_with = "crate::extract::opt_i64")]
    pub to: Option<i64>,
    /// Registered on or after this local date (YYYY-MM-DD).
    pub since: Option<String>,
    /// Registered on or before this local date (YYYY-MM-DD).
    pub until: Option<String>,
    #[serde(default, deserialize_with = "crate::extract::opt_i64")]
    pub before: Option<i64>,
    #[serde(default, deserialize_with = "crate::extract::opt_i64")]
    pub limit: Option<i64>,
}

pub async fn filter_for(state: &AppState, user: &CurrentUser, q: ListQuery) -> ApiResult<CaseFilter> {
    let inbox = Inbox::parse(q.inbox.as_deref().unwrap_or("")).ok_or_else(|| {
        AppError::Validation(vec![FieldError::new("inbox", "mine, unit, due, overdue, unassigned or all")])
    })?;
    let user_unit_id = match user.0.staff_id {
        Some(s) => Some(state.store.staff(user.org_id(), s).await?.unit_id),
        None => None,
    };
    let empty = |s: Option<String>| s.filter(|s| !s.trim().is_empty());
    let rules = state.org_rules(user).await?.rules;
    let offset = rules.calendar.offset;
    let day = |field: &str, s: Option<String>, plus_days: i64| -> Result<Option<i64>, AppError> {
        use chrono::TimeZone;
        let Some(s) = empty(s) else { return Ok(None) };
        let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| {
            AppError::Validation(vec![FieldError::new(field, "日期格式为 YYYY-MM-DD / use YYYY-MM-DD")])
        })?;
        let start = offset
            .from_local_datetime(&d.and_hms_opt(0, 0, 0).expect("midnight"))
            .single()
            .expect("fixed offset");
        Ok(Some(start.timestamp_millis() + plus_days * 86_400_000))
    };
    let since = day("since", q.since, 0)?;
    let until = day("until", q.until, 1)?;
    let mut f = CaseFilter {
        inbox,
        user_id: Some(user.0.id),
        user_unit_id,
        only_involving: None,
        or_about_leaders: false,
        hide_leader_complaints: None,
        q: empty(q.q),
        unit_id: q.unit_id,
        category: empty(q.category),
        state: empty(q.state),
        channel: empty(q.channel),
        kind: empty(q.kind),
        registered_from: q.from.or(since),
        registered_to: q.to.or(until),
        before_id: q.before.map(CaseId::new),
        limit: q.limit.unwrap_or(50).clamp(1, 200),
    };
    cases_access::restrict(user, &mut f)?;
    Ok(f)
}

pub async fn list(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiQuery(q): ApiQuery<ListQuery>,
) -> ApiResult<Json<Value>> {
    let f = filter_for(&state, &user, q).await?;
    let rows = state.store.cases(user.org_id(), &f).await?;
    let next = (rows.len() as i64 == f.limit).then(|| rows.last().map(|c| c.id)).flatten();
    let rows: Vec<_> = rows.into_iter().map(|c| for_viewer(&user, c)).collect();
    Ok(Json(json!({"cases": rows, "next_before": next})))
}

pub async fn get(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    let case = visible(&user, state.store.case(user.org_id(), parse_id(&id)?).await?)?;
    let timeline = state.store.timeline(user.org_id(), case.id).await?;
    let mut body = json!({"case": for_viewer(&user, case.clone()), "timeline": timeline});
    if may_see_reporter(&user, &case) {
        body["reporter"] = json!(state.store.masked_reporter(user.org_id(), case.id).await?);
    }
    Ok(Json(body))
}

/// One lifecycle action. `action` names it; the other fields are what it
/// carries.
#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct ActionInput {
    pub action: String,
    pub to_user_id: Option<UserId>,
    pub to_unit_id: Option<i64>,
    pub master_case_id: Option<CaseId>,
    pub finding: Option<String>,
    pub responsibility: Option<String>,
    pub apology_made: Option<bool>,
    pub summary: Option<String>,
    pub text: Option<String>,
    pub satisfaction: Option<String>,
    pub approve: Option<bool>,
    pub extension: Option<String>,
    #[serde(default)]
    pub reason: String,
    #[serde(default)]
    pub staff_ids: Vec<StaffId>,
    #[serde(default)]
    pub rule_codes: Vec<String>,
}

/// The actions by name, for forms and documentation.
pub const ACTIONS: &[&str] = &[
    "handover",
    "accept",
    "decline",
    "start",
    "conclude",
    "reply",
    "callback",
    "close",
    "transfer",
    "withdraw",
    "merge",
    "request_extension",
    "decide_extension",
    "note",
];

pub fn parse_action(a: &ActionInput) -> Result<ActInput, AppError> {
    let field = |f: &str, m: &str| AppError::Validation(vec![FieldError::new(f, m)]);
    let command = match a.action.as_str() {
        "handover" => Command::OfferHandover {
            to_user_id: a.to_user_id.ok_or_else(|| field("to_user_id", "必填 / required"))?,
        },
        "accept" => Command::AcceptHandover,
        "decline" => Command::DeclineHandover,
        "start" => Command::StartInvestigation,
        "conclude" => Command::Conclude(Conclusion {
            finding: a
                .finding
                .as_deref()
                .and_then(Finding::parse)
                .ok_or_else(|| field("finding", "substantiated, partly or unfounded"))?,
            responsibility: a
                .responsibility
                .as_deref()
                .and_then(Responsibility::parse)
                .ok_or_else(|| field("responsibility", "ours, shared or reporter"))?,
            apology_made: a.apology_made.unwrap_or(false),
            summary: a.summary.clone().unwrap_or_default(),
        }),
        "reply" => Command::Reply,
        "callback" => Command::Callback(
            a.satisfaction
                .as_deref()
                .and_then(Satisfaction::parse)
                .ok_or_else(|| field("satisfaction", "satisfied, basic or dissatisfied"))?,
        ),
        "close" => Command::Close,
        "transfer" => Command::Transfer,
        "withdraw" => Command::Withdraw,
        "merge" => Command::MergeInto,
        "request_extension" => Command::RequestExtension,
        "decide_extension" => {
            Command::DecideExtension { approve: a.approve.ok_or_else(|| field("approve", "true or false"))? }
        }
        "note" => Command::AddNote,
        _ => return Err(field("action", &format!("one of: {}", ACTIONS.join(", ")))),
    };
    let extension = match a.extension.as_deref().filter(|e| !e.trim().is_empty()) {
        Some(e) => Some(Span::parse(e).ok_or_else(|| field("extension", "如 24h 或 2wd / like 24h or 2wd"))?),
        None => None,
    };
    Ok(ActInput {
        command,
        text: a.text.clone(),
        reason: a.reason.trim().to_string(),
        to_user_id: a.to_user_id,
        to_unit_id: a.to_unit_id,
        master_case_id: a.master_case_id,
        extension,
        staff_ids: a.staff_ids.clone(),
        rule_codes: a.rule_codes.clone(),
    })
}

/// Runs one action for a signed-in user.
pub async fn run_action(
    state: &AppState,
    user: &CurrentUser,
    id: CaseId,
    a: &ActionInput,
) -> ApiResult<chuangkou_store::cases::CaseRow> {
    visible(user, state.store.case(user.org_id(), id).await?)?;
    let input = parse_action(a)?;
    let crate::OrgRules { org, rules } = state.org_rules(user).await?;
    let actor = Actor::User { id: user.0.id, role: user.role() };
    Ok(state.store.act(org.id, id, actor, &user.actor(), &input, rules).await?.case)
}

pub async fn act(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiJson(a): ApiJson<ActionInput>,
) -> ApiResult<Json<Value>> {
    let case = run_action(&state, &user, parse_id(&id)?, &a).await?;
    Ok(Json(json!({"case": for_viewer(&user, case)})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevealInput {
    pub reason: String,
}

pub async fn reveal(
    State(state): State<AppState>,
    user: CurrentUser,
    Path(id): Path<String>,
    ApiJson(r): ApiJson<RevealInput>,
) -> ApiResult<Json<Value>> {
    if !user.can(Permission::ViewReporter) {
        return Err(AppError::NotFound);
    }
    let case = visible(&user, state.store.case(user.org_id(), parse_id(&id)?).await?)?;
    if cases_access::is_subject(&user, &case) {
        return Err(AppError::Refused(SUBJECT_REVEAL.into()));
    }
    let reason = text::required("reason", &r.reason, 200).map_err(|e| vec![e])?;
    Ok(Json(json!(state.store.reveal_reporter(user.org_id(), case.id, &user.actor(), &reason).await?)))
}

pub async fn notifications(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"notifications": state.store.notifications(user.org_id(), user.0.id, 50).await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TrackInput {
    pub number: String,
    pub code: String,
    /// `satisfied`, `basic`, `dissatisfied` to give the callback rating;
    /// `withdraw` to withdraw. Omit to look only.
    pub action: Option<String>,
}

pub fn tracking_error(e: TrackingError) -> AppError {
    match e {
        TrackingError::NotFound => AppError::NotFound,
        TrackingError::TooMany => AppError::TooManyRequests(
            "尝试次数过多，请 15 分钟后再试 / too many attempts; try again in 15 minutes".into(),
        ),
        TrackingError::Store(e) => e.into(),
    }
}

pub async fn public_track(
    State(state): State<AppState>,
    ClientAddr(client): ClientAddr,
    ApiJson(t): ApiJson<TrackInput>,
) -> ApiResult<Json<Value>> {
    let store = &state.store;
    let view = match t.action.as_deref() {
        None | Some("") => store.track(&t.number, &t.code, &client).await,
        Some("withdraw") => {
            store.reporter_acts(&t.number, &t.code, &client, Command::Withdraw, &state.policies).await
        }
        Some("undo_withdrawal") => {
            store.reporter_acts(&t.number, &t.code, &client, Command::UndoWithdrawal, &state.policies).await
        }
        Some(s) => {
            let sat = Satisfaction::parse(s).ok_or_else(|| {
                AppError::Validation(vec![FieldError::new(
                    "action",
                    "satisfied, basic, dissatisfied, withdraw or undo_withdrawal",
                )])
            })?;
            store.reporter_acts(&t.number, &t.code, &client, Command::Callback(sat), &state.policies).await
        }
    }
    .map_err(tracking_error)?;
    Ok(Json(json!(view)))
}
