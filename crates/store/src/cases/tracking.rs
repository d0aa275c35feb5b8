//! Public tracking with case number + tracking code (SPEC CASE-10).
//!
//! A wrong code and a missing case get the same answer, and each client
//! address may fail only a few times in a window before it must wait.

use chuangkou_domain::OrgId;
use chuangkou_domain::cases::number::{SPOKEN_CODE_TRIES, normalise_spoken_code, normalise_tracking_code};
use chuangkou_domain::cases::{Actor, Command, Satisfaction};
use chuangkou_domain::events::EventKind;
use chuangkou_domain::policy::PolicySet;
use serde::Serialize;

use super::query::PUBLIC_EVENTS;
use super::{ActInput, CASE_COLUMNS, CaseRow};
use crate::users::sha256_hex;
use crate::{Result, Store, StoreError, on_read, on_tx};

/// Failures allowed per client address in [`WINDOW_MS`].
pub const MAX_FAILURES: i64 = 10;
pub const WINDOW_MS: i64 = 15 * 60 * 1000;

#[derive(Debug)]
pub enum TrackingError {
    /// No case with that number and code (or either is malformed).
    NotFound,
    /// Too many failures from this address; try later.
    TooMany,
    Store(StoreError),
}

impl From<StoreError> for TrackingError {
    fn from(e: StoreError) -> Self {
        TrackingError::Store(e)
    }
}

/// What the reporter sees: no internal notes, no names of staff.
#[derive(Debug, Clone, Serialize)]
pub struct PublicView {
    pub number: String,
    pub org_id: OrgId,
    pub kind: String,
    pub category: String,
    pub state: String,
    pub registered_at: i64,
    pub handle_due: i64,
    pub reply: Option<String>,
    #[serde(serialize_with = "crate::codes::serialize")]
    pub satisfaction: Option<Satisfaction>,
    /// Set when this case was merged: the progress shown is the master's.
    pub master_number: Option<String>,
    pub timeline: Vec<PublicStep>,
    pub can_call_back: bool,
    pub can_withdraw: bool,
    /// The reporter withdrew it within the last day and may take that back.
    pub can_undo_withdrawal: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct PublicStep {
    pub at: i64,
    pub kind: String,
    /// The reply or new due time where the step carries one.
    pub detail: Option<String>,
}

impl Store {
    /// Counts a tracking attempt from `client` *before* its code is
    /// checked, in one statement, and numbers it within the window: of a
    /// burst of parallel guesses only the first [`MAX_FAILURES`] are checked.
    async fn take_tracking_attempt(&self, client: &str) -> Result<i64> {
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        let n: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO tracking_failures (client, failures, window_start) VALUES ($1, 1, $2)
             ON CONFLICT (client) DO UPDATE SET
               failures = CASE WHEN $2 - tracking_failures.window_start >= $3 THEN 1 ELSE tracking_failures.failures + 1 END,
               window_start = CASE WHEN $2 - tracking_failures.window_start >= $3 THEN $2 ELSE tracking_failures.window_start END
             RETURNING failures")
            .bind(client).bind(now).bind(WINDOW_MS).fetch_one(c).await)?;
        tx.commit().await?;
        Ok(n)
    }

