-- Attempts per key and hour (ratings per device and per network, public
-- feedback per network and per service point), counted in the database so
-- that a limit holds across every `serve` instance (issue 23 point 5);
-- before, each instance counted in its own memory. Keys are keyed hashes:
-- no address or device is stored. Past hours are pruned by the sweep.
-- Without a rowid: a key is found and written in one B-tree, not two.
CREATE TABLE rate_counts (
    hour  INTEGER NOT NULL,
    key   TEXT NOT NULL,
    n     INTEGER NOT NULL,
    PRIMARY KEY (hour, key)
) WITHOUT ROWID;
