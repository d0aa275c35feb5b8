-- The convenience directory (SPEC PUB-1, issue 19; seed 000's 九项便民服务:
-- 定期更新周边景区、汽修厂、便利店、加油站、医院、住宿、物流等信息通讯录).
-- An entry belongs to a unit (the station it is near) or to the whole
-- organisation; it says who last checked it and when, so a stale entry is
-- somebody's work. Entries are retired, never deleted; every change is an
-- event.
CREATE TABLE directory_entries (
    id          INTEGER PRIMARY KEY,
    org_id      INTEGER NOT NULL REFERENCES organisations(id),
    unit_id     INTEGER REFERENCES units(id),
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    address     TEXT,
    phone       TEXT,
    hours       TEXT,
    distance_m  INTEGER,
    checked_at  INTEGER NOT NULL,
    checked_by  INTEGER NOT NULL REFERENCES users(id),
    created_at  INTEGER NOT NULL,
    retired_at  INTEGER
);
CREATE INDEX directory_by_unit ON directory_entries (org_id, unit_id, retired_at);
CREATE TRIGGER directory_entries_kept BEFORE DELETE ON directory_entries
BEGIN SELECT RAISE(ABORT, 'directory entries are retired, never deleted'); END;
