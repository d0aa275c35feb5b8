//! The ledger in the console (SPEC LED, "Views"): for staff, their own
//! ledger, fines and appeals; for units and leaders, the unit's ledger,
//! approvals waiting, the fines register and award eligibility; for the
//! office, forms to record facts and propose entries.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chuangkou_domain::ledger::{
    AppealOutcome, AttendanceKind, EntryKind, EntryStatus, FactKind, FineStatus, GoodDeedKind,
};
use chuangkou_domain::{CaseId, Fen, Labelled, Permission};
use chuangkou_store::ledger::{EntryRow, FactRow};
use serde::Deserialize;

use super::console::format_time;
use super::{Chrome, PageResult, form_value, render};
use crate::AppState;
use crate::api::fines::fines_for;
use crate::api::ledger::{
    AppealDecisionInput, DecisionInput, EntriesQuery, EntryInput, FactInput, decide_appeal_for, decide_for,
    eligibility_for, entry_filter, import_attendance_for, may_record, propose_for, record_fact_for,
};
use crate::auth::PageUser;
use crate::csrf::CsrfForm;
use crate::csrf::CsrfToken;
use crate::error::AppError;
use crate::extract::ApiQuery;
use crate::i18n::Tr;
use crate::ledger_access::{Reach, reach, visible_entry};

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/ledger", get(list))
        .route("/console/ledger/new", get(new_page).post(new_submit))
        .route("/console/ledger/import", post(import))
        .route("/console/ledger/{id}", get(page))
        .route("/console/ledger/{id}/act", post(act))
        .route("/console/fines", get(fines))
        .route("/console/fines/{id}/act", post(fine_act))
        .route("/console/eligibility", get(eligibility))
}

/// An entry as a line of a list, labels resolved.
pub struct Line {
    pub id: i64,
    pub who: String,
    pub kind: String,
    pub status: String,
    pub status_code: String,
    pub amount: String,
    pub explanation: String,
    pub date: String,
    pub appeal: String,
}

fn line(e: &EntryRow, tr: Tr) -> Line {
    let who = match &e.staff_name {
        Some(n) => format!("{n}{}", tr.paren(e.employee_no.clone().unwrap_or_default())),
        None => format!("{}{}", e.unit_name, tr.paren(tr.t("w.unit_word"))),
    };
    let amount = match (e.amount, e.fine_min, e.fine_max) {
        (Some(a), ..) => tr.f1("w.amount_yuan", a.to_string()),
        (None, Some(min), Some(max)) if min == max => tr.f1("w.amount_yuan", min.to_string()),
        (None, Some(min), Some(max)) => tr.f1("w.amount_yuan", format!("{min}–{max}")),
        _ => String::new(),
    };
    let appeal = match (&e.appeal_id, &e.appeal_outcome) {
        (Some(_), Some(o)) => AppealOutcome::parse(o).map_or(o.clone(), |o| tr.label(o).to_string()),
        (Some(_), None) => tr.pick("申诉待决定", "Appeal pending").to_string(),
        _ => String::new(),
    };
    Line {
        id: e.id,
        who,
        kind: tr.label(e.effective_kind()).to_string(),
        status: tr.label(e.status()).to_string(),
        status_code: e.status.as_str().to_string(),
        amount,
        explanation: e.explanation.clone(),
        date: format_time(e.occurred_at).chars().take(10).collect(),
        appeal,
    }
}

#[derive(Template)]
#[template(path = "ledger.html")]
struct ListPage {
    c: Chrome,
    own: bool,
    can_record: bool,
    waiting: Vec<Line>,
    entries: Vec<Line>,
    fines: Vec<(i64, String, String, String)>,
    status: String,
    statuses: Vec<(String, String)>,
}

async fn list(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    ApiQuery(q): ApiQuery<EntriesQuery>,
) -> PageResult {
    let r = reach(&state, &user).await?;
    if r == Reach::Nothing {
        return Err(AppError::Forbidden.into());
    }
    let own = matches!(r, Reach::Own(_));
    let rules = state.org_rules(&user).await?.rules;
    let approver = rules.pack.ledger.may_approve(user.role());
    let waiting = if approver {
        let wq = EntriesQuery { status: Some("proposed".into()), limit: Some(200), ..Default::default() };
        let f = entry_filter(&state, &user, &wq).await?;
        state.store.entries(user.org_id(), &f).await?.iter().map(|e| line(e, tr)).collect()
    } else {
        vec![]
    };
    let f = entry_filter(&state, &user, &q).await?;
    let entries = state.store.entries(user.org_id(), &f).await?.iter().map(|e| line(e, tr)).collect();
    let fines = if own {
        fines_for(&state, &user, None)
            .await?
            .into_iter()
            .map(|f| {
                let st = FineStatus::parse(&f.status).map_or(f.status.clone(), |s| tr.label(s).to_string());
                (
                    f.entry_id,
                    tr.f1("w.amount_yuan", f.amount.to_string()),
                    st,
                    f.receipt_no.unwrap_or_default(),
                )
            })
            .collect()
    } else {
        vec![]
    };
    let c = Chrome::for_user(&state, tr, csrf, &user, "ledger").await?;
    Ok(render(&ListPage {
        c,
        own,
        can_record: may_record(&user),
        waiting,
        entries,
        fines,
        status: q.status.unwrap_or_default(),
        statuses: tr.choices(EntryStatus::ALL),
    }))
}

