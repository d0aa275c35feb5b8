//! Service guides and one-time notification (SPEC PUB-3): the office
//! writes a guide per matter; anyone reads and searches them; a desk
//! notifies a case's missing materials in writing, as a PDF 一次性告知书.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use chuangkou_domain::guides::{self, Material, NewGuide};
use chuangkou_domain::{CaseId, Permission};
use chuangkou_notice::{Block, Document};
use chuangkou_store::guides::{Guide, OneTimeNotice};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiResult, AppError};
use crate::extract::{ApiJson, ApiPath, ApiQuery};
use crate::{AppState, auth::CurrentUser};

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GuideInput {
    pub code: String,
    pub title: String,
    pub basis: String,
    #[serde(default)]
    pub track: Option<String>,
    #[serde(default)]
    pub steps: Vec<String>,
    pub materials: Vec<Material>,
    #[serde(default)]
    pub fees: String,
    #[serde(default)]
    pub place: String,
    #[serde(default)]
    pub refusals: Vec<String>,
}

/// Checks a guide through the domain's rules (materials as the lines a
/// form would send) and that its track is one of the pack's.
pub async fn check(state: &AppState, user: &CurrentUser, g: &GuideInput) -> ApiResult<NewGuide> {
    let materials: Vec<String> = g
        .materials
        .iter()
        .map(|m| {
            let req = if m.required { "必需" } else { "可选" };
            let orig = if m.original { "原件" } else { "复印件" };
            format!("{}|{req}|{orig}|{}", m.name.replace(['|', '｜', '\n'], " "), m.count)
        })
        .collect();
    let checked = guides::check(
        &g.code,
        &g.title,
        &g.basis,
        g.track.as_deref().unwrap_or(""),
        &g.steps.join("\n"),
        &materials.join("\n"),
        &g.fees,
        &g.place,
        &g.refusals.join("\n"),
    )?;
    if let Some(t) = &checked.track {
        let rules = state.org_rules(user).await?.rules;
        if rules.pack.cases.track(t).is_none() {
            return Err(AppError::field("track", "不是本单位的办理时限 / not a track of the pack"));
        }
    }
    Ok(checked)
}

pub async fn save(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<GuideInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    user.require(Permission::PublishNotices)?;
    let g = check(&state, &user, &input).await?;
    Ok((
        StatusCode::CREATED,
        Json(json!({"guide": state.store.save_guide(user.org_id(), &user.0, &g).await?})),
    ))
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SearchQuery {
    #[serde(default)]
    pub q: Option<String>,
}

/// `GET /api/v1/public/guides/{org}?q=`: the guides in use, searched.
pub async fn public_list(
    State(state): State<AppState>,
    ApiPath(org): ApiPath<String>,
    ApiQuery(q): ApiQuery<SearchQuery>,
) -> ApiResult<Json<Value>> {
    let org = state.store.organisation_by_code(&org).await?;
    Ok(Json(json!({"guides": state.store.guides(org.id, q.q.as_deref()).await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NotifyInput {
    pub guide: String,
    pub missing: Vec<String>,
}

/// `POST /api/v1/cases/{id}/one-time-notices`: a written notification of
/// the materials still missing for the case's matter.
pub async fn notify(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<CaseId>,
    ApiJson(input): ApiJson<NotifyInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    user.require(Permission::RegisterCase)?;
    let case = crate::cases_access::visible(&user, state.store.case(user.org_id(), id).await?)?;
    crate::cases_access::not_about_themselves(&user, &case)?;
    let guide = state.store.guide(user.org_id(), input.guide.trim()).await.map_err(|e| match e {
        chuangkou_store::StoreError::NotFound => AppError::field("guide", "没有这个办事指南 / no such guide"),
        other => other.into(),
    })?;
    let n = state.store.notify_once(user.org_id(), &user.0, id, &guide, &input.missing).await?;
    Ok((StatusCode::CREATED, Json(json!({"notice": n}))))
}

/// `GET /api/v1/cases/{id}/one-time-notices/{n}.pdf`: the 一次性告知书.
pub async fn notice_pdf(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath((id, file)): ApiPath<(CaseId, String)>,
) -> ApiResult<Response> {
    let case = crate::cases_access::visible(&user, state.store.case(user.org_id(), id).await?)?;
    let n: i64 = file.strip_suffix(".pdf").and_then(|n| n.parse().ok()).ok_or(AppError::NotFound)?;
    let notice = state
        .store
        .one_time_notices(user.org_id(), id)
        .await?
        .into_iter()
        .find(|x| x.id == n)
        .ok_or(AppError::NotFound)?;
    let guide = state.store.guide_by_id(user.org_id(), notice.guide_id).await?;
    let crate::OrgRules { org, rules } = state.org_rules(&user).await?;
    let limit = guide.track.as_deref().and_then(|t| rules.pack.cases.track(t)).map(|t| t.title.clone());
    let link = format!("{}/track", state.config.public_url.trim_end_matches('/'));
    let doc = notice_document(&org.name, &case.number, &guide, &notice, limit.as_deref(), &link);
    let bytes = state.pdf(doc).await?;
    Ok((
        [
            (CONTENT_TYPE, "application/pdf".to_string()),
            (CONTENT_DISPOSITION, format!("inline; filename=\"one-time-notice-{}.pdf\"", notice.id)),
        ],
        bytes,
    )
        .into_response())
}

/// The 一次性告知书 of seed 002: the matter and its basis, every material
/// still missing, the time limit once they are complete, the case number
/// and where to follow it.
pub fn notice_document(
    org: &str,
    number: &str,
    g: &Guide,
    n: &OneTimeNotice,
    limit: Option<&str>,
    track_link: &str,
) -> Document {
    let missing: Vec<Vec<String>> = n
        .missing
        .iter()
        .enumerate()
        .map(|(i, name)| {
            let m = g.materials.iter().find(|m| &m.name == name);
            let form = m.map_or("", |m| if m.original { "原件" } else { "复印件" });
            let count = m.map_or(1, |m| m.count);
            vec![(i + 1).to_string(), name.clone(), form.to_string(), format!("{count} 份")]
        })
        .collect();
    use chuangkou_notice::{Align, Column, Table};
    let mut blocks = vec![
        Block::Masthead(org.to_string()),
        Block::Title("一次性告知书".into()),
        Block::Subtitle(format!("案件编号 {number}")),
        Block::Paragraph(format!(
            "您申请办理的「{}」事项，经审查，材料尚不齐全。现将需补齐的全部材料一次性告知如下：",
            g.title
        )),
        Block::Table(Table {
            columns: vec![
                Column::new("序号", 1.0, Align::Centre),
                Column::new("材料名称", 5.0, Align::Left),
                Column::new("形式", 1.5, Align::Centre),
                Column::new("份数", 1.5, Align::Centre),
            ],
            rows: missing,
        }),
        Block::Heading("办理依据".into()),
        Block::Paragraph(g.basis.clone()),
    ];
    if let Some(limit) = limit {
        blocks.push(Block::Heading("办理时限".into()));
        blocks.push(Block::Paragraph(format!("材料补齐后按承诺时限办结：{limit}。")));
    }
    blocks.push(Block::Heading("查询办理进度".into()));
    blocks
        .push(Block::Paragraph(format!("凭案件编号 {number} 和受理时给您的查询码，在 {track_link} 查询。")));
    blocks.push(Block::Signature(vec![org.to_string()]));
    Document {
        title: format!("一次性告知书 {number}"),
        footer: format!("{org} 一次性告知书 {number}"),
        blocks,
    }
}
