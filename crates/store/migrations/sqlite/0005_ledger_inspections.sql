-- The ledger of discipline and merit, the facts that feed its rules, fines,
-- appeals; inspections with their items, photos and rectification orders;
-- supervisors' written reports. Nothing here is ever deleted.

-- The head of a unit, held to account with their staff (seed 001 八(二)).
ALTER TABLE units ADD COLUMN manager_staff_id INTEGER REFERENCES staff(id);

-- What happened: violations, substantiated or mishandled complaints, failed
-- inspection items, attendance. A void fact no longer counts.
CREATE TABLE facts (
    id                  INTEGER PRIMARY KEY,
    org_id              INTEGER NOT NULL REFERENCES organisations(id),
    kind                TEXT NOT NULL,
    staff_id            INTEGER REFERENCES staff(id),
    unit_id             INTEGER NOT NULL REFERENCES units(id),
    rule_code           TEXT,                 -- the codebook rule broken
    severity            TEXT,
    detail              TEXT,                 -- attendance: late, early_leave, absent_from_post
    occurred_at         INTEGER NOT NULL,
    note                TEXT NOT NULL,
    case_id             INTEGER REFERENCES cases(id),
    inspection_id       INTEGER,
    recorded_by         TEXT NOT NULL,
    recorded_at         INTEGER NOT NULL,
    voided_at           INTEGER
);
CREATE INDEX facts_staff ON facts (org_id, staff_id, occurred_at);
CREATE INDEX facts_unit ON facts (org_id, unit_id, occurred_at);

CREATE TABLE ledger_entries (
    id                  INTEGER PRIMARY KEY,
    org_id              INTEGER NOT NULL REFERENCES organisations(id),
    staff_id            INTEGER REFERENCES staff(id),      -- NULL: the unit itself
    unit_id             INTEGER NOT NULL REFERENCES units(id),
    kind                TEXT NOT NULL,                     -- as proposed
    choices             TEXT NOT NULL,                     -- comma-separated kinds the approver may choose instead
    decided_kind        TEXT,                              -- as approved
    status              TEXT NOT NULL,
    fine_min            INTEGER,                           -- fen
    fine_max            INTEGER,
    amount              INTEGER,                           -- fen, as approved
    rule_code           TEXT NOT NULL,                     -- the pack's ledger rule, or 'manual'
    codebook_code       TEXT,
    period_key          TEXT,                              -- 2026 or 2026-03, for once-per-period rules
    explanation         TEXT NOT NULL,
    fact_ids            TEXT NOT NULL,                     -- comma-separated fact ids
    detail              TEXT,                              -- JSON: good deeds' item and value
    occurred_at         INTEGER NOT NULL,
    proposed_by         TEXT NOT NULL,
    proposer_user_id    INTEGER REFERENCES users(id),
    proposed_at         INTEGER NOT NULL,
    decided_by          INTEGER REFERENCES users(id),
    decided_at          INTEGER,
    decision_note       TEXT,
    reverses_id         INTEGER REFERENCES ledger_entries(id),
    case_id             INTEGER REFERENCES cases(id),
    inspection_id       INTEGER
);
CREATE INDEX ledger_staff ON ledger_entries (org_id, staff_id, occurred_at);
CREATE INDEX ledger_unit ON ledger_entries (org_id, unit_id, occurred_at);
CREATE INDEX ledger_status ON ledger_entries (org_id, status, id);
CREATE INDEX ledger_rule ON ledger_entries (org_id, rule_code, period_key);

CREATE TABLE appeals (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations(id),
    entry_id    INTEGER NOT NULL UNIQUE REFERENCES ledger_entries(id),   -- once
    user_id     INTEGER NOT NULL REFERENCES users(id),
    reason      TEXT NOT NULL,
    filed_at    INTEGER NOT NULL,
    outcome     TEXT,
    decision    TEXT,
    decided_by  INTEGER REFERENCES users(id),
    decided_at  INTEGER
);

