//! What goes wrong in the store, as callers need to tell it apart: not
//! found, refused (403/409), invalid input by field, a conflict, the
//! database unavailable or the disk full.

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("not found")]
    NotFound,
    /// A uniqueness or reference constraint refused the write.
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("invalid input")]
    Invalid(Vec<chuangkou_domain::FieldError>),
    #[error("database error: {0}")]
    Db(#[source] sqlx::Error),
    /// The case lifecycle refused a command; `conflict` means the state was
    /// wrong (409), otherwise the actor may not do it (403).
    #[error("refused: {message}")]
    Refused { conflict: bool, message: String },
    #[error("{0}")]
    Other(String),
}

impl StoreError {
    /// The database could not be reached or answered no more (stopped,
    /// restarting, out of connections): nothing was written; try again.
    pub fn is_unavailable(&self) -> bool {
        matches!(
            self,
            StoreError::Db(
                sqlx::Error::Io(_)
                    | sqlx::Error::PoolTimedOut
                    | sqlx::Error::PoolClosed
                    | sqlx::Error::WorkerCrashed
                    | sqlx::Error::Tls(_)
            )
        ) || matches!(self, StoreError::Db(sqlx::Error::Database(d))
            // PostgreSQL: admin shutdown, crash shutdown, cannot connect now.
            if matches!(d.code().as_deref(), Some("57P01" | "57P02" | "57P03" | "08000" | "08003" | "08006")))
    }

    /// The disk (or the database's size limit) is full: the write was refused.
    pub fn is_disk_full(&self) -> bool {
        matches!(self, StoreError::Db(sqlx::Error::Database(d))
            // SQLite SQLITE_FULL (13) and its extended codes; PostgreSQL disk_full.
            if matches!(d.code().as_deref(), Some("13" | "53100"))
                || d.message().contains("database or disk is full"))
    }
}

impl From<sqlx::Error> for StoreError {
    fn from(e: sqlx::Error) -> Self {
        match &e {
            sqlx::Error::RowNotFound => StoreError::NotFound,
            sqlx::Error::Database(d) if d.is_unique_violation() => {
                StoreError::Conflict("已存在 / already exists".into())
            }
            sqlx::Error::Database(d) if d.is_foreign_key_violation() => {
                StoreError::Conflict("引用的记录不存在 / a referenced record does not exist".into())
            }
            _ => StoreError::Db(e),
        }
    }
}

impl StoreError {
    /// Bad input in one field (422, with the field named).
    pub fn field(field: &str, message: impl Into<String>) -> Self {
        StoreError::Invalid(vec![chuangkou_domain::FieldError::new(field, message)])
    }

    /// A refused action: `conflict` when the record's state is wrong (409),
    /// otherwise the actor may not do it (403).
    pub fn refused(conflict: bool, message: impl Into<String>) -> Self {
        StoreError::Refused { conflict, message: message.into() }
    }
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Required, trimmed text of at most `max` characters, or a field error.
pub(crate) fn required(field: &str, s: &str, max: usize) -> Result<String> {
    chuangkou_domain::text::required(field, s, max).map_err(|e| StoreError::Invalid(vec![e]))
}
