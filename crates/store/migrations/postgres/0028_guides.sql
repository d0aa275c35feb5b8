-- Service guides and one-time notification (SPEC PUB-3, issue 19; seed
-- 002's 一次性告知制度). A guide says what a matter (事项) needs: its basis,
-- the pack's track whose time limit a case for it gets, the procedure, the
-- complete list of materials (JSON: name, required, original, count), fees,
-- where and when, and why it may be refused. Guides are rewritten in place
-- (every version is an event) and retired, never deleted.
CREATE TABLE guides (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES organisations(id),
    code        TEXT NOT NULL,
    title       TEXT NOT NULL,
    basis       TEXT NOT NULL,
    track       TEXT,
    steps       TEXT NOT NULL,
    materials   TEXT NOT NULL,
    fees        TEXT NOT NULL,
    place       TEXT NOT NULL,
    refusals    TEXT NOT NULL,
    updated_at  BIGINT NOT NULL,
    updated_by  BIGINT NOT NULL REFERENCES users(id),
    retired_at  BIGINT,
    UNIQUE (org_id, code)
);
-- Each written one-time notification of a case: the matter, the materials
-- still missing, and what it asked for that an earlier notification of the
-- same case and matter did not (a breach of 一次性告知, flagged to the
-- office). A record: never changed or deleted.
CREATE TABLE one_time_notices (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES organisations(id),
    case_id     BIGINT NOT NULL REFERENCES cases(id),
    guide_id    BIGINT NOT NULL REFERENCES guides(id),
    missing     TEXT NOT NULL,
    asked_again TEXT NOT NULL,
    created_at  BIGINT NOT NULL,
    created_by  BIGINT NOT NULL REFERENCES users(id)
);
CREATE INDEX one_time_notices_by_case ON one_time_notices (org_id, case_id);
CREATE TRIGGER guides_kept BEFORE DELETE ON guides
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER guides_not_truncated BEFORE TRUNCATE ON guides
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER one_time_notices_fixed BEFORE UPDATE ON one_time_notices
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER one_time_notices_kept BEFORE DELETE ON one_time_notices
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER one_time_notices_not_truncated BEFORE TRUNCATE ON one_time_notices
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
