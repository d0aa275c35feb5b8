-- Where another system says a request happened, and who sent it (issue
-- 21): Open311's address, address_id, lat/long (as decimal text, so that
-- a seal reads back exactly what was written), media_url, device and
-- account ids, and the sender's e-mail and names (encrypted, like every
-- reporter's data). Written with the case; a record, never changed.
CREATE TABLE case_origins (
    id              INTEGER PRIMARY KEY,
    case_id         INTEGER NOT NULL UNIQUE REFERENCES cases(id),
    org_id          INTEGER NOT NULL REFERENCES organisations(id),
    address         TEXT,
    address_id      TEXT,
    lat             TEXT,
    long            TEXT,
    media_url       TEXT,
    device_id       TEXT,
    account_id      TEXT,
    email_enc       BLOB,
    first_name_enc  BLOB,
    last_name_enc   BLOB
);
CREATE TRIGGER case_origins_fixed BEFORE UPDATE ON case_origins
BEGIN SELECT RAISE(ABORT, 'case_origins is a record of what happened: never changed out of band'); END;
CREATE TRIGGER case_origins_kept BEFORE DELETE ON case_origins
BEGIN SELECT RAISE(ABORT, 'case_origins is a record of what happened: never deleted'); END;
CREATE TRIGGER case_origins_queue_seal AFTER INSERT ON case_origins
BEGIN INSERT OR IGNORE INTO unsealed (org_id, tbl, row_id) VALUES (NEW.org_id, 'case_origins', NEW.id); END;
