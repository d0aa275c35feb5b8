//! Likely duplicates (SPEC CASE-6): earlier cases of the window with the
//! same phone, service point or plate, or a similar text.

use chuangkou_domain::cases::similar::{LIKELY_DUPLICATE, Pairs};
use chuangkou_domain::{CaseId, OrgId};
use serde::Serialize;

use super::CASE_COLUMNS;
use crate::{Result, Store, on_read};

/// What intake knows of a new matter, to look for earlier ones like it.
#[derive(Debug, Clone, Copy)]
pub struct DuplicateProbe<'a> {
    /// Digits only.
    pub phone: Option<&'a str>,
    pub service_point_id: Option<i64>,
    pub plate: Option<&'a str>,
    pub text: &'a str,
    /// How far back to look.
    pub window_ms: i64,
    /// The case itself, when probing for an existing case.
    pub exclude_case: Option<CaseId>,
}

/// How many of the window's latest cases are compared by text alone. A busy
/// toll company registers a few dozen complaints a day, so 300 covers the
/// 72-hour window; in a rush the cost per intake stays bounded.
const RECENT_FOR_TEXT: i64 = 300;

/// An earlier case that looks like the same matter.
#[derive(Debug, Clone, Serialize)]
pub struct Duplicate {
    pub case_id: CaseId,
    pub number: String,
    pub state: String,
    pub registered_at: i64,
    pub description: String,
    /// `phone`, `service_point`, `plate`, `text`.
    pub reasons: Vec<&'static str>,
    pub similarity: f64,
}

impl Store {
    /// Earlier cases within `window_ms` that look like the same matter: the
    /// same phone, service point or plate, or a similar text (CASE-6).
    pub async fn likely_duplicates(
        &self,
        org_id: OrgId,
        probe: &DuplicateProbe<'_>,
    ) -> Result<Vec<Duplicate>> {
        let phone_hash = probe.phone.map(|p| self.phone_hash(p));
        self.duplicates_by_hash(org_id, probe, phone_hash).await
    }

    /// Likely duplicates of a stored case, for the office on its page.
    pub async fn duplicates_of(
        &self,
        org_id: OrgId,
        case: &super::CaseRow,
        window_ms: i64,
    ) -> Result<Vec<Duplicate>> {
        let phone_hash: Option<String> = on_read!(self, c => sqlx::query_scalar(
            "SELECT phone_hash FROM cases WHERE org_id = $1 AND id = $2").bind(org_id).bind(case.id).fetch_one(c).await)?;
        let probe = DuplicateProbe {
            phone: None,
            service_point_id: case.service_point_id,
            plate: case.plate.as_deref(),
            text: &case.description,
            window_ms,
            exclude_case: Some(case.id),
        };
        self.duplicates_by_hash(org_id, &probe, phone_hash).await
    }

    async fn duplicates_by_hash(
        &self,
        org_id: OrgId,
        probe: &DuplicateProbe<'_>,
        phone_hash: Option<String>,
    ) -> Result<Vec<Duplicate>> {
        let since = self.now_ms() - probe.window_ms;
        let pairs = Pairs::of(probe.text);
        let mut out: Vec<Duplicate> = self
            .same_key_cases(org_id, probe, phone_hash.as_deref(), since)
            .await?
            .into_iter()
            .map(|(case, hash)| {
                let mut reasons = Vec::new();
                if phone_hash.is_some() && hash == phone_hash {
                    reasons.push("phone");
                }
                if probe.service_point_id.is_some() && case.service_point_id == probe.service_point_id {
                    reasons.push("service_point");
                }
                if probe.plate.is_some() && case.plate.as_deref() == probe.plate {
                    reasons.push("plate");
                }
                let similarity = pairs.dice(&Pairs::of(&case.description));
                if similarity >= LIKELY_DUPLICATE {
                    reasons.push("text");
                }
                dup(case, reasons, similarity)
            })
            .collect();
        if !pairs.is_empty() {
            let seen: Vec<CaseId> = out.iter().map(|d| d.case_id).collect();
            out.extend(self.similar_text_cases(org_id, &pairs, since, &seen).await?);
        }
        out.retain(|d| Some(d.case_id) != probe.exclude_case && !d.reasons.is_empty());
        out.sort_by(|a, b| b.reasons.len().cmp(&a.reasons.len()).then(b.similarity.total_cmp(&a.similarity)));
        Ok(out)
    }

