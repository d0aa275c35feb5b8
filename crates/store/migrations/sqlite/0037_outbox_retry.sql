-- A message whose sending failed waits before it is tried again, longer
-- after each failure, instead of being retried at every round of the
-- sender until its attempts run out within a minute (issue 22 point 2).
ALTER TABLE outbox ADD COLUMN retry_at INTEGER;
