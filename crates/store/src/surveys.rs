//! Questionnaires (SPEC SAT-2) and anonymous staff surveys (SAT-3).
//!
//! A questionnaire is versioned: publishing a new version of a code closes
//! the earlier one, and every response belongs to the version it answered.
//!
//! Staff surveys are anonymous by construction: a response row holds no
//! user, device, address or time finer than the month, and its id is random;
//! who has taken part is a separate table of (questionnaire, user) pairs
//! with nothing else. Neither is chained as an event, because the event
//! log's order and actor would link the two. Results for a group are given
//! only when at least the pack's minimum of people answered.

use chuangkou_domain::events::EventKind;
use chuangkou_domain::{OrgId, UserId};
use std::collections::{BTreeMap, HashMap};

use chuangkou_domain::satisfaction::{
    Answer, Audience, Question, SurveyResults, check_answers, check_questions, summarise,
};
use serde::Serialize;
use serde_json::json;

use crate::{NewEvent, Result, Store, StoreError, on_read, on_tx};

#[derive(Debug, Clone, Serialize)]
pub struct Questionnaire {
    pub id: i64,
    pub org_id: OrgId,
    pub code: String,
    pub version: i64,
    pub title: String,
    pub audience: Audience,
    pub questions: Vec<Question>,
    #[serde(skip)]
    pub public_token: String,
    pub status: String,
    pub created_at: i64,
}

type QRow = (i64, OrgId, String, i64, String, String, String, String, String, i64);
const Q_COLUMNS: &str =
    "id, org_id, code, version, title, audience, questions, public_token, status, created_at";

fn from_row(r: QRow) -> Result<Questionnaire> {
    let (id, org_id, code, version, title, audience, questions, public_token, status, created_at) = r;
    Ok(Questionnaire {
        id,
        org_id,
        code,
        version,
        title,
        audience: Audience::parse(&audience)
            .ok_or_else(|| StoreError::Other(format!("audience {audience}")))?,
        questions: serde_json::from_str(&questions).map_err(|e| StoreError::Other(e.to_string()))?,
        public_token,
        status,
        created_at,
    })
}

/// The results of one group (a unit, or the whole organisation with
/// `unit_id` `None`): `results` is `None` when too few answered to show them.
#[derive(Debug, Clone, Serialize)]
pub struct GroupResults {
    pub unit_id: Option<i64>,
    pub unit_name: String,
    pub responses: i64,
    pub results: Option<SurveyResults>,
}

/// Where a response came from.
#[derive(Debug, Clone, Copy, Default)]
pub struct Origin {
    pub unit_id: Option<i64>,
    pub point_id: Option<i64>,
}

