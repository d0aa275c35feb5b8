-- Duty rosters and facilities (issue 19 point 5; seeds 000–002: 便民亭值守,
-- 值班站长, 值班主任, 领导接待日; the kiosk's medicine, water, umbrellas).
-- A shift is a window of time in which a staff member holds a duty at a
-- unit: the person escalations and on-site cases go to, and an inspection's
-- "on duty" by default. Rostering the same duty at the same unit and start
-- again supersedes the earlier line, which is kept.
CREATE TABLE duty_shifts (
    id             INTEGER PRIMARY KEY,
    org_id         INTEGER NOT NULL REFERENCES organisations(id),
    unit_id        INTEGER NOT NULL REFERENCES units(id),
    kind           TEXT NOT NULL,
    staff_id       INTEGER NOT NULL REFERENCES staff(id),
    starts_at      INTEGER NOT NULL,
    ends_at        INTEGER NOT NULL,
    note           TEXT,
    created_by     INTEGER NOT NULL REFERENCES users(id),
    created_at     INTEGER NOT NULL,
    superseded_at  INTEGER
);
CREATE INDEX duty_shifts_at ON duty_shifts (org_id, unit_id, starts_at);
CREATE TRIGGER duty_shifts_kept BEFORE DELETE ON duty_shifts
BEGIN SELECT RAISE(ABORT, 'duty_shifts are kept, never deleted'); END;

-- What a service point offers the public, its condition as the last
-- inspection found it, and for medicine and fire equipment the last day it
-- may be used. Retired, never deleted; every change is an event.
CREATE TABLE facilities (
    id                INTEGER PRIMARY KEY,
    org_id            INTEGER NOT NULL REFERENCES organisations(id),
    service_point_id  INTEGER NOT NULL REFERENCES service_points(id),
    kind              TEXT NOT NULL,
    name              TEXT NOT NULL,
    quantity          INTEGER NOT NULL,
    expires_on        TEXT,
    condition         TEXT NOT NULL,
    checked_at        INTEGER,
    checked_by        INTEGER REFERENCES users(id),
    inspection_id     INTEGER REFERENCES inspections(id),
    created_by        INTEGER NOT NULL REFERENCES users(id),
    created_at        INTEGER NOT NULL,
    retired_at        INTEGER
);
CREATE INDEX facilities_by_point ON facilities (org_id, service_point_id, retired_at);
CREATE TRIGGER facilities_kept BEFORE DELETE ON facilities
BEGIN SELECT RAISE(ABORT, 'facilities are kept, never deleted'); END;
