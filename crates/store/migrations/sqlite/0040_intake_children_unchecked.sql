-- On PostgreSQL, case intake's term and timer rows lose their foreign keys
-- (see the PostgreSQL migration). SQLite keeps them: it checks a key on the
-- page it is already writing, and dropping one means rebuilding the table.
SELECT 1;
