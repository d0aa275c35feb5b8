-- Cases: complaints and all other feedback, their reporters (encrypted),
-- a bigram search index, deadline timers, and notifications.

CREATE TABLE case_counters (
    org_id  INTEGER NOT NULL REFERENCES organisations(id),
    year    INTEGER NOT NULL,
    last    INTEGER NOT NULL,
    PRIMARY KEY (org_id, year)
);

-- Reporters' personal data lives here, encrypted, outside the event chain,
-- so that it can be erased after its retention period without breaking it.
CREATE TABLE reporters (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations(id),
    name_enc    BLOB,
    phone_enc   BLOB,
    phone_hash  TEXT,                    -- keyed hash, for duplicate detection
    created_at  INTEGER NOT NULL
);

CREATE TABLE cases (
    id                     INTEGER PRIMARY KEY,
    org_id                 INTEGER NOT NULL REFERENCES organisations(id),
    number                 TEXT NOT NULL,
    kind                   TEXT NOT NULL,
    channel                TEXT NOT NULL,
    category               TEXT NOT NULL,
    track                  TEXT NOT NULL,
    state                  TEXT NOT NULL,
    description            TEXT NOT NULL,
    unit_id                INTEGER REFERENCES units(id),
    service_point_id       INTEGER REFERENCES service_points(id),
    subject_staff_id       INTEGER REFERENCES staff(id),   -- whom the case is about
    plate                  TEXT,
    routed_to              TEXT NOT NULL,                  -- office, or the discipline body
    reporter_id            INTEGER REFERENCES reporters(id),
    phone_hash             TEXT,
    tracking_hash          TEXT UNIQUE,
    first_responsible_id   INTEGER REFERENCES users(id),   -- 首问责任人
    owner_id               INTEGER REFERENCES users(id),
    pending_owner_id       INTEGER REFERENCES users(id),
    registered_at          INTEGER NOT NULL,
    investigate_due        INTEGER,
    handle_due             INTEGER NOT NULL,
    investigated_at        INTEGER,
    handled_at             INTEGER,
    closed_at              INTEGER,
    overdue                BOOLEAN NOT NULL DEFAULT FALSE,  -- once set, never cleared
    escalated_to           TEXT,
    deadline_version       INTEGER NOT NULL DEFAULT 1,
    extension_requested    BOOLEAN NOT NULL DEFAULT FALSE,
    extension_span         TEXT,
    extension_reason       TEXT,
    finding                TEXT,
    responsibility         TEXT,
    apology_made           BOOLEAN,
    conclusion             TEXT,
    reply                  TEXT,
    satisfaction           TEXT,
    master_case_id         INTEGER REFERENCES cases(id),
    updated_at             INTEGER NOT NULL,
    UNIQUE (org_id, number)
);
CREATE INDEX cases_due ON cases (org_id, state, handle_due, id);
CREATE INDEX cases_owner ON cases (org_id, owner_id, state);
CREATE INDEX cases_unit ON cases (org_id, unit_id, registered_at);
CREATE INDEX cases_registered ON cases (org_id, registered_at);
CREATE INDEX cases_point ON cases (org_id, service_point_id, registered_at);
CREATE INDEX cases_plate ON cases (org_id, plate, registered_at);
CREATE INDEX cases_phone ON cases (org_id, phone_hash, registered_at);

-- Character bigrams of each case's text: Chinese search without a segmenter,
-- two-character terms (绕道, 态度) included.
CREATE TABLE case_terms (
    org_id   INTEGER NOT NULL,
    term     TEXT NOT NULL,
    case_id  INTEGER NOT NULL REFERENCES cases(id),
    PRIMARY KEY (org_id, term, case_id)
);

-- Deadlines are rows, not sleeping tasks: any instance may claim a due
-- timer; firing sets fired_at in the same transaction as its event.
CREATE TABLE timers (
    id        INTEGER PRIMARY KEY,
    org_id    INTEGER NOT NULL REFERENCES organisations(id),
    case_id   INTEGER NOT NULL REFERENCES cases(id),
    action    TEXT NOT NULL,
    version   INTEGER NOT NULL,
    due_at    INTEGER NOT NULL,
    fired_at  INTEGER,
    UNIQUE (case_id, action, version)
);
CREATE INDEX timers_due ON timers (due_at) WHERE fired_at IS NULL;

CREATE TABLE notifications (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations(id),
    user_id     INTEGER NOT NULL REFERENCES users(id),
    case_id     INTEGER REFERENCES cases(id),
    kind        TEXT NOT NULL,
    message     TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    read_at     INTEGER
);
CREATE INDEX notifications_user ON notifications (org_id, user_id, id);

-- Messages to send outside (e-mail, SMS); a sender drains it.
CREATE TABLE outbox (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organisations(id),
    channel      TEXT NOT NULL,          -- sms, email
    reporter_id  INTEGER REFERENCES reporters(id),
    user_id      INTEGER REFERENCES users(id),
    case_id      INTEGER REFERENCES cases(id),
    body         TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    sent_at      INTEGER,
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   TEXT
);
CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL;

-- Failed tracking look-ups per client address, to slow guessing.
CREATE TABLE tracking_failures (
    client       TEXT PRIMARY KEY,
    failures     INTEGER NOT NULL,
    window_start INTEGER NOT NULL
);