impl Store {
    /// Publishes a questionnaire: version 1 of a new code, or the next
    /// version of an existing one (which closes the earlier versions).
    pub async fn publish_questionnaire(
        &self,
        org_id: OrgId,
        user_id: UserId,
        code: &str,
        title: &str,
        audience: Audience,
        questions: &[Question],
    ) -> Result<Questionnaire> {
        let code = chuangkou_domain::text::code("code", code).map_err(|e| StoreError::Invalid(vec![e]))?;
        let title = crate::required("title", title, 100)?;
        check_questions(questions).map_err(|e| StoreError::Invalid(vec![e]))?;
        let json = serde_json::to_string(questions).map_err(|e| StoreError::Other(e.to_string()))?;
        let token = crate::random_token(16);
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        // The chain head is locked first, so two publishers of one code take turns.
        let actor = format!("user:{user_id}");
        let version: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM questionnaires WHERE org_id = $1 AND code = $2")
            .bind(org_id).bind(&code).fetch_one(c).await)?;
        on_tx!(&mut tx, c => sqlx::query("UPDATE questionnaires SET status = 'closed' WHERE org_id = $1 AND code = $2")
            .bind(org_id).bind(&code).execute(c).await.map(|r| r.rows_affected()))?;
        let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO questionnaires (org_id, code, version, title, audience, questions, public_token, status, created_by, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8, $9) RETURNING id")
            .bind(org_id).bind(&code).bind(version).bind(&title).bind(audience.as_str()).bind(&json)
            .bind(&token).bind(user_id).bind(now).fetch_one(c).await)?;
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind: EventKind::QuestionnairePublished,
                subject_type: "questionnaire",
                subject_id: id,
                payload: json!({ "code": code, "version": version, "title": title, "audience": audience.as_str(), "questions": questions }),
                reason: "",
            },
        )
        .await?;
        tx.commit().await?;
        self.questionnaire(org_id, id).await
    }

    /// Closes a questionnaire: it takes no more answers.
    pub async fn close_questionnaire(
        &self,
        org_id: OrgId,
        id: i64,
        user_id: UserId,
    ) -> Result<Questionnaire> {
        let mut tx = self.begin().await?;
        let n = on_tx!(&mut tx, c => sqlx::query("UPDATE questionnaires SET status = 'closed' WHERE org_id = $1 AND id = $2 AND status = 'open'")
            .bind(org_id).bind(id).execute(c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            self.questionnaire(org_id, id).await?;
            return Err(StoreError::refused(true, "问卷已经关闭 / the questionnaire is already closed"));
        }
        let actor = format!("user:{user_id}");
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind: EventKind::QuestionnaireClosed,
                subject_type: "questionnaire",
                subject_id: id,
                payload: json!({}),
                reason: "",
            },
        )
        .await?;
        tx.commit().await?;
        self.questionnaire(org_id, id).await
    }

    pub async fn questionnaire(&self, org_id: OrgId, id: i64) -> Result<Questionnaire> {
        let sql = format!("SELECT {Q_COLUMNS} FROM questionnaires WHERE org_id = $1 AND id = $2");
        let r: QRow = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(org_id).bind(id).fetch_one(c).await)?;
        from_row(r)
    }

    pub async fn questionnaire_by_token(&self, token: &str) -> Result<Questionnaire> {
        let sql = format!("SELECT {Q_COLUMNS} FROM questionnaires WHERE public_token = $1");
        let r: QRow = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(token).fetch_one(c).await)?;
        from_row(r)
    }

    /// Every version of every questionnaire, newest first.
    pub async fn questionnaires(&self, org_id: OrgId) -> Result<Vec<Questionnaire>> {
        let sql =
            format!("SELECT {Q_COLUMNS} FROM questionnaires WHERE org_id = $1 ORDER BY code, version DESC");
        let rows: Vec<QRow> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(org_id).fetch_all(c).await)?;
        rows.into_iter().map(from_row).collect()
    }

    /// Whether a user has answered a staff survey.
    pub async fn has_answered(&self, questionnaire_id: i64, user_id: UserId) -> Result<bool> {
        let n: Option<i64> = on_read!(self, c => sqlx::query_scalar(
            "SELECT questionnaire_id FROM survey_participants WHERE questionnaire_id = $1 AND user_id = $2")
            .bind(questionnaire_id).bind(user_id).fetch_optional(c).await)?;
        Ok(n.is_some())
    }

    /// Records an answer to an open questionnaire. For a staff survey,
    /// `respondent` is the signed-in user (recorded only as having taken
    /// part) and the response keeps their unit and the month; a public
    /// response keeps its service point, unit and day.
    pub async fn answer_questionnaire(
        &self,
        q: &Questionnaire,
        respondent: Option<UserId>,
        origin: Origin,
        given: &BTreeMap<usize, String>,
        day: i64,
    ) -> Result<()> {
        if q.status != "open" {
            return Err(StoreError::refused(true, "问卷已经关闭 / this questionnaire is closed"));
        }
        let answers = check_answers(&q.questions, given).map_err(|e| StoreError::Invalid(vec![e]))?;
        let json = serde_json::to_string(&answers).map_err(|e| StoreError::Other(e.to_string()))?;
        let id = crate::random_token(16);
        let mut tx = self.begin().await?;
        match (q.audience, respondent) {
            (Audience::Staff, Some(user)) => {
                let took: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar(
                    "INSERT INTO survey_participants (questionnaire_id, user_id) VALUES ($1, $2)
                     ON CONFLICT DO NOTHING RETURNING questionnaire_id")
                    .bind(q.id).bind(user).fetch_optional(c).await)?;
                if took.is_none() {
                    return Err(StoreError::refused(
                        true,
                        "您已经填过这份问卷 / you have already answered this survey",
                    ));
                }
                let month = day / 100 * 100 + 1;
                on_tx!(&mut tx, c => sqlx::query(
                    "INSERT INTO survey_responses (id, org_id, questionnaire_id, unit_id, point_id, day, answers)
                     VALUES ($1, $2, $3, $4, NULL, $5, $6)")
                    .bind(&id).bind(q.org_id).bind(q.id).bind(origin.unit_id).bind(month).bind(&json)
                    .execute(c).await.map(|r| r.rows_affected()))?;
            }
            (Audience::Staff, None) => {
                return Err(StoreError::refused(false, "职工问卷需要登录 / staff surveys need a sign-in"));
            }
            (Audience::Public, _) => {
                on_tx!(&mut tx, c => sqlx::query(
                    "INSERT INTO survey_responses (id, org_id, questionnaire_id, unit_id, point_id, day, answers)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)")
                    .bind(&id).bind(q.org_id).bind(q.id).bind(origin.unit_id).bind(origin.point_id).bind(day).bind(&json)
                    .execute(c).await.map(|r| r.rows_affected()))?;
                self.append(
                    &mut tx,
                    NewEvent {
                        org_id: q.org_id,
                        actor: "public",
                        kind: EventKind::SurveyAnswered,
                        subject_type: "questionnaire",
                        subject_id: q.id,
                        payload: json!({ "unit_id": origin.unit_id, "point_id": origin.point_id, "day": day }),
                        reason: "",
                    },
                )
                .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    /// Results of a questionnaire over days `from..=to`: the organisation
    /// first, then each unit that has responses. For a staff survey a group
    /// with fewer than `min_answers` responses shows only its count.
    pub async fn questionnaire_results(
        &self,
        q: &Questionnaire,
        from: i64,
        to: i64,
        min_answers: u32,
    ) -> Result<Vec<GroupResults>> {
        let rows: Vec<(Option<i64>, String)> = on_read!(self, c => sqlx::query_as(
            "SELECT unit_id, answers FROM survey_responses WHERE questionnaire_id = $1 AND day BETWEEN $2 AND $3")
            .bind(q.id).bind(from).bind(to).fetch_all(c).await)?;
        let names: HashMap<i64, String> =
            self.units(q.org_id).await?.into_iter().map(|u| (u.id, u.name)).collect();
        let mut by_unit: BTreeMap<Option<i64>, Vec<Vec<Option<Answer>>>> = BTreeMap::new();
        let mut all = Vec::with_capacity(rows.len());
        for (unit, answers) in rows {
            let a: Vec<Option<Answer>> =
                serde_json::from_str(&answers).map_err(|e| StoreError::Other(e.to_string()))?;
            by_unit.entry(unit).or_default().push(a.clone());
            all.push(a);
        }
        let shown = |n: usize| q.audience == Audience::Public || n >= min_answers as usize;
        // The whole minus the shown units must not single out a hidden few:
        // the total is shown only if the hidden groups together reach the minimum.
        let hidden: usize = by_unit.values().map(Vec::len).filter(|n| !shown(*n)).sum();
        let mut out = vec![GroupResults {
            unit_id: None,
            unit_name: "全部 / All".into(),
            responses: all.len() as i64,
            results: (shown(all.len()) && (hidden == 0 || shown(hidden)))
                .then(|| summarise(&q.questions, &all)),
        }];
        for (unit, rs) in by_unit.into_iter().filter_map(|(u, rs)| u.map(|u| (u, rs))) {
            out.push(GroupResults {
                unit_id: Some(unit),
                unit_name: names.get(&unit).cloned().unwrap_or_default(),
                responses: rs.len() as i64,
                results: shown(rs.len()).then(|| summarise(&q.questions, &rs)),
            });
        }
        Ok(out)
    }
}
