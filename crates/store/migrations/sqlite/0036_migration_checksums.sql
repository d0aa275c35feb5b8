-- Every migration's checksum (issue 22 point 2): the SHA-256 of its text as
-- applied, so that a migration edited after it ran is refused by name at the
-- next start instead of leaving two databases that claim the same version
-- with different schemas. Migrations applied before this one are given the
-- checksum of their text as it stands now (trust on first use).
ALTER TABLE schema_migrations ADD COLUMN checksum TEXT;
