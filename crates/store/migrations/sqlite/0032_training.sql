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
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations(id),
    year        INTEGER NOT NULL,
    month       INTEGER,
    title       TEXT NOT NULL,
    topics      TEXT NOT NULL,
    unit_id     INTEGER NOT NULL REFERENCES units(id),
    hours       INTEGER NOT NULL,
    created_by  INTEGER NOT NULL REFERENCES users(id),
    created_at  INTEGER NOT NULL
);
CREATE INDEX training_plans_by_org ON training_plans (org_id, year, id);

CREATE TABLE training_sessions (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organisations(id),
    plan_id       INTEGER REFERENCES training_plans(id),
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    topic         TEXT NOT NULL,
    place         TEXT NOT NULL,
    trainer       TEXT NOT NULL,
    materials     TEXT NOT NULL,
    starts_at     INTEGER NOT NULL,
    ends_at       INTEGER NOT NULL,
    required      BOOLEAN NOT NULL,
    checkin_code  TEXT NOT NULL UNIQUE,
    closed_at     INTEGER,
    created_by    INTEGER NOT NULL REFERENCES users(id),
    created_at    INTEGER NOT NULL
);
CREATE INDEX training_sessions_by_org ON training_sessions (org_id, starts_at);

CREATE TABLE training_attendance (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organisations(id),
    session_id   INTEGER NOT NULL REFERENCES training_sessions(id),
    staff_id     INTEGER NOT NULL REFERENCES staff(id),
    way          TEXT NOT NULL,
    recorded_by  INTEGER NOT NULL REFERENCES users(id),
    recorded_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX training_attendance_once ON training_attendance (session_id, staff_id);
CREATE INDEX training_attendance_of ON training_attendance (staff_id);

CREATE TABLE exams (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations(id),
    plan_id     INTEGER REFERENCES training_plans(id),
    kind        TEXT NOT NULL,
    title       TEXT NOT NULL,
    held_on     TEXT NOT NULL,
    pass_mark   INTEGER NOT NULL,
    max_score   INTEGER NOT NULL,
    created_by  INTEGER NOT NULL REFERENCES users(id),
    created_at  INTEGER NOT NULL
);
CREATE INDEX exams_by_org ON exams (org_id, held_on);

CREATE TABLE exam_results (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organisations(id),
    exam_id      INTEGER NOT NULL REFERENCES exams(id),
    staff_id     INTEGER NOT NULL REFERENCES staff(id),
    score        INTEGER NOT NULL,
    passed       BOOLEAN NOT NULL,
    fact_id      INTEGER REFERENCES facts(id),
    recorded_by  INTEGER NOT NULL REFERENCES users(id),
    recorded_at  INTEGER NOT NULL
);
CREATE UNIQUE INDEX exam_results_once ON exam_results (exam_id, staff_id);
CREATE INDEX exam_results_of ON exam_results (staff_id);

CREATE TABLE qualifications (
    id           INTEGER PRIMARY KEY,
    org_id       INTEGER NOT NULL REFERENCES organisations(id),
    staff_id     INTEGER NOT NULL REFERENCES staff(id),
    kind         TEXT NOT NULL,
    number       TEXT NOT NULL,
    issued_on    TEXT NOT NULL,
    expires_on   TEXT NOT NULL,
    remind_at    INTEGER NOT NULL,
    reminded_at  INTEGER,
    created_by   INTEGER NOT NULL REFERENCES users(id),
    created_at   INTEGER NOT NULL
);
CREATE INDEX qualifications_of ON qualifications (org_id, staff_id);
CREATE INDEX qualifications_remind ON qualifications (remind_at) WHERE reminded_at IS NULL;

CREATE TRIGGER training_plans_kept BEFORE DELETE ON training_plans
BEGIN SELECT RAISE(ABORT, 'training_plans are kept, never deleted'); END;
CREATE TRIGGER training_sessions_kept BEFORE DELETE ON training_sessions
BEGIN SELECT RAISE(ABORT, 'training_sessions are kept, never deleted'); END;
CREATE TRIGGER training_attendance_kept BEFORE DELETE ON training_attendance
BEGIN SELECT RAISE(ABORT, 'training_attendance is kept, never deleted'); END;
CREATE TRIGGER exams_kept BEFORE DELETE ON exams
BEGIN SELECT RAISE(ABORT, 'exams are kept, never deleted'); END;
CREATE TRIGGER exam_results_kept BEFORE DELETE ON exam_results
BEGIN SELECT RAISE(ABORT, 'exam_results are kept, never deleted'); END;
CREATE TRIGGER qualifications_kept BEFORE DELETE ON qualifications
BEGIN SELECT RAISE(ABORT, 'qualifications are kept, never deleted'); END;
