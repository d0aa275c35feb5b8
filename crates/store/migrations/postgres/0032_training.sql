-- Training, examination and qualifications (SPEC CMP-2, issue 20 point 3;
-- seed 000's 学习培训计划, 001's 学习发动, 002's 职业道德/岗位技能培训 and
-- 客运服务资格证, 003's 技术比赛). A plan sets the hours a unit's staff owe;
-- sessions are held under it and attended (entered, imported from a sheet,
-- or checked in by the session's QR code); exams and skill competitions
-- score people against a pass mark; qualifications expire and are
-- reminded of once, before. A failed exam and a missed required session
-- are facts for the ledger's rules. Nothing is deleted; every step is an
-- event.
CREATE TABLE training_plans (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES organisations(id),
    year        BIGINT NOT NULL,
    month       BIGINT,
    title       TEXT NOT NULL,
    topics      TEXT NOT NULL,
    unit_id     BIGINT NOT NULL REFERENCES units(id),
    hours       BIGINT NOT NULL,
    created_by  BIGINT NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL
);
CREATE INDEX training_plans_by_org ON training_plans (org_id, year, id);

CREATE TABLE training_sessions (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        BIGINT NOT NULL REFERENCES organisations(id),
    plan_id       BIGINT REFERENCES training_plans(id),
    unit_id       BIGINT NOT NULL REFERENCES units(id),
    topic         TEXT NOT NULL,
    place         TEXT NOT NULL,
    trainer       TEXT NOT NULL,
    materials     TEXT NOT NULL,
    starts_at     BIGINT NOT NULL,
    ends_at       BIGINT NOT NULL,
    required      BOOLEAN NOT NULL,
    checkin_code  TEXT NOT NULL UNIQUE,
    closed_at     BIGINT,
    created_by    BIGINT NOT NULL REFERENCES users(id),
    created_at    BIGINT NOT NULL
);
CREATE INDEX training_sessions_by_org ON training_sessions (org_id, starts_at);

CREATE TABLE training_attendance (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL REFERENCES organisations(id),
    session_id   BIGINT NOT NULL REFERENCES training_sessions(id),
    staff_id     BIGINT NOT NULL REFERENCES staff(id),
    way          TEXT NOT NULL,
    recorded_by  BIGINT NOT NULL REFERENCES users(id),
    recorded_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX training_attendance_once ON training_attendance (session_id, staff_id);
CREATE INDEX training_attendance_of ON training_attendance (staff_id);

CREATE TABLE exams (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES organisations(id),
    plan_id     BIGINT REFERENCES training_plans(id),
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    held_on     TEXT NOT NULL,
    pass_mark   BIGINT NOT NULL,
    max_score   BIGINT NOT NULL,
    created_by  BIGINT NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL
);
CREATE INDEX exams_by_org ON exams (org_id, held_on);

CREATE TABLE exam_results (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL REFERENCES organisations(id),
    exam_id      BIGINT NOT NULL REFERENCES exams(id),
    staff_id     BIGINT NOT NULL REFERENCES staff(id),
    score        BIGINT NOT NULL,
    passed       BOOLEAN NOT NULL,
    fact_id      BIGINT REFERENCES facts(id),
    recorded_by  BIGINT NOT NULL REFERENCES users(id),
    recorded_at  BIGINT NOT NULL
);
CREATE UNIQUE INDEX exam_results_once ON exam_results (exam_id, staff_id);
CREATE INDEX exam_results_of ON exam_results (staff_id);

CREATE TABLE qualifications (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL REFERENCES organisations(id),
    staff_id     BIGINT NOT NULL REFERENCES staff(id),
    kind         TEXT NOT NULL,
    number       TEXT NOT NULL,
    issued_on    TEXT NOT NULL,
    expires_on   TEXT NOT NULL,
    remind_at    BIGINT NOT NULL,
    reminded_at  BIGINT,
    created_by   BIGINT NOT NULL REFERENCES users(id),
    created_at   BIGINT NOT NULL
);
CREATE INDEX qualifications_of ON qualifications (org_id, staff_id);
CREATE INDEX qualifications_remind ON qualifications (remind_at) WHERE reminded_at IS NULL;

CREATE TRIGGER training_plans_kept BEFORE DELETE ON training_plans
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER training_plans_not_truncated BEFORE TRUNCATE ON training_plans
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER training_sessions_kept BEFORE DELETE ON training_sessions
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER training_sessions_not_truncated BEFORE TRUNCATE ON training_sessions
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER training_attendance_kept BEFORE DELETE ON training_attendance
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER training_attendance_not_truncated BEFORE TRUNCATE ON training_attendance
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER exams_kept BEFORE DELETE ON exams
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER exams_not_truncated BEFORE TRUNCATE ON exams
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER exam_results_kept BEFORE DELETE ON exam_results
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER exam_results_not_truncated BEFORE TRUNCATE ON exam_results
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER qualifications_kept BEFORE DELETE ON qualifications
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER qualifications_not_truncated BEFORE TRUNCATE ON qualifications
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
