-- Cases: complaints and all other feedback, their reporters (encrypted),
-- a bigram search index, deadline timers, and notifications.

CREATE TABLE case_counters (
    org_id  BIGINT NOT NULL REFERENCES organisations(id),
    year    BIGINT NOT NULL,
    last    BIGINT NOT NULL,
    PRIMARY KEY (org_id, year)
);

-- Reporters' personal data lives here, encrypted, outside the event chain,
-- so that it can be erased after its retention period without breaking it.
CREATE TABLE reporters (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES organisations(id),
    name_enc    BYTEA,
    phone_enc   BYTEA,
    phone_hash  TEXT,                    -- keyed hash, for duplicate detection
    created_at  BIGINT NOT NULL
);

CREATE TABLE cases (
    id                     BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id                 BIGINT NOT NULL REFERENCES organisations(id),
    number                 TEXT NOT NULL,
    kind                   TEXT NOT NULL,
    channel                TEXT NOT NULL,
    category               TEXT NOT NULL,
    track                  TEXT NOT NULL,
    state                  TEXT NOT NULL,
    description            TEXT NOT NULL,
    unit_id                BIGINT REFERENCES units(id),
    service_point_id       BIGINT REFERENCES service_points(id),
    subject_staff_id       BIGINT REFERENCES staff(id),   -- whom the case is about
    plate                  TEXT,
    routed_to              TEXT NOT NULL,                  -- office, or the discipline body
    reporter_id            BIGINT REFERENCES reporters(id),
    phone_hash             TEXT,
    tracking_hash          TEXT UNIQUE,
    first_responsible_id   BIGINT REFERENCES users(id),   -- 首问责任人
    owner_id               BIGINT REFERENCES users(id),
    pending_owner_id       BIGINT REFERENCES users(id),
    registered_at          BIGINT NOT NULL,
    investigate_due        BIGINT,
    handle_due             BIGINT NOT NULL,
    investigated_at        BIGINT,
    handled_at             BIGINT,
    closed_at              BIGINT,
    overdue                BOOLEAN NOT NULL DEFAULT FALSE,  -- once set, never cleared
    escalated_to           TEXT,
    deadline_version       BIGINT NOT NULL DEFAULT 1,
    extension_requested    BOOLEAN NOT NULL DEFAULT FALSE,
    extension_span         TEXT,
    extension_reason       TEXT,
    finding                TEXT,
    responsibility         TEXT,
    apology_made           BOOLEAN,
    conclusion             TEXT,
    reply                  TEXT,
    satisfaction           TEXT,
    master_case_id         BIGINT REFERENCES cases(id),
    updated_at             BIGINT NOT NULL,
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
    org_id   BIGINT NOT NULL,
    term     TEXT NOT NULL,
    case_id  BIGINT NOT NULL REFERENCES cases(id),
    PRIMARY KEY (org_id, term, case_id)
);

-- Deadlines are rows, not sleeping tasks: any instance may claim a due
-- timer; firing sets fired_at in the same transaction as its event.
CREATE TABLE timers (
    id        BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id    BIGINT NOT NULL REFERENCES organisations(id),
    case_id   BIGINT NOT NULL REFERENCES cases(id),
    action    TEXT NOT NULL,
    version   BIGINT NOT NULL,
    due_at    BIGINT NOT NULL,
    fired_at  BIGINT,
    UNIQUE (case_id, action, version)
);
CREATE INDEX timers_due ON timers (due_at) WHERE fired_at IS NULL;

CREATE TABLE notifications (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES organisations(id),
    user_id     BIGINT NOT NULL REFERENCES users(id),
    case_id     BIGINT REFERENCES cases(id),
    kind        TEXT NOT NULL,
    message     TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    read_at     BIGINT
);
CREATE INDEX notifications_user ON notifications (org_id, user_id, id);

-- Messages to send outside (e-mail, SMS); a sender drains it.
CREATE TABLE outbox (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL REFERENCES organisations(id),
    channel      TEXT NOT NULL,          -- sms, email
    reporter_id  BIGINT REFERENCES reporters(id),
    user_id      BIGINT REFERENCES users(id),
    case_id      BIGINT REFERENCES cases(id),
    body         TEXT NOT NULL,
    created_at   BIGINT NOT NULL,
    sent_at      BIGINT,
    attempts     BIGINT NOT NULL DEFAULT 0,
    last_error   TEXT
);
CREATE INDEX outbox_pending ON outbox (id) WHERE sent_at IS NULL;

-- Failed tracking look-ups per client address, to slow guessing.
CREATE TABLE tracking_failures (
    client       TEXT PRIMARY KEY,
    failures     BIGINT NOT NULL,
    window_start BIGINT NOT NULL
);
