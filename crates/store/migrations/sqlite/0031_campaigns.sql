-- Campaigns (SPEC CMP-1, issue 20; seed 004's 爱心飞扬 服务品牌创建活动): a
-- campaign made from a pack's template, its dated phases, the tasks each
-- phase gives a lead unit, the units' self and peer evaluations and the
-- leaders' comments, and the 回头看 reviews — inspections, whose failed
-- items become rectification orders like any other. A task's reminder and
-- deadline fire once each, by the same sweep as case deadlines. Nothing is
-- deleted; every step is an event.
CREATE TABLE campaigns (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organisations(id),
    template      TEXT NOT NULL,
    title         TEXT NOT NULL,
    brand         TEXT NOT NULL,
    meaning       TEXT NOT NULL,
    goals         TEXT NOT NULL,
    motto         TEXT NOT NULL,
    basis         TEXT NOT NULL,
    year          INTEGER NOT NULL,
    remind_days   INTEGER NOT NULL,
    created_by    INTEGER NOT NULL REFERENCES users(id),
    created_at    INTEGER NOT NULL
);
CREATE INDEX campaigns_by_org ON campaigns (org_id, id);

CREATE TABLE campaign_phases (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organisations(id),
    campaign_id  INTEGER NOT NULL REFERENCES campaigns(id),
    seq          INTEGER NOT NULL,
    code         TEXT NOT NULL,
    title        TEXT NOT NULL,
    starts_on    TEXT NOT NULL,
    ends_on      TEXT NOT NULL
);
CREATE INDEX campaign_phases_of ON campaign_phases (campaign_id, seq);

CREATE TABLE campaign_tasks (
    id                 INTEGER PRIMARY KEY,
    org_id             INTEGER NOT NULL REFERENCES organisations(id),
    campaign_id        INTEGER NOT NULL REFERENCES campaigns(id),
    phase_id           INTEGER NOT NULL REFERENCES campaign_phases(id),
    title              TEXT NOT NULL,
    description        TEXT NOT NULL,
    evidence_required  TEXT NOT NULL,
    lead_unit_id       INTEGER NOT NULL REFERENCES units(id),
    due_at             INTEGER NOT NULL,
    remind_at          INTEGER NOT NULL,
    status             TEXT NOT NULL,
    evidence           TEXT,
    return_reason      TEXT,
    submitted_by       INTEGER REFERENCES users(id),
    submitted_at       INTEGER,
    decided_by         INTEGER REFERENCES users(id),
    decided_at         INTEGER,
    overdue            BOOLEAN NOT NULL DEFAULT FALSE,
    reminded_at        INTEGER,
    deadline_fired_at  INTEGER,
    created_at         INTEGER NOT NULL
);
CREATE INDEX campaign_tasks_of ON campaign_tasks (campaign_id, phase_id);
CREATE INDEX campaign_tasks_remind ON campaign_tasks (remind_at) WHERE reminded_at IS NULL;
CREATE INDEX campaign_tasks_due ON campaign_tasks (due_at) WHERE deadline_fired_at IS NULL;

CREATE TABLE campaign_evaluations (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organisations(id),
    campaign_id  INTEGER NOT NULL REFERENCES campaigns(id),
    phase_id     INTEGER NOT NULL REFERENCES campaign_phases(id),
    kind         TEXT NOT NULL,
    by_unit_id   INTEGER REFERENCES units(id),
    of_unit_id   INTEGER NOT NULL REFERENCES units(id),
    scores       TEXT NOT NULL,
    total        INTEGER NOT NULL,
    comment      TEXT NOT NULL,
    by_user      INTEGER NOT NULL REFERENCES users(id),
    created_at   INTEGER NOT NULL
);
-- One self and one peer evaluation per unit pair and phase.
CREATE UNIQUE INDEX campaign_evaluations_once ON campaign_evaluations (campaign_id, phase_id, kind, by_unit_id, of_unit_id)
    WHERE by_unit_id IS NOT NULL;

CREATE TABLE campaign_reviews (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES organisations(id),
    campaign_id    INTEGER NOT NULL REFERENCES campaigns(id),
    inspection_id  INTEGER NOT NULL REFERENCES inspections(id),
    created_at     INTEGER NOT NULL
);
CREATE INDEX campaign_reviews_of ON campaign_reviews (campaign_id);
-- Photos a lead unit hands in with a task (evidence), checked and
-- re-encoded like inspection photos, written with the submission.
CREATE TABLE campaign_task_photos (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organisations(id),
    task_id       INTEGER NOT NULL REFERENCES campaign_tasks(id),
    content_type  TEXT NOT NULL,
    bytes         BLOB NOT NULL,
    thumb         BLOB NOT NULL,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    uploaded_at   INTEGER NOT NULL
);
CREATE INDEX campaign_task_photos_of ON campaign_task_photos (task_id, id);
CREATE TRIGGER campaigns_kept BEFORE DELETE ON campaigns
BEGIN SELECT RAISE(ABORT, 'campaigns are kept, never deleted'); END;
CREATE TRIGGER campaign_phases_kept BEFORE DELETE ON campaign_phases
BEGIN SELECT RAISE(ABORT, 'campaign_phases are kept, never deleted'); END;
CREATE TRIGGER campaign_tasks_kept BEFORE DELETE ON campaign_tasks
BEGIN SELECT RAISE(ABORT, 'campaign_tasks are kept, never deleted'); END;
CREATE TRIGGER campaign_evaluations_kept BEFORE DELETE ON campaign_evaluations
BEGIN SELECT RAISE(ABORT, 'campaign_evaluations are kept, never deleted'); END;
CREATE TRIGGER campaign_reviews_kept BEFORE DELETE ON campaign_reviews
BEGIN SELECT RAISE(ABORT, 'campaign_reviews are kept, never deleted'); END;
CREATE TRIGGER campaign_task_photos_kept BEFORE DELETE ON campaign_task_photos
BEGIN SELECT RAISE(ABORT, 'campaign_task_photos are kept, never deleted'); END;
