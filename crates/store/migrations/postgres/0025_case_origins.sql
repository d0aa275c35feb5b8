-- Where another system says a request happened, and who sent it (issue
-- 21): Open311's address, address_id, lat/long (as decimal text, so that
-- a seal reads back exactly what was written), media_url, device and
-- account ids, and the sender's e-mail and names (encrypted, like every
-- reporter's data). Written with the case; a record, never changed.
CREATE TABLE case_origins (
    id              BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    case_id         BIGINT NOT NULL UNIQUE REFERENCES cases(id),
    org_id          BIGINT NOT NULL REFERENCES organisations(id),
    address         TEXT,
    address_id      TEXT,
    lat             TEXT,
    long            TEXT,
    media_url       TEXT,
    device_id       TEXT,
    account_id      TEXT,
    email_enc       BYTEA,
    first_name_enc  BYTEA,
    last_name_enc   BYTEA
);
CREATE TRIGGER case_origins_fixed BEFORE UPDATE ON case_origins
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER case_origins_kept BEFORE DELETE ON case_origins
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER case_origins_not_truncated BEFORE TRUNCATE ON case_origins
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
CREATE TRIGGER case_origins_queue_seal AFTER INSERT ON case_origins
    FOR EACH ROW EXECUTE FUNCTION queue_seal();
