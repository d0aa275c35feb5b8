-- A fine's waiver is a decision and passes two different people (SPEC
-- "Users and roles": a fine passes two different people): one approver
-- proposes it with the reason (status 'waiver_proposed'), another confirms
-- it (status 'waived') or declines it (back to 'due').
ALTER TABLE fines ADD COLUMN waiver_proposed_by INTEGER REFERENCES users(id);
ALTER TABLE fines ADD COLUMN waiver_proposed_at INTEGER;
