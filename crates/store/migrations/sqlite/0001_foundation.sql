-- Foundation: organisations, the unit tree, staff, vehicles, service points,
-- users and their sessions, and the append-only, hash-chained event log.
-- Times are integer milliseconds since the Unix epoch (UTC).

CREATE TABLE organisations (
    id          INTEGER PRIMARY KEY,
    code        TEXT NOT NULL UNIQUE,       -- short prefix of case numbers, e.g. TY
    name        TEXT NOT NULL,
    pack        TEXT NOT NULL,              -- policy pack: toll, taxi, bus, lock, hall
    hotline     TEXT,                       -- the public supervision hotline
    created_at  INTEGER NOT NULL
);

CREATE TABLE units (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations(id),
    parent_id   INTEGER REFERENCES units(id),
    code        TEXT NOT NULL,
    name        TEXT NOT NULL,
    kind        TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    UNIQUE (org_id, code)
);
CREATE INDEX units_parent ON units (org_id, parent_id);

CREATE TABLE staff (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations(id),
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    employee_no TEXT NOT NULL,
    name        TEXT NOT NULL,
    position    TEXT,
    phone       TEXT,
    active      BOOLEAN NOT NULL DEFAULT TRUE,
    created_at  INTEGER NOT NULL,
    UNIQUE (org_id, employee_no)
);
CREATE INDEX staff_unit ON staff (org_id, unit_id, id);

CREATE TABLE vehicles (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations(id),
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    plate       TEXT NOT NULL,
    driver_id   INTEGER REFERENCES staff(id),
    created_at  INTEGER NOT NULL,
    UNIQUE (org_id, plate)
);

CREATE TABLE service_points (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organisations(id),
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    code         TEXT NOT NULL,
    name         TEXT NOT NULL,
    kind         TEXT NOT NULL,
    vehicle_id   INTEGER REFERENCES vehicles(id),
    public_token TEXT NOT NULL UNIQUE,      -- what the QR code's URL carries
    created_at   INTEGER NOT NULL,
    UNIQUE (org_id, code)
);

CREATE TABLE users (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organisations(id),
    username      TEXT NOT NULL UNIQUE,
    display_name  TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role          TEXT NOT NULL,
    staff_id      INTEGER REFERENCES staff(id),
    disabled      BOOLEAN NOT NULL DEFAULT FALSE,
    created_at    INTEGER NOT NULL
);

-- Cookie sessions; the cookie holds a random token, the table its SHA-256.
CREATE TABLE sessions (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    org_id      INTEGER NOT NULL REFERENCES organisations(id),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    ended_at    INTEGER
);

CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations(id),
    user_id     INTEGER NOT NULL REFERENCES users(id),
    name        TEXT NOT NULL,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER
);

-- Failed sign-ins per username, known or not, so that both behave alike.
CREATE TABLE login_failures (
    username     TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    last_at      INTEGER NOT NULL,
    locked_until INTEGER NOT NULL DEFAULT 0
);

-- The record. Each row's hash covers the previous row of its organisation.
CREATE TABLE events (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organisations(id),
    seq          INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    actor        TEXT NOT NULL,
    kind         TEXT NOT NULL,
    subject_type TEXT NOT NULL,
    subject_id   INTEGER NOT NULL,
    payload      TEXT NOT NULL,
    reason       TEXT NOT NULL,
    prev_hash    TEXT NOT NULL,
    hash         TEXT NOT NULL,
    UNIQUE (org_id, seq)
);
CREATE INDEX events_subject ON events (org_id, subject_type, subject_id, seq);

CREATE TRIGGER events_no_update BEFORE UPDATE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;
CREATE TRIGGER events_no_delete BEFORE DELETE ON events
BEGIN SELECT RAISE(ABORT, 'events are append-only'); END;

-- The head of each organisation's chain: appends lock this row, so that two
-- writers can never give two events the same place in the chain.
CREATE TABLE chain_heads (
    org_id    INTEGER PRIMARY KEY REFERENCES organisations(id),
    seq       INTEGER NOT NULL,
    head_hash TEXT NOT NULL
);
