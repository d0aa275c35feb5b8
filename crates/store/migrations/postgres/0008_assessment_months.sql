-- A month's assessment, closed by a leader: the results as they stood,
-- frozen. Later changes to the data show as differences, never as a rewrite.
CREATE TABLE assessment_months (
    org_id     BIGINT NOT NULL REFERENCES organisations(id),
    month      TEXT NOT NULL,
    closed_by  BIGINT NOT NULL REFERENCES users(id),
    closed_at  BIGINT NOT NULL,
    results    TEXT NOT NULL,
    PRIMARY KEY (org_id, month)
);
CREATE FUNCTION assessment_months_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'a closed month is frozen'; END $$;
CREATE TRIGGER assessment_months_frozen BEFORE UPDATE OR DELETE ON assessment_months
    FOR EACH ROW EXECUTE FUNCTION assessment_months_frozen();
