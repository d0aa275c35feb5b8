-- A reporter tracks a case by its number and tracking code, so the look-up
-- goes by number; the code's digest is compared on that one row and needs
-- no index of its own (see the SQLite form of this migration).
ALTER TABLE cases ADD COLUMN tracking_digest TEXT;
UPDATE cases SET tracking_digest = tracking_hash, tracking_hash = NULL WHERE tracking_hash IS NOT NULL;
ALTER TABLE cases DROP CONSTRAINT IF EXISTS cases_tracking_hash_key;
CREATE INDEX cases_number ON cases (number);
