//! Users, their sessions and API tokens, and the sign-in throttle.
//!
//! Secrets are stored only as hashes: Argon2id for passwords (computed by
//! the caller, off the async runtime), SHA-256 for random session and API
//! tokens (which are long enough that a fast hash is safe).

use chuangkou_domain::events::EventKind;
use chuangkou_domain::{OrgId, Role, StaffId, UserId};
use serde::Serialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use crate::{NewEvent, Result, Store, StoreError, on_read, on_tx, random_token};

#[derive(Debug, Clone, Serialize, sqlx::FromRow)]
pub struct User {
    pub id: UserId,
    pub org_id: OrgId,
    pub username: String,
    pub display_name: String,
    #[serde(skip)]
    pub password_hash: String,
    pub role: String,
    pub staff_id: Option<StaffId>,
    pub disabled: bool,
}

impl User {
    /// How events name this user as their actor.
    pub fn actor(&self) -> String {
        format!("user:{}", self.id)
    }

    /// The user an event's actor names, as [`User::actor`] writes it
    /// (`user:7`); `None` for `public`, `system` and the like.
    pub fn of_actor(actor: &str) -> Option<UserId> {
        actor.strip_prefix("user:")?.parse().ok()
    }

    pub fn role(&self) -> Role {
        // Roles are written only from `Role::as_str`; an unknown one can only
        // come from a hand-edited database and gets the least privilege.
        Role::parse(&self.role).unwrap_or(Role::Staff)
    }
}

/// A user about to be created; the password is already hashed.
#[derive(Debug, Clone, Copy)]
pub struct NewUser<'a> {
    pub username: &'a str,
    pub display_name: &'a str,
    pub password_hash: &'a str,
    pub role: Role,
    pub staff_id: Option<StaffId>,
}

const USER_COLUMNS: &str = "id, org_id, username, display_name, password_hash, role, staff_id, disabled";

/// The user columns that [`Store::change_user`] may set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum UserField {
    PasswordHash,
    Email,
}

/// What an admin changes of a user; `None` leaves a field as it is
/// (`staff_id: Some(None)` unlinks the staff record).
#[derive(Debug, Clone, Default)]
pub struct UserChange {
    pub role: Option<Role>,
    pub staff_id: Option<Option<StaffId>>,
    pub disabled: Option<bool>,
}

/// How long a password-reset link works.
pub const RESET_MS: i64 = 24 * 60 * 60 * 1000;

/// How long a session lasts from sign-in.
pub const SESSION_MS: i64 = 12 * 60 * 60 * 1000;
/// After this many failures in a row a username is locked for [`LOCK_MS`].
pub const MAX_FAILURES: i64 = 5;
pub const LOCK_MS: i64 = 15 * 60 * 1000;

pub fn sha256_hex(s: &str) -> String {
    hex::encode(Sha256::digest(s.as_bytes()))
}

/// The state of a username at the sign-in door.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Throttle {
    pub failures: i64,
    pub locked_until: i64,
}

