-- One-time links an admin gives a user to set a password (a new account, a
-- forgotten password): only the token's SHA-256 is kept; a link works once,
-- before it expires.
CREATE TABLE password_resets (
    token_hash  TEXT PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations(id),
    user_id     INTEGER NOT NULL REFERENCES users(id),
    created_by  TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
