//! Recognition and publicity (SPEC CMP-1/2, issue 20 point 4): the office
//! issues certificates 荣誉证书 for a closed period's awards and for
//! campaign honours (never its own), each a printable PDF with a serial
//! anyone can verify; finance pays the reward each carries (never its
//! own); the office writes typical cases 典型案例 from records — never
//! naming a reporter — and logs the campaign's media coverage, both
//! published on the organisation's news page.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::header::{CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::response::{IntoResponse, Response};
use chuangkou_domain::{Permission, StaffId, recognition};
use chuangkou_notice::{Block, Document};
use chuangkou_store::recognition::{CertificateRow, NewCertificate, NewTypicalCase};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::{ApiResult, AppError};
use crate::extract::{ApiJson, ApiPath};
use crate::{AppState, auth::CurrentUser};

/// Whether `user` sees every certificate (the office, finance, leaders)
/// rather than only their own.
fn sees_all(user: &CurrentUser) -> bool {
    user.can(Permission::IssueCertificates)
        || user.can(Permission::PayRewards)
        || user.can(Permission::ViewFines)
}

/// The certificates `user` sees: all, or their own.
pub async fn visible_certificates(state: &AppState, user: &CurrentUser) -> ApiResult<Vec<CertificateRow>> {
    let all = state.store.certificates(user.org_id()).await?;
    Ok(if sees_all(user) {
        all
    } else {
        all.into_iter().filter(|c| c.staff_id.is_some() && c.staff_id == user.0.staff_id).collect()
    })
}

