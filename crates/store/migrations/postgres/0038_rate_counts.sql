-- Attempts per key and hour (ratings per device and per network, public
-- feedback per network and per service point), counted in the database so
-- that a limit holds across every `serve` instance (issue 23 point 5);
-- before, each instance counted in its own memory. Keys are keyed hashes:
-- no address or device is stored. Past hours are pruned by the sweep.
CREATE TABLE rate_counts (
    hour  BIGINT NOT NULL,
    key   TEXT NOT NULL,
    n     BIGINT NOT NULL,
    PRIMARY KEY (hour, key)
);
