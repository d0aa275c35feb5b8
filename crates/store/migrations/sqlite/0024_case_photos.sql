-- Photos a reporter attaches to a complaint (issue 18, point 9): up to
-- three, checked and re-encoded like inspection photos, written in the
-- transaction that registers the case. Evidence, so a record: never
-- changed nor deleted, and sealed into the chain like the case itself.
CREATE TABLE case_photos (
    id            INTEGER PRIMARY KEY,
    org_id        INTEGER NOT NULL REFERENCES organisations(id),
    case_id       INTEGER NOT NULL REFERENCES cases(id),
    content_type  TEXT NOT NULL,
    bytes         BLOB NOT NULL,
    thumb         BLOB NOT NULL,
    width         INTEGER NOT NULL,
    height        INTEGER NOT NULL,
    sha256        TEXT NOT NULL,
    uploaded_at   INTEGER NOT NULL
);
CREATE INDEX case_photos_of ON case_photos (case_id, id);
CREATE TRIGGER case_photos_fixed BEFORE UPDATE ON case_photos
BEGIN SELECT RAISE(ABORT, 'case_photos is a record of what happened: never changed out of band'); END;
CREATE TRIGGER case_photos_kept BEFORE DELETE ON case_photos
BEGIN SELECT RAISE(ABORT, 'case_photos is a record of what happened: never deleted'); END;
CREATE TRIGGER case_photos_queue_seal AFTER INSERT ON case_photos
BEGIN INSERT OR IGNORE INTO unsealed (org_id, tbl, row_id) VALUES (NEW.org_id, 'case_photos', NEW.id); END;
