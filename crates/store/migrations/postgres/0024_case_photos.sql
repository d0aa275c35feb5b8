-- Photos a reporter attaches to a complaint (issue 18, point 9): up to
-- three, checked and re-encoded like inspection photos, written in the
-- transaction that registers the case. Evidence, so a record: never
-- changed nor deleted, and sealed into the chain like the case itself.
CREATE TABLE case_photos (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        BIGINT NOT NULL REFERENCES organisations(id),
    case_id       BIGINT NOT NULL REFERENCES cases(id),
    content_type  TEXT NOT NULL,
    bytes         BYTEA NOT NULL,
    thumb         BYTEA NOT NULL,
    width         BIGINT NOT NULL,
    height        BIGINT NOT NULL,
    sha256        TEXT NOT NULL,
    uploaded_at   BIGINT NOT NULL
);
CREATE INDEX case_photos_of ON case_photos (case_id, id);
CREATE TRIGGER case_photos_fixed BEFORE UPDATE ON case_photos
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER case_photos_kept BEFORE DELETE ON case_photos
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER case_photos_not_truncated BEFORE TRUNCATE ON case_photos
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER case_photos_queue_seal AFTER INSERT ON case_photos
    FOR EACH ROW EXECUTE FUNCTION queue_seal();
