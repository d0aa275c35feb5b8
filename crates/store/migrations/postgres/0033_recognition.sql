-- Recognition and publicity (SPEC CMP-1/2, issue 20 point 4; seed 002's
-- 精神奖励和物质奖励相结合, seed 004's 典型案例 and 宣传专栏), and a
-- campaign's people and papers (point 1: its leading group 领导小组 with
-- its office, the units taking part, its basis documents and its logo).
-- A certificate 荣誉证书 is issued once per award, period and recipient,
-- carries a serial anyone can verify, and books the award's reward for
-- finance to pay. A typical case is the office's own words about a record,
-- published and withdrawn, never edited. Nothing is deleted.
CREATE TABLE certificates (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        BIGINT NOT NULL REFERENCES organisations(id),
    serial        TEXT NOT NULL UNIQUE,
    source        TEXT NOT NULL,
    award_code    TEXT NOT NULL,
    award_title   TEXT NOT NULL,
    period        TEXT NOT NULL,
    staff_id      BIGINT REFERENCES staff(id),
    unit_id       BIGINT REFERENCES units(id),
    recipient     TEXT NOT NULL,
    campaign_id   BIGINT REFERENCES campaigns(id),
    reward_fen    BIGINT NOT NULL,
    paid_at       BIGINT,
    paid_by       BIGINT REFERENCES users(id),
    receipt_no    TEXT,
    issued_by     BIGINT NOT NULL REFERENCES users(id),
    issued_at     BIGINT NOT NULL
);
CREATE UNIQUE INDEX certificates_once ON certificates (org_id, source, award_code, period, recipient);
CREATE INDEX certificates_by_org ON certificates (org_id, issued_at);

CREATE TABLE typical_cases (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        BIGINT NOT NULL REFERENCES organisations(id),
    kind          TEXT NOT NULL,
    title         TEXT NOT NULL,
    story         TEXT NOT NULL,
    unit_id       BIGINT REFERENCES units(id),
    happened_on   TEXT NOT NULL,
    source_type   TEXT,
    source_id     BIGINT,
    campaign_id   BIGINT REFERENCES campaigns(id),
    published_at  BIGINT,
    withdrawn_at  BIGINT,
    created_by    BIGINT NOT NULL REFERENCES users(id),
    created_at    BIGINT NOT NULL
);
CREATE INDEX typical_cases_by_org ON typical_cases (org_id, published_at);

CREATE TABLE media_items (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        BIGINT NOT NULL REFERENCES organisations(id),
    campaign_id   BIGINT REFERENCES campaigns(id),
    outlet        TEXT NOT NULL,
    published_on  TEXT NOT NULL,
    title         TEXT NOT NULL,
    link          TEXT,
    created_by    BIGINT NOT NULL REFERENCES users(id),
    created_at    BIGINT NOT NULL
);
CREATE INDEX media_items_by_org ON media_items (org_id, published_on);

CREATE TABLE campaign_members (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL REFERENCES organisations(id),
    campaign_id  BIGINT NOT NULL REFERENCES campaigns(id),
    staff_id     BIGINT NOT NULL REFERENCES staff(id),
    role         TEXT NOT NULL,
    created_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX campaign_members_once ON campaign_members (campaign_id, staff_id, role);

CREATE TABLE campaign_units (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL REFERENCES organisations(id),
    campaign_id  BIGINT NOT NULL REFERENCES campaigns(id),
    unit_id      BIGINT NOT NULL REFERENCES units(id),
    created_at   BIGINT NOT NULL
);
CREATE UNIQUE INDEX campaign_units_once ON campaign_units (campaign_id, unit_id);

CREATE TABLE campaign_files (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        BIGINT NOT NULL REFERENCES organisations(id),
    campaign_id   BIGINT NOT NULL REFERENCES campaigns(id),
    kind          TEXT NOT NULL,
    title         TEXT NOT NULL,
    number        TEXT,
    dated_on      TEXT,
    content_type  TEXT NOT NULL,
    bytes         BYTEA NOT NULL,
    sha256        TEXT NOT NULL,
    uploaded_by   BIGINT NOT NULL REFERENCES users(id),
    uploaded_at   BIGINT NOT NULL
);
CREATE INDEX campaign_files_of ON campaign_files (campaign_id, id);

CREATE TRIGGER certificates_kept BEFORE DELETE ON certificates
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER certificates_not_truncated BEFORE TRUNCATE ON certificates
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER typical_cases_kept BEFORE DELETE ON typical_cases
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER typical_cases_not_truncated BEFORE TRUNCATE ON typical_cases
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER media_items_kept BEFORE DELETE ON media_items
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER media_items_not_truncated BEFORE TRUNCATE ON media_items
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER campaign_members_kept BEFORE DELETE ON campaign_members
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER campaign_members_not_truncated BEFORE TRUNCATE ON campaign_members
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER campaign_units_kept BEFORE DELETE ON campaign_units
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER campaign_units_not_truncated BEFORE TRUNCATE ON campaign_units
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER campaign_files_kept BEFORE DELETE ON campaign_files
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER campaign_files_not_truncated BEFORE TRUNCATE ON campaign_files
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