/// `GET /api/v1/certificates`
pub async fn list(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    Ok(Json(json!({"certificates": visible_certificates(&state, &user).await?})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IssueInput {
    /// A closed month `YYYY-MM` or a closed year `YYYY`.
    pub period: String,
}

/// Issues a closed period's certificates; the ids added.
pub async fn issue_period(state: &AppState, user: &CurrentUser, period: &str) -> ApiResult<Vec<i64>> {
    user.require(Permission::IssueCertificates)?;
    let period = period.trim();
    let ok = match period.len() {
        4 => period.parse::<u16>().is_ok(),
        7 => chrono::NaiveDate::parse_from_str(&format!("{period}-01"), "%Y-%m-%d").is_ok(),
        _ => false,
    };
    if !ok {
        return Err(AppError::field(
            "period",
            "应为 2026-11 或 2026 / a month like 2026-11 or a year like 2026",
        ));
    }
    let rules = state.org_rules(user).await?.rules;
    let a = &rules.pack.assessment;
    let awards = if period.len() == 4 { &a.annual_awards } else { &a.awards };
    Ok(state.store.issue_period_certificates(user.org_id(), &user.0, period, awards).await?)
}

/// `POST /api/v1/certificates/issue`: every award winner of a closed period.
pub async fn issue(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<IssueInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let added = issue_period(&state, &user, &input.period).await?;
    let all = state.store.certificates(user.org_id()).await?;
    let rows: Vec<_> = all.into_iter().filter(|c| added.contains(&c.id)).collect();
    Ok((StatusCode::CREATED, Json(json!({"certificates": rows}))))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HonourInput {
    pub campaign_id: i64,
    /// e.g. 优质服务先进个人 (seed 004 六(五)).
    pub award_title: String,
    #[serde(default)]
    pub staff_id: Option<StaffId>,
    #[serde(default)]
    pub unit_id: Option<i64>,
    /// In yuan, `500`; none by default.
    #[serde(default)]
    pub reward: Option<String>,
}

/// Issues a campaign honour to a person or a unit; the id.
pub async fn honour(state: &AppState, user: &CurrentUser, input: &HonourInput) -> ApiResult<i64> {
    user.require(Permission::IssueCertificates)?;
    let title = chuangkou_domain::text::required("award_title", &input.award_title, 60)
        .map_err(|e| AppError::Validation(vec![e]))?;
    let campaign = state
        .store
        .campaign(user.org_id(), input.campaign_id)
        .await
        .map_err(|_| AppError::field("campaign_id", "没有这个活动 / no such campaign"))?;
    let recipient = match (input.staff_id, input.unit_id) {
        (Some(s), None) => {
            state
                .store
                .staff(user.org_id(), s)
                .await
                .map_err(|_| AppError::field("staff_id", "没有这名员工 / no such staff member"))?
                .name
        }
        (None, Some(u)) => {
            state
                .store
                .units(user.org_id())
                .await?
                .into_iter()
                .find(|x| x.id == u)
                .ok_or_else(|| AppError::field("unit_id", "没有这个单位 / no such unit"))?
                .name
        }
        _ => return Err(AppError::field("staff_id", "请选择一名员工或一个单位 / a person or a unit")),
    };
    let reward_fen = match input.reward.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
        None => chuangkou_domain::Fen::ZERO,
        Some(r) => chuangkou_domain::Fen::parse_yuan(r)
            .ok_or_else(|| AppError::field("reward", "金额应为 500 或 500.50 / an amount like 500"))?,
    };
    let code = format!("campaign-{}", campaign.id);
    let c = NewCertificate {
        source: "campaign",
        award_code: code,
        award_title: title,
        period: campaign.year.to_string(),
        staff_id: input.staff_id,
        unit_id: input.unit_id,
        recipient,
        campaign_id: Some(campaign.id),
        reward_fen,
    };
    let ids = state.store.issue_certificates(user.org_id(), &user.0, &[c]).await?;
    ids.first()
        .copied()
        .ok_or_else(|| AppError::Conflict("已颁发过这项荣誉 / this honour was already given".into()))
}

/// `POST /api/v1/certificates`: a campaign honour.
pub async fn create(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<HonourInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = honour(&state, &user, &input).await?;
    Ok((StatusCode::CREATED, Json(json!({"certificate": state.store.certificate(user.org_id(), id).await?}))))
}

/// The address a certificate is verified at.
pub fn verify_url(base: &str, serial: &str) -> String {
    format!("{}/verify/{serial}", base.trim_end_matches('/'))
}

/// The 荣誉证书: the organisation, the recipient, the award and its period,
/// the date, the serial and where to verify it.
pub fn certificate_document(org: &str, c: &CertificateRow, date: &str, verify: &str) -> Document {
    let period = match c.period.split_once('-') {
        Some((y, m)) => format!("{y}年{}月", m.trim_start_matches('0')),
        None => format!("{}年度", c.period),
    };
    Document {
        title: format!("荣誉证书 {}", c.serial),
        blocks: vec![
            Block::Masthead(org.to_string()),
            Block::Title("荣誉证书".into()),
            Block::Plain(format!("{}：", c.recipient)),
            Block::Paragraph(format!("在{period}服务质量工作中成绩突出，被评为「{}」。", c.award_title)),
            Block::Paragraph("特发此证，以资鼓励。".into()),
            Block::Signature(vec![org.to_string(), date.to_string()]),
            Block::Plain(format!("证书编号：{}", c.serial)),
            Block::Plain(format!("验证：{verify}")),
        ],
        footer: format!("{org} 荣誉证书 {}", c.serial),
    }
}

/// `GET /api/v1/certificates/{id}/pdf`: the printable certificate, for its
/// holder and those who see all.
pub async fn pdf(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Response> {
    let c = visible_certificates(&state, &user)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(AppError::NotFound)?;
    let crate::OrgRules { org, rules } = state.org_rules(&user).await?;
    let cal = rules.calendar;
    let d = cal.local_date(c.issued_at);
    let date = format!(
        "{}年{}月{}日",
        chrono::Datelike::year(&d),
        chrono::Datelike::month(&d),
        chrono::Datelike::day(&d)
    );
    let doc = certificate_document(&org.name, &c, &date, &verify_url(&state.config.public_url, &c.serial));
    let bytes = state.pdf(doc).await?;
    Ok((
        [
            (CONTENT_TYPE, "application/pdf".to_string()),
            (CONTENT_DISPOSITION, format!("inline; filename=\"certificate-{}.pdf\"", c.serial)),
        ],
        bytes,
    )
        .into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PaymentInput {
    pub receipt_no: String,
}

/// `POST /api/v1/certificates/{id}/payment`: finance pays the reward.
pub async fn pay(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
    ApiJson(input): ApiJson<PaymentInput>,
) -> ApiResult<Json<Value>> {
    user.require(Permission::PayRewards)?;
    let c = state.store.pay_reward(user.org_id(), &user.0, id, &input.receipt_no).await?;
    Ok(Json(json!({"certificate": c})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TypicalInput {
    /// `good_deed`, `complaint` or `campaign`
    pub kind: String,
    pub title: String,
    pub story: String,
    /// `YYYY-MM-DD`
    pub happened_on: String,
    #[serde(default)]
    pub unit_id: Option<i64>,
    /// `case`, `ledger_entry` or `campaign_task`
    #[serde(default)]
    pub source_type: Option<String>,
    #[serde(default)]
    pub source_id: Option<i64>,
    #[serde(default)]
    pub campaign_id: Option<i64>,
}

/// Writes a typical case; the id.
pub async fn write_typical(state: &AppState, user: &CurrentUser, input: &TypicalInput) -> ApiResult<i64> {
    user.require(Permission::CurateTypicalCases)?;
    let t = recognition::check_typical(&input.kind, &input.title, &input.story, &input.happened_on)?;
    let source = match (input.source_type.as_deref().filter(|s| !s.is_empty()), input.source_id) {
        (Some(kind), Some(id)) => Some((kind.to_string(), id)),
        (None, None) => None,
        _ => {
            return Err(AppError::field(
                "source_id",
                "来源类别与编号须同时填写 / a source needs its kind and id",
            ));
        }
    };
    let new = NewTypicalCase {
        kind: t.kind.as_str().to_string(),
        title: t.title,
        story: t.story,
        unit_id: input.unit_id,
        happened_on: t.happened_on,
        source,
        campaign_id: input.campaign_id,
    };
    Ok(state.store.create_typical_case(user.org_id(), &user.0, &new).await?)
}

/// `POST /api/v1/typical-cases`
pub async fn create_typical(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<TypicalInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = write_typical(&state, &user, &input).await?;
    let row = state.store.typical_cases(user.org_id(), false).await?.into_iter().find(|t| t.id == id);
    Ok((StatusCode::CREATED, Json(json!({"typical_case": row}))))
}

/// `GET /api/v1/typical-cases`
pub async fn typical(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    user.require(Permission::CurateTypicalCases)?;
    Ok(Json(json!({"typical_cases": state.store.typical_cases(user.org_id(), false).await?})))
}

/// `POST /api/v1/typical-cases/{id}/publication`
pub async fn publish(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Value>> {
    user.require(Permission::CurateTypicalCases)?;
    state.store.publish_typical_case(user.org_id(), &user.0, id, true).await?;
    Ok(Json(json!({"published": true})))
}

/// `POST /api/v1/typical-cases/{id}/withdrawal`
pub async fn withdraw(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiPath(id): ApiPath<i64>,
) -> ApiResult<Json<Value>> {
    user.require(Permission::CurateTypicalCases)?;
    state.store.publish_typical_case(user.org_id(), &user.0, id, false).await?;
    Ok(Json(json!({"published": false})))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MediaInput {
    #[serde(default)]
    pub campaign_id: Option<i64>,
    pub outlet: String,
    /// `YYYY-MM-DD`
    pub published_on: String,
    pub title: String,
    #[serde(default)]
    pub link: String,
}

/// Logs a media item; the id.
pub async fn log_media(state: &AppState, user: &CurrentUser, input: &MediaInput) -> ApiResult<i64> {
    user.require(Permission::CurateTypicalCases)?;
    let (outlet, day, title, link) =
        recognition::check_media(&input.outlet, &input.published_on, &input.title, &input.link)?;
    Ok(state
        .store
        .add_media_item(user.org_id(), &user.0, input.campaign_id, (&outlet, &day, &title, link.as_deref()))
        .await?)
}

/// `POST /api/v1/media-items`
pub async fn create_media(
    State(state): State<AppState>,
    user: CurrentUser,
    ApiJson(input): ApiJson<MediaInput>,
) -> ApiResult<(StatusCode, Json<Value>)> {
    let id = log_media(&state, &user, &input).await?;
    let row = state.store.media_items(user.org_id()).await?.into_iter().find(|m| m.id == id);
    Ok((StatusCode::CREATED, Json(json!({"media_item": row}))))
}

/// `GET /api/v1/media-items`
pub async fn media(State(state): State<AppState>, user: CurrentUser) -> ApiResult<Json<Value>> {
    user.require(Permission::CurateTypicalCases)?;
    Ok(Json(json!({"media_items": state.store.media_items(user.org_id()).await?})))
}
