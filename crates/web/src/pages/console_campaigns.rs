//! Campaigns in the console (SPEC CMP-1, issue 20): the campaign office
//! starts one from a template and follows it — the phase bar, progress per
//! phase and lead unit, what is overdue — and accepts or sends back what
//! the lead units submit, with their photos; a lead unit submits its work
//! from a phone with photos as evidence.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, State};
use axum::http::HeaderMap;
use axum::response::{IntoResponse, Redirect};
use axum::routing::{get, post};
use chuangkou_domain::Permission;
use chuangkou_domain::campaigns::{Progress, TaskStatus, TaskStep};

use super::console::format_time;
use super::{Chrome, PageResult, Upload, render};
use crate::AppState;
use crate::api::campaigns::{create_campaign, may_step, phase_bars};
use crate::auth::PageUser;
use crate::csrf::CsrfForm;
use crate::csrf::CsrfToken;
use crate::error::AppError;
use crate::i18n::Tr;

pub fn router() -> Router<AppState> {
    Router::new()
        .route("/console/campaigns", get(list).post(create))
        .route("/console/campaigns/{id}", get(page))
        .route(
            "/console/campaigns/{id}/group",
            post(group).layer(axum::extract::DefaultBodyLimit::max(crate::UPLOAD_LIMIT)),
        )
        .route(
            "/console/campaign-tasks/{id}/steps",
            post(step).layer(DefaultBodyLimit::max(crate::UPLOAD_LIMIT)),
        )
        .route("/console/campaign-tasks/{id}/photos/{photo}", get(photo))
}

#[derive(Template)]
#[template(path = "campaigns.html")]
struct ListPage {
    c: Chrome,
    campaigns: Vec<chuangkou_store::campaigns::CampaignRow>,
    /// Templates of the pack: code, title.
    templates: Vec<(String, String)>,
    year: i32,
    may_create: bool,
}

async fn list(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
) -> PageResult {
    user.require(Permission::ViewCampaigns)?;
    let crate::OrgRules { org, rules } = state.org_rules(&user).await?;
    let templates = rules.pack.campaigns.iter().map(|t| (t.code.clone(), t.title.clone())).collect();
    let year = chrono::Datelike::year(&rules.calendar.local_date(state.store.now_ms()));
    Ok(render(&ListPage {
        campaigns: state.store.campaigns(org.id).await?,
        templates,
        year,
        may_create: user.can(Permission::ManageCampaigns),
        c: Chrome::for_user(&state, tr, csrf, &user, "campaigns").await?,
    }))
}

async fn create(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    CsrfForm(form): CsrfForm<std::collections::HashMap<String, String>>,
) -> PageResult {
    let get = |k: &str| form.get(k).cloned().unwrap_or_default();
    user.require(Permission::ManageCampaigns)?;
    let year = get("year").trim().parse().map_err(|_| AppError::field("year", "请填写年份 / which year?"))?;
    let id = create_campaign(&state, &user, &get("template"), year).await?;
    Ok(Redirect::to(&format!("/console/campaigns/{id}")).into_response())
}

/// A task as the page shows it, with what this user may do to it.
pub struct TaskLine {
    pub task: chuangkou_store::campaigns::TaskRow,
    /// Who answers for it, and the units co-operating, by name.
    pub owner: Option<String>,
    pub co_units: Vec<String>,
    pub status: String,
    pub due: String,
    pub photos: Vec<i64>,
    pub may_work: bool,
    pub may_review: bool,
}

#[derive(Template)]
#[template(path = "campaign.html")]
struct CampaignPage {
    c: Chrome,
    campaign: chuangkou_store::campaigns::CampaignRow,
    progress: Progress,
    /// Each phase: title, first day, last day, progress.
    phases: Vec<(String, String, String, Progress)>,
    /// Each lead unit: name, progress.
    units: Vec<(String, Progress)>,
    svg: String,
    tasks: Vec<TaskLine>,
    phase_names: Vec<(i64, String)>,
    members: Vec<chuangkou_store::campaign_group::MemberRow>,
    participants: Vec<(i64, String)>,
    files: Vec<chuangkou_store::campaign_group::FileRow>,
    manages: bool,
    roles: Vec<(String, String)>,
    staff: Vec<super::StaffGroup>,
    all_units: Vec<(i64, String)>,
}

impl CampaignPage {
    fn role(&self, code: &str) -> String {
        chuangkou_domain::recognition::MemberRole::parse(code)
            .map_or(code.to_string(), |r| self.c.tr.label(r).to_string())
    }
    fn phase_title(&self, l: &TaskLine) -> String {
        self.phase_names.iter().find(|p| p.0 == l.task.phase_id).map(|p| p.1.clone()).unwrap_or_default()
    }
}

