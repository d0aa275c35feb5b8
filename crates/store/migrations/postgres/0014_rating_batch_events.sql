-- Ratings are recorded by one `ratings.recorded` event per committed batch
-- (see the SQLite form of this migration); each rating names the place of
-- its batch's event in the organisation's chain, and that is fixed too.
ALTER TABLE ratings ADD COLUMN event_seq BIGINT;
CREATE OR REPLACE FUNCTION ratings_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'ratings are never deleted'; END IF;
    IF (NEW.id, NEW.org_id, NEW.point_id, NEW.unit_id, NEW.staff_id, NEW.level, NEW.tags, NEW.comment,
        NEW.device, NEW.day, NEW.created_at, NEW.replaces_id, NEW.case_id, NEW.event_seq)
       IS DISTINCT FROM
       (OLD.id, OLD.org_id, OLD.point_id, OLD.unit_id, OLD.staff_id, OLD.level, OLD.tags, OLD.comment,
        OLD.device, OLD.day, OLD.created_at, OLD.replaces_id, OLD.case_id, OLD.event_seq) THEN
        RAISE EXCEPTION 'a rating is never changed; only its status moves';
    END IF;
    RETURN NEW;
END $$;
