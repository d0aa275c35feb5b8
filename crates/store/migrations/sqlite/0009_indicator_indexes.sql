-- The timely-handling rate counts a unit's cases by their handling
-- deadline; without this it scanned every case of the organisation.
CREATE INDEX cases_unit_due ON cases (org_id, unit_id, handle_due);
