-- A campaign task's owner (a person of the lead unit who answers for it)
-- and the units co-operating with the lead unit (issue 20 point 1).
ALTER TABLE campaign_tasks ADD COLUMN owner_staff_id INTEGER REFERENCES staff(id);
ALTER TABLE campaign_tasks ADD COLUMN co_units TEXT NOT NULL DEFAULT '';
