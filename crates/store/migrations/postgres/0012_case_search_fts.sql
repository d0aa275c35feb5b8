-- On SQLite, case search moved from the `case_terms` bigram table to an FTS5
-- index (see the SQLite form of this migration). PostgreSQL keeps
-- `case_terms`: its B-tree inserts are not what limits intake there.
SELECT 1;
