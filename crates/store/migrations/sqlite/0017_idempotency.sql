-- Replays (a double submit, a client retrying after a lost answer) give the
-- first answer again instead of a second write: a write that carries an
-- Idempotency-Key (or a public form's one-time token) claims the key first;
-- the first answer is kept, encrypted (it may hold a tracking code), for the
-- same key and body to get again. A key sent again with another body is a
-- conflict. Per organisation and scope (cases, ratings, ledger, form).
CREATE TABLE idempotency_keys (
    org_id       INTEGER NOT NULL REFERENCES organisations(id),
    scope        TEXT NOT NULL,
    key          TEXT NOT NULL,
    body_sha256  TEXT NOT NULL,
    status       INTEGER,              -- the first answer's HTTP status; NULL while it runs
    response     BLOB,              -- the first answer, encrypted
    created_at   INTEGER NOT NULL,
    PRIMARY KEY (org_id, scope, key)
);
