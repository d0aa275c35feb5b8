-- One-time links an admin gives a user to set a password (a new account, a
-- forgotten password): only the token's SHA-256 is kept; a link works once,
-- before it expires.
CREATE TABLE password_resets (
    token_hash  TEXT PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES organisations(id),
    user_id     BIGINT NOT NULL REFERENCES users(id),
    created_by  TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    expires_at  BIGINT NOT NULL,
    used_at     BIGINT
);