    /// Cases of the window with the same phone, service point or plate, with
    /// their phone hash: one indexed query per key, each bounded by the
    /// window and a count, rather than one OR that no index serves.
    async fn same_key_cases(
        &self,
        org_id: OrgId,
        probe: &DuplicateProbe<'_>,
        phone_hash: Option<&str>,
        since: i64,
    ) -> Result<Vec<(super::CaseRow, Option<String>)>> {
        #[derive(sqlx::FromRow)]
        struct Hit {
            #[sqlx(flatten)]
            case: super::CaseRow,
            phone_hash: Option<String>,
        }
        let mut hits: Vec<Hit> = Vec::new();
        for (column, value) in [
            ("phone_hash", phone_hash.map(str::to_string)),
            ("service_point_id", probe.service_point_id.map(|p| p.to_string())),
            ("plate", probe.plate.map(str::to_string)),
        ] {
            let Some(value) = value else { continue };
            let cast = if column == "service_point_id" { "CAST($3 AS BIGINT)" } else { "$3" };
            let sql = format!(
                "SELECT {CASE_COLUMNS}, k.phone_hash FROM cases k
                 WHERE k.org_id = $1 AND k.{column} = {cast} AND k.registered_at >= $2 AND k.state <> 'merged'
                 ORDER BY k.registered_at DESC LIMIT 20"
            );
            let found: Vec<Hit> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
                .bind(org_id).bind(since).bind(&value).fetch_all(c).await)?;
            for h in found {
                if !hits.iter().any(|x| x.case.id == h.case.id) {
                    hits.push(h);
                }
            }
        }
        Ok(hits.into_iter().map(|h| (h.case, h.phone_hash)).collect())
    }

    /// Similar text with nothing else in common, among the most recent
    /// cases of the window only: the cost stays bounded however busy the
    /// window was. Their texts are compared first; only the closest are
    /// read whole. (The newest id bounds the scan; the window itself is
    /// checked in the query. MIN(id) over the window would scan it all.)
    async fn similar_text_cases(
        &self,
        org_id: OrgId,
        pairs: &Pairs,
        since: i64,
        seen: &[CaseId],
    ) -> Result<Vec<Duplicate>> {
        let last: Option<i64> = on_read!(self, c => sqlx::query_scalar("SELECT MAX(id) FROM cases WHERE org_id = $1")
            .bind(org_id).fetch_one(c).await)?;
        let Some(last) = last else { return Ok(vec![]) };
        let texts: Vec<(CaseId, String)> = on_read!(self, c => sqlx::query_as(
            "SELECT id, description FROM cases
             WHERE org_id = $1 AND id > $3 AND registered_at >= $2 AND state <> 'merged'")
            .bind(org_id).bind(since).bind(last - RECENT_FOR_TEXT).fetch_all(c).await)?;
        let mut similar: Vec<(f64, CaseId)> = texts
            .iter()
            .filter(|(id, _)| !seen.contains(id))
            .map(|(id, description)| (pairs.dice(&Pairs::of(description)), *id))
            .filter(|(similarity, _)| *similarity >= LIKELY_DUPLICATE)
            .collect();
        similar.sort_by(|a, b| b.0.total_cmp(&a.0));
        similar.truncate(20);
        if similar.is_empty() {
            return Ok(vec![]);
        }
        let ids: Vec<CaseId> = similar.iter().map(|(_, id)| *id).collect();
        let sql = format!(
            "SELECT {CASE_COLUMNS} FROM cases k WHERE k.org_id = $1 AND k.id IN ({})",
            crate::id_list(&ids)
        );
        let rows: Vec<super::CaseRow> = on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str()))
            .bind(org_id).fetch_all(c).await)?;
        Ok(similar
            .into_iter()
            .filter_map(|(similarity, id)| {
                rows.iter().find(|r| r.id == id).map(|r| dup(r.clone(), vec!["text"], similarity))
            })
            .collect())
    }
}

fn dup(c: super::CaseRow, reasons: Vec<&'static str>, similarity: f64) -> Duplicate {
    Duplicate {
        case_id: c.id,
        number: c.number,
        state: c.state.to_string(),
        registered_at: c.registered_at,
        description: c.description,
        reasons,
        similarity: (similarity * 100.0).round() / 100.0,
    }
}
