-- Public notices (SPEC PUB-2, issue 19): weather, road conditions, power
-- outages and service changes, each with its validity window and scope (the
-- whole organisation, or one unit whose sign shows it). A notice moves
-- draft → published → withdrawn, each step an event in the chain; a
-- published notice past its window is expired by the clock, not by a write.
CREATE TABLE notices (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organisations(id),
    unit_id       INTEGER REFERENCES units(id),
    kind          TEXT NOT NULL,
    title         TEXT NOT NULL,
    body          TEXT NOT NULL,
    area          TEXT,
    valid_from    INTEGER NOT NULL,
    valid_until   INTEGER NOT NULL,
    state         TEXT NOT NULL,
    created_by    INTEGER NOT NULL REFERENCES users(id),
    created_at    INTEGER NOT NULL,
    published_at  INTEGER,
    withdrawn_at  INTEGER
);
CREATE INDEX notices_public ON notices (org_id, state, valid_until);
CREATE TRIGGER notices_kept BEFORE DELETE ON notices
BEGIN SELECT RAISE(ABORT, 'notices are withdrawn, never deleted'); END;
