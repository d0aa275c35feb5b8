-- A reporter tracks a case by its number and tracking code, so the look-up
-- goes by number; the code's digest is compared on that one row. The digest
-- had a UNIQUE index of its own: every new case put a random key into it,
-- dirtying one more page of the write-ahead log per case (about 1 ms of
-- every batch of 64 at intake). SQLite cannot drop a column's UNIQUE
-- constraint without rebuilding the table, so the digest moves to a new,
-- unindexed column and `tracking_hash` stays empty (NULLs sort together).
ALTER TABLE cases ADD COLUMN tracking_digest TEXT;
UPDATE cases SET tracking_digest = tracking_hash, tracking_hash = NULL WHERE tracking_hash IS NOT NULL;
CREATE INDEX cases_number ON cases (number);
