-- Keys derived per purpose from the installation secret (issue 17): each
-- event records the version of the key it was chained with (1: the secret
-- itself, before this migration; 2: HKDF-derived). The migration's step in
-- code re-encrypts and re-hashes reporters' personal data (crypto.rs).
ALTER TABLE events ADD COLUMN key_version INTEGER NOT NULL DEFAULT 1;
