-- Senders claim queued messages before sending, so that several instances
-- do not send the same SMS twice; a claim older than a minute is retried.
ALTER TABLE outbox ADD COLUMN claimed_at INTEGER;
