-- Satisfaction: quick ratings at service points with their daily rollups and
-- appeals; questionnaires, their responses and (for staff surveys) who has
-- taken part — kept apart so that nothing links an answer to a person.

CREATE TABLE ratings (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organisations(id),
    point_id     INTEGER NOT NULL REFERENCES service_points(id),
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    staff_id     INTEGER REFERENCES staff(id),
    level        INTEGER NOT NULL CHECK (level BETWEEN 1 AND 5),
    tags         TEXT NOT NULL,            -- the pack's tag codes, comma-separated
    comment      TEXT,
    device       TEXT NOT NULL,            -- keyed hash of the device; no personal data
    day          INTEGER NOT NULL,         -- local date as yyyymmdd
    created_at   INTEGER NOT NULL,
    status       TEXT NOT NULL DEFAULT 'counted',   -- counted | replaced | excluded
    replaces_id  INTEGER REFERENCES ratings(id),
    case_id      INTEGER REFERENCES cases(id)
);
CREATE INDEX ratings_device ON ratings (org_id, device, created_at);
CREATE INDEX ratings_unit ON ratings (org_id, unit_id, created_at);
CREATE TRIGGER ratings_no_delete BEFORE DELETE ON ratings
BEGIN SELECT RAISE(ABORT, 'ratings are never deleted'); END;
CREATE TRIGGER ratings_fixed BEFORE UPDATE OF id, org_id, point_id, unit_id, staff_id, level, tags, comment,
    device, day, created_at, replaces_id, case_id ON ratings
BEGIN SELECT RAISE(ABORT, 'a rating is never changed; only its status moves'); END;

-- Counted ratings by level, per scope (point, staff, unit) and day; kept in
-- the transaction of every rating and status change.
CREATE TABLE rating_rollups (
    org_id    INTEGER NOT NULL REFERENCES organisations(id),
    scope     TEXT NOT NULL,
    scope_id  INTEGER NOT NULL,
    day       INTEGER NOT NULL,
    n1 INTEGER NOT NULL, n2 INTEGER NOT NULL, n3 INTEGER NOT NULL, n4 INTEGER NOT NULL, n5 INTEGER NOT NULL,
    PRIMARY KEY (org_id, scope, scope_id, day)
) WITHOUT ROWID;

-- A unit's appeal against a malicious or mistaken rating, and its decision.
CREATE TABLE rating_appeals (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organisations(id),
    rating_id    INTEGER NOT NULL UNIQUE REFERENCES ratings(id),
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    reason       TEXT NOT NULL,
    filed_by     INTEGER NOT NULL REFERENCES users(id),
    filed_at     INTEGER NOT NULL,
    outcome      TEXT,                     -- upheld (rating excluded) | rejected
    note         TEXT,
    decided_by   INTEGER REFERENCES users(id),
    decided_at   INTEGER
);
CREATE INDEX rating_appeals_open ON rating_appeals (org_id, outcome);

-- Versioned questionnaires: a new version is a new row with the same code.
CREATE TABLE questionnaires (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organisations(id),
    code          TEXT NOT NULL,
    version       INTEGER NOT NULL,
    title         TEXT NOT NULL,
    audience      TEXT NOT NULL,           -- public | staff
    questions     TEXT NOT NULL,           -- JSON
    public_token  TEXT NOT NULL UNIQUE,
    status        TEXT NOT NULL,           -- open | closed
    created_by    INTEGER NOT NULL REFERENCES users(id),
    created_at    INTEGER NOT NULL,
    UNIQUE (org_id, code, version)
);

-- Responses carry no person, no device, no address and, for staff surveys,
-- only the month; their ids are random, so that their order tells nothing.
CREATE TABLE survey_responses (
    id                TEXT PRIMARY KEY,
    org_id            INTEGER NOT NULL REFERENCES organisations(id),
    questionnaire_id  INTEGER NOT NULL REFERENCES questionnaires(id),
    unit_id           INTEGER REFERENCES units(id),
    point_id          INTEGER REFERENCES service_points(id),
    day               INTEGER NOT NULL,    -- yyyymmdd; staff surveys: yyyymm01
    answers           TEXT NOT NULL        -- JSON, by question position
) WITHOUT ROWID;
CREATE INDEX survey_responses_of ON survey_responses (questionnaire_id, day);

-- Who has answered a staff survey (once each), with nothing else.
CREATE TABLE survey_participants (
    questionnaire_id  INTEGER NOT NULL REFERENCES questionnaires(id),
    user_id           INTEGER NOT NULL REFERENCES users(id),
    PRIMARY KEY (questionnaire_id, user_id)
) WITHOUT ROWID;
CREATE TRIGGER survey_responses_no_delete BEFORE DELETE ON survey_responses
BEGIN SELECT RAISE(ABORT, 'responses are never deleted'); END;
