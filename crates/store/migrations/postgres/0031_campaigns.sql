-- Campaigns (SPEC CMP-1, issue 20; seed 004's 爱心飞扬 服务品牌创建活动): a
-- campaign made from a pack's template, its dated phases, the tasks each
-- phase gives a lead unit, the units' self and peer evaluations and the
-- leaders' comments, and the 回头看 reviews — inspections, whose failed
-- items become rectification orders like any other. A task's reminder and
-- deadline fire once each, by the same sweep as case deadlines. Nothing is
-- deleted; every step is an event.
CREATE TABLE campaigns (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        BIGINT NOT NULL REFERENCES organisations(id),
    template      TEXT NOT NULL,
    title         TEXT NOT NULL,
    brand         TEXT NOT NULL,
    meaning       TEXT NOT NULL,
    goals         TEXT NOT NULL,
    motto         TEXT NOT NULL,
    basis         TEXT NOT NULL,
    year          BIGINT NOT NULL,
    remind_days   BIGINT NOT NULL,
    created_by    BIGINT NOT NULL REFERENCES users(id),
    created_at    BIGINT NOT NULL
);
CREATE INDEX campaigns_by_org ON campaigns (org_id, id);

CREATE TABLE campaign_phases (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL REFERENCES organisations(id),
    campaign_id  BIGINT NOT NULL REFERENCES campaigns(id),
    seq          BIGINT NOT NULL,
    code         TEXT NOT NULL,
    title        TEXT NOT NULL,
    starts_on    TEXT NOT NULL,
    ends_on      TEXT NOT NULL
);
CREATE INDEX campaign_phases_of ON campaign_phases (campaign_id, seq);

CREATE TABLE campaign_tasks (
    id                 BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id             BIGINT NOT NULL REFERENCES organisations(id),
    campaign_id        BIGINT NOT NULL REFERENCES campaigns(id),
    phase_id           BIGINT NOT NULL REFERENCES campaign_phases(id),
    title              TEXT NOT NULL,
    description        TEXT NOT NULL,
    evidence_required  TEXT NOT NULL,
    lead_unit_id       BIGINT NOT NULL REFERENCES units(id),
    due_at             BIGINT NOT NULL,
    remind_at          BIGINT NOT NULL,
    status             TEXT NOT NULL,
    evidence           TEXT,
    return_reason      TEXT,
    submitted_by       BIGINT REFERENCES users(id),
    submitted_at       BIGINT,
    decided_by         BIGINT REFERENCES users(id),
    decided_at         BIGINT,
    overdue            BOOLEAN NOT NULL DEFAULT FALSE,
    reminded_at        BIGINT,
    deadline_fired_at  BIGINT,
    created_at         BIGINT NOT NULL
);
CREATE INDEX campaign_tasks_of ON campaign_tasks (campaign_id, phase_id);
CREATE INDEX campaign_tasks_remind ON campaign_tasks (remind_at) WHERE reminded_at IS NULL;
CREATE INDEX campaign_tasks_due ON campaign_tasks (due_at) WHERE deadline_fired_at IS NULL;

CREATE TABLE campaign_evaluations (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL REFERENCES organisations(id),
    campaign_id  BIGINT NOT NULL REFERENCES campaigns(id),
    phase_id     BIGINT NOT NULL REFERENCES campaign_phases(id),
    kind         TEXT NOT NULL,
    by_unit_id   BIGINT REFERENCES units(id),
    of_unit_id   BIGINT NOT NULL REFERENCES units(id),
    scores       TEXT NOT NULL,
    total        BIGINT NOT NULL,
    comment      TEXT NOT NULL,
    by_user      BIGINT NOT NULL REFERENCES users(id),
    created_at   BIGINT NOT NULL
);
-- One self and one peer evaluation per unit pair and phase.
CREATE UNIQUE INDEX campaign_evaluations_once ON campaign_evaluations (campaign_id, phase_id, kind, by_unit_id, of_unit_id)
    WHERE by_unit_id IS NOT NULL;

CREATE TABLE campaign_reviews (
    id             BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id         BIGINT NOT NULL REFERENCES organisations(id),
    campaign_id    BIGINT NOT NULL REFERENCES campaigns(id),
    inspection_id  BIGINT NOT NULL REFERENCES inspections(id),
    created_at     BIGINT NOT NULL
);
CREATE INDEX campaign_reviews_of ON campaign_reviews (campaign_id);
-- Photos a lead unit hands in with a task (evidence), checked and
-- re-encoded like inspection photos, written with the submission.
CREATE TABLE campaign_task_photos (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        BIGINT NOT NULL REFERENCES organisations(id),
    task_id       BIGINT NOT NULL REFERENCES campaign_tasks(id),
    content_type  TEXT NOT NULL,
    bytes         BYTEA NOT NULL,
    thumb         BYTEA NOT NULL,
    width         BIGINT NOT NULL,
    height        BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    uploaded_at   BIGINT NOT NULL
);
CREATE INDEX campaign_task_photos_of ON campaign_task_photos (task_id, id);
CREATE TRIGGER campaigns_kept BEFORE DELETE ON campaigns
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER campaigns_not_truncated BEFORE TRUNCATE ON campaigns
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER campaign_phases_kept BEFORE DELETE ON campaign_phases
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER campaign_phases_not_truncated BEFORE TRUNCATE ON campaign_phases
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER campaign_tasks_kept BEFORE DELETE ON campaign_tasks
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER campaign_tasks_not_truncated BEFORE TRUNCATE ON campaign_tasks
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER campaign_evaluations_kept BEFORE DELETE ON campaign_evaluations
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER campaign_evaluations_not_truncated BEFORE TRUNCATE ON campaign_evaluations
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER campaign_reviews_kept BEFORE DELETE ON campaign_reviews
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER campaign_reviews_not_truncated BEFORE TRUNCATE ON campaign_reviews
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER campaign_task_photos_kept BEFORE DELETE ON campaign_task_photos
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER campaign_task_photos_not_truncated BEFORE TRUNCATE ON campaign_task_photos
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
