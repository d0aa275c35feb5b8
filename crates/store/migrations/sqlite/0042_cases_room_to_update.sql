-- On PostgreSQL, case pages keep room for updates in place (see the
-- PostgreSQL migration). SQLite updates a row in its B-tree page and has no
-- such setting.
SELECT 1;
