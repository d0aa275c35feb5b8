-- Daily service volume per unit (KPI-1): vehicles, passengers, transactions,
-- to normalise rates (complaints per 10,000 vehicles). A re-import of a day
-- replaces that day's figures; the import is an event.
CREATE TABLE volumes (
    org_id        BIGINT NOT NULL REFERENCES organisations(id),
    unit_id       BIGINT NOT NULL REFERENCES units(id),
    day           BIGINT NOT NULL,
    vehicles      BIGINT NOT NULL,
    passengers    BIGINT NOT NULL,
    transactions  BIGINT NOT NULL,
    PRIMARY KEY (org_id, unit_id, day)
);
