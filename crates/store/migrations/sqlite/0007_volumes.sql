-- Daily service volume per unit (KPI-1): vehicles, passengers, transactions,
-- to normalise rates (complaints per 10,000 vehicles). A re-import of a day
-- replaces that day's figures; the import is an event.
CREATE TABLE volumes (
    org_id        INTEGER NOT NULL REFERENCES organisations(id),
    unit_id       INTEGER NOT NULL REFERENCES units(id),
    day           INTEGER NOT NULL,        -- yyyymmdd
    vehicles      INTEGER NOT NULL,
    passengers    INTEGER NOT NULL,
    transactions  INTEGER NOT NULL,
    PRIMARY KEY (org_id, unit_id, day)
) WITHOUT ROWID;
