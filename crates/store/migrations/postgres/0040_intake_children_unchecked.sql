-- Case intake's busiest child rows, without foreign keys (issue 23 point 3).
-- A case's search terms and its timers are written only with the case, in
-- its transaction, by the store, and a case is never deleted (the trigger
-- cases_kept refuses it): the keys checked what cannot happen, with a
-- look-up of the case (and of the organisation) for every row — a batch of
-- 32 cases is 500 term rows and 224 timers, and the checks were a third
-- of its time on the server.
ALTER TABLE case_terms DROP CONSTRAINT IF EXISTS case_terms_case_id_fkey;
ALTER TABLE timers DROP CONSTRAINT IF EXISTS timers_case_id_fkey;
ALTER TABLE timers DROP CONSTRAINT IF EXISTS timers_org_id_fkey;
