-- The case inbox at a million cases (issue 23): each tab lists newest
-- first, so each walks an index of its own rows in id order and stops at
-- the page's end, instead of sorting every case of the organisation (about
-- 0.5 s at 200,000 open cases). Partial indexes hold only the rows of
-- their tab; their conditions are written as the inbox's queries write
-- them, so that both databases can prove a query may use them.
CREATE INDEX cases_by_id ON cases (org_id, id);
CREATE INDEX cases_open ON cases (org_id, id)
    WHERE state NOT IN ('closed', 'withdrawn', 'merged');
CREATE INDEX cases_open_by_owner ON cases (org_id, owner_id, id)
    WHERE state NOT IN ('closed', 'withdrawn', 'merged');
CREATE INDEX cases_open_by_unit ON cases (org_id, unit_id, id)
    WHERE state NOT IN ('closed', 'withdrawn', 'merged');
CREATE INDEX cases_overdue ON cases (org_id, id) WHERE overdue = TRUE;
CREATE INDEX cases_follow_up ON cases (org_id, id) WHERE state IN ('replied', 'called_back');
-- "Mine" is what I handle or what is being handed to me: the second half
-- needs its own index for the two to be looked up together.
CREATE INDEX cases_pending_owner ON cases (org_id, pending_owner_id, id)
    WHERE pending_owner_id IS NOT NULL;