impl Store {
    pub async fn create_user(&self, org_id: OrgId, actor: &str, u: &NewUser<'_>) -> Result<User> {
        let NewUser { username, display_name, password_hash, role, staff_id } = *u;
        let mut tx = self.begin().await?;
        let now = self.now_ms();
        let sql = format!(
            "INSERT INTO users (org_id, username, display_name, password_hash, role, staff_id, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {USER_COLUMNS}"
        );
        let user: User = on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(org_id).bind(username).bind(display_name).bind(password_hash).bind(role.as_str()).bind(staff_id).bind(now)
            .fetch_one(c).await)?;
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor,
                kind: EventKind::UserCreated,
                subject_type: "user",
                subject_id: user.id.get(),
                payload: json!({"username": username, "role": role.as_str(), "staff_id": staff_id}),
                reason: "",
            },
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    pub async fn set_password(
        &self,
        org_id: OrgId,
        user_id: UserId,
        actor: &str,
        password_hash: &str,
    ) -> Result<()> {
        self.change_user(org_id, user_id, actor, UserField::PasswordHash, Some(password_hash), json!({}))
            .await
    }

    /// Changes a user's role, staff record or status (admins). A change of
    /// role or status ends the user's sessions and revokes their API tokens
    /// in the same transaction; every change is a `user.updated` event.
    pub async fn update_user(
        &self,
        org_id: OrgId,
        actor: &str,
        user_id: UserId,
        change: &UserChange,
    ) -> Result<User> {
        let mut tx = self.begin().await?;
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND id = $2");
        let before: User =
            on_tx!(&mut tx, c => sqlx::query_as(sqlx::AssertSqlSafe(sql.as_str())).bind(org_id).bind(user_id)
            .fetch_optional(c).await)?
            .ok_or(StoreError::NotFound)?;
        let role = change.role.unwrap_or_else(|| before.role());
        let staff_id = change.staff_id.unwrap_or(before.staff_id);
        let disabled = change.disabled.unwrap_or(before.disabled);
        if let Some(s) = staff_id {
            let ok: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar("SELECT id FROM staff WHERE org_id = $1 AND id = $2")
                .bind(org_id).bind(s).fetch_optional(c).await)?;
            ok.ok_or_else(|| StoreError::field("staff_id", "员工不存在 / no such staff member"))?;
        }
        on_tx!(&mut tx, c => sqlx::query("UPDATE users SET role = $1, staff_id = $2, disabled = $3 WHERE org_id = $4 AND id = $5")
            .bind(role.as_str()).bind(staff_id).bind(disabled).bind(org_id).bind(user_id).execute(c).await.map(|_| ()))?;
        let signed_out = role != before.role() || disabled != before.disabled;
        if signed_out {
            self.sign_out_everywhere(&mut tx, user_id).await?;
        }
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor,
                kind: EventKind::UserUpdated,
                subject_type: "user",
                subject_id: user_id.get(),
                payload: json!({
                    "before": {"role": before.role().as_str(), "staff_id": before.staff_id, "disabled": before.disabled},
                    "after": {"role": role.as_str(), "staff_id": staff_id, "disabled": disabled},
                    "signed_out": signed_out,
                }),
                reason: "",
            },
        )
        .await?;
        tx.commit().await?;
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND id = $2");
        Ok(
            on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(user_id).fetch_one(c).await)?,
        )
    }

    /// Ends every session of a user and revokes their API tokens.
    async fn sign_out_everywhere(&self, tx: &mut crate::Tx, user_id: UserId) -> Result<()> {
        let now = self.now_ms();
        on_tx!(tx, c => sqlx::query("UPDATE sessions SET ended_at = $1 WHERE user_id = $2 AND ended_at IS NULL")
            .bind(now).bind(user_id).execute(c).await.map(|_| ()))?;
        on_tx!(tx, c => sqlx::query("UPDATE api_tokens SET revoked_at = $1 WHERE user_id = $2 AND revoked_at IS NULL")
            .bind(now).bind(user_id).execute(c).await.map(|_| ()))?;
        Ok(())
    }

    /// Issues a one-time link for `user_id` to set a password, valid for
    /// [`RESET_MS`]; returns the token (kept only as its hash).
    pub async fn issue_password_reset(
        &self,
        org_id: OrgId,
        actor: &str,
        user_id: UserId,
    ) -> Result<(String, i64)> {
        let token = random_token(24);
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        let exists: Option<i64> = on_tx!(&mut tx, c => sqlx::query_scalar("SELECT id FROM users WHERE org_id = $1 AND id = $2")
            .bind(org_id).bind(user_id).fetch_optional(c).await)?;
        exists.ok_or(StoreError::NotFound)?;
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO password_resets (token_hash, org_id, user_id, created_by, created_at, expires_at) VALUES ($1, $2, $3, $4, $5, $6)")
            .bind(sha256_hex(&token)).bind(org_id).bind(user_id).bind(actor).bind(now).bind(now + RESET_MS)
            .execute(c).await.map(|_| ()))?;
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor,
                kind: EventKind::UserResetIssued,
                subject_type: "user",
                subject_id: user_id.get(),
                payload: json!({"expires_at": now + RESET_MS}),
                reason: "",
            },
        )
        .await?;
        tx.commit().await?;
        Ok((token, now + RESET_MS))
    }

    /// Whose reset link `token` is, while it is unused and unexpired.
    pub async fn password_reset_user(&self, token: &str) -> Result<User> {
        let sql = format!(
            "SELECT {} FROM password_resets r JOIN users u ON u.id = r.user_id
             WHERE r.token_hash = $1 AND r.used_at IS NULL AND r.expires_at > $2 AND u.disabled = FALSE",
            USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ")
        );
        Ok(
            on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(sha256_hex(token)).bind(self.now_ms()).fetch_one(c).await)?,
        )
    }

    /// Uses a reset link, once: sets the password, ends the user's sessions
    /// and API tokens.
    pub async fn use_password_reset(&self, token: &str, password_hash: &str) -> Result<User> {
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        let row: Option<(OrgId, UserId)> = on_tx!(&mut tx, c => sqlx::query_as(
            "UPDATE password_resets SET used_at = $1 WHERE token_hash = $2 AND used_at IS NULL AND expires_at > $1
             RETURNING org_id, user_id")
            .bind(now).bind(sha256_hex(token)).fetch_optional(c).await)?;
        let (org_id, user_id) = row.ok_or(StoreError::NotFound)?;
        on_tx!(&mut tx, c => sqlx::query("UPDATE users SET password_hash = $1 WHERE org_id = $2 AND id = $3")
            .bind(password_hash).bind(org_id).bind(user_id).execute(c).await.map(|_| ()))?;
        self.sign_out_everywhere(&mut tx, user_id).await?;
        let actor = format!("user:{user_id}");
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor: &actor,
                kind: EventKind::UserPasswordSet,
                subject_type: "user",
                subject_id: user_id.get(),
                payload: json!({"by_reset_link": true}),
                reason: "",
            },
        )
        .await?;
        tx.commit().await?;
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 AND id = $2");
        Ok(
            on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).bind(user_id).fetch_one(c).await)?,
        )
    }

    /// Sets (or clears) a user's e-mail address for notifications.
    pub async fn set_email(
        &self,
        org_id: OrgId,
        user_id: UserId,
        actor: &str,
        email: Option<&str>,
    ) -> Result<()> {
        self.change_user(
            org_id,
            user_id,
            actor,
            UserField::Email,
            email,
            json!({"has_email": email.is_some()}),
        )
        .await
    }

    /// Changes one text column of a user and records it, in one transaction.
    async fn change_user(
        &self,
        org_id: OrgId,
        user_id: UserId,
        actor: &str,
        field: UserField,
        value: Option<&str>,
        payload: serde_json::Value,
    ) -> Result<()> {
        let (column, kind) = match field {
            UserField::PasswordHash => ("password_hash", EventKind::UserPasswordSet),
            UserField::Email => ("email", EventKind::UserEmailSet),
        };
        let sql = format!("UPDATE users SET {column} = $1 WHERE id = $2 AND org_id = $3");
        let mut tx = self.begin().await?;
        let n = on_tx!(&mut tx, c => sqlx::query(sqlx::AssertSqlSafe(sql)).bind(value).bind(user_id).bind(org_id)
            .execute(c).await.map(|r| r.rows_affected()))?;
        if n == 0 {
            return Err(StoreError::NotFound);
        }
        // A new password ends every session and API token of the old one.
        if field == UserField::PasswordHash {
            self.sign_out_everywhere(&mut tx, user_id).await?;
        }
        self.append(
            &mut tx,
            NewEvent {
                org_id,
                actor,
                kind,
                subject_type: "user",
                subject_id: user_id.get(),
                payload,
                reason: "",
            },
        )
        .await?;
        tx.commit().await
    }

    pub async fn user_by_username(&self, username: &str) -> Result<User> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE username = $1");
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(username).fetch_one(c).await)?)
    }

    pub async fn users(&self, org_id: OrgId) -> Result<Vec<User>> {
        let sql = format!("SELECT {USER_COLUMNS} FROM users WHERE org_id = $1 ORDER BY id");
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(org_id).fetch_all(c).await)?)
    }

    /// The users linked to a staff record (none for `None`): who a case or
    /// an entry about that staff member is about.
    pub async fn users_of_staff(&self, org_id: OrgId, staff_id: Option<StaffId>) -> Result<Vec<UserId>> {
        let Some(staff) = staff_id else { return Ok(vec![]) };
        Ok(
            on_read!(self, c => sqlx::query_scalar("SELECT id FROM users WHERE org_id = $1 AND staff_id = $2 ORDER BY id")
            .bind(org_id).bind(staff).fetch_all(c).await)?,
        )
    }

    // ---- sign-in throttle ----

    pub async fn throttle(&self, username: &str) -> Result<Throttle> {
        let row: Option<(i64, i64)> = on_read!(self, c => sqlx::query_as(
            "SELECT failures, locked_until FROM login_failures WHERE username = $1")
            .bind(username).fetch_optional(c).await)?;
        Ok(row.map_or(Throttle { failures: 0, locked_until: 0 }, |(failures, locked_until)| Throttle {
            failures,
            locked_until,
        }))
    }

    /// Counts a sign-in attempt *before* its password is checked, in one
    /// statement, so that a burst of parallel attempts cannot all pass the
    /// check: the answer numbers this attempt among the recent ones (a lock
    /// that ran out, or [`LOCK_MS`] without attempts, starts again at 1).
    /// Attempts numbered over [`MAX_FAILURES`] are not checked at all.
    pub async fn take_sign_in_attempt(&self, username: &str) -> Result<Throttle> {
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        let t: (i64, i64) = on_tx!(&mut tx, c => sqlx::query_as(
            "INSERT INTO login_failures (username, failures, last_at, locked_until) VALUES ($1, 1, $2, 0)
             ON CONFLICT (username) DO UPDATE SET
               failures = CASE WHEN (login_failures.locked_until > 0 AND login_failures.locked_until <= $2)
                                 OR (login_failures.locked_until = 0 AND $2 - login_failures.last_at >= $3)
                               THEN 1 ELSE login_failures.failures + 1 END,
               locked_until = CASE WHEN login_failures.locked_until > 0 AND login_failures.locked_until <= $2
                                   THEN 0 ELSE login_failures.locked_until END,
               last_at = $2
             RETURNING failures, locked_until")
            .bind(username).bind(now).bind(LOCK_MS).fetch_one(c).await)?;
        tx.commit().await?;
        Ok(Throttle { failures: t.0, locked_until: t.1 })
    }

    /// Locks the name for [`LOCK_MS`] (the last checked attempt failed).
    pub async fn lock_sign_in(&self, username: &str) -> Result<i64> {
        let until = self.now_ms() + LOCK_MS;
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => sqlx::query("UPDATE login_failures SET locked_until = $1 WHERE username = $2")
            .bind(until).bind(username).execute(c).await.map(|r| r.rows_affected()))?;
        tx.commit().await?;
        Ok(until)
    }

    pub async fn clear_failures(&self, username: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => sqlx::query("UPDATE login_failures SET failures = 0, locked_until = 0 WHERE username = $1")
            .bind(username).execute(c).await.map(|r| r.rows_affected()))?;
        tx.commit().await
    }

    // ---- sessions ----

    /// Starts a session and returns the token for the cookie.
    pub async fn create_session(&self, user: &User) -> Result<String> {
        let token = random_token(32);
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => sqlx::query(
            "INSERT INTO sessions (token_hash, user_id, org_id, created_at, expires_at) VALUES ($1, $2, $3, $4, $5)")
            .bind(sha256_hex(&token)).bind(user.id).bind(user.org_id).bind(now).bind(now + SESSION_MS).execute(c).await.map(|r| r.rows_affected()))?;
        tx.commit().await?;
        Ok(token)
    }

    /// The user behind a live session token.
    pub async fn session_user(&self, token: &str) -> Result<User> {
        let sql = format!(
            "SELECT {} FROM sessions s JOIN users u ON u.id = s.user_id
             WHERE s.token_hash = $1 AND s.ended_at IS NULL AND s.expires_at > $2 AND u.disabled = FALSE",
            USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ")
        );
        Ok(on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(sha256_hex(token)).bind(self.now_ms()).fetch_one(c).await)?)
    }

    pub async fn end_session(&self, token: &str) -> Result<()> {
        let mut tx = self.begin().await?;
        on_tx!(&mut tx, c => sqlx::query("UPDATE sessions SET ended_at = $1 WHERE token_hash = $2 AND ended_at IS NULL")
            .bind(self.now_ms()).bind(sha256_hex(token)).execute(c).await.map(|r| r.rows_affected()))?;
        tx.commit().await
    }

    // ---- API tokens ----

    /// Issues an API token for `user`; the token is returned once and only
    /// its hash is kept.
    pub async fn create_api_token(&self, user: &User, name: &str) -> Result<(i64, String)> {
        let token = format!("ck_{}", random_token(24));
        let now = self.now_ms();
        let mut tx = self.begin().await?;
        let id: i64 = on_tx!(&mut tx, c => sqlx::query_scalar(
            "INSERT INTO api_tokens (org_id, user_id, name, token_hash, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id")
            .bind(user.org_id).bind(user.id).bind(name).bind(sha256_hex(&token)).bind(now).fetch_one(c).await)?;
        self.append(
            &mut tx,
            NewEvent {
                org_id: user.org_id,
                actor: &format!("user:{}", user.id),
                kind: EventKind::ApiTokenCreated,
                subject_type: "api_token",
                subject_id: id,
                payload: json!({"name": name, "user_id": user.id}),
                reason: "",
            },
        )
        .await?;
        tx.commit().await?;
        Ok((id, token))
    }

    pub async fn api_token_user(&self, token: &str) -> Result<User> {
        let sql = format!(
            "SELECT {} FROM api_tokens t JOIN users u ON u.id = t.user_id
             WHERE t.token_hash = $1 AND t.revoked_at IS NULL AND u.disabled = FALSE",
            USER_COLUMNS.split(", ").map(|c| format!("u.{c}")).collect::<Vec<_>>().join(", ")
        );
        Ok(
            on_read!(self, c => sqlx::query_as(sqlx::AssertSqlSafe(sql)).bind(sha256_hex(token)).fetch_one(c).await)?,
        )
    }
}
