-- Public notices (SPEC PUB-2, issue 19): weather, road conditions, power
-- outages and service changes, each with its validity window and scope (the
-- whole organisation, or one unit whose sign shows it). A notice moves
-- draft → published → withdrawn, each step an event in the chain; a
-- published notice past its window is expired by the clock, not by a write.
CREATE TABLE notices (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        BIGINT NOT NULL REFERENCES organisations(id),
    unit_id       BIGINT REFERENCES units(id),
    kind          TEXT NOT NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    area          TEXT,
    valid_from    BIGINT NOT NULL,
    valid_until   BIGINT NOT NULL,
    state         TEXT NOT NULL,
    created_by    BIGINT NOT NULL REFERENCES users(id),
    created_at    BIGINT NOT NULL,
    published_at  BIGINT,
    withdrawn_at  BIGINT
);
CREATE INDEX notices_public ON notices (org_id, state, valid_until);
CREATE TRIGGER notices_kept BEFORE DELETE ON notices
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER notices_not_truncated BEFORE TRUNCATE ON notices
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
