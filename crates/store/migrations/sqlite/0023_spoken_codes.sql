-- Spoken codes (issue 18, point 10): eight digits the desk reads out to a
-- caller, who tracks the case with them and its number. Only a keyed hash
-- is kept; `failures` counts wrong codes tried for the case, and at the
-- pack's limit the spoken code stops working (the full code still works).
-- Not a record of consequence: not sealed, and the counter changes.
CREATE TABLE spoken_codes (
    case_id   INTEGER PRIMARY KEY REFERENCES cases (id),
    org_id    INTEGER NOT NULL,
    digest    TEXT NOT NULL,
    failures  INTEGER NOT NULL DEFAULT 0
);