#[derive(Template)]
#[template(path = "ledger_entry.html")]
struct EntryPage {
    c: Chrome,
    e: Line,
    rule: String,
    codebook: String,
    facts: Vec<(i64, String, String, String, bool)>,
    history: Vec<(String, String, String)>,
    appeal_reason: String,
    appeal_decision: String,
    may_decide: bool,
    may_appeal: bool,
    may_decide_appeal: bool,
    may_reverse: bool,
    choices: Vec<(String, String)>,
    range: Option<(String, String)>,
    case_id: Option<CaseId>,
    inspection_id: Option<i64>,
    reverses: Option<i64>,
}

async fn page(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    let e = visible_entry(&state, &user, id).await?;
    let rules = state.org_rules(&user).await?.rules;
    let facts: Vec<FactRow> = state.store.facts_of(user.org_id(), &e).await?;
    let history = state.store.history(user.org_id(), "ledger_entry", id).await?;
    let names = state.store.users(user.org_id()).await?;
    let who = |actor: &str| super::user_name(actor, &names).unwrap_or_else(|| actor.to_string());
    let rule = rules
        .pack
        .ledger
        .rules
        .iter()
        .find(|r| r.code == e.rule_code)
        .map_or(e.rule_code.clone(), |r| format!("{}（{}）", r.title, r.source));
    let codebook = e
        .codebook_code
        .as_deref()
        .and_then(|c| rules.pack.codebook_rule(c))
        .map_or(String::new(), |r| format!("{} {}", r.code, r.title));
    let status = e.status();
    let me_concerned = user.0.staff_id.is_some() && e.staff_id == user.0.staff_id;
    let ledger = &rules.pack.ledger;
    let page = EntryPage {
        rule,
        codebook,
        facts: facts
            .iter()
            .map(|f| {
                (
                    f.id,
                    FactKind::parse(&f.kind).map_or(f.kind.clone(), |k| tr.label(k).to_string()),
                    format_time(f.occurred_at).chars().take(10).collect(),
                    format!(
                        "{} {} {}",
                        f.rule_code.clone().unwrap_or_default(),
                        f.detail.as_deref().and_then(AttendanceKind::parse).map_or("", |d| tr.label(d)),
                        f.note
                    ),
                    f.voided_at.is_some(),
                )
            })
            .collect(),
        history: history
            .iter()
            .map(|h| (format_time(h.at), who(&h.actor), format!("{} {}", h.kind, h.reason)))
            .collect(),
        appeal_reason: e.appeal_reason.clone().unwrap_or_default(),
        appeal_decision: e.appeal_decision.clone().unwrap_or_default(),
        may_decide: status == EntryStatus::Proposed
            && ledger.may_approve(user.role())
            && e.proposer_user_id != Some(user.0.id),
        may_appeal: status == EntryStatus::Approved
            && me_concerned
            && e.appeal_id.is_none()
            && e.reverses_id.is_none()
            && !e.effective_kind().is_merit(),
        may_decide_appeal: e.appeal_id.is_some()
            && e.appeal_outcome.is_none()
            && ledger.may_decide_appeals(user.role()),
        may_reverse: status == EntryStatus::Approved
            && e.reverses_id.is_none()
            && ledger.may_approve(user.role()),
        choices: e
            .choice_kinds()
            .into_iter()
            .map(|k| (k.code().to_string(), tr.label(k).to_string()))
            .collect(),
        range: match (e.fine_min, e.fine_max) {
            (Some(a), Some(b)) if a != b => Some((a.to_string(), b.to_string())),
            _ => None,
        },
        case_id: e.case_id,
        inspection_id: e.inspection_id,
        reverses: e.reverses_id,
        e: line(&e, tr),
        c: Chrome::for_user(&state, tr, csrf, &user, "ledger").await?,
    };
    Ok(render(&page))
}

