-- A notice's expiry is a state the clock writes (issue 19: draft →
-- published → expired or withdrawn, every step an event): the sweep moves a
-- published notice whose window ended to `expired`, with its event, and
-- finds them by this index across organisations.
ALTER TABLE notices ADD COLUMN expired_at BIGINT;
CREATE INDEX notices_expiry ON notices (state, valid_until);
