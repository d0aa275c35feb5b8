-- Valid complaints (docs/INDICATORS.md) are counted per month for the
-- organisation and per unit, a dozen times a dashboard view. These partial
-- indexes hold only complaints that can be valid and carry the finding, so
-- a count reads the index alone: at a million cases a month's count went
-- from 56 ms to 7 ms for the organisation and from 8 ms to 0.4 ms a unit.
CREATE INDEX cases_valid_by_time ON cases (org_id, registered_at, finding)
    WHERE kind = 'complaint' AND master_case_id IS NULL AND state <> 'withdrawn';
CREATE INDEX cases_valid_by_unit ON cases (org_id, unit_id, registered_at, finding)
    WHERE kind = 'complaint' AND master_case_id IS NULL AND state <> 'withdrawn';

-- The timely-handling rate counts cases by handling deadline, with whether
-- each was overdue or handled in time: covering partial indexes for the
-- organisation and per unit (the latter replaces 0009's plain one).
DROP INDEX cases_unit_due;
CREATE INDEX cases_due_by_unit ON cases (org_id, unit_id, handle_due, overdue, handled_at)
    WHERE master_case_id IS NULL AND state <> 'withdrawn';
CREATE INDEX cases_due_by_time ON cases (org_id, handle_due, overdue, handled_at)
    WHERE master_case_id IS NULL AND state <> 'withdrawn';