async fn page(
    State(state): State<AppState>,
    tr: Tr,
    csrf: CsrfToken,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
) -> PageResult {
    user.require(Permission::ViewCampaigns)?;
    let campaign = state.store.campaign(user.org_id(), id).await?;
    let rows = state.store.campaign_tasks(user.org_id(), id).await?;
    let progress_of = |f: &dyn Fn(&chuangkou_store::campaigns::TaskRow) -> bool| {
        Progress::of(
            rows.iter()
                .filter(|t| f(t))
                .map(|t| (TaskStatus::parse(&t.status).unwrap_or(TaskStatus::NotStarted), t.overdue)),
        )
    };
    let phase_rows = state.store.campaign_phases(user.org_id(), id).await?;
    let phases = phase_rows
        .iter()
        .map(|p| {
            (p.title.clone(), p.starts_on.clone(), p.ends_on.clone(), progress_of(&|t| t.phase_id == p.id))
        })
        .collect();
    let mut leads: Vec<(i64, String)> =
        rows.iter().map(|t| (t.lead_unit_id, t.lead_unit_name.clone())).collect();
    leads.sort();
    leads.dedup();
    let units = leads.into_iter().map(|(u, name)| (name, progress_of(&|t| t.lead_unit_id == u))).collect();
    let progress = progress_of(&|_| true);
    let svg = phase_bars(&state, &user, id).await?;
    let unit_names: std::collections::HashMap<i64, String> =
        state.store.units(user.org_id()).await?.into_iter().map(|u| (u.id, u.name)).collect();
    let mut tasks = vec![];
    for t in rows.clone() {
        let owner = match t.owner_staff_id {
            Some(s) => Some(state.store.staff(user.org_id(), s).await?.name),
            None => None,
        };
        let co_units = t
            .co_units
            .split(',')
            .filter_map(|u| u.parse::<i64>().ok())
            .filter_map(|u| unit_names.get(&u).cloned())
            .collect();
        let status = TaskStatus::parse(&t.status).unwrap_or(TaskStatus::NotStarted);
        let may_work = status.after(TaskStep::Submit).is_some()
            && may_step(&state, &user, &t, TaskStep::Submit).await.is_ok();
        let may_review = status == TaskStatus::Submitted
            && user.can(Permission::ManageCampaigns)
            && t.submitted_by != Some(user.0.id);
        let photos =
            state.store.campaign_task_photos(user.org_id(), t.id).await?.into_iter().map(|p| p.0).collect();
        tasks.push(TaskLine {
            owner,
            co_units,
            status: tr.label(status).to_string(),
            due: format_time(t.due_at),
            photos,
            may_work,
            may_review,
            task: t,
        });
    }
    let manages = user.can(Permission::ManageCampaigns);
    let (staff, all_units) = if manages {
        let names = chuangkou_store::org::full_names(&state.store.units(user.org_id()).await?);
        let mut units: Vec<(i64, String)> = names.into_iter().collect();
        units.sort();
        (super::staff_groups(&state, user.org_id(), None).await?, units)
    } else {
        (vec![], vec![])
    };
    Ok(render(&CampaignPage {
        members: state.store.campaign_members(user.org_id(), id).await?,
        participants: state.store.campaign_units(user.org_id(), id).await?,
        files: state.store.campaign_files(user.org_id(), id).await?,
        manages,
        roles: tr.choices(chuangkou_domain::recognition::MemberRole::ALL),
        staff,
        all_units,
        campaign,
        progress,
        phases,
        units,
        svg,
        tasks,
        phase_names: phase_rows.into_iter().map(|p| (p.id, p.title)).collect(),
        c: Chrome::for_user(&state, tr, csrf, &user, "campaigns").await?,
    }))
}

/// A step from the page: `submit` with the evidence and any photos
/// (multipart), `accept` or `send_back` with the reason.
async fn step(
    State(state): State<AppState>,
    headers: HeaderMap,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    multipart: Multipart,
) -> PageResult {
    user.require(Permission::ViewCampaigns)?;
    let task = state.store.campaign_task(user.org_id(), id).await?;
    let up = Upload::read_form(&headers, multipart).await?;
    let step =
        TaskStep::parse(&up.get("step")).ok_or_else(|| AppError::field("step", "未知操作 / unknown step"))?;
    may_step(&state, &user, &task, step).await?;
    let mut photos = vec![];
    for (_, _, bytes) in up.files.iter().filter(|f| f.0 == "photos" && !f.2.is_empty()) {
        photos.push(crate::photos::process(bytes.clone()).await?);
    }
    state.store.campaign_task_step_with(user.org_id(), &user.0, id, step, &up.get("text"), &photos).await?;
    Ok(Redirect::to(&format!("/console/campaigns/{}#task-{id}", task.campaign_id)).into_response())
}

async fn photo(
    State(state): State<AppState>,
    PageUser(user): PageUser,
    Path((task, photo)): Path<(i64, i64)>,
) -> PageResult {
    user.require(Permission::ViewCampaigns)?;
    state.store.campaign_task(user.org_id(), task).await?;
    let (ct, bytes) = state.store.campaign_task_photo(user.org_id(), task, photo, false).await?;
    Ok(crate::api::inspections::photo_response(photo, &ct, bytes, false))
}

/// The leading group's forms: a member, a unit taking part, or a file
/// (the logo or a basis document, multipart).
async fn group(
    State(state): State<AppState>,
    headers: axum::http::HeaderMap,
    PageUser(user): PageUser,
    Path(id): Path<i64>,
    multipart: axum::extract::Multipart,
) -> PageResult {
    let up = super::Upload::read_form(&headers, multipart).await?;
    match up.get("form").as_str() {
        "member" => {
            let staff = up
                .get("staff_id")
                .parse()
                .map_err(|_| AppError::field("staff_id", "请选择人员 / choose a person"))?;
            crate::api::campaign_group::name_member(&state, &user, id, staff, &up.get("role")).await?;
        }
        "unit" => {
            user.require(Permission::ManageCampaigns)?;
            let unit = up
                .get("unit_id")
                .parse()
                .map_err(|_| AppError::field("unit_id", "请选择单位 / choose a unit"))?;
            state.store.add_campaign_unit(user.org_id(), &user.0, id, unit).await?;
        }
        _ => {
            crate::api::campaign_group::attach(&state, &user, id, &up).await?;
        }
    }
    Ok(axum::response::Redirect::to(&format!("/console/campaigns/{id}#group")).into_response())
}
