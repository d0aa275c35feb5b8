-- A month's assessment, closed by a leader: the results as they stood,
-- frozen. Later changes to the data show as differences, never as a rewrite.
CREATE TABLE assessment_months (
    org_id     INTEGER NOT NULL REFERENCES organisations(id),
    month      TEXT NOT NULL,            -- YYYY-MM
    closed_by  INTEGER NOT NULL REFERENCES users(id),
    closed_at  INTEGER NOT NULL,
    results    TEXT NOT NULL,            -- JSON, as computed when closed
    PRIMARY KEY (org_id, month)
);
CREATE TRIGGER assessment_months_frozen BEFORE UPDATE ON assessment_months
BEGIN SELECT RAISE(ABORT, 'a closed month is frozen'); END;
CREATE TRIGGER assessment_months_kept BEFORE DELETE ON assessment_months
BEGIN SELECT RAISE(ABORT, 'a closed month is frozen'); END;