fn nonempty(form: &HashMap<String, String>, key: &str) -> Option<String> {
    form.get(key).map(|v| v.trim().to_string()).filter(|v| !v.is_empty())
}

async fn act(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> PageResult {
    let rules = state.org_rules(&user).await?.rules;
    match form_value(&form, "action").as_str() {
        "decide" => {
            let d = DecisionInput {
                approve: form_value(&form, "approve") == "yes",
                kind: nonempty(&form, "kind"),
                amount: nonempty(&form, "amount"),
                note: form_value(&form, "note"),
            };
            decide_for(&state, &user, id, &d).await?;
        }
        "appeal" => {
            visible_entry(&state, &user, id).await?;
            state.store.appeal(user.org_id(), rules, &user.0, id, &form_value(&form, "reason")).await?;
        }
        "appeal_decision" => {
            let d = AppealDecisionInput {
                outcome: form_value(&form, "outcome"),
                decision: form_value(&form, "decision"),
            };
            decide_appeal_for(&state, &user, id, &d).await?;
        }
        "reverse" => {
            visible_entry(&state, &user, id).await?;
            state
                .store
                .reverse_entry(user.org_id(), rules, &user.0, id, &form_value(&form, "reason"))
                .await?;
        }
        _ => return Err(AppError::bad_request("bad_form", "未知操作 / unknown action").into()),
    }
    Ok(Redirect::to(&format!("/console/ledger/{id}")).into_response())
}

#[derive(Template)]
#[template(path = "ledger_new.html")]
struct NewPage {
    c: Chrome,
    /// The staff picker's groups, by unit.
    staff: Vec<super::StaffGroup>,
    units: Vec<(i64, String)>,
    codebook: Vec<(String, String)>,
    fact_kinds: Vec<(String, String)>,
    attendance: Vec<(String, String)>,
    entry_kinds: Vec<(String, String)>,
    deeds: Vec<(String, String)>,
}

async fn new_page(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
) -> PageResult {
    if !may_record(&user) {
        return Err(AppError::Forbidden.into());
    }
    let rules = state.org_rules(&user).await?.rules;
    let staff = super::staff_groups(&state, user.org_id(), None).await?;
    let all = state.store.units(user.org_id()).await?;
    let names = chuangkou_store::org::full_names(&all);
    let units = all.iter().map(|u| (u.id, names[&u.id].clone())).collect();
    let manual = [
        EntryKind::Commendation,
        EntryKind::GoodDeed,
        EntryKind::Admonition,
        EntryKind::Criticism,
        EntryKind::EfficiencyWarning,
        EntryKind::Fine,
        EntryKind::Suspension,
        EntryKind::Dismissal,
    ];
    Ok(render(&NewPage {
        staff,
        units,
        codebook: rules
            .pack
            .codebook
            .iter()
            .map(|r| (r.code.clone(), format!("{} {}", r.code, r.title)))
            .collect(),
        fact_kinds: tr.choices(FactKind::ALL),
        attendance: tr.choices(AttendanceKind::ALL),
        entry_kinds: tr.choices(&manual),
        deeds: tr.choices(GoodDeedKind::ALL),
        c: Chrome::for_user(&state, tr, csrf, &user, "ledger").await?,
    }))
}

fn opt_id<T: std::str::FromStr>(form: &HashMap<String, String>, key: &str) -> Result<Option<T>, AppError> {
    match nonempty(form, key) {
        None => Ok(None),
        Some(v) => {
            v.parse().map(Some).map_err(|_| AppError::bad_request("bad_form", format!("{key}: not a number")))
        }
    }
}

async fn new_submit(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> PageResult {
    match form_value(&form, "what").as_str() {
        "fact" => {
            let input = FactInput {
                kind: form_value(&form, "kind"),
                staff_id: opt_id(&form, "staff_id")?,
                unit_id: opt_id(&form, "unit_id")?,
                rule_code: nonempty(&form, "rule_code"),
                detail: nonempty(&form, "detail"),
                date: nonempty(&form, "date"),
                note: form_value(&form, "note"),
                case_id: None,
            };
            record_fact_for(&state, &user, &input).await?;
            Ok(Redirect::to("/console/ledger?status=proposed").into_response())
        }
        "entry" => {
            let input = EntryInput {
                kind: form_value(&form, "kind"),
                staff_id: opt_id(&form, "staff_id")?,
                unit_id: opt_id(&form, "unit_id")?,
                amount: nonempty(&form, "amount"),
                date: nonempty(&form, "date"),
                note: form_value(&form, "note"),
                deed: nonempty(&form, "deed"),
                item: nonempty(&form, "item"),
                item_value: nonempty(&form, "item_value"),
            };
            let id = propose_for(&state, &user, &input).await?;
            Ok(Redirect::to(&format!("/console/ledger/{id}")).into_response())
        }
        _ => Err(AppError::bad_request("bad_form", "未知操作 / unknown action").into()),
    }
}

async fn import(
    State(state): State<AppState>,
    tr: Tr,
    token: CsrfToken,
    headers: HeaderMap,
    PageUser(user): PageUser,
    multipart: Multipart,
) -> PageResult {
    let up = super::Upload::read_form(&headers, multipart).await?;
    let (name, bytes) =
        up.file("file").ok_or_else(|| AppError::bad_request("bad_form", "请选择文件 / choose a file"))?;
    let out = import_attendance_for(&state, &user, bytes, name).await?;
    let errors: Vec<chuangkou_domain::roster::ImportError> =
        serde_json::from_value(out["errors"].clone()).unwrap_or_default();
    let applied = out["applied"] == true;
    let status =
        if applied { axum::http::StatusCode::OK } else { axum::http::StatusCode::UNPROCESSABLE_ENTITY };
    let c = Chrome::for_user(&state, tr, token, &user, "ledger").await?;
    Ok(super::render_with(
        status,
        &super::ImportResultPage {
            c,
            applied,
            created: out["facts"].as_u64().unwrap_or(0) as usize,
            updated: out["proposed"].as_u64().unwrap_or(0) as usize,
            unchanged: 0,
            errors,
        },
    ))
}

/// id, entry, who, amount, status, receipt or reason, why, due.
/// The last field is the status code (`due`, `waiver_proposed`, …).
type FineLine = (i64, i64, String, String, String, String, String, String);

#[derive(Template)]
#[template(path = "fines.html")]
struct FinesPage {
    c: Chrome,
    rows: Vec<FineLine>,
    total_due: String,
    finance: bool,
    approver: bool,
}

#[derive(Deserialize, Default)]
struct FinesQuery {
    status: Option<String>,
}

async fn fines(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Query(q): Query<FinesQuery>,
) -> PageResult {
    let list = fines_for(&state, &user, q.status.as_deref()).await?;
    let rules = state.org_rules(&user).await?.rules;
    let total_due: Fen = list.iter().filter(|f| f.status == "due").map(|f| f.amount).sum();
    let rows = list
        .into_iter()
        .map(|f| {
            let who = f.staff_name.clone().unwrap_or_else(|| f.unit_name.clone());
            let st = FineStatus::parse(&f.status).map_or(f.status.clone(), |s| tr.label(s).to_string());
            let note = f.receipt_no.clone().or(f.waived_reason.clone()).unwrap_or_default();
            (
                f.id,
                f.entry_id,
                who,
                tr.f1("w.amount_yuan", f.amount.to_string()),
                st,
                note,
                f.explanation,
                f.status.clone(),
            )
        })
        .collect();
    Ok(render(&FinesPage {
        rows,
        total_due: total_due.to_string(),
        finance: user.can(Permission::CollectFines),
        approver: rules.pack.ledger.may_approve(user.role()),
        c: Chrome::for_user(&state, tr, csrf, &user, "ledger").await?,
    }))
}

async fn fine_act(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> PageResult {
    if !fines_for(&state, &user, None).await?.iter().any(|f| f.id == id) {
        return Err(AppError::NotFound.into());
    }
    match form_value(&form, "action").as_str() {
        "collect" => {
            state.store.collect_fine(user.org_id(), &user.0, id, &form_value(&form, "receipt_no")).await?;
        }
        "waive" => {
            let rules = state.org_rules(&user).await?.rules;
            state
                .store
                .waive_fine(
                    user.org_id(),
                    rules,
                    &user.0,
                    id,
                    &form_value(&form, "reason"),
                    form_value(&form, "approve") != "no",
                )
                .await?;
        }
        _ => return Err(AppError::bad_request("bad_form", "未知操作 / unknown action").into()),
    }
    Ok(Redirect::to("/console/fines").into_response())
}

#[derive(Template)]
#[template(path = "eligibility.html")]
struct EligibilityPage {
    c: Chrome,
    year: i32,
    rows: Vec<chuangkou_store::ledger::Eligibility>,
}

#[derive(Deserialize, Default)]
struct YearQ {
    year: Option<i32>,
}

async fn eligibility(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Query(q): Query<YearQ>,
) -> PageResult {
    let (year, rows) = eligibility_for(&state, &user, q.year).await?;
    Ok(render(&EligibilityPage { year, rows, c: Chrome::for_user(&state, tr, csrf, &user, "ledger").await? }))
}
