-- The convenience directory (SPEC PUB-1, issue 19; seed 000's 九项便民服务:
-- 定期更新周边景区、汽修厂、便利店、加油站、医院、住宿、物流等信息通讯录).
-- An entry belongs to a unit (the station it is near) or to the whole
-- organisation; it says who last checked it and when, so a stale entry is
-- somebody's work. Entries are retired, never deleted; every change is an
-- event.
CREATE TABLE directory_entries (
    id          BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id      BIGINT NOT NULL REFERENCES organisations(id),
    unit_id     BIGINT REFERENCES units(id),
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    address     TEXT,
    phone       TEXT,
    hours       TEXT,
    distance_m  BIGINT,
    checked_at  BIGINT NOT NULL,
    checked_by  BIGINT NOT NULL REFERENCES users(id),
    created_at  BIGINT NOT NULL,
    retired_at  BIGINT
);
CREATE INDEX directory_by_unit ON directory_entries (org_id, unit_id, retired_at);
CREATE TRIGGER directory_entries_kept BEFORE DELETE ON directory_entries
    FOR EACH ROW EXECUTE FUNCTION records_fixed();
CREATE TRIGGER directory_entries_not_truncated BEFORE TRUNCATE ON directory_entries
    FOR EACH STATEMENT EXECUTE FUNCTION records_fixed();
