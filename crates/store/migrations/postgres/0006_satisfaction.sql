-- Satisfaction: quick ratings at service points with their daily rollups and
-- appeals; questionnaires, their responses and (for staff surveys) who has
-- taken part — kept apart so that nothing links an answer to a person.

CREATE TABLE ratings (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL REFERENCES organisations(id),
    point_id     BIGINT NOT NULL REFERENCES service_points(id),
    unit_id      BIGINT NOT NULL REFERENCES units(id),
    staff_id     BIGINT REFERENCES staff(id),
    level        BIGINT NOT NULL CHECK (level BETWEEN 1 AND 5),
    tags         TEXT NOT NULL,
    comment      TEXT,
    device       TEXT NOT NULL,
    day          BIGINT NOT NULL,
    created_at   BIGINT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'counted',
    replaces_id  BIGINT REFERENCES ratings(id),
    case_id      BIGINT REFERENCES cases(id)
);
CREATE INDEX ratings_device ON ratings (org_id, device, created_at);
CREATE INDEX ratings_unit ON ratings (org_id, unit_id, created_at);
CREATE FUNCTION ratings_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN RAISE EXCEPTION 'ratings are never deleted'; END IF;
    IF (NEW.id, NEW.org_id, NEW.point_id, NEW.unit_id, NEW.staff_id, NEW.level, NEW.tags, NEW.comment,
        NEW.device, NEW.day, NEW.created_at, NEW.replaces_id, NEW.case_id)
       IS DISTINCT FROM
       (OLD.id, OLD.org_id, OLD.point_id, OLD.unit_id, OLD.staff_id, OLD.level, OLD.tags, OLD.comment,
        OLD.device, OLD.day, OLD.created_at, OLD.replaces_id, OLD.case_id) THEN
        RAISE EXCEPTION 'a rating is never changed; only its status moves';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER ratings_guarded BEFORE UPDATE OR DELETE ON ratings
    FOR EACH ROW EXECUTE FUNCTION ratings_guard();

CREATE TABLE rating_rollups (
    org_id    BIGINT NOT NULL REFERENCES organisations(id),
    scope     TEXT NOT NULL,
    scope_id  BIGINT NOT NULL,
    day       BIGINT NOT NULL,
    n1 BIGINT NOT NULL, n2 BIGINT NOT NULL, n3 BIGINT NOT NULL, n4 BIGINT NOT NULL, n5 BIGINT NOT NULL,
    PRIMARY KEY (org_id, scope, scope_id, day)
);

CREATE TABLE rating_appeals (
    id           BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id       BIGINT NOT NULL REFERENCES organisations(id),
    rating_id    BIGINT NOT NULL UNIQUE REFERENCES ratings(id),
    unit_id      BIGINT NOT NULL REFERENCES units(id),
    reason       TEXT NOT NULL,
    filed_by     BIGINT NOT NULL REFERENCES users(id),
    filed_at     BIGINT NOT NULL,
    outcome      TEXT,
    note         TEXT,
    decided_by   BIGINT REFERENCES users(id),
    decided_at   BIGINT
);
CREATE INDEX rating_appeals_open ON rating_appeals (org_id, outcome);

CREATE TABLE questionnaires (
    id            BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    org_id        BIGINT NOT NULL REFERENCES organisations(id),
    code          TEXT NOT NULL,
    version       BIGINT NOT NULL,
    title         TEXT NOT NULL,
    audience      TEXT NOT NULL,
    questions     TEXT NOT NULL,
    public_token  TEXT NOT NULL UNIQUE,
    status        TEXT NOT NULL,
    created_by    BIGINT NOT NULL REFERENCES users(id),
    created_at    BIGINT NOT NULL,
    UNIQUE (org_id, code, version)
);

CREATE TABLE survey_responses (
    id                TEXT PRIMARY KEY,
    org_id            BIGINT NOT NULL REFERENCES organisations(id),
    questionnaire_id  BIGINT NOT NULL REFERENCES questionnaires(id),
    unit_id           BIGINT REFERENCES units(id),
    point_id          BIGINT REFERENCES service_points(id),
    day               BIGINT NOT NULL,
    answers           TEXT NOT NULL
);
CREATE INDEX survey_responses_of ON survey_responses (questionnaire_id, day);

CREATE TABLE survey_participants (
    questionnaire_id  BIGINT NOT NULL REFERENCES questionnaires(id),
    user_id           BIGINT NOT NULL REFERENCES users(id),
    PRIMARY KEY (questionnaire_id, user_id)
);
CREATE FUNCTION survey_responses_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN RAISE EXCEPTION 'responses are never deleted'; END $$;
CREATE TRIGGER survey_responses_no_delete BEFORE DELETE ON survey_responses
    FOR EACH ROW EXECUTE FUNCTION survey_responses_append_only();
