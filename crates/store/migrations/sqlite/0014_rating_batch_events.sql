-- Ratings are recorded by one `ratings.recorded` event per committed batch,
-- listing every rating of the batch, instead of one event each: the event
-- rows, their index entries, JSON and chain hashes were a third of the
-- writer's time at rating intake. Each rating names the place of its
-- batch's event in the organisation's chain (NULL for ratings recorded
-- before, which have a `rating.recorded` event of their own). It is fixed
-- like the rest of the rating.
ALTER TABLE ratings ADD COLUMN event_seq INTEGER;
DROP TRIGGER ratings_fixed;
CREATE TRIGGER ratings_fixed BEFORE UPDATE OF id, org_id, point_id, unit_id, staff_id, level, tags, comment,
    device, day, created_at, replaces_id, case_id, event_seq ON ratings
BEGIN SELECT RAISE(ABORT, 'a rating is never changed; only its status moves'); END;