    /// A right code gives its attempt back: only failures use up the limit.
    async fn give_back_tracking_attempt(&self, client: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => sqlx::query(
            "UPDATE tracking_failures SET failures = failures - 1 WHERE client = $1 AND failures > 0")
            .bind(client).execute(c).await.map(|r| r.rows_affected()))?;
        tx.commit().await
    }

    /// The case a reporter may see, found by number and code.
    async fn tracked_case(&self, number: &str, code: &str, client: &str) -> Result<CaseRow, TrackingError> {
        if self.take_tracking_attempt(client).await? > MAX_FAILURES {
            return Err(TrackingError::TooMany);
        }
        let found = match normalise_tracking_code(code) {
            Some(code) => {
                let sql = format!(
                    "SELECT {CASE_COLUMNS} FROM cases k WHERE k.number = $2 AND k.tracking_digest = $1"
                );
                on_read!(self, c => sqlx::query_as::<_, CaseRow>(sqlx::AssertSqlSafe(sql))
                    .bind(sha256_hex(&code)).bind(number.trim().to_uppercase()).fetch_optional(c).await)
                .map_err(StoreError::from)?
            }
            None => match normalise_spoken_code(code) {
                Some(digits) => self.spoken_case(number, &digits).await?,
                None => None,
            },
        };
        match found {
            Some(c) => {
                self.give_back_tracking_attempt(client).await?;
                Ok(c)
            }
            None => Err(TrackingError::NotFound),
        }
    }

    /// The case whose spoken code this is. A wrong one counts against the
    /// case; at the limit its spoken code no longer opens it.
    async fn spoken_case(&self, number: &str, digits: &str) -> Result<Option<CaseRow>, TrackingError> {
        let number = number.trim().to_uppercase();
        let found: Option<(i64, String, i64)> = on_read!(self, c => sqlx::query_as(
            "SELECT s.case_id, s.digest, s.failures FROM spoken_codes s JOIN cases k ON k.id = s.case_id WHERE k.number = $1")
            .bind(&number).fetch_optional(c).await)
        .map_err(StoreError::from)?;
        let Some((case_id, digest, failures)) = found else { return Ok(None) };
        if failures >= SPOKEN_CODE_TRIES {
            return Ok(None);
        }
        if self.spoken_hash(&number, digits) == digest {
            let sql = format!("SELECT {CASE_COLUMNS} FROM cases k WHERE k.id = $1");
            let case = on_read!(self, c => sqlx::query_as::<_, CaseRow>(sqlx::AssertSqlSafe(sql))
                .bind(case_id).fetch_one(c).await)
            .map_err(StoreError::from)?;
            return Ok(Some(case));
        }
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => sqlx::query("UPDATE spoken_codes SET failures = failures + 1 WHERE case_id = $1")
            .bind(case_id).execute(c).await.map(|r| r.rows_affected())).map_err(StoreError::from)?;
        tx.commit().await?;
        Ok(None)
    }

    pub async fn track(&self, number: &str, code: &str, client: &str) -> Result<PublicView, TrackingError> {
        let own = self.tracked_case(number, code, client).await?;
        // A merged case shows its master's progress.
        let (case, master_number) = match own.master_case_id {
            Some(m) => {
                let master = self.case(own.org_id, m).await?;
                let n = master.number.clone();
                (master, Some(n))
            }
            None => (own.clone(), None),
        };
        let timeline = self
            .timeline(case.org_id, case.id)
            .await?
            .into_iter()
            .filter(|e| PUBLIC_EVENTS.iter().any(|k| e.kind == *k))
            .map(|e| PublicStep {
                at: e.at,
                detail: match EventKind::parse(&e.kind) {
                    Some(EventKind::CaseReplied) => e.payload["reply"].as_str().map(str::to_string),
                    Some(EventKind::CaseExtensionApproved) => {
                        e.payload["handle_due"].as_i64().map(|d| d.to_string())
                    }
                    _ => None,
                },
                kind: e.kind,
            })
            .collect();
        let open = !matches!(own.state.as_str(), "closed" | "withdrawn" | "merged");
        Ok(PublicView {
            number: own.number.clone(),
            org_id: own.org_id,
            kind: case.kind.as_str().to_string(),
            category: case.category.clone(),
            state: case.state.to_string(),
            registered_at: own.registered_at,
            handle_due: case.handle_due,
            reply: case.reply.clone(),
            satisfaction: case.satisfaction,
            master_number,
            timeline,
            can_call_back: case.state == "replied" && own.master_case_id.is_none(),
            can_withdraw: open,
            can_undo_withdrawal: self.undoable_withdrawal(&own).await?.is_some(),
        })
    }

    /// The reporter's callback rating or withdrawal, through the tracking page.
    pub async fn reporter_acts(
        &self,
        number: &str,
        code: &str,
        client: &str,
        command: Command,
        policies: &PolicySet,
    ) -> Result<PublicView, TrackingError> {
        debug_assert!(matches!(command, Command::Callback(_) | Command::Withdraw | Command::UndoWithdrawal));
        let case = self.tracked_case(number, code, client).await?;
        let org = self.organisation(case.org_id).await?;
        let rules = policies.rules(&org.pack).ok_or_else(|| {
            StoreError::Other(format!("organisation {} uses unknown pack {}", org.code, org.pack))
        })?;
        let reason = match command {
            Command::Withdraw => "投诉人撤回 / withdrawn by the reporter",
            _ => "",
        };
        let mut input = ActInput::new(command);
        input.reason = reason.to_string();
        self.act(case.org_id, case.id, Actor::Reporter, "public", &input, rules).await?;
        self.track(number, code, client).await
    }
}
