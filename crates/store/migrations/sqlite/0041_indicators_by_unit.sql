-- The dashboard reads each indicator's counts for every unit at once, one
-- query grouped by unit over the month, instead of one query a unit
-- (issue 23 point 4). The indexes it walks by time then carry the unit, so
-- that the grouped counts read the index alone: the valid complaints and
-- the cases due get the unit beside the time, and the callbacks (a case
-- with a satisfaction answer, few of them) get an index of their own.
DROP INDEX cases_valid_by_time;
CREATE INDEX cases_valid_by_time ON cases (org_id, registered_at, unit_id, finding)
    WHERE kind = 'complaint' AND master_case_id IS NULL AND state <> 'withdrawn';
DROP INDEX cases_due_by_time;
CREATE INDEX cases_due_by_time ON cases (org_id, handle_due, unit_id, overdue, handled_at)
    WHERE master_case_id IS NULL AND state <> 'withdrawn';
CREATE INDEX cases_callbacks ON cases (org_id, registered_at, unit_id, satisfaction)
    WHERE satisfaction IS NOT NULL AND master_case_id IS NULL;