-- The fines register (SPEC LED-4): collected by finance, booked as income.
CREATE TABLE fines (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organisations(id),
    entry_id      INTEGER NOT NULL UNIQUE REFERENCES ledger_entries(id),
    staff_id      INTEGER REFERENCES staff(id),
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    amount        INTEGER NOT NULL,          -- fen
    status        TEXT NOT NULL,             -- due, collected, waived
    due_since     INTEGER NOT NULL,
    collected_by  INTEGER REFERENCES users(id),
    collected_at  INTEGER,
    receipt_no    TEXT,
    waived_at     INTEGER,
    waived_reason TEXT
);
CREATE INDEX fines_status ON fines (org_id, status, id);

CREATE TABLE inspection_plans (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations(id),
    title       TEXT NOT NULL,
    kind        TEXT NOT NULL,               -- routine, special
    mode        TEXT NOT NULL,               -- open, secret
    checklist   TEXT NOT NULL,               -- JSON: codebook rule codes
    unit_id     INTEGER REFERENCES units(id),
    created_by  INTEGER NOT NULL REFERENCES users(id),
    created_at  INTEGER NOT NULL
);

CREATE TABLE inspections (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organisations(id),
    plan_id      INTEGER REFERENCES inspection_plans(id),
    kind         TEXT NOT NULL,
    mode         TEXT NOT NULL,
    target_kind  TEXT NOT NULL,
    target_id    INTEGER NOT NULL,
    unit_id      INTEGER NOT NULL REFERENCES units(id),
    staff_id     INTEGER REFERENCES staff(id),   -- the person on duty, when known
    inspector_id INTEGER NOT NULL REFERENCES users(id),
    visited_at   INTEGER NOT NULL,
    summary      TEXT NOT NULL,
    recorded_at  INTEGER NOT NULL
);
CREATE INDEX inspections_unit ON inspections (org_id, unit_id, visited_at);
CREATE INDEX inspections_inspector ON inspections (org_id, inspector_id, id);

CREATE TABLE inspection_items (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES organisations(id),
    inspection_id  INTEGER NOT NULL REFERENCES inspections(id),
    rule_code      TEXT NOT NULL,
    result         TEXT NOT NULL,            -- pass, fail, na
    note           TEXT NOT NULL,
    UNIQUE (inspection_id, rule_code)
);

-- Photos are re-encoded on upload (orientation applied, metadata dropped).
CREATE TABLE inspection_photos (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES organisations(id),
    inspection_id  INTEGER NOT NULL REFERENCES inspections(id),
    item_id        INTEGER REFERENCES inspection_items(id),
    content_type   TEXT NOT NULL,
    bytes          BLOB NOT NULL,
    thumb          BLOB NOT NULL,
    width          INTEGER NOT NULL,
    height         INTEGER NOT NULL,
    sha256         TEXT NOT NULL,
    uploaded_at    INTEGER NOT NULL
);
CREATE INDEX inspection_photos_of ON inspection_photos (inspection_id, id);

CREATE TABLE rectifications (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organisations(id),
    inspection_id INTEGER NOT NULL REFERENCES inspections(id),
    item_id       INTEGER NOT NULL REFERENCES inspection_items(id),
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    description   TEXT NOT NULL,
    due_at        INTEGER NOT NULL,
    state         TEXT NOT NULL,             -- open, reported, verified
    overdue       BOOLEAN NOT NULL DEFAULT FALSE,
    deadline_fired_at INTEGER,               -- the deadline timer fired (once)
    reported_at   INTEGER,
    report_note   TEXT,
    verified_by   INTEGER REFERENCES users(id),
    verified_at   INTEGER,
    verify_note   TEXT,
    created_at    INTEGER NOT NULL
);
CREATE INDEX rectifications_due ON rectifications (due_at) WHERE deadline_fired_at IS NULL;
CREATE INDEX rectifications_unit ON rectifications (org_id, unit_id, state);

-- Supervisors' written reports 书面反映 (SPEC INS-4); the leading group
-- records a decision on each.
CREATE TABLE written_reports (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organisations(id),
    author_id     INTEGER NOT NULL REFERENCES users(id),
    unit_id       INTEGER REFERENCES units(id),
    title         TEXT NOT NULL,
    findings      TEXT NOT NULL,
    proposals     TEXT NOT NULL,
    submitted_at  INTEGER NOT NULL,
    outcome       TEXT,
    decision      TEXT,
    decided_by    INTEGER REFERENCES users(id),
    decided_at    INTEGER
);
CREATE INDEX written_reports_open ON written_reports (org_id, decided_at, id);
