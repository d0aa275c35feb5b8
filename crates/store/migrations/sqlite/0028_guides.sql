-- Service guides and one-time notification (SPEC PUB-3, issue 19; seed
-- 002's 一次性告知制度). A guide says what a matter (事项) needs: its basis,
-- the pack's track whose time limit a case for it gets, the procedure, the
-- complete list of materials (JSON: name, required, original, count), fees,
-- where and when, and why it may be refused. Guides are rewritten in place
-- (every version is an event) and retired, never deleted.
CREATE TABLE guides (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations(id),
    code        TEXT NOT NULL,
    title       TEXT NOT NULL,
    basis       TEXT NOT NULL,
    track       TEXT,
    steps       TEXT NOT NULL,
    materials   TEXT NOT NULL,
    fees        TEXT NOT NULL,
    place       TEXT NOT NULL,
    refusals    TEXT NOT NULL,
    updated_at  INTEGER NOT NULL,
    updated_by  INTEGER NOT NULL REFERENCES users(id),
    retired_at  INTEGER,
    UNIQUE (org_id, code)
);
-- Each written one-time notification of a case: the matter, the materials
-- still missing, and what it asked for that an earlier notification of the
-- same case and matter did not (a breach of 一次性告知, flagged to the
-- office). A record: never changed or deleted.
CREATE TABLE one_time_notices (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations(id),
    case_id     INTEGER NOT NULL REFERENCES cases(id),
    guide_id    INTEGER NOT NULL REFERENCES guides(id),
    missing     TEXT NOT NULL,
    asked_again TEXT NOT NULL,
    created_at  INTEGER NOT NULL,
    created_by  INTEGER NOT NULL REFERENCES users(id)
);
CREATE INDEX one_time_notices_by_case ON one_time_notices (org_id, case_id);
CREATE TRIGGER guides_kept BEFORE DELETE ON guides
BEGIN SELECT RAISE(ABORT, 'guides are retired, never deleted'); END;
CREATE TRIGGER one_time_notices_fixed BEFORE UPDATE ON one_time_notices
BEGIN SELECT RAISE(ABORT, 'one_time_notices is a record of what happened: never changed'); END;
CREATE TRIGGER one_time_notices_kept BEFORE DELETE ON one_time_notices
BEGIN SELECT RAISE(ABORT, 'one_time_notices is a record of what happened: never deleted'); END;
